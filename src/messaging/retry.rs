//! The outbox's rules, pure and given `now`: when a job is due, how long to wait after a failed
//! attempt, and which failures are worth another attempt.
//!
//! A send that Twilio refused for good (a 4xx other than 429: a bad number, an opted-out
//! recipient, error 21610) is never tried again. A 5xx, a 429 or a transport failure is tried
//! again after an exponential backoff (base × 2^(attempt−1), capped), up to `max_attempts`.
//! A timeout is the one failure after which the message may have been accepted: the worker
//! looks for it at Twilio before the next attempt (see `Verdict::LookBeforeResend`).

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

/// How a send attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// Twilio answered with an HTTP status and (for its errors) a Twilio error code.
    Refused { status: u16, code: Option<i64> },
    /// No answer: the request may never have arrived (connection refused, reset before sent).
    NotDelivered,
    /// The request was sent but no answer came in time: Twilio may have accepted it.
    TimedOut,
}

/// Twilio's code for a recipient who texted STOP to the sending number.
pub const UNSUBSCRIBED_RECIPIENT: i64 = 21610;

/// What to do with a job after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Try again at this time.
    RetryAt(Timestamp),
    /// Try again at this time, but first look at Twilio for a message already accepted.
    LookBeforeResend(Timestamp),
    /// Never try again.
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
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(60 * 60),
            max_attempts: 6,
        }
    }
}

impl SendFailure {
    /// Whether another attempt could succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            SendFailure::Refused { status, .. } => *status == 429 || *status >= 500,
            SendFailure::NotDelivered | SendFailure::TimedOut => true,
        }
    }

    /// Whether the recipient opted out of texts from the sending number at Twilio.
    pub fn is_opt_out(&self) -> bool {
        matches!(
            self,
            SendFailure::Refused {
                code: Some(UNSUBSCRIBED_RECIPIENT),
                ..
            }
        )
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

    /// What to do after the `attempt`-th attempt failed with `failure` at `now`.
    pub fn after_failure(&self, attempt: u32, failure: &SendFailure, now: Timestamp) -> Verdict {
        if !failure.is_transient() || attempt >= self.max_attempts {
            return Verdict::GiveUp;
        }
        let wait = SignedDuration::try_from(self.delay(attempt)).unwrap_or(SignedDuration::MAX);
        let at = now.saturating_add(wait).unwrap_or(now);
        match failure {
            SendFailure::TimedOut => Verdict::LookBeforeResend(at),
            _ => Verdict::RetryAt(at),
        }
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

    #[test]
    fn the_wait_doubles_up_to_the_cap() {
        let backoff = Backoff::default();
        assert_eq!(backoff.delay(1), Duration::from_secs(30));
        assert_eq!(backoff.delay(2), Duration::from_secs(60));
        assert_eq!(backoff.delay(3), Duration::from_secs(120));
        assert_eq!(backoff.delay(40), Duration::from_secs(3600));
    }

    #[test]
    fn server_errors_and_429_are_retried_and_refusals_never() {
        let backoff = Backoff::default();
        let later = t0() + SignedDuration::from_secs(30);
        for status in [500, 502, 503, 429] {
            let failure = SendFailure::Refused { status, code: None };
            assert_eq!(backoff.after_failure(1, &failure, t0()), Verdict::RetryAt(later));
        }
        for (status, code) in [(400, Some(21610)), (400, Some(21211)), (401, None), (404, None)] {
            let failure = SendFailure::Refused { status, code };
            assert_eq!(
                backoff.after_failure(1, &failure, t0()),
                Verdict::GiveUp,
                "{status}"
            );
        }
        assert!(
            SendFailure::Refused {
                status: 400,
                code: Some(21610)
            }
            .is_opt_out()
        );
        assert!(
            !SendFailure::Refused {
                status: 400,
                code: Some(21211)
            }
            .is_opt_out()
        );
    }

    #[test]
    fn a_timeout_is_looked_up_before_the_next_attempt() {
        let backoff = Backoff::default();
        assert_eq!(
            backoff.after_failure(2, &SendFailure::TimedOut, t0()),
            Verdict::LookBeforeResend(t0() + SignedDuration::from_secs(60))
        );
        assert_eq!(
            backoff.after_failure(1, &SendFailure::NotDelivered, t0()),
            Verdict::RetryAt(t0() + SignedDuration::from_secs(30))
        );
    }

    #[test]
    fn the_last_attempt_gives_up() {
        let backoff = Backoff {
            max_attempts: 3,
            ..Backoff::default()
        };
        let failure = SendFailure::Refused {
            status: 503,
            code: None,
        };
        assert!(matches!(
            backoff.after_failure(2, &failure, t0()),
            Verdict::RetryAt(_)
        ));
        assert_eq!(backoff.after_failure(3, &failure, t0()), Verdict::GiveUp);
    }

    #[test]
    fn a_job_is_due_from_its_next_attempt_on() {
        assert!(is_due(t0(), t0()));
        assert!(!is_due(t0() + SignedDuration::from_millis(1), t0()));
    }

    proptest! {
        /// The wait never shrinks from one attempt to the next and never passes the cap.
        #[test]
        fn the_wait_grows_and_stays_capped(base_ms in 1u64..100_000, cap_ms in 1u64..10_000_000, attempt in 1u32..64) {
            let backoff = Backoff {
                base: Duration::from_millis(base_ms),
                cap: Duration::from_millis(cap_ms),
                max_attempts: 100,
            };
            prop_assert!(backoff.delay(attempt) <= backoff.delay(attempt + 1));
            prop_assert!(backoff.delay(attempt) <= backoff.cap);
        }
    }
}
