//! The outbox's rules, pure and given `now`: when a job is due, how long to wait after a failed
//! attempt, and which failures are worth another attempt.
//!
//! A send that Twilio refused for good (a 4xx other than 429: a bad number, an opted-out
//! recipient, error 21610) is never tried again. A 5xx, a 429 or a transport failure is tried
//! again after the shared exponential backoff (`crate::backoff`), up to `max_attempts`.
//! A timeout is the one failure after which the message may have been accepted: the worker
//! looks for it at Twilio before the next attempt (see `Verdict::LookBeforeResend`).

use std::time::Duration;

use jiff::Timestamp;

pub use crate::backoff::{Backoff, is_due};

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

/// The texts' retry policy: 30 s, 1 min, 2 min, … capped at an hour, six attempts.
pub const TEXT_BACKOFF: Backoff = Backoff {
    base: Duration::from_secs(30),
    cap: Duration::from_secs(60 * 60),
    max_attempts: 6,
};

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

/// What to do after the `attempt`-th attempt failed with `failure` at `now`.
pub fn after_failure(backoff: &Backoff, attempt: u32, failure: &SendFailure, now: Timestamp) -> Verdict {
    if !failure.is_transient() {
        return Verdict::GiveUp;
    }
    match (backoff.retry_at(attempt, now), failure) {
        (None, _) => Verdict::GiveUp,
        (Some(at), SendFailure::TimedOut) => Verdict::LookBeforeResend(at),
        (Some(at), _) => Verdict::RetryAt(at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    fn t0() -> Timestamp {
        "2026-03-10T14:00:00Z".parse().unwrap()
    }

    #[test]
    fn server_errors_and_429_are_retried_and_refusals_never() {
        let backoff = TEXT_BACKOFF;
        let later = t0() + SignedDuration::from_secs(30);
        for status in [500, 502, 503, 429] {
            let failure = SendFailure::Refused { status, code: None };
            assert_eq!(
                after_failure(&backoff, 1, &failure, t0()),
                Verdict::RetryAt(later)
            );
        }
        for (status, code) in [(400, Some(21610)), (400, Some(21211)), (401, None), (404, None)] {
            let failure = SendFailure::Refused { status, code };
            assert_eq!(
                after_failure(&backoff, 1, &failure, t0()),
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
        let backoff = TEXT_BACKOFF;
        assert_eq!(
            after_failure(&backoff, 2, &SendFailure::TimedOut, t0()),
            Verdict::LookBeforeResend(t0() + SignedDuration::from_secs(60))
        );
        assert_eq!(
            after_failure(&backoff, 1, &SendFailure::NotDelivered, t0()),
            Verdict::RetryAt(t0() + SignedDuration::from_secs(30))
        );
    }

    #[test]
    fn the_last_attempt_gives_up() {
        let backoff = Backoff {
            max_attempts: 3,
            ..TEXT_BACKOFF
        };
        let failure = SendFailure::Refused {
            status: 503,
            code: None,
        };
        assert!(matches!(
            after_failure(&backoff, 2, &failure, t0()),
            Verdict::RetryAt(_)
        ));
        assert_eq!(after_failure(&backoff, 3, &failure, t0()), Verdict::GiveUp);
    }
}
