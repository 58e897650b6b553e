//! Who hears of a call's events: a fan-out list of observers, each seeing every session event
//! (never an audio frame) synchronously from the call's driver. None of them spawns a task per
//! event; anything slow goes to a worker of its own (see the call recorder).
//!
//! Here: the log lines a call leaves, and the live feed that views follow calls by (the demo's
//! transcript).

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::broadcast;

use crate::call::Event;
use crate::call::driver::CallObserver;

/// Every observer, in order.
#[derive(Clone, Default)]
pub struct Observers(Vec<Arc<dyn CallObserver>>);

impl Observers {
    pub fn new(observers: Vec<Arc<dyn CallObserver>>) -> Self {
        Observers(observers)
    }
}

impl CallObserver for Observers {
    fn on_event(&self, call_sid: Option<&str>, event: &Event) {
        for observer in &self.0 {
            observer.on_event(call_sid, event);
        }
    }
}

/// Logs what a call does, a line per event worth one, at the level it deserves.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogLines;

impl CallObserver for LogLines {
    fn on_event(&self, _call_sid: Option<&str>, event: &Event) {
        match event {
            Event::Started(started) => {
                tracing::info!(stream_sid = %started.stream_sid, "media stream started")
            }
            Event::ConversationStarted {
                conversation_id,
                input,
                output,
            } => tracing::info!(%conversation_id, %input, %output, "agent conversation started"),
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
            } => tracing::info!(
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
            ),
        }
    }
}

/// One event of one call, as the live feed carries it.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    pub call_sid: Option<String>,
    pub at: Instant,
    pub event: Event,
}

/// Every call's events as they happen, for whoever subscribes. Costs nothing without a
/// subscriber; a subscriber that falls behind loses the oldest events, never a call.
#[derive(Debug, Clone)]
pub struct LiveFeed {
    events: broadcast::Sender<LiveEvent>,
}

impl LiveFeed {
    /// A feed keeping up to `capacity` events for a subscriber that lags.
    pub fn new(capacity: usize) -> Self {
        LiveFeed {
            events: broadcast::channel(capacity).0,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.events.subscribe()
    }
}

impl CallObserver for LiveFeed {
    fn on_event(&self, call_sid: Option<&str>, event: &Event) {
        if self.events.receiver_count() > 0 {
            let _ = self.events.send(LiveEvent {
                call_sid: call_sid.map(str::to_owned),
                at: Instant::now(),
                event: event.clone(),
            });
        }
    }
}
