//! The booking conversation as a state machine without I/O: caller audio, tool results and
//! the passing of time go in; messages, turns of speech, interruptions and the end come out.
//!
//! Two clocks are at work. Turn-taking runs on the audio clock, the length of caller audio
//! received so far: caller turns are found in it, the agent's speech is placed on it (each
//! turn starts when the previous one would have finished playing), and barge-in is caller
//! speech starting before the current turn would have finished. Waiting runs on the wall
//! clock: tool timeouts, the agent hanging up when the client cannot, and a caller who stops
//! sending audio in the middle of a turn: once no audio has come for
//! [`VadConfig::idle_gap`](crate::sim::agent::VadConfig), the missing time counts as silence.
//! Only then, because a client that stalls and then catches up with a burst of audio would
//! otherwise have the same time counted twice and fall out of step with the agent.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value, json};

use super::lines::{CALLER_SCRIPT, UNSCRIPTED_CALLER_TEXT, sentence};
use super::offer::{Utterance, offer};
use super::tools::{
    Slot, Tool, available_slots_params, booking_params, earliest_slot, first_event_type_slug, transfer_params,
};
use super::vars::CallVariables;
use super::voice::Voice;
use crate::audio::{AudioFormat, SampleDecoder};
use crate::sim::agent::config::ScriptTiming;
use crate::sim::agent::outgoing;
use crate::sim::agent::vad::{Vad, VadEvent};

/// After a failed `end_call`, the agent closes once the goodbye has played and this much
/// more has passed.
const CLOSE_TAIL_MS: u64 = 300;
/// While idle time is being counted as silence, how often it is counted.
const IDLE_STEP: Duration = Duration::from_millis(20);

/// What the conversation wants done, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A message to send after everything before it.
    Message(String),
    /// A turn's audio, to be sent in chunks (each an `audio` event with `event_id`) after
    /// everything before it.
    Speech { event_id: u64, audio: Bytes },
    /// The caller spoke over the agent: send `interruption` now and drop the unsent audio of
    /// turns up to `event_id`.
    Interrupt { event_id: u64 },
    /// End the conversation with a close frame.
    Close { code: u16, reason: &'static str },
}

/// Counters for the end-of-conversation log line and for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptStats {
    pub caller_turns: u32,
    pub barge_ins: u32,
    pub tool_calls: u32,
    pub tool_failures: u32,
    pub unmatched_tool_results: u32,
    /// Tools the script wanted that the agent does not have.
    pub tools_missing: u32,
}

/// Where the conversation stands; each stage names what the agent waits for.
#[derive(Debug, Clone, PartialEq)]
enum Stage {
    /// The caller's request after the greeting.
    Greeted,
    ListingTypes,
    /// The caller asking for a time.
    TypesListed,
    FindingSlots,
    /// The caller accepting the offered slot.
    Offered(Slot),
    AskedName(Slot),
    Booking,
    /// The caller's answer to "anything else?".
    AnythingElse,
    /// Goodbye said; the call ends.
    Ending,
    /// Asking the bridge to hand the caller to a person.
    Transferring,
}

#[derive(Debug)]
struct PendingTool {
    call_id: String,
    tool: Tool,
    deadline: Instant,
}

/// The agent turn last put on the audio clock.
#[derive(Debug, Clone, Copy)]
struct Speaking {
    event_id: u64,
    ends_at_ms: u64,
    interrupted: bool,
}

#[derive(Debug)]
pub struct Conversation {
    voice: Arc<Voice>,
    timing: ScriptTiming,
    decoder: SampleDecoder,
    vad: Vad,
    /// Reused between calls so feeding audio does not allocate.
    vad_events: Vec<VadEvent>,
    variables: BTreeMap<String, Value>,
    stage: Stage,
    event_type: Option<String>,
    next_line: usize,
    last_event_id: u64,
    speaking: Option<Speaking>,
    pending: Option<PendingTool>,
    /// When the agent closes: on the audio clock, or on the wall clock for a client that
    /// has stopped sending audio, whichever comes first.
    close_at: Option<(u64, Instant)>,
    closed: bool,
    idle_since: Instant,
    idle_counted: Duration,
    outputs: VecDeque<Output>,
    stats: ScriptStats,
    /// When set, the caller's first request is for a person: the agent calls `transfer_call`
    /// with this reason (taken once; a refused transfer goes on with the booking).
    transfer_reason: Option<String>,
    /// The client tools the agent has, by name; `None` for every tool. Asked to call another,
    /// the agent goes on as if it had failed, without telling the client.
    tools: Option<BTreeSet<String>>,
}

