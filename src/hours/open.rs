//! Whether an instant falls inside active hours, on the wall clock of the agent's zone.

use jiff::Timestamp;

use super::schedule::{ActiveHours, DayRange};

impl ActiveHours {
    /// Whether the agent answers at `at`: always when the hours are not enabled; otherwise
    /// when the local time there (weekday and minute) falls in a range of that day, or in the
    /// part after midnight of the previous day's overnight range.
    pub fn is_open(&self, at: Timestamp) -> bool {
        if !self.enabled {
            return true;
        }
        let local = at.to_zoned(self.timezone.clone());
        let day = local.weekday();
        let minute =
            u16::try_from(local.hour()).unwrap_or(0) * 60 + u16::try_from(local.minute()).unwrap_or(0);
        let yesterday = day.previous();
        self.schedule
            .iter()
            .any(|range| covers(range, day, minute) || after_midnight(range, yesterday, minute))
    }
}

/// `minute` of `day` is inside `range` on its own day.
fn covers(range: &DayRange, day: jiff::civil::Weekday, minute: u16) -> bool {
    range.day == day && minute >= range.start_minute && (range.is_overnight() || minute < range.end_minute)
}

/// `minute` of the day after `yesterday` is inside the overnight part of `range`.
fn after_midnight(range: &DayRange, yesterday: jiff::civil::Weekday, minute: u16) -> bool {
    range.day == yesterday && range.is_overnight() && minute < range.end_minute
}

#[cfg(test)]
mod tests {
    use jiff::civil::Weekday;
    use proptest::prelude::*;

    use super::*;
    use crate::hours::AfterHours;

    fn hours(zone: &str, ranges: &[(Weekday, u16, u16)]) -> ActiveHours {
        let schedule = ranges
            .iter()
            .map(|&(day, start_minute, end_minute)| DayRange {
                day,
                start_minute,
                end_minute,
            })
            .collect();
        ActiveHours::new(true, zone, AfterHours::Voicemail, None, None, schedule).unwrap()
    }

    fn at(utc: &str) -> Timestamp {
        utc.parse().unwrap()
    }

    const NINE_TO_FIVE: u16 = 9 * 60;
    const FIVE_PM: u16 = 17 * 60;

    #[test]
    fn office_hours_follow_the_local_clock_in_summer_and_in_winter() {
        let weekdays = hours("Europe/Berlin", &[(Weekday::Monday, NINE_TO_FIVE, FIVE_PM)]);
        // Winter: Berlin is UTC+1.
        assert!(!weekdays.is_open(at("2026-01-05T07:59:00Z")));
        assert!(weekdays.is_open(at("2026-01-05T08:00:00Z")));
        assert!(weekdays.is_open(at("2026-01-05T15:59:00Z")));
        assert!(!weekdays.is_open(at("2026-01-05T16:00:00Z")));
        // Summer: UTC+2, so the same local hours begin an hour earlier in UTC.
        assert!(weekdays.is_open(at("2026-07-06T07:00:00Z")));
        assert!(!weekdays.is_open(at("2026-07-06T06:59:00Z")));
        assert!(!weekdays.is_open(at("2026-07-06T15:00:00Z")));
        // Tuesday has no range.
        assert!(!weekdays.is_open(at("2026-07-07T10:00:00Z")));
    }

    #[test]
    fn the_skipped_hour_is_never_reached_and_the_repeated_hour_counts_twice() {
        // 2026-03-29 (Sunday): Berlin goes from 02:00 CET to 03:00 CEST (01:00 UTC).
        let spring = hours("Europe/Berlin", &[(Weekday::Sunday, 60, 3 * 60 + 30)]);
        assert!(spring.is_open(at("2026-03-29T00:59:00Z")), "01:59 CET");
        assert!(spring.is_open(at("2026-03-29T01:00:00Z")), "03:00 CEST");
        assert!(!spring.is_open(at("2026-03-29T01:30:00Z")), "03:30 CEST");
        // 2026-10-25 (Sunday): 03:00 CEST falls back to 02:00 CET (01:00 UTC); 02:00-02:30
        // local happens twice.
        let autumn = hours("Europe/Berlin", &[(Weekday::Sunday, 2 * 60, 2 * 60 + 30)]);
        assert!(autumn.is_open(at("2026-10-25T00:15:00Z")), "02:15 CEST");
        assert!(autumn.is_open(at("2026-10-25T01:15:00Z")), "02:15 CET");
        assert!(!autumn.is_open(at("2026-10-25T00:45:00Z")), "02:45 CEST");
    }

    #[test]
    fn an_overnight_range_opens_into_the_next_day_across_a_clock_change() {
        // Saturday 22:00 to Sunday 04:00 in New York, the night of 2026-03-07/08, when 02:00
        // EST becomes 03:00 EDT: open until 04:00 EDT (08:00 UTC), not 04:00 EST.
        let nights = hours("America/New_York", &[(Weekday::Saturday, 22 * 60, 4 * 60)]);
        assert!(!nights.is_open(at("2026-03-08T02:59:00Z")), "Sat 21:59 EST");
        assert!(nights.is_open(at("2026-03-08T03:00:00Z")), "Sat 22:00 EST");
        assert!(nights.is_open(at("2026-03-08T06:59:00Z")), "Sun 01:59 EST");
        assert!(nights.is_open(at("2026-03-08T07:00:00Z")), "Sun 03:00 EDT");
        assert!(nights.is_open(at("2026-03-08T07:59:00Z")), "Sun 03:59 EDT");
        assert!(!nights.is_open(at("2026-03-08T08:00:00Z")), "Sun 04:00 EDT");
        // The range does not reach Sunday night.
        assert!(!nights.is_open(at("2026-03-09T03:00:00Z")), "Sun 23:00 EDT");
    }

