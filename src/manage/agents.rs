//! The agents of an account: list, create (within the plan), read with what it offers and its
//! active hours, change, delete, and choose the event types it offers. With provisioning on
//! (`agent_provisioning`), creating, changing and deleting an agent does the same to its
//! ElevenLabs agent.

use crate::store::{
    Agent, AgentChanges, AgentId, EventType, EventTypeId, FallbackMode, NewAgent, Page, PageRequest, Plan,
    Store,
};

use super::agent_fields::{self as fields, AgentAllowance, MAX_BUSINESS_CONTEXT_CHARS, MAX_GREETING_CHARS};
use super::agent_hours::{self, HoursPatch};
use super::agent_provisioning::AgentProvisioning;
use super::usage::{self, UsageReport};
use super::{ManageError, ManageResult, Scope};
use crate::hours::ActiveHours;
use jiff::Timestamp;

/// A new agent as a client describes it; what is left out takes its default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentInput {
    pub name: String,
    /// An ElevenLabs agent to use (adopted: made switchboard's, when provisioning is on);
    /// `None` has one created, which needs provisioning.
    pub elevenlabs_agent_id: Option<String>,
    /// The first thing the agent says (the ElevenLabs agent's own when `None`).
    pub greeting: Option<String>,
    pub business_context: Option<String>,
    pub voice_id: Option<String>,
    /// `en` when left out.
    pub language: Option<String>,
    /// `UTC` when left out.
    pub timezone: Option<String>,
    /// None for an agent without a number.
    pub phone_number: Option<String>,
    /// True when left out.
    pub active: Option<bool>,
    /// A voicemail when left out.
    pub fallback: Option<FallbackInput>,
}

/// What a caller gets when the agent cannot take the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FallbackInput {
    /// `message`, `voicemail` or `dial`.
    pub mode: String,
    /// The number to dial (E.164), for `dial`.
    pub number: Option<String>,
}

/// Changes to an agent: `None` keeps a field; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentPatch {
    pub name: Option<String>,
    pub elevenlabs_agent_id: Option<String>,
    pub greeting: Option<Option<String>>,
    pub business_context: Option<Option<String>>,
    pub voice_id: Option<Option<String>>,
    pub language: Option<String>,
    pub timezone: Option<String>,
    pub phone_number: Option<Option<String>>,
    pub active: Option<bool>,
    /// Replaces the fallback whole.
    pub fallback: Option<FallbackInput>,
}

/// One agent with what it offers and when it answers.
#[derive(Debug, Clone)]
pub struct AgentDetail {
    pub agent: Agent,
    /// The event types chosen for it; none chosen means it offers all of them.
    pub linked_event_types: Vec<EventType>,
    /// What callers are offered now: the linked ones (or, with none linked, all of the
    /// account's) that are active and not secret.
    pub offered_event_types: Vec<EventType>,
    pub active_hours: ActiveHours,
}

/// One page of the account's agents, oldest first.
pub async fn list(store: &Store, scope: &Scope, page: &PageRequest) -> ManageResult<Page<Agent>> {
    Ok(store.agents_page(&scope.account_id, page).await?)
}

/// Creates an agent, unless the plan's agents are all taken or it gives a number on a plan
/// without numbers (`PlanLimit`).
pub async fn create(
    store: &Store,
    scope: &Scope,
    input: AgentInput,
    allowance: &AgentAllowance,
) -> ManageResult<Agent> {
    let Some(elevenlabs_agent_id) = input.elevenlabs_agent_id.clone() else {
        return Err(needs_elevenlabs_agent_id());
    };
    let new = checked_new(input, Some(&elevenlabs_agent_id))?;
    if new.phone_number.is_some() {
        fields::may_have_phone_number(allowance)?;
    }
    fields::may_add_agent(allowance, store.count_agents(&scope.account_id).await?)?;
    store
        .create_agent_within(&scope.account_id, new, allowance.max_agents)
        .await?
        .ok_or_else(|| fields::agent_limit_reached(allowance))
}

/// The refusal of a new agent without an ElevenLabs agent when provisioning is off.
pub fn needs_elevenlabs_agent_id() -> ManageError {
    ManageError::invalid(
        "elevenlabs_agent_id",
        "required: this server does not create ElevenLabs agents (no ElevenLabs API key is \
         configured, or [elevenlabs] provision_agents is off); give the id of an existing agent",
    )
}