impl Conversation {
    /// A conversation whose greeting is ready to send.
    pub fn new(voice: Arc<Voice>, timing: ScriptTiming, input: AudioFormat, now: Instant) -> Self {
        let mut conversation = Conversation::silent(voice, timing, input, now);
        conversation.say(&["greeting"]);
        conversation
    }

    /// A conversation that has said nothing yet: [`Self::greet`] opens it, or the caller does.
    pub fn silent(voice: Arc<Voice>, timing: ScriptTiming, input: AudioFormat, now: Instant) -> Self {
        let vad = Vad::new(&timing.vad, input.sample_rate());
        Conversation {
            voice,
            timing,
            decoder: SampleDecoder::new(input),
            vad,
            vad_events: Vec::with_capacity(4),
            variables: BTreeMap::new(),
            stage: Stage::Greeted,
            event_type: None,
            next_line: 0,
            last_event_id: 0,
            speaking: None,
            pending: None,
            close_at: None,
            closed: false,
            idle_since: now,
            idle_counted: Duration::ZERO,
            outputs: VecDeque::new(),
            stats: ScriptStats::default(),
            transfer_reason: None,
            tools: None,
        }
    }

    /// Says the greeting clip, as `text`.
    pub fn greet(&mut self, text: String) {
        self.speak(Utterance {
            clips: vec!["greeting"],
            text,
        });
    }

    /// Limits the client tools the agent calls to these names.
    pub fn with_tools(mut self, tools: Option<BTreeSet<String>>) -> Self {
        self.tools = tools;
        self
    }

    /// Has the agent hand the caller to a person after their first turn, for `reason`.
    pub fn with_transfer(mut self, reason: Option<String>) -> Self {
        self.transfer_reason = reason;
        self
    }

    /// The dynamic variables of `conversation_initiation_client_data`.
    pub fn set_variables(&mut self, variables: BTreeMap<String, Value>) {
        self.variables = variables;
    }

    pub fn on_caller_audio(&mut self, audio: &[u8], now: Instant) {
        self.count_idle_time(now);
        self.idle_since = now;
        self.idle_counted = Duration::ZERO;
        let Conversation {
            decoder,
            vad,
            vad_events,
            ..
        } = self;
        decoder.decode(audio, |sample| {
            if let Some(event) = vad.push(sample) {
                vad_events.push(event);
            }
        });
        self.handle_vad_events(now);
    }

    /// A `user_message`: a caller turn given as text.
    pub fn on_user_message(&mut self, now: Instant) {
        self.barge_in(self.vad.now_ms());
        self.caller_turn(None, now);
    }

    /// A `client_tool_result`. Returns false when no call with that id is pending.
    pub fn on_tool_result(&mut self, call_id: &str, result: &str, is_error: bool, now: Instant) -> bool {
        if self.pending.as_ref().is_none_or(|p| p.call_id != call_id) {
            self.stats.unmatched_tool_results += 1;
            return false;
        }
        let pending = self.pending.take().expect("checked above");
        let outcome = if is_error { None } else { Some(result) };
        self.resolve(pending.tool, outcome, now);
        true
    }

    /// Lets wall time pass: tool deadlines, and idle time counted as silence.
    pub fn on_tick(&mut self, now: Instant) {
        if self.pending.as_ref().is_some_and(|p| now >= p.deadline) {
            let pending = self.pending.take().expect("checked above");
            self.resolve(pending.tool, None, now);
        }
        self.count_idle_time(now);
        self.close_if_due(now);
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When [`Self::on_tick`] should next be called, if anything is waiting on time.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let tool = self.pending.as_ref().map(|p| p.deadline);
        let idle = self.vad.is_listening().then(|| {
            let first = self.idle_since + self.timing.vad.idle_gap;
            first.max(self.idle_since + self.idle_counted + IDLE_STEP)
        });
        let close = self.close_at.map(|(_, wall)| wall);
        [tool, idle, close].into_iter().flatten().min()
    }

    #[cfg(test)]
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    pub fn stats(&self) -> ScriptStats {
        self.stats
    }

    fn count_idle_time(&mut self, now: Instant) {
        let idle = now.saturating_duration_since(self.idle_since);
        if !self.vad.is_listening() || idle < self.timing.vad.idle_gap || idle <= self.idle_counted {
            return;
        }
        let missing = idle - self.idle_counted;
        self.idle_counted = idle;
        let samples = missing.as_micros() as u64 * u64::from(self.decoder.sample_rate()) / 1_000_000;
        let events = &mut self.vad_events;
        self.vad.push_silence(samples, |event| events.push(event));
        self.handle_vad_events(now);
    }

