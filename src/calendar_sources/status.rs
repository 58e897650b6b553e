//! The poll rules, pure: when a source is due next (its interval after a success, exponential
//! backoff after failures, capped), and whether its cached copy is stale (the last fetch failed,
//! or the last good one is older than a few intervals), as of an explicit `now`.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

/// A copy older than this many poll intervals is stale even if nothing failed.
pub const STALE_AFTER_INTERVALS: u32 = 3;
/// The longest wait between attempts at a failing source.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60 * 60);
/// The first wait after a failure.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(60);

/// How a source's cached copy stands, for the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    /// When the last good copy was read (or found unchanged).
    pub last_synced_at: Option<Timestamp>,
    /// Availability is using an old copy, or none.
    pub stale: bool,
}

/// The freshness of a source last read well at `last_success`, with `failures` failed
/// attempts since, polled every `poll_every`.
pub fn freshness(
    last_success: Option<Timestamp>,
    failures: u32,
    poll_every: Duration,
    now: Timestamp,
) -> Freshness {
    let limit = SignedDuration::try_from(poll_every * STALE_AFTER_INTERVALS).unwrap_or(SignedDuration::MAX);
    let stale = match last_success {
        None => true,
        Some(at) => failures > 0 || now.duration_since(at) > limit,
    };
    Freshness {
        last_synced_at: last_success,
        stale,
    }
}

/// When to try a source next: `poll_every` after a success; after the `failures`-th failure in
/// a row, `FIRST_BACKOFF` doubled each time, never past `MAX_BACKOFF` nor sooner than a poll
/// would be.
pub fn next_attempt(now: Timestamp, failures: u32, poll_every: Duration) -> Timestamp {
    let wait = if failures == 0 {
        poll_every
    } else {
        let doubled = FIRST_BACKOFF.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
        doubled.min(MAX_BACKOFF).max(poll_every.min(MAX_BACKOFF))
    };
    let wait = SignedDuration::try_from(wait).unwrap_or(SignedDuration::MAX);
    now.checked_add(wait).unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    const FIVE_MIN: Duration = Duration::from_secs(300);

    #[test]
    fn a_recent_good_copy_is_fresh_and_a_failure_or_age_makes_it_stale() {
        let now = at("2026-11-02T12:00:00Z");
        let recent = Some(at("2026-11-02T11:55:00Z"));
        assert!(!freshness(recent, 0, FIVE_MIN, now).stale);
        assert!(freshness(recent, 1, FIVE_MIN, now).stale);
        assert!(!freshness(Some(at("2026-11-02T11:45:00Z")), 0, FIVE_MIN, now).stale);
        assert!(freshness(Some(at("2026-11-02T11:44:59Z")), 0, FIVE_MIN, now).stale);
        assert!(freshness(None, 0, FIVE_MIN, now).stale, "never read");
    }

    #[test]
    fn failures_back_off_exponentially_up_to_a_cap() {
        let now = at("2026-11-02T12:00:00Z");
        let wait = |failures| now.duration_until(next_attempt(now, failures, Duration::from_secs(30)));
        assert_eq!(wait(0), SignedDuration::from_secs(30));
        assert_eq!(wait(1), SignedDuration::from_secs(60));
        assert_eq!(wait(2), SignedDuration::from_secs(120));
        assert_eq!(wait(5), SignedDuration::from_secs(960));
        assert_eq!(wait(40), SignedDuration::from_secs(3600));
        // A long poll interval is never shortened by a failure.
        let slow = now.duration_until(next_attempt(now, 1, FIVE_MIN));
        assert_eq!(slow, SignedDuration::from_secs(300));
    }
}