/// The new agent's fields checked, with `elevenlabs_agent_id` (checked as an id; `None`
/// leaves it empty, for one still to be created).
fn checked_new(input: AgentInput, elevenlabs_agent_id: Option<&str>) -> ManageResult<NewAgent> {
    let (fallback_mode, fallback_number) =
        checked_fallback(input.fallback)?.unwrap_or((FallbackMode::Voicemail, None));
    Ok(NewAgent {
        name: fields::name(&input.name)?,
        elevenlabs_agent_id: elevenlabs_agent_id
            .map(|id| fields::platform_id("elevenlabs_agent_id", id))
            .transpose()?
            .unwrap_or_default(),
        first_message: input
            .greeting
            .map(|text| fields::text("greeting", &text, MAX_GREETING_CHARS))
            .transpose()?,
        business_context: input
            .business_context
            .map(|text| fields::text("business_context", &text, MAX_BUSINESS_CONTEXT_CHARS))
            .transpose()?,
        voice_id: input
            .voice_id
            .map(|id| fields::platform_id("voice_id", &id))
            .transpose()?,
        language: fields::language(input.language.as_deref().unwrap_or("en"))?,
        timezone: fields::timezone(input.timezone.as_deref().unwrap_or("UTC"))?,
        phone_number: input
            .phone_number
            .map(|number| fields::phone_number("phone_number", &number))
            .transpose()?,
        active: input.active.unwrap_or(true),
        fallback_mode,
        fallback_number,
    })
}

fn checked_fallback(fallback: Option<FallbackInput>) -> ManageResult<Option<(FallbackMode, Option<String>)>> {
    let Some(fallback) = fallback else {
        return Ok(None);
    };
    let mode = fields::fallback_mode(&fallback.mode)?;
    let number = fallback
        .number
        .map(|number| fields::phone_number("fallback.number", &number))
        .transpose()?;
    fields::fallback(mode, number.as_deref())?;
    Ok(Some((mode, number)))
}

/// The agent with the event types it offers and its active hours.
pub async fn get(store: &Store, scope: &Scope, id: &str) -> ManageResult<AgentDetail> {
    let agent = store.agent(&scope.account_id, &AgentId::from(id)).await?;
    let linked_event_types = store.linked_event_types(&scope.account_id, &agent.id).await?;
    let offered_event_types = store.event_types_for_agent(&scope.account_id, &agent.id).await?;
    let active_hours = agent_hours::of_agent(store, scope, &agent).await?;
    Ok(AgentDetail {
        agent,
        linked_event_types,
        offered_event_types,
        active_hours,
    })
}

/// Changes the fields given. A number on a plan without numbers is `PlanLimit`; a number
/// another agent answers is a conflict.
pub async fn update(
    store: &Store,
    scope: &Scope,
    id: &str,
    patch: AgentPatch,
    allowance: &AgentAllowance,
) -> ManageResult<Agent> {
    let changes = checked_changes(patch)?;
    if matches!(changes.phone_number, Some(Some(_))) {
        fields::may_have_phone_number(allowance)?;
    }
    Ok(store
        .update_agent(&scope.account_id, &AgentId::from(id), changes)
        .await?)
}

fn checked_changes(patch: AgentPatch) -> ManageResult<AgentChanges> {
    let fallback = checked_fallback(patch.fallback)?;
    let optional = |value: Option<Option<String>>, check: &dyn Fn(&str) -> ManageResult<String>| {
        value
            .map(|value| value.map(|value| check(&value)).transpose())
            .transpose()
    };
    Ok(AgentChanges {
        name: patch.name.map(|name| fields::name(&name)).transpose()?,
        elevenlabs_agent_id: patch
            .elevenlabs_agent_id
            .map(|id| fields::platform_id("elevenlabs_agent_id", &id))
            .transpose()?,
        first_message: optional(patch.greeting, &|text| {
            fields::text("greeting", text, MAX_GREETING_CHARS)
        })?,
        business_context: optional(patch.business_context, &|text| {
            fields::text("business_context", text, MAX_BUSINESS_CONTEXT_CHARS)
        })?,
        voice_id: optional(patch.voice_id, &|id| fields::platform_id("voice_id", id))?,
        language: patch.language.map(|tag| fields::language(&tag)).transpose()?,
        timezone: patch.timezone.map(|zone| fields::timezone(&zone)).transpose()?,
        phone_number: optional(patch.phone_number, &|number| {
            fields::phone_number("phone_number", number)
        })?,
        active: patch.active,
        fallback_mode: fallback.as_ref().map(|(mode, _)| *mode),
        fallback_number: fallback.map(|(_, number)| number),
    })
}

/// Deletes the agent (see `Store::delete_agent` for what stays); its number is held first.
pub async fn delete(store: &Store, scope: &Scope, id: &str) -> ManageResult<()> {
    super::phone::give_up(store, scope, &AgentId::from(id), Timestamp::now()).await?; // its number held 30 days
    Ok(store.delete_agent(&scope.account_id, &AgentId::from(id)).await?)
}

