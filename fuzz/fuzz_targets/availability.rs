//! The availability engine on arbitrary hours, overrides, blackouts, event types and bookings
//! around the spring 2026 clock changes. Besides not panicking, the two ways of asking must
//! agree: every slot offered is in order, unique, inside the query, and passes `check`.
#![no_main]

use arbitrary::Arbitrary;
use jiff::civil::{Date, Weekday, date};
use jiff::{SignedDuration, Timestamp, ToSpan};
use libfuzzer_sys::fuzz_target;
use switchboard::availability::{Availability, EventType, ExistingBooking, Schedule, SlotQuery, TimeRange};

const ZONES: [&str; 6] = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "UTC",
    "Pacific/Chatham",
];
/// The window every date and instant falls in: March to mid-May 2026, across the US, EU and
/// southern-hemisphere changes.
const DAYS: u16 = 75;

fn day(offset: u16) -> Date {
    date(2026, 3, 1) + i64::from(offset % DAYS).days()
}

fn instant(minutes: u32) -> Timestamp {
    let base: Timestamp = "2026-03-01T00:00:00Z".parse().expect("a valid instant");
    base + SignedDuration::from_mins(i64::from(minutes % (u32::from(DAYS) * 24 * 60)))
}

fn mins(minutes: u16) -> SignedDuration {
    SignedDuration::from_mins(i64::from(minutes))
}

#[derive(Debug, Arbitrary)]
struct Hours {
    weekday: u8,
    start_minute: u16,
    end_minute: u16,
}

#[derive(Debug, Arbitrary)]
struct Case {
    zone: u8,
    weekly: Vec<Hours>,
    overrides: Vec<(u16, Vec<(u16, u16)>)>,
    blackouts: Vec<u16>,
    duration: u8,
    buffer_before: u8,
    buffer_after: u8,
    notice_minutes: u16,
    interval: Option<u8>,
    max_days_ahead: u8,
    per_day_limit: Option<u8>,
    bookings: Vec<(u32, u8, bool)>,
    now_minute: u32,
    first_day: u16,
    span_days: u8,
    query_zone: u8,
}

fuzz_target!(|case: Case| {
    let zone = ZONES[usize::from(case.zone) % ZONES.len()];
    let Ok(mut schedule) = Schedule::for_iana_zone(zone) else {
        return;
    };
    for hours in case.weekly.iter().take(12) {
        let weekday = Weekday::from_monday_zero_offset((hours.weekday % 7) as i8).expect("0..7 is a weekday");
        if let Ok(range) = TimeRange::from_minutes(hours.start_minute % 1441, hours.end_minute % 1441) {
            schedule.add_weekly(weekday, range);
        }
    }
    for (offset, ranges) in case.overrides.iter().take(6) {
        let ranges = ranges
            .iter()
            .take(4)
            .filter_map(|&(s, e)| TimeRange::from_minutes(s % 1441, e % 1441).ok());
        schedule.set_override(day(*offset), ranges.collect::<Vec<_>>());
    }
    for offset in case.blackouts.iter().take(6) {
        schedule.add_blackout(day(*offset));
    }

    let mut event_type = EventType::new("visit", "Visit", mins(u16::from(case.duration)));
    event_type.buffer_before = mins(u16::from(case.buffer_before));
    event_type.buffer_after = mins(u16::from(case.buffer_after));
    event_type.minimum_notice = mins(case.notice_minutes % (7 * 24 * 60));
    event_type.slot_interval = case.interval.map(|m| mins(u16::from(m)));
    event_type.max_days_ahead = u32::from(case.max_days_ahead % 90);
    event_type.per_day_limit = case.per_day_limit.map(u32::from);

    let bookings: Vec<ExistingBooking> = case
        .bookings
        .iter()
        .take(64)
        .map(|&(start, length, same_type)| {
            let start = instant(start);
            ExistingBooking {
                start,
                end: start + mins(u16::from(length)),
                buffer_before: mins(u16::from(length % 30)),
                buffer_after: mins(u16::from(length % 20)),
                event_type: if same_type { "visit" } else { "other" }.to_owned(),
            }
        })
        .collect();

    // An invalid definition is refused, not used: nothing more to check.
    let Ok(availability) = Availability::new(&schedule, &event_type, &bookings) else {
        return;
    };
    let now = instant(case.now_minute);
    let query_zone = ZONES[usize::from(case.query_zone) % ZONES.len()];
    let Ok(query_zone) = jiff::tz::TimeZone::get(query_zone) else {
        return;
    };
    let first = day(case.first_day);
    let last = first + i64::from(case.span_days % 14).days();
    let Ok(query) = SlotQuery::days(first, last, query_zone) else {
        return;
    };

    let slots = availability.slots(&query, now);
    for pair in slots.windows(2) {
        assert!(pair[0] < pair[1], "slots out of order or repeated: {pair:?}");
    }
    for &slot in &slots {
        assert!(
            slot >= query.start() && slot < query.end(),
            "slot {slot} outside the query"
        );
        if let Err(refusal) = availability.check(slot, now) {
            panic!("slot {slot} was offered but check refuses it: {refusal:?}");
        }
    }
});
