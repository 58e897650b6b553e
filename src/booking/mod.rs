//! The booking use cases: make, move, cancel and find a caller's booking, and the open times of
//! a meeting type, against the store and under the availability rules.
//!
//! Every use case answers with data: what it did ([`Placed`], [`Cancelled`], an
//! [`Appointment`]) or why it could not ([`BookingError`], e.g. the engine's
//! [`Refusal`](crate::availability::Refusal) with the next free starts). How that is said is the
//! caller's business: the voice agent's tools turn it into sentences (`tools`), an API into its
//! own messages. `now` is always an argument, and parameters come typed ([`StartTime`], an IANA
//! timezone name), not in the forgiving forms an LLM sends.
//!
//! Every use case is scoped to an account and the agent acting for it ([`Scope`]): making and
//! moving bookings is limited to the meeting types that agent offers; a booking found by its
//! reference can be read and cancelled whatever its type.
//!
//! | use case | answers |
//! |---|---|
//! | [`create()`] | [`Placed`]: new, or the one the same idempotency key made |
//! | [`reschedule()`] | [`Placed`]: the new booking that replaces the old one |
//! | [`cancel()`] | [`Cancelled`]: now, or earlier |
//! | [`find_by_reference()`] | the [`Appointment`] |
//! | [`open_starts()`] | the free start instants of a meeting type in a query |
//! | [`Scope::offered_event_types`] | what the agent offers |
//!
//! Whoever calls them for someone tells the [`BookingListeners`] of what changed.

mod activity;
mod calendar;
mod cancel;
mod create;
mod error;
mod listeners;
mod lookup;
mod outcome;
mod placement;
mod reschedule;
mod scope;
mod start;

pub use calendar::open_starts;
pub use cancel::cancel;
pub use create::{BookingRequest, create};
pub use error::BookingError;
pub use listeners::{AfterBooking, BookingChange, BookingListeners, ChangeKind};
pub use lookup::find_by_reference;
pub use outcome::{Appointment, Cancelled, Placed};
pub use placement::{ALTERNATIVE_DAYS, ALTERNATIVES, Invitee};
pub use reschedule::{RescheduleRequest, reschedule};
pub use scope::Scope;
pub use start::{CallerZone, StartTime};

pub(crate) use calendar::add_days;
