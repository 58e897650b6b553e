//! Opening ranges pinned to real time: a host-local wall-clock range resolved to UTC
//! instants, with an explicit rule for boundaries that fall in a DST gap or fold.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};

/// One opening range of one day, both as the host's wall clock shows it and as real time.
///
/// Each boundary is the first instant at which the host's wall clock shows that civil time
/// or a later one. For ordinary times that is the obvious instant. A boundary inside a
/// spring-forward gap (02:30 on a night the clocks jump from 02:00 to 03:00) becomes the
/// moment of the jump; a boundary inside a fall-back fold (01:30 on a night 01:00–02:00
/// happens twice) becomes its first occurrence. So a range "until 02:30" closes when the
/// clocks jump, and lasts exactly as long in real time as the wall clock says it is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenRange {
    /// Host-local wall-clock opening time; the slot grid starts here.
    pub local_start: DateTime,
    /// Host-local wall-clock closing time (after midnight for a night range, or cut to
    /// midnight by a blackout on the next day).
    pub local_end: DateTime,
    /// The instant the range opens.
    pub start: Timestamp,
    /// The instant the range closes; a meeting must end at or before it.
    pub end: Timestamp,
}

impl OpenRange {
    /// Resolves a wall-clock range in `timezone`; `None` if it is empty in real time (for
    /// example a range lying wholly inside a spring-forward gap).
    pub(crate) fn resolve(timezone: &TimeZone, local_start: DateTime, local_end: DateTime) -> Option<Self> {
        if local_end <= local_start {
            return None;
        }
        let start = first_instant_showing(timezone, local_start)?;
        let end = first_instant_showing(timezone, local_end)?;
        (start < end).then_some(OpenRange {
            local_start,
            local_end,
            start,
            end,
        })
    }

    /// The whole host-local civil day `date`, midnight to midnight, as a range.
    pub(crate) fn whole_day(timezone: &TimeZone, date: Date) -> Option<Self> {
        let midnight = date.to_datetime(Time::midnight());
        Self::resolve(
            timezone,
            midnight,
            date.tomorrow().ok()?.to_datetime(Time::midnight()),
        )
    }

    /// Whether the instant `at` lies in the range (`start` inclusive, `end` exclusive).
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }
}

/// The first instant at which the wall clock in `timezone` shows `local` or later.
pub(crate) fn first_instant_showing(timezone: &TimeZone, local: DateTime) -> Option<Timestamp> {
    match timezone.to_ambiguous_timestamp(local).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(local).ok(),
        // `before` is the offset in force before the clocks went back: the first occurrence.
        AmbiguousOffset::Fold { before, .. } => before.to_timestamp(local).ok(),
        AmbiguousOffset::Gap { after, .. } => {
            // Read with the later offset, a time in the gap names an instant shortly before
            // the jump, so the next transition from there is the jump itself.
            let before_the_jump = after.to_timestamp(local).ok()?;
            timezone
                .following(before_the_jump)
                .next()
                .map(|transition| transition.timestamp())
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn new_york() -> TimeZone {
        TimeZone::get("America/New_York").unwrap()
    }

    fn instant(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn ordinary_boundaries_are_the_obvious_instants() {
        let range = OpenRange::resolve(
            &new_york(),
            date(2026, 3, 9).at(9, 0, 0, 0),
            date(2026, 3, 9).at(17, 0, 0, 0),
        )
        .unwrap();
        assert_eq!(range.start, instant("2026-03-09T13:00:00Z"));
        assert_eq!(range.end, instant("2026-03-09T21:00:00Z"));
        assert!(range.contains(range.start));
        assert!(!range.contains(range.end));
    }

    #[test]
    fn a_boundary_in_the_gap_is_the_moment_of_the_jump() {
        // 2026-03-08 02:00 EST (07:00Z) jumps to 03:00 EDT.
        let range = OpenRange::resolve(
            &new_york(),
            date(2026, 3, 7).at(22, 0, 0, 0),
            date(2026, 3, 8).at(2, 30, 0, 0),
        )
        .unwrap();
        assert_eq!(range.start, instant("2026-03-08T03:00:00Z"));
        assert_eq!(range.end, instant("2026-03-08T07:00:00Z"));

        let opens_in_gap = OpenRange::resolve(
            &new_york(),
            date(2026, 3, 8).at(2, 15, 0, 0),
            date(2026, 3, 8).at(4, 0, 0, 0),
        )
        .unwrap();
        assert_eq!(opens_in_gap.start, instant("2026-03-08T07:00:00Z"));
        assert_eq!(opens_in_gap.end, instant("2026-03-08T08:00:00Z"));
    }

    #[test]
    fn a_range_inside_the_gap_is_empty() {
        assert_eq!(
            OpenRange::resolve(
                &new_york(),
                date(2026, 3, 8).at(2, 0, 0, 0),
                date(2026, 3, 8).at(2, 45, 0, 0)
            ),
            None
        );
    }

    #[test]
    fn a_boundary_in_the_fold_is_its_first_occurrence() {
        // 2026-11-01 02:00 EDT (06:00Z) goes back to 01:00 EST.
        let range = OpenRange::resolve(
            &new_york(),
            date(2026, 10, 31).at(22, 0, 0, 0),
            date(2026, 11, 1).at(1, 30, 0, 0),
        )
        .unwrap();
        assert_eq!(range.start, instant("2026-11-01T02:00:00Z"));
        assert_eq!(range.end, instant("2026-11-01T05:30:00Z"));
    }
}
