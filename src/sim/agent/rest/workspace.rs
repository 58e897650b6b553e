//! The workspace the REST stand-in keeps in memory: its agents and tools, and the rules that
//! tie them (a `tool_ids` entry must name a tool; a tool an agent uses is only deleted with
//! `force`). Pure: every operation takes the time it happens at, and the one lock is never
//! held across an await.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::conversation_config::ConversationConfig;
use super::conversations::ConversationStore;
use super::ids;
use super::merge::merge;
use super::platform_settings::PlatformSettings;
use super::tool_config::{ResponseMock, ToolConfig, ToolRequest, read_tool_request};
use super::validation::{FieldError, read};
use super::webhooks::WebhookRegistry;

/// An agent as the workspace holds it, with every default filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRecord {
    pub agent_id: String,
    pub name: String,
    pub tags: Vec<String>,
    pub conversation_config: ConversationConfig,
    pub platform_settings: PlatformSettings,
    pub workflow: Option<Value>,
    pub created_at_unix_secs: i64,
    pub updated_at_unix_secs: i64,
    order: u64,
}

/// A workspace tool.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolRecord {
    pub id: String,
    pub tool_config: ToolConfig,
    pub response_mocks: Option<Vec<ResponseMock>>,
    pub created_at_unix_secs: i64,
    order: u64,
}

/// Why the workspace refused a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// The body or query is not what the API accepts (422).
    Invalid(FieldError),
    /// No agent or tool has this id (404).
    NotFound { kind: &'static str, id: String },
    /// The tool is attached to these agents and `force` was not given.
    ToolInUse { tool_id: String, agents: Vec<String> },
}

/// One page of a listing, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

/// What a listing asks for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageRequest {
    pub page_size: usize,
    pub cursor: Option<String>,
    /// Case-insensitive part of the name.
    pub search: Option<String>,
}

/// `POST /v1/convai/agents/create`'s body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateAgent {
    conversation_config: ConversationConfig,
    #[serde(default)]
    platform_settings: Option<PlatformSettings>,
    #[serde(default)]
    workflow: Option<Value>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    tags: Option<Vec<String>>,
}

/// `PATCH /v1/convai/agents/{id}`'s body: the configs are loose objects, merged into the agent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateAgent {
    #[serde(default)]
    conversation_config: Option<Map<String, Value>>,
    #[serde(default)]
    platform_settings: Option<Map<String, Value>>,
    #[serde(default)]
    workflow: Option<Value>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    #[allow(dead_code)]
    version_description: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    procedures: Option<Value>,
}

/// The agents and tools of one workspace, shared by the REST routes and the conversations.
#[derive(Debug, Clone, Default)]
pub struct Workspace {
    state: Arc<Mutex<State>>,
    webhooks: WebhookRegistry,
    conversations: ConversationStore,
}

#[derive(Debug, Default)]
struct State {
    agents: HashMap<String, AgentRecord>,
    tools: HashMap<String, ToolRecord>,
    next_order: u64,
}

impl State {
    fn order(&mut self) -> u64 {
        self.next_order += 1;
        self.next_order
    }

    /// The first `tool_ids` entry naming no tool, as pydantic's value error.
    fn unknown_tool(&self, config: &ConversationConfig) -> Option<FieldError> {
        let tool_ids = &config.agent.prompt.tool_ids;
        let (index, id) = tool_ids
            .iter()
            .enumerate()
            .find(|(_, id)| !self.tools.contains_key(*id))?;
        let loc = ["body", "conversation_config", "agent", "prompt", "tool_ids"]
            .iter()
            .map(|s| json!(s))
            .chain([json!(index)])
            .collect();
        Some(FieldError::new(
            "value_error",
            loc,
            format!("Value error, Tool with id {id} not found"),
            json!(id),
        ))
    }
}

impl Workspace {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves whole records behind: every change below is
        // made on a copy and stored in one step, so the state is still usable.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The workspace webhooks post-call events go to.
    pub fn webhooks(&self) -> &WebhookRegistry {
        &self.webhooks
    }

    /// The conversations hosted lately.
    pub fn conversations(&self) -> &ConversationStore {
        &self.conversations
    }

