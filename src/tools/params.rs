//! Reading a tool's parameters as the agent's LLM sends them: typed, forgiving about form
//! (blank strings, "true" as text, spaces in phone numbers), strict about meaning, and every
//! failure a sentence saying what is needed.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::booking::{CallerZone, StartTime};

use super::error::{ToolError, ToolResult};

/// The longest name of a person (an invitee, a contact) the tools accept.
pub(crate) const MAX_NAME_CHARS: usize = 200;

/// Reads `parameters` into `T`. A missing or `null` parameter object reads as `{}`; unknown
/// fields are ignored, since LLMs add them and they do no harm.
pub(crate) fn parse<T: DeserializeOwned>(parameters: &Value) -> ToolResult<T> {
    let empty = Value::Object(serde_json::Map::new());
    let parameters = if parameters.is_null() { &empty } else { parameters };
    if !parameters.is_object() {
        return Err(ToolError::bad_input(
            "The tool parameters must be an object of named values.",
        ));
    }
    T::deserialize(parameters).map_err(|error| {
        ToolError::bad_input(format!(
            "I couldn't read the parameters ({error}). Please check them and try again."
        ))
    })
}

/// A parameter given as text; blank text counts as not given.
pub(crate) fn given(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|text| !text.is_empty())
}

/// A required text parameter; `what` completes "I need …".
pub(crate) fn required<'a>(text: &'a Option<String>, what: &str) -> ToolResult<&'a str> {
    given(text).ok_or_else(|| ToolError::bad_input(format!("I need {what}.")))
}

/// An optional free-text parameter, trimmed, at most `max_chars` long.
pub(crate) fn free_text(text: &Option<String>, what: &str, max_chars: usize) -> ToolResult<Option<String>> {
    match given(text) {
        Some(text) if text.chars().count() > max_chars => Err(ToolError::bad_input(format!(
            "The {what} is too long; please keep it under {max_chars} characters."
        ))),
        other => Ok(other.map(str::to_owned)),
    }
}

/// A yes/no parameter that an LLM may send as a boolean or as text.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Flag {
    Bool(bool),
    Text(String),
}

impl Flag {
    pub(crate) fn value(&self, what: &str) -> ToolResult<bool> {
        match self {
            Flag::Bool(value) => Ok(*value),
            Flag::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Ok(true),
                "false" | "no" | "0" | "" => Ok(false),
                _ => Err(ToolError::bad_input(format!("{what} must be true or false."))),
            },
        }
    }
}

/// A timezone parameter: an IANA name, or `default` (the host's) when not given.
pub(crate) fn timezone(text: &Option<String>, default: &str) -> ToolResult<CallerZone> {
    Ok(CallerZone::named_or(given(text), default)?)
}

/// A calendar date: `YYYY-MM-DD`, or "today" / "tomorrow" on the caller's wall clock.
pub(crate) fn date(text: &str, today: Date) -> ToolResult<Date> {
    match text.trim().to_ascii_lowercase().as_str() {
        "today" => Ok(today),
        "tomorrow" => today
            .tomorrow()
            .map_err(|_| ToolError::bad_input("That date is out of range.")),
        other => other.parse::<Date>().map_err(|_| {
            ToolError::bad_input(format!(
                "I need the date as YYYY-MM-DD, like 2026-02-10; \"{text}\" isn't one."
            ))
        }),
    }
}

/// When a meeting should start, as the agent gives it: an RFC 3339 instant with an offset (as
/// `get_available_slots` returns it), or a wall-clock time to be read in the caller's timezone.
pub(crate) fn start_time(text: &str) -> ToolResult<StartTime> {
    let text = text.trim();
    if let Ok(instant) = text.parse::<Timestamp>() {
        return Ok(StartTime::Instant(instant));
    }
    text.parse::<DateTime>().map(StartTime::Local).map_err(|_| {
        ToolError::bad_input(format!(
            "I need the start time as one of the offered start_time values, or as a local time \
             like 2026-02-10T09:00; \"{text}\" isn't one."
        ))
    })
}

/// A phone number in E.164 (`+14155550123`), from what a caller dictates: spaces, dashes,
/// dots and brackets are dropped, a leading `00` is read as `+`.
pub(crate) fn phone(text: &str) -> ToolResult<String> {
    let mut number: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\u{a0}'))
        .collect();
    if let Some(rest) = number.strip_prefix("00") {
        number = format!("+{rest}");
    }
    if crate::store::is_e164(&number) {
        Ok(number)
    } else {
        Err(ToolError::bad_input(
            "I need the phone number in international format with the country code, like +1 415 555 0123.",
        ))
    }
}

