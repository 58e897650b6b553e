//! Making a booking for a caller: race-free (through the placement transaction) and
//! idempotent by a key the caller chooses (the voice agent's tool call id), on the caller's
//! contact, recorded in the CRM log.

use jiff::Timestamp;

use crate::store::{ContactId, ContactUpsert, Store};

use super::error::BookingError;
use super::outcome::{Appointment, Placed};
use super::placement::{self, Invitee, Placement};
use super::scope::Scope;
use super::start::{CallerZone, StartTime};

/// A booking to make.
#[derive(Debug, Clone)]
pub struct BookingRequest {
    /// The meeting type as the caller names it: an offered one's slug, or its name in any case.
    pub event_type: String,
    pub start: StartTime,
    /// The caller's IANA timezone; the host's when `None`. A local `start` is read in it and
    /// the booking keeps it.
    pub timezone: Option<String>,
    pub invitee: Invitee,
    /// The number the caller calls from (E.164), for the contact when the invitee gives none.
    pub caller_phone: Option<String>,
    /// A request with a key that already made a booking returns that booking and writes nothing.
    pub idempotency_key: String,
}

/// Books `request` as of `now`. The invitee's contact (by their phone, else the caller's) is
/// created or updated with their name and email, and the booking is filed under it.
pub async fn create(
    store: &Store,
    scope: &Scope,
    request: BookingRequest,
    now: Timestamp,
) -> Result<Placed, BookingError> {
    let event_type = scope.offered_event_type(store, &request.event_type).await?;
    if let Some(made) = store
        .booking_by_idempotency_key(&scope.account_id, &request.idempotency_key)
        .await?
    {
        return Ok(Placed::Existing(Appointment {
            booking: made,
            event_type,
        }));
    }
    let host = store.host(&scope.account_id, &event_type.host_id).await?;
    let caller_zone = CallerZone::named_or(request.timezone.as_deref(), &host.timezone)?;

    // Upserted before the booking transaction: other writes must not run while it holds the
    // host's lock (store/host_tx.rs). The caller's own number is the fallback, so the booking
    // lands on the contact the call is logged against.
    let invitee = request.invitee;
    let contact_phone = invitee.phone.clone().or(request.caller_phone);
    let contact_id = match &contact_phone {
        Some(number) => Some(contact_for(store, scope, number, &invitee).await?),
        None => None,
    };
    let placement = Placement {
        event_type: &event_type,
        host: &host,
        start: request.start,
        caller_zone: &caller_zone,
        invitee: Invitee {
            phone: contact_phone,
            ..invitee
        },
        contact_id,
        idempotency_key: &request.idempotency_key,
        moving: None,
    };
    placement::place(store, scope, placement, now).await
}

async fn contact_for(
    store: &Store,
    scope: &Scope,
    phone: &str,
    invitee: &Invitee,
) -> Result<ContactId, BookingError> {
    let contact = store
        .upsert_contact(
            &scope.account_id,
            ContactUpsert {
                phone: phone.to_owned(),
                name: Some(invitee.name.clone()),
                email: invitee.email.clone(),
            },
        )
        .await?;
    Ok(contact.id)
}
