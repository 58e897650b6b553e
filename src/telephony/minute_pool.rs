//! The minute pool an account's agents share, read when a call is answered: the plan's
//! `monthly_minutes` against the minutes used in the billing period that contains the call
//! (`store::usage`, the figure the REST API reports), as [`MinutesLeft`].
//!
//! Each account's figure is kept for a short while (`ttl`, a few seconds) so that a busy
//! account's calls do not each sum its period's calls: a pool that runs out is seen by the
//! next call once the kept figure expires, so within `ttl`. A figure is kept for its billing
//! period only: a call in the next period reads its own (nothing to reset when a period
//! starts). Failed reads are not kept.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jiff::Timestamp;

use crate::manage::billing_period;
use crate::store::{Account, Store, StoreError};

use super::route::MinutesLeft;

/// How long an account's figure is reused unless configured.
pub const DEFAULT_TTL: Duration = Duration::from_secs(5);
/// Beyond this many accounts kept, the expired ones are dropped before one more is kept.
const PRUNE_ABOVE: usize = 10_000;

struct Kept {
    period_start: Timestamp,
    left: MinutesLeft,
    expires: Instant,
}

/// The accounts' minute pools, each read at most once per `ttl`.
pub struct MinutePools {
    store: Store,
    ttl: Duration,
    kept: Mutex<HashMap<String, Kept>>,
}

impl MinutePools {
    /// Figures reused for `ttl` (zero: every call reads its pool).
    pub fn new(store: Store, ttl: Duration) -> Self {
        MinutePools {
            store,
            ttl,
            kept: Mutex::new(HashMap::new()),
        }
    }

    /// What is left of `account`'s pool in its billing period that contains `now`.
    pub async fn left(&self, account: &Account, now: Timestamp) -> Result<MinutesLeft, StoreError> {
        let zone = crate::timezone::zone(&account.timezone)
            .map_err(|refused| StoreError::invalid("account timezone", refused.to_string()))?;
        let period = billing_period(account.created_at, &zone, now);
        if let Some(left) = self.kept(account.id.as_str(), period.start, Instant::now()) {
            return Ok(left);
        }
        let plan = self.store.account_plan(&account.id).await?;
        let left = match plan.monthly_minutes {
            None => MinutesLeft::Unlimited,
            Some(limit) => {
                let used = self.store.usage(&account.id, period.start, period.end).await?;
                MinutesLeft::of(used.minutes, Some(limit))
            }
        };
        self.keep(account.id.as_str(), period.start, left, Instant::now());
        Ok(left)
    }

    fn kept(&self, account_id: &str, period_start: Timestamp, now: Instant) -> Option<MinutesLeft> {
        let kept = self.kept.lock().expect("minute pools");
        kept.get(account_id)
            .filter(|kept| kept.period_start == period_start && now < kept.expires)
            .map(|kept| kept.left)
    }

    fn keep(&self, account_id: &str, period_start: Timestamp, left: MinutesLeft, now: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let mut kept = self.kept.lock().expect("minute pools");
        if kept.len() >= PRUNE_ABOVE {
            kept.retain(|_, kept| now < kept.expires);
        }
        kept.insert(
            account_id.to_owned(),
            Kept {
                period_start,
                left,
                expires: now + self.ttl,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_figure_is_reused_within_its_ttl_and_its_period_only() {
        let db = crate::store::testing::sqlite().await;
        let pools = MinutePools::new(db.store(), Duration::from_secs(5));
        let t0 = Instant::now();
        let june: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
        let july: Timestamp = "2026-07-01T00:00:00Z".parse().unwrap();
        pools.keep("acc", june, MinutesLeft::Left(0), t0);
        assert_eq!(
            pools.kept("acc", june, t0 + Duration::from_secs(4)),
            Some(MinutesLeft::Left(0))
        );
        assert_eq!(
            pools.kept("acc", june, t0 + Duration::from_secs(5)),
            None,
            "expired"
        );
        assert_eq!(pools.kept("acc", july, t0), None, "another period reads its own");
        assert_eq!(pools.kept("other", june, t0), None);
    }
}