    #[test]
    fn disabled_hours_are_always_open_and_an_empty_schedule_never() {
        let mut closed = hours("UTC", &[]);
        assert!(!closed.is_open(at("2026-05-01T12:00:00Z")));
        closed.enabled = false;
        assert!(closed.is_open(at("2026-05-01T12:00:00Z")));
    }

    /// The same rule written another way: the week as 10,080 minutes, each range marked on
    /// it, wrapping from Sunday night into Monday.
    fn minutes_of_week(schedule: &[DayRange]) -> Vec<bool> {
        let mut week = vec![false; 7 * 1440];
        for range in schedule {
            let day_start = usize::try_from(range.day.to_monday_zero_offset()).unwrap() * 1440;
            let start = day_start + usize::from(range.start_minute);
            let end = if range.is_overnight() {
                day_start + 1440 + usize::from(range.end_minute)
            } else {
                day_start + usize::from(range.end_minute)
            };
            for minute in start..end {
                week[minute % (7 * 1440)] = true;
            }
        }
        week
    }

    fn range() -> impl Strategy<Value = (Weekday, u16, u16)> {
        (0i8..7, 0u16..1440, 0u16..=1440)
            .prop_filter("not empty", |(_, start, end)| start != end)
            .prop_map(|(day, start, end)| (Weekday::from_monday_zero_offset(day).unwrap(), start, end))
    }

    proptest! {
        /// In a zone without clock changes the local minute of the week is plain arithmetic
        /// (1970-01-01 was a Thursday), so the rule is checked against a model that shares
        /// nothing with it but the schedule.
        #[test]
        fn is_open_matches_the_minute_of_week_model(
            ranges in prop::collection::vec(range(), 0..8),
            offset_hours in -12i64..=14,
            seconds in 0i64..4_000_000_000,
        ) {
            let zone = if offset_hours == 0 { "UTC".to_owned() } else { format!("Etc/GMT{:+}", -offset_hours) };
            let schedule: Vec<DayRange> = ranges
                .iter()
                .map(|&(day, start_minute, end_minute)| DayRange { day, start_minute, end_minute })
                .collect();
            let hours = ActiveHours {
                enabled: true,
                timezone_name: zone.clone(),
                timezone: jiff::tz::TimeZone::get(&zone).unwrap(),
                after_hours: AfterHours::Voicemail,
                message: None,
                redirect_number: None,
                schedule: schedule.clone(),
            };
            let local_minutes = (seconds + offset_hours * 3600).div_euclid(60);
            let thursday = 3;
            let minute_of_week = usize::try_from((local_minutes + thursday * 1440).rem_euclid(7 * 1440)).unwrap();
            let instant = Timestamp::from_second(seconds).unwrap();
            prop_assert_eq!(hours.is_open(instant), minutes_of_week(&schedule)[minute_of_week]);
        }

        /// In a zone with clock changes, whatever the instant: open exactly when the wall
        /// clock there shows a minute the model marks.
        #[test]
        fn is_open_reads_the_wall_clock_in_zones_that_change_it(
            ranges in prop::collection::vec(range(), 0..8),
            zone in prop::sample::select(vec!["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]),
            seconds in 0i64..4_000_000_000,
        ) {
            let schedule: Vec<DayRange> = ranges
                .iter()
                .map(|&(day, start_minute, end_minute)| DayRange { day, start_minute, end_minute })
                .collect();
            let hours = ActiveHours::new(true, zone, AfterHours::Voicemail, None, None, schedule.clone()).unwrap();
            let instant = Timestamp::from_second(seconds).unwrap();
            let wall = instant.to_zoned(hours.timezone.clone()).datetime();
            let minute_of_week = usize::try_from(wall.weekday().to_monday_zero_offset()).unwrap() * 1440
                + usize::try_from(wall.hour()).unwrap() * 60
                + usize::try_from(wall.minute()).unwrap();
            prop_assert_eq!(hours.is_open(instant), minutes_of_week(&schedule)[minute_of_week]);
        }

        /// A whole week of 00:00-24:00 is open at every instant, in any zone.
        #[test]
        fn a_full_week_is_always_open(
            zone in prop::sample::select(vec!["Europe/Berlin", "America/New_York", "Pacific/Chatham", "UTC"]),
            seconds in 0i64..4_000_000_000,
        ) {
            let all_days: Vec<_> = (0..7).map(|d| (Weekday::from_monday_zero_offset(d).unwrap(), 0, 1440)).collect();
            prop_assert!(hours(zone, &all_days).is_open(Timestamp::from_second(seconds).unwrap()));
        }
    }
}
