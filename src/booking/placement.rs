//! Putting a meeting on a host's calendar without racing anyone: the one transaction that both
//! [`create()`](super::create()) and [`reschedule()`](super::reschedule()) go through.
//!
//! Inside `Store::begin_host` (which serializes booking transactions of one host across every
//! instance, see store/host_tx.rs): look for a booking the idempotency key already made, list
//! the host's confirmed bookings and its calendars' busy time around the wanted time, let the
//! engine check the start, insert,
//! mark a rescheduled booking, commit; then note the change in the CRM log. A refusal comes back
//! with the next free starts.

use jiff::{SignedDuration, Timestamp};

use crate::availability::{Availability, Refusal, Slot, SlotQuery};
use crate::store::{
    Booking, BookingStatus, Constraint, ContactId, EventType, Host, HostTx, NewBooking, Store, StoreError,
};

use super::activity::{self, Change};
use super::calendar::{self, add_days, booking_window, busy_time, engine_event_type};
use super::error::BookingError;
use super::outcome::{Appointment, Placed};
use super::scope::Scope;
use super::start::{CallerZone, StartTime};

/// How many free starts a refusal offers instead.
pub const ALTERNATIVES: usize = 2;
/// How many days after the wanted time the alternatives may come from.
pub const ALTERNATIVE_DAYS: i64 = 7;

/// Who the meeting is with, as it will be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitee {
    pub name: String,
    pub email: Option<String>,
    /// In E.164.
    pub phone: Option<String>,
    pub notes: Option<String>,
}

/// A meeting to place.
pub(super) struct Placement<'a> {
    pub(super) event_type: &'a EventType,
    /// The event type's host.
    pub(super) host: &'a Host,
    pub(super) start: StartTime,
    /// The caller's zone: how a local `start` is read, and the zone the booking keeps.
    pub(super) caller_zone: &'a CallerZone,
    pub(super) invitee: Invitee,
    pub(super) contact_id: Option<ContactId>,
    pub(super) idempotency_key: &'a str,
    /// The confirmed booking this one replaces.
    pub(super) moving: Option<&'a Booking>,
}

pub(super) async fn place(
    store: &Store,
    scope: &Scope,
    placement: Placement<'_>,
    now: Timestamp,
) -> Result<Placed, BookingError> {
    let event_type = placement.event_type;
    let wanted = placement.start.approximate(&placement.caller_zone.zone)?;
    // A start in the past is refused before the calendar is consulted, and the alternatives
    // then start from now: the calendar is needed from whichever is later.
    let anchor = wanted.max(now);
    let alternatives_until = anchor
        .checked_add(SignedDuration::from_hours(24 * (ALTERNATIVE_DAYS + 1)))
        .unwrap_or(Timestamp::MAX);
    let schedule = calendar::load_schedule(
        store,
        &scope.account_id,
        placement.host,
        anchor,
        alternatives_until,
    )
    .await?;

    let mut window = booking_window(anchor, alternatives_until);
    if let Some(moving) = placement.moving {
        // Listed too, so the transaction can see the booking is still there to move.
        window = (window.0.min(moving.start_at), window.1.max(moving.end_at));
    }
    let appointment = |booking| Appointment {
        booking,
        event_type: event_type.clone(),
    };
    let mut tx = store.begin_host(&scope.account_id, &event_type.host_id).await?;
    if let Some(made) = tx.booking_by_idempotency_key(placement.idempotency_key).await? {
        tx.rollback().await?;
        return Ok(Placed::Existing(appointment(made)));
    }
    let bookings = tx.confirmed_bookings_overlapping(window.0, window.1).await?;
    if let Some(moving) = placement.moving
        && !bookings.iter().any(|booking| booking.id == moving.id)
    {
        tx.rollback().await?;
        return Err(BookingError::ChangedMeanwhile);
    }

    let external = tx.external_busy(window.0, window.1).await?;
    let engine_type = engine_event_type(event_type);
    let busy = busy_time(
        &bookings,
        &external,
        event_type,
        placement.moving.map(|booking| &booking.id),
    );
    let availability = Availability::new(&schedule, &engine_type, &busy).map_err(calendar::engine_error)?;
    let zone = &placement.caller_zone.zone;
    let checked = match placement.start {
        StartTime::Instant(start) => availability.check(start, now),
        StartTime::Local(local) => availability.check_local(local, zone, now),
    };
    let refuse = |refusal| refused(refusal, &availability, &placement, wanted, now);
    let slot = match checked {
        Ok(slot) => slot,
        Err(refusal) => {
            let refused = refuse(refusal);
            tx.rollback().await?;
            return Err(refused);
        }
    };

    match insert(&mut tx, &placement, slot).await {
        Ok(booking) => {
            if let Some(moving) = placement.moving {
                tx.set_booking_status(&moving.id, BookingStatus::Rescheduled)
                    .await?;
            }
            tx.commit().await?;
            let made = appointment(booking);
            let change = match placement.moving {
                Some(from) => Change::Moved { from },
                None => Change::Booked,
            };
            activity::record(store, scope, &made, change).await;
            Ok(Placed::New(made))
        }
        Err(StoreError::Conflict {
            constraint: Constraint::BookingIdempotencyKey,
        }) => {
            let made = tx.booking_by_idempotency_key(placement.idempotency_key).await?;
            tx.rollback().await?;
            made.map(|made| Placed::Existing(appointment(made)))
                .ok_or_else(|| BookingError::Internal("idempotency key in use but no booking".into()))
        }
        Err(StoreError::Conflict {
            constraint: Constraint::BookingSlot,
        }) => {
            // The unique index caught what the check should have: refuse it like the check would.
            let refused = refuse(Refusal::Taken);
            tx.rollback().await?;
            Err(refused)
        }
        Err(other) => Err(other.into()),
    }
}

async fn insert(tx: &mut HostTx, placement: &Placement<'_>, slot: Slot) -> Result<Booking, StoreError> {
    let invitee = placement.invitee.clone();
    tx.insert_booking(NewBooking {
        event_type_id: placement.event_type.id.clone(),
        contact_id: placement.contact_id.clone(),
        start_at: slot.start,
        end_at: slot.end,
        buffer_before_min: placement.event_type.buffer_before_min,
        buffer_after_min: placement.event_type.buffer_after_min,
        invitee_name: invitee.name,
        invitee_email: invitee.email,
        invitee_phone: invitee.phone,
        timezone: placement.caller_zone.name.clone(),
        notes: invitee.notes,
        idempotency_key: Some(placement.idempotency_key.to_owned()),
        rescheduled_from: placement.moving.map(|booking| booking.id.clone()),
    })
    .await
}

/// The refusal with what can be booked instead (nothing, for an inactive meeting type).
fn refused(
    refusal: Refusal,
    availability: &Availability<'_>,
    placement: &Placement<'_>,
    wanted: Timestamp,
    now: Timestamp,
) -> BookingError {
    let timezone = placement.caller_zone.zone.clone();
    let alternatives = if refusal == Refusal::Inactive {
        Vec::new()
    } else {
        next_free(availability, wanted.max(now), &timezone, now)
    };
    BookingError::Refused {
        refusal,
        alternatives,
        requested: wanted,
        timezone,
    }
}

/// The first free starts at or after `after`, from its date on `zone`'s clock through the
/// following [`ALTERNATIVE_DAYS`] days.
fn next_free(
    availability: &Availability<'_>,
    after: Timestamp,
    zone: &jiff::tz::TimeZone,
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
