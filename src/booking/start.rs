//! When a caller wants a meeting to start, and on which clock they read it: an instant, or a
//! wall-clock time in the caller's timezone (the host's unless the caller names another).

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use super::error::BookingError;

/// When a meeting should start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartTime {
    /// An instant (as the open starts are offered).
    Instant(Timestamp),
    /// A wall-clock time, to be read in the caller's timezone.
    Local(DateTime),
}

impl StartTime {
    /// Roughly when this is, to pick which schedule and bookings to load; the exact instant
    /// is the engine's to decide (a skipped or repeated local time is refused there).
    pub fn approximate(&self, timezone: &TimeZone) -> Result<Timestamp, BookingError> {
        match *self {
            StartTime::Instant(instant) => Ok(instant),
            StartTime::Local(local) => timezone
                .to_ambiguous_timestamp(local)
                .compatible()
                .map_err(|_| BookingError::DateOutOfRange),
        }
    }
}

/// A caller's timezone: the zone, and its canonical IANA name as a booking stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct CallerZone {
    pub name: String,
    pub zone: TimeZone,
}

impl CallerZone {
    /// The zone with the IANA name `name`, or the one named `default` when `name` is `None`.
    pub fn named_or(name: Option<&str>, default: &str) -> Result<CallerZone, BookingError> {
        let name = name.unwrap_or(default);
        let zone = crate::timezone::zone(name).map_err(|_| BookingError::UnknownTimezone {
            name: name.to_owned(),
        })?;
        Ok(CallerZone {
            name: zone.iana_name().unwrap_or(name).to_owned(),
            zone,
        })
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn the_default_zone_stands_in_for_a_missing_name_and_unknown_names_are_refused() {
        let host = CallerZone::named_or(None, "America/New_York").unwrap();
        assert_eq!(host.name, "America/New_York");
        let caller = CallerZone::named_or(Some("Europe/London"), "America/New_York").unwrap();
        assert_eq!(caller.name, "Europe/London");
        assert!(matches!(
            CallerZone::named_or(Some("Mars/Olympus"), "UTC"),
            Err(BookingError::UnknownTimezone { name }) if name == "Mars/Olympus"
        ));
        // An abbreviation resolves to a fixed offset: wrong for half the year.
        assert!(matches!(
            CallerZone::named_or(Some("EST"), "UTC"),
            Err(BookingError::UnknownTimezone { name }) if name == "EST"
        ));
    }

    #[test]
    fn a_local_start_is_read_on_the_callers_clock() {
        let new_york = TimeZone::get("America/New_York").unwrap();
        let local = StartTime::Local(date(2026, 2, 10).at(9, 0, 0, 0));
        assert_eq!(
            local.approximate(&new_york).unwrap(),
            "2026-02-10T14:00:00Z".parse::<Timestamp>().unwrap()
        );
        let far = StartTime::Local(date(9999, 12, 31).at(23, 0, 0, 0));
        let east = TimeZone::get("Asia/Tokyo").unwrap();
        assert!(matches!(
            far.approximate(&east),
            Err(BookingError::DateOutOfRange)
        ));
    }
}
