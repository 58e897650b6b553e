//! Email: a confirmation to the invitee (with a calendar invitation) and a notice to the host
//! for every booking made, moved or cancelled, and a summary of each call to the business,
//! sent through SMTP by a background job, once.
//!
//! Below `app`, above `booking`/`store`. `templates` (the kinds, their built-in subjects and
//! bodies, `{{variable}}`s checked by name), `invitation` (the `.ics`: iTIP REQUEST or CANCEL
//! with the first booking's UID and a SEQUENCE counting the changes, on the host's clock with
//! its VTIMEZONE; pure), `compose` (a change's emails from its facts; pure), `booking_mail`
//! (the `booking::AfterBooking` listener that looks the facts up and enqueues), `call_summary`
//! (a recorded call's summary to the account's summary address), `retry` (which
//! SMTP failures are tried again, and when; pure), `smtp` (the `lettre` client), `sender` (the
//! outbox worker's round).

pub mod booking_mail;
pub mod call_summary;
pub mod compose;
pub mod invitation;
pub mod retry;
pub mod sender;
pub mod smtp;
pub mod templates;

pub use booking_mail::BookingMail;
pub use call_summary::CallSummaries;
pub use sender::{Attempted, Sender};
pub use smtp::{Mailer, MailerError};
pub use templates::{EmailKind, EmailTemplate};
