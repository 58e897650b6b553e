//! Existing bookings and what they rule out for a new meeting: start instants whose meeting
//! (with buffers) would collide with a booking (with its buffers), and host-local days that
//! already hold the event type's per-day limit.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::blocks::Blocks;
use super::event_type::EventType;
use super::later;
use super::open_range::OpenRange;

/// A confirmed booking of the host, of any event type. Cancelled or rescheduled-away
/// bookings must not be passed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingBooking {
    /// When the meeting starts.
    pub start: Timestamp,
    /// When the meeting ends; an end before the start is read as the start.
    pub end: Timestamp,
    /// The booking's own buffers, as they were when it was booked.
    pub buffer_before: SignedDuration,
    pub buffer_after: SignedDuration,
    /// The slug of the booking's event type; it counts toward that event type's per-day limit.
    pub event_type: String,
}

impl ExistingBooking {
    /// The time the booking keeps the host from other meetings, buffers included.
    pub fn busy_interval(&self) -> (Timestamp, Timestamp) {
        (
            later(self.start, -self.buffer_before),
            later(self.end.max(self.start), self.buffer_after),
        )
    }
}

/// The start instants a new meeting of `event_type` may not take.
///
/// Buffers stack: the new meeting's `[start − buffer_before, end + buffer_after]` may not
/// overlap a booking's `[start − buffer_before, end + buffer_after]`; touching is allowed.
/// For a booking busy over `[b0, b1)` that rules out exactly the starts `s` with
/// `b0 − duration − buffer_after < s < b1 + buffer_before`.
pub(crate) fn blocked_starts(bookings: &[ExistingBooking], event_type: &EventType) -> Blocks {
    let lead = event_type.duration + event_type.buffer_after;
    let tail = event_type.buffer_before;
    let one_tick = SignedDuration::from_nanos(1);
    Blocks::from_unsorted(
        bookings
            .iter()
            .map(|booking| {
                let (busy_from, busy_until) = booking.busy_interval();
                (later(busy_from, one_tick - lead), later(busy_until, tail))
            })
            .collect(),
    )
}

/// The host-local days (as instants, midnight to midnight) on which `event_type` already
/// has `per_day_limit` bookings, counted by the host-local date of each booking's start.
pub(crate) fn full_days(bookings: &[ExistingBooking], event_type: &EventType, timezone: &TimeZone) -> Blocks {
    let Some(limit) = event_type.per_day_limit else {
        return Blocks::default();
    };
    let mut dates: Vec<_> = bookings
        .iter()
        .filter(|booking| booking.event_type == event_type.slug)
        .map(|booking| timezone.to_datetime(booking.start).date())
        .collect();
    dates.sort_unstable();
    let days = dates
        .chunk_by(|a, b| a == b)
        .filter(|same_day| same_day.len() >= limit as usize)
        .filter_map(|same_day| OpenRange::whole_day(timezone, same_day[0]))
        .map(|day| (day.start, day.end))
        .collect();
    Blocks::from_unsorted(days)
}
