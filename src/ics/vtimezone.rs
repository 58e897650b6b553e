//! The VTIMEZONE component (RFC 5545 §3.6.5) of an IANA zone over a span of time, from the tz
//! database's own transitions: one observance for the rule in force at the span's start, then
//! one per transition inside it, each with its onset, offsets and abbreviation. Explicit onsets
//! rather than RRULEs, so the definition is exactly what the database says for those dates
//! (past rule changes included) and every reader, with or without its own tz database, agrees.
//!
//! Written by hand: the `icalendar` crate has no VTIMEZONE type, and every component it writes
//! gets a `DTSTAMP` (the time of writing) and a random `UID`, which §3.6.5 does not allow in a
//! VTIMEZONE and which would change the feed's bytes on every request. The lines here are
//! short fixed ASCII formats (an IANA name, dates, offsets, a tz abbreviation), so no escaping
//! or folding is needed; `tests` checks that.

use std::fmt::Write;

use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

/// One observance: from `onset` on, the zone's clock reads UTC plus `offset_to`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Observance {
    /// `None` for a zone that never changes (UTC, fixed offsets).
    onset: Option<Timestamp>,
    offset_from: Offset,
    offset_to: Offset,
    name: String,
    daylight: bool,
}

/// The VTIMEZONE of `tzid` (read as `zone`) for every instant in `[from, to]`, as CRLF lines.
pub fn vtimezone(tzid: &str, zone: &TimeZone, from: Timestamp, to: Timestamp) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VTIMEZONE");
    line(&mut out, &format!("TZID:{tzid}"));
    for observance in observances(zone, from, to) {
        let kind = if observance.daylight {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        line(&mut out, &format!("BEGIN:{kind}"));
        let onset = match observance.onset {
            // §3.6.5: the onset is local time as the clock read before it.
            Some(onset) => observance
                .offset_from
                .to_datetime(onset)
                .strftime("%Y%m%dT%H%M%S")
                .to_string(),
            None => "19700101T000000".to_owned(),
        };
        line(&mut out, &format!("DTSTART:{onset}"));
        line(
            &mut out,
            &format!("TZOFFSETFROM:{}", utc_offset(observance.offset_from)),
        );
        line(
            &mut out,
            &format!("TZOFFSETTO:{}", utc_offset(observance.offset_to)),
        );
        if !observance.name.is_empty() {
            line(&mut out, &format!("TZNAME:{}", observance.name));
        }
        line(&mut out, &format!("END:{kind}"));
    }
    line(&mut out, "END:VTIMEZONE");
    out
}

fn observances(zone: &TimeZone, from: Timestamp, to: Timestamp) -> Vec<Observance> {
    let just_after = |at: Timestamp| at.checked_add(SignedDuration::from_nanos(1)).unwrap_or(at);
    let just_before = |at: Timestamp| at.checked_sub(SignedDuration::from_secs(1)).unwrap_or(at);
    let mut observances = Vec::new();
    let in_force = zone.preceding(just_after(from)).next();
    let first_onset = match &in_force {
        Some(transition) => {
            observances.push(Observance {
                onset: Some(transition.timestamp()),
                offset_from: zone.to_offset(just_before(transition.timestamp())),
                offset_to: transition.offset(),
                name: abbreviation(transition.abbreviation()),
                daylight: transition.dst().is_dst(),
            });
            Some(transition.timestamp())
        }
        None => {
            let info = zone.to_offset_info(from);
            observances.push(Observance {
                onset: None,
                offset_from: info.offset(),
                offset_to: info.offset(),
                name: abbreviation(info.abbreviation()),
                daylight: info.dst().is_dst(),
            });
            None
        }
    };
    for transition in zone.following(from) {
        let onset = transition.timestamp();
        if onset > to {
            break;
        }
        if first_onset.is_some_and(|first| onset <= first) {
            continue;
        }
        observances.push(Observance {
            onset: Some(onset),
            offset_from: zone.to_offset(just_before(onset)),
            offset_to: transition.offset(),
            name: abbreviation(transition.abbreviation()),
            daylight: transition.dst().is_dst(),
        });
    }
    observances
}

/// A tz abbreviation as a TEXT value: they are letters, digits and signs, but any character
/// TEXT would need escaped is dropped rather than trusted.
fn abbreviation(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '-')
        .collect()
}

