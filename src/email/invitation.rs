//! The calendar invitation an invitee's email carries (`invite.ics`), pure: an iCalendar
//! (RFC 5545) object with iTIP's method (RFC 5546): `REQUEST` for a booking made or moved,
//! `CANCEL` for one cancelled.
//!
//! - The UID is that of the booking the appointment was first made as, so a calendar that
//!   took the first invitation updates its event when the booking moves and removes it when it
//!   is cancelled; SEQUENCE counts the changes (each move one more, a cancellation one more
//!   than the last move), so a client never applies an older one over a newer.
//! - DTSTART/DTEND are the host's wall clock (`TZID=<zone>`) with the zone's VTIMEZONE over
//!   the event's span; a time the clock reads twice (the hour repeated when it falls back) is
//!   written in UTC instead, since `TZID` times mean their first reading (§3.3.5).
//! - ORGANIZER is the business's sending address, ATTENDEE the invitee.
//!
//! Written line by line: the lines are few and fixed; TEXT values are escaped (§3.3.11) and
//! long lines folded at 75 octets (§3.1) here. The VTIMEZONE is the booking feed's
//! (`ics::vtimezone`: the tz database's own transitions, explicit onsets).

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::ics::vtimezone::vtimezone;

const PRODID: &str = "-//switchboard//booking invitation//EN";

/// What the invitation asks of the invitee's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Add or update the event.
    Request,
    /// Remove it.
    Cancel,
}

/// A name and an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    pub name: String,
    pub email: String,
}

/// Everything the invitation says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub method: Method,
    /// The id of the booking the appointment was first made as.
    pub first_booking_id: String,
    pub sequence: u32,
    pub start: Timestamp,
    pub end: Timestamp,
    /// The host's IANA zone.
    pub timezone: String,
    pub summary: String,
    pub description: String,
    pub organizer: Party,
    pub attendee: Party,
    /// When it was written (DTSTAMP): the change's own instant, so a retried send writes the
    /// same bytes.
    pub stamp: Timestamp,
}

impl Invitation {
    /// The UID every version of this appointment's invitation carries.
    pub fn uid(&self) -> String {
        format!("{}@switchboard", self.first_booking_id)
    }

    /// The iCalendar text, CRLF lines; an unknown zone falls back to UTC times.
    pub fn to_ics(&self) -> String {
        let zone = TimeZone::get(&self.timezone).ok();
        let mut out = String::new();
        line(&mut out, "BEGIN:VCALENDAR");
        line(&mut out, &format!("PRODID:{PRODID}"));
        line(&mut out, "VERSION:2.0");
        line(&mut out, "CALSCALE:GREGORIAN");
        line(
            &mut out,
            match self.method {
                Method::Request => "METHOD:REQUEST",
                Method::Cancel => "METHOD:CANCEL",
            },
        );
        if let Some(zone) = &zone {
            out.push_str(&vtimezone(&self.timezone, zone, self.start, self.end));
        }
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", self.uid()));
        line(&mut out, &format!("SEQUENCE:{}", self.sequence));
        line(&mut out, &format!("DTSTAMP:{}", utc(self.stamp)));
        line(
            &mut out,
            &date_time("DTSTART", self.start, zone.as_ref(), &self.timezone),
        );
        line(
            &mut out,
            &date_time("DTEND", self.end, zone.as_ref(), &self.timezone),
        );
        line(&mut out, &format!("SUMMARY:{}", text(&self.summary)));
        line(&mut out, &format!("DESCRIPTION:{}", text(&self.description)));
        line(
            &mut out,
            &format!(
                "ORGANIZER;CN={}:mailto:{}",
                param(&self.organizer.name),
                self.organizer.email
            ),
        );
        line(
            &mut out,
            &format!(
                "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;PARTSTAT={};RSVP=FALSE:mailto:{}",
                param(&self.attendee.name),
                match self.method {
                    Method::Request => "ACCEPTED",
                    Method::Cancel => "DECLINED",
                },
                self.attendee.email
            ),
        );
        line(
            &mut out,
            match self.method {
                Method::Request => "STATUS:CONFIRMED",
                Method::Cancel => "STATUS:CANCELLED",
            },
        );
        line(&mut out, "TRANSP:OPAQUE");
        line(&mut out, "END:VEVENT");
        line(&mut out, "END:VCALENDAR");
        out
    }
}

/// `NAME;TZID=zone:local`, or `NAME:utcZ` when the zone is unknown or the local time is
/// ambiguous.
fn date_time(name: &str, at: Timestamp, zone: Option<&TimeZone>, tzid: &str) -> String {
    if let Some(zone) = zone {
        let local = at.to_zoned(zone.clone()).datetime();
        let first_reading = zone.to_ambiguous_timestamp(local).compatible().ok();
        if first_reading == Some(at) {
            return format!("{name};TZID={tzid}:{}", local.strftime("%Y%m%dT%H%M%S"));
        }
    }
    format!("{name}:{}", utc(at))
}

