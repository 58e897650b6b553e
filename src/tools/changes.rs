//! `update_booking` (cancel, or move to a new time) and `get_booking_details`, for bookings the
//! caller names by reference; see [`booking::cancel`], [`booking::reschedule`] and
//! [`booking::find_by_reference`] for the rules. Both changes are idempotent: a retried
//! reschedule (same `tool_call_id`) returns the booking the first one made, and cancelling a
//! cancelled booking says so without writing.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::booking::{self, Appointment, BookingListeners, Cancelled, Placed, RescheduleRequest, Scope};
use crate::store::Store;

use super::book::{self, Confirmation};
use super::definition::{self, Definition, parameters_of};
use super::error::{ToolError, ToolResult};
use super::params::{self, Flag};
use super::refusals::{Change, refusing};
use super::view::{self, BookingView};

pub(crate) const UPDATE_BOOKING: Definition = Definition {
    name: "update_booking",
    description: "Cancels a booking (cancel: true) or moves it to a new start_time. Confirm with the \
                  caller first.",
    parameters: parameters_of::<UpdateParams>,
};

pub(crate) const GET_BOOKING_DETAILS: Definition = Definition {
    name: "get_booking_details",
    description: "Looks up a booking by its reference: what, when, and its status.",
    parameters: parameters_of::<DetailsParams>,
};

#[derive(Debug, Deserialize, JsonSchema)]
struct UpdateParams {
    #[schemars(required, description = definition::REFERENCE)]
    booking_id: Option<String>,
    /// The new start: a start_time from get_available_slots or a local time like
    /// 2026-02-10T09:00.
    start_time: Option<String>,
    /// True to cancel the booking.
    // A boolean to the LLM; "yes" or "true" as text are tolerated (`Flag`).
    #[schemars(with = "Option<bool>")]
    cancel: Option<Flag>,
    #[schemars(description = definition::TIMEZONE)]
    timezone: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct DetailsParams {
    #[schemars(required, description = definition::REFERENCE)]
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
    listeners: &BookingListeners,
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
        .map(params::start_time)
        .transpose()?;
    match (cancel, start) {
        (true, Some(_)) => Err(ToolError::bad_input(
            "Tell me either a new start time or to cancel, not both.",
        )),
        (false, None) => Err(ToolError::bad_input(
            "I need either a new start time or cancel set to true.",
        )),
        (true, None) => {
            let cancelled = booking::cancel(store, scope, reference, now)
                .await
                .map_err(|error| refusing(Change::Cancel, error))?;
            listeners.cancelled(scope, &cancelled).await;
            Ok(Update::Cancelled(match cancelled {
                Cancelled::Now(appointment) => cancellation(&appointment, false),
                Cancelled::Earlier(appointment) => cancellation(&appointment, true),
            }))
        }
        (false, Some(start)) => {
            let request = RescheduleRequest {
                reference: reference.to_owned(),
                start,
                timezone: params::given(&params.timezone).map(str::to_owned),
                idempotency_key: tool_call_id.to_owned(),
            };
            let placed = booking::reschedule(store, scope, request, now)
                .await
                .map_err(|error| refusing(Change::Move, error))?;
            listeners.placed(scope, &placed).await;
            Ok(Update::Rescheduled(match placed {
                Placed::New(moved) => book::confirmation(&moved, false),
                Placed::Existing(moved) => book::confirmation(&moved, true),
            }))
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
    let appointment = booking::find_by_reference(store, scope, reference).await?;
    Ok(Details {
        booking: view::appointment(&appointment),
        invitee_email: appointment.booking.invitee_email,
        invitee_phone: appointment.booking.invitee_phone,
        notes: appointment.booking.notes,
    })
}

fn cancellation(appointment: &Appointment, already: bool) -> Cancellation {
    let view = view::appointment(appointment);
    let state = if already {
        "was already cancelled"
    } else {
        "is cancelled"
    };
    let confirmation_message = format!(
        "The {} on {} {state}.",
        appointment.event_type.name,
        view::spoken_when(&view)
    );
    Cancellation {
        booking: view,
        confirmation_message,
    }
}
