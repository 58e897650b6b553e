//! `transfer_call`: the agent hands the caller to a person, its agent's escalation number
//! (`fallback_number`).
//!
//! A client tool only, like `end_call`: the call session ends the stream once the agent has
//! said it is transferring ([`ToolOutcome::transfer`]), as `transferred`, and the connect
//! action then dials the number with a whisper (see `telephony::transfer`). Before the agent
//! is told, the request is logged in the call's timeline (`transfer_requested`, with the
//! reason): whichever instance answers Twilio's next requests reads it from there.
//!
//! An agent without an escalation number refuses: the agent hears that no one can take the
//! call and offers something else, and the call goes on.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::call::tools::TRANSFER_CALL;
use crate::call::{ToolCall, ToolContext, ToolOutcome};
use crate::store::{CallEventKind, NewCallEvent, Store};

use super::definition::{Definition, parameters_of};
use super::error::{ToolError, ToolResult};
use super::params;
use super::scope;

/// The longest reason: it is read to the person who answers.
pub(crate) const MAX_REASON_CHARS: usize = 200;
/// The longest summary of the call so far.
pub(crate) const MAX_SUMMARY_CHARS: usize = 1000;

/// Said by the agent when its line has no one to transfer to.
pub const NO_ONE_TO_TAKE_THE_CALL: &str = "No one can take the call right now: this line has no \
    one to transfer to. Tell the caller, and offer to take a message or to help another way.";

pub(crate) const TRANSFER_CALL_DEFINITION: Definition = Definition {
    name: TRANSFER_CALL,
    description: "Hands the caller to a person on the team when they ask for one or you cannot \
                  help. Tell the caller you are transferring them right after calling it; the \
                  call leaves you once you have finished speaking.",
    parameters: parameters_of::<TransferParams>,
};

#[derive(Debug, Deserialize, JsonSchema)]
struct TransferParams {
    /// Why the caller wants a person, in a few words, like "a question about an invoice". It
    /// is read to the person who answers.
    #[schemars(required)]
    reason: Option<String>,
    /// The call so far, in one or two sentences, for the person who takes over.
    summary: Option<String>,
}

/// The agent's answer to a transfer under way.
#[derive(Debug, Serialize)]
pub struct TransferStarted {
    pub transferring: bool,
    pub message: &'static str,
}

/// Said by the agent when the transfer could not be set up on our side.
const CANNOT_TRANSFER_NOW: &str =
    "I can't transfer the call right now. Please apologise and offer to take a message.";

const TRANSFERRING: &str = "The transfer is under way. Tell the caller you are putting them \
    through to a person now, then stop speaking.";

/// The transfer as the agent hears it: under way, refused, or a sentence saying what is wrong.
pub(crate) async fn outcome(
    store: &Store,
    ctx: &ToolContext,
    call: &ToolCall,
    now: Timestamp,
) -> ToolOutcome {
    match transfer_call(store, ctx, call, now).await {
        Ok(started) => match serde_json::to_string(&started) {
            Ok(reply) => ToolOutcome::transfer(reply),
            Err(error) => {
                tracing::warn!(tool = TRANSFER_CALL, %error, "transfer reply not serializable");
                ToolOutcome::error(CANNOT_TRANSFER_NOW)
            }
        },
        Err(error) if error.is_internal() => {
            tracing::warn!(tool = TRANSFER_CALL, %error, "transfer failed");
            ToolOutcome::error(CANNOT_TRANSFER_NOW)
        }
        Err(error) => {
            tracing::debug!(tool = TRANSFER_CALL, %error, "transfer refused");
            ToolOutcome::error(error.sentence())
        }
    }
}

/// Checks the parameters and the agent's escalation number, then logs the request in the
/// call's timeline. Nothing is logged when the transfer is refused.
pub(crate) async fn transfer_call(
    store: &Store,
    ctx: &ToolContext,
    call: &ToolCall,
    now: Timestamp,
) -> ToolResult<TransferStarted> {
    let params: TransferParams = params::parse(&call.parameters)?;
    let reason = params::required(&params.reason, "the reason the caller wants a person")?;
    let reason = params::free_text(&Some(reason.to_owned()), "reason", MAX_REASON_CHARS)?.unwrap_or_default();
    let summary = params::free_text(&params.summary, "summary", MAX_SUMMARY_CHARS)?;
    let scope = scope::of(ctx)?;
    let agent_id = scope
        .agent_id
        .as_ref()
        .ok_or_else(|| ToolError::Internal("a transfer without an agent".into()))?;
    let agent = store.agent(&scope.account_id, agent_id).await?;
    if agent.fallback_number.is_none() {
        return Err(ToolError::Refused(NO_ONE_TO_TAKE_THE_CALL.into()));
    }
    if ctx.call_sid.is_empty() {
        return Err(ToolError::Internal("a transfer outside a phone call".into()));
    }
    let requested = NewCallEvent {
        at: now,
        kind: CallEventKind::TransferRequested,
        detail: json!({
            "tool_call_id": call.id,
            "reason": reason,
            "summary": summary,
        }),
    };
    if !store.insert_call_event(&ctx.call_sid, &requested).await? {
        return Err(ToolError::Internal("no call record for the transfer".into()));
    }
    Ok(TransferStarted {
        transferring: true,
        message: TRANSFERRING,
    })
}