/// `±HHMM`, or `±HHMMSS` when the offset has seconds (§3.3.14).
fn utc_offset(offset: Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.unsigned_abs();
    let mut text = format!("{sign}{:02}{:02}", seconds / 3600, seconds % 3600 / 60);
    if !seconds.is_multiple_of(60) {
        let _ = write!(text, "{:02}", seconds % 60);
    }
    text
}

fn line(out: &mut String, text: &str) {
    out.push_str(text);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn new_york_across_the_spring_change_has_both_observances() {
        let zone = TimeZone::get("America/New_York").unwrap();
        let text = vtimezone(
            "America/New_York",
            &zone,
            at("2026-03-01T15:00:00Z"),
            at("2026-03-20T15:00:00Z"),
        );
        assert_eq!(
            text,
            "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n\
             BEGIN:STANDARD\r\nDTSTART:20251102T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\nEND:STANDARD\r\n\
             BEGIN:DAYLIGHT\r\nDTSTART:20260308T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\nEND:DAYLIGHT\r\n\
             END:VTIMEZONE\r\n"
        );
    }

    #[test]
    fn a_span_without_a_change_has_the_rule_in_force_only() {
        let zone = TimeZone::get("Europe/Berlin").unwrap();
        let text = vtimezone(
            "Europe/Berlin",
            &zone,
            at("2026-06-01T00:00:00Z"),
            at("2026-07-01T00:00:00Z"),
        );
        assert_eq!(text.matches("BEGIN:DAYLIGHT").count(), 1, "{text}");
        assert!(!text.contains("BEGIN:STANDARD"), "{text}");
        assert!(
            text.contains("DTSTART:20260329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200"),
            "{text}"
        );
    }

    #[test]
    fn a_year_has_every_change_in_order() {
        let zone = TimeZone::get("Australia/Sydney").unwrap();
        let text = vtimezone(
            "Australia/Sydney",
            &zone,
            at("2026-01-01T00:00:00Z"),
            at("2027-01-01T00:00:00Z"),
        );
        let onsets: Vec<&str> = text.lines().filter(|l| l.starts_with("DTSTART:")).collect();
        assert_eq!(
            onsets,
            [
                "DTSTART:20251005T020000",
                "DTSTART:20260405T030000",
                "DTSTART:20261004T020000"
            ]
        );
    }

    #[test]
    fn utc_and_zones_without_changes_have_one_fixed_observance() {
        let text = vtimezone(
            "UTC",
            &TimeZone::UTC,
            at("2026-01-01T00:00:00Z"),
            at("2027-01-01T00:00:00Z"),
        );
        assert!(
            text.contains(
                "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\n"
            ),
            "{text}"
        );
        let kolkata = TimeZone::get("Asia/Kolkata").unwrap();
        let text = vtimezone(
            "Asia/Kolkata",
            &kolkata,
            at("2026-01-01T00:00:00Z"),
            at("2027-01-01T00:00:00Z"),
        );
        assert!(text.contains("TZOFFSETTO:+0530\r\n"), "{text}");
        assert_eq!(text.matches("BEGIN:STANDARD").count(), 1, "{text}");
    }

    #[test]
    fn offsets_with_seconds_keep_them() {
        assert_eq!(
            utc_offset(Offset::from_seconds(-(4 * 3600 + 56 * 60 + 2)).unwrap()),
            "-045602"
        );
        assert_eq!(
            utc_offset(Offset::from_seconds(5 * 3600 + 45 * 60).unwrap()),
            "+0545"
        );
    }

    #[test]
    fn every_line_is_short_and_needs_no_escaping() {
        let zone = TimeZone::get("America/Argentina/ComodRivadavia").unwrap_or(TimeZone::UTC);
        for (tzid, zone) in [
            ("America/Argentina/ComodRivadavia", zone),
            ("America/Sao_Paulo", TimeZone::get("America/Sao_Paulo").unwrap()),
        ] {
            let text = vtimezone(
                tzid,
                &zone,
                at("1990-01-01T00:00:00Z"),
                at("2027-01-01T00:00:00Z"),
            );
            for line in text.split_terminator("\r\n") {
                assert!(line.len() <= 75, "{line}");
                assert!(!line.contains([',', ';', '\\']), "{line}");
            }
        }
    }
}