    /// Whether any agent sends its post-call events to `webhook_id`.
    pub fn webhook_in_use(&self, webhook_id: &str) -> bool {
        self.lock().agents.values().any(|agent| {
            agent
                .platform_settings
                .workspace_overrides
                .webhooks
                .post_call_webhook_id
                .as_deref()
                == Some(webhook_id)
        })
    }

    pub fn create_agent(&self, body: &Value, now_unix: i64) -> Result<String, Refusal> {
        let create: CreateAgent = read(body, &[json!("body")]).map_err(Refusal::Invalid)?;
        let mut state = self.lock();
        if let Some(error) = state.unknown_tool(&create.conversation_config) {
            return Err(Refusal::Invalid(error));
        }
        let agent_id = ids::agent_id();
        let order = state.order();
        let record = AgentRecord {
            agent_id: agent_id.clone(),
            name: create.name.unwrap_or_default(),
            tags: create.tags.unwrap_or_default(),
            conversation_config: create.conversation_config,
            platform_settings: create.platform_settings.unwrap_or_default(),
            workflow: create.workflow,
            created_at_unix_secs: now_unix,
            updated_at_unix_secs: now_unix,
            order,
        };
        state.agents.insert(agent_id.clone(), record);
        Ok(agent_id)
    }

    pub fn agent(&self, agent_id: &str) -> Option<AgentRecord> {
        self.lock().agents.get(agent_id).cloned()
    }

    pub fn update_agent(&self, agent_id: &str, body: &Value, now_unix: i64) -> Result<AgentRecord, Refusal> {
        let update: UpdateAgent = read(body, &[json!("body")]).map_err(Refusal::Invalid)?;
        let mut state = self.lock();
        let mut record = state
            .agents
            .get(agent_id)
            .cloned()
            .ok_or_else(|| not_found("agent", agent_id))?;
        if let Some(changes) = update.conversation_config {
            record.conversation_config = merged(&record.conversation_config, changes, "conversation_config")?;
            if let Some(error) = state.unknown_tool(&record.conversation_config) {
                return Err(Refusal::Invalid(error));
            }
        }
        if let Some(changes) = update.platform_settings {
            record.platform_settings = merged(&record.platform_settings, changes, "platform_settings")?;
        }
        if let Some(workflow) = update.workflow {
            record.workflow = Some(workflow);
        }
        if let Some(name) = update.name {
            record.name = name;
        }
        if let Some(tags) = update.tags {
            record.tags = tags;
        }
        record.updated_at_unix_secs = now_unix;
        state.agents.insert(agent_id.to_owned(), record.clone());
        Ok(record)
    }

    pub fn delete_agent(&self, agent_id: &str) -> Result<(), Refusal> {
        self.lock()
            .agents
            .remove(agent_id)
            .map(drop)
            .ok_or_else(|| not_found("agent", agent_id))
    }

    pub fn agents(&self, request: &PageRequest) -> Result<Page<AgentRecord>, Refusal> {
        let state = self.lock();
        let mut agents: Vec<&AgentRecord> = state
            .agents
            .values()
            .filter(|agent| matches_search(&agent.name, request.search.as_deref()))
            .collect();
        agents.sort_by_key(|agent| std::cmp::Reverse(agent.order));
        paginate(agents, request, |agent| agent.order)
    }

    pub fn create_tool(&self, body: &Value, now_unix: i64) -> Result<ToolRecord, Refusal> {
        let ToolRequest {
            tool_config,
            response_mocks,
        } = read_tool_request(body).map_err(Refusal::Invalid)?;
        let mut state = self.lock();
        let order = state.order();
        let record = ToolRecord {
            id: ids::tool_id(),
            tool_config,
            response_mocks,
            created_at_unix_secs: now_unix,
            order,
        };
        state.tools.insert(record.id.clone(), record.clone());
        Ok(record)
    }

    pub fn tool(&self, tool_id: &str) -> Option<ToolRecord> {
        self.lock().tools.get(tool_id).cloned()
    }

