use super::*;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn host(timezone: &str) -> FeedHost {
    FeedHost {
        name: "Dana Reyes".to_owned(),
        timezone: timezone.to_owned(),
    }
}

fn entry(id: &str, start: &str, minutes: i64) -> FeedEntry {
    let start = at(start);
    FeedEntry {
        status: EntryStatus::Confirmed,
        first_booking_id: id.to_owned(),
        reschedules: 0,
        reference: "K7M4PX".to_owned(),
        start,
        end: start + SignedDuration::from_mins(minutes),
        changed_at: at("2026-02-20T12:00:00Z"),
        meeting_type: "Deep clean".to_owned(),
        invitee_name: "Ada Lovelace".to_owned(),
        invitee_email: Some("ada@example.com".to_owned()),
        invitee_phone: Some("+14155550199".to_owned()),
        notes: None,
        call: None,
    }
}

const NOW: &str = "2026-03-01T00:00:00Z";

fn body(host: &FeedHost, entries: &[FeedEntry]) -> String {
    build(host, entries, at(NOW)).unwrap().body
}

/// The content lines with folding undone (RFC 5545 §3.1).
fn unfolded(text: &str) -> Vec<String> {
    icalendar::parser::unfold(text)
        .split("\r\n")
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

fn events(text: &str) -> Vec<Vec<String>> {
    let mut events = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in unfolded(text) {
        match line.as_str() {
            "BEGIN:VEVENT" => current = Some(Vec::new()),
            "END:VEVENT" => events.push(current.take().unwrap()),
            _ => {
                if let Some(event) = current.as_mut() {
                    event.push(line);
                }
            }
        }
    }
    events
}

fn property<'a>(event: &'a [String], name: &str) -> &'a str {
    event
        .iter()
        .find_map(|line| {
            line.strip_prefix(name)
                .filter(|rest| rest.starts_with([':', ';']))
        })
        .unwrap_or_else(|| panic!("no {name} in {event:?}"))
}

#[test]
fn the_calendar_says_what_it_is_and_whose_clock_it_keeps() {
    let text = body(
        &host("America/New_York"),
        &[entry("b1", "2026-03-05T14:00:00Z", 60)],
    );
    let lines = unfolded(&text);
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
    for expected in [
        "PRODID:-//switchboard//booking feed//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Dana Reyes bookings",
        "X-WR-TIMEZONE:America/New_York",
        "TZID:America/New_York",
    ] {
        assert!(
            lines.iter().any(|line| line == expected),
            "{expected} missing:\n{text}"
        );
    }
    let events = events(&text);
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(property(event, "UID"), ":booking-b1@switchboard");
    assert_eq!(property(event, "DTSTAMP"), ":20260220T120000Z");
    assert_eq!(property(event, "STATUS"), ":CONFIRMED");
    assert_eq!(property(event, "SEQUENCE"), ":0");
    assert_eq!(property(event, "SUMMARY"), ":Deep clean with Ada Lovelace");
    assert_eq!(
        property(event, "DESCRIPTION"),
        ":Invitee: Ada Lovelace\\nEmail: ada@example.com\\nPhone: +14155550199\\nMeeting type: Deep clean\\nReference: K7M4PX"
    );
    assert!(text.ends_with("END:VCALENDAR\r\n"));
    assert!(!text.replace("\r\n", "").contains('\n'), "bare LF in:\n{text}");
}

#[test]
fn text_is_escaped_and_control_characters_cannot_break_a_line() {
    let mut tricky = entry("b1", "2026-03-05T14:00:00Z", 60);
    tricky.invitee_name = "O'Brien, Ann; \\the first\r\nINJECTED:1".to_owned();
    tricky.meeting_type = "Clean; deep, long".to_owned();
    tricky.notes = Some("gate code 4;2,1\rring twice\u{7}".to_owned());
    let mut named = host("UTC");
    named.name = "Ops, Inc.;\nX-EVIL:1".to_owned();
    let text = body(&named, &[tricky]);
    let lines = unfolded(&text);
    assert!(
        lines
            .iter()
            .all(|line| !line.starts_with("INJECTED") && !line.starts_with("X-EVIL")),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|line| line == "X-WR-CALNAME:Ops\\, Inc.\\;\\nX-EVIL:1 bookings"),
        "{text}"
    );
    let event = &events(&text)[0];
    assert_eq!(
        property(event, "SUMMARY"),
        ":Clean\\; deep\\, long with O'Brien\\, Ann\\; \\\\the first\\nINJECTED:1"
    );
    assert!(
        property(event, "DESCRIPTION").ends_with("Notes: gate code 4\\;2\\,1\\nring twice"),
        "{text}"
    );
    assert!(!text.contains('\u{7}'));
    // Every CR is part of a CRLF.
    assert_eq!(text.matches('\r').count(), text.matches("\r\n").count());
}

