//! Exponential backoff for background jobs that talk to someone else's server (texts at
//! Twilio, webhook deliveries, emails), pure and given `now`: the wait after a failed attempt
//! (base × 2^(attempt−1), capped), the last attempt, and when a job is due. Which failures are
//! worth another attempt is each job's own rule (`messaging::retry`, `webhooks::retry`).

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

/// A retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failed attempt.
    pub base: Duration,
    /// The longest wait.
    pub cap: Duration,
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
}

impl Backoff {
    /// The wait after the `attempt`-th failed attempt (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.base
            .checked_mul(1u32 << doublings)
            .map_or(self.cap, |d| d.min(self.cap))
    }

    /// When to try again after the `attempt`-th attempt (1-based) failed at `now`, or `None`
    /// when that was the last one.
    pub fn retry_at(&self, attempt: u32, now: Timestamp) -> Option<Timestamp> {
        if attempt >= self.max_attempts {
            return None;
        }
        let wait = SignedDuration::try_from(self.delay(attempt)).unwrap_or(SignedDuration::MAX);
        Some(now.saturating_add(wait).unwrap_or(now))
    }
}

/// Whether a pending job whose next attempt is at `next_attempt_at` is due at `now`.
pub fn is_due(next_attempt_at: Timestamp, now: Timestamp) -> bool {
    next_attempt_at <= now
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t0() -> Timestamp {
        "2026-03-10T14:00:00Z".parse().unwrap()
    }

    const POLICY: Backoff = Backoff {
        base: Duration::from_secs(30),
        cap: Duration::from_secs(3600),
        max_attempts: 3,
    };

    #[test]
    fn the_wait_doubles_up_to_the_cap() {
        assert_eq!(POLICY.delay(1), Duration::from_secs(30));
        assert_eq!(POLICY.delay(2), Duration::from_secs(60));
        assert_eq!(POLICY.delay(3), Duration::from_secs(120));
        assert_eq!(POLICY.delay(40), Duration::from_secs(3600));
    }

    #[test]
    fn the_last_attempt_has_no_next_one() {
        assert_eq!(
            POLICY.retry_at(1, t0()),
            Some(t0() + SignedDuration::from_secs(30))
        );
        assert_eq!(
            POLICY.retry_at(2, t0()),
            Some(t0() + SignedDuration::from_secs(60))
        );
        assert_eq!(POLICY.retry_at(3, t0()), None);
    }

    #[test]
    fn a_job_is_due_from_its_next_attempt_on() {
        assert!(is_due(t0(), t0()));
        assert!(!is_due(t0() + SignedDuration::from_millis(1), t0()));
    }

    proptest! {
        /// The wait never shrinks from one attempt to the next, never passes the cap, and a
        /// retry is never due before `now`.
        #[test]
        fn the_wait_grows_and_stays_capped(base_ms in 1u64..100_000, cap_ms in 1u64..10_000_000, attempt in 1u32..64) {
            let backoff = Backoff {
                base: Duration::from_millis(base_ms),
                cap: Duration::from_millis(cap_ms),
                max_attempts: 100,
            };
            prop_assert!(backoff.delay(attempt) <= backoff.delay(attempt + 1));
            prop_assert!(backoff.delay(attempt) <= backoff.cap);
            let at = backoff.retry_at(attempt, t0()).unwrap();
            prop_assert!(at > t0());
        }
    }
}
