//! iCalendar (RFC 5545) written from the calendar's data, pure: no IO, `now` an argument.
//!
//! `booking_feed` is a host's confirmed bookings as a calendar any calendar app subscribes to;
//! `vtimezone` the definition of the host's zone its times refer to. The `icalendar` crate
//! writes the content lines (escaping TEXT values, folding lines at 75 octets); what it cannot
//! write is said where it is written by hand.

pub mod booking_feed;
pub mod vtimezone;

/// A TEXT value as RFC 5545 §3.3.11 allows it: line breaks as `\n` (the writer escapes them),
/// other control characters dropped. The writer escapes `\`, `,`, `;` and newlines but passes a
/// bare carriage return or other control character through, which would break the line.
pub fn plain_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| *c == '\n' || *c == '\t' || !c.is_control())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_become_newlines_and_other_controls_go() {
        assert_eq!(plain_text("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert_eq!(plain_text("tab\there\u{0}\u{7}\u{1b}[31m"), "tab\there[31m");
        assert_eq!(plain_text("Zoë, 東京; ok"), "Zoë, 東京; ok");
    }
}