    fn handle_vad_events(&mut self, now: Instant) {
        let mut events = std::mem::take(&mut self.vad_events);
        for event in events.drain(..) {
            match event {
                VadEvent::SpeechStarted { at_ms } => self.barge_in(at_ms),
                VadEvent::TurnEnded { .. } => {
                    let line = CALLER_SCRIPT
                        .get(self.next_line)
                        .map_or(UNSCRIPTED_CALLER_TEXT, |(_, text)| text);
                    self.caller_turn(Some(line), now);
                }
            }
        }
        self.vad_events = events;
        self.close_if_due(now);
    }

    /// Caller speech at `at_ms` on the audio clock stops the agent if it is still talking.
    fn barge_in(&mut self, at_ms: u64) {
        let Some(speaking) = self.speaking.as_mut() else {
            return;
        };
        if speaking.interrupted || at_ms >= speaking.ends_at_ms {
            return;
        }
        speaking.interrupted = true;
        self.stats.barge_ins += 1;
        self.outputs.push_back(Output::Interrupt {
            event_id: speaking.event_id,
        });
    }

    /// A finished caller turn; `transcript` is what to report hearing (none for text turns).
    fn caller_turn(&mut self, transcript: Option<&str>, now: Instant) {
        if self.stage == Stage::Ending {
            return;
        }
        self.stats.caller_turns += 1;
        if let Some(text) = transcript {
            let event_id = self.next_event_id();
            self.outputs
                .push_back(Output::Message(outgoing::user_transcript(text, event_id)));
        }
        if self.pending.is_some() {
            // The agent is busy with a tool and did not take this in; it asks for it again,
            // so the caller's next turn is heard as the same line.
            self.say(&["sorry"]);
            return;
        }
        self.next_line += 1;
        match std::mem::replace(&mut self.stage, Stage::Ending) {
            Stage::Greeted if self.transfer_reason.is_some() => {
                let reason = self.transfer_reason.take().unwrap_or_default();
                let event_id = self.say(&["checking"]);
                self.call_tool(Tool::TransferCall, transfer_params(&reason), event_id, now);
                self.stage = Stage::Transferring;
            }
            Stage::Greeted => {
                let event_id = self.say(&["checking"]);
                self.call_tool(Tool::ListEventTypes, json!({}), event_id, now);
                self.stage = Stage::ListingTypes;
            }
            Stage::TypesListed => match self.event_type.clone() {
                Some(slug) => {
                    let params = available_slots_params(&slug, &self.call_variables());
                    let event_id = self.next_event_id();
                    self.call_tool(Tool::GetAvailableSlots, params, event_id, now);
                    self.stage = Stage::FindingSlots;
                }
                None => self.wrap_up(&["no_openings", "anything_else"]),
            },
            Stage::Offered(slot) => {
                self.say(&["ask_name"]);
                self.stage = Stage::AskedName(slot);
            }
            Stage::AskedName(slot) => {
                let slug = self.event_type.clone().unwrap_or_default();
                let params = booking_params(&slug, &slot, &self.call_variables());
                let event_id = self.next_event_id();
                self.call_tool(Tool::CreateBooking, params, event_id, now);
                self.stage = Stage::Booking;
            }
            Stage::AnythingElse => {
                let event_id = self.say(&["goodbye"]);
                self.call_tool(Tool::EndCall, json!({}), event_id, now);
                self.stage = Stage::Ending;
            }
            // Only entered with a tool pending, which returned above.
            stage @ (Stage::ListingTypes
            | Stage::FindingSlots
            | Stage::Booking
            | Stage::Ending
            | Stage::Transferring) => {
                self.stage = stage;
            }
        }
    }

    /// A tool's outcome: its result text, or `None` when it failed or timed out. Failures
    /// never stall the script: without event types there is nothing to search, without slots
    /// or a booking there is nothing to offer, and either way the agent says it sees no
    /// openings and asks whether there is anything else, which leads to the goodbye.
    fn resolve(&mut self, tool: Tool, outcome: Option<&str>, now: Instant) {
        if outcome.is_none() {
            self.stats.tool_failures += 1;
        }
        match tool {
            Tool::ListEventTypes => {
                self.event_type = outcome.and_then(first_event_type_slug);
                self.stage = Stage::TypesListed;
            }
            Tool::GetAvailableSlots => match outcome.and_then(earliest_slot) {
                Some(slot) => {
                    let vars = self.call_variables();
                    let utterance = offer(slot.start, &vars.tz, vars.today);
                    self.speak(utterance);
                    self.stage = Stage::Offered(slot);
                }
                None => self.wrap_up(&["no_openings", "anything_else"]),
            },
            Tool::CreateBooking => match outcome {
                Some(_) => self.wrap_up(&["confirmed", "anything_else"]),
                // The slot could not be had, and it was the first one open.
                None => self.wrap_up(&["no_openings", "anything_else"]),
            },
            // Under way: the agent says goodbye, and the bridge ends the stream once it has
            // played. Refused: the agent goes on looking for a booking.
            Tool::TransferCall => match outcome {
                Some(_) => {
                    self.say(&["goodbye"]);
                    self.stage = Stage::Ending;
                    self.close_after_goodbye(true, now);
                }
                None => {
                    let event_id = self.next_event_id();
                    self.call_tool(Tool::ListEventTypes, json!({}), event_id, now);
                    self.stage = Stage::ListingTypes;
                }
            },
            Tool::EndCall => self.close_after_goodbye(outcome.is_some(), now),
        }
    }

