//! The delivery rules, pure and given `now`: when a delivery is due, how long to wait after a
//! failed attempt, and when to give up.
//!
//! Only a 2xx answer delivers. Any other answer, or none (refused connection, timeout), is
//! tried again after the shared exponential backoff (`crate::backoff`) until
//! `max_attempts` attempts were made; then the delivery fails with the last reason.

use std::time::Duration;

use jiff::Timestamp;

pub use crate::backoff::{Backoff, is_due};

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

/// The deliveries' retry policy: 30 s, 1 min, 2 min, … capped at 6 h, eight attempts: about
/// 1 h 4 min of retries.
pub const DELIVERY_BACKOFF: Backoff = Backoff {
    base: Duration::from_secs(30),
    cap: Duration::from_secs(6 * 60 * 60),
    max_attempts: 8,
};

/// What to do after the `attempt`-th attempt (1-based) came to `result` at `now`.
pub fn after(backoff: &Backoff, attempt: u32, result: &AttemptResult, now: Timestamp) -> Verdict {
    if result.delivered() {
        return Verdict::Delivered;
    }
    backoff
        .retry_at(attempt, now)
        .map_or(Verdict::GiveUp, Verdict::RetryAt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    fn t0() -> Timestamp {
        "2026-03-10T14:00:00Z".parse().unwrap()
    }

    #[test]
    fn only_a_2xx_delivers() {
        let backoff = DELIVERY_BACKOFF;
        for status in [200, 201, 204, 299] {
            assert_eq!(
                after(&backoff, 1, &AttemptResult::Answered(status), t0()),
                Verdict::Delivered
            );
        }
        let later = t0() + SignedDuration::from_secs(30);
        for status in [100, 301, 400, 404, 410, 429, 500, 503] {
            assert_eq!(
                after(&backoff, 1, &AttemptResult::Answered(status), t0()),
                Verdict::RetryAt(later),
                "{status}"
            );
        }
        assert_eq!(
            after(&backoff, 1, &AttemptResult::NoAnswer("timed out".into()), t0()),
            Verdict::RetryAt(later)
        );
    }

    #[test]
    fn the_wait_doubles_from_each_attempt_up_to_the_cap() {
        let backoff = DELIVERY_BACKOFF;
        let failed = AttemptResult::Answered(500);
        let expected = [30, 60, 120, 240, 480, 960, 1920];
        for (attempt, secs) in (1..).zip(expected) {
            assert_eq!(
                after(&backoff, attempt, &failed, t0()),
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
            ..DELIVERY_BACKOFF
        };
        let failed = AttemptResult::NoAnswer("connection refused".into());
        assert!(matches!(after(&backoff, 2, &failed, t0()), Verdict::RetryAt(_)));
        assert_eq!(after(&backoff, 3, &failed, t0()), Verdict::GiveUp);
        assert_eq!(
            after(&backoff, 3, &AttemptResult::Answered(200), t0()),
            Verdict::Delivered
        );
    }
}
