//! Forgetting the REST API's idempotency keys after a day, as one of the app's workers: at
//! start, then every hour. A day covers any client's retries; the rows would otherwise grow
//! with every POST.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::shutdown::Shutdown;
use crate::store::Store;

/// How long a key's answer is kept.
pub const KEEP_FOR: SignedDuration = SignedDuration::from_hours(24);
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Starts the sweep as one of the `workers`.
pub fn start_purge(store: Store, workers: &Shutdown) {
    workers.spawn_every(SWEEP_EVERY, move || {
        let store = store.clone();
        async move { purge(&store, Timestamp::now()).await }
    });
}

/// Removes the keys older than [`KEEP_FOR`] at `now`.
pub async fn purge(store: &Store, now: Timestamp) {
    let before = now.checked_sub(KEEP_FOR).unwrap_or(Timestamp::MIN);
    match store.purge_idempotency_keys(before).await {
        Ok(0) => {}
        Ok(removed) => tracing::debug!(removed, "idempotency keys older than a day removed"),
        Err(error) => tracing::warn!(error = %error, "could not remove old idempotency keys"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{IdempotentStart, NewAccount, testing};

    #[tokio::test]
    async fn a_key_is_kept_for_a_day_then_forgotten() {
        testing::on_each_backend(|store| async move {
            let account = store
                .create_account(NewAccount {
                    name: "A".into(),
                    plan: "free".into(),
                })
                .await
                .unwrap();
            let made = Timestamp::now();
            let start = store.begin_idempotent(&account.id, "k", "f", made).await.unwrap();
            assert_eq!(start, IdempotentStart::New);
            store
                .finish_idempotent(&account.id, "k", 201, "{}")
                .await
                .unwrap();
            purge(&store, made.checked_add(SignedDuration::from_hours(23)).unwrap()).await;
            assert!(matches!(
                store.begin_idempotent(&account.id, "k", "f", made).await.unwrap(),
                IdempotentStart::Replay { status: 201, .. }
            ));
            purge(&store, made.checked_add(SignedDuration::from_hours(25)).unwrap()).await;
            assert_eq!(
                store.begin_idempotent(&account.id, "k", "f", made).await.unwrap(),
                IdempotentStart::New
            );
        })
        .await;
    }
}
