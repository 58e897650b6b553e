//! Slots around DST changes: wall-clock grids, skipped and repeated local times, and real
//! meeting durations, in New York, Berlin, Lord Howe Island (a 30-minute shift) and
//! Kathmandu (+05:45, no DST).

use jiff::civil::date;
use switchboard::availability::{Availability, Refusal};

use super::support::*;

#[test]
fn nine_am_stays_nine_am_across_the_us_spring_forward() {
    let schedule = host("America/New_York", &EVERY_DAY, &[range((9, 0), (10, 0))]);
    let slots = open_slots(&schedule, &event(60, 60), date(2026, 3, 7), date(2026, 3, 9));
    assert_eq!(
        slots,
        [
            instant("2026-03-07T14:00:00Z"),
            instant("2026-03-08T13:00:00Z"),
            instant("2026-03-09T13:00:00Z")
        ]
    );
}

#[test]
fn the_us_spring_forward_gap_is_never_offered() {
    let new_york = zone("America/New_York");
    let mut schedule = host("America/New_York", &[], &[]);
    schedule.set_override(date(2026, 3, 8), [range((0, 0), (5, 0))]);
    let event = event(30, 30);
    let slots = open_slots(&schedule, &event, date(2026, 3, 8), date(2026, 3, 8));
    assert_eq!(
        wall(&slots, &new_york),
        [
            "2026-03-08T00:00-05:00",
            "2026-03-08T00:30-05:00",
            "2026-03-08T01:00-05:00",
            "2026-03-08T01:30-05:00",
            "2026-03-08T03:00-04:00",
            "2026-03-08T03:30-04:00",
            "2026-03-08T04:00-04:00",
            "2026-03-08T04:30-04:00",
        ]
    );

    let availability = Availability::new(&schedule, &event, &[]).unwrap();
    assert_eq!(
        availability.check_local(date(2026, 3, 8).at(2, 30, 0, 0), &new_york, long_before()),
        Err(Refusal::NonexistentLocalTime)
    );
    assert!(
        availability
            .check_local(date(2026, 3, 8).at(3, 0, 0, 0), &new_york, long_before())
            .is_ok()
    );
}

#[test]
fn a_meeting_across_the_gap_lasts_its_real_duration() {
    // 01:00 EST to 04:00 EDT is two real hours (06:00Z to 08:00Z).
    let mut schedule = host("America/New_York", &[], &[]);
    schedule.set_override(date(2026, 3, 8), [range((1, 0), (4, 0))]);
    let event = event(90, 30);
    let slots = open_slots(&schedule, &event, date(2026, 3, 8), date(2026, 3, 8));
    // 01:30 EST + 90 minutes ends at 04:00 EDT on the wall clock: exactly the closing time.
    assert_eq!(
        slots,
        [instant("2026-03-08T06:00:00Z"), instant("2026-03-08T06:30:00Z")]
    );

    let availability = Availability::new(&schedule, &event, &[]).unwrap();
    let three_am = instant("2026-03-08T07:00:00Z");
    assert_eq!(
        availability.check(three_am, long_before()),
        Err(Refusal::RunsPastClosing)
    );
    let slot = availability.check(slots[1], long_before()).unwrap();
    assert_eq!(slot.end.duration_since(slot.start), minutes(90));
}

#[test]
fn the_us_fall_back_fold_is_never_offered() {
    let new_york = zone("America/New_York");
    let mut schedule = host("America/New_York", &[], &[]);
    schedule.set_override(date(2026, 11, 1), [range((0, 0), (3, 0))]);
    let event = event(30, 30);
    let slots = open_slots(&schedule, &event, date(2026, 11, 1), date(2026, 11, 1));
    assert_eq!(
        wall(&slots, &new_york),
        [
            "2026-11-01T00:00-04:00",
            "2026-11-01T00:30-04:00",
            "2026-11-01T02:00-05:00",
            "2026-11-01T02:30-05:00",
        ]
    );

    let availability = Availability::new(&schedule, &event, &[]).unwrap();
    for first_and_second_one_am in ["2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z"] {
        assert_eq!(
            availability.check(instant(first_and_second_one_am), long_before()),
            Err(Refusal::AmbiguousLocalTime)
        );
    }
    assert_eq!(
        availability.check_local(date(2026, 11, 1).at(1, 30, 0, 0), &new_york, long_before()),
        Err(Refusal::AmbiguousLocalTime)
    );
}

