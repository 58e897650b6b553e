//! A host's opening hours: weekly rules, date overrides and blackout dates in the host's
//! own timezone, and how they combine into the opening ranges of given dates.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;

use super::open_range::OpenRange;

const MINUTES_PER_DAY: u16 = 24 * 60;

/// A span of host-local wall-clock time that starts on some date.
///
/// If `end` is after `start` the range ends the same day. If `end` is at or before `start`
/// it crosses midnight and ends at `end` on the next day: 22:00–02:00 is a four-hour night
/// shift, 09:00–00:00 runs until midnight, and 00:00–00:00 is the whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeRange {
    start: Time,
    end: Time,
}

/// Why a schedule or one of its ranges was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("minute {0} is outside the day (0 to 1440)")]
    MinuteOutOfRange(u16),
    #[error("a range may only start before midnight at the end of the day (minute 1440 is an end)")]
    StartAtEndOfDay,
    #[error("unknown time zone {name:?}: {reason}")]
    UnknownTimeZone { name: String, reason: String },
}

impl TimeRange {
    /// A range from `start` to `end` (see the type's docs for ranges crossing midnight).
    pub fn new(start: Time, end: Time) -> Self {
        TimeRange { start, end }
    }

    /// A range from minutes after midnight, the form the store keeps. `end_minute` may be
    /// 1440 to mean "until midnight", the same as 0.
    pub fn from_minutes(start_minute: u16, end_minute: u16) -> Result<Self, ScheduleError> {
        if start_minute == MINUTES_PER_DAY {
            return Err(ScheduleError::StartAtEndOfDay);
        }
        let end = match end_minute {
            MINUTES_PER_DAY => Time::midnight(),
            minute => time_of_minute(minute)?,
        };
        Ok(TimeRange {
            start: time_of_minute(start_minute)?,
            end,
        })
    }

    /// Wall-clock time the range opens.
    pub fn start(&self) -> Time {
        self.start
    }

    /// Wall-clock time the range closes (on the next day if it crosses midnight).
    pub fn end(&self) -> Time {
        self.end
    }

    /// Whether the range ends on the day after it starts.
    pub fn crosses_midnight(&self) -> bool {
        self.end <= self.start
    }

    /// The range as host-local civil datetimes when it starts on `date`; `None` only at the
    /// very end of the representable calendar.
    pub(crate) fn on(&self, date: Date) -> Option<(DateTime, DateTime)> {
        let end_date = if self.crosses_midnight() {
            date.tomorrow().ok()?
        } else {
            date
        };
        Some((date.to_datetime(self.start), end_date.to_datetime(self.end)))
    }
}

fn time_of_minute(minute: u16) -> Result<Time, ScheduleError> {
    if minute >= MINUTES_PER_DAY {
        return Err(ScheduleError::MinuteOutOfRange(minute));
    }
    Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0)
        .map_err(|_| ScheduleError::MinuteOutOfRange(minute))
}

/// When a host is open, in the host's IANA timezone.
///
/// For each host-local date the ranges that *start* that day are, in order of precedence:
/// none if the date is a blackout; the date's override if there is one (an empty override
/// means closed); otherwise the weekly rules for its weekday.
///
/// A range that starts the day before and runs past midnight belongs to the day it starts
/// on. Precisely, for a range that starts on date D − 1 and crosses into D:
/// - if D is a **blackout** date, the range is cut at 00:00 on D: a blackout closes the whole
///   host-local civil day, including the tail of the previous evening;
/// - if D has an **override** (empty or not), the range keeps its hours after midnight: an
///   override only replaces the ranges that start on D. Use a blackout to close D entirely;
/// - if D − 1 itself is a blackout or has an override, D − 1's ranges are decided by that
///   (a blackout on D − 1 removes the range, tail included).
///
/// Ranges may overlap; each keeps its own slot grid, and a meeting must fit inside one range.
#[derive(Debug, Clone)]
pub struct Schedule {
    timezone: TimeZone,
    weekly: [Vec<TimeRange>; 7],
    overrides: BTreeMap<Date, Vec<TimeRange>>,
    blackouts: BTreeSet<Date>,
}

