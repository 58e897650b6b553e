//! The entries a call's events make in its timeline (`store::call_events`): the stream
//! starting, the agent connecting, each tool call's outcome, agent errors. Pure: the call
//! recorder queues what it returns; an audio frame makes none.

use jiff::Timestamp;

use crate::call::Event;
use crate::store::{CallEventKind, NewCallEvent};

/// The most characters of a message (a tool's refusal, an agent's error) a timeline entry keeps.
pub(super) const EVENT_MESSAGE_CHARS: usize = 500;

/// The entry of the call's timeline an event makes, if any (see `store::call_events`).
pub(super) fn timeline_entry(event: &Event) -> Option<NewCallEvent> {
    let (kind, detail) = match event {
        Event::Started(started) => (
            CallEventKind::StreamStarted,
            serde_json::json!({ "stream_sid": started.stream_sid }),
        ),
        Event::ConversationStarted { conversation_id, .. } => (
            CallEventKind::AgentConnected,
            serde_json::json!({ "conversation_id": conversation_id }),
        ),
        Event::ToolFinished {
            id,
            name,
            result,
            is_error,
            timed_out,
            elapsed,
        } => {
            let outcome = match (*timed_out, *is_error) {
                (true, _) => "timed_out",
                (false, true) => "error",
                (false, false) => "ok",
            };
            let mut detail = serde_json::json!({
                "tool_call_id": id,
                "name": name,
                "outcome": outcome,
                "elapsed_ms": u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            });
            // A refusal is what the agent was told; a success's reply is the agent's to read
            // (the bookings and contacts it made are in the CRM log).
            if *is_error {
                detail["message"] = shortened(result).into();
            }
            (CallEventKind::ToolCall, detail)
        }
        Event::AgentError { code, message } => (
            CallEventKind::AgentError,
            serde_json::json!({ "code": code, "message": shortened(message) }),
        ),
        _ => return None,
    };
    Some(NewCallEvent {
        at: Timestamp::now(),
        kind,
        detail,
    })
}

/// At most [`EVENT_MESSAGE_CHARS`] characters of `message`.
fn shortened(message: &str) -> String {
    match message.char_indices().nth(EVENT_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_owned(),
    }
}
