//! The email outbox's rules, pure and given `now`: which SMTP failures are worth another
//! attempt, and when. The backoff itself (exponential from a base, capped, bounded attempts)
//! and the due rule are the background jobs' shared ones (`crate::backoff`).
//!
//! A 5xx reply is the server's final word (RFC 5321 §4.2.1: a permanent negative completion,
//! the same message will be refused again), so the job ends as failed with the reply. A 4xx
//! reply (mailbox busy, greylisting, a full queue), a connection that could not be made or
//! broke, a TLS failure and a timeout are tried again after the backoff.

use std::time::Duration;

use jiff::Timestamp;

pub use crate::backoff::{Backoff, is_due};

/// The emails' policy: 30 s, 1 min, 2 min, … up to an hour, 6 attempts in all.
pub const EMAIL_BACKOFF: Backoff = Backoff {
    base: Duration::from_secs(30),
    cap: Duration::from_secs(60 * 60),
    max_attempts: 6,
};

/// What to do with a job after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Try again at this time.
    RetryAt(Timestamp),
    /// Never try again.
    GiveUp,
}

/// How one SMTP attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpFailure {
    /// A 5xx reply.
    Permanent { code: u16 },
    /// A 4xx reply.
    Transient { code: u16 },
    /// No reply to go by: the connection, TLS, a timeout.
    Connection,
    /// The message cannot be written (an address that is not one): never tried again.
    Unsendable,
}

impl SmtpFailure {
    /// The reply code, when the server gave one.
    pub fn code(self) -> Option<u16> {
        match self {
            SmtpFailure::Permanent { code } | SmtpFailure::Transient { code } => Some(code),
            SmtpFailure::Connection | SmtpFailure::Unsendable => None,
        }
    }
}

/// What to do after the `attempt`-th attempt (1-based) failed with `failure` at `now`.
pub fn after_failure(backoff: &Backoff, attempt: u32, failure: SmtpFailure, now: Timestamp) -> Verdict {
    if matches!(failure, SmtpFailure::Permanent { .. } | SmtpFailure::Unsendable) {
        return Verdict::GiveUp;
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
    fn a_5xx_ends_the_job_and_a_4xx_or_a_lost_connection_waits_and_tries_again() {
        let backoff = EMAIL_BACKOFF;
        assert_eq!(
            after_failure(&backoff, 1, SmtpFailure::Permanent { code: 550 }, t0()),
            Verdict::GiveUp
        );
        assert_eq!(
            after_failure(&backoff, 1, SmtpFailure::Unsendable, t0()),
            Verdict::GiveUp
        );
        assert_eq!(
            after_failure(&backoff, 1, SmtpFailure::Transient { code: 451 }, t0()),
            Verdict::RetryAt(t0() + SignedDuration::from_secs(30))
        );
        assert_eq!(
            after_failure(&backoff, 2, SmtpFailure::Connection, t0()),
            Verdict::RetryAt(t0() + SignedDuration::from_secs(60))
        );
    }

    #[test]
    fn the_last_attempt_gives_up_even_on_a_4xx() {
        let backoff = Backoff {
            max_attempts: 3,
            ..EMAIL_BACKOFF
        };
        let busy = SmtpFailure::Transient { code: 421 };
        assert!(matches!(
            after_failure(&backoff, 2, busy, t0()),
            Verdict::RetryAt(_)
        ));
        assert_eq!(after_failure(&backoff, 3, busy, t0()), Verdict::GiveUp);
        assert_eq!(busy.code(), Some(421));
        assert_eq!(SmtpFailure::Connection.code(), None);
    }
}
