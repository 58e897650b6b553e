//! Whose data a tool call may touch: the account and agent of the call, as the booking use
//! cases' [`Scope`].

use crate::booking::Scope;
use crate::call::ToolContext;
use crate::store::{AccountId, AgentId};

use super::error::{ToolError, ToolResult};

pub(crate) fn of(ctx: &ToolContext) -> ToolResult<Scope> {
    if ctx.account_id.is_empty() || ctx.agent_id.is_empty() {
        return Err(ToolError::Internal(
            "tool call without an account and agent".into(),
        ));
    }
    Ok(Scope::agent(
        AccountId::from(ctx.account_id.as_str()),
        AgentId::from(ctx.agent_id.as_str()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_without_account_or_agent_is_an_internal_error() {
        let ctx = ToolContext {
            account_id: "acc".into(),
            ..ToolContext::default()
        };
        assert!(of(&ctx).unwrap_err().is_internal());
    }
}
