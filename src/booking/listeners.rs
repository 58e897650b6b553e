//! Who hears of a booking change once it has committed: the seam for whatever follows a
//! booking made, moved or cancelled (outgoing webhooks now; confirmations and calendar
//! write-back can register the same way).
//!
//! The use cases stay free of it; the two places that call them for someone, the agent's tools
//! (`tools::Toolbox`) and the management API's (`manage::Bookings`), hand each result to
//! [`BookingListeners::placed`] or [`BookingListeners::cancelled`], which tell every listener of
//! a change this request made (a replay of an earlier request changed nothing and tells
//! nobody). The caller awaits the listeners, so what they write (a job enqueued) is stored
//! before the caller is answered; a listener must be quick and must not fail the change, which
//! already stands.

use std::sync::{Arc, RwLock};

use futures::future::BoxFuture;

use super::outcome::{Appointment, Cancelled, Placed};
use super::scope::Scope;

/// What happened to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Created,
    /// A new booking made in place of an earlier one (`rescheduled_from`).
    Rescheduled,
    Cancelled,
}

/// A change that committed, with who made it.
#[derive(Debug, Clone)]
pub struct BookingChange<'a> {
    pub kind: ChangeKind,
    /// The booking as it is now (for a reschedule, the new booking).
    pub appointment: &'a Appointment,
    pub scope: &'a Scope,
}

/// Told of each booking change once it has committed.
pub trait AfterBooking: Send + Sync {
    fn booking_changed<'a>(&'a self, change: &'a BookingChange<'a>) -> BoxFuture<'a, ()>;
}

/// The listeners registered. Cheap to clone: clones share the registrations.
#[derive(Clone, Default)]
pub struct BookingListeners(Arc<RwLock<Vec<Arc<dyn AfterBooking>>>>);

impl std::fmt::Debug for BookingListeners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.0.read().map_or(0, |listeners| listeners.len());
        f.debug_tuple("BookingListeners").field(&count).finish()
    }
}

impl BookingListeners {
    /// Adds a listener; it hears of changes from now on.
    pub fn register(&self, listener: Arc<dyn AfterBooking>) {
        self.0.write().expect("booking listeners").push(listener);
    }

    /// Tells the listeners of a booking made or moved by this request.
    pub async fn placed(&self, scope: &Scope, placed: &Placed) {
        if let Placed::New(appointment) = placed {
            let kind = match appointment.booking.rescheduled_from {
                Some(_) => ChangeKind::Rescheduled,
                None => ChangeKind::Created,
            };
            self.tell(BookingChange {
                kind,
                appointment,
                scope,
            })
            .await;
        }
    }

    /// Tells the listeners of a booking cancelled by this request.
    pub async fn cancelled(&self, scope: &Scope, cancelled: &Cancelled) {
        if let Cancelled::Now(appointment) = cancelled {
            self.tell(BookingChange {
                kind: ChangeKind::Cancelled,
                appointment,
                scope,
            })
            .await;
        }
    }

    async fn tell(&self, change: BookingChange<'_>) {
        let listeners = self.0.read().expect("booking listeners").clone();
        for listener in listeners {
            listener.booking_changed(&change).await;
        }
    }
}
