//! A call's timeline: what happened during it, in order, for a person reading the call log.
//!
//! Two sources, each for what it knows best:
//! - the call's row, which is the authority for its state and is corrected by better sources
//!   (a lost call's estimated end by the bridge's, Twilio's by the bridge's): the call being
//!   `answered` (`started_at`) and how it `ended` (`ended_at`, `end_reason`, its duration) are
//!   read from it, so the timeline never contradicts the row;
//! - the `call_events` table, for what the row has no place for: things that happen several
//!   times (each tool call and its outcome, agent errors) or whose moment the row does not keep
//!   (the stream starting, the agent connecting with its conversation id, the voicemail,
//!   Twilio's own duration). The call recorder writes the stream's events from its worker
//!   (never on the call's path, never per audio frame: a handful of rows per call); the
//!   voicemail and Twilio's duration are written with the row's own once-only updates, in the
//!   same transaction, so a repeated callback adds no second event.

use jiff::Timestamp;
use serde_json::{Value, json};
use sqlx::any::AnyRow;

use super::Store;
use super::error::{StoreError, StoreResult};
use super::ids::CallEventId;
use super::row;

/// What a timeline entry records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallEventKind {
    /// The voice webhook answered the call (from the row).
    Answered,
    /// Twilio's media stream started.
    StreamStarted,
    /// The agent announced its conversation (`conversation_id` in the detail).
    AgentConnected,
    /// A tool call was answered: its `name`, `outcome` (`ok`, `error`, `timed_out`), `elapsed_ms`.
    ToolCall,
    /// The agent reported an error.
    AgentError,
    /// The caller left a voicemail (`recording_url`, `length_seconds`).
    Voicemail,
    /// Twilio's status callback gave the call's length (`seconds`).
    TwilioDuration,
    /// The caller answered whether the call may be recorded (`consented`).
    RecordConsent,
    /// The call ended (from the row): `reason`, `duration_seconds`.
    Ended,
    /// The agent asked to hand the caller to a person (`transfer_call`): `reason`, `summary`.
    TransferRequested,
    /// The transfer's dial is over (once per call): `reason`, `answered`, `dial_status`.
    Transferred,
    /// ElevenLabs could not place the call (`call_initiation_failure`, once per call):
    /// `reason` (`busy`, `no-answer`, `unknown`), `provider` (`twilio`, `sip`), `conversation_id`.
    InitiationFailed,
    /// A kind this build does not know, kept as stored.
    Other(String),
}

impl CallEventKind {
    pub fn as_str(&self) -> &str {
        match self {
            CallEventKind::Answered => "answered",
            CallEventKind::StreamStarted => "stream_started",
            CallEventKind::AgentConnected => "agent_connected",
            CallEventKind::ToolCall => "tool_call",
            CallEventKind::AgentError => "agent_error",
            CallEventKind::Voicemail => "voicemail",
            CallEventKind::TwilioDuration => "twilio_duration",
            CallEventKind::RecordConsent => "record_consent",
            CallEventKind::Ended => "ended",
            CallEventKind::TransferRequested => "transfer_requested",
            CallEventKind::Transferred => "transferred",
            CallEventKind::InitiationFailed => "initiation_failed",
            CallEventKind::Other(kind) => kind,
        }
    }

    fn from_stored(kind: String) -> CallEventKind {
        match kind.as_str() {
            "answered" => CallEventKind::Answered,
            "stream_started" => CallEventKind::StreamStarted,
            "agent_connected" => CallEventKind::AgentConnected,
            "tool_call" => CallEventKind::ToolCall,
            "agent_error" => CallEventKind::AgentError,
            "voicemail" => CallEventKind::Voicemail,
            "twilio_duration" => CallEventKind::TwilioDuration,
            "record_consent" => CallEventKind::RecordConsent,
            "ended" => CallEventKind::Ended,
            "transfer_requested" => CallEventKind::TransferRequested,
            "transferred" => CallEventKind::Transferred,
            "initiation_failed" => CallEventKind::InitiationFailed,
            _ => CallEventKind::Other(kind),
        }
    }
}

/// One entry of a call's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct CallEvent {
    pub at: Timestamp,
    pub kind: CallEventKind,
    /// What the entry says beyond its kind (see each kind), as JSON; `{}` when nothing.
    pub detail: Value,
}

/// An event to log against the call with `call_sid` (see [`Store::insert_call_event`]).
#[derive(Debug, Clone)]
pub struct NewCallEvent {
    pub at: Timestamp,
    pub kind: CallEventKind,
    pub detail: Value,
}

/// Appends an event to the call with `call_sid` through `executor` (the pool, or the
/// transaction of a once-only update); the call's id and account come from its row. `false`
/// when no call has this CallSid.
pub(super) async fn insert_with<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    call_sid: &str,
    event: &NewCallEvent,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO call_events (id, account_id, call_id, kind, at, detail) \
         SELECT $1, account_id, id, $3, $4, $5 FROM calls WHERE call_sid = $2",
    )
    .bind(CallEventId::generate().as_str())
    .bind(call_sid)
    .bind(event.kind.as_str())
    .bind(row::millis(event.at))
    .bind(event.detail.to_string())
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) fn event_from_row(row: &AnyRow) -> StoreResult<CallEvent> {
    let detail = match row::opt_text(row, "detail")? {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| StoreError::invalid("detail", format!("not JSON: {e}")))?,
        None => json!({}),
    };
    Ok(CallEvent {
        at: row::instant(row, "at")?,
        kind: CallEventKind::from_stored(row::text(row, "kind")?),
        detail,
    })
}

impl Store {
    /// Logs an event of a running call (the call recorder's worker). `false` when no call has
    /// this CallSid.
    pub async fn insert_call_event(&self, call_sid: &str, event: &NewCallEvent) -> StoreResult<bool> {
        insert_with(&self.pool, call_sid, event).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_including_unknown_ones() {
        for kind in [
            CallEventKind::Answered,
            CallEventKind::StreamStarted,
            CallEventKind::AgentConnected,
            CallEventKind::ToolCall,
            CallEventKind::AgentError,
            CallEventKind::Voicemail,
            CallEventKind::TwilioDuration,
            CallEventKind::RecordConsent,
            CallEventKind::Ended,
            CallEventKind::TransferRequested,
            CallEventKind::Transferred,
            CallEventKind::InitiationFailed,
        ] {
            assert_eq!(CallEventKind::from_stored(kind.as_str().to_owned()), kind);
        }
        assert_eq!(
            CallEventKind::from_stored("hold".into()),
            CallEventKind::Other("hold".into())
        );
    }
}