fn utc(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value (§3.3.11): `\`, `;`, `,` and line breaks escaped, other controls dropped.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let normalized = value.replace("\r\n", "\n").replace('\r', "\n");
    for c in normalized.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value (§3.2): quoted, without the characters a quoted value cannot hold.
fn param(value: &str) -> String {
    let clean: String = value.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    format!("\"{clean}\"")
}

/// Appends `content` as one logical line, folded at 75 octets (never inside a character).
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    fn invitation(method: Method, start: &str, minutes: i64) -> Invitation {
        let start: Timestamp = start.parse().unwrap();
        Invitation {
            method,
            first_booking_id: "0190-first".into(),
            sequence: 0,
            start,
            end: start + SignedDuration::from_mins(minutes),
            timezone: "America/New_York".into(),
            summary: "Consultation, with Dr. Lee; 30 min".into(),
            description: "Line one\nline two".into(),
            organizer: Party {
                name: "Acme \"Dental\"".into(),
                email: "bookings@acme.example".into(),
            },
            attendee: Party {
                name: "Ada Lovelace".into(),
                email: "ada@example.com".into(),
            },
            stamp: "2026-03-01T12:00:00Z".parse().unwrap(),
        }
    }

    fn unfolded(ics: &str) -> Vec<String> {
        ics.replace("\r\n ", "")
            .split("\r\n")
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn a_request_is_in_the_hosts_wall_clock_with_its_zone() {
        let ics = invitation(Method::Request, "2026-03-10T14:00:00Z", 30).to_ics();
        let lines = unfolded(&ics);
        assert!(lines.contains(&"METHOD:REQUEST".to_owned()));
        assert!(lines.contains(&"UID:0190-first@switchboard".to_owned()));
        // 14:00 UTC on 10 March is 10:00 EDT (the clocks moved on 8 March).
        assert!(lines.contains(&"DTSTART;TZID=America/New_York:20260310T100000".to_owned()));
        assert!(lines.contains(&"DTEND;TZID=America/New_York:20260310T103000".to_owned()));
        assert!(lines.contains(&"TZID:America/New_York".to_owned()));
        assert!(lines.contains(&"TZOFFSETTO:-0400".to_owned()), "{ics}");
        assert!(lines.contains(&"SUMMARY:Consultation\\, with Dr. Lee\\; 30 min".to_owned()));
        assert!(lines.contains(&"DESCRIPTION:Line one\\nline two".to_owned()));
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("ORGANIZER;CN=\"Acme Dental\":mailto:bookings@"))
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("ATTENDEE;CN=\"Ada Lovelace\""))
        );
        assert!(ics.split("\r\n").all(|l| l.len() <= 75), "{ics}");
    }

    #[test]
    fn a_cancellation_keeps_the_uid_with_its_sequence() {
        let mut cancel = invitation(Method::Cancel, "2026-03-10T14:00:00Z", 30);
        cancel.sequence = 2;
        let lines = unfolded(&cancel.to_ics());
        assert!(lines.contains(&"METHOD:CANCEL".to_owned()));
        assert!(lines.contains(&"UID:0190-first@switchboard".to_owned()));
        assert!(lines.contains(&"SEQUENCE:2".to_owned()));
        assert!(lines.contains(&"STATUS:CANCELLED".to_owned()));
    }

    #[test]
    fn the_zone_covers_a_change_of_clocks_inside_the_event() {
        // 05:30 UTC on 8 March 2026 is 00:30 EST; three hours later the clocks have sprung.
        let ics = invitation(Method::Request, "2026-03-08T05:30:00Z", 180).to_ics();
        let lines = unfolded(&ics);
        assert!(lines.contains(&"BEGIN:STANDARD".to_owned()));
        assert!(lines.contains(&"BEGIN:DAYLIGHT".to_owned()));
        assert!(lines.contains(&"DTSTART:20260308T020000".to_owned()), "{ics}");
        assert!(lines.contains(&"DTEND;TZID=America/New_York:20260308T043000".to_owned()));
    }

    #[test]
    fn the_repeated_hour_is_written_in_utc() {
        // 06:30 UTC on 1 November 2026 is the second 01:30 in New York.
        let ics = invitation(Method::Request, "2026-11-01T06:30:00Z", 30).to_ics();
        let lines = unfolded(&ics);
        assert!(lines.contains(&"DTSTART:20261101T063000Z".to_owned()), "{ics}");
    }

    #[test]
    fn long_lines_fold_without_splitting_a_character() {
        let mut long = invitation(Method::Request, "2026-03-10T14:00:00Z", 30);
        long.description = "é".repeat(100);
        let ics = long.to_ics();
        assert!(ics.split("\r\n").all(|l| l.len() <= 75));
        assert!(unfolded(&ics).contains(&format!("DESCRIPTION:{}", "é".repeat(100))));
    }
}
