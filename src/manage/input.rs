//! Reading the values a client sends in their documented forms, each failure naming its field:
//! dates `YYYY-MM-DD`, instants RFC 3339 with an offset, IANA time zone names, E.164 numbers,
//! email addresses, bounded free text.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::error::{ManageError, ManageResult};

/// The longest name (a contact's, an invitee's) kept.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest note on a booking.
pub const MAX_NOTES_CHARS: usize = 2000;
/// The longest email address (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;

/// A civil date `YYYY-MM-DD`.
pub fn date(field: &str, text: &str) -> ManageResult<Date> {
    let text = text.trim();
    let shaped = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    match text.parse::<Date>() {
        Ok(date) if shaped => Ok(date),
        _ => Err(ManageError::invalid(
            field,
            format!("{text:?} is not a date written YYYY-MM-DD"),
        )),
    }
}

/// An instant in RFC 3339 with its offset (`2026-03-02T09:00:00+01:00`, `…Z`); a time without
/// an offset is refused rather than guessed.
pub fn instant(field: &str, text: &str) -> ManageResult<Timestamp> {
    text.trim().parse::<Timestamp>().map_err(|_| {
        ManageError::invalid(
            field,
            format!("{text:?} is not an RFC 3339 instant with an offset, like 2026-03-02T09:00:00+01:00"),
        )
    })
}

/// An optional instant (see [`instant`]).
pub fn opt_instant(field: &str, text: Option<&str>) -> ManageResult<Option<Timestamp>> {
    text.map(|text| instant(field, text)).transpose()
}

/// An IANA time zone name (`Europe/Berlin`, `UTC`), with the zone meant when one is likely.
pub fn zone(field: &str, name: &str) -> ManageResult<TimeZone> {
    crate::timezone::zone(name.trim()).map_err(|refused| ManageError::invalid(field, refused.to_string()))
}

/// An E.164 phone number, as Twilio sends them (`+14155550123`).
pub fn phone(field: &str, text: &str) -> ManageResult<String> {
    let text = text.trim();
    if crate::store::is_e164(text) {
        Ok(text.to_owned())
    } else {
        Err(ManageError::invalid(
            field,
            format!("{text:?} is not an E.164 number like +14155550123"),
        ))
    }
}

/// An email address with the shape of one (delivery is not checked).
pub fn email(field: &str, text: &str) -> ManageResult<String> {
    let text = text.trim();
    let shaped = match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !text.contains(char::is_whitespace)
        }
        None => false,
    };
    if shaped && text.chars().count() <= MAX_EMAIL_CHARS {
        Ok(text.to_owned())
    } else {
        Err(ManageError::invalid(
            field,
            format!("{text:?} is not an email address"),
        ))
    }
}

/// Text that must be there and not blank, at most `max_chars` characters; trimmed.
pub fn required_text(field: &str, text: Option<&str>, max_chars: usize) -> ManageResult<String> {
    match text.map(str::trim) {
        Some(text) if !text.is_empty() => bounded(field, text, max_chars),
        _ => Err(ManageError::invalid(field, "is required")),
    }
}

/// Optional text, at most `max_chars` characters; trimmed, and blank taken as absent.
pub fn optional_text(field: &str, text: Option<&str>, max_chars: usize) -> ManageResult<Option<String>> {
    match text.map(str::trim) {
        Some(text) if !text.is_empty() => bounded(field, text, max_chars).map(Some),
        _ => Ok(None),
    }
}

fn bounded(field: &str, text: &str, max_chars: usize) -> ManageResult<String> {
    if text.chars().count() > max_chars {
        Err(ManageError::invalid(
            field,
            format!("is longer than {max_chars} characters"),
        ))
    } else {
        Ok(text.to_owned())
    }
}

/// A `[from, to)` pair of optional bounds whose `to`, when both are given, is after `from`.
pub fn ordered(
    from_field: &str,
    from: Option<Timestamp>,
    to_field: &str,
    to: Option<Timestamp>,
) -> ManageResult<()> {
    match (from, to) {
        (Some(from), Some(to)) if to <= from => Err(ManageError::invalid(
            to_field,
            format!("must be after {from_field}"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(error: ManageError) -> String {
        match error {
            ManageError::Invalid { field, .. } => field,
            other => panic!("not invalid input: {other:?}"),
        }
    }

    #[test]
    fn dates_are_exactly_year_month_day() {
        assert_eq!(date("from", "2026-03-02").unwrap(), jiff::civil::date(2026, 3, 2));
        for bad in ["2026-3-2", "20260302", "2026-02-30", "tomorrow", ""] {
            assert_eq!(field_of(date("from", bad).unwrap_err()), "from", "{bad}");
        }
    }

    #[test]
    fn instants_need_their_offset() {
        let expected: Timestamp = "2026-03-02T08:00:00Z".parse().unwrap();
        assert_eq!(instant("start", "2026-03-02T09:00:00+01:00").unwrap(), expected);
        assert_eq!(instant("start", "2026-03-02T08:00:00Z").unwrap(), expected);
        for bad in ["2026-03-02T09:00:00", "2026-03-02", "soon"] {
            assert_eq!(field_of(instant("start", bad).unwrap_err()), "start", "{bad}");
        }
    }

    #[test]
    fn zones_are_iana_names_and_a_likely_one_is_suggested() {
        assert!(zone("timezone", "Europe/Berlin").is_ok());
        let refused = zone("timezone", "europe/berlin").unwrap_err();
        assert!(refused.to_string().contains("Europe/Berlin"), "{refused}");
        assert_eq!(field_of(zone("timezone", "EST").unwrap_err()), "timezone");
    }

    #[test]
    fn text_phone_and_email_checks_name_their_field() {
        assert_eq!(required_text("name", Some(" Ana "), 10).unwrap(), "Ana");
        assert_eq!(
            field_of(required_text("name", Some("  "), 10).unwrap_err()),
            "name"
        );
        assert_eq!(field_of(required_text("name", None, 10).unwrap_err()), "name");
        assert_eq!(
            field_of(required_text("name", Some("x".repeat(11).as_str()), 10).unwrap_err()),
            "name"
        );
        assert_eq!(optional_text("notes", Some(" "), 10).unwrap(), None);
        assert_eq!(phone("phone", "+4930123456").unwrap(), "+4930123456");
        assert_eq!(field_of(phone("phone", "030 123").unwrap_err()), "phone");
        assert_eq!(email("email", "a@example.com").unwrap(), "a@example.com");
        assert_eq!(field_of(email("email", "a@b").unwrap_err()), "email");
    }

    #[test]
    fn a_range_must_run_forwards() {
        let early: Timestamp = "2026-03-02T08:00:00Z".parse().unwrap();
        let late: Timestamp = "2026-03-03T08:00:00Z".parse().unwrap();
        assert!(ordered("from", Some(early), "to", Some(late)).is_ok());
        assert!(ordered("from", Some(early), "to", None).is_ok());
        assert_eq!(
            field_of(ordered("from", Some(late), "to", Some(early)).unwrap_err()),
            "to"
        );
    }
}
