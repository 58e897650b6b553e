//! Opening stores: the URL forms, restarts, readiness, and failures that must say what went wrong
//! without ever showing the password.

use std::time::Duration;

use switchboard::store::testing;
use switchboard::store::{Backend, NewAccount, Store, StoreError, StoreOptions};

fn quick_failure() -> StoreOptions {
    StoreOptions {
        acquire_timeout: Duration::from_secs(3),
        ..testing::test_options()
    }
}

#[tokio::test]
async fn an_in_memory_store_is_a_working_database() {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    store.ping().await.unwrap();
    let account = store
        .create_account(NewAccount {
            name: "Demo".into(),
            plan: "free".into(),
        })
        .await
        .unwrap();
    assert_eq!(store.account(&account.id).await.unwrap(), account);
    // Each in-memory store is its own database.
    let another = Store::connect("sqlite::memory:").await.unwrap();
    assert!(matches!(
        another.account(&account.id).await,
        Err(StoreError::NotFound { .. })
    ));
}

#[tokio::test]
async fn data_survives_a_restart_on_both_backends() {
    for test_store in [Some(testing::sqlite().await), testing::postgres().await]
        .into_iter()
        .flatten()
    {
        let account = test_store
            .create_account(NewAccount {
                name: "Persisted".into(),
                plan: "pro".into(),
            })
            .await
            .unwrap();
        test_store.close().await;
        let reopened = Store::connect_with(&test_store.url(), testing::test_options())
            .await
            .unwrap();
        assert_eq!(reopened.account(&account.id).await.unwrap(), account);
        assert_eq!(reopened.backend(), test_store.backend());
        if let Some(password) = url::Url::parse(&test_store.url()).unwrap().password() {
            let shown = format!("{test_store:?} {reopened:?}");
            assert!(!shown.contains(&format!(":{password}@")), "{shown}");
        }
        reopened.close().await;
    }
}

#[tokio::test]
async fn a_closed_store_is_unavailable() {
    let store = testing::sqlite().await;
    store.ping().await.unwrap();
    store.close().await;
    assert!(matches!(store.ping().await, Err(StoreError::Unavailable { .. })));
}

#[tokio::test]
async fn unreachable_postgres_is_unavailable_and_keeps_the_password_to_itself() {
    // Port 1 on loopback: nothing listens there.
    let url = "postgres://switchboard:Tr0ub4dor-secret@127.0.0.1:1/switchboard";
    let error = Store::connect_with(url, quick_failure()).await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable { .. }), "{error:?}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("Tr0ub4dor"), "{shown}");
    assert!(
        shown.contains("refused") && shown.contains("127.0.0.1:1"),
        "the reason and the place: {shown}"
    );
}

#[tokio::test]
async fn a_wrong_postgres_password_is_unavailable_and_not_repeated() {
    let Some(server_url) = testing::postgres_server_url() else {
        return;
    };
    let mut url = url::Url::parse(&server_url).unwrap();
    url.set_password(Some("wrong-Tr0ub4dor")).unwrap();
    let error = Store::connect_with(url.as_str(), quick_failure())
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Unavailable { .. }), "{error:?}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("Tr0ub4dor"), "{shown}");
    assert!(shown.contains("password authentication failed"), "{shown}");
}

#[tokio::test]
async fn urls_that_cannot_work_are_refused_clearly() {
    let unsupported = Store::connect("mysql://root:hunter2@localhost/db")
        .await
        .unwrap_err();
    assert!(
        matches!(
            unsupported,
            StoreError::Invalid {
                what: "database url",
                ..
            }
        ),
        "{unsupported:?}"
    );
    assert!(!unsupported.to_string().contains("hunter2"));

    let unknown_option = Store::connect("sqlite://switchboard.db?journal=wal")
        .await
        .unwrap_err();
    assert!(
        matches!(
            unknown_option,
            StoreError::Invalid {
                what: "database url",
                ..
            }
        ),
        "{unknown_option:?}"
    );

    // Without mode=rwc a missing file is not created.
    let dir = std::env::temp_dir().join(format!("switchboard-missing-{}", uuid::Uuid::new_v4().simple()));
    let missing = format!("sqlite://{}/nope.db", dir.display());
    let error = Store::connect_with(&missing, quick_failure()).await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable { .. }), "{error:?}");
    assert!(!dir.exists());
}
