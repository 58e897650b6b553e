//! Finding a booking by the reference a caller quotes, in the account only: another account's
//! reference is not found.

use crate::store::{Booking, Store, normalize_reference};

use super::error::BookingError;
use super::outcome::Appointment;
use super::scope::Scope;

/// The booking with `reference` (as spoken: any case, spaces allowed) and its meeting type.
pub async fn find_by_reference(
    store: &Store,
    scope: &Scope,
    reference: &str,
) -> Result<Appointment, BookingError> {
    let booking = find(store, scope, reference).await?;
    let event_type = store
        .event_type(&scope.account_id, &booking.event_type_id)
        .await?;
    Ok(Appointment { booking, event_type })
}

pub(super) async fn find(store: &Store, scope: &Scope, reference: &str) -> Result<Booking, BookingError> {
    store
        .booking_by_reference(&scope.account_id, reference)
        .await?
        .ok_or_else(|| BookingError::NotFound {
            reference: normalize_reference(reference),
        })
}