#[test]
fn a_meeting_across_the_fold_lasts_its_real_duration() {
    // 00:00 EDT to 03:00 EST is four real hours (04:00Z to 08:00Z).
    let mut schedule = host("America/New_York", &[], &[]);
    schedule.set_override(date(2026, 11, 1), [range((0, 0), (3, 0))]);
    let slots = open_slots(&schedule, &event(150, 30), date(2026, 11, 1), date(2026, 11, 1));
    // 00:30 EDT + 150 minutes is 02:00 EST on the wall clock; 02:00 EST + 150 would pass 03:00.
    assert_eq!(
        slots,
        [instant("2026-11-01T04:00:00Z"), instant("2026-11-01T04:30:00Z")]
    );
}

#[test]
fn nine_am_stays_nine_am_across_the_us_fall_back() {
    let schedule = host("America/New_York", &EVERY_DAY, &[range((9, 0), (10, 0))]);
    let slots = open_slots(&schedule, &event(60, 60), date(2026, 10, 31), date(2026, 11, 1));
    assert_eq!(
        slots,
        [instant("2026-10-31T13:00:00Z"), instant("2026-11-01T14:00:00Z")]
    );
}

#[test]
fn berlin_spring_forward_moves_nine_am_an_hour_earlier_in_utc() {
    let berlin = zone("Europe/Berlin");
    let mut schedule = host("Europe/Berlin", &EVERY_DAY, &[range((9, 0), (10, 0))]);
    schedule.set_override(date(2026, 3, 29), [range((1, 0), (4, 0)), range((9, 0), (10, 0))]);
    let slots = open_slots(&schedule, &event(60, 60), date(2026, 3, 28), date(2026, 3, 29));
    assert_eq!(
        wall(&slots, &berlin),
        [
            "2026-03-28T09:00+01:00",
            "2026-03-29T01:00+01:00",
            // 02:00 does not exist: clocks jump from 02:00 CET to 03:00 CEST.
            "2026-03-29T03:00+02:00",
            "2026-03-29T09:00+02:00",
        ]
    );
    assert_eq!(slots[0], instant("2026-03-28T08:00:00Z"));
    assert_eq!(slots[3], instant("2026-03-29T07:00:00Z"));
}

#[test]
fn berlin_fall_back_skips_the_repeated_hour() {
    let berlin = zone("Europe/Berlin");
    let mut schedule = host("Europe/Berlin", &[], &[]);
    schedule.set_override(date(2026, 10, 25), [range((1, 0), (4, 0))]);
    let slots = open_slots(&schedule, &event(30, 30), date(2026, 10, 25), date(2026, 10, 25));
    assert_eq!(
        wall(&slots, &berlin),
        [
            "2026-10-25T01:00+02:00",
            "2026-10-25T01:30+02:00",
            "2026-10-25T03:00+01:00",
            "2026-10-25T03:30+01:00",
        ]
    );
}

#[test]
fn lord_howe_shifts_by_thirty_minutes_on_the_dates_in_the_tz_database() {
    // Checked against the tz database rather than assumed: the first Sundays of April and
    // October 2026, at 02:00 local time.
    let lord_howe = zone("Australia/Lord_Howe");
    let changes: Vec<_> = lord_howe
        .following(instant("2026-01-01T00:00:00Z"))
        .take(2)
        .map(|change| (change.timestamp(), change.offset().seconds()))
        .collect();
    assert_eq!(
        changes,
        [
            (instant("2026-04-04T15:00:00Z"), 10 * 3600 + 1800),
            (instant("2026-10-03T15:30:00Z"), 11 * 3600)
        ]
    );
}

