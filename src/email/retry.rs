//! The email outbox's rules, pure and given `now`: which SMTP failures are worth another
//! attempt, and when. The backoff itself (exponential from a base, capped, bounded attempts)
//! and the due rule are the SMS outbox's (`messaging::retry`).
//!
//! A 5xx reply is the server's final word (RFC 5321 §4.2.1: a permanent negative completion,
//! the same message will be refused again), so the job ends as failed with the reply. A 4xx
//! reply (mailbox busy, greylisting, a full queue), a connection that could not be made or
//! broke, a TLS failure and a timeout are tried again after the backoff.

use jiff::{SignedDuration, Timestamp};

pub use crate::messaging::retry::{Backoff, Verdict, is_due};

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
    if matches!(failure, SmtpFailure::Permanent { .. } | SmtpFailure::Unsendable)
        || attempt >= backoff.max_attempts
    {
        return Verdict::GiveUp;
    }
    let wait = SignedDuration::try_from(backoff.delay(attempt)).unwrap_or(SignedDuration::MAX);
    Verdict::RetryAt(now.saturating_add(wait).unwrap_or(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        "2026-03-10T14:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_5xx_ends_the_job_and_a_4xx_or_a_lost_connection_waits_and_tries_again() {
        let backoff = Backoff::default();
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
            ..Backoff::default()
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
