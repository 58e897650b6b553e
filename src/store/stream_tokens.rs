//! The media stream tokens redeemed by any instance sharing the database: a nonce is inserted
//! once, so the second redemption of a token, wherever it is tried, finds it there.

use jiff::Timestamp;

use super::Store;
use super::error::StoreResult;
use super::row;

impl Store {
    /// Records the redemption of the token `nonce` (good until `expires_at`) at `now`, once:
    /// `true` when this is its first redemption, `false` when any instance redeemed it before.
    pub async fn redeem_stream_token(
        &self,
        nonce: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO stream_token_redemptions (nonce, expires_at, redeemed_at) \
             VALUES ($1, $2, $3) ON CONFLICT (nonce) DO NOTHING",
        )
        .bind(nonce)
        .bind(row::millis(expires_at))
        .bind(row::millis(now))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forgets the redemptions of tokens that expired before `expired_before`; how many.
    pub async fn purge_stream_token_redemptions(&self, expired_before: Timestamp) -> StoreResult<u64> {
        Ok(
            sqlx::query("DELETE FROM stream_token_redemptions WHERE expires_at < $1")
                .bind(row::millis(expired_before))
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use crate::store::testing;

    fn at(text: &str) -> jiff::Timestamp {
        text.parse().unwrap()
    }

    #[tokio::test]
    async fn a_nonce_is_redeemed_once_and_forgotten_after_its_expiry() {
        testing::on_each_backend(|store| async move {
            let now = at("2026-11-30T09:00:00Z");
            let expires = now + SignedDuration::from_secs(30);
            assert!(store.redeem_stream_token("n1", expires, now).await.unwrap());
            assert!(!store.redeem_stream_token("n1", expires, now).await.unwrap());
            assert!(store.redeem_stream_token("n2", expires, now).await.unwrap());
            assert_eq!(
                store.purge_stream_token_redemptions(expires).await.unwrap(),
                0,
                "kept through its expiry"
            );
            let after = expires + SignedDuration::from_millis(1);
            assert_eq!(store.purge_stream_token_redemptions(after).await.unwrap(), 2);
            assert!(store.redeem_stream_token("n1", expires, now).await.unwrap());
        })
        .await;
    }
}
