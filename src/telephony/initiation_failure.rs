//! ElevenLabs' report that it could not place a call (`call_initiation_failure`: busy, no
//! answer, …). Only calls ElevenLabs dials itself get one; when the call is known here, found
//! by its conversation or by Twilio's CallSid in the report's provider details, the failure is
//! written on its timeline (`initiation_failed`, once per call); otherwise it is logged.

use jiff::Timestamp;
use serde_json::json;

use crate::store::{CallEventKind, NewCallEvent, Store, StoreError};
use crate::wire::elevenlabs::webhook::CallInitiationFailure;

/// What became of a failure report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureFate {
    /// Written on the call's timeline.
    Logged,
    /// Already on the call's timeline: nothing changed.
    AlreadyLogged,
    /// No call here matches it: only a log line.
    NoCall,
}

/// Writes `failure` on its call's timeline at `at` (the report's `event_timestamp`).
pub async fn receive(
    store: &Store,
    failure: &CallInitiationFailure,
    at: Timestamp,
) -> Result<FailureFate, StoreError> {
    let conversation_id = failure.conversation_id.as_deref().unwrap_or("");
    let reason = failure.failure_reason.as_deref().unwrap_or("unknown");
    let call_sid = match call_sid_of(store, failure).await? {
        Some(call_sid) => call_sid,
        None => {
            tracing::warn!(
                conversation_id,
                agent_id = failure.agent_id.as_deref().unwrap_or(""),
                reason,
                "ElevenLabs could not start a call that is not known here"
            );
            return Ok(FailureFate::NoCall);
        }
    };
    let provider = failure.metadata.as_ref().and_then(|m| m.provider.as_deref());
    let event = NewCallEvent {
        at,
        kind: CallEventKind::InitiationFailed,
        detail: json!({
            "reason": reason,
            "provider": provider,
            "conversation_id": failure.conversation_id,
        }),
    };
    let new = store.record_initiation_failure(&call_sid, &event).await?;
    tracing::warn!(%call_sid, conversation_id, reason, new, "ElevenLabs could not start the call");
    Ok(if new {
        FailureFate::Logged
    } else {
        FailureFate::AlreadyLogged
    })
}

/// The CallSid of the failed call: by its conversation first, else by Twilio's CallSid.
async fn call_sid_of(store: &Store, failure: &CallInitiationFailure) -> Result<Option<String>, StoreError> {
    if let Some(conversation_id) = failure.conversation_id.as_deref().filter(|id| !id.is_empty())
        && let Some(call) = store.call_of_conversation(conversation_id).await?
    {
        return Ok(Some(call.call_sid));
    }
    match failure.twilio_call_sid() {
        Some(call_sid) => Ok(store.call_by_sid(call_sid).await?.map(|call| call.call_sid)),
        None => Ok(None),
    }
}
