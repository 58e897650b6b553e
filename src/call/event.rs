//! What a [`Session`](super::Session) asks of the world: frames to send and events to act on.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::audio::AudioFormat;

use super::tools::ToolCall;

/// A text frame to write to one of the two sockets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transmit {
    /// To the caller's side (Twilio's media stream).
    Caller(String),
    /// To the agent.
    Agent(String),
}

/// The caller's stream started: who is calling, and the parameters its webhook set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub call_sid: String,
    pub stream_sid: String,
    pub account_sid: String,
    /// The values the webhook put in the stream (TwiML `<Parameter>`s): the one-time token,
    /// the caller's and the called number.
    pub parameters: BTreeMap<String, String>,
}

/// Something the driver must act on or may report.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The caller's stream started: the driver now attaches the agent.
    Started(Started),
    /// The agent announced its conversation and audio formats.
    ConversationStarted {
        conversation_id: String,
        input: AudioFormat,
        output: AudioFormat,
    },
    AgentSaid(String),
    CallerSaid(String),
    /// Barge-in: Twilio was told to `clear`. `heard_ms` is the agent audio confirmed played
    /// so far in the call.
    Interrupted {
        event_id: u64,
        heard_ms: u64,
    },
    /// Run this tool and give the outcome to `Session::on_tool_result`.
    ToolCall(ToolCall),
    /// A tool call was answered (or timed out) and the agent was told.
    ToolFinished {
        id: String,
        name: String,
        /// What the agent was told.
        result: String,
        is_error: bool,
        timed_out: bool,
        elapsed: Duration,
    },
    /// Connected time so far, emitted every metering interval.
    Metered {
        seconds: u64,
    },
    /// Bad input from one of the peers. `first` is true the first time this kind is seen in
    /// the call, so it is logged once and counted every time; `detail` says what was wrong
    /// for that first one and is empty for the rest.
    BadInput {
        kind: BadInput,
        first: bool,
        detail: String,
    },
    /// The agent sent an `error` event.
    AgentError {
        code: Option<u16>,
        message: String,
    },
    /// The call is over: close both sockets. Nothing follows this event.
    Ended {
        reason: EndReason,
        duration: Duration,
        stats: SessionStats,
    },
}

/// Why a call ended; decides what `/twilio/connect-action` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndReason {
    /// Twilio sent `stop` or closed the stream: the caller hung up.
    CallerHungUp,
    /// The agent ended the call (`end_call`, or a normal close of its socket).
    AgentEnded,
    /// The agent's socket failed or closed with an error code.
    UpstreamFailed { code: Option<u16>, reason: String },
    /// The call reached its time limit.
    TimeLimit,
    /// The server ended the call (shutdown, refused stream, …).
    Server(String),
    /// Twilio never sent `start`.
    NoStart,
    /// The agent handed the caller to a person (`transfer_call`): the connect action dials
    /// the agent's escalation number.
    Transferred,
}

impl EndReason {
    /// Whether the caller should hear the fallback (apology, voicemail, transfer) afterwards.
    pub fn wants_fallback(&self) -> bool {
        matches!(self, EndReason::UpstreamFailed { .. } | EndReason::Server(_))
    }

    /// [`EndReason::wants_fallback`] for a reason known only by its label (from the call record).
    pub fn label_wants_fallback(label: &str) -> bool {
        matches!(label, "upstream_failed" | "server")
    }

    /// Every [`EndReason::label`], indexed by [`EndReason::index`].
    pub const LABELS: [&'static str; 7] = [
        "caller_hung_up",
        "agent_ended",
        "upstream_failed",
        "time_limit",
        "server",
        "no_start",
        "transferred",
    ];

    /// A short stable label for logs, metrics and the call records.
    pub fn label(&self) -> &'static str {
        Self::LABELS[self.index()]
    }

    /// The position of this reason's label in [`EndReason::LABELS`].
    pub fn index(&self) -> usize {
        match self {
            EndReason::CallerHungUp => 0,
            EndReason::AgentEnded => 1,
            EndReason::UpstreamFailed { .. } => 2,
            EndReason::TimeLimit => 3,
            EndReason::Server(_) => 4,
            EndReason::NoStart => 5,
            EndReason::Transferred => 6,
        }
    }
}

