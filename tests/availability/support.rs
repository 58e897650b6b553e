//! Small builders shared by the availability tests.

use jiff::civil::{Date, DateTime, Weekday, time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use switchboard::availability::{Availability, EventType, ExistingBooking, Schedule, SlotQuery, TimeRange};

pub const EVERY_DAY: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

pub const WEEKDAYS: [Weekday; 5] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
];

pub fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).expect("the zone is in the system tz database")
}

pub fn instant(text: &str) -> Timestamp {
    text.parse().expect("an RFC 3339 instant")
}

pub fn range(start: (i8, i8), end: (i8, i8)) -> TimeRange {
    TimeRange::new(time(start.0, start.1, 0, 0), time(end.0, end.1, 0, 0))
}

pub fn minutes(count: i64) -> SignedDuration {
    SignedDuration::from_mins(count)
}

/// A host in `zone` open during `hours` on every `days`.
pub fn host(zone_name: &str, days: &[Weekday], hours: &[TimeRange]) -> Schedule {
    let mut schedule = Schedule::for_iana_zone(zone_name).expect("known zone");
    for &day in days {
        for &hours in hours {
            schedule.add_weekly(day, hours);
        }
    }
    schedule
}

/// An event type lasting `duration_min` minutes on a grid of `interval_min` minutes, with
/// no other constraint (bookable far ahead so dated tests are not cut off).
pub fn event(duration_min: i64, interval_min: i64) -> EventType {
    let mut event = EventType::new("consult", "Consultation", minutes(duration_min));
    event.slot_interval = Some(minutes(interval_min));
    event.max_days_ahead = 400;
    event
}

pub fn booking(start: Timestamp, length_min: i64, event_type: &str) -> ExistingBooking {
    ExistingBooking {
        start,
        end: start + minutes(length_min),
        buffer_before: SignedDuration::ZERO,
        buffer_after: SignedDuration::ZERO,
        event_type: event_type.to_string(),
    }
}

/// The slots of `first ..= last` read in the host's own timezone.
pub fn host_slots(
    schedule: &Schedule,
    event: &EventType,
    bookings: &[ExistingBooking],
    first: Date,
    last: Date,
    now: Timestamp,
) -> Vec<Timestamp> {
    let query = SlotQuery::days(first, last, schedule.timezone().clone()).expect("valid query");
    Availability::new(schedule, event, bookings)
        .expect("valid event type")
        .slots(&query, now)
}

/// The slots of `first ..= last` in the host's timezone with no bookings, asked long before.
pub fn open_slots(schedule: &Schedule, event: &EventType, first: Date, last: Date) -> Vec<Timestamp> {
    host_slots(schedule, event, &[], first, last, long_before())
}

/// Instants as wall-clock times with offsets in `zone`, e.g. "2026-03-08T03:00-04:00".
pub fn wall(slots: &[Timestamp], zone: &TimeZone) -> Vec<String> {
    slots
        .iter()
        .map(|&at| zone.to_datetime(at).strftime("%Y-%m-%dT%H:%M").to_string() + &offset(at, zone))
        .collect()
}

fn offset(at: Timestamp, zone: &TimeZone) -> String {
    let seconds = zone.to_offset(at).seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.abs();
    format!("{sign}{:02}:{:02}", seconds / 3600, seconds % 3600 / 60)
}

/// The unambiguous instant of a wall-clock time in `zone`.
pub fn at_local(zone: &TimeZone, local: DateTime) -> Timestamp {
    zone.to_ambiguous_timestamp(local)
        .unambiguous()
        .expect("an unambiguous local time")
}

/// A moment well before any test date, so notice and the past never interfere.
pub fn long_before() -> Timestamp {
    instant("2026-01-01T00:00:00Z")
}