    pub fn update_tool(&self, tool_id: &str, body: &Value) -> Result<ToolRecord, Refusal> {
        let ToolRequest {
            tool_config,
            response_mocks,
        } = read_tool_request(body).map_err(Refusal::Invalid)?;
        let mut state = self.lock();
        let record = state
            .tools
            .get_mut(tool_id)
            .ok_or_else(|| not_found("tool", tool_id))?;
        record.tool_config = tool_config;
        record.response_mocks = response_mocks;
        Ok(record.clone())
    }

    /// Deletes a tool. One that agents use is refused unless `force`, which takes it out of
    /// their `tool_ids` too.
    pub fn delete_tool(&self, tool_id: &str, force: bool, now_unix: i64) -> Result<(), Refusal> {
        let mut state = self.lock();
        if !state.tools.contains_key(tool_id) {
            return Err(not_found("tool", tool_id));
        }
        let mut dependents: Vec<&mut AgentRecord> = state
            .agents
            .values_mut()
            .filter(|agent| {
                agent
                    .conversation_config
                    .agent
                    .prompt
                    .tool_ids
                    .iter()
                    .any(|id| id == tool_id)
            })
            .collect();
        if !dependents.is_empty() && !force {
            let mut agents: Vec<String> = dependents.iter().map(|a| a.agent_id.clone()).collect();
            agents.sort();
            return Err(Refusal::ToolInUse {
                tool_id: tool_id.to_owned(),
                agents,
            });
        }
        for agent in &mut dependents {
            agent
                .conversation_config
                .agent
                .prompt
                .tool_ids
                .retain(|id| id != tool_id);
            agent.updated_at_unix_secs = now_unix;
        }
        state.tools.remove(tool_id);
        Ok(())
    }

    /// Tools of the given `types` (all when empty), newest first.
    pub fn tools(&self, request: &PageRequest, types: &[String]) -> Result<Page<ToolRecord>, Refusal> {
        let state = self.lock();
        let mut tools: Vec<&ToolRecord> = state
            .tools
            .values()
            .filter(|tool| matches_search(tool.tool_config.name(), request.search.as_deref()))
            .filter(|tool| types.is_empty() || types.iter().any(|t| t == tool.tool_config.kind()))
            .collect();
        tools.sort_by_key(|tool| std::cmp::Reverse(tool.order));
        paginate(tools, request, |tool| tool.order)
    }
}

fn not_found(kind: &'static str, id: &str) -> Refusal {
    Refusal::NotFound {
        kind,
        id: id.to_owned(),
    }
}

fn matches_search(name: &str, search: Option<&str>) -> bool {
    search.is_none_or(|part| name.to_lowercase().contains(&part.to_lowercase()))
}

/// `current` with `changes` merged in, read back as a `T`; errors are located in the body.
fn merged<T>(current: &T, changes: Map<String, Value>, field: &str) -> Result<T, Refusal>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let mut value = serde_json::to_value(current).expect("configs serialize to JSON");
    merge(&mut value, Value::Object(changes));
    read(&value, &[json!("body"), json!(field)]).map_err(Refusal::Invalid)
}

/// The page after `request.cursor` (an item's place in creation order, as the last page
/// ended with it) of `items`, which are sorted newest first.
fn paginate<T: Clone>(
    items: Vec<&T>,
    request: &PageRequest,
    order: impl Fn(&T) -> u64,
) -> Result<Page<T>, Refusal> {
    let after = match request.cursor.as_deref() {
        None | Some("") => None,
        Some(cursor) => Some(cursor.parse::<u64>().map_err(|_| {
            Refusal::Invalid(FieldError::new(
                "value_error",
                vec![json!("query"), json!("cursor")],
                "Value error, Invalid cursor",
                json!(cursor),
            ))
        })?),
    };
    let mut rest = items
        .into_iter()
        .filter(|item| after.is_none_or(|after| order(item) < after));
    let page: Vec<T> = rest.by_ref().take(request.page_size).cloned().collect();
    let has_more = rest.next().is_some();
    let next_cursor = has_more
        .then(|| page.last().map(|item| order(item).to_string()))
        .flatten();
    Ok(Page {
        items: page,
        next_cursor,
        has_more,
    })
}
