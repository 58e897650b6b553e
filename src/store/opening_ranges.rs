//! The rules a set of opening ranges must keep before it is stored: every time within the day,
//! no range of zero length, and no two ranges covering the same minute (on one date, or in one
//! week, counting a range past midnight as reaching into the next day).
//!
//! Pure functions, shared by the store (which refuses what breaks them) and the management
//! layer (which reports the range at fault by its place in the client's list).

use jiff::civil::Weekday;

/// A span of local time as minutes after midnight. A range whose end is before its start
/// runs past midnight into the next day (22:00-02:00 is `1320..120`); an end of 1440 is
/// midnight at the end of the same day. A range's end never equals its start, and ranges that
/// are stored together never overlap (the rules below).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinuteRange {
    pub start_minute: u16,
    pub end_minute: u16,
}

/// One opening range on a day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyRange {
    pub weekday: Weekday,
    pub range: MinuteRange,
}

const MINUTES_PER_DAY: u32 = 1440;
const MINUTES_PER_WEEK: u32 = 7 * MINUTES_PER_DAY;

/// Why a list of ranges was refused: the range at `index` (in the order given) and what is
/// wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeProblem {
    pub index: usize,
    pub message: String,
}

/// A minute of the day as `HH:MM` (1440 is `24:00`).
pub fn clock_time(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// The weekday as the API spells it (`monday`).
pub fn weekday_name(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}

/// One range on its own: a start within the day, an end up to midnight (`24:00`), and a
/// length. An end at or before the start runs past midnight (22:00-02:00); an end equal to the
/// start is refused, since it reads as both nothing and a whole day.
pub fn check_range(range: MinuteRange) -> Result<(), String> {
    if range.start_minute >= 1440 {
        return Err(format!(
            "start {} is not a time of day (00:00 to 23:59)",
            clock_time(range.start_minute)
        ));
    }
    if range.end_minute > 1440 {
        return Err(format!(
            "end {} is past midnight (24:00)",
            clock_time(range.end_minute)
        ));
    }
    if range.start_minute == range.end_minute {
        return Err(format!(
            "starts and ends at {}: a range needs a length (a whole day is 00:00 to 24:00)",
            clock_time(range.start_minute)
        ));
    }
    Ok(())
}

/// The ranges of one date (a date override): each valid, none overlapping another.
pub fn check_day_ranges(ranges: &[MinuteRange]) -> Result<(), RangeProblem> {
    let spans: Vec<Span> = ranges
        .iter()
        .enumerate()
        .map(|(index, range)| Span::of(index, 0, *range))
        .collect::<Result<_, _>>()?;
    check_overlaps(spans, |index| describe(None, ranges[index]))
}

/// A week of ranges: each valid, none overlapping another on its day, nor the evening range of
/// the day before that runs past midnight (Sunday's reaches into Monday).
pub fn check_weekly_ranges(ranges: &[WeeklyRange]) -> Result<(), RangeProblem> {
    let mut spans: Vec<Span> = ranges
        .iter()
        .enumerate()
        .map(|(index, weekly)| {
            let day = u32::from(weekly.weekday.to_monday_zero_offset().unsigned_abs());
            Span::of(index, day * MINUTES_PER_DAY, weekly.range)
        })
        .collect::<Result<_, _>>()?;
    // Sunday's range past midnight reaches into the next week's Monday: shift a copy of every
    // span by a week so that overlap is seen too.
    let wrapped: Vec<Span> = spans
        .iter()
        .map(|span| Span {
            start: span.start + MINUTES_PER_WEEK,
            end: span.end + MINUTES_PER_WEEK,
            index: span.index,
        })
        .collect();
    spans.extend(wrapped);
    check_overlaps(spans, |index| {
        describe(Some(ranges[index].weekday), ranges[index].range)
    })
}

fn describe(weekday: Option<Weekday>, range: MinuteRange) -> String {
    let times = format!(
        "{}-{}",
        clock_time(range.start_minute),
        clock_time(range.end_minute)
    );
    match weekday {
        Some(weekday) => format!("{} {times}", weekday_name(weekday)),
        None => times,
    }
}

/// A range as minutes from the start of its week (or date), past-midnight ranges extended.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    end: u32,
    index: usize,
}

