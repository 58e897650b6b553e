//! How slot times are written for people and for machines: "9:00 AM", "Tuesday, March 10" and
//! both together on the caller's own wall clock, and ISO 8601 in UTC.
//!
//! Format specifiers follow jiff's strftime: <https://docs.rs/jiff/0.2/jiff/fmt/strtime/>.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The wall-clock time of `at` in `timezone`, 12-hour style: "9:00 AM", "12:30 PM".
pub fn time_label(at: Timestamp, timezone: &TimeZone) -> String {
    timezone.to_datetime(at).strftime("%-I:%M %p").to_string()
}

/// The date of `at` in `timezone`: "Tuesday, March 10".
pub fn date_label(at: Timestamp, timezone: &TimeZone) -> String {
    civil_date_label(timezone.to_datetime(at).date())
}

/// The date and time of `at` in `timezone`: "Tuesday, March 10 at 9:00 AM".
pub fn date_time_label(at: Timestamp, timezone: &TimeZone) -> String {
    format!("{} at {}", date_label(at, timezone), time_label(at, timezone))
}

/// A calendar date: "Tuesday, March 10".
pub fn civil_date_label(date: Date) -> String {
    date.strftime("%A, %B %-d").to_string()
}

/// `at` in UTC with whole seconds, as tools exchange it: "2026-02-10T14:00:00Z".
pub fn utc_label(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn instant(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn times_are_twelve_hour_without_leading_zero() {
        let new_york = TimeZone::get("America/New_York").unwrap();
        assert_eq!(time_label(instant("2026-02-10T14:00:00Z"), &new_york), "9:00 AM");
        assert_eq!(time_label(instant("2026-02-10T17:30:00Z"), &new_york), "12:30 PM");
        assert_eq!(time_label(instant("2026-02-11T05:05:00Z"), &new_york), "12:05 AM");
        assert_eq!(time_label(instant("2026-02-11T03:45:00Z"), &new_york), "10:45 PM");
    }

    #[test]
    fn labels_follow_the_callers_timezone() {
        let at = instant("2026-03-10T13:00:00Z");
        let new_york = TimeZone::get("America/New_York").unwrap();
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        let kathmandu = TimeZone::get("Asia/Kathmandu").unwrap();
        assert_eq!(
            (time_label(at, &new_york), date_label(at, &new_york)),
            ("9:00 AM".into(), "Tuesday, March 10".into())
        );
        assert_eq!(
            (time_label(at, &tokyo), date_label(at, &tokyo)),
            ("10:00 PM".into(), "Tuesday, March 10".into())
        );
        assert_eq!(time_label(at, &kathmandu), "6:45 PM");
        let late = instant("2026-03-10T16:00:00Z");
        assert_eq!(date_label(late, &tokyo), "Wednesday, March 11");
        assert_eq!(date_time_label(late, &tokyo), "Wednesday, March 11 at 1:00 AM");
    }

    #[test]
    fn dates_name_weekday_month_and_day() {
        assert_eq!(civil_date_label(date(2026, 3, 1)), "Sunday, March 1");
        assert_eq!(civil_date_label(date(2026, 12, 31)), "Thursday, December 31");
    }

    #[test]
    fn utc_labels_always_carry_seconds() {
        assert_eq!(utc_label(instant("2026-02-10T14:00:00Z")), "2026-02-10T14:00:00Z");
        assert_eq!(
            utc_label(instant("2026-02-10T09:00:00-05:00")),
            "2026-02-10T14:00:00Z"
        );
    }
}
