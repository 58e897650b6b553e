//! One-time stream tokens across instances: every redemption is recorded in the database, so
//! a token redeemed on one instance is refused on any other sharing it. The instance's own
//! ledger ([`StreamTokens`](super::StreamTokens)) stays the fast first check; this one is
//! asked only for a token that passed it.
//!
//! The records are forgotten by a worker ([`start_purge`]) once their tokens are long expired:
//! an expired token is refused by its own expiry, so its record is no longer needed. "Long"
//! covers the clocks of instances disagreeing by up to [`CLOCK_SKEW`].

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::shutdown::Shutdown;
use crate::store::{Store, StoreError};

use super::tokens::Claims;

/// How far apart the instances' clocks may be without a replay slipping through once a
/// record is purged.
pub const CLOCK_SKEW: SignedDuration = SignedDuration::from_mins(10);
const SWEEP_EVERY: Duration = Duration::from_secs(600);

/// Why the database refused a redemption.
#[derive(Debug, thiserror::Error)]
pub enum SharedRedemptionError {
    /// An instance (this one or another) redeemed the token before.
    #[error("the token was already redeemed")]
    Reused,
    /// The redemption could not be recorded.
    #[error("the token's redemption could not be recorded: {0}")]
    Unrecorded(#[from] StoreError),
}

/// The tokens redeemed by every instance sharing the store.
#[derive(Debug, Clone)]
pub struct SharedRedemptions {
    store: Store,
}

impl SharedRedemptions {
    pub fn new(store: Store) -> Self {
        SharedRedemptions { store }
    }

    /// Records the redemption of the token `claims` describes, at `now`; refused when any
    /// instance redeemed it before. A database that fails refuses it too (fail closed): a
    /// token whose redemption is not recorded could be redeemed again on another instance, and
    /// a stream is worth less than the guarantee that a captured token opens no second one.
    pub async fn redeem(&self, claims: &Claims, now: Timestamp) -> Result<(), SharedRedemptionError> {
        let expires = Timestamp::from_second(i64::try_from(claims.expires).unwrap_or(i64::MAX))
            .unwrap_or(Timestamp::MAX);
        match self
            .store
            .redeem_stream_token(&claims.nonce, expires, now)
            .await?
        {
            true => Ok(()),
            false => Err(SharedRedemptionError::Reused),
        }
    }
}

/// Starts the sweep of expired redemptions as one of the `workers`: at start, then every ten
/// minutes, until they stop.
pub fn start_purge(store: Store, workers: &Shutdown) {
    workers.spawn_every(SWEEP_EVERY, move || {
        let store = store.clone();
        async move { purge(&store, Timestamp::now()).await }
    });
}

/// Forgets the redemptions of tokens expired for longer than [`CLOCK_SKEW`] at `now`.
pub async fn purge(store: &Store, now: Timestamp) {
    let before = now.checked_sub(CLOCK_SKEW).unwrap_or(Timestamp::MIN);
    match store.purge_stream_token_redemptions(before).await {
        Ok(0) => {}
        Ok(removed) => tracing::debug!(removed, "expired stream token redemptions removed"),
        Err(error) => tracing::warn!(error = %error, "could not remove expired stream token redemptions"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing;
    use crate::telephony::StreamTokens;

    fn now() -> Timestamp {
        "2026-11-30T09:00:00Z".parse().unwrap()
    }

    #[tokio::test]
    async fn a_redemption_is_refused_the_second_time_and_purged_only_well_after_its_expiry() {
        testing::on_each_backend(|store| async move {
            let tokens = StreamTokens::new("auth-token", Duration::from_secs(30));
            let (_, claims) = tokens.issue("CA1", "agent-1", now());
            let shared = SharedRedemptions::new(store.clone());
            shared.redeem(&claims, now()).await.unwrap();
            assert!(matches!(
                shared.redeem(&claims, now()).await,
                Err(SharedRedemptionError::Reused)
            ));
            // Expired, but not by more than the clocks may disagree: still refused.
            let expired = now() + SignedDuration::from_secs(31);
            purge(&store, expired + CLOCK_SKEW - SignedDuration::from_secs(2)).await;
            assert!(matches!(
                shared.redeem(&claims, now()).await,
                Err(SharedRedemptionError::Reused)
            ));
            purge(&store, expired + CLOCK_SKEW).await;
            shared.redeem(&claims, now()).await.unwrap();
        })
        .await;
    }

    #[tokio::test]
    async fn a_database_that_fails_refuses_the_redemption() {
        let store = testing::sqlite().await;
        sqlx::query("DROP TABLE stream_token_redemptions")
            .execute(&store.pool)
            .await
            .unwrap();
        let tokens = StreamTokens::new("auth-token", Duration::from_secs(30));
        let (_, claims) = tokens.issue("CA1", "agent-1", now());
        let refused = SharedRedemptions::new(store.store()).redeem(&claims, now()).await;
        assert!(
            matches!(refused, Err(SharedRedemptionError::Unrecorded(_))),
            "{refused:?}"
        );
    }
}
