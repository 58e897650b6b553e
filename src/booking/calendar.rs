//! A host's calendar as the availability engine needs it: the schedule (weekly hours,
//! overrides, blackouts) loaded from the store for the dates around a query, the event type in
//! the engine's terms, and the host's confirmed bookings and the busy time last read from its
//! own calendars (`store::ExternalBusy`, never fetched here) as busy time; and with them the
//! open starts of a meeting type.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp};

use crate::availability::{self, Availability, ExistingBooking, Schedule, SlotQuery, TimeRange};
use crate::store::{self, AccountId, BookingId, Host, Store};

use super::error::BookingError;

/// How far beyond a window bookings are listed: a booking's busy time reaches past its bare
/// meeting time by its buffers, and buffers are at most one day (`availability::MAX_SPAN`). The
/// meeting being placed and its own buffers add at most another day.
const BOOKING_MARGIN: SignedDuration = SignedDuration::from_hours(48);

/// The engine matches existing bookings to the event type being booked (for per-day limits) by
/// a key; the store identifies event types by id, so bookings of the same id get this key and
/// all others none.
const SAME_EVENT_TYPE: &str = "same-event-type";

/// The host's schedule for every host-local date that `[from, to)` can touch.
pub(super) async fn load_schedule(
    store: &Store,
    account_id: &AccountId,
    host: &Host,
    from: Timestamp,
    to: Timestamp,
) -> Result<Schedule, BookingError> {
    let timezone = host_zone(host)?;
    // A range that starts the evening before can still reach into the window.
    let first = day_before(timezone.to_datetime(from).date());
    let last = timezone.to_datetime(to).date();
    let (weekly, overrides, blackouts) = tokio::try_join!(
        store.weekly_hours(account_id, &host.id),
        store.date_overrides(account_id, &host.id, first, last),
        store.blackouts(account_id, &host.id, first, last),
    )?;
    let mut schedule = Schedule::new(timezone);
    for weekly in &weekly {
        schedule.add_weekly(weekly.weekday, time_range(weekly.range)?);
    }
    for date_override in &overrides {
        let ranges = date_override
            .ranges
            .iter()
            .map(|range| time_range(*range))
            .collect::<Result<Vec<_>, _>>()?;
        schedule.set_override(date_override.date, ranges);
    }
    for blackout in &blackouts {
        schedule.add_blackout(blackout.date);
    }
    Ok(schedule)
}

pub(super) fn host_zone(host: &Host) -> Result<TimeZone, BookingError> {
    TimeZone::get(&host.timezone).map_err(|_| {
        BookingError::Internal(format!(
            "host {} has unknown timezone {:?}",
            host.id, host.timezone
        ))
    })
}

fn day_before(date: Date) -> Date {
    date.yesterday().unwrap_or(date)
}

fn time_range(range: store::MinuteRange) -> Result<TimeRange, BookingError> {
    TimeRange::from_minutes(range.start_minute, range.end_minute)
        .map_err(|error| BookingError::Internal(format!("stored opening range: {error}")))
}

/// The window of bare meeting times to list so that every booking whose busy time can touch
/// `[from, to)` is included.
pub(super) fn booking_window(from: Timestamp, to: Timestamp) -> (Timestamp, Timestamp) {
    (
        from.checked_sub(BOOKING_MARGIN).unwrap_or(Timestamp::MIN),
        to.checked_add(BOOKING_MARGIN).unwrap_or(Timestamp::MAX),
    )
}

/// The event type in the engine's terms.
pub(super) fn engine_event_type(event_type: &store::EventType) -> availability::EventType {
    let mut engine = availability::EventType::new(
        SAME_EVENT_TYPE,
        event_type.name.clone(),
        minutes(event_type.duration_min),
    );
    engine.description = event_type.description.clone();
    engine.active = event_type.active;
    engine.secret = event_type.secret;
    engine.buffer_before = minutes(event_type.buffer_before_min);
    engine.buffer_after = minutes(event_type.buffer_after_min);
    engine.minimum_notice = minutes(event_type.min_notice_min);
    engine.slot_interval = event_type.slot_interval_min.map(minutes);
    engine.max_days_ahead = event_type.max_days_ahead;
    engine.per_day_limit = event_type.per_day_limit;
    engine
}

/// The host's confirmed bookings and its calendars' busy time for placing `event_type`,
/// leaving out `moving` (a booking being rescheduled does not block its own new time). A
/// calendar's event has no buffers of its own and counts toward no per-day limit.
pub(super) fn busy_time(
    bookings: &[store::Booking],
    external: &[store::ExternalBusy],
    event_type: &store::EventType,
    moving: Option<&BookingId>,
) -> Vec<ExistingBooking> {
    let from_calendars = external.iter().map(|busy| ExistingBooking {
        start: busy.start,
        end: busy.end,
        buffer_before: SignedDuration::ZERO,
        buffer_after: SignedDuration::ZERO,
        event_type: String::new(),
    });
    bookings
        .iter()
        .filter(|booking| Some(&booking.id) != moving)
        .map(|booking| ExistingBooking {
            start: booking.start_at,
            end: booking.end_at,
            buffer_before: minutes(booking.buffer_before_min),
            buffer_after: minutes(booking.buffer_after_min),
            event_type: if booking.event_type_id == event_type.id {
                SAME_EVENT_TYPE.to_owned()
            } else {
                String::new()
            },
        })
        .chain(from_calendars)
        .collect()
}

fn minutes(count: u32) -> SignedDuration {
    SignedDuration::from_mins(i64::from(count))
}

/// The open starts of `event_type` (on its `host`'s calendar) within `query`, in increasing
/// order, as of `now`. Loads only the schedule and bookings the query can touch.
pub async fn open_starts(
    store: &Store,
    account_id: &AccountId,
    event_type: &store::EventType,
    host: &Host,
    query: &SlotQuery,
    now: Timestamp,
) -> Result<Vec<Timestamp>, BookingError> {
    let (from, to) = booking_window(query.start(), query.end());
    let (schedule, bookings, external) = tokio::try_join!(
        load_schedule(store, account_id, host, query.start(), query.end()),
        async {
            Ok(store
                .confirmed_bookings_overlapping(account_id, &host.id, from, to)
                .await?)
        },
        async { Ok(store.external_busy(&host.id, from, to).await?) },
    )?;
    let engine_type = engine_event_type(event_type);
    let busy = busy_time(&bookings, &external, event_type, None);
    let availability = Availability::new(&schedule, &engine_type, &busy).map_err(engine_error)?;
    Ok(availability.slots(query, now))
}

/// Maps the engine's complaint about a stored definition to an internal error.
pub(super) fn engine_error(error: availability::EventTypeError) -> BookingError {
    BookingError::Internal(format!("stored event type is not usable: {error}"))
}

/// `date + days`, clamped to the calendar's end.
pub(crate) fn add_days(date: Date, days: i64) -> Date {
    date.checked_add(Span::new().days(days)).unwrap_or(date)
}
