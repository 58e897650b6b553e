//! How times and bookings look in tool replies: the caller's wall clock for what is said
//! ("9:00 AM", "Tuesday, February 10"), UTC instants for what is passed back to a tool.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::availability::{date_label, date_time_label, time_label, utc_label};
use crate::booking::Appointment;
use crate::store::BookingStatus;

/// One offered start time.
#[derive(Debug, Clone, Serialize)]
pub struct SlotView {
    /// "9:00 AM" on the caller's wall clock.
    pub time: String,
    /// The instant to pass back as `start_time`: "2026-02-10T14:00:00Z".
    pub start_time: String,
}

/// One offered start time with its date, for lists that span several days.
#[derive(Debug, Clone, Serialize)]
pub struct DatedSlotView {
    /// The caller-local date, "2026-02-10".
    pub date: String,
    /// "Tuesday, February 10".
    pub label: String,
    pub time: String,
    pub start_time: String,
}

pub(crate) fn slot(at: Timestamp, timezone: &TimeZone) -> SlotView {
    SlotView {
        time: time_label(at, timezone),
        start_time: utc_label(at),
    }
}

pub(crate) fn dated_slot(at: Timestamp, timezone: &TimeZone) -> DatedSlotView {
    DatedSlotView {
        date: local_date(at, timezone),
        label: date_label(at, timezone),
        time: time_label(at, timezone),
        start_time: utc_label(at),
    }
}

pub(crate) fn local_date(at: Timestamp, timezone: &TimeZone) -> String {
    timezone.to_datetime(at).date().to_string()
}

/// A booking as the agent reads it back.
#[derive(Debug, Clone, Serialize)]
pub struct BookingView {
    /// The reference the caller quotes ("K7M4PX"); tools take it as `booking_id`.
    pub booking_id: String,
    pub status: &'static str,
    pub event_type: String,
    pub event_name: String,
    /// The caller-local date, "2026-02-10".
    pub date: String,
    /// "Tuesday, February 10".
    pub date_label: String,
    /// "9:00 AM" on the caller's wall clock.
    pub time: String,
    pub start_time: String,
    pub end_time: String,
    /// The IANA zone `date` and `time` are in: the invitee's.
    pub timezone: String,
    pub invitee_name: String,
}

pub(crate) fn appointment(appointment: &Appointment) -> BookingView {
    let Appointment { booking, event_type } = appointment;
    let timezone = TimeZone::get(&booking.timezone).unwrap_or(TimeZone::UTC);
    BookingView {
        booking_id: booking.reference.clone(),
        status: status_word(booking.status),
        event_type: event_type.slug.clone(),
        event_name: event_type.name.clone(),
        date: local_date(booking.start_at, &timezone),
        date_label: date_label(booking.start_at, &timezone),
        time: time_label(booking.start_at, &timezone),
        start_time: utc_label(booking.start_at),
        end_time: utc_label(booking.end_at),
        timezone: booking.timezone.clone(),
        invitee_name: booking.invitee_name.clone(),
    }
}

/// "Tuesday, February 10 at 9:00 AM" in the booking's own timezone.
pub(crate) fn spoken_when(view: &BookingView) -> String {
    format!("{} at {}", view.date_label, view.time)
}

/// Times as a spoken list. Times on `same_day_as`'s date are plain ("9:30 AM and 10:00 AM");
/// a later date is named once, before its first time ("4:30 PM, Wednesday, February 11 at
/// 8:00 AM and 8:15 AM"), on the wall clock of `timezone`.
pub(crate) fn times_phrase(times: &[Timestamp], timezone: &TimeZone, same_day_as: Timestamp) -> String {
    let mut current_day = timezone.to_datetime(same_day_as).date();
    let mut parts = Vec::with_capacity(times.len());
    for &at in times {
        let day = timezone.to_datetime(at).date();
        if day == current_day {
            parts.push(time_label(at, timezone));
        } else {
            parts.push(date_time_label(at, timezone));
            current_day = day;
        }
    }
    match parts.len() {
        0 => String::new(),
        1 => parts.remove(0),
        n => {
            let last = parts.remove(n - 1);
            format!("{} and {last}", parts.join(", "))
        }
    }
}

pub(crate) fn status_word(status: BookingStatus) -> &'static str {
    match status {
        BookingStatus::Confirmed => "confirmed",
        BookingStatus::Cancelled => "cancelled",
        BookingStatus::Rescheduled => "rescheduled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn times_on_the_same_day_are_just_times() {
        let new_york = TimeZone::get("America/New_York").unwrap();
        let phrase = times_phrase(
            &[at("2026-02-10T14:30:00Z"), at("2026-02-10T15:00:00Z")],
            &new_york,
            at("2026-02-10T14:00:00Z"),
        );
        assert_eq!(phrase, "9:30 AM and 10:00 AM");
    }

    #[test]
    fn a_later_day_is_named_once() {
        let new_york = TimeZone::get("America/New_York").unwrap();
        let phrase = times_phrase(
            &[
                at("2026-02-10T21:30:00Z"),
                at("2026-02-11T13:00:00Z"),
                at("2026-02-11T13:15:00Z"),
            ],
            &new_york,
            at("2026-02-10T14:00:00Z"),
        );
        assert_eq!(phrase, "4:30 PM, Wednesday, February 11 at 8:00 AM and 8:15 AM");
        assert_eq!(times_phrase(&[], &new_york, at("2026-02-10T14:00:00Z")), "");
    }
}
