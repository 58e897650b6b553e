//! A host's booking feed: its confirmed bookings as an iCalendar a calendar app subscribes to,
//! built as a pure function of (host, bookings, now).
//!
//! - One VEVENT per confirmed booking in [`window`] (30 days back, a year ahead). Its UID is
//!   that of the booking the appointment was first made as, so a move (which stores a new
//!   booking pointing at the old one) updates the subscriber's event in place, with SEQUENCE
//!   counting the moves.
//! - Cancelled and replaced bookings are left out rather than sent as `STATUS:CANCELLED`: a
//!   subscriber replaces its copy with each fetch of a `METHOD:PUBLISH` feed, so an event that
//!   is gone from the feed is gone from its calendar, while a cancelled one would stay on show
//!   (struck through, or not at all, depending on the app) in every later fetch.
//! - Times are the host's wall clock (`DTSTART;TZID=<zone>`), with the zone's VTIMEZONE
//!   (`vtimezone`) over the bookings' span. A time the clock reads twice (the hour repeated
//!   when it falls back) means its first reading (RFC 5545 §3.3.5), so a booking in the second
//!   reading is written in UTC instead.
//! - DTSTAMP and LAST-MODIFIED are the booking's last change, not the time of the request, so
//!   the same bookings give the same bytes and the ETag (a hash of them) only moves when the
//!   feed does.

use icalendar::{Calendar, Component, EventStatus, Property};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use super::plain_text;
use super::vtimezone::vtimezone;

/// How far back the feed reaches.
pub const DAYS_BACK: i64 = 30;
/// How far ahead the feed reaches.
pub const DAYS_AHEAD: i64 = 365;
/// How often subscribers are asked to fetch it again (`REFRESH-INTERVAL`, `X-PUBLISHED-TTL`).
const REFRESH: &str = "PT15M";
const PRODID: &str = "-//switchboard//booking feed//EN";

/// The host a feed is of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedHost {
    pub name: String,
    /// IANA zone of the host's clock.
    pub timezone: String,
}

/// Where a booking stands; only confirmed ones are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryStatus {
    Confirmed,
    Cancelled,
    /// Moved: a newer booking carries the appointment on.
    Replaced,
}

/// One of the host's bookings, as the feed reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    pub status: EntryStatus,
    /// The id of the booking the appointment was first made as (itself when never moved).
    pub first_booking_id: String,
    /// How many times it was moved.
    pub reschedules: u32,
    pub reference: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// The booking's last change.
    pub changed_at: Timestamp,
    /// The meeting type's name.
    pub meeting_type: String,
    pub invitee_name: String,
    pub invitee_email: Option<String>,
    pub invitee_phone: Option<String>,
    pub notes: Option<String>,
    /// The call that made or moved it: its id and where the API shows it.
    pub call: Option<FeedCall>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedCall {
    pub id: String,
    pub url: String,
}

/// The feed as served: the calendar, its strong ETag (quoted), and the latest change to any
/// booking in the window, shown or not (a cancellation changes the feed too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingFeed {
    pub body: String,
    pub etag: String,
    pub last_modified: Option<Timestamp>,
}

/// The host's zone is not one the tz database knows (stored zones are checked when written,
/// so this is a database out of step with the code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownZone(pub String);

impl std::fmt::Display for UnknownZone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the host's time zone {:?} is not in the tz database", self.0)
    }
}

impl std::error::Error for UnknownZone {}

/// The instants the feed covers at `now`: bookings ending after the first and starting before
/// the second.
pub fn window(now: Timestamp) -> (Timestamp, Timestamp) {
    let day = SignedDuration::from_hours(24);
    (
        now.saturating_sub(day * DAYS_BACK as i32).expect("a day count"),
        now.saturating_add(day * DAYS_AHEAD as i32).expect("a day count"),
    )
}

