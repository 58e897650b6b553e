//! Which agent a request is for: the line a number reaches (inbound calls, the connect
//! action), the line of an agent id (a stream's token), and the agent an ElevenLabs webhook
//! tool names by switchboard's or ElevenLabs' id.
//!
//! The lookups of the call path (by number, by agent id) go through a short-lived cache
//! ([`AgentCache`]): a call's webhook, its stream and its connect action look up the same
//! agent, and a busy number is called over and over. A line carries the agent's active hours,
//! read with it and cached with it (a change of the hours through the store forgets them).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::call::ToolContext;
use crate::hours::ActiveHours;
use crate::store::{Account, Agent, AgentId, Store, StoreError};

use super::agent_cache::{AgentCache, CacheKey};

/// How long a lookup is reused, and how many are kept, unless configured.
const DEFAULT_TTL: Duration = Duration::from_secs(5);
const DEFAULT_CAPACITY: usize = 10_000;

/// An agent with the account it answers for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub agent: Agent,
    pub account: Account,
    /// When the agent answers, in its time zone (never set: at any time).
    pub hours: ActiveHours,
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
#[derive(Clone)]
pub struct Directory {
    store: Store,
    cache: Arc<AgentCache<Option<Line>>>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("cached", &self.cache.len())
            .finish_non_exhaustive()
    }
}

impl Directory {
    /// Lookups reused for a few seconds.
    pub fn new(store: Store) -> Self {
        Directory::with_cache(store, DEFAULT_TTL, DEFAULT_CAPACITY)
    }

    /// Lookups reused for `ttl` (0: never), at most `capacity` of them.
    pub fn with_cache(store: Store, ttl: Duration, capacity: usize) -> Self {
        Directory {
            store,
            cache: Arc::new(AgentCache::new(ttl, capacity)),
        }
    }

    /// The store the lookups read.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The line that answers calls to `number`, if any.
    pub async fn line(&self, number: &str) -> Result<Option<Line>, StoreError> {
        self.cached(CacheKey::Number(number.to_owned()), async {
            self.store.agent_by_phone_number(number).await
        })
        .await
    }

    /// The line of the agent with this id, in whichever account it is (for a stream, whose
    /// signed token names its agent).
    pub async fn line_of_agent(&self, id: &AgentId) -> Result<Option<Line>, StoreError> {
        self.cached(CacheKey::Agent(id.as_str().to_owned()), async {
            self.store.agent_by_id(id).await
        })
        .await
    }

    /// Whether `number` was given up by its agent and is held until its release (asked only
    /// for numbers no agent or menu answers, so it is not cached).
    pub async fn is_held(&self, number: &str) -> Result<bool, StoreError> {
        Ok(self.store.live_hold(number).await?.is_some())
    }

    /// The agent that answers calls to `number`, if any.
    pub async fn agent_for_number(&self, number: &str) -> Result<Option<Agent>, StoreError> {
        Ok(self.line(number).await?.map(|line| line.agent))
    }

    /// The cached line for `key`, or the agent `find` reads with its account. Failures are not
    /// kept: the next call asks the database again.
    async fn cached(
        &self,
        key: CacheKey,
        find: impl Future<Output = Result<Option<Agent>, StoreError>>,
    ) -> Result<Option<Line>, StoreError> {
        let version = self.store.agents_version();
        if let Some(line) = self.cache.get(&key, version, Instant::now()) {
            return Ok(line);
        }
        let line = match find.await? {
            Some(agent) => {
                let account = self.store.account(&agent.account_id).await?;
                let stored = self.store.agent_hours(&agent.account_id, &agent.id).await?;
                let hours = crate::manage::read_active_hours(&agent.timezone, stored)
                    .map_err(|refused| StoreError::invalid("active hours", refused.to_string()))?;
                Some(Line {
                    agent,
                    account,
                    hours,
                })
            }
            None => None,
        };
        let now = Instant::now();
        // The webhook looks its line up by number, the stream that follows by agent id.
        if let Some(line) = &line {
            let other = match &key {
                CacheKey::Number(_) => CacheKey::Agent(line.agent.id.as_str().to_owned()),
                CacheKey::Agent(_) => match &line.agent.phone_number {
                    Some(number) => CacheKey::Number(number.clone()),
                    None => CacheKey::Agent(line.agent.id.as_str().to_owned()),
                },
            };
            self.cache.insert(other, Some(line.clone()), version, now);
        }
        self.cache.insert(key, line.clone(), version, now);
        Ok(line)
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
            candidates.retain(|agent| agent.phone_number.as_deref() == Some(called));
        }
        match candidates.len() {
            1 => Ok(candidates.remove(0)),
            0 => Err(ResolveError::Unknown(reference.to_owned())),
            _ => Err(ResolveError::Ambiguous(reference.to_owned())),
        }
    }
}
