//! A running call's transcript, kept in memory from its events until it ends: the agent's and
//! the caller's turns and each tool call (its arguments from `ToolCall`, its answer from
//! `ToolFinished`), each at its time from the call's start. Events come per utterance or tool
//! call, never per audio frame. The call's end takes the draft out, for the recorder's worker
//! to write (`telephony::call_end`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use serde_json::Value;

use crate::call::Event;
use crate::store::{CallTurn, ToolTurn, TurnRole};

/// What a call said and did so far.
#[derive(Debug, Clone)]
pub struct Draft {
    started: Instant,
    pub turns: Vec<CallTurn>,
    /// Whether the agent announced its conversation.
    pub agent_connected: bool,
    /// Arguments of tool calls not answered yet, by tool call id.
    pending: HashMap<String, Value>,
}

impl Draft {
    fn new(started: Instant) -> Draft {
        Draft {
            started,
            turns: Vec::new(),
            agent_connected: false,
            pending: HashMap::new(),
        }
    }

    fn at_ms(&self, now: Instant) -> u64 {
        u64::try_from(now.duration_since(self.started).as_millis()).unwrap_or(u64::MAX)
    }

    /// Adds what `event`, seen at `now`, says to the draft.
    pub fn note(&mut self, event: &Event, now: Instant) {
        let at_ms = self.at_ms(now);
        match event {
            Event::ConversationStarted { .. } => self.agent_connected = true,
            Event::AgentSaid(text) => self.said(TurnRole::Agent, text, at_ms),
            Event::CallerSaid(text) => self.said(TurnRole::Caller, text, at_ms),
            Event::ToolCall(call) => {
                self.pending.insert(call.id.clone(), call.parameters.clone());
            }
            Event::ToolFinished {
                id,
                name,
                result,
                is_error,
                timed_out,
                elapsed,
            } => {
                let arguments = self.pending.remove(id).unwrap_or(Value::Null);
                self.turns.push(CallTurn::Tool {
                    call: ToolTurn {
                        tool_call_id: id.clone(),
                        name: name.clone(),
                        arguments,
                        result: result.clone(),
                        is_error: *is_error,
                        timed_out: *timed_out,
                        elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                    },
                    at_ms,
                });
            }
            _ => {}
        }
    }

    fn said(&mut self, role: TurnRole, text: &str, at_ms: u64) {
        if text.trim().is_empty() {
            return;
        }
        self.turns.push(CallTurn::Said {
            role,
            text: text.to_owned(),
            at_ms,
        });
    }
}

/// The drafts of the calls running on this instance, by CallSid.
#[derive(Debug, Default)]
pub struct Transcripts {
    drafts: Mutex<HashMap<String, Draft>>,
}

impl Transcripts {
    /// Notes a call's event; the call's draft starts with its first event. On the call's end,
    /// returns its draft and forgets it.
    pub fn note(&self, call_sid: &str, event: &Event, now: Instant) -> Option<Draft> {
        if !matches!(
            event,
            Event::Started(_)
                | Event::ConversationStarted { .. }
                | Event::AgentSaid(_)
                | Event::CallerSaid(_)
                | Event::ToolCall(_)
                | Event::ToolFinished { .. }
                | Event::Ended { .. }
        ) {
            return None;
        }
        let mut drafts = self.drafts.lock().expect("transcript drafts");
        if let Event::Ended { .. } = event {
            return Some(drafts.remove(call_sid).unwrap_or_else(|| Draft::new(now)));
        }
        drafts
            .entry(call_sid.to_owned())
            .or_insert_with(|| Draft::new(now))
            .note(event, now);
        None
    }

    /// Calls with a draft (running calls).
    pub fn running(&self) -> usize {
        self.drafts.lock().expect("transcript drafts").len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::call::tools::ToolCall;
    use crate::call::{EndReason, SessionStats};

    #[test]
    fn a_calls_turns_and_tool_calls_are_kept_in_order_with_their_times() {
        let transcripts = Transcripts::default();
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let events = [
            (
                0,
                Event::ConversationStarted {
                    conversation_id: "conv".into(),
                    input: crate::audio::AudioFormat::Ulaw8000,
                    output: crate::audio::AudioFormat::Ulaw8000,
                },
            ),
            (100, Event::AgentSaid("Hello".into())),
            (900, Event::CallerSaid("Book me in".into())),
            (950, Event::CallerSaid("  ".into())),
            (
                1000,
                Event::ToolCall(ToolCall {
                    id: "t1".into(),
                    name: "create_booking".into(),
                    parameters: json!({"invitee_name": "Ada"}),
                }),
            ),
            (
                1200,
                Event::ToolFinished {
                    id: "t1".into(),
                    name: "create_booking".into(),
                    result: "{}".into(),
                    is_error: false,
                    timed_out: false,
                    elapsed: Duration::from_millis(200),
                },
            ),
        ];
        for (ms, event) in &events {
            assert!(transcripts.note("CA1", event, at(*ms)).is_none());
        }
        assert_eq!(transcripts.running(), 1);
        let ended = Event::Ended {
            reason: EndReason::CallerHungUp,
            duration: Duration::from_secs(2),
            stats: SessionStats::default(),
        };
        let draft = transcripts.note("CA1", &ended, at(2000)).expect("the draft");
        assert_eq!(transcripts.running(), 0);
        assert!(draft.agent_connected);
        assert_eq!(draft.turns.len(), 3);
        assert_eq!(
            draft.turns[0],
            CallTurn::Said {
                role: TurnRole::Agent,
                text: "Hello".into(),
                at_ms: 100
            }
        );
        assert_eq!(draft.turns[1].at_ms(), 900);
        let CallTurn::Tool { call, at_ms } = &draft.turns[2] else {
            panic!("a tool turn");
        };
        assert_eq!(*at_ms, 1200);
        assert_eq!(call.arguments, json!({"invitee_name": "Ada"}));
        assert_eq!(call.elapsed_ms, 200);
    }
}