#[test]
fn long_lines_fold_at_75_octets_without_splitting_a_character() {
    let mut long = entry("b1", "2026-03-05T14:00:00Z", 60);
    long.notes = Some("Zoë wants the 東京 room; ".repeat(20));
    long.call = Some(FeedCall {
        id: "call_0123456789abcdef".to_owned(),
        url: "https://switchboard.example.com/api/v1/calls/call_0123456789abcdef".to_owned(),
    });
    let text = body(&host("UTC"), &[long.clone()]);
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
    }
    assert!(text.contains("\r\n "), "nothing folded:\n{text}");
    let description = property(&events(&text)[0], "DESCRIPTION").to_owned();
    let expected_notes = long.notes.unwrap().replace(';', "\\;");
    assert!(description.contains(&expected_notes), "{description}");
    assert!(
        description.ends_with(
            "Booked on call call_0123456789abcdef: https://switchboard.example.com/api/v1/calls/call_0123456789abcdef"
        ),
        "{description}"
    );
}

#[test]
fn times_are_the_hosts_wall_clock_on_both_sides_of_a_clock_change() {
    // New York moves to daylight time on 2026-03-08: 9:00 local is 14:00Z before, 13:00Z after.
    let entries = [
        entry("before", "2026-03-05T14:00:00Z", 90),
        entry("after", "2026-03-12T13:00:00Z", 90),
    ];
    let text = body(&host("America/New_York"), &entries);
    let events = events(&text);
    assert_eq!(
        property(&events[0], "DTSTART"),
        ";TZID=America/New_York:20260305T090000"
    );
    assert_eq!(
        property(&events[0], "DTEND"),
        ";TZID=America/New_York:20260305T103000"
    );
    assert_eq!(
        property(&events[1], "DTSTART"),
        ";TZID=America/New_York:20260312T090000"
    );
    assert_eq!(
        property(&events[1], "DTEND"),
        ";TZID=America/New_York:20260312T103000"
    );
    // The zone's definition covers both.
    assert!(
        text.contains(
            "BEGIN:STANDARD\r\nDTSTART:20251102T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "BEGIN:DAYLIGHT\r\nDTSTART:20260308T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\n"
        ),
        "{text}"
    );
    // A booking spanning the change itself: 1:00 EST to 4:00 EDT is two hours.
    let across = body(
        &host("America/New_York"),
        &[entry("night", "2026-03-08T06:00:00Z", 120)],
    );
    let event = &super::tests::events(&across)[0];
    assert_eq!(
        property(event, "DTSTART"),
        ";TZID=America/New_York:20260308T010000"
    );
    assert_eq!(property(event, "DTEND"), ";TZID=America/New_York:20260308T040000");
}

#[test]
fn the_repeated_hour_second_reading_is_written_in_utc() {
    // 2026-11-01 01:30 happens twice in New York: 05:30Z (EDT) and 06:30Z (EST).
    let entries = [
        entry("first", "2026-11-01T05:30:00Z", 15),
        entry("second", "2026-11-01T06:30:00Z", 15),
    ];
    let text = build(&host("America/New_York"), &entries, at("2026-10-01T00:00:00Z"))
        .unwrap()
        .body;
    let events = events(&text);
    assert_eq!(
        property(&events[0], "DTSTART"),
        ";TZID=America/New_York:20261101T013000"
    );
    assert_eq!(property(&events[1], "DTSTART"), ":20261101T063000Z");
    assert_eq!(property(&events[1], "DTEND"), ":20261101T064500Z");
}