impl Schedule {
    /// An empty schedule (always closed) in `timezone`.
    pub fn new(timezone: TimeZone) -> Self {
        Schedule {
            timezone,
            weekly: Default::default(),
            overrides: BTreeMap::new(),
            blackouts: BTreeSet::new(),
        }
    }

    /// An empty schedule in the IANA timezone `name` (e.g. `"America/New_York"`), looked up
    /// in the system's time zone database.
    pub fn for_iana_zone(name: &str) -> Result<Self, ScheduleError> {
        let timezone = TimeZone::get(name).map_err(|error| ScheduleError::UnknownTimeZone {
            name: name.to_string(),
            reason: error.to_string(),
        })?;
        Ok(Self::new(timezone))
    }

    /// The host's timezone, in which all ranges and dates of the schedule are read.
    pub fn timezone(&self) -> &TimeZone {
        &self.timezone
    }

    /// Adds a weekly range that starts on every `weekday`.
    pub fn add_weekly(&mut self, weekday: Weekday, range: TimeRange) -> &mut Self {
        self.weekly[weekday_index(weekday)].push(range);
        self
    }

    /// Replaces the weekly rules of `date` with `ranges`; no ranges means closed that day
    /// (see the type's docs for the tail of the previous evening). Replaces an earlier
    /// override of the same date.
    pub fn set_override(&mut self, date: Date, ranges: impl IntoIterator<Item = TimeRange>) -> &mut Self {
        self.overrides.insert(date, ranges.into_iter().collect());
        self
    }

    /// Closes `date` for the whole host-local day.
    pub fn add_blackout(&mut self, date: Date) -> &mut Self {
        self.blackouts.insert(date);
        self
    }

    /// Whether `date` is a blackout date.
    pub fn is_blackout(&self, date: Date) -> bool {
        self.blackouts.contains(&date)
    }

    /// The ranges that start on `date`, after blackouts and overrides.
    pub fn ranges_starting_on(&self, date: Date) -> &[TimeRange] {
        if self.is_blackout(date) {
            return &[];
        }
        match self.overrides.get(&date) {
            Some(ranges) => ranges,
            None => &self.weekly[weekday_index(date.weekday())],
        }
    }

