//! The booking rules one at a time: hours crossing midnight with overrides and blackouts,
//! callers in another timezone, buffers, notice, per-day limits, days ahead, inactive event
//! types, the refusals `check` gives, and rescheduling.

use jiff::civil::{Weekday, date};
use jiff::{SignedDuration, Timestamp};
use switchboard::availability::{
    Availability, EventTypeError, Refusal, Slot, SlotQuery, date_label, time_label,
};

use super::support::*;

/// A UTC host open Fridays 22:00–02:00 (2026-03-06 is a Friday).
fn night_host() -> switchboard::availability::Schedule {
    host("UTC", &[Weekday::Friday], &[range((22, 0), (2, 0))])
}

#[test]
fn a_night_range_offers_slots_on_both_sides_of_midnight() {
    let slots = open_slots(&night_host(), &event(90, 30), date(2026, 3, 6), date(2026, 3, 7));
    let expected: Vec<Timestamp> = [
        "2026-03-06T22:00:00Z",
        "2026-03-06T22:30:00Z",
        "2026-03-06T23:00:00Z",
        "2026-03-06T23:30:00Z",
        "2026-03-07T00:00:00Z",
        "2026-03-07T00:30:00Z",
    ]
    .map(instant)
    .into();
    assert_eq!(slots, expected);
}

#[test]
fn asking_for_the_next_day_finds_the_slots_after_midnight() {
    let saturday = open_slots(&night_host(), &event(60, 60), date(2026, 3, 7), date(2026, 3, 7));
    assert_eq!(
        saturday,
        [instant("2026-03-07T00:00:00Z"), instant("2026-03-07T01:00:00Z")]
    );
    let friday = open_slots(&night_host(), &event(60, 60), date(2026, 3, 6), date(2026, 3, 6));
    assert_eq!(
        friday,
        [instant("2026-03-06T22:00:00Z"), instant("2026-03-06T23:00:00Z")]
    );
}

#[test]
fn a_blackout_after_a_night_range_cuts_it_at_midnight() {
    let mut schedule = night_host();
    schedule.add_blackout(date(2026, 3, 7));
    let event = event(60, 60);
    let slots = open_slots(&schedule, &event, date(2026, 3, 6), date(2026, 3, 7));
    assert_eq!(
        slots,
        [instant("2026-03-06T22:00:00Z"), instant("2026-03-06T23:00:00Z")]
    );
    let availability = Availability::new(&schedule, &event, &[]).unwrap();
    assert_eq!(
        availability.check(instant("2026-03-07T00:00:00Z"), long_before()),
        Err(Refusal::ClosedThatDay)
    );
}

#[test]
fn an_empty_override_after_a_night_range_keeps_its_tail() {
    let mut schedule = night_host();
    schedule.set_override(date(2026, 3, 7), []);
    let slots = open_slots(&schedule, &event(60, 60), date(2026, 3, 7), date(2026, 3, 7));
    assert_eq!(
        slots,
        [instant("2026-03-07T00:00:00Z"), instant("2026-03-07T01:00:00Z")]
    );
}

#[test]
fn a_blackout_on_the_start_day_removes_the_whole_night_range() {
    let mut schedule = night_host();
    schedule.add_blackout(date(2026, 3, 6));
    let slots = open_slots(&schedule, &event(60, 60), date(2026, 3, 6), date(2026, 3, 7));
    assert!(slots.is_empty(), "{slots:?}");
}

#[test]
fn overrides_replace_the_weekly_hours_of_their_date() {
    let mut schedule = host("UTC", &WEEKDAYS, &[range((9, 0), (11, 0))]);
    schedule.set_override(date(2026, 3, 10), [range((14, 0), (15, 0))]);
    schedule.set_override(date(2026, 3, 11), []);
    schedule.add_blackout(date(2026, 3, 12));
    // Saturday has no weekly hours; an override opens it.
    schedule.set_override(date(2026, 3, 14), [range((10, 0), (11, 0))]);
    let slots = open_slots(&schedule, &event(60, 60), date(2026, 3, 9), date(2026, 3, 15));
    let expected: Vec<Timestamp> = [
        "2026-03-09T09:00:00Z",
        "2026-03-09T10:00:00Z",
        "2026-03-10T14:00:00Z",
        "2026-03-13T09:00:00Z",
        "2026-03-13T10:00:00Z",
        "2026-03-14T10:00:00Z",
    ]
    .map(instant)
    .into();
    assert_eq!(slots, expected);
}

