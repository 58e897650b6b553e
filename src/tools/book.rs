//! `create_booking`: book a meeting for the caller, race-free and idempotent by tool call id
//! (see [`booking::create`]).
//!
//! Reply: a [`Confirmation`] (`booking_id` is the reference the caller can quote). A retried
//! call with the same `tool_call_id` returns the booking the first one made and writes nothing.
//! A refusal (taken meanwhile, outside opening hours, too soon, …) is an error sentence that
//! offers the next free times.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::booking::{self, Appointment, BookingListeners, BookingRequest, Invitee, Placed, Scope};
use crate::store::Store;

use super::definition::{self, Definition, parameters_of};
use super::error::{ToolError, ToolResult};
use super::params;
use super::view::{self, BookingView};

const MAX_NOTES_CHARS: usize = 2000;

pub(crate) const CREATE_BOOKING: Definition = Definition {
    name: "create_booking",
    description: "Books a meeting. Call it only after the caller confirmed the meeting type, time and \
                  their name. Returns the booking reference to read back.",
    parameters: parameters_of::<Params>,
};

#[derive(Debug, Deserialize, JsonSchema)]
struct Params {
    #[schemars(required, description = definition::SLUG)]
    event_type_slug: Option<String>,
    /// A start_time from get_available_slots, or a local time like 2026-02-10T09:00 in the
    /// caller's timezone.
    #[schemars(required)]
    start_time: Option<String>,
    /// The caller's full name.
    #[schemars(required)]
    invitee_name: Option<String>,
    /// The caller's email address, if they gave one.
    invitee_email: Option<String>,
    /// The caller's phone number with country code, if different from the number they call
    /// from.
    invitee_phone: Option<String>,
    #[schemars(description = definition::TIMEZONE)]
    timezone: Option<String>,
    /// Anything the caller wants the business to know.
    notes: Option<String>,
}

/// What the agent confirms to the caller.
#[derive(Debug, Serialize)]
pub struct Confirmation {
    #[serde(flatten)]
    pub booking: BookingView,
    /// A sentence the agent can say as it stands.
    pub confirmation_message: String,
}

pub(crate) async fn create_booking(
    store: &Store,
    listeners: &BookingListeners,
    scope: &Scope,
    parameters: &Value,
    tool_call_id: &str,
    caller_number: Option<&str>,
    now: Timestamp,
) -> ToolResult<Confirmation> {
    let params: Params = params::parse(parameters)?;
    let slug = params::required(&params.event_type_slug, "the meeting type")?;
    let start_text = params::required(&params.start_time, "the start time")?;
    let name = params::required(&params.invitee_name, "the caller's name for the booking")?;
    if name.chars().count() > params::MAX_NAME_CHARS {
        return Err(ToolError::bad_input("That name is too long for a booking."));
    }
    let email = params::given(&params.invitee_email)
        .map(params::email)
        .transpose()?;
    let phone = params::given(&params.invitee_phone)
        .map(params::phone)
        .transpose()?;
    let notes = params::free_text(&params.notes, "note", MAX_NOTES_CHARS)?;
    let start = params::start_time(start_text)?;
    let request = BookingRequest {
        event_type: slug.to_owned(),
        start,
        timezone: params::given(&params.timezone).map(str::to_owned),
        invitee: Invitee {
            name: name.to_owned(),
            email,
            phone,
            notes,
        },
        // A withheld or malformed caller id just means no fallback number for the contact.
        caller_phone: caller_number.and_then(|number| params::phone(number).ok()),
        idempotency_key: tool_call_id.to_owned(),
    };
    let placed = booking::create(store, scope, request, now).await?;
    listeners.placed(scope, &placed).await;
    Ok(match placed {
        Placed::New(made) => confirmation(&made, false),
        Placed::Existing(made) => confirmation(&made, true),
    })
}

/// The booking as the agent reads it back, with a sentence confirming it; `again` when it was
/// made by an earlier call.
pub(crate) fn confirmation(appointment: &Appointment, again: bool) -> Confirmation {
    let view = view::appointment(appointment);
    let lead = if again {
        "This is already booked"
    } else {
        "You're booked"
    };
    let confirmation_message = format!(
        "{lead}: {} on {}. The booking reference is {}.",
        appointment.event_type.name,
        view::spoken_when(&view),
        spelled(&view.booking_id)
    );
    Confirmation {
        booking: view,
        confirmation_message,
    }
}

/// A reference spelled for reading aloud: "K 7 M 4 P X".
fn spelled(reference: &str) -> String {
    let mut spelled = String::with_capacity(reference.len() * 2);
    for (i, c) in reference.chars().enumerate() {
        if i > 0 {
            spelled.push(' ');
        }
        spelled.push(c);
    }
    spelled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_spelled_out_for_speech() {
        assert_eq!(spelled("K7M4PX"), "K 7 M 4 P X");
        assert_eq!(spelled(""), "");
    }
}
