//! What a caller asks for when looking for slots: a date or a run of dates, read in the
//! caller's own timezone, which need not be the host's.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use super::open_range::OpenRange;

/// The longest run of dates one query may cover.
pub const MAX_QUERY_DAYS: i32 = 366;

/// The dates `first ..= last` in `timezone`: slots starting from `first` at 00:00 up to
/// (not including) the day after `last` at 00:00, both on that timezone's wall clock.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotQuery {
    first: Date,
    last: Date,
    timezone: TimeZone,
    start: Timestamp,
    end: Timestamp,
}

/// Why a query was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the last date {last} is before the first date {first}")]
    LastBeforeFirst { first: Date, last: Date },
    #[error("a query may cover at most {MAX_QUERY_DAYS} days, got {days}")]
    TooManyDays { days: i32 },
    #[error("the dates are at the edge of the supported calendar")]
    OutOfRange,
}

impl SlotQuery {
    /// One date in `timezone`.
    pub fn day(date: Date, timezone: TimeZone) -> Result<Self, QueryError> {
        Self::days(date, date, timezone)
    }

    /// The dates `first ..= last` in `timezone`.
    pub fn days(first: Date, last: Date, timezone: TimeZone) -> Result<Self, QueryError> {
        if last < first {
            return Err(QueryError::LastBeforeFirst { first, last });
        }
        let days = first.until(last).map_err(|_| QueryError::OutOfRange)?.get_days() + 1;
        if days > MAX_QUERY_DAYS {
            return Err(QueryError::TooManyDays { days });
        }
        let first_day = OpenRange::whole_day(&timezone, first).ok_or(QueryError::OutOfRange)?;
        let day_after = last
            .checked_add(Span::new().days(1))
            .map_err(|_| QueryError::OutOfRange)?;
        let end = OpenRange::whole_day(&timezone, day_after)
            .ok_or(QueryError::OutOfRange)?
            .start;
        Ok(SlotQuery {
            first,
            last,
            timezone,
            start: first_day.start,
            end,
        })
    }

    /// The first date asked for.
    pub fn first(&self) -> Date {
        self.first
    }

    /// The last date asked for (inclusive).
    pub fn last(&self) -> Date {
        self.last
    }

    /// The timezone the dates are read in.
    pub fn timezone(&self) -> &TimeZone {
        &self.timezone
    }

    /// The instant the first date begins.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The instant the day after the last date begins (exclusive end).
    pub fn end(&self) -> Timestamp {
        self.end
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn a_day_is_read_on_the_callers_wall_clock() {
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        let query = SlotQuery::day(date(2026, 3, 10), tokyo).unwrap();
        assert_eq!(query.start(), "2026-03-09T15:00:00Z".parse().unwrap());
        assert_eq!(query.end(), "2026-03-10T15:00:00Z".parse().unwrap());
    }

    #[test]
    fn a_dst_day_is_23_hours_long() {
        let new_york = TimeZone::get("America/New_York").unwrap();
        let query = SlotQuery::day(date(2026, 3, 8), new_york).unwrap();
        assert_eq!(
            query.end().duration_since(query.start()),
            jiff::SignedDuration::from_hours(23)
        );
    }

    #[test]
    fn bad_ranges_are_rejected() {
        let utc = TimeZone::UTC;
        assert_eq!(
            SlotQuery::days(date(2026, 3, 10), date(2026, 3, 9), utc.clone()),
            Err(QueryError::LastBeforeFirst {
                first: date(2026, 3, 10),
                last: date(2026, 3, 9)
            })
        );
        assert_eq!(
            SlotQuery::days(date(2026, 1, 1), date(2027, 1, 2), utc.clone()),
            Err(QueryError::TooManyDays { days: 367 })
        );
        assert!(SlotQuery::days(date(2026, 1, 1), date(2027, 1, 1), utc).is_ok());
    }
}
