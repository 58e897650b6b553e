//! The record a call leaves when it ends, written once by the call recorder's worker: its
//! transcript (redacted when the account asks), its outcome and the booking it concerns, the
//! caller's contact and a CRM activity saying what happened; then the [`AfterCall`] listeners
//! hear of it (the demo prints it; follow-up messages start from it).
//!
//! Written once: the outcome is written only when the call has none yet, and the contact and
//! activity only by the write that set it; a redelivered end stores no turn twice.

use std::sync::{Arc, RwLock};

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::store::{
    ActivityKind, Booking, CallOutcome, CallRecord, CallTurn, ContactUpsert, NewActivity, Store, StoreResult,
};

use super::outcome::{self, BookingKey, Ending, ToolUse};
use super::redact::redact;
use super::transcript::Draft;

/// What a finished call left, as its listeners hear of it.
#[derive(Debug, Clone)]
pub struct RecordedCall {
    /// The call's row, its outcome and booking included.
    pub call: CallRecord,
    /// The turns as stored (redacted when the account asks).
    pub transcript: Vec<CallTurn>,
    /// The CRM activity's line: what happened, in words.
    pub summary: String,
    /// The booking the call made or changed.
    pub booking: Option<Booking>,
}

/// Told of each call once its record is written (by the recorder's worker, never on the call's
/// path). A listener must not block: anything slow goes to a task or worker of its own.
pub trait AfterCall: Send + Sync {
    fn call_recorded(&self, call: &RecordedCall);
}

/// The listeners the app registered.
#[derive(Default)]
pub struct AfterCallListeners(RwLock<Vec<Arc<dyn AfterCall>>>);

impl AfterCallListeners {
    /// Adds a listener; it hears of calls recorded from now on.
    pub fn register(&self, listener: Arc<dyn AfterCall>) {
        self.0.write().expect("after-call listeners").push(listener);
    }

    fn tell(&self, call: &RecordedCall) {
        let listeners = self.0.read().expect("after-call listeners").clone();
        for listener in listeners {
            listener.call_recorded(call);
        }
    }
}

/// Writes the record of the call with `call_sid` from its draft; `None` when the call has no
/// row, or its record was written before.
pub(crate) async fn write_record(
    store: &Store,
    listeners: &AfterCallListeners,
    call_sid: &str,
    draft: Draft,
    end_reason: &str,
    now: Timestamp,
) -> StoreResult<Option<RecordedCall>> {
    let Some(call) = store.call_by_sid(call_sid).await? else {
        return Ok(None);
    };
    let account = store.account(&call.account_id).await?;
    let turns = if account.redact_transcripts {
        draft.turns.iter().map(redacted).collect()
    } else {
        draft.turns.clone()
    };
    store
        .write_call_transcript(&call.account_id, &call.id, &turns, now)
        .await?;

    let tools: Vec<ToolUse<'_>> = draft
        .turns
        .iter()
        .filter_map(|turn| match turn {
            CallTurn::Tool { call, .. } => Some(ToolUse {
                id: &call.tool_call_id,
                name: &call.name,
                arguments: &call.arguments,
                failed: call.is_error || call.timed_out,
            }),
            CallTurn::Said { .. } => None,
        })
        .collect();
    let decision = outcome::decide(&tools, draft.agent_connected, Ending::from_end_reason(end_reason));
    let booking = match &decision.booking {
        Some(key) => find_booking(store, &call, key).await?,
        None => None,
    };
    let written = store
        .set_first_call_outcome(
            &call.account_id,
            &call.id,
            decision.outcome,
            booking.as_ref().map(|booking| &booking.id),
        )
        .await?;
    if !written {
        return Ok(None);
    }
    let summary = summary(decision.outcome, &draft.turns, booking.as_ref());
    let contact = match crate::store::is_e164(&call.from_number) {
        true => Some(
            store
                .upsert_contact(
                    &call.account_id,
                    ContactUpsert {
                        phone: call.from_number.clone(),
                        name: booking.as_ref().map(|booking| booking.invitee_name.clone()),
                        email: None,
                    },
                )
                .await?,
        ),
        false => None,
    };
    store
        .insert_activity(
            &call.account_id,
            NewActivity {
                contact_id: contact.map(|contact| contact.id),
                kind: ActivityKind::Call,
                summary: summary.clone(),
                detail: Some(json!({
                    "call_id": call.id.as_str(),
                    "disposition": decision.outcome.as_str(),
                    "booking_id": booking.as_ref().map(|booking| booking.id.as_str()),
                    "booking_reference": booking.as_ref().map(|booking| booking.reference.as_str()),
                })),
            },
        )
        .await?;
    let call = store.call_by_sid(call_sid).await?.unwrap_or(call);
    let recorded = RecordedCall {
        call,
        transcript: turns,
        summary,
        booking,
    };
    listeners.tell(&recorded);
    Ok(Some(recorded))
}

/// The booking the call made (by the tool call's idempotency key) or named (by reference).
async fn find_booking(store: &Store, call: &CallRecord, key: &BookingKey) -> StoreResult<Option<Booking>> {
    if let Some(tool_call_id) = &key.made_by_tool_call
        && let Some(booking) = store
            .booking_by_idempotency_key(&call.account_id, tool_call_id)
            .await?
    {
        return Ok(Some(booking));
    }
    match &key.reference {
        Some(reference) => {
            let reference = crate::store::normalize_reference(reference);
            store.booking_by_reference(&call.account_id, &reference).await
        }
        None => Ok(None),
    }
}

