//! Why a booking use case could not do what was asked, as data. Each caller says it its own way
//! (the voice agent's tools as sentences for the caller); `Display` is for logs.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::availability::Refusal;
use crate::store::{EventType, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    /// The availability rules refuse the requested start.
    #[error("refused: {refusal}")]
    Refused {
        refusal: Refusal,
        /// What can be booked instead: the first [`ALTERNATIVES`](super::ALTERNATIVES) free
        /// starts from the requested one (or from now, if that has passed) within the following
        /// [`ALTERNATIVE_DAYS`](super::ALTERNATIVE_DAYS) days. None for an inactive meeting type.
        alternatives: Vec<Timestamp>,
        /// The requested start as an instant (a wall-clock start read in `timezone`).
        requested: Timestamp,
        /// The caller's timezone the request was read in, to say the alternatives in.
        timezone: TimeZone,
    },
    /// The meeting type named is not one the agent offers; it may exist but be secret,
    /// inactive or not linked to the agent, which the caller is not to learn.
    #[error("no offered meeting type {named:?}")]
    NotOffered {
        named: String,
        /// What the agent does offer.
        offered: Vec<EventType>,
    },
    /// The booking's meeting type is not one the agent offers, so the agent may not move it.
    #[error("the booking's meeting type is not offered by this agent")]
    MoveNotOffered,
    /// No booking in the account has this reference (normalized as stored).
    #[error("no booking with the reference {reference}")]
    NotFound { reference: String },
    /// The booking was moved before, so it has been replaced by one with a new reference.
    #[error("the booking was already moved")]
    AlreadyMoved,
    /// The booking was cancelled, so it cannot be moved.
    #[error("the booking was cancelled")]
    AlreadyCancelled,
    /// The booking's start has passed, so it cannot be changed.
    #[error("the appointment has already started")]
    AlreadyStarted,
    /// Another request cancelled or moved the booking while this one was placing its new time.
    #[error("the booking changed meanwhile")]
    ChangedMeanwhile,
    /// The caller's timezone is not a known IANA name.
    #[error("unknown timezone {name:?}")]
    UnknownTimezone { name: String },
    /// A wall-clock start so far out that it has no instant.
    #[error("the date is out of range")]
    DateOutOfRange,
    /// Storage failed.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    /// Stored data this build cannot use (an unknown host timezone, a broken event type).
    #[error("internal error: {0}")]
    Internal(String),
}
