//! `update_booking` (cancel, or move to a new time) and `get_booking_details`, for bookings the
//! caller names by reference. Only the call's account is searched: another account's
//! reference is "not found".
//!
//! A reschedule makes a new booking linked to the old one (`rescheduled_from`) and marks the
//! old one `rescheduled`, in the same transaction and with the same checks as a new booking;
//! the moved booking does not block its own new time. Both changes are idempotent: a retried
//! reschedule (same `tool_call_id`) returns the booking the first one made, and cancelling a
//! cancelled booking says so without writing.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::{Booking, BookingStatus, EventType, Store, normalize_reference};

use super::book::{self, Confirmation};
use super::error::{ToolError, ToolResult};
use super::params::{self, Flag, StartTime};
use super::placement::{self, Invitee, Placed, Request};
use super::scope::Scope;
use super::view::{self, BookingView};

#[derive(Debug, Deserialize)]
struct UpdateParams {
    booking_id: Option<String>,
    start_time: Option<String>,
    cancel: Option<Flag>,
    timezone: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DetailsParams {
    booking_id: Option<String>,
}

/// A cancellation as the agent confirms it.
#[derive(Debug, Serialize)]
pub struct Cancellation {
    #[serde(flatten)]
    pub booking: BookingView,
    pub confirmation_message: String,
}

/// A booking as the agent reads it back.
#[derive(Debug, Serialize)]
pub struct Details {
    #[serde(flatten)]
    pub booking: BookingView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitee_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitee_phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

pub(crate) enum Update {
    Cancelled(Cancellation),
    Rescheduled(Confirmation),
}

pub(crate) async fn update_booking(
    store: &Store,
    scope: &Scope,
    parameters: &Value,
    tool_call_id: &str,
    now: Timestamp,
) -> ToolResult<Update> {
    let params: UpdateParams = params::parse(parameters)?;
    let reference = params::required(&params.booking_id, "the booking reference")?;
    let cancel = match &params.cancel {
        Some(flag) => flag.value("cancel")?,
        None => false,
    };
    let start = params::given(&params.start_time)
        .map(StartTime::parse)
        .transpose()?;
    match (cancel, start) {
        (true, Some(_)) => Err(ToolError::bad_input(
            "Tell me either a new start time or to cancel, not both.",
        )),
        (false, None) => Err(ToolError::bad_input(
            "I need either a new start time or cancel set to true.",
        )),
        (true, None) => {
            let booking = find(store, scope, reference).await?;
            cancel_booking(store, scope, booking, now)
                .await
                .map(Update::Cancelled)
        }
        (false, Some(start)) => {
            // A retry of a reschedule that went through finds the old booking already moved;
            // the booking it made is the answer.
            if let Some(made) = store
                .booking_by_idempotency_key(&scope.account_id, tool_call_id)
                .await?
            {
                let event_type = store.event_type(&scope.account_id, &made.event_type_id).await?;
                return Ok(Update::Rescheduled(book::confirmation(&made, &event_type, true)));
            }
            let booking = find(store, scope, reference).await?;
            reschedule(store, scope, booking, start, &params.timezone, tool_call_id, now)
                .await
                .map(Update::Rescheduled)
        }
    }
}

pub(crate) async fn get_booking_details(
    store: &Store,
    scope: &Scope,
    parameters: &Value,
) -> ToolResult<Details> {
    let params: DetailsParams = params::parse(parameters)?;
    let reference = params::required(&params.booking_id, "the booking reference")?;
    let booking = find(store, scope, reference).await?;
    let event_type = store
        .event_type(&scope.account_id, &booking.event_type_id)
        .await?;
    Ok(Details {
        booking: view::booking(&booking, &event_type.slug, &event_type.name),
        invitee_email: booking.invitee_email,
        invitee_phone: booking.invitee_phone,
        notes: booking.notes,
    })
}

async fn find(store: &Store, scope: &Scope, reference: &str) -> ToolResult<Booking> {
    store
        .booking_by_reference(&scope.account_id, reference)
        .await?
        .ok_or_else(|| {
            ToolError::NotFound(format!(
                "I can't find a booking with the reference {}. Could you read it to me again?",
                normalize_reference(reference)
            ))
        })
}

async fn cancel_booking(
    store: &Store,
    scope: &Scope,
    booking: Booking,
    now: Timestamp,
) -> ToolResult<Cancellation> {
    let event_type = store
        .event_type(&scope.account_id, &booking.event_type_id)
        .await?;
    match booking.status {
        BookingStatus::Cancelled => return Ok(cancellation(&booking, &event_type, true)),
        BookingStatus::Rescheduled => return Err(moved_already()),
        BookingStatus::Confirmed => {}
    }
    if booking.start_at <= now {
        return Err(ToolError::Refused(
            "That appointment has already started or taken place, so it can't be cancelled.".into(),
        ));
    }
    let mut tx = store.begin_host(&scope.account_id, &booking.host_id).await?;
    // Read again under the lock: a concurrent cancel or reschedule may have won.
    let still_confirmed = tx
        .confirmed_bookings_overlapping(booking.start_at, booking.end_at)
        .await?
        .iter()
        .any(|confirmed| confirmed.id == booking.id);
    if !still_confirmed {
        tx.rollback().await?;
        let current = find(store, scope, &booking.reference).await?;
        return match current.status {
            BookingStatus::Cancelled => Ok(cancellation(&current, &event_type, true)),
            _ => Err(moved_already()),
        };
    }
    let cancelled = tx
        .set_booking_status(&booking.id, BookingStatus::Cancelled)
        .await?;
    tx.commit().await?;
    let reply = cancellation(&cancelled, &event_type, false);
    let summary = format!(
        "Cancelled {} on {}",
        event_type.name,
        view::spoken_when(&reply.booking)
    );
    book::log_booking_activity(store, scope, summary, &cancelled, "cancelled").await;
    Ok(reply)
}

fn cancellation(booking: &Booking, event_type: &EventType, already: bool) -> Cancellation {
    let view = view::booking(booking, &event_type.slug, &event_type.name);
    let state = if already {
        "was already cancelled"
    } else {
        "is cancelled"
    };
    let confirmation_message = format!("The {} on {} {state}.", event_type.name, view::spoken_when(&view));
    Cancellation {
        booking: view,
        confirmation_message,
    }
}

fn moved_already() -> ToolError {
    ToolError::Refused(
        "That booking was already moved to another time, so it has a new reference now.".into(),
    )
}

async fn reschedule(
    store: &Store,
    scope: &Scope,
    booking: Booking,
    start: StartTime,
    timezone: &Option<String>,
    tool_call_id: &str,
    now: Timestamp,
) -> ToolResult<Confirmation> {
    match booking.status {
        BookingStatus::Confirmed => {}
        BookingStatus::Cancelled => {
            return Err(ToolError::Refused(
                "That booking was cancelled; I can make a new booking instead.".into(),
            ));
        }
        BookingStatus::Rescheduled => return Err(moved_already()),
    }
    if booking.start_at <= now {
        return Err(ToolError::Refused(
            "That appointment has already started or taken place, so it can't be moved.".into(),
        ));
    }
    // Only what this agent may book can be moved by it (a secret or unlinked meeting type is
    // the team's to change).
    let offered = scope.offered_event_types(store).await?;
    let Some(event_type) = offered
        .into_iter()
        .find(|offered| offered.id == booking.event_type_id)
    else {
        return Err(ToolError::Refused(
            "I can't move that kind of appointment myself; someone from the team will need to help.".into(),
        ));
    };
    let (timezone, zone) = params::timezone(timezone, &booking.timezone)?;
    let host = store.host(&scope.account_id, &event_type.host_id).await?;
    let request = Request {
        event_type: &event_type,
        host: &host,
        start,
        caller_zone: &zone,
        invitee: Invitee {
            name: booking.invitee_name.clone(),
            email: booking.invitee_email.clone(),
            phone: booking.invitee_phone.clone(),
            contact_id: booking.contact_id.clone(),
            timezone,
            notes: booking.notes.clone(),
        },
        idempotency_key: tool_call_id,
        moving: Some(&booking),
        now,
    };
    match placement::place(store, scope, request).await? {
        Placed::Existing(made) => Ok(book::confirmation(&made, &event_type, true)),
        Placed::New(moved) => {
            let reply = book::confirmation(&moved, &event_type, false);
            let summary = format!(
                "Moved {} from {} to {}",
                event_type.name,
                view::spoken_when(&view::booking(&booking, &event_type.slug, &event_type.name)),
                view::spoken_when(&reply.booking)
            );
            book::log_booking_activity(store, scope, summary, &moved, "rescheduled").await;
            Ok(reply)
        }
    }
}
