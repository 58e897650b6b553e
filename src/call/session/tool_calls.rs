//! Tool calls in flight: asked for by the agent, answered once, or timed out.

use std::time::Instant;

use super::*;

impl Session {
    pub(super) fn on_tool_call(&mut self, now: Instant, call: elevenlabs::ClientToolCall) {
        self.stats.tool_calls += 1;
        if self.tools.iter().any(|t| t.id == call.tool_call_id) {
            return; // a repeated request for a call already running
        }
        let pending = PendingTool {
            id: call.tool_call_id.clone(),
            name: call.tool_name.clone(),
            started: now,
            deadline: now + self.config.tool_timeout,
        };
        if matches!(self.phase, Phase::Ending { .. }) {
            self.answer_tool(now, pending, "The call is ending.", true, false);
            return;
        }
        self.tools.push(pending);
        self.events.push_back(Event::ToolCall(ToolCall {
            id: call.tool_call_id,
            name: call.tool_name,
            parameters: call.parameters,
        }));
    }

    pub(super) fn expire_tools(&mut self, now: Instant) {
        while let Some(index) = self.tools.iter().position(|t| now >= t.deadline) {
            let pending = self.tools.swap_remove(index);
            self.stats.tool_timeouts += 1;
            let sentence = "That took too long to look up. Please apologise and offer to try again.";
            self.answer_tool(now, pending, sentence, true, true);
        }
    }

    pub(super) fn answer_tool(
        &mut self,
        now: Instant,
        pending: PendingTool,
        result: &str,
        is_error: bool,
        timed_out: bool,
    ) {
        let message = ClientMessage::ClientToolResult {
            tool_call_id: pending.id.as_str().into(),
            result: result.into(),
            is_error,
        };
        self.transmits.push_back(Transmit::Agent(message.to_json()));
        self.events.push_back(Event::ToolFinished {
            id: pending.id,
            name: pending.name,
            result: result.to_owned(),
            is_error,
            timed_out,
            elapsed: now.saturating_duration_since(pending.started),
        });
    }
}
