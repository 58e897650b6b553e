//! The availability engine: open slots of one event type on one host's schedule given the
//! existing bookings, and the check of a single requested start. Pure: `now` is always an
//! argument.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Span, Timestamp};

use super::blocks::Blocks;
use super::busy::{ExistingBooking, blocked_starts, full_days};
use super::event_type::{EventType, EventTypeError};
use super::grid::{GridFit, SlotGrid, fit};
use super::later;
use super::open_range::OpenRange;
use super::query::SlotQuery;
use super::refusal::Refusal;
use super::schedule::Schedule;

/// A bookable meeting time: `end` is `start` plus the event type's duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// When the meeting starts.
    pub start: Timestamp,
    /// When the meeting ends (buffers not included).
    pub end: Timestamp,
}

/// One event type on one host's schedule against the host's existing bookings.
///
/// Build it once per request; construction sorts the bookings so that listing slots is a
/// single forward sweep. A slot is offered exactly when [`Availability::check`] accepts it:
/// - it is on the slot grid of an opening range and the meeting fits inside that one range
///   (see [`Schedule`] and [`OpenRange`]); host-local start times skipped or repeated by a
///   DST change are never offered;
/// - it starts at or after `now + minimum_notice` (never in the past);
/// - its host-local date is at most `max_days_ahead` days after the host-local date of `now`;
/// - fewer than `per_day_limit` bookings of this event type start on its host-local date;
/// - with both sides' buffers it does not overlap any existing booking.
///
/// To reschedule a booking, build the engine without that booking in `bookings` and check
/// the new start: the meeting may then move into time its old slot (or buffers) covered.
///
/// To book without racing another call, run `check` on the bookings listed inside the
/// store's booking transaction, right before inserting. The `secret` flag of the event type
/// is not enforced here; the tool layer decides what a voice agent may see and book.
#[derive(Debug)]
pub struct Availability<'a> {
    schedule: &'a Schedule,
    event_type: &'a EventType,
    interval: SignedDuration,
    busy: Blocks,
    full_days: Blocks,
}

impl<'a> Availability<'a> {
    /// Prepares `event_type` on `schedule` against `bookings`: every confirmed booking of the
    /// host, of any event type. Fails if the event type definition is invalid.
    pub fn new(
        schedule: &'a Schedule,
        event_type: &'a EventType,
        bookings: &[ExistingBooking],
    ) -> Result<Self, EventTypeError> {
        event_type.validate()?;
        Ok(Availability {
            schedule,
            event_type,
            interval: event_type.effective_slot_interval(),
            busy: blocked_starts(bookings, event_type),
            full_days: full_days(bookings, event_type, schedule.timezone()),
        })
    }

    /// The open slot starts within `query`, in increasing order, as of `now`.
    pub fn slots(&self, query: &SlotQuery, now: Timestamp) -> Vec<Timestamp> {
        let mut slots = Vec::new();
        if !self.event_type.active {
            return slots;
        }
        let from = query.start().max(self.earliest_start(now));
        let until = query.end().min(self.bookable_until(now));
        if from >= until {
            return slots;
        }
        let timezone = self.schedule.timezone();
        let last_date = timezone.to_datetime(until).date();
        let first_date = timezone.to_datetime(from).date();
        // A range that starts the day before can still offer slots after midnight.
        let first_date = first_date.yesterday().unwrap_or(first_date);
        let ranges = self.schedule.open_ranges(first_date, last_date);

        let mut ranges_overlap = false;
        let mut reached = Timestamp::MIN;
        for range in ranges
            .iter()
            .filter(|range| range.end > from && range.start < until)
        {
            ranges_overlap |= range.start < reached;
            reached = reached.max(range.end);
            for start in SlotGrid::new(timezone, range, self.interval, self.event_type.duration) {
                if start >= until {
                    break;
                }
                if start >= from {
                    slots.push(start);
                }
            }
        }
        if ranges_overlap {
            slots.sort_unstable();
            slots.dedup();
        }

        let mut busy = self.busy.cursor();
        let mut full_days = self.full_days.cursor();
        slots.retain(|&start| !full_days.contains(start) && !busy.contains(start));
        slots
    }