#[test]
fn overlapping_ranges_offer_the_union_of_their_grids_once() {
    let schedule = host(
        "UTC",
        &[Weekday::Monday],
        &[range((9, 0), (11, 0)), range((9, 30), (10, 30))],
    );
    let slots = open_slots(&schedule, &event(60, 60), date(2026, 3, 9), date(2026, 3, 9));
    assert_eq!(
        slots,
        [
            instant("2026-03-09T09:00:00Z"),
            instant("2026-03-09T09:30:00Z"),
            instant("2026-03-09T10:00:00Z")
        ]
    );
}

#[test]
fn a_caller_abroad_gets_their_own_day_and_labels() {
    // New York is on EDT from March 8, so Tokyo (+09) is 13 hours ahead.
    let schedule = host("America/New_York", &WEEKDAYS, &[range((9, 0), (17, 0))]);
    let tokyo = zone("Asia/Tokyo");
    let event = event(60, 60);
    let query = SlotQuery::day(date(2026, 3, 10), tokyo.clone()).unwrap();
    let slots = Availability::new(&schedule, &event, &[])
        .unwrap()
        .slots(&query, long_before());
    // Tokyo's Tuesday is New York's Monday 11:00 to Tuesday 11:00.
    assert_eq!(
        wall(&slots, schedule.timezone()),
        [
            "2026-03-09T11:00-04:00",
            "2026-03-09T12:00-04:00",
            "2026-03-09T13:00-04:00",
            "2026-03-09T14:00-04:00",
            "2026-03-09T15:00-04:00",
            "2026-03-09T16:00-04:00",
            "2026-03-10T09:00-04:00",
            "2026-03-10T10:00-04:00",
        ]
    );
    let first = (date_label(slots[0], &tokyo), time_label(slots[0], &tokyo));
    assert_eq!(first, ("Tuesday, March 10".to_string(), "12:00 AM".to_string()));
    let last = (date_label(slots[7], &tokyo), time_label(slots[7], &tokyo));
    assert_eq!(last, ("Tuesday, March 10".to_string(), "11:00 PM".to_string()));
    assert_eq!(
        switchboard::availability::utc_label(slots[7]),
        "2026-03-10T14:00:00Z"
    );
}

#[test]
fn buffers_of_both_meetings_stack() {
    let schedule = host("UTC", &[Weekday::Monday], &[range((8, 0), (14, 0))]);
    // A 5-minute grid, so that dropping any one of the four buffers changes the answer.
    let mut event = event(30, 5);
    event.buffer_before = minutes(15);
    event.buffer_after = minutes(10);
    let mut existing = booking(instant("2026-03-09T10:00:00Z"), 60, "other");
    existing.buffer_before = minutes(5);
    existing.buffer_after = minutes(15);
    let slots = host_slots(
        &schedule,
        &event,
        &[existing.clone()],
        date(2026, 3, 9),
        date(2026, 3, 9),
        long_before(),
    );

    // Before: the meeting plus its 10-minute buffer must end by 09:55, 5 minutes before the
    // booking's buffer, so the last start is 09:15. After: the booking's 15-minute buffer
    // and ours make 11:30 the first start.
    let availability = Availability::new(&schedule, &event, &[existing]).unwrap();
    let last_before = instant("2026-03-09T09:15:00Z");
    let first_after = instant("2026-03-09T11:30:00Z");
    assert!(slots.contains(&last_before) && slots.contains(&first_after));
    for taken in [
        "2026-03-09T09:20:00Z",
        "2026-03-09T10:45:00Z",
        "2026-03-09T11:25:00Z",
    ] {
        assert!(!slots.contains(&instant(taken)), "{taken} should be taken");
        assert_eq!(
            availability.check(instant(taken), long_before()),
            Err(Refusal::Taken)
        );
    }
    let gap: Vec<_> = slots
        .iter()
        .filter(|&&at| at > last_before && at < first_after)
        .collect();
    assert!(gap.is_empty(), "{gap:?}");
}

