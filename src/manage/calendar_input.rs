//! The calendar's values as clients write them, read strictly: times of day as `HH:MM` (24-hour;
//! `24:00` only as an end), weekdays as `monday`..`sunday`, names and the lengths of text
//! fields, minutes within bounds (dates and emails as everywhere: `input`). Each failure names
//! the JSON field at fault.

use jiff::civil::Weekday;

use super::error::{ManageError, ManageResult};
use super::input;

/// Dates `YYYY-MM-DD` and email addresses are read as everywhere in the API.
pub(crate) use super::input::{date, email};

/// Longest name of a host or event type.
pub(crate) const MAX_NAME_CHARS: usize = 200;
/// Longest event type description or blackout reason.
pub(crate) const MAX_TEXT_CHARS: usize = 2000;

/// A field a request must carry.
pub(crate) fn required<T>(field: &str, value: Option<T>) -> ManageResult<T> {
    value.ok_or_else(|| ManageError::invalid(field, "is required"))
}

/// A name: trimmed, not empty, at most `MAX_NAME_CHARS`.
pub(crate) fn name(field: &str, value: &str) -> ManageResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ManageError::invalid(field, "must not be empty"));
    }
    text(field, trimmed, MAX_NAME_CHARS)
}

/// Free text of at most `limit` characters, kept as written.
pub(crate) fn text(field: &str, value: &str, limit: usize) -> ManageResult<String> {
    let chars = value.chars().count();
    if chars > limit {
        return Err(ManageError::invalid(
            field,
            format!("is {chars} characters long; at most {limit} are allowed"),
        ));
    }
    Ok(value.to_owned())
}

/// An IANA time zone name (`Europe/Berlin`, `UTC`); a refused one with the zone it likely meant.
pub(crate) fn timezone(field: &str, value: &str) -> ManageResult<String> {
    input::zone(field, value).map(|_| value.trim().to_owned())
}

/// A whole number of minutes (or days, or a count) within `min..=max`.
pub(crate) fn bounded(field: &str, value: i64, min: u32, max: u32) -> ManageResult<u32> {
    u32::try_from(value)
        .ok()
        .filter(|value| (min..=max).contains(value))
        .ok_or_else(|| ManageError::invalid(field, format!("must be between {min} and {max}, got {value}")))
}

/// Whether a time of day is read as a range's start or end: only an end may be `24:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edge {
    Start,
    End,
}

/// `HH:MM` on a 24-hour clock as minutes after midnight.
pub(crate) fn time_of_day(field: &str, value: &str, edge: Edge) -> ManageResult<u16> {
    let malformed = || {
        ManageError::invalid(
            field,
            format!("{value:?} is not a time of day as HH:MM on a 24-hour clock, like 09:00 or 17:30"),
        )
    };
    let bytes = value.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' {
        return Err(malformed());
    }
    let two_digits = |at: usize| -> Option<u16> {
        let (tens, ones) = (bytes[at], bytes[at + 1]);
        (tens.is_ascii_digit() && ones.is_ascii_digit())
            .then(|| u16::from(tens - b'0') * 10 + u16::from(ones - b'0'))
    };
    let (hours, minutes) = match (two_digits(0), two_digits(3)) {
        (Some(hours), Some(minutes)) => (hours, minutes),
        _ => return Err(malformed()),
    };
    match (hours, minutes, edge) {
        (24, 0, Edge::End) => Ok(1440),
        (24, 0, Edge::Start) => Err(ManageError::invalid(
            field,
            "24:00 is only allowed as an end; a day starts at 00:00",
        )),
        (0..=23, 0..=59, _) => Ok(hours * 60 + minutes),
        _ => Err(malformed()),
    }
}

/// `monday` .. `sunday`, in any case.
pub(crate) fn weekday(field: &str, value: &str) -> ManageResult<Weekday> {
    let weekday = match value.trim().to_ascii_lowercase().as_str() {
        "monday" => Weekday::Monday,
        "tuesday" => Weekday::Tuesday,
        "wednesday" => Weekday::Wednesday,
        "thursday" => Weekday::Thursday,
        "friday" => Weekday::Friday,
        "saturday" => Weekday::Saturday,
        "sunday" => Weekday::Sunday,
        _ => {
            return Err(ManageError::invalid(
                field,
                format!(
                    "{value:?} is not a day of the week: use monday, tuesday, wednesday, thursday, friday, saturday or sunday"
                ),
            ));
        }
    };
    Ok(weekday)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: ManageResult<impl std::fmt::Debug>) -> String {
        match result {
            Err(ManageError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn times_are_24_hour_hh_mm_and_24_00_ends_a_day() {
        assert_eq!(time_of_day("start", "00:00", Edge::Start).unwrap(), 0);
        assert_eq!(time_of_day("start", "09:30", Edge::Start).unwrap(), 570);
        assert_eq!(time_of_day("end", "23:59", Edge::End).unwrap(), 1439);
        assert_eq!(time_of_day("end", "24:00", Edge::End).unwrap(), 1440);
        assert_eq!(
            field_of(time_of_day("ranges[0].start", "24:00", Edge::Start)),
            "ranges[0].start"
        );
        for bad in [
            "9:00", "09:00:00", "0900", "24:01", "25:00", "09:60", "9am", "", "09:0a", "-1:00",
        ] {
            assert_eq!(field_of(time_of_day("end", bad, Edge::End)), "end", "{bad:?}");
        }
    }

    #[test]
    fn weekdays_are_named_in_full() {
        assert_eq!(weekday("day", "monday").unwrap(), Weekday::Monday);
        assert_eq!(weekday("day", "Sunday").unwrap(), Weekday::Sunday);
        for bad in ["mon", "1", "", "montag"] {
            assert_eq!(field_of(weekday("ranges[3].day", bad)), "ranges[3].day");
        }
    }

    #[test]
    fn names_numbers_and_zones_are_checked() {
        assert_eq!(email("email", " a@example.com ").unwrap(), "a@example.com");
        for bad in [
            "",
            "a",
            "a@b",
            "a b@example.com",
            "@example.com",
            "a@@example.com",
            "a@example.",
        ] {
            assert_eq!(field_of(email("email", bad)), "email", "{bad:?}");
        }
        assert_eq!(name("name", "  Ada ").unwrap(), "Ada");
        assert_eq!(field_of(name("name", "   ")), "name");
        assert_eq!(field_of(name("name", &"x".repeat(MAX_NAME_CHARS + 1))), "name");
        assert_eq!(bounded("duration_minutes", 30, 1, 1440).unwrap(), 30);
        for bad in [0, -5, 1441, i64::MAX] {
            assert_eq!(
                field_of(bounded("duration_minutes", bad, 1, 1440)),
                "duration_minutes"
            );
        }
        assert_eq!(timezone("timezone", " Europe/Berlin ").unwrap(), "Europe/Berlin");
        assert_eq!(field_of(timezone("timezone", "EST")), "timezone");
    }
}
