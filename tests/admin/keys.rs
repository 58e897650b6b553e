//! `admin keys create|list|revoke`, for the operator and for an account.

use jiff::Timestamp;

use switchboard::manage::{Caller, Keys, Rejection};

use crate::support::{admin, on_each_backend, text_at};

#[tokio::test]
async fn operator_and_account_keys_are_made_listed_and_revoked() {
    on_each_backend(|store| async move {
        let keys = Keys::new(store.store());
        let operator = admin(
            &store,
            &["--json", "keys", "create", "--operator", "--name", "ops"],
        )
        .await
        .json();
        let operator_secret = text_at(&operator, "/secret");
        assert!(matches!(
            keys.authenticate(&operator_secret, Timestamp::now())
                .await
                .unwrap(),
            Ok(Caller::Operator { .. })
        ));

        let account = admin(&store, &["--json", "accounts", "create", "--name", "Dental"])
            .await
            .json();
        let account_id = text_at(&account, "/account/id");
        let extra = admin(
            &store,
            &[
                "--json",
                "keys",
                "create",
                "--account",
                &account_id,
                "--name",
                "zapier",
            ],
        )
        .await
        .json();
        let extra_id = text_at(&extra, "/id");
        assert!(matches!(
            keys.authenticate(&text_at(&extra, "/secret"), Timestamp::now()).await.unwrap(),
            Ok(Caller::Account { scope, .. }) if scope.account_id.as_str() == account_id
        ));

        // Each owner sees its own keys, never a secret.
        let listed = admin(&store, &["keys", "list", "--account", &account_id, "--json"])
            .await
            .json();
        let names: Vec<&str> = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["default", "zapier"]);
        assert!(
            !listed.to_string().contains(&text_at(&extra, "/secret")),
            "{listed}"
        );
        assert!(listed["data"][0].get("secret").is_none());
        let listed = admin(&store, &["keys", "list", "--operator", "--json"])
            .await
            .json();
        let names: Vec<&str> = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["ops"]);

        // A key is revoked only through its owner.
        let wrong = admin(&store, &["keys", "revoke", &extra_id, "--operator"]).await;
        assert!(wrong.failure(1).contains("not found"), "{}", wrong.stderr);
        let revoked = admin(
            &store,
            &["keys", "revoke", &extra_id, "--account", &account_id, "--json"],
        )
        .await
        .json();
        assert_eq!(revoked["id"], extra_id.as_str());
        assert!(revoked["revoked_at"].is_string(), "{revoked}");
        assert_eq!(
            keys.authenticate(&text_at(&extra, "/secret"), Timestamp::now())
                .await
                .unwrap(),
            Err(Rejection::Revoked)
        );
        let table = admin(&store, &["keys", "list", "--account", &account_id]).await;
        let zapier = table
            .text()
            .lines()
            .find(|line| line.contains("zapier"))
            .expect(&table.stdout);
        assert!(!zapier.ends_with(" -"), "the revoked column is filled: {zapier}");

        let operator_key_id = text_at(&operator, "/id");
        let revoked = admin(&store, &["keys", "revoke", &operator_key_id, "--operator"]).await;
        assert!(revoked.text().contains("revoked_at:"), "{}", revoked.stdout);
        assert_eq!(
            keys.authenticate(&operator_secret, Timestamp::now())
                .await
                .unwrap(),
            Err(Rejection::Revoked)
        );
    })
    .await;
}

#[tokio::test]
async fn an_unknown_account_is_not_found_rather_than_given_a_key() {
    let store = switchboard::store::testing::sqlite().await;
    let run = admin(
        &store,
        &[
            "keys",
            "create",
            "--account",
            "0193b1c2-0000-7000-8000-000000000000",
            "--name",
            "x",
        ],
    )
    .await;
    assert!(run.failure(1).contains("account not found"), "{}", run.stderr);
    let run = admin(&store, &["keys", "list", "--account", "nope"]).await;
    assert!(run.failure(1).contains("account not found"), "{}", run.stderr);
}
