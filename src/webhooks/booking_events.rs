//! Booking changes as webhook events: the `booking::AfterBooking` listener that publishes
//! `booking.created`, `booking.rescheduled` and `booking.cancelled`, awaited by the caller so
//! the deliveries are enqueued before it answers.

use futures::future::BoxFuture;
use jiff::Timestamp;

use super::events::{Event, EventType};
use super::publisher::Publisher;
use crate::booking::{AfterBooking, BookingChange, ChangeKind};

/// Publishes each booking change.
#[derive(Debug, Clone)]
pub struct PublishBookingChanges(pub Publisher);

impl AfterBooking for PublishBookingChanges {
    fn booking_changed<'a>(&'a self, change: &'a BookingChange<'a>) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let kind = match change.kind {
                ChangeKind::Created => EventType::BookingCreated,
                ChangeKind::Rescheduled => EventType::BookingRescheduled,
                ChangeKind::Cancelled => EventType::BookingCancelled,
            };
            let event = Event::booking(
                kind,
                change.appointment,
                change.scope.agent_id.as_ref(),
                Timestamp::now(),
            );
            self.0.publish_logged(&event).await;
        })
    }
}