    /// Closes the conversation once the goodbye has played: after a grace for the client to
    /// hang up if it can (`client_ends`), or soon after if it cannot.
    fn close_after_goodbye(&mut self, client_ends: bool, now: Instant) {
        let clock = self.vad.now_ms();
        let end = self.speaking.map_or(0, |s| s.ends_at_ms).max(clock);
        let wait = match client_ends {
            // The client hangs up once the goodbye has played; give it time to.
            true => self.timing.hangup_grace.as_millis() as u64,
            // The client cannot end the call, so the agent does, as ElevenLabs' own
            // `end_call` system tool would.
            false => CLOSE_TAIL_MS,
        };
        let close_ms = end + wait;
        self.close_at = Some((close_ms, now + Duration::from_millis(close_ms - clock)));
    }

    fn wrap_up(&mut self, clips: &[&'static str]) {
        self.say(clips);
        self.stage = Stage::AnythingElse;
    }

    fn call_variables(&self) -> CallVariables {
        CallVariables::from_dynamic(&self.variables, jiff::Timestamp::now())
    }

    fn call_tool(&mut self, tool: Tool, parameters: Value, event_id: u64, now: Instant) {
        // Bridges use the id as an idempotency key, so it must be unique beyond this call.
        let call_id = format!("toolu_{}", uuid::Uuid::new_v4().simple());
        if self
            .tools
            .as_ref()
            .is_some_and(|tools| !tools.contains(tool.name()))
        {
            // Not one of the agent's tools: it fails at once (on the next tick), unasked.
            self.stats.tools_missing += 1;
            self.pending = Some(PendingTool {
                call_id,
                tool,
                deadline: now,
            });
            return;
        }
        self.stats.tool_calls += 1;
        self.outputs.push_back(Output::Message(outgoing::client_tool_call(
            tool.name(),
            &call_id,
            parameters,
            event_id,
        )));
        self.pending = Some(PendingTool {
            call_id,
            tool,
            deadline: now + self.timing.tool_timeout,
        });
    }

    /// Says whole sentences, one after the other, as one turn.
    fn say(&mut self, clips: &[&'static str]) -> u64 {
        let text = clips
            .iter()
            .map(|clip| sentence(clip))
            .collect::<Vec<_>>()
            .join(" ");
        self.speak(Utterance {
            clips: clips.to_vec(),
            text,
        })
    }

    /// Starts an agent turn: its text with the first audio, the audio placed on the audio
    /// clock after whatever is still playing.
    fn speak(&mut self, utterance: Utterance) -> u64 {
        let event_id = self.next_event_id();
        let audio = self.voice.utterance(&utterance.clips);
        let duration = self.voice.duration_ms(audio.len());
        let now_ms = self.vad.now_ms();
        let starts_at = match self.speaking {
            Some(previous) if !previous.interrupted => previous.ends_at_ms.max(now_ms),
            _ => now_ms,
        };
        self.speaking = Some(Speaking {
            event_id,
            ends_at_ms: starts_at + duration,
            interrupted: false,
        });
        self.outputs.push_back(Output::Message(outgoing::agent_response(
            &utterance.text,
            event_id,
        )));
        self.outputs.push_back(Output::Speech { event_id, audio });
        event_id
    }

    fn close_if_due(&mut self, now: Instant) {
        let clock = self.vad.now_ms();
        if self
            .close_at
            .is_some_and(|(audio, wall)| clock >= audio || now >= wall)
        {
            self.close_at = None;
            self.closed = true;
            self.outputs.push_back(Output::Close {
                code: 1000,
                reason: "Conversation ended",
            });
        }
    }

    fn next_event_id(&mut self) -> u64 {
        self.last_event_id += 1;
        self.last_event_id
    }
}

#[cfg(test)]
#[path = "conversation_tests.rs"]
mod tests;