#[test]
fn lord_howe_spring_forward_skips_half_an_hour() {
    let lord_howe = zone("Australia/Lord_Howe");
    let mut schedule = host("Australia/Lord_Howe", &[], &[]);
    schedule.set_override(date(2026, 10, 4), [range((1, 30), (3, 0))]);
    let slots = open_slots(&schedule, &event(15, 15), date(2026, 10, 4), date(2026, 10, 4));
    assert_eq!(
        wall(&slots, &lord_howe),
        [
            "2026-10-04T01:30+10:30",
            "2026-10-04T01:45+10:30",
            // 02:00 and 02:15 do not exist.
            "2026-10-04T02:30+11:00",
            "2026-10-04T02:45+11:00",
        ]
    );
    // The range is one real hour long: 01:30 LHST to 03:00 LHDT.
    let hour_long = event(60, 15);
    let availability = Availability::new(&schedule, &hour_long, &[]).unwrap();
    assert!(availability.check(slots[0], long_before()).is_ok());
    assert_eq!(
        availability.check(slots[1], long_before()),
        Err(Refusal::RunsPastClosing)
    );
}

#[test]
fn lord_howe_fall_back_skips_the_repeated_half_hour() {
    let lord_howe = zone("Australia/Lord_Howe");
    let mut schedule = host("Australia/Lord_Howe", &EVERY_DAY, &[range((9, 0), (9, 30))]);
    schedule.set_override(date(2026, 4, 5), [range((1, 0), (2, 30)), range((9, 0), (9, 30))]);
    let slots = open_slots(&schedule, &event(15, 15), date(2026, 4, 4), date(2026, 4, 5));
    assert_eq!(
        wall(&slots, &lord_howe),
        [
            "2026-04-04T09:00+11:00",
            "2026-04-04T09:15+11:00",
            "2026-04-05T01:00+11:00",
            "2026-04-05T01:15+11:00",
            // 01:30 and 01:45 happen twice.
            "2026-04-05T02:00+10:30",
            "2026-04-05T02:15+10:30",
            "2026-04-05T09:00+10:30",
            "2026-04-05T09:15+10:30",
        ]
    );
    assert_eq!(slots[0], instant("2026-04-03T22:00:00Z"));
    assert_eq!(slots[6], instant("2026-04-04T22:30:00Z"));
}

#[test]
fn kathmandu_quarter_hour_offset_and_a_caller_in_new_york() {
    let kathmandu = zone("Asia/Kathmandu");
    let new_york = zone("America/New_York");
    let schedule = host("Asia/Kathmandu", &EVERY_DAY, &[range((9, 0), (12, 0))]);
    let event = event(60, 60);
    let on_the_10th = open_slots(&schedule, &event, date(2026, 3, 10), date(2026, 3, 10));
    assert_eq!(
        on_the_10th,
        [
            instant("2026-03-10T03:15:00Z"),
            instant("2026-03-10T04:15:00Z"),
            instant("2026-03-10T05:15:00Z")
        ]
    );
    assert_eq!(wall(&on_the_10th[..1], &kathmandu), ["2026-03-10T09:00+05:45"]);

    // New York's March 9 runs from 04:00Z on the 9th to 04:00Z on the 10th, i.e. from 09:45
    // in Kathmandu on the 9th to 09:45 on the 10th.
    let query = switchboard::availability::SlotQuery::day(date(2026, 3, 9), new_york.clone()).unwrap();
    let slots = Availability::new(&schedule, &event, &[])
        .unwrap()
        .slots(&query, long_before());
    assert_eq!(
        slots,
        [
            instant("2026-03-09T04:15:00Z"),
            instant("2026-03-09T05:15:00Z"),
            instant("2026-03-10T03:15:00Z")
        ]
    );
    let spoken: Vec<_> = slots
        .iter()
        .map(|&at| {
            format!(
                "{} {}",
                switchboard::availability::date_label(at, &new_york),
                switchboard::availability::time_label(at, &new_york)
            )
        })
        .collect();
    assert_eq!(
        spoken,
        [
            "Monday, March 9 12:15 AM",
            "Monday, March 9 1:15 AM",
            "Monday, March 9 11:15 PM"
        ]
    );
}
