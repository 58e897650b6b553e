//! Which agent a request is for: the line a number reaches (inbound calls, the connect
//! action), and the agent an ElevenLabs webhook tool names by switchboard's or ElevenLabs' id.

use crate::call::ToolContext;
use crate::store::{Account, Agent, AgentId, Store, StoreError};

/// An agent with the account it answers for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub agent: Agent,
    pub account: Account,
}

/// Whom a webhook tool call is for, as ElevenLabs fills it in from the call's system
/// variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookCaller {
    /// switchboard's agent id, or the ElevenLabs agent id.
    pub agent: String,
    pub caller_number: Option<String>,
    /// Which line of an ElevenLabs agent that serves several numbers.
    pub called_number: Option<String>,
    pub call_sid: Option<String>,
}

/// Why a webhook tool's agent reference names no single agent.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("No agent is known as {0}.")]
    Unknown(String),
    #[error("Several lines use the agent {0}; send called_number to pick one.")]
    Ambiguous(String),
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
}

/// Agent lookups over the store.
#[derive(Debug, Clone)]
pub struct Directory {
    store: Store,
}

impl Directory {
    pub fn new(store: Store) -> Self {
        Directory { store }
    }

    /// The line that answers calls to `number`, if any.
    pub async fn line(&self, number: &str) -> Result<Option<Line>, StoreError> {
        let Some(agent) = self.store.agent_by_phone_number(number).await? else {
            return Ok(None);
        };
        let account = self.store.account(&agent.account_id).await?;
        Ok(Some(Line { agent, account }))
    }

    /// The agent that answers calls to `number`, if any.
    pub async fn agent_for_number(&self, number: &str) -> Result<Option<Agent>, StoreError> {
        self.store.agent_by_phone_number(number).await
    }

    /// Whom the tools work for in a webhook tool call: the account and agent it names.
    pub async fn tool_context(&self, caller: WebhookCaller) -> Result<ToolContext, ResolveError> {
        let agent = self
            .resolve(&caller.agent, caller.called_number.as_deref())
            .await?;
        Ok(ToolContext {
            account_id: agent.account_id.into_string(),
            agent_id: agent.id.into_string(),
            call_sid: caller.call_sid.unwrap_or_default(),
            caller_number: caller.caller_number,
            called_number: caller.called_number,
        })
    }

    /// The agent named by switchboard id or ElevenLabs id; `called_number` settles which line
    /// an ElevenLabs agent shared by several numbers is answering.
    pub async fn resolve(&self, reference: &str, called_number: Option<&str>) -> Result<Agent, ResolveError> {
        if let Some(agent) = self.store.agent_by_id(&AgentId::from(reference)).await? {
            return Ok(agent);
        }
        let mut candidates = self.store.agents_by_elevenlabs_id(reference).await?;
        if candidates.len() > 1
            && let Some(called) = called_number
        {
            candidates.retain(|agent| agent.phone_number == called);
        }
        match candidates.len() {
            1 => Ok(candidates.remove(0)),
            0 => Err(ResolveError::Unknown(reference.to_owned())),
            _ => Err(ResolveError::Ambiguous(reference.to_owned())),
        }
    }
}
