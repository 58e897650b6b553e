use jiff::Timestamp;
use jiff::tz::TimeZone;
use proptest::prelude::*;

use super::*;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn new_york() -> TimeZone {
    TimeZone::get("America/New_York").unwrap()
}

fn calendar(events: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{events}END:VCALENDAR\r\n")
}

fn read(text: &str, from: &str, to: &str) -> Expanded {
    busy_intervals(
        text,
        &new_york(),
        at(from),
        at(to),
        ExpandLimits::default(),
        &|_| false,
    )
    .unwrap()
}

fn spans(expanded: &Expanded) -> Vec<(String, String)> {
    expanded
        .busy
        .iter()
        .map(|b| (b.start.to_string(), b.end.to_string()))
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

const WEEKLY_NY: &str = "BEGIN:VEVENT\r\nUID:weekly@test\r\nDTSTAMP:20260101T000000Z\r\n\
DTSTART;TZID=America/New_York:20261019T090000\r\nDTEND;TZID=America/New_York:20261019T100000\r\n\
RRULE:FREQ=WEEKLY;BYDAY=MO\r\nSUMMARY:Team\r\nEND:VEVENT\r\n";

#[test]
fn a_weekly_meeting_keeps_its_wall_clock_time_across_the_autumn_change() {
    let expanded = read(
        &calendar(WEEKLY_NY),
        "2026-10-25T00:00:00Z",
        "2026-11-10T00:00:00Z",
    );
    assert_eq!(
        spans(&expanded),
        pairs(&[
            ("2026-10-26T13:00:00Z", "2026-10-26T14:00:00Z"),
            ("2026-11-02T14:00:00Z", "2026-11-02T15:00:00Z"),
            ("2026-11-09T14:00:00Z", "2026-11-09T15:00:00Z"),
        ])
    );
    assert!(expanded.problems.is_empty());
}

#[test]
fn exdate_removes_an_instance_and_rdate_adds_one() {
    let event = WEEKLY_NY.replace(
        "SUMMARY:Team\r\n",
        "EXDATE;TZID=America/New_York:20261102T090000\r\nRDATE;TZID=America/New_York:20261104T150000\r\n",
    );
    let expanded = read(&calendar(&event), "2026-11-01T00:00:00Z", "2026-11-10T00:00:00Z");
    assert_eq!(
        spans(&expanded),
        pairs(&[
            ("2026-11-04T20:00:00Z", "2026-11-04T21:00:00Z"),
            ("2026-11-09T14:00:00Z", "2026-11-09T15:00:00Z"),
        ])
    );
}

#[test]
fn an_override_moves_one_instance_and_a_cancelled_override_frees_another() {
    let overrides = "BEGIN:VEVENT\r\nUID:weekly@test\r\nDTSTAMP:20260101T000000Z\r\n\
RECURRENCE-ID;TZID=America/New_York:20261102T090000\r\n\
DTSTART;TZID=America/New_York:20261102T130000\r\nDTEND;TZID=America/New_York:20261102T140000\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:weekly@test\r\nDTSTAMP:20260101T000000Z\r\nSTATUS:CANCELLED\r\n\
RECURRENCE-ID;TZID=America/New_York:20261109T090000\r\n\
DTSTART;TZID=America/New_York:20261109T090000\r\nDTEND;TZID=America/New_York:20261109T100000\r\nEND:VEVENT\r\n";
    let text = calendar(&format!("{WEEKLY_NY}{overrides}"));
    let expanded = read(&text, "2026-11-01T00:00:00Z", "2026-11-15T00:00:00Z");
    assert_eq!(
        spans(&expanded),
        pairs(&[("2026-11-02T18:00:00Z", "2026-11-02T19:00:00Z")])
    );
}

#[test]
fn an_all_day_event_covers_the_host_days_across_the_change() {
    // Saturday 31 October and Sunday 1 November 2026: 24 + 25 hours in New York.
    let event = "BEGIN:VEVENT\r\nUID:away@test\r\nDTSTAMP:20260101T000000Z\r\n\
DTSTART;VALUE=DATE:20261031\r\nDTEND;VALUE=DATE:20261102\r\nSUMMARY:Away\r\nEND:VEVENT\r\n";
    let expanded = read(&calendar(event), "2026-10-01T00:00:00Z", "2026-12-01T00:00:00Z");
    assert_eq!(
        spans(&expanded),
        pairs(&[("2026-10-31T04:00:00Z", "2026-11-02T05:00:00Z")])
    );
}

#[test]
fn an_all_day_event_without_an_end_is_one_day() {
    let event = "BEGIN:VEVENT\r\nUID:day@test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261101\r\nEND:VEVENT\r\n";
    let expanded = read(&calendar(event), "2026-10-01T00:00:00Z", "2026-12-01T00:00:00Z");
    assert_eq!(
        spans(&expanded),
        pairs(&[("2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z")])
    );
}

#[test]
fn transparent_and_cancelled_events_are_not_busy() {
    let events = "BEGIN:VEVENT\r\nUID:free@test\r\nDTSTAMP:20260101T000000Z\r\nTRANSP:TRANSPARENT\r\n\
DTSTART:20261103T150000Z\r\nDTEND:20261103T160000Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:off@test\r\nDTSTAMP:20260101T000000Z\r\nSTATUS:CANCELLED\r\n\
DTSTART:20261103T170000Z\r\nDTEND:20261103T180000Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:on@test\r\nDTSTAMP:20260101T000000Z\r\nTRANSP:OPAQUE\r\nSTATUS:CONFIRMED\r\n\
DTSTART:20261103T190000Z\r\nDTEND:20261103T200000Z\r\nEND:VEVENT\r\n";
    let expanded = read(&calendar(events), "2026-11-01T00:00:00Z", "2026-11-10T00:00:00Z");
    assert_eq!(
        spans(&expanded),
        pairs(&[("2026-11-03T19:00:00Z", "2026-11-03T20:00:00Z")])
    );
}

#[test]
fn floating_times_are_read_on_the_host_clock() {
    let event = "BEGIN:VEVENT\r\nUID:float@test\r\nDTSTAMP:20260101T000000Z\r\n\
DTSTART:20261103T090000\r\nDURATION:PT30M\r\nEND:VEVENT\r\n";
    let expanded = read(&calendar(event), "2026-11-01T00:00:00Z", "2026-11-10T00:00:00Z");
    assert_eq!(
        spans(&expanded),
        pairs(&[("2026-11-03T14:00:00Z", "2026-11-03T14:30:00Z")])
    );
}

#[test]
fn a_windows_zone_name_is_understood() {
    let event = WEEKLY_NY.replace("America/New_York", "Eastern Standard Time");
    let expanded = read(&calendar(&event), "2026-11-01T00:00:00Z", "2026-11-03T00:00:00Z");
    assert_eq!(
        spans(&expanded),
        pairs(&[("2026-11-02T14:00:00Z", "2026-11-02T15:00:00Z")])
    );
}

#[test]
fn an_unknown_zone_is_that_events_problem_and_the_rest_is_kept() {
    let bad = "BEGIN:VEVENT\r\nUID:bad@test\r\nDTSTAMP:20260101T000000Z\r\n\
DTSTART;TZID=Mars/Olympus_Mons:20261103T090000\r\nDTEND;TZID=Mars/Olympus_Mons:20261103T100000\r\nEND:VEVENT\r\n";
    let expanded = read(
        &calendar(&format!("{bad}{WEEKLY_NY}")),
        "2026-11-01T00:00:00Z",
        "2026-11-03T00:00:00Z",
    );
    assert_eq!(
        spans(&expanded),
        pairs(&[("2026-11-02T14:00:00Z", "2026-11-02T15:00:00Z")])
    );
    assert_eq!(
        expanded.problems,
        [EventProblem {
            uid: Some("bad@test".into()),
            reason: "unknown time zone \"Mars/Olympus_Mons\"".into()
        }]
    );
}

#[test]
fn one_runaway_rule_does_not_starve_the_others() {
    let runaway = "BEGIN:VEVENT\r\nUID:runaway@test\r\nDTSTAMP:20260101T000000Z\r\n\
DTSTART:20200101T000000Z\r\nDURATION:PT1M\r\nRRULE:FREQ=MINUTELY\r\nEND:VEVENT\r\n";
    let limits = ExpandLimits {
        per_event: 1_000,
        per_feed: 5_000,
    };
    let text = calendar(&format!("{runaway}{WEEKLY_NY}"));
    let expanded = busy_intervals(
        &text,
        &new_york(),
        at("2026-11-01T00:00:00Z"),
        at("2026-11-03T00:00:00Z"),
        limits,
        &|_| false,
    )
    .unwrap();
    // The runaway rule stopped in 2020, long before the window; the weekly meeting is there.
    assert_eq!(
        spans(&expanded),
        pairs(&[("2026-11-02T14:00:00Z", "2026-11-02T15:00:00Z")])
    );
}

#[test]
fn a_feed_past_its_budget_names_the_events_left_out() {
    let many: String = (0..4)
        .map(|n| {
            format!(
                "BEGIN:VEVENT\r\nUID:daily{n}@test\r\nDTSTAMP:20260101T000000Z\r\n\
DTSTART:20261101T1{n}0000Z\r\nDURATION:PT30M\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n"
            )
        })
        .collect();
    let limits = ExpandLimits {
        per_event: 100,
        per_feed: 250,
    };
    let expanded = busy_intervals(
        &calendar(&many),
        &new_york(),
        at("2026-11-01T00:00:00Z"),
        at("2026-11-02T00:00:00Z"),
        limits,
        &|_| false,
    )
    .unwrap();
    assert_eq!(expanded.busy.len(), 3, "{expanded:?}");
    assert_eq!(expanded.problems.len(), 1);
    assert_eq!(expanded.problems[0].uid.as_deref(), Some("daily3@test"));
}

#[test]
fn our_own_events_are_skipped() {
    let text = calendar(WEEKLY_NY);
    let expanded = busy_intervals(
        &text,
        &new_york(),
        at("2026-11-01T00:00:00Z"),
        at("2026-11-03T00:00:00Z"),
        ExpandLimits::default(),
        &|uid| uid == "weekly@test",
    )
    .unwrap();
    assert!(expanded.busy.is_empty());
}

#[test]
fn text_that_is_not_a_calendar_is_refused() {
    let refused = busy_intervals(
        "<html>sign in</html>",
        &new_york(),
        at("2026-11-01T00:00:00Z"),
        at("2026-11-03T00:00:00Z"),
        ExpandLimits::default(),
        &|_| false,
    );
    assert!(matches!(refused, Err(FeedError::NotICalendar(_))), "{refused:?}");
}

proptest! {
    #[test]
    fn any_text_is_read_without_panicking(noise in ".{0,400}", cut in 0usize..2000) {
        let text = calendar(&format!("{WEEKLY_NY}{noise}"));
        let cut = text.char_indices().map(|(i, _)| i).nth(cut).unwrap_or(text.len());
        let limits = ExpandLimits { per_event: 200, per_feed: 1_000 };
        for text in [&text[..cut], noise.as_str(), &text] {
            let _ = busy_intervals(text, &new_york(), at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), limits, &|_| false);
        }
    }

    #[test]
    fn rules_from_arbitrary_parts_are_read_without_panicking(
        freq in prop::sample::select(vec!["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY", "X"]),
        interval in 0u32..400,
        extra in prop::sample::select(vec!["", ";BYDAY=MO,TU", ";BYMONTHDAY=31", ";BYSETPOS=-1;BYDAY=FR", ";COUNT=3", ";UNTIL=20200101T000000Z", ";BYYEARDAY=366", ";BYWEEKNO=53", ";BYHOUR=25"]),
        start in prop::sample::select(vec!["20261101T090000Z", "20261101", "20260229T235959", "19000101T000000Z"]),
    ) {
        let event = format!(
            "BEGIN:VEVENT\r\nUID:p@test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\nRRULE:FREQ={freq};INTERVAL={interval}{extra}\r\nEND:VEVENT\r\n"
        );
        let limits = ExpandLimits { per_event: 500, per_feed: 1_000 };
        let expanded = busy_intervals(&calendar(&event), &new_york(), at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"), limits, &|_| false);
        if let Ok(expanded) = expanded {
            prop_assert!(expanded.busy.iter().all(|b| b.start < b.end));
            prop_assert!(expanded.busy.len() <= 500);
        }
    }
}

#[test]
fn a_utc_recurrence_stays_in_utc_whatever_the_host_zone() {
    let event = "BEGIN:VEVENT\r\nUID:utc@test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20261202T130000Z\r\n\
DTEND:20261202T140000Z\r\nRRULE:FREQ=WEEKLY;COUNT=2\r\nEND:VEVENT\r\n";
    let expanded = read(&calendar(event), "2026-11-30T00:00:00Z", "2027-03-01T00:00:00Z");
    assert_eq!(
        spans(&expanded),
        pairs(&[
            ("2026-12-02T13:00:00Z", "2026-12-02T14:00:00Z"),
            ("2026-12-09T13:00:00Z", "2026-12-09T14:00:00Z"),
        ])
    );
}

#[test]
fn a_timed_event_without_an_end_takes_no_time() {
    let event = "BEGIN:VEVENT\r\nUID:remind@test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20261203T150000Z\r\nEND:VEVENT\r\n";
    let expanded = read(&calendar(event), "2026-11-30T00:00:00Z", "2027-03-01T00:00:00Z");
    assert!(expanded.busy.is_empty(), "{expanded:?}");
}

#[test]
fn events_we_wrote_back_are_not_read_as_busy_time() {
    let ours = "BEGIN:VEVENT\r\nUID:booking-0190aa@switchboard\r\nDTSTAMP:20260101T000000Z\r\n\
DTSTART;TZID=America/New_York:20261021T140000\r\nDTEND;TZID=America/New_York:20261021T150000\r\nEND:VEVENT\r\n";
    let text = calendar(&format!("{WEEKLY_NY}{ours}"));
    let (from, to) = (at("2026-10-19T00:00:00Z"), at("2026-10-24T00:00:00Z"));
    let read_back = |is_own: &dyn Fn(&str) -> bool| {
        busy_intervals(&text, &new_york(), from, to, ExpandLimits::default(), is_own).unwrap()
    };
    let everything = read_back(&|_| false);
    assert_eq!(everything.busy.len(), 2, "{everything:?}");
    let skipped = read_back(&crate::calendar_sources::writeback::is_written_back);
    assert_eq!(
        spans(&skipped),
        pairs(&[("2026-10-19T13:00:00Z", "2026-10-19T14:00:00Z")])
    );
}