    /// The opening ranges that start on the host-local dates `first ..= last`, resolved to
    /// instants and sorted by start. Ranges may run into the day after `last`.
    pub fn open_ranges(&self, first: Date, last: Date) -> Vec<OpenRange> {
        let mut ranges = Vec::new();
        let mut date = first;
        while date <= last {
            for range in self.ranges_starting_on(date) {
                if let Some(open) = self.resolve(date, range) {
                    ranges.push(open);
                }
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        ranges.sort_unstable_by_key(|range| (range.start, range.end));
        ranges
    }

    fn resolve(&self, date: Date, range: &TimeRange) -> Option<OpenRange> {
        let (local_start, mut local_end) = range.on(date)?;
        if local_end.date() > date && self.is_blackout(local_end.date()) {
            local_end = local_end.date().to_datetime(Time::midnight());
        }
        OpenRange::resolve(&self.timezone, local_start, local_end)
    }
}

fn weekday_index(weekday: Weekday) -> usize {
    weekday.to_monday_zero_offset() as usize
}

#[cfg(test)]
mod tests {
    use jiff::civil::{date, time};

    use super::*;

    fn range(start: (i8, i8), end: (i8, i8)) -> TimeRange {
        TimeRange::new(time(start.0, start.1, 0, 0), time(end.0, end.1, 0, 0))
    }

    fn schedule() -> Schedule {
        let mut schedule = Schedule::new(TimeZone::fixed(jiff::tz::offset(0)));
        // 2026-03-06 is a Friday.
        schedule.add_weekly(Weekday::Friday, range((22, 0), (2, 0)));
        schedule.add_weekly(Weekday::Saturday, range((10, 0), (12, 0)));
        schedule
    }

    fn civil_spans(schedule: &Schedule, first: Date, last: Date) -> Vec<(DateTime, DateTime)> {
        schedule
            .open_ranges(first, last)
            .iter()
            .map(|r| (r.local_start, r.local_end))
            .collect()
    }

    #[test]
    fn minutes_convert_to_wall_clock_times() {
        let range = TimeRange::from_minutes(9 * 60 + 30, 17 * 60).unwrap();
        assert_eq!(
            (range.start(), range.end()),
            (time(9, 30, 0, 0), time(17, 0, 0, 0))
        );
        assert!(!range.crosses_midnight());
        let until_midnight = TimeRange::from_minutes(18 * 60, 1440).unwrap();
        assert_eq!(until_midnight.end(), Time::midnight());
        assert!(until_midnight.crosses_midnight());
        assert_eq!(
            TimeRange::from_minutes(0, 1441),
            Err(ScheduleError::MinuteOutOfRange(1441))
        );
        assert_eq!(
            TimeRange::from_minutes(1440, 60),
            Err(ScheduleError::StartAtEndOfDay)
        );
    }

    #[test]
    fn equal_start_and_end_is_a_whole_day() {
        let (start, end) = range((0, 0), (0, 0)).on(date(2026, 3, 6)).unwrap();
        assert_eq!(end.duration_since(start), jiff::SignedDuration::from_hours(24));
    }

    #[test]
    fn a_night_range_belongs_to_the_day_it_starts() {
        let spans = civil_spans(&schedule(), date(2026, 3, 6), date(2026, 3, 7));
        assert_eq!(
            spans,
            vec![
                (date(2026, 3, 6).at(22, 0, 0, 0), date(2026, 3, 7).at(2, 0, 0, 0)),
                (date(2026, 3, 7).at(10, 0, 0, 0), date(2026, 3, 7).at(12, 0, 0, 0)),
            ]
        );
        // Asking for Saturday alone does not include Friday's night range.
        assert_eq!(
            civil_spans(&schedule(), date(2026, 3, 7), date(2026, 3, 7)).len(),
            1
        );
    }

    #[test]
    fn a_blackout_cuts_the_previous_night_at_midnight() {
        let mut schedule = schedule();
        schedule.add_blackout(date(2026, 3, 7));
        assert_eq!(
            civil_spans(&schedule, date(2026, 3, 6), date(2026, 3, 7)),
            vec![(date(2026, 3, 6).at(22, 0, 0, 0), date(2026, 3, 7).at(0, 0, 0, 0))]
        );
    }

    #[test]
    fn an_override_keeps_the_previous_nights_tail() {
        let mut schedule = schedule();
        schedule.set_override(date(2026, 3, 7), []);
        assert_eq!(
            civil_spans(&schedule, date(2026, 3, 6), date(2026, 3, 7)),
            vec![(date(2026, 3, 6).at(22, 0, 0, 0), date(2026, 3, 7).at(2, 0, 0, 0))]
        );
        schedule.set_override(date(2026, 3, 7), [range((13, 0), (14, 0))]);
        assert_eq!(
            civil_spans(&schedule, date(2026, 3, 6), date(2026, 3, 7)),
            vec![
                (date(2026, 3, 6).at(22, 0, 0, 0), date(2026, 3, 7).at(2, 0, 0, 0)),
                (date(2026, 3, 7).at(13, 0, 0, 0), date(2026, 3, 7).at(14, 0, 0, 0)),
            ]
        );
    }

    #[test]
    fn a_blackout_or_override_on_the_start_day_decides_the_night_range() {
        let mut schedule = schedule();
        schedule.add_blackout(date(2026, 3, 6));
        assert!(civil_spans(&schedule, date(2026, 3, 6), date(2026, 3, 6)).is_empty());

        let mut schedule = self::schedule();
        schedule.set_override(date(2026, 3, 6), [range((20, 0), (1, 0))]);
        assert_eq!(
            civil_spans(&schedule, date(2026, 3, 6), date(2026, 3, 6)),
            vec![(date(2026, 3, 6).at(20, 0, 0, 0), date(2026, 3, 7).at(1, 0, 0, 0))]
        );
    }

    #[test]
    fn unknown_zones_are_a_typed_error() {
        assert!(matches!(
            Schedule::for_iana_zone("Mars/Olympus_Mons"),
            Err(ScheduleError::UnknownTimeZone { .. })
        ));
        assert!(Schedule::for_iana_zone("Asia/Kathmandu").is_ok());
    }
}
