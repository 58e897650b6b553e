//! Invariants over random hosts, event types, bookings and queries around the 2026 DST
//! changes: offered slots are strictly increasing, each passes `check`, none collides with
//! a booking (buffers included), each sits on its range's wall-clock grid, and every start
//! that `check` accepts inside the query is offered.

use jiff::civil::{Date, Weekday, date};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Span, Timestamp};
use proptest::prelude::*;
use switchboard::availability::{
    Availability, EventType, ExistingBooking, OpenRange, Schedule, SlotQuery, TimeRange,
};

use super::support::*;

const ZONES: [&str; 7] = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "America/Los_Angeles",
    "UTC",
];

/// First days of windows that contain a DST change in one of the zones.
const WINDOW_STARTS: [(i16, i8, i8); 6] = [
    (2026, 3, 5),
    (2026, 3, 26),
    (2026, 4, 2),
    (2026, 10, 1),
    (2026, 10, 22),
    (2026, 10, 29),
];

#[derive(Debug, Clone)]
struct Scenario {
    host_zone: &'static str,
    caller_zone: &'static str,
    window_start: Date,
    weekly: Vec<(u8, u16, u16)>,
    overrides: Vec<(u8, Vec<(u16, u16)>)>,
    blackouts: Vec<u8>,
    event: EventType,
    bookings: Vec<(u32, u16, u16, u16, bool)>,
    now_offset_min: u32,
    query_offset_days: u8,
    query_days: u8,
}

/// A range as (start minute, length in minutes), 5-minute resolution, possibly past midnight.
fn time_range() -> impl Strategy<Value = (u16, u16)> {
    (0u16..288, 1u16..=288).prop_map(|(start, length)| (start * 5, length * 5))
}

fn event_type() -> impl Strategy<Value = EventType> {
    (
        1i64..=36,
        prop::option::of(2i64..=24),
        0i64..=12,
        0i64..=12,
        0i64..=192,
        0u32..=20,
        prop::option::of(1u32..=3),
    )
        .prop_map(|(duration, interval, before, after, notice, days_ahead, limit)| {
            let mut event = EventType::new("consult", "Consultation", minutes(duration * 5));
            event.slot_interval = interval.map(|steps| minutes(steps * 5));
            event.buffer_before = minutes(before * 5);
            event.buffer_after = minutes(after * 5);
            event.minimum_notice = minutes(notice * 15);
            event.max_days_ahead = days_ahead;
            event.per_day_limit = limit;
            event
        })
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        (
            prop::sample::select(&ZONES[..]),
            prop::sample::select(&ZONES[..]),
            prop::sample::select(&WINDOW_STARTS[..]),
        ),
        prop::collection::vec(
            (0u8..7, time_range()).prop_map(|(day, (start, length))| (day, start, length)),
            0..8,
        ),
        prop::collection::vec((0u8..12, prop::collection::vec(time_range(), 0..3)), 0..3),
        prop::collection::vec(0u8..12, 0..3),
        event_type(),
        // (minute of the window, length/5, buffer before/5, buffer after/5, same event type)
        prop::collection::vec(
            (0u32..12 * 1440, 1u16..=24, 0u16..=6, 0u16..=6, any::<bool>()),
            0..30,
        ),
        (0u32..3 * 1440, 0u8..6, 1u8..=6),
    )
        .prop_map(
            |(zones, weekly, overrides, blackouts, event, bookings, (now, query_offset, query_days))| {
                let (year, month, day) = zones.2;
                Scenario {
                    host_zone: zones.0,
                    caller_zone: zones.1,
                    window_start: date(year, month, day),
                    weekly,
                    overrides,
                    blackouts,
                    event,
                    bookings,
                    now_offset_min: now,
                    query_offset_days: query_offset,
                    query_days,
                }
            },
        )
}

fn plus_days(day: Date, days: u8) -> Date {
    day.checked_add(Span::new().days(i64::from(days))).unwrap()
}

fn time_range_of(start: u16, length: u16) -> TimeRange {
    TimeRange::from_minutes(start, (start + length) % 1440).unwrap()
}

struct Built {
    schedule: Schedule,
    bookings: Vec<ExistingBooking>,
    now: Timestamp,
    query: SlotQuery,
}

fn build(scenario: &Scenario) -> Built {
    let mut schedule = Schedule::for_iana_zone(scenario.host_zone).unwrap();
    for &(day, start, length) in &scenario.weekly {
        let weekday = Weekday::from_monday_zero_offset(day as i8).unwrap();
        schedule.add_weekly(weekday, time_range_of(start, length));
    }
    for (day, ranges) in &scenario.overrides {
        let ranges = ranges.iter().map(|&(start, length)| time_range_of(start, length));
        schedule.set_override(plus_days(scenario.window_start, *day), ranges);
    }
    for &day in &scenario.blackouts {
        schedule.add_blackout(plus_days(scenario.window_start, day));
    }
    let window_start = at_local(&zone("UTC"), scenario.window_start.at(0, 0, 0, 0));
    let bookings = scenario
        .bookings
        .iter()
        .map(|&(minute, length, before, after, same)| {
            let mut booking = booking(
                window_start + minutes(i64::from(minute)),
                i64::from(length) * 5,
                if same { "consult" } else { "other" },
            );
            booking.buffer_before = minutes(i64::from(before) * 5);
            booking.buffer_after = minutes(i64::from(after) * 5);
            booking
        })
        .collect();
    let now = window_start + minutes(i64::from(scenario.now_offset_min));
    let first = plus_days(scenario.window_start, scenario.query_offset_days);
    let last = plus_days(first, scenario.query_days - 1);
    let query = SlotQuery::days(first, last, zone(scenario.caller_zone)).unwrap();
    Built {
        schedule,
        bookings,
        now,
        query,
    }
}

