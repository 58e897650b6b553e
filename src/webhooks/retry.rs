//! The delivery rules, pure and given `now`: when a delivery is due, how long to wait after a
//! failed attempt, and when to give up.
//!
//! Only a 2xx answer delivers. Any other answer, or none (refused connection, timeout), is
//! tried again after an exponential backoff (base × 2^(attempt−1), capped) until
//! `max_attempts` attempts were made; then the delivery fails with the last reason.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptResult {
    /// The endpoint answered with this HTTP status.
    Answered(u16),
    /// No answer came (connection refused, reset, timed out): why, in words.
    NoAnswer(String),
}

impl AttemptResult {
    /// Whether the attempt delivered the event: a 2xx.
    pub fn delivered(&self) -> bool {
        matches!(self, AttemptResult::Answered(status) if (200..300).contains(status))
    }

    /// The answer's status, if one came.
    pub fn status_code(&self) -> Option<u16> {
        match self {
            AttemptResult::Answered(status) => Some(*status),
            AttemptResult::NoAnswer(_) => None,
        }
    }

    /// Why the attempt did not deliver, in words.
    pub fn reason(&self) -> String {
        match self {
            AttemptResult::Answered(status) => format!("the endpoint answered HTTP {status}"),
            AttemptResult::NoAnswer(why) => format!("no answer: {why}"),
        }
    }
}

/// What to do with a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Try again at this time.
    RetryAt(Timestamp),
    /// The last attempt failed: give up.
    GiveUp,
}

/// The retry policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    pub max_attempts: u32,
}

impl Default for Backoff {
    /// 30 s, 1 min, 2 min, … capped at 6 h, eight attempts: about 1 h 4 min of retries.
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(6 * 60 * 60),
            max_attempts: 8,
        }
    }
}

impl Backoff {
    /// The wait after the `attempt`-th failed attempt (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.base
            .checked_mul(1u32 << doublings)
            .map_or(self.cap, |d| d.min(self.cap))
    }

    /// What to do after the `attempt`-th attempt (1-based) came to `result` at `now`.
    pub fn after(&self, attempt: u32, result: &AttemptResult, now: Timestamp) -> Verdict {
        if result.delivered() {
            return Verdict::Delivered;
        }
        if attempt >= self.max_attempts {
            return Verdict::GiveUp;
        }
        let wait = SignedDuration::try_from(self.delay(attempt)).unwrap_or(SignedDuration::MAX);
        Verdict::RetryAt(now.saturating_add(wait).unwrap_or(now))
    }
}

/// Whether a pending delivery whose next attempt is at `next_attempt_at` is due at `now`.
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

    #[test]
    fn only_a_2xx_delivers() {
        let backoff = Backoff::default();
        for status in [200, 201, 204, 299] {
            assert_eq!(
                backoff.after(1, &AttemptResult::Answered(status), t0()),
                Verdict::Delivered
            );
        }
        let later = t0() + SignedDuration::from_secs(30);
        for status in [100, 301, 400, 404, 410, 429, 500, 503] {
            assert_eq!(
                backoff.after(1, &AttemptResult::Answered(status), t0()),
                Verdict::RetryAt(later),
                "{status}"
            );
        }
        assert_eq!(
            backoff.after(1, &AttemptResult::NoAnswer("timed out".into()), t0()),
            Verdict::RetryAt(later)
        );
    }

    #[test]
    fn the_wait_doubles_from_each_attempt_up_to_the_cap() {
        let backoff = Backoff::default();
        let failed = AttemptResult::Answered(500);
        let expected = [30, 60, 120, 240, 480, 960, 1920];
        for (attempt, secs) in (1..).zip(expected) {
            assert_eq!(
                backoff.after(attempt, &failed, t0()),
                Verdict::RetryAt(t0() + SignedDuration::from_secs(secs)),
                "attempt {attempt}"
            );
        }
        assert_eq!(backoff.delay(40), Duration::from_secs(6 * 60 * 60));
    }

    #[test]
    fn the_last_attempt_gives_up() {
        let backoff = Backoff {
            max_attempts: 3,
            ..Backoff::default()
        };
        let failed = AttemptResult::NoAnswer("connection refused".into());
        assert!(matches!(backoff.after(2, &failed, t0()), Verdict::RetryAt(_)));
        assert_eq!(backoff.after(3, &failed, t0()), Verdict::GiveUp);
        assert_eq!(
            backoff.after(3, &AttemptResult::Answered(200), t0()),
            Verdict::Delivered
        );
    }

    #[test]
    fn a_delivery_is_due_from_its_next_attempt_on() {
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
            match backoff.after(attempt, &AttemptResult::Answered(503), t0()) {
                Verdict::RetryAt(at) => prop_assert!(!is_due(at, t0()) || backoff.delay(attempt).is_zero()),
                other => prop_assert!(false, "{other:?}"),
            }
        }
    }
}
