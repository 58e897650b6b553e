//! `record_consent`: the caller's answer when the agent asks whether the call may be recorded
//! (the greeting asks when the account records calls), kept on the call's record and in its
//! timeline.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::booking::Scope;
use crate::call::ToolContext;
use crate::store::Store;

use super::definition::{Definition, parameters_of};
use super::error::{ToolError, ToolResult};
use super::params::{self, Flag};

pub(crate) const RECORD_CONSENT: Definition = Definition {
    name: "record_consent",
    description: "Records the caller's answer when asked whether the call may be recorded: \
                  consented true if they agree, false if they do not.",
    parameters: parameters_of::<ConsentParams>,
};

#[derive(Debug, Deserialize, JsonSchema)]
struct ConsentParams {
    /// True if the caller agrees to the call being recorded, false if not.
    // A boolean to the LLM; "yes" or "no" as text are tolerated (`Flag`).
    #[schemars(required, with = "Option<bool>")]
    consented: Option<Flag>,
}

#[derive(Debug, Serialize)]
pub struct ConsentRecorded {
    pub recorded: bool,
    pub consented: bool,
}

pub(crate) async fn record_consent(
    store: &Store,
    scope: &Scope,
    ctx: &ToolContext,
    parameters: &Value,
    now: Timestamp,
) -> ToolResult<ConsentRecorded> {
    let params: ConsentParams = params::parse(parameters)?;
    let consented = params
        .consented
        .as_ref()
        .ok_or_else(|| ToolError::bad_input("I need to know whether the caller agreed (consented)."))?
        .value("consented")?;
    if ctx.call_sid.is_empty() {
        return Err(ToolError::Internal("record_consent without a call".into()));
    }
    if !store
        .record_call_consent(&scope.account_id, &ctx.call_sid, consented, now)
        .await?
    {
        tracing::warn!(call_sid = %ctx.call_sid, "record_consent for a call this account has no record of");
        return Err(ToolError::NotFound(
            "I couldn't find this call's record, so the answer was not saved. Carry on with the call.".into(),
        ));
    }
    Ok(ConsentRecorded {
        recorded: true,
        consented,
    })
}