/// Every unambiguous wall-clock grid time of every range that could reach the query, found
/// by stepping each range's grid independently of the engine.
fn grid_candidates(schedule: &Schedule, event: &EventType, query: &SlotQuery) -> Vec<Timestamp> {
    let timezone = schedule.timezone();
    let first = timezone.to_datetime(query.start()).date().yesterday().unwrap();
    let last = timezone.to_datetime(query.end()).date();
    let interval = event.effective_slot_interval();
    let mut candidates = Vec::new();
    for range in schedule.open_ranges(first, last) {
        let mut local = range.local_start;
        while local < range.local_end {
            if let AmbiguousOffset::Unambiguous { offset } = timezone.to_ambiguous_timestamp(local).offset() {
                candidates.push(offset.to_timestamp(local).unwrap());
            }
            local = local.checked_add(interval).unwrap();
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    candidates
}

fn on_grid_of_some_range(
    ranges: &[OpenRange],
    timezone: &TimeZone,
    event: &EventType,
    at: Timestamp,
) -> bool {
    let local = timezone.to_datetime(at);
    let interval = event.effective_slot_interval().as_nanos();
    ranges.iter().any(|range| {
        let elapsed = local.duration_since(range.local_start).as_nanos();
        range.start <= at
            && at + event.duration <= range.end
            && local < range.local_end
            && elapsed >= 0
            && elapsed % interval == 0
    })
}

fn collides(event: &EventType, at: Timestamp, booking: &ExistingBooking) -> bool {
    let (busy_from, busy_until) = booking.busy_interval();
    at - event.buffer_before < busy_until && busy_from < at + event.duration + event.buffer_after
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn offered_slots_obey_every_rule(scenario in scenario()) {
        let Built { schedule, bookings, now, query } = build(&scenario);
        let event = &scenario.event;
        let availability = Availability::new(&schedule, event, &bookings).unwrap();
        let slots = availability.slots(&query, now);
        let timezone = schedule.timezone();

        prop_assert!(slots.windows(2).all(|pair| pair[0] < pair[1]), "not strictly increasing: {:?}", slots);
        let today = timezone.to_datetime(now).date();
        let last_day = today.checked_add(Span::new().days(i64::from(event.max_days_ahead))).unwrap();
        for &at in &slots {
            let local = timezone.to_datetime(at);
            prop_assert_eq!(
                availability.check(at, now),
                Ok(switchboard::availability::Slot { start: at, end: at + event.duration })
            );
            prop_assert!(query.start() <= at && at < query.end());
            prop_assert!(at >= now + event.minimum_notice);
            prop_assert!(local.date() <= last_day);
            prop_assert!(!timezone.to_ambiguous_timestamp(local).is_ambiguous());
            let ranges = schedule.open_ranges(local.date().yesterday().unwrap(), local.date());
            prop_assert!(on_grid_of_some_range(&ranges, timezone, event, at), "{} is off the grid", at);
            let clash = bookings.iter().find(|booking| collides(event, at, booking));
            prop_assert!(clash.is_none(), "{} collides with {:?}", at, clash);
            if let Some(limit) = event.per_day_limit {
                let same_day = bookings
                    .iter()
                    .filter(|booking| booking.event_type == event.slug)
                    .filter(|booking| timezone.to_datetime(booking.start).date() == local.date())
                    .count();
                prop_assert!(same_day < limit as usize);
            }
        }
    }

    #[test]
    fn every_accepted_grid_time_in_the_query_is_offered(scenario in scenario()) {
        let Built { schedule, bookings, now, query } = build(&scenario);
        let event = &scenario.event;
        let availability = Availability::new(&schedule, event, &bookings).unwrap();
        let slots = availability.slots(&query, now);
        let accepted: Vec<Timestamp> = grid_candidates(&schedule, event, &query)
            .into_iter()
            .filter(|&at| query.start() <= at && at < query.end())
            .filter(|&at| availability.check(at, now).is_ok())
            .collect();
        prop_assert_eq!(slots, accepted);
    }

    #[test]
    fn any_instant_check_accepts_is_offered_on_its_host_day(
        scenario in scenario(),
        probes in prop::collection::vec(0i64..12 * 1440, 1..20),
    ) {
        let Built { schedule, bookings, now, .. } = build(&scenario);
        let event = &scenario.event;
        let availability = Availability::new(&schedule, event, &bookings).unwrap();
        let window_start = at_local(&zone("UTC"), scenario.window_start.at(0, 0, 0, 0));
        for minute in probes {
            let at = window_start + SignedDuration::from_mins(minute);
            if availability.check(at, now).is_ok() {
                let day = SlotQuery::day(schedule.timezone().to_datetime(at).date(), schedule.timezone().clone())
                    .unwrap();
                prop_assert!(availability.slots(&day, now).contains(&at), "{} accepted but not offered", at);
            }
        }
    }
}