#[test]
fn minimum_notice_counts_real_hours_across_the_spring_forward() {
    let schedule = host("America/New_York", &EVERY_DAY, &[range((9, 0), (13, 0))]);
    let mut event = event(60, 30);
    event.minimum_notice = SignedDuration::from_hours(24);
    // Saturday 10:00 EST; 24 real hours later it is Sunday 11:00 EDT.
    let now = instant("2026-03-07T15:00:00Z");
    let slots = host_slots(&schedule, &event, &[], date(2026, 3, 7), date(2026, 3, 8), now);
    assert_eq!(
        wall(&slots, schedule.timezone()),
        [
            "2026-03-08T11:00-04:00",
            "2026-03-08T11:30-04:00",
            "2026-03-08T12:00-04:00"
        ]
    );
    let availability = Availability::new(&schedule, &event, &[]).unwrap();
    let refusal = availability
        .check(instant("2026-03-08T14:30:00Z"), now)
        .unwrap_err();
    assert_eq!(
        refusal,
        Refusal::TooSoon {
            notice: SignedDuration::from_hours(24)
        }
    );
    assert_eq!(
        refusal.to_string(),
        "That's too soon — we need at least 24 hours' notice."
    );
}

#[test]
fn nothing_is_offered_in_the_past() {
    let schedule = host("UTC", &[Weekday::Monday], &[range((9, 0), (12, 0))]);
    let now = instant("2026-03-09T10:10:00Z");
    let event = event(30, 30);
    let slots = host_slots(&schedule, &event, &[], date(2026, 3, 9), date(2026, 3, 9), now);
    assert_eq!(slots.first(), Some(&instant("2026-03-09T10:30:00Z")));
    let availability = Availability::new(&schedule, &event, &[]).unwrap();
    assert_eq!(
        availability.check(instant("2026-03-09T10:00:00Z"), now),
        Err(Refusal::InThePast)
    );
}

#[test]
fn the_per_day_limit_counts_this_event_type_by_host_date() {
    let schedule = host("America/New_York", &WEEKDAYS, &[range((9, 0), (17, 0))]);
    let mut event = event(30, 30);
    event.per_day_limit = Some(2);
    let bookings = [
        // Monday 9:00 and 10:00 EDT: two of this type.
        booking(instant("2026-03-09T13:00:00Z"), 30, "consult"),
        booking(instant("2026-03-09T14:00:00Z"), 30, "consult"),
        // Tuesday: one of this type and one of another type.
        booking(instant("2026-03-10T13:00:00Z"), 30, "consult"),
        booking(instant("2026-03-10T14:00:00Z"), 30, "review"),
        // Wednesday 21:00 EDT is Thursday in UTC, but counts for Wednesday in New York.
        booking(instant("2026-03-12T01:00:00Z"), 30, "consult"),
        booking(instant("2026-03-11T13:00:00Z"), 30, "consult"),
    ];
    let slots = host_slots(
        &schedule,
        &event,
        &bookings,
        date(2026, 3, 9),
        date(2026, 3, 12),
        long_before(),
    );
    let on = |day: i8| {
        slots
            .iter()
            .filter(|&&at| schedule.timezone().to_datetime(at).day() == day)
            .count()
    };
    assert_eq!((on(9), on(10), on(11)), (0, 14, 0));
    assert_eq!(on(12), 16);
    let availability = Availability::new(&schedule, &event, &bookings).unwrap();
    assert_eq!(
        availability.check(instant("2026-03-09T16:00:00Z"), long_before()),
        Err(Refusal::DayFullyBooked)
    );
}