/// An email address that at least has the shape of one; delivery is not checked.
pub(crate) fn email(text: &str) -> ToolResult<String> {
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
    if shaped && text.len() <= 254 {
        Ok(text.to_owned())
    } else {
        Err(ToolError::bad_input(
            "That email address doesn't look right; could you ask the caller to spell it again?",
        ))
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date as civil_date;
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Probe {
        name: Option<String>,
        cancel: Option<Flag>,
    }

    #[test]
    fn null_parameters_read_as_empty_and_non_objects_are_refused() {
        let probe: Probe = parse(&Value::Null).unwrap();
        assert!(probe.name.is_none() && probe.cancel.is_none());
        let refused = parse::<Probe>(&json!(["a"])).unwrap_err();
        assert!(matches!(refused, ToolError::BadInput(_)));
        let wrong_type = parse::<Probe>(&json!({"name": 7})).unwrap_err().sentence();
        assert!(
            wrong_type.starts_with("I couldn't read the parameters"),
            "{wrong_type}"
        );
    }

    #[test]
    fn required_text_says_what_is_missing() {
        assert_eq!(
            required(&Some("  ".into()), "the meeting type")
                .unwrap_err()
                .sentence(),
            "I need the meeting type."
        );
        assert_eq!(required(&Some(" cleaning ".into()), "x").unwrap(), "cleaning");
    }

    #[test]
    fn flags_accept_booleans_and_words() {
        let probe: Probe = parse(&json!({"cancel": "yes"})).unwrap();
        assert!(probe.cancel.unwrap().value("cancel").unwrap());
        let probe: Probe = parse(&json!({"cancel": false})).unwrap();
        assert!(!probe.cancel.unwrap().value("cancel").unwrap());
        let probe: Probe = parse(&json!({"cancel": "maybe"})).unwrap();
        assert!(probe.cancel.unwrap().value("cancel").is_err());
    }

    #[test]
    fn dates_are_iso_or_relative_to_today() {
        let today = civil_date(2026, 2, 9);
        assert_eq!(date("2026-02-10", today).unwrap(), civil_date(2026, 2, 10));
        assert_eq!(date("Tomorrow", today).unwrap(), civil_date(2026, 2, 10));
        assert_eq!(date("today", today).unwrap(), today);
        assert!(date("10/02/2026", today).is_err());
        assert!(date("2026-02-30", today).is_err());
    }

    #[test]
    fn start_times_are_instants_or_wall_clock_times() {
        assert_eq!(
            start_time("2026-02-10T14:00:00Z").unwrap(),
            StartTime::Instant("2026-02-10T14:00:00Z".parse().unwrap())
        );
        assert_eq!(
            start_time("2026-02-10T09:00:00-05:00").unwrap(),
            StartTime::Instant("2026-02-10T14:00:00Z".parse().unwrap())
        );
        let local = StartTime::Local(civil_date(2026, 2, 10).at(9, 0, 0, 0));
        assert_eq!(start_time("2026-02-10T09:00").unwrap(), local);
        assert_eq!(start_time("2026-02-10 09:00:00").unwrap(), local);
        assert!(start_time("9am tuesday").is_err());
    }

    #[test]
    fn timezones_default_to_the_hosts_and_unknown_ones_are_refused() {
        let host = timezone(&None, "America/New_York").unwrap();
        assert_eq!(host.name, "America/New_York");
        let caller = timezone(&Some(" Europe/London ".into()), "America/New_York").unwrap();
        assert_eq!(caller.name, "Europe/London");
        let refused = timezone(&Some("Mars/Olympus".into()), "UTC")
            .unwrap_err()
            .sentence();
        assert!(refused.contains("Mars/Olympus"), "{refused}");
    }

    #[test]
    fn dictated_phone_numbers_become_e164() {
        assert_eq!(phone("+1 (415) 555-0123").unwrap(), "+14155550123");
        assert_eq!(phone("0049 30 123456").unwrap(), "+4930123456");
        for bad in [
            "415 555 0123",
            "+0123",
            "+1",
            "+1234567890123456",
            "+1 415 CALL ME",
        ] {
            assert!(phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_need_a_plausible_shape() {
        assert_eq!(email(" ana@example.com ").unwrap(), "ana@example.com");
        for bad in [
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "a@b@c.com",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_separators_around_valid_digits_normalize_to_the_same_number(
            digits in "[1-9][0-9]{6,13}",
            separators in proptest::collection::vec("[ .()-]{0,2}", 15),
        ) {
            let mut dictated = String::from("+");
            for (i, c) in digits.chars().enumerate() {
                dictated.push_str(&separators[i % separators.len()]);
                dictated.push(c);
            }
            prop_assert_eq!(phone(&dictated).unwrap(), format!("+{digits}"));
        }

        #[test]
        fn phone_never_panics_and_only_returns_e164(text in "\\PC{0,24}") {
            if let Ok(number) = phone(&text) {
                prop_assert!(number.starts_with('+'));
                prop_assert!(number[1..].bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }
}