/// The feed of `host` with the confirmed `entries` in [`window`] at `now`, by start.
pub fn build(host: &FeedHost, entries: &[FeedEntry], now: Timestamp) -> Result<BookingFeed, UnknownZone> {
    let zone = TimeZone::get(&host.timezone).map_err(|_| UnknownZone(host.timezone.clone()))?;
    let (from, to) = window(now);
    let in_window: Vec<&FeedEntry> = entries
        .iter()
        .filter(|entry| entry.end > from && entry.start < to)
        .collect();
    let last_modified = in_window.iter().map(|entry| entry.changed_at).max();
    let mut shown: Vec<&FeedEntry> = in_window
        .into_iter()
        .filter(|entry| entry.status == EntryStatus::Confirmed)
        .collect();
    shown.sort_by(|a, b| (a.start, &a.first_booking_id).cmp(&(b.start, &b.first_booking_id)));

    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("PRODID", PRODID))
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        .append_property(Property::new(
            "X-WR-CALNAME",
            plain_text(&format!("{} bookings", host.name)),
        ))
        .append_property(Property::new("X-WR-TIMEZONE", host.timezone.as_str()))
        .append_property(
            Property::new("REFRESH-INTERVAL", REFRESH)
                .add_parameter("VALUE", "DURATION")
                .done(),
        )
        .append_property(Property::new("X-PUBLISHED-TTL", REFRESH));
    // The crate writes a calendar's properties then its components, and cannot write a
    // VTIMEZONE (see `vtimezone`): the calendar's head comes from it, the VTIMEZONE is put
    // between the head and the events, each event written by the crate.
    let head = calendar.to_string();
    let mut body = head
        .strip_suffix("END:VCALENDAR\r\n")
        .expect("a calendar ends with its END line")
        .to_owned();
    if let (Some(first), Some(last)) = (
        shown.iter().map(|entry| entry.start).min(),
        shown.iter().map(|entry| entry.end).max(),
    ) {
        body.push_str(&vtimezone(&host.timezone, &zone, first, last));
    }
    for entry in shown {
        body.push_str(&event(entry, &host.timezone, &zone).to_string());
    }
    body.push_str("END:VCALENDAR\r\n");
    let etag = format!("\"{}\"", hex(&Sha256::digest(body.as_bytes())[..16]));
    Ok(BookingFeed {
        body,
        etag,
        last_modified,
    })
}

/// One appointment as a CalDAV calendar object resource (RFC 4791 §4.1): the same VEVENT the
/// feed shows (UID, times in the host's zone, SEQUENCE counting the moves) with the zone's
/// VTIMEZONE, and no `METHOD`, which a stored object must not carry.
pub fn calendar_object(host: &FeedHost, entry: &FeedEntry) -> Result<String, UnknownZone> {
    let zone = TimeZone::get(&host.timezone).map_err(|_| UnknownZone(host.timezone.clone()))?;
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("PRODID", PRODID))
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"));
    let head = calendar.to_string();
    let mut body = head
        .strip_suffix("END:VCALENDAR\r\n")
        .expect("a calendar ends with its END line")
        .to_owned();
    body.push_str(&vtimezone(&host.timezone, &zone, entry.start, entry.end));
    body.push_str(&event(entry, &host.timezone, &zone).to_string());
    body.push_str("END:VCALENDAR\r\n");
    Ok(body)
}

/// The UID of the appointment first booked as `first_booking_id`, in the feed and in the
/// calendars written to.
pub fn uid(first_booking_id: &str) -> String {
    format!("booking-{first_booking_id}{UID_DOMAIN}")
}

/// What every UID switchboard writes ends with.
pub const UID_DOMAIN: &str = "@switchboard";

fn event(entry: &FeedEntry, tzid: &str, zone: &TimeZone) -> icalendar::Event {
    let changed = utc_text(entry.changed_at);
    let mut event = icalendar::Event::new();
    event
        .uid(&uid(&entry.first_booking_id))
        .add_property("DTSTAMP", changed.as_str())
        .add_property("LAST-MODIFIED", changed.as_str())
        .append_property(date_time("DTSTART", entry.start, tzid, zone))
        .append_property(date_time("DTEND", entry.end, tzid, zone))
        .sequence(entry.reschedules)
        .summary(&plain_text(&format!(
            "{} with {}",
            entry.meeting_type, entry.invitee_name
        )))
        .description(&plain_text(&description(entry)))
        .status(EventStatus::Confirmed)
        .add_property("TRANSP", "OPAQUE");
    event.done()
}

/// What the host needs at a glance: who, how to reach them, what, and where it came from.
fn description(entry: &FeedEntry) -> String {
    let mut lines = vec![format!("Invitee: {}", entry.invitee_name)];
    if let Some(email) = &entry.invitee_email {
        lines.push(format!("Email: {email}"));
    }
    if let Some(phone) = &entry.invitee_phone {
        lines.push(format!("Phone: {phone}"));
    }
    lines.push(format!("Meeting type: {}", entry.meeting_type));
    lines.push(format!("Reference: {}", entry.reference));
    if let Some(notes) = &entry.notes {
        lines.push(format!("Notes: {notes}"));
    }
    if let Some(call) = &entry.call {
        lines.push(format!("Booked on call {}: {}", call.id, call.url));
    }
    lines.join("\n")
}

/// `name;TZID=<zone>:<local time>`, or `name:<UTC time>Z` when the local time is the second
/// reading of a repeated hour (a local time with a TZID means its first reading).
fn date_time(name: &str, at: Timestamp, tzid: &str, zone: &TimeZone) -> Property {
    let local = at.to_zoned(zone.clone()).datetime();
    let first_reading = zone.to_ambiguous_timestamp(local).earlier().unwrap_or(at);
    if first_reading != at {
        return Property::new(name, utc_text(at));
    }
    Property::new(name, local.strftime("%Y%m%dT%H%M%S").to_string())
        .add_parameter("TZID", tzid)
        .done()
}

fn utc_text(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
#[path = "booking_feed_tests.rs"]
mod tests;
