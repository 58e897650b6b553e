//! `create_booking`: book a meeting for the caller, race-free and idempotent by tool call id.
//!
//! Reply: a [`Confirmation`] (`booking_id` is the reference the caller can quote). A retried
//! call with the same `tool_call_id` returns the booking the first one made and writes nothing.
//! A refusal (taken meanwhile, outside opening hours, too soon, …) is an error sentence that
//! offers the next free times.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::store::{ActivityKind, Booking, ContactId, ContactUpsert, EventType, NewActivity, Store};

use super::error::{ToolError, ToolResult};
use super::params::{self, StartTime};
use super::placement::{self, Invitee, Placed, Request};
use super::scope::Scope;
use super::view::{self, BookingView};

const MAX_NOTES_CHARS: usize = 2000;

#[derive(Debug, Deserialize)]
struct Params {
    event_type_slug: Option<String>,
    start_time: Option<String>,
    invitee_name: Option<String>,
    invitee_email: Option<String>,
    invitee_phone: Option<String>,
    timezone: Option<String>,
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
    let start = StartTime::parse(start_text)?;
    let event_type = scope.offered_event_type(store, slug).await?;

    if let Some(made) = store
        .booking_by_idempotency_key(&scope.account_id, tool_call_id)
        .await?
    {
        return Ok(confirmation(&made, &event_type, true));
    }
    let host = store.host(&scope.account_id, &event_type.host_id).await?;
    let (timezone, zone) = params::timezone(&params.timezone, &host.timezone)?;

    // Upserted before the booking transaction: other writes must not run while it holds the
    // host's lock (store/host_tx.rs). The caller's own number is the fallback, so the booking
    // lands on the contact the call is logged against.
    let contact_phone = phone
        .clone()
        .or_else(|| caller_number.and_then(|n| params::phone(n).ok()));
    let contact_id = match &contact_phone {
        Some(number) => Some(contact_for(store, scope, number, name, email.clone()).await?),
        None => None,
    };
    let request = Request {
        event_type: &event_type,
        host: &host,
        start,
        caller_zone: &zone,
        invitee: Invitee {
            name: name.to_owned(),
            email,
            phone: phone.or(contact_phone),
            contact_id,
            timezone,
            notes,
        },
        idempotency_key: tool_call_id,
        moving: None,
        now,
    };
    match placement::place(store, scope, request).await? {
        Placed::Existing(made) => Ok(confirmation(&made, &event_type, true)),
        Placed::New(booking) => {
            let reply = confirmation(&booking, &event_type, false);
            let summary = format!(
                "Booked {} for {}",
                event_type.name,
                view::spoken_when(&reply.booking)
            );
            log_booking_activity(store, scope, summary, &booking, "booked").await;
            Ok(reply)
        }
    }
}

async fn contact_for(
    store: &Store,
    scope: &Scope,
    phone: &str,
    name: &str,
    email: Option<String>,
) -> ToolResult<ContactId> {
    let contact = store
        .upsert_contact(
            &scope.account_id,
            ContactUpsert {
                phone: phone.to_owned(),
                name: Some(name.to_owned()),
                email,
            },
        )
        .await?;
    Ok(contact.id)
}

pub(crate) fn confirmation(booking: &Booking, event_type: &EventType, again: bool) -> Confirmation {
    let view = view::booking(booking, &event_type.slug, &event_type.name);
    let lead = if again {
        "This is already booked"
    } else {
        "You're booked"
    };
    let confirmation_message = format!(
        "{lead}: {} on {}. The booking reference is {}.",
        event_type.name,
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

/// Records a booking change in the CRM log, on the booking's contact. It runs after the booking
/// committed, so a failure here must not turn a made booking into an error: it is logged and
/// the booking stands.
pub(crate) async fn log_booking_activity(
    store: &Store,
    scope: &Scope,
    summary: String,
    booking: &Booking,
    action: &str,
) {
    let activity = NewActivity {
        contact_id: booking.contact_id.clone(),
        kind: ActivityKind::Booking,
        summary,
        detail: Some(json!({
            "action": action,
            "booking_id": booking.id.as_str(),
            "reference": booking.reference,
            "start_at": crate::availability::utc_label(booking.start_at),
            "agent_id": scope.agent_id.as_str(),
        })),
    };
    if let Err(error) = store.insert_activity(&scope.account_id, activity).await {
        tracing::warn!(%error, booking = %booking.id, "booking activity not logged");
    }
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
