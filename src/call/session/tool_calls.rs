//! Tool calls in flight: asked for by the agent, answered once, or timed out.

use std::time::{Duration, Instant};

use crate::call::event::{BadInput, Event};
use crate::call::tools::{ToolCall, ToolOutcome};
use crate::wire::elevenlabs::{ClientMessage, ClientToolCall};

use crate::call::outbox::Outbox;

/// What the agent is told when a tool takes longer than the session's tool timeout.
const TIMED_OUT: &str = "That took too long to look up. Please apologise and offer to try again.";

#[derive(Debug, Default)]
pub(super) struct ToolCalls {
    pending: Vec<PendingTool>,
}

#[derive(Debug)]
struct PendingTool {
    id: String,
    name: String,
    started: Instant,
    deadline: Instant,
}

impl ToolCalls {
    /// The agent asked for a tool. It is handed to the driver as an [`Event::ToolCall`]
    /// unless it repeats one in flight, or the call is `ending` (then it is refused at once).
    pub(super) fn begin(
        &mut self,
        now: Instant,
        call: ClientToolCall,
        timeout: Duration,
        ending: bool,
        out: &mut Outbox,
    ) {
        out.stats.tool_calls += 1;
        if self.pending.iter().any(|t| t.id == call.tool_call_id) {
            return; // a repeated request for a call already running
        }
        let pending = PendingTool {
            id: call.tool_call_id.clone(),
            name: call.tool_name.clone(),
            started: now,
            deadline: now + timeout,
        };
        if ending {
            answer(now, pending, "The call is ending.", true, false, out);
            return;
        }
        self.pending.push(pending);
        out.event(Event::ToolCall(ToolCall {
            id: call.tool_call_id,
            name: call.tool_name,
            parameters: call.parameters,
        }));
    }

    /// The outcome of a tool the driver ran. False (and counted as bad input) if no call with
    /// that id is waiting: it timed out already, or it was never asked for.
    pub(super) fn finish(&mut self, now: Instant, id: &str, outcome: &ToolOutcome, out: &mut Outbox) -> bool {
        let Some(index) = self.pending.iter().position(|t| t.id == id) else {
            out.bad(BadInput::LateToolResult, || id.to_owned());
            return false;
        };
        let pending = self.pending.swap_remove(index);
        answer(now, pending, &outcome.result, outcome.is_error, false, out);
        true
    }

    /// Answers every call past its deadline with the timeout sentence.
    pub(super) fn expire(&mut self, now: Instant, out: &mut Outbox) {
        while let Some(index) = self.pending.iter().position(|t| now >= t.deadline) {
            let pending = self.pending.swap_remove(index);
            out.stats.tool_timeouts += 1;
            answer(now, pending, TIMED_OUT, true, true, out);
        }
    }

    /// The earliest deadline of the calls in flight.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.pending.iter().map(|t| t.deadline).min()
    }
}

fn answer(
    now: Instant,
    pending: PendingTool,
    result: &str,
    is_error: bool,
    timed_out: bool,
    out: &mut Outbox,
) {
    let message = ClientMessage::ClientToolResult {
        tool_call_id: pending.id.as_str().into(),
        result: result.into(),
        is_error,
    };
    out.to_agent(message.to_json());
    out.event(Event::ToolFinished {
        id: pending.id,
        name: pending.name,
        result: result.to_owned(),
        is_error,
        timed_out,
        elapsed: now.saturating_duration_since(pending.started),
    });
}
