//! The `booking::AfterBooking` listener that enqueues a booking change's emails: the facts
//! looked up (the account's name, the host, the booking the appointment was first made as and
//! how often it moved, the booking a reschedule replaced, the account's templates), the emails
//! written by `compose`, each enqueued once under its key, then the sender woken. Awaited by
//! the booking's caller, so the jobs are stored before it answers; a failure is logged and
//! never fails the change.

use std::sync::Arc;

use futures::future::BoxFuture;
use jiff::Timestamp;
use tokio::sync::Notify;

use super::compose::{BookingFacts, booking_emails};
use super::invitation::Party;
use super::templates::in_use;
use crate::booking::{AfterBooking, BookingChange, ChangeKind};
use crate::store::{Booking, Store, StoreResult};

/// The longest chain of moves followed back to the first booking.
const MAX_MOVES: u32 = 1000;

/// Enqueues the emails of each booking change.
#[derive(Debug, Clone)]
pub struct BookingMail {
    store: Store,
    organizer: Party,
    due: Arc<Notify>,
}

impl BookingMail {
    /// Emails from `organizer` (the sending address); `due` is woken after an enqueue.
    pub fn new(store: Store, organizer: Party, due: Arc<Notify>) -> BookingMail {
        BookingMail {
            store,
            organizer,
            due,
        }
    }

    /// Enqueues the emails of `change`; how many were new.
    pub async fn enqueue(&self, change: &BookingChange<'_>, now: Timestamp) -> StoreResult<usize> {
        let booking = &change.appointment.booking;
        let account = self.store.account(&booking.account_id).await?;
        let host = self.store.host(&booking.account_id, &booking.host_id).await?;
        let previous = match (change.kind, &booking.rescheduled_from) {
            (ChangeKind::Rescheduled, Some(id)) => Some(self.store.booking(&booking.account_id, id).await?),
            _ => None,
        };
        let (first, moves) = self.first_of(booking).await?;
        let facts = BookingFacts {
            account_id: &booking.account_id,
            business: &account.name,
            change: change.kind,
            booking,
            previous: previous.as_ref(),
            meeting_type: &change.appointment.event_type.name,
            host: &host,
            first_booking_id: &first,
            moves,
            organizer: self.organizer.clone(),
            changed_at: booking.updated_at,
        };
        let saved = self.store.email_templates(&booking.account_id).await?;
        let mut new = 0;
        for email in booking_emails(&facts, |kind| in_use(kind, &saved)) {
            let (_, written) = self.store.enqueue_email(email, now).await?;
            new += usize::from(written);
        }
        if new > 0 {
            self.due.notify_one();
        }
        Ok(new)
    }

    /// The id of the booking `booking`'s appointment was first made as, and the moves since.
    async fn first_of(&self, booking: &Booking) -> StoreResult<(String, u32)> {
        let mut current = booking.clone();
        let mut moves = 0;
        while let Some(earlier) = current.rescheduled_from.clone() {
            if moves >= MAX_MOVES {
                break;
            }
            current = self.store.booking(&booking.account_id, &earlier).await?;
            moves += 1;
        }
        Ok((current.id.as_str().to_owned(), moves))
    }
}

impl AfterBooking for BookingMail {
    fn booking_changed<'a>(&'a self, change: &'a BookingChange<'a>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Err(error) = self.enqueue(change, Timestamp::now()).await {
                tracing::warn!(
                    booking_id = %change.appointment.booking.id.as_str(),
                    %error,
                    "the booking's emails could not be enqueued"
                );
            }
        })
    }
}