#[test]
fn cancelled_and_replaced_bookings_are_left_out_but_move_last_modified() {
    let shown = entry("kept", "2026-03-05T14:00:00Z", 60);
    let mut cancelled = entry("gone", "2026-03-06T14:00:00Z", 60);
    cancelled.status = EntryStatus::Cancelled;
    cancelled.changed_at = at("2026-02-25T08:00:00Z");
    let mut replaced = entry("moved-away", "2026-03-07T14:00:00Z", 60);
    replaced.status = EntryStatus::Replaced;
    let feed = build(&host("UTC"), &[shown.clone(), cancelled, replaced], at(NOW)).unwrap();
    let events = events(&feed.body);
    assert_eq!(events.len(), 1);
    assert_eq!(property(&events[0], "UID"), ":booking-kept@switchboard");
    assert_eq!(feed.last_modified, Some(at("2026-02-25T08:00:00Z")));
    assert_ne!(feed.etag, build(&host("UTC"), &[], at(NOW)).unwrap().etag);
}

#[test]
fn a_moved_booking_keeps_its_first_uid_and_counts_its_moves() {
    let mut moved = entry("first-made", "2026-03-10T14:00:00Z", 60);
    moved.reschedules = 2;
    let event = &events(&body(&host("UTC"), &[moved]))[0];
    assert_eq!(property(event, "UID"), ":booking-first-made@switchboard");
    assert_eq!(property(event, "SEQUENCE"), ":2");
}

#[test]
fn only_the_window_is_shown_and_an_empty_feed_is_a_calendar() {
    let entries = [
        entry("too-old", "2026-01-20T14:00:00Z", 60),
        entry("recent", "2026-02-10T14:00:00Z", 60),
        entry("next-year", "2027-02-20T14:00:00Z", 60),
        entry("too-far", "2027-03-05T14:00:00Z", 60),
    ];
    let text = body(&host("UTC"), &entries);
    let uids: Vec<String> = events(&text)
        .iter()
        .map(|event| property(event, "UID").to_owned())
        .collect();
    assert_eq!(
        uids,
        [":booking-recent@switchboard", ":booking-next-year@switchboard"]
    );
    let empty = body(&host("Europe/Berlin"), &[]);
    assert!(
        !empty.contains("BEGIN:VTIMEZONE") && !empty.contains("BEGIN:VEVENT"),
        "{empty}"
    );
    assert!(empty.contains("X-WR-TIMEZONE:Europe/Berlin\r\n"));
}

#[test]
fn the_etag_follows_the_bookings_not_the_clock() {
    let entries = [entry("b1", "2026-03-05T14:00:00Z", 60)];
    let first = build(&host("UTC"), &entries, at(NOW)).unwrap();
    let later = build(&host("UTC"), &entries, at("2026-03-01T06:00:00Z")).unwrap();
    assert_eq!(first, later);
    assert!(first.etag.starts_with('"') && first.etag.ends_with('"') && first.etag.len() == 34);
    let mut changed = entries.clone();
    changed[0].changed_at = at("2026-02-21T00:00:00Z");
    assert_ne!(build(&host("UTC"), &changed, at(NOW)).unwrap().etag, first.etag);
}

#[test]
fn an_unknown_zone_is_an_error_not_a_wrong_calendar() {
    assert_eq!(
        build(&host("Mars/Olympus_Mons"), &[], at(NOW)),
        Err(UnknownZone("Mars/Olympus_Mons".to_owned()))
    );
}

#[test]
fn a_calendar_object_is_one_event_in_the_hosts_zone_without_a_method() {
    let mut moved = entry("first-made", "2026-03-10T14:00:00Z", 60);
    moved.reschedules = 1;
    let text = calendar_object(&host("America/New_York"), &moved).unwrap();
    let lines = unfolded(&text);
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
    assert!(!lines.iter().any(|line| line.starts_with("METHOD")), "{text}");
    assert!(lines.iter().any(|line| line == "TZID:America/New_York"), "{text}");
    let events = events(&text);
    assert_eq!(events.len(), 1);
    assert_eq!(property(&events[0], "UID"), ":booking-first-made@switchboard");
    assert_eq!(
        property(&events[0], "DTSTART"),
        ";TZID=America/New_York:20260310T100000"
    );
    assert_eq!(property(&events[0], "SEQUENCE"), ":1");
    assert!(calendar_object(&host("Mars/Olympus"), &moved).is_err());
}
