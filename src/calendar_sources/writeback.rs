//! The rules of writing bookings back to a host's writable CalDAV calendars, pure: where an
//! appointment's event lives, which request a job sends, what an answer means, and which
//! events of a calendar are ours. The IO is `writer`'s.
//!
//! - An appointment is one event for its whole life: its UID is that of the booking it was
//!   first made as (`ics::booking_feed::uid`) and its href `{collection}/{uid}.ics`, so a move
//!   rewrites the same event (SEQUENCE up) and a cancellation deletes it.
//! - The first write is `PUT` with `If-None-Match: *` (never over someone else's object); a
//!   later one sends `If-Match` with the ETag our last write got, when the server gave one.
//!   A `412` to either means the event is there but not as we left it (our earlier answer was
//!   lost, or someone edited it in their calendar app): the booking is what holds, so the
//!   event is written again without a condition, and that is recorded with the job.
//! - A cancellation is `DELETE`; `404` or `410` mean it is already gone, which is done too.
//! - A 2xx is done. No answer, `408`, `429` or a 5xx is tried again after the backoff until
//!   the last attempt; any other answer (a wrong password, a collection that is gone) fails
//!   the job at once with the reason.

use std::time::Duration;

use jiff::Timestamp;

use crate::backoff::Backoff;
use crate::ics::booking_feed::UID_DOMAIN;
use crate::store::WriteAction;

/// The write-back's retry policy: 30 s, 1 min, 2 min, … capped at 1 h, eight attempts.
pub const WRITE_BACKOFF: Backoff = Backoff {
    base: Duration::from_secs(30),
    cap: Duration::from_secs(60 * 60),
    max_attempts: 8,
};

/// Whether the event `uid` is one switchboard wrote (a booking's), so that reading the
/// calendar back does not count it as busy time blocking the booking itself.
pub fn is_written_back(uid: &str) -> bool {
    uid.starts_with("booking-") && uid.ends_with(UID_DOMAIN)
}

/// The address of the event `uid` in the collection at `collection_url`.
pub fn event_href(collection_url: &str, uid: &str) -> String {
    let name: String = uid
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}/{name}.ics", collection_url.trim_end_matches('/'))
}

/// The condition a request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `If-None-Match: *`: only if there is no such event yet.
    Absent,
    /// `If-Match: <etag>`: only if the event is as our last write left it.
    Unchanged(String),
    /// None: write (or delete) whatever is there.
    Whatever,
}

/// The request a job sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub action: WriteAction,
    pub condition: Condition,
}

/// The request for a job doing `action` to an event whose last write got `known_etag`;
/// `first` when no earlier job wrote it.
pub fn request(action: WriteAction, first: bool, known_etag: Option<&str>) -> Request {
    let condition = match (action, known_etag) {
        (WriteAction::Delete, _) => Condition::Whatever,
        (WriteAction::Put, Some(etag)) => Condition::Unchanged(etag.to_owned()),
        (WriteAction::Put, None) if first => Condition::Absent,
        (WriteAction::Put, None) => Condition::Whatever,
    };
    Request { action, condition }
}

/// How one request went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The server answered with this HTTP status.
    Status(u16),
    /// No answer came (refused, reset, timed out): why, in words.
    NoAnswer(String),
}

impl Answer {
    pub fn status_code(&self) -> Option<u16> {
        match self {
            Answer::Status(status) => Some(*status),
            Answer::NoAnswer(_) => None,
        }
    }

    fn reason(&self) -> String {
        match self {
            Answer::Status(status) => format!("the calendar answered HTTP {status}"),
            Answer::NoAnswer(why) => format!("no answer: {why}"),
        }
    }
}

/// What to do after an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Done,
    /// The condition failed: send the same body again without one.
    Overwrite,
    /// Try again at this time, for this reason.
    RetryAt(Timestamp, String),
    /// Give up, for this reason.
    Failed(String),
}

