//! Moving a booking to a new start: a new booking linked to the old one (`rescheduled_from`),
//! the old one marked `rescheduled`, in the same transaction and with the same checks as a new
//! booking; the moved booking does not block its own new time. Only meeting types the agent
//! offers can be moved by it (a secret or unlinked one is the team's to change).
//!
//! Idempotent: a retry with the same key finds the old booking already moved and answers with
//! the booking the first request made.

use jiff::Timestamp;

use crate::store::{BookingStatus, Store};

use super::error::BookingError;
use super::lookup::find;
use super::outcome::{Appointment, Placed};
use super::placement::Invitee;
use super::placement::{self, Placement};
use super::scope::Scope;
use super::start::{CallerZone, StartTime};

/// A booking to move.
#[derive(Debug, Clone)]
pub struct RescheduleRequest {
    /// The reference the caller quotes (any case, spaces allowed).
    pub reference: String,
    pub start: StartTime,
    /// The caller's IANA timezone; the booking's own when `None`.
    pub timezone: Option<String>,
    /// A request with a key that already moved the booking returns the booking it made.
    pub idempotency_key: String,
}

/// Moves the booking `request` names, as of `now`. [`Placed::New`] holds the new booking.
pub async fn reschedule(
    store: &Store,
    scope: &Scope,
    request: RescheduleRequest,
    now: Timestamp,
) -> Result<Placed, BookingError> {
    // A retry of a reschedule that went through finds the old booking already moved; the
    // booking it made is the answer.
    if let Some(made) = store
        .booking_by_idempotency_key(&scope.account_id, &request.idempotency_key)
        .await?
    {
        let event_type = store.event_type(&scope.account_id, &made.event_type_id).await?;
        return Ok(Placed::Existing(Appointment {
            booking: made,
            event_type,
        }));
    }
    let booking = find(store, scope, &request.reference).await?;
    match booking.status {
        BookingStatus::Confirmed => {}
        BookingStatus::Cancelled => return Err(BookingError::AlreadyCancelled),
        BookingStatus::Rescheduled => return Err(BookingError::AlreadyMoved),
    }
    if booking.start_at <= now {
        return Err(BookingError::AlreadyStarted);
    }
    let offered = scope.offered_event_types(store).await?;
    let Some(event_type) = offered
        .into_iter()
        .find(|offered| offered.id == booking.event_type_id)
    else {
        return Err(BookingError::MoveNotOffered);
    };
    let caller_zone = CallerZone::named_or(request.timezone.as_deref(), &booking.timezone)?;
    let host = store.host(&scope.account_id, &event_type.host_id).await?;
    let placement = Placement {
        event_type: &event_type,
        host: &host,
        start: request.start,
        caller_zone: &caller_zone,
        invitee: Invitee {
            name: booking.invitee_name.clone(),
            email: booking.invitee_email.clone(),
            phone: booking.invitee_phone.clone(),
            notes: booking.notes.clone(),
        },
        contact_id: booking.contact_id.clone(),
        idempotency_key: &request.idempotency_key,
        moving: Some(&booking),
    };
    placement::place(store, scope, placement, now).await
}