#[test]
fn max_days_ahead_ends_with_the_last_host_local_day() {
    let schedule = host(
        "America/New_York",
        &EVERY_DAY,
        &[range((9, 0), (10, 0)), range((23, 0), (0, 0))],
    );
    let mut event = event(60, 60);
    event.max_days_ahead = 3;
    // Monday 2026-03-09, 08:00 EDT: the last bookable day is Thursday the 12th.
    let now = instant("2026-03-09T12:00:00Z");
    let slots = host_slots(&schedule, &event, &[], date(2026, 3, 9), date(2026, 3, 20), now);
    assert_eq!(slots.len(), 8);
    assert_eq!(
        wall(&slots[6..], schedule.timezone()),
        ["2026-03-12T09:00-04:00", "2026-03-12T23:00-04:00"]
    );
    let availability = Availability::new(&schedule, &event, &[]).unwrap();
    let refusal = availability
        .check(instant("2026-03-13T13:00:00Z"), now)
        .unwrap_err();
    assert_eq!(refusal, Refusal::TooFarAhead { max_days_ahead: 3 });
    assert_eq!(
        refusal.to_string(),
        "That's too far ahead — we only take bookings up to 3 days in advance."
    );
}

#[test]
fn an_inactive_event_type_offers_nothing() {
    let schedule = host("UTC", &EVERY_DAY, &[range((9, 0), (17, 0))]);
    let mut event = event(30, 30);
    event.active = false;
    assert!(open_slots(&schedule, &event, date(2026, 3, 9), date(2026, 3, 15)).is_empty());
    let availability = Availability::new(&schedule, &event, &[]).unwrap();
    assert_eq!(
        availability.check(instant("2026-03-09T09:00:00Z"), long_before()),
        Err(Refusal::Inactive)
    );
}

#[test]
fn check_explains_what_is_wrong_with_a_start() {
    let schedule = host("UTC", &[Weekday::Monday], &[range((9, 0), (12, 0))]);
    let event = event(60, 30);
    let availability = Availability::new(&schedule, &event, &[]).unwrap();
    let check = |at: &str| availability.check(instant(at), long_before());
    assert_eq!(
        check("2026-03-09T09:30:00Z"),
        Ok(Slot {
            start: instant("2026-03-09T09:30:00Z"),
            end: instant("2026-03-09T10:30:00Z")
        })
    );
    assert_eq!(check("2026-03-09T08:00:00Z"), Err(Refusal::OutsideOpeningHours));
    assert_eq!(check("2026-03-09T09:10:00Z"), Err(Refusal::NotAStartTime));
    assert_eq!(check("2026-03-09T11:30:00Z"), Err(Refusal::RunsPastClosing));
    assert_eq!(check("2026-03-10T09:00:00Z"), Err(Refusal::ClosedThatDay));
}

#[test]
fn rescheduling_checks_without_the_moved_booking() {
    let schedule = host("UTC", &[Weekday::Monday], &[range((9, 0), (12, 0))]);
    let mut event = event(60, 30);
    event.buffer_after = minutes(30);
    let current = booking(instant("2026-03-09T09:00:00Z"), 60, "consult");
    let later_by_half_an_hour = instant("2026-03-09T09:30:00Z");
    let with_it = Availability::new(&schedule, &event, std::slice::from_ref(&current)).unwrap();
    assert_eq!(
        with_it.check(later_by_half_an_hour, long_before()),
        Err(Refusal::Taken)
    );
    let without_it = Availability::new(&schedule, &event, &[]).unwrap();
    assert!(without_it.check(later_by_half_an_hour, long_before()).is_ok());
}

#[test]
fn an_invalid_event_type_is_rejected_up_front() {
    let schedule = host("UTC", &[Weekday::Monday], &[range((9, 0), (12, 0))]);
    let mut event = event(60, 30);
    event.duration = SignedDuration::ZERO;
    assert!(matches!(
        Availability::new(&schedule, &event, &[]),
        Err(EventTypeError::OutOfRange {
            field: "duration",
            ..
        })
    ));
}