impl Span {
    fn of(index: usize, offset: u32, range: MinuteRange) -> Result<Span, RangeProblem> {
        check_range(range).map_err(|message| RangeProblem { index, message })?;
        let (start, end) = (u32::from(range.start_minute), u32::from(range.end_minute));
        let end = if end <= start { end + MINUTES_PER_DAY } else { end };
        Ok(Span {
            start: offset + start,
            end: offset + end,
            index,
        })
    }
}

/// Sorted by start, two spans overlap when one starts before the one before it ends. The later
/// of the two in the client's order is the one reported, next to the one it overlaps.
fn check_overlaps(mut spans: Vec<Span>, describe: impl Fn(usize) -> String) -> Result<(), RangeProblem> {
    spans.sort_by_key(|span| (span.start, span.end));
    let mut first_problem: Option<(usize, usize)> = None;
    let mut latest: Option<Span> = None;
    for span in spans {
        if let Some(before) = latest {
            if span.start < before.end && span.index != before.index {
                let (earlier, later) = if before.index < span.index {
                    (before.index, span.index)
                } else {
                    (span.index, before.index)
                };
                if first_problem.is_none_or(|(_, reported)| later < reported) {
                    first_problem = Some((earlier, later));
                }
            }
            if span.end > before.end {
                latest = Some(span);
            }
        } else {
            latest = Some(span);
        }
    }
    match first_problem {
        None => Ok(()),
        Some((earlier, later)) => Err(RangeProblem {
            index: later,
            message: format!(
                "{} overlaps {} (range {earlier})",
                describe(later),
                describe(earlier)
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start_minute: u16, end_minute: u16) -> MinuteRange {
        MinuteRange {
            start_minute,
            end_minute,
        }
    }

    fn on(weekday: Weekday, start_minute: u16, end_minute: u16) -> WeeklyRange {
        WeeklyRange {
            weekday,
            range: range(start_minute, end_minute),
        }
    }

    #[test]
    fn single_ranges_need_times_of_day_and_a_length() {
        assert!(check_range(range(540, 1020)).is_ok());
        assert!(check_range(range(1320, 120)).is_ok(), "past midnight");
        assert!(check_range(range(0, 1440)).is_ok(), "a whole day");
        assert!(check_range(range(1440, 60)).is_err());
        assert!(check_range(range(60, 1441)).is_err());
        let zero = check_range(range(540, 540)).unwrap_err();
        assert!(zero.contains("09:00"), "{zero}");
    }

    #[test]
    fn a_days_ranges_may_touch_but_not_overlap() {
        assert!(check_day_ranges(&[range(780, 1020), range(540, 720)]).is_ok());
        assert!(check_day_ranges(&[range(540, 720), range(720, 1020)]).is_ok());
        let problem = check_day_ranges(&[range(540, 720), range(700, 1020)]).unwrap_err();
        assert_eq!(problem.index, 1);
        assert_eq!(problem.message, "11:40-17:00 overlaps 09:00-12:00 (range 0)");
        let same = check_day_ranges(&[range(540, 720), range(600, 660), range(540, 720)]).unwrap_err();
        assert_eq!(same.index, 1, "the first range at fault in the client's order");
        let bad = check_day_ranges(&[range(540, 720), range(1500, 60)]).unwrap_err();
        assert_eq!(bad.index, 1);
    }

    #[test]
    fn weekly_ranges_overlap_only_on_their_own_day_or_past_midnight() {
        use Weekday::*;
        let week = [on(Monday, 540, 720), on(Tuesday, 540, 720), on(Friday, 1320, 120)];
        assert!(check_weekly_ranges(&week).is_ok());
        let twice = [on(Monday, 540, 720), on(Tuesday, 540, 720), on(Monday, 540, 720)];
        let problem = check_weekly_ranges(&twice).unwrap_err();
        assert_eq!(problem.index, 2);
        assert_eq!(
            problem.message,
            "monday 09:00-12:00 overlaps monday 09:00-12:00 (range 0)"
        );
        let into_saturday = [on(Friday, 1320, 180), on(Saturday, 120, 600)];
        assert_eq!(check_weekly_ranges(&into_saturday).unwrap_err().index, 1);
        let into_monday = [on(Monday, 60, 600), on(Sunday, 1320, 120)];
        assert_eq!(check_weekly_ranges(&into_monday).unwrap_err().index, 1);
        let until_monday = [on(Monday, 120, 600), on(Sunday, 1320, 120)];
        assert!(check_weekly_ranges(&until_monday).is_ok(), "touching is fine");
    }
}
