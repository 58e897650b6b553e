//! Tools as the call session sees them: a request from the agent, an outcome to send back.
//!
//! The session never runs a tool itself. It turns a `client_tool_call` into a [`ToolCall`]
//! event; the driver asks a [`ToolRegistry`] for the outcome and feeds it back with
//! `Session::on_tool_result`. The domain tools (bookings, contacts) live in the `tools` layer
//! and implement this trait; the call layer only knows `end_call`.

use futures::future::BoxFuture;
use serde_json::Value;

/// A tool invocation requested by the agent.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// ElevenLabs' `tool_call_id`; also the idempotency key of whatever the tool does.
    pub id: String,
    pub name: String,
    pub parameters: Value,
}

/// Who is calling: what a tool needs to scope its work to the right account and caller.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ToolContext {
    pub account_id: String,
    pub agent_id: String,
    pub call_sid: String,
    pub caller_number: Option<String>,
    pub called_number: Option<String>,
}

/// The answer to a tool call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutcome {
    /// Sent to the agent as `result`. On error, a sentence the agent can say to the caller.
    pub result: String,
    pub is_error: bool,
    /// Hang up once the agent has finished speaking.
    pub end_call: bool,
    /// With `end_call`: the call ends as [`EndReason::Transferred`](super::EndReason), for
    /// the connect action to hand the caller to a person.
    pub transfer: bool,
}

impl ToolOutcome {
    pub fn ok(result: impl Into<String>) -> Self {
        ToolOutcome {
            result: result.into(),
            is_error: false,
            end_call: false,
            transfer: false,
        }
    }

    pub fn error(sentence: impl Into<String>) -> Self {
        ToolOutcome {
            result: sentence.into(),
            is_error: true,
            end_call: false,
            transfer: false,
        }
    }

    /// A transfer under way: `result` tells the agent to say so; once its last words have
    /// played the stream ends, and the caller is handed to a person.
    pub fn transfer(result: impl Into<String>) -> Self {
        ToolOutcome {
            result: result.into(),
            is_error: false,
            end_call: true,
            transfer: true,
        }
    }
}

/// Runs tools by name. Implementations must not panic on bad parameters: a bad call is an
/// error outcome the agent can recover from.
pub trait ToolRegistry: Send + Sync + 'static {
    fn call(&self, ctx: &ToolContext, call: ToolCall) -> BoxFuture<'static, ToolOutcome>;
}

/// The name of the built-in tool that ends the call.
pub const END_CALL: &str = "end_call";
/// The name of the tool that hands the caller to a person (see `tools::transfer`).
pub const TRANSFER_CALL: &str = "transfer_call";

/// The tools every call has: `end_call`. Anything else is unknown.
#[derive(Debug, Clone, Copy, Default)]
pub struct CallControl;

impl CallControl {
    /// The outcome for `call` if it is a call-control tool.
    pub fn outcome(call: &ToolCall) -> Option<ToolOutcome> {
        (call.name == END_CALL).then(|| ToolOutcome {
            result: "The call will end after your last words.".into(),
            is_error: false,
            end_call: true,
            transfer: false,
        })
    }

    pub fn unknown(call: &ToolCall) -> ToolOutcome {
        ToolOutcome::error(format!("The tool `{}` is not available on this line.", call.name))
    }
}

impl ToolRegistry for CallControl {
    fn call(&self, _ctx: &ToolContext, call: ToolCall) -> BoxFuture<'static, ToolOutcome> {
        let outcome = CallControl::outcome(&call).unwrap_or_else(|| CallControl::unknown(&call));
        Box::pin(async move { outcome })
    }
}
