//! Putting a meeting on a host's calendar without racing anyone: the one transaction that both
//! `create_booking` and a reschedule go through.
//!
//! Inside `Store::begin_host` (which serializes booking transactions of one host across every
//! instance, see store/host_tx.rs): look for a booking the idempotency key already made, list
//! the host's confirmed bookings around the wanted time, let the engine check the start, insert,
//! mark a rescheduled booking, commit. A refusal comes back with the next free times.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::availability::{Availability, Refusal, Slot, SlotQuery};
use crate::store::{
    Booking, BookingStatus, Constraint, ContactId, EventType, Host, HostTx, NewBooking, Store, StoreError,
};

use super::calendar::{self, add_days, booking_window, busy_time, engine_event_type};
use super::error::{ToolError, ToolResult};
use super::params::StartTime;
use super::scope::Scope;
use super::view;

/// How many free times a refusal offers instead.
const ALTERNATIVES: usize = 2;
/// How many days after the wanted time the alternatives may come from.
pub(crate) const ALTERNATIVE_DAYS: i64 = 7;

/// Who the meeting is with, as it will be stored.
#[derive(Debug, Clone)]
pub(crate) struct Invitee {
    pub(crate) name: String,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) contact_id: Option<ContactId>,
    /// IANA name of the caller's zone, kept for confirmations.
    pub(crate) timezone: String,
    pub(crate) notes: Option<String>,
}

/// A request to place a meeting.
pub(crate) struct Request<'a> {
    pub(crate) event_type: &'a EventType,
    /// The event type's host.
    pub(crate) host: &'a Host,
    pub(crate) start: StartTime,
    /// The caller's zone: how a local `start` is read and how alternatives are said.
    pub(crate) caller_zone: &'a TimeZone,
    pub(crate) invitee: Invitee,
    pub(crate) idempotency_key: &'a str,
    /// The confirmed booking this one replaces.
    pub(crate) moving: Option<&'a Booking>,
    pub(crate) now: Timestamp,
}

#[derive(Debug)]
pub(crate) enum Placed {
    /// Made by this request.
    New(Booking),
    /// Made earlier with the same idempotency key; nothing was written.
    Existing(Booking),
}

pub(crate) async fn place(store: &Store, scope: &Scope, request: Request<'_>) -> ToolResult<Placed> {
    let event_type = request.event_type;
    let wanted = request.start.approximate(request.caller_zone)?;
    // A start in the past is refused before the calendar is consulted, and the alternatives
    // then start from now: the calendar is needed from whichever is later.
    let anchor = wanted.max(request.now);
    let alternatives_until = anchor
        .checked_add(jiff::SignedDuration::from_hours(24 * (ALTERNATIVE_DAYS + 1)))
        .unwrap_or(Timestamp::MAX);
    let schedule =
        calendar::load_schedule(store, &scope.account_id, request.host, anchor, alternatives_until).await?;

    let mut window = booking_window(anchor, alternatives_until);
    if let Some(moving) = request.moving {
        // Listed too, so the transaction can see the booking is still there to move.
        window = (window.0.min(moving.start_at), window.1.max(moving.end_at));
    }
    let mut tx = store.begin_host(&scope.account_id, &event_type.host_id).await?;
    if let Some(made) = tx.booking_by_idempotency_key(request.idempotency_key).await? {
        tx.rollback().await?;
        return Ok(Placed::Existing(made));
    }
    let bookings = tx.confirmed_bookings_overlapping(window.0, window.1).await?;
    if let Some(moving) = request.moving
        && !bookings.iter().any(|booking| booking.id == moving.id)
    {
        tx.rollback().await?;
        return Err(ToolError::Refused(
            "That booking was just changed or cancelled; please look it up again.".into(),
        ));
    }

    let engine_type = engine_event_type(event_type);
    let busy = busy_time(&bookings, event_type, request.moving.map(|booking| &booking.id));
    let availability = Availability::new(&schedule, &engine_type, &busy).map_err(calendar::engine_error)?;
    let checked = match request.start {
        StartTime::Instant(start) => availability.check(start, request.now),
        StartTime::Local(local) => availability.check_local(local, request.caller_zone, request.now),
    };
    let slot = match checked {
        Ok(slot) => slot,
        Err(refusal) => {
            let sentence = refusal_sentence(refusal, &availability, &request, wanted);
            tx.rollback().await?;
            return Err(ToolError::Refused(sentence));
        }
    };

    match insert(&mut tx, &request, slot).await {
        Ok(booking) => {
            if let Some(moving) = request.moving {
                tx.set_booking_status(&moving.id, BookingStatus::Rescheduled)
                    .await?;
            }
            tx.commit().await?;
            Ok(Placed::New(booking))
        }
        Err(StoreError::Conflict {
            constraint: Constraint::BookingIdempotencyKey,
        }) => {
            let made = tx.booking_by_idempotency_key(request.idempotency_key).await?;
            tx.rollback().await?;
            made.map(Placed::Existing)
                .ok_or_else(|| ToolError::Internal("idempotency key in use but no booking".into()))
        }
        Err(StoreError::Conflict {
            constraint: Constraint::BookingSlot,
        }) => {
            // The unique index caught what the check should have: say it like the check would.
            let sentence = refusal_sentence(Refusal::Taken, &availability, &request, wanted);
            tx.rollback().await?;
            Err(ToolError::Refused(sentence))
        }
        Err(other) => Err(other.into()),
    }
}