    /// Whether a meeting can start at the instant `start`, as of `now`.
    pub fn check(&self, start: Timestamp, now: Timestamp) -> Result<Slot, Refusal> {
        let event_type = self.event_type;
        if !event_type.active {
            return Err(Refusal::Inactive);
        }
        if start < now {
            return Err(Refusal::InThePast);
        }
        if start < self.earliest_start(now) {
            return Err(Refusal::TooSoon {
                notice: event_type.minimum_notice,
            });
        }
        if start >= self.bookable_until(now) {
            return Err(Refusal::TooFarAhead {
                max_days_ahead: event_type.max_days_ahead,
            });
        }
        let timezone = self.schedule.timezone();
        let local = timezone.to_datetime(start);
        if timezone.to_ambiguous_timestamp(local).is_ambiguous() {
            return Err(Refusal::AmbiguousLocalTime);
        }
        self.check_opening_hours(start, local)?;
        if self.full_days.contains(start) {
            return Err(Refusal::DayFullyBooked);
        }
        if self.busy.contains(start) {
            return Err(Refusal::Taken);
        }
        Ok(Slot {
            start,
            end: later(start, event_type.duration),
        })
    }

    /// Like [`Availability::check`] for a wall-clock time in `timezone` (the caller's), as a
    /// caller says it: refuses times the clocks skip or repeat there before checking.
    pub fn check_local(&self, start: DateTime, timezone: &TimeZone, now: Timestamp) -> Result<Slot, Refusal> {
        match timezone.to_ambiguous_timestamp(start).offset() {
            AmbiguousOffset::Gap { .. } => Err(Refusal::NonexistentLocalTime),
            AmbiguousOffset::Fold { .. } => Err(Refusal::AmbiguousLocalTime),
            AmbiguousOffset::Unambiguous { offset } => {
                let instant = offset
                    .to_timestamp(start)
                    .map_err(|_| Refusal::OutsideOpeningHours)?;
                self.check(instant, now)
            }
        }
    }

    fn check_opening_hours(&self, start: Timestamp, local: DateTime) -> Result<(), Refusal> {
        let date = local.date();
        let ranges = self.schedule.open_ranges(date.yesterday().unwrap_or(date), date);
        let best = ranges
            .iter()
            .map(|range| fit(range, self.interval, self.event_type.duration, start, local))
            .max()
            .unwrap_or(GridFit::Outside);
        match best {
            GridFit::Fits => Ok(()),
            GridFit::RunsPastEnd => Err(Refusal::RunsPastClosing),
            GridFit::OffGrid => Err(Refusal::NotAStartTime),
            GridFit::Outside => {
                let open_that_day = OpenRange::whole_day(self.schedule.timezone(), date).is_some_and(|day| {
                    ranges
                        .iter()
                        .any(|range| range.start < day.end && day.start < range.end)
                });
                Err(if open_that_day {
                    Refusal::OutsideOpeningHours
                } else {
                    Refusal::ClosedThatDay
                })
            }
        }
    }

    fn earliest_start(&self, now: Timestamp) -> Timestamp {
        later(now, self.event_type.minimum_notice)
    }

    /// The instant the host-local day after the last bookable one begins.
    fn bookable_until(&self, now: Timestamp) -> Timestamp {
        let timezone = self.schedule.timezone();
        let today = timezone.to_datetime(now).date();
        today
            .checked_add(Span::new().days(i64::from(self.event_type.max_days_ahead) + 1))
            .ok()
            .and_then(|day_after_last| OpenRange::whole_day(timezone, day_after_last))
            .map_or(Timestamp::MAX, |day| day.start)
    }
}
