//! What the booking use cases answer with when they succeed.

use crate::store::{Booking, EventType};

/// A booking together with its meeting type: what a caller is told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub booking: Booking,
    pub event_type: EventType,
}

/// What making (or moving) a booking did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placed {
    /// Made by this request.
    New(Appointment),
    /// Made earlier by a request with the same idempotency key; nothing was written.
    Existing(Appointment),
}

impl Placed {
    pub fn appointment(&self) -> &Appointment {
        match self {
            Placed::New(appointment) | Placed::Existing(appointment) => appointment,
        }
    }
}

/// What cancelling a booking did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cancelled {
    /// Cancelled by this request.
    Now(Appointment),
    /// It was cancelled before; nothing was written.
    Earlier(Appointment),
}

impl Cancelled {
    pub fn appointment(&self) -> &Appointment {
        match self {
            Cancelled::Now(appointment) | Cancelled::Earlier(appointment) => appointment,
        }
    }
}