async fn insert(tx: &mut HostTx, request: &Request<'_>, slot: Slot) -> Result<Booking, StoreError> {
    let invitee = request.invitee.clone();
    tx.insert_booking(NewBooking {
        event_type_id: request.event_type.id.clone(),
        contact_id: invitee.contact_id,
        start_at: slot.start,
        end_at: slot.end,
        buffer_before_min: request.event_type.buffer_before_min,
        buffer_after_min: request.event_type.buffer_after_min,
        invitee_name: invitee.name,
        invitee_email: invitee.email,
        invitee_phone: invitee.phone,
        timezone: invitee.timezone,
        notes: invitee.notes,
        idempotency_key: Some(request.idempotency_key.to_owned()),
        rescheduled_from: request.moving.map(|booking| booking.id.clone()),
    })
    .await
}

/// The refusal, then what can be booked instead: "That time was just taken; the next free
/// times are 9:30 AM and 10:00 AM."
fn refusal_sentence(
    refusal: Refusal,
    availability: &Availability<'_>,
    request: &Request<'_>,
    wanted: Timestamp,
) -> String {
    if refusal == Refusal::Inactive {
        return refusal.to_string();
    }
    let after = wanted.max(request.now);
    let free = next_free(availability, after, request.caller_zone, request.now);
    let reason = refusal.to_string();
    if free.is_empty() {
        return format!("{reason} I don't see any free times in the following {ALTERNATIVE_DAYS} days.");
    }
    let times = view::times_phrase(&free, request.caller_zone, wanted);
    let reason = reason.strip_suffix('.').unwrap_or(&reason);
    if free.len() == 1 {
        format!("{reason}; the next free time is {times}.")
    } else {
        format!("{reason}; the next free times are {times}.")
    }
}

/// The first free starts at or after `after`, within the following days.
fn next_free(
    availability: &Availability<'_>,
    after: Timestamp,
    zone: &TimeZone,
    now: Timestamp,
) -> Vec<Timestamp> {
    let first = zone.to_datetime(after).date();
    let Ok(query) = SlotQuery::days(first, add_days(first, ALTERNATIVE_DAYS), zone.clone()) else {
        return Vec::new();
    };
    availability
        .slots(&query, now)
        .into_iter()
        .filter(|&start| start >= after)
        .take(ALTERNATIVES)
        .collect()
}