/// Kinds of bad input, each counted and logged once per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BadInput {
    /// Not JSON, or JSON without the fields the message type needs (Twilio 31951).
    TwilioMalformed,
    /// A binary frame on the Twilio stream (Twilio 31950).
    TwilioBinary,
    /// An `event` this version does not know.
    TwilioUnknownEvent,
    /// A text frame, or a media payload, over its size cap.
    TwilioOversized,
    /// `media` (or `dtmf`, `mark`) before `start`.
    MediaBeforeStart,
    /// A `streamSid` that is not this stream's.
    WrongStreamSid,
    /// A second `start`.
    DuplicateStart,
    /// A payload that is not valid base64.
    InvalidBase64,
    /// Audio that could not be held until it could be delivered (the hold was full, by count
    /// or by bytes), one per message dropped.
    HoldOverflow,
    AgentMalformed,
    AgentBinary,
    AgentUnknownType,
    AgentOversized,
    /// An audio format the bridge cannot convert.
    AgentAudioFormat,
    /// A tool result for a call that is not pending (late after a timeout, or unknown).
    LateToolResult,
    /// A well-formed agent message the protocol does not allow where it came: a second
    /// `conversation_initiation_metadata`, or an absurd `event_id` (see
    /// `session::event_ids`). Ignored.
    AgentProtocol,
}

impl BadInput {
    /// Every kind, in declaration order: `kind as usize` indexes per-kind counters.
    pub const ALL: [BadInput; 16] = [
        BadInput::TwilioMalformed,
        BadInput::TwilioBinary,
        BadInput::TwilioUnknownEvent,
        BadInput::TwilioOversized,
        BadInput::MediaBeforeStart,
        BadInput::WrongStreamSid,
        BadInput::DuplicateStart,
        BadInput::InvalidBase64,
        BadInput::HoldOverflow,
        BadInput::AgentMalformed,
        BadInput::AgentBinary,
        BadInput::AgentUnknownType,
        BadInput::AgentOversized,
        BadInput::AgentAudioFormat,
        BadInput::LateToolResult,
        BadInput::AgentProtocol,
    ];

    pub fn label(self) -> &'static str {
        match self {
            BadInput::TwilioMalformed => "twilio_malformed",
            BadInput::TwilioBinary => "twilio_binary",
            BadInput::TwilioUnknownEvent => "twilio_unknown_event",
            BadInput::TwilioOversized => "twilio_oversized",
            BadInput::MediaBeforeStart => "media_before_start",
            BadInput::WrongStreamSid => "wrong_stream_sid",
            BadInput::DuplicateStart => "duplicate_start",
            BadInput::InvalidBase64 => "invalid_base64",
            BadInput::HoldOverflow => "hold_overflow",
            BadInput::AgentMalformed => "agent_malformed",
            BadInput::AgentBinary => "agent_binary",
            BadInput::AgentUnknownType => "agent_unknown_type",
            BadInput::AgentOversized => "agent_oversized",
            BadInput::AgentAudioFormat => "agent_audio_format",
            BadInput::LateToolResult => "late_tool_result",
            BadInput::AgentProtocol => "agent_protocol",
        }
    }

    pub(crate) fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// Per-call counters, reported when the call ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Caller audio frames relayed to the agent.
    pub caller_frames: u64,
    /// Agent audio chunks relayed to Twilio.
    pub agent_chunks: u64,
    /// Agent audio chunks dropped because an interruption made them stale.
    pub stale_agent_chunks: u64,
    /// μ-law bytes sent to Twilio.
    pub agent_bytes: u64,
    /// Agent audio confirmed played (by marks), in milliseconds.
    pub heard_ms: u64,
    pub interruptions: u64,
    pub tool_calls: u64,
    pub tool_timeouts: u64,
    pub bad_inputs: u64,
}
