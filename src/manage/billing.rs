//! The billing period: monthly, anchored to the day of the month the account was created, in
//! the account's time zone. A pure rule: the instants come in as arguments.
//!
//! An account created on the 31st turns on the last day of shorter months (Feb 28 or 29, Apr
//! 30), and back on the 31st where there is one, so the anchor never drifts. A period starts at
//! local midnight; where a time zone skips midnight (a DST change at 00:00), it starts at the
//! first instant of that day.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};

/// One billing period, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BillingPeriod {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl BillingPeriod {
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }
}

/// The period of an account created at `account_start` that contains `now`.
pub fn billing_period(account_start: Timestamp, zone: &TimeZone, now: Timestamp) -> BillingPeriod {
    let anchor_day = account_start.to_zoned(zone.clone()).day();
    let today = now.to_zoned(zone.clone()).date();
    let this_month = anchored(today.first_of_month(), anchor_day);
    let start_date = if this_month <= today {
        this_month
    } else {
        anchored(month_before(today.first_of_month()), anchor_day)
    };
    let end_date = anchored(month_after(start_date.first_of_month()), anchor_day);
    BillingPeriod {
        start: start_of_day(start_date, zone),
        end: start_of_day(end_date, zone),
    }
}

/// The anchor day in the month of `first`, or the month's last day when it is shorter.
fn anchored(first: Date, anchor_day: i8) -> Date {
    let day = anchor_day.min(first.days_in_month());
    first.with().day(day).build().expect("a day within the month")
}

fn month_before(first: Date) -> Date {
    first
        .checked_sub(1.month())
        .expect("dates far from the calendar's ends")
}

fn month_after(first: Date) -> Date {
    first
        .checked_add(1.month())
        .expect("dates far from the calendar's ends")
}

fn start_of_day(date: Date, zone: &TimeZone) -> Timestamp {
    let midnight: Zoned = date
        .to_zoned(zone.clone())
        .expect("a civil date in range has a start in every zone");
    midnight.timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_period_runs_from_the_anchor_day_to_the_same_day_next_month() {
        let zone = TimeZone::get("Europe/Berlin").unwrap();
        let period = billing_period(at("2026-01-15T10:00:00Z"), &zone, at("2026-11-30T12:00:00Z"));
        assert_eq!(period.start, at("2026-11-14T23:00:00Z"));
        assert_eq!(period.end, at("2026-12-14T23:00:00Z"));
    }

    #[test]
    fn before_the_anchor_day_the_period_began_last_month() {
        let zone = TimeZone::UTC;
        let period = billing_period(at("2026-01-20T00:00:00Z"), &zone, at("2026-03-05T00:00:00Z"));
        assert_eq!(period.start, at("2026-02-20T00:00:00Z"));
        assert_eq!(period.end, at("2026-03-20T00:00:00Z"));
    }

    #[test]
    fn an_anchor_on_the_31st_uses_the_last_day_of_short_months_and_comes_back() {
        let zone = TimeZone::UTC;
        let start = at("2026-01-31T09:00:00Z");
        let february = billing_period(start, &zone, at("2026-03-01T00:00:00Z"));
        assert_eq!(february.start, at("2026-02-28T00:00:00Z"));
        assert_eq!(february.end, at("2026-03-31T00:00:00Z"));
        let april = billing_period(start, &zone, at("2026-04-30T12:00:00Z"));
        assert_eq!(april.start, at("2026-04-30T00:00:00Z"));
        assert_eq!(april.end, at("2026-05-31T00:00:00Z"));
    }

    #[test]
    fn the_anchor_day_is_read_in_the_accounts_zone() {
        // 23:30 UTC on Jan 31 is already Feb 1 in Berlin.
        let zone = TimeZone::get("Europe/Berlin").unwrap();
        let period = billing_period(at("2026-01-31T23:30:00Z"), &zone, at("2026-02-10T00:00:00Z"));
        assert_eq!(period.start, at("2026-01-31T23:00:00Z"));
    }

    #[test]
    fn a_period_across_a_dst_change_starts_and_ends_at_local_midnight() {
        let zone = TimeZone::get("America/New_York").unwrap();
        let period = billing_period(at("2026-01-05T15:00:00Z"), &zone, at("2026-03-20T15:00:00Z"));
        assert_eq!(period.start, at("2026-03-05T05:00:00Z"));
        assert_eq!(period.end, at("2026-04-05T04:00:00Z"));
    }

    proptest! {
        #[test]
        fn now_is_in_its_period_and_periods_follow_each_other(
            start_s in 1_600_000_000i64..1_900_000_000,
            offset_s in 0i64..200_000_000,
            zone_index in 0usize..4,
        ) {
            let zone = TimeZone::get(["UTC", "Europe/Berlin", "America/Los_Angeles", "Pacific/Chatham"][zone_index]).unwrap();
            let start = Timestamp::from_second(start_s).unwrap();
            let now = Timestamp::from_second(start_s + offset_s).unwrap();
            let period = billing_period(start, &zone, now);
            prop_assert!(period.contains(now));
            let next = billing_period(start, &zone, period.end);
            prop_assert_eq!(next.start, period.end);
            let days = (period.end.as_second() - period.start.as_second()) / 86_400;
            prop_assert!((27..=32).contains(&days), "{} days", days);
        }
    }
}
