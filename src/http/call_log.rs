//! What becomes of a call's events: log lines, the call log in the store, the outcome the
//! connect-action webhook needs, and a broadcast for live views (the demo's transcript).
//!
//! The driver calls [`CallLog::on_event`] synchronously for every session event (never per
//! audio frame). Anything slow (the database) is spawned; the end of a call is recorded in
//! memory before the driver closes Twilio's socket, because Twilio requests the
//! `<Connect action>` URL as soon as the socket closes and that answer depends on it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::broadcast;
use tracing::Instrument;

use crate::call::driver::CallObserver;
use crate::call::{EndReason, Event};
use crate::store::Store;

/// One event of one call, as broadcast to live views.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub call_sid: Option<String>,
    pub at: Instant,
    pub event: Event,
}

/// How long an ended call's outcome is kept for its connect-action request.
const OUTCOME_TTL: Duration = Duration::from_secs(600);

pub struct CallLog {
    store: Store,
    events: broadcast::Sender<CallRecord>,
    outcomes: Mutex<HashMap<String, (EndReason, Instant)>>,
}

impl CallLog {
    pub fn new(store: Store, events: broadcast::Sender<CallRecord>) -> Self {
        CallLog {
            store,
            events,
            outcomes: Mutex::new(HashMap::new()),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<CallRecord> {
        self.events.subscribe()
    }

    /// How the call's stream ended, if it ended on this instance recently.
    pub fn outcome(&self, call_sid: &str) -> Option<EndReason> {
        self.outcomes
            .lock()
            .expect("outcomes")
            .get(call_sid)
            .map(|(reason, _)| reason.clone())
    }

    fn record_outcome(&self, call_sid: &str, reason: &EndReason) {
        let now = Instant::now();
        let mut outcomes = self.outcomes.lock().expect("outcomes");
        outcomes.retain(|_, (_, at)| now.duration_since(*at) < OUTCOME_TTL);
        outcomes.insert(call_sid.to_owned(), (reason.clone(), now));
    }
}

impl CallObserver for CallLog {
    fn on_event(&self, call_sid: Option<&str>, event: &Event) {
        match event {
            Event::Started(started) => {
                tracing::info!(stream_sid = %started.stream_sid, "media stream started")
            }
            Event::ConversationStarted {
                conversation_id,
                input,
                output,
            } => {
                tracing::info!(%conversation_id, %input, %output, "agent conversation started");
                if let Some(sid) = call_sid {
                    let (store, sid, id) = (self.store.clone(), sid.to_owned(), conversation_id.clone());
                    let record = async move {
                        if let Err(e) = store.set_call_conversation_id(&sid, &id).await {
                            tracing::warn!(error = %e, "could not record the conversation id");
                        }
                    };
                    tokio::spawn(record.in_current_span());
                }
            }
            Event::AgentSaid(text) => tracing::debug!(%text, "agent"),
            Event::CallerSaid(text) => tracing::debug!(%text, "caller"),
            Event::Interrupted { event_id, heard_ms } => {
                tracing::debug!(event_id, heard_ms, "caller barged in")
            }
            Event::ToolCall(call) => tracing::info!(tool = %call.name, id = %call.id, "tool call"),
            Event::ToolFinished {
                name,
                is_error,
                timed_out,
                elapsed,
                ..
            } => {
                tracing::info!(tool = %name, is_error, timed_out, ms = elapsed.as_millis() as u64, "tool answered")
            }
            Event::BadInput {
                kind,
                first: true,
                detail,
            } => {
                tracing::warn!(kind = kind.label(), %detail, "bad input (counted; logged once per call)")
            }
            Event::BadInput { .. } | Event::Metered { .. } => {}
            Event::AgentError { code, message } => {
                tracing::warn!(?code, %message, "the agent reported an error")
            }
            Event::Ended {
                reason,
                duration,
                stats,
            } => {
                tracing::info!(
                    reason = reason.label(),
                    detail = ?reason,
                    seconds = duration.as_secs(),
                    caller_frames = stats.caller_frames,
                    agent_chunks = stats.agent_chunks,
                    heard_ms = stats.heard_ms,
                    interruptions = stats.interruptions,
                    tool_calls = stats.tool_calls,
                    bad_inputs = stats.bad_inputs,
                    "call ended"
                );
                if let Some(sid) = call_sid {
                    self.record_outcome(sid, reason);
                    let (store, sid, label, duration) =
                        (self.store.clone(), sid.to_owned(), reason.label(), *duration);
                    let record = async move {
                        if let Err(e) = store.finish_call(&sid, Timestamp::now(), label, duration).await {
                            tracing::warn!(error = %e, "could not log the call end");
                        }
                    };
                    tokio::spawn(record.in_current_span());
                }
            }
        }
        if self.events.receiver_count() > 0 {
            let _ = self.events.send(CallRecord {
                call_sid: call_sid.map(str::to_owned),
                at: Instant::now(),
                event: event.clone(),
            });
        }
    }
}
