//! Outgoing webhooks: an account's events (a booking made, moved or cancelled, a call ended, a
//! text received) sent to the endpoints it subscribed, signed, retried, logged.
//!
//! Below `app`/`http`, above `store`/`wire`. `events` (the event types and the body every
//! delivery of an event carries, its id fixed by what it is about, so publishing it twice
//! sends it once), `publisher` (an event enqueued as one delivery per subscribed endpoint,
//! then the worker woken), `retry` (the pure rules: a delivery due at its next attempt,
//! exponential backoff with a cap, bounded attempts, given `now`), `sender` (the worker's
//! round: deliveries claimed by a conditional update, POSTed signed with
//! `wire::webhook_signature`, a 2xx delivered, anything else retried), `booking_events` (the
//! `booking::AfterBooking` listener that publishes booking changes).

pub mod booking_events;
pub mod events;
pub mod publisher;
pub mod retry;
pub mod sender;

pub use events::{Event, EventType};
pub use publisher::Publisher;
pub use retry::{Backoff, DELIVERY_BACKOFF};
pub use sender::{Attempted, Sender};