/// What the `attempt`-th attempt (1-based) of `sent` coming to `answer` at `now` means.
pub fn verdict(sent: &Request, answer: &Answer, attempt: u32, backoff: &Backoff, now: Timestamp) -> Verdict {
    let retry = |reason: String| match backoff.retry_at(attempt, now) {
        Some(at) => Verdict::RetryAt(at, reason),
        None => Verdict::Failed(format!("{reason} after {attempt} attempts")),
    };
    match (sent.action, answer) {
        (_, Answer::Status(200..=299)) => Verdict::Done,
        (WriteAction::Delete, Answer::Status(404 | 410)) => Verdict::Done,
        (WriteAction::Put, Answer::Status(412)) if sent.condition != Condition::Whatever => {
            Verdict::Overwrite
        }
        (_, Answer::NoAnswer(_)) | (_, Answer::Status(408 | 429 | 500..=599)) => retry(answer.reason()),
        (_, Answer::Status(401 | 403)) => Verdict::Failed(format!(
            "{}: the calendar refused the source's user name and password",
            answer.reason()
        )),
        (_, Answer::Status(300..=399)) => Verdict::Failed(format!(
            "{}: the calendar redirects, and writes are not redirected",
            answer.reason()
        )),
        _ => Verdict::Failed(answer.reason()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    fn t0() -> Timestamp {
        "2026-03-10T14:00:00Z".parse().unwrap()
    }

    fn put(condition: Condition) -> Request {
        Request {
            action: WriteAction::Put,
            condition,
        }
    }

    #[test]
    fn our_uids_are_known_and_others_are_not() {
        assert!(is_written_back(&crate::ics::booking_feed::uid("0190-abc")));
        assert!(!is_written_back("standup@lee"));
        assert!(!is_written_back("booking-1@example.com"));
        assert!(!is_written_back("meeting@switchboard"));
    }

    #[test]
    fn an_appointment_has_one_href_under_its_collection() {
        let uid = "booking-0190ab@switchboard";
        let expected = "https://dav.example/lee/work/booking-0190ab_switchboard.ics";
        assert_eq!(event_href("https://dav.example/lee/work/", uid), expected);
        assert_eq!(event_href("https://dav.example/lee/work", uid), expected);
        assert_eq!(
            event_href("https://dav.example/c/", "a/b?c#d"),
            "https://dav.example/c/a_b_c_d.ics"
        );
    }

    #[test]
    fn the_first_put_never_overwrites_and_a_later_one_names_our_etag() {
        assert_eq!(request(WriteAction::Put, true, None), put(Condition::Absent));
        assert_eq!(
            request(WriteAction::Put, false, Some("\"e1\"")),
            put(Condition::Unchanged("\"e1\"".into()))
        );
        assert_eq!(request(WriteAction::Put, false, None), put(Condition::Whatever));
        assert_eq!(
            request(WriteAction::Delete, false, Some("\"e1\"")).condition,
            Condition::Whatever
        );
    }

    #[test]
    fn a_2xx_is_done_and_a_gone_event_is_deleted() {
        let delete = request(WriteAction::Delete, false, None);
        for status in [200, 201, 204] {
            assert_eq!(
                verdict(
                    &put(Condition::Absent),
                    &Answer::Status(status),
                    1,
                    &WRITE_BACKOFF,
                    t0()
                ),
                Verdict::Done
            );
            assert_eq!(
                verdict(&delete, &Answer::Status(status), 1, &WRITE_BACKOFF, t0()),
                Verdict::Done
            );
        }
        for status in [404, 410] {
            assert_eq!(
                verdict(&delete, &Answer::Status(status), 1, &WRITE_BACKOFF, t0()),
                Verdict::Done
            );
            assert!(matches!(
                verdict(
                    &put(Condition::Whatever),
                    &Answer::Status(status),
                    1,
                    &WRITE_BACKOFF,
                    t0()
                ),
                Verdict::Failed(_)
            ));
        }
    }

    #[test]
    fn a_failed_condition_overwrites_once() {
        for condition in [Condition::Absent, Condition::Unchanged("\"e1\"".into())] {
            assert_eq!(
                verdict(&put(condition), &Answer::Status(412), 1, &WRITE_BACKOFF, t0()),
                Verdict::Overwrite
            );
        }
        assert!(matches!(
            verdict(
                &put(Condition::Whatever),
                &Answer::Status(412),
                1,
                &WRITE_BACKOFF,
                t0()
            ),
            Verdict::Failed(_)
        ));
    }

    #[test]
    fn server_trouble_is_retried_with_backoff_until_the_last_attempt() {
        let sent = put(Condition::Absent);
        for answer in [
            Answer::Status(500),
            Answer::Status(503),
            Answer::Status(429),
            Answer::Status(408),
            Answer::NoAnswer("timed out".into()),
        ] {
            assert!(
                matches!(verdict(&sent, &answer, 1, &WRITE_BACKOFF, t0()),
                    Verdict::RetryAt(at, _) if at == t0() + SignedDuration::from_secs(30)),
                "{answer:?}"
            );
            assert!(
                matches!(verdict(&sent, &answer, 2, &WRITE_BACKOFF, t0()),
                    Verdict::RetryAt(at, _) if at == t0() + SignedDuration::from_secs(60)),
                "{answer:?}"
            );
            let Verdict::Failed(reason) = verdict(&sent, &answer, 8, &WRITE_BACKOFF, t0()) else {
                panic!("the last attempt gives up");
            };
            assert!(reason.ends_with("after 8 attempts"), "{reason}");
        }
    }

    #[test]
    fn other_refusals_fail_at_once_with_the_reason() {
        let sent = put(Condition::Absent);
        let Verdict::Failed(reason) = verdict(&sent, &Answer::Status(401), 1, &WRITE_BACKOFF, t0()) else {
            panic!("a wrong password is not retried");
        };
        assert!(reason.contains("401") && reason.contains("password"), "{reason}");
        for status in [301, 400, 403, 405, 409, 415] {
            assert!(
                matches!(verdict(&sent, &Answer::Status(status), 1, &WRITE_BACKOFF, t0()), Verdict::Failed(r) if r.contains(&status.to_string())),
                "{status}"
            );
        }
    }
}
