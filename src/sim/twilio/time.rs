//! Twilio's dates: RFC 2822 in UTC, `Mon, 30 Nov 2026 14:26:05 +0000`.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// `at` as Twilio writes `date_created`, `date_updated`, `date_sent`, `start_time`, ….
pub fn rfc2822(at: Timestamp) -> String {
    jiff::fmt::rfc2822::to_string(&at.to_zoned(TimeZone::UTC)).expect("a UTC instant prints as RFC 2822")
}

/// For `#[serde(serialize_with)]` on a date field.
pub fn serialize<S: serde::Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc2822(*at))
}

/// For an optional date field.
pub fn serialize_option<S: serde::Serializer>(
    at: &Option<Timestamp>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serializer.serialize_str(&rfc2822(*at)),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_rfc_2822_in_utc() {
        let at: jiff::Timestamp = "2026-11-30T14:26:05Z".parse().unwrap();
        assert_eq!(super::rfc2822(at), "Mon, 30 Nov 2026 14:26:05 +0000");
    }
}