/// Replaces the event types the agent offers; an empty list offers all of the account's
/// active, non-secret ones. Returns the linked event types.
pub async fn set_event_types(
    store: &Store,
    scope: &Scope,
    id: &str,
    event_type_ids: &[String],
) -> ManageResult<Vec<EventType>> {
    let agent_id = AgentId::from(id);
    let ids: Vec<EventTypeId> = event_type_ids
        .iter()
        .map(|id| EventTypeId::from(id.as_str()))
        .collect();
    store
        .set_agent_event_types(&scope.account_id, &agent_id, &ids)
        .await
        .map_err(|error| match ManageError::from(error) {
            ManageError::Invalid { message, .. } => ManageError::invalid("event_type_ids", message),
            other => other,
        })?;
    Ok(store.linked_event_types(&scope.account_id, &agent_id).await?)
}

/// The account's agents with the plan applied: each use case above, the plan read from the
/// account.
#[derive(Clone)]
pub struct Agents {
    store: Store,
    /// `None`: nothing is called at ElevenLabs.
    provisioning: Option<AgentProvisioning>,
}

/// A page of agents with the plan they share and how much of it is taken: the agents, and the
/// billing period's minutes (one pool for all of the account's agents).
#[derive(Debug, Clone)]
pub struct AgentList {
    pub page: Page<Agent>,
    pub plan: Plan,
    /// The account's agents (deleted ones left out), on every page.
    pub agent_count: u32,
    pub usage: UsageReport,
}

impl From<&Plan> for AgentAllowance {
    fn from(plan: &Plan) -> AgentAllowance {
        AgentAllowance {
            plan: plan.name.clone(),
            max_agents: plan.max_agents,
            phone_numbers: plan.phone_numbers,
        }
    }
}

impl Agents {
    pub fn new(store: Store) -> Agents {
        Agents {
            store,
            provisioning: None,
        }
    }

    /// The same use cases, each keeping the agent's ElevenLabs agent in step.
    pub fn provisioning(mut self, provisioning: AgentProvisioning) -> Agents {
        self.provisioning = Some(provisioning);
        self
    }

    async fn allowance(&self, scope: &Scope) -> ManageResult<AgentAllowance> {
        Ok(AgentAllowance::from(
            &self.store.account_plan(&scope.account_id).await?,
        ))
    }

    /// A page of agents, with the plan and its use in the billing period that contains `now`.
    pub async fn list(&self, scope: &Scope, page: &PageRequest, now: Timestamp) -> ManageResult<AgentList> {
        Ok(AgentList {
            page: list(&self.store, scope, page).await?,
            plan: self.store.account_plan(&scope.account_id).await?,
            agent_count: self.store.count_agents(&scope.account_id).await?,
            usage: usage::current(&self.store, scope, now).await?,
        })
    }

    pub async fn create(&self, scope: &Scope, input: AgentInput) -> ManageResult<Agent> {
        let allowance = self.allowance(scope).await?;
        let Some(provisioning) = &self.provisioning else {
            return create(&self.store, scope, input, &allowance).await;
        };
        let adopt = input.elevenlabs_agent_id.clone();
        let new = checked_new(input, adopt.as_deref())?;
        if new.phone_number.is_some() {
            fields::may_have_phone_number(&allowance)?;
        }
        fields::may_add_agent(&allowance, self.store.count_agents(&scope.account_id).await?)?;
        provisioning
            .create(&self.store, scope, new, adopt, &allowance)
            .await
    }

    pub async fn get(&self, scope: &Scope, id: &str) -> ManageResult<AgentDetail> {
        get(&self.store, scope, id).await
    }

    pub async fn update(&self, scope: &Scope, id: &str, patch: AgentPatch) -> ManageResult<Agent> {
        let allowance = self.allowance(scope).await?;
        let Some(provisioning) = &self.provisioning else {
            return update(&self.store, scope, id, patch, &allowance).await;
        };
        let changes = checked_changes(patch)?;
        if matches!(changes.phone_number, Some(Some(_))) {
            fields::may_have_phone_number(&allowance)?;
        }
        provisioning
            .update(&self.store, scope, &AgentId::from(id), changes)
            .await
    }

    pub async fn delete(&self, scope: &Scope, id: &str) -> ManageResult<()> {
        match &self.provisioning {
            Some(provisioning) => provisioning.delete(&self.store, scope, &AgentId::from(id)).await,
            None => delete(&self.store, scope, id).await,
        }
    }

    pub async fn set_event_types(
        &self,
        scope: &Scope,
        id: &str,
        event_type_ids: &[String],
    ) -> ManageResult<Vec<EventType>> {
        set_event_types(&self.store, scope, id, event_type_ids).await
    }

    pub async fn active_hours(&self, scope: &Scope, id: &str) -> ManageResult<ActiveHours> {
        agent_hours::active_hours(&self.store, scope, id).await
    }

    pub async fn set_active_hours(
        &self,
        scope: &Scope,
        id: &str,
        patch: HoursPatch,
    ) -> ManageResult<ActiveHours> {
        agent_hours::set_active_hours(&self.store, scope, id, patch).await
    }
}