/// A turn with its secrets replaced.
fn redacted(turn: &CallTurn) -> CallTurn {
    match turn {
        CallTurn::Said { role, text, at_ms } => CallTurn::Said {
            role: *role,
            text: redact(text),
            at_ms: *at_ms,
        },
        CallTurn::Tool { call, at_ms } => {
            let mut call = call.clone();
            call.arguments = redact_json(&call.arguments);
            call.result = redact(&call.result);
            CallTurn::Tool { call, at_ms: *at_ms }
        }
    }
}

/// `value` with every string redacted.
fn redact_json(value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(redact(text)),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, value)| (name.clone(), redact_json(value)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What happened, in words, for the CRM activity: "Booked Consultation on Tuesday, March 3 at
/// 2:00 PM", "Asked for open times".
pub fn summary(outcome: CallOutcome, turns: &[CallTurn], booking: Option<&Booking>) -> String {
    let succeeded = |name: &str| {
        turns.iter().rev().find_map(|turn| match turn {
            CallTurn::Tool { call, .. } if call.name == name && !call.is_error && !call.timed_out => {
                Some(call)
            }
            _ => None,
        })
    };
    let reference = booking.map(|booking| booking.reference.as_str());
    match outcome {
        CallOutcome::BookingCreated => {
            let reply = succeeded("create_booking")
                .and_then(|call| serde_json::from_str::<Value>(&call.result).ok())
                .unwrap_or(Value::Null);
            let field = |name: &str| reply.get(name).and_then(Value::as_str).map(str::to_owned);
            let what = field("event_name").unwrap_or_else(|| "a meeting".to_owned());
            let mut line = format!("Booked {what}");
            if let (Some(date), Some(time)) = (field("date_label"), field("time")) {
                line.push_str(&format!(" on {date} at {time}"));
            }
            if let Some(reference) = reference {
                line.push_str(&format!(" (ref {reference})"));
            }
            line
        }
        CallOutcome::BookingChanged => {
            let cancelled =
                succeeded("update_booking").is_some_and(|call| outcome::is_cancellation(&call.arguments));
            let verb = if cancelled { "Cancelled" } else { "Moved" };
            match reference {
                Some(reference) => format!("{verb} booking {reference}"),
                None => format!("{verb} a booking"),
            }
        }
        CallOutcome::InfoProvided => {
            if succeeded("get_available_slots").is_some() {
                "Asked for open times".to_owned()
            } else if succeeded("get_booking_details").is_some() {
                "Asked about a booking".to_owned()
            } else {
                "Asked about the services".to_owned()
            }
        }
        CallOutcome::Voicemail => "Left a voicemail".to_owned(),
        CallOutcome::Transferred => "Transferred to a person".to_owned(),
        CallOutcome::NoAction => "Called; nothing was booked or changed".to_owned(),
        CallOutcome::Failed => "The call failed before the receptionist could help".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ToolTurn, TurnRole};

    fn tool(name: &str, arguments: Value, result: &str) -> CallTurn {
        CallTurn::Tool {
            call: ToolTurn {
                tool_call_id: "t1".into(),
                name: name.into(),
                arguments,
                result: result.into(),
                is_error: false,
                timed_out: false,
                elapsed_ms: 5,
            },
            at_ms: 10,
        }
    }

    #[test]
    fn a_bookings_summary_says_what_and_when_from_the_tools_reply() {
        let reply =
            json!({"event_name": "Consultation", "date_label": "Tuesday, March 3", "time": "2:00 PM"});
        let turns = [tool("create_booking", json!({}), &reply.to_string())];
        assert_eq!(
            summary(CallOutcome::BookingCreated, &turns, None),
            "Booked Consultation on Tuesday, March 3 at 2:00 PM"
        );
    }

    #[test]
    fn other_summaries_name_what_was_asked_or_changed() {
        let slots = [tool("get_available_slots", json!({}), "{}")];
        assert_eq!(
            summary(CallOutcome::InfoProvided, &slots, None),
            "Asked for open times"
        );
        let cancel = [tool("update_booking", json!({"cancel": true}), "{}")];
        assert_eq!(
            summary(CallOutcome::BookingChanged, &cancel, None),
            "Cancelled a booking"
        );
        assert_eq!(
            summary(CallOutcome::Transferred, &[], None),
            "Transferred to a person"
        );
    }

    #[test]
    fn redaction_reaches_tool_arguments_and_results() {
        let turn = tool(
            "create_booking",
            json!({"invitee_email": "ada@example.com", "list": ["+14155550123"]}),
            "mail ada@example.com",
        );
        let CallTurn::Tool { call, .. } = redacted(&turn) else {
            panic!("a tool turn");
        };
        assert_eq!(
            call.arguments,
            json!({"invitee_email": "[email]", "list": ["[phone]"]})
        );
        assert_eq!(call.result, "mail [email]");
        let said = CallTurn::Said {
            role: TurnRole::Caller,
            text: "card 4111 1111 1111 1111".into(),
            at_ms: 1,
        };
        assert_eq!(
            redacted(&said),
            CallTurn::Said {
                role: TurnRole::Caller,
                text: "card [card]".into(),
                at_ms: 1
            }
        );
    }
}
