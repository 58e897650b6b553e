//! The slot grid of one opening range: which start instants a range offers for a meeting of
//! a given length, both as an ordered walk (for listing slots) and as a single-instant test
//! (for checking a requested start). The two share one definition so they always agree.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};

use super::later;
use super::open_range::OpenRange;

/// A start instant `at` belongs to a range's grid, for a meeting lasting `duration`, when:
/// - its host-local time is `local_start + k × interval` for some k ≥ 0, counted on the wall
///   clock, so a 09:00 slot stays 09:00 across a DST change;
/// - that local time is before `local_end` and is neither skipped (spring-forward gap) nor
///   repeated (fall-back fold) by the host's clock;
/// - `at` is at or after the range's start, and `at + duration`, in real elapsed time, is at
///   or before the range's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum GridFit {
    /// The instant is not within the range at all.
    Outside,
    /// Within the range, but not one of its grid times.
    OffGrid,
    /// A grid time, but the meeting would end after the range closes.
    RunsPastEnd,
    /// A start the range offers.
    Fits,
}

/// Classifies `at`, whose host-local time is `local`, against `range`. The caller has
/// already refused local times in a fold (`at` comes from a real instant, so never a gap).
pub(crate) fn fit(
    range: &OpenRange,
    interval: SignedDuration,
    duration: SignedDuration,
    at: Timestamp,
    local: DateTime,
) -> GridFit {
    if !range.contains(at) || local < range.local_start || local >= range.local_end {
        return GridFit::Outside;
    }
    let elapsed = local.duration_since(range.local_start);
    if elapsed.as_nanos() % interval.as_nanos() != 0 {
        return GridFit::OffGrid;
    }
    if later(at, duration) > range.end {
        return GridFit::RunsPastEnd;
    }
    GridFit::Fits
}

/// The grid starts of one range that fit a meeting, in increasing order (see [`GridFit`]).
pub(crate) struct SlotGrid<'a> {
    timezone: &'a TimeZone,
    range: &'a OpenRange,
    interval: SignedDuration,
    duration: SignedDuration,
    next_local: Option<DateTime>,
}

impl<'a> SlotGrid<'a> {
    pub(crate) fn new(
        timezone: &'a TimeZone,
        range: &'a OpenRange,
        interval: SignedDuration,
        duration: SignedDuration,
    ) -> Self {
        SlotGrid {
            timezone,
            range,
            interval,
            duration,
            next_local: Some(range.local_start),
        }
    }
}

impl Iterator for SlotGrid<'_> {
    type Item = Timestamp;

    fn next(&mut self) -> Option<Timestamp> {
        loop {
            let local = self.next_local.filter(|local| *local < self.range.local_end)?;
            self.next_local = local.checked_add(self.interval).ok();
            let AmbiguousOffset::Unambiguous { offset } =
                self.timezone.to_ambiguous_timestamp(local).offset()
            else {
                continue;
            };
            let Ok(at) = offset.to_timestamp(local) else {
                continue;
            };
            if at < self.range.start {
                continue;
            }
            // Unambiguous local times map to instants in the same order, so once one meeting
            // overruns the range every later grid time does too.
            if later(at, self.duration) > self.range.end {
                self.next_local = None;
                return None;
            }
            return Some(at);
        }
    }
}
