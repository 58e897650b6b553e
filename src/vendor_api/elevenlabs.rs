//! ElevenLabs' REST API for agents and workspace tools: create, read, change, delete, list.
//!
//! Every request carries the workspace's key as `xi-api-key` (marked sensitive, so no log or
//! debug print shows it) and is bounded in time. A refusal is an [`ElevenLabsError`] that says
//! in words what was asked and what ElevenLabs answered: the status and the `detail` of its
//! body, which is a list of `{loc, msg}` for a 422 (FastAPI's validation error), an object with
//! a `message`, or a plain string.
//!
//! Paths and shapes (ElevenLabs' OpenAPI, as the official Python SDK uses it:
//! `conversational_ai/agents/raw_client.py`, `conversational_ai/tools/raw_client.py`):
//! - `POST /v1/convai/agents/create` `{conversation_config, platform_settings, name, tags}` →
//!   `{"agent_id"}`; `GET`/`PATCH`/`DELETE /v1/convai/agents/{id}` (a PATCH merges objects and
//!   replaces arrays whole, and answers with the agent); `GET /v1/convai/agents?page_size&search&cursor`
//!   → `{agents: [{agent_id, name, tags, …}], next_cursor, has_more}`.
//! - `POST /v1/convai/tools` `{tool_config}` → `{id, tool_config, …}`; `GET`/`PATCH`/`DELETE
//!   /v1/convai/tools/{id}` (`?force=true` takes a deleted tool off its agents); `GET /v1/convai/tools?search&page_size&cursor` → `{tools, next_cursor, has_more}`.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::config::Secret;

/// How long a connection to ElevenLabs may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one request may take, answer included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// The most of a refusal's detail kept in its message.
const MAX_DETAIL_CHARS: usize = 400;
/// Page size of the list reads (ElevenLabs allows up to 100).
const PAGE_SIZE: &str = "100";
/// The most pages a list read follows.
const MAX_PAGES: usize = 50;

/// What went wrong asking ElevenLabs, in words: what was asked (`operation`, e.g. "create the
/// agent") and what came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElevenLabsError {
    /// ElevenLabs answered with an error status.
    #[error("ElevenLabs refused to {operation} (HTTP {status}): {detail}")]
    Refused {
        operation: String,
        status: u16,
        detail: String,
    },
    /// No answer: the connection failed or the request timed out.
    #[error("ElevenLabs could not be reached to {operation}: {reason}")]
    Unreachable { operation: String, reason: String },
    /// An answer this client cannot read.
    #[error("ElevenLabs' answer to {operation} could not be read: {reason}")]
    Unreadable { operation: String, reason: String },
}

impl ElevenLabsError {
    /// ElevenLabs does not know the agent or tool asked for.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ElevenLabsError::Refused { status: 404, .. })
    }

    /// The HTTP status ElevenLabs answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ElevenLabsError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// An agent as ElevenLabs returns it (the parts provisioning reads; the rest is kept in the
/// two configuration objects).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AgentRecord {
    pub agent_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub conversation_config: Value,
    #[serde(default)]
    pub platform_settings: Value,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// One agent of a list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AgentSummary {
    pub agent_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A workspace tool.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ToolRecord {
    pub id: String,
    pub tool_config: Value,
}

impl ToolRecord {
    /// The tool's name (`tool_config.name`).
    pub fn name(&self) -> Option<&str> {
        self.tool_config["name"].as_str()
    }
}

#[derive(Deserialize)]
struct Created {
    agent_id: String,
}

#[derive(Deserialize)]
struct AgentsPage {
    agents: Vec<AgentSummary>,
    #[serde(default)]
    next_cursor: Option<String>,
    #[serde(default)]
    has_more: bool,
}

#[derive(Deserialize)]
struct ToolsPage {
    tools: Vec<ToolRecord>,
    #[serde(default)]
    next_cursor: Option<String>,
    #[serde(default)]
    has_more: bool,
}

/// ElevenLabs' REST API with a workspace's key (or anything serving the same API, such as
/// `switchboard sim agent`).
#[derive(Clone)]
pub struct ElevenLabsApi {
    http: reqwest::Client,
    api_base: String,
}

impl std::fmt::Debug for ElevenLabsApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElevenLabsApi")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

impl ElevenLabsApi {
    /// `api_base` is e.g. `https://api.elevenlabs.io`.
    pub fn new(api_base: &str, api_key: &Secret) -> ElevenLabsApi {
        crate::tls::install_crypto_provider();
        let mut headers = HeaderMap::new();
        // A key that is no header value is sent as nothing, and ElevenLabs answers 401.
        if let Ok(mut key) = HeaderValue::from_str(api_key.expose()) {
            key.set_sensitive(true);
            headers.insert("xi-api-key", key);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("an HTTP client with default TLS settings builds");
        ElevenLabsApi {
            http,
            api_base: api_base.trim_end_matches('/').to_owned(),
        }
    }

    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// Creates an agent from `body` (`{conversation_config, platform_settings, name, tags}`);
    /// returns its id.
    pub async fn create_agent(&self, body: &Value) -> Result<String, ElevenLabsError> {
        let created: Created = self
            .send(
                "create the agent",
                Method::POST,
                "/v1/convai/agents/create",
                &[],
                Some(body),
            )
            .await?;
        Ok(created.agent_id)
    }

    pub async fn get_agent(&self, agent_id: &str) -> Result<AgentRecord, ElevenLabsError> {
        self.send(
            &format!("read agent {agent_id}"),
            Method::GET,
            &format!("/v1/convai/agents/{}", segment(agent_id)),
            &[],
            None,
        )
        .await
    }

    /// Changes the agent: objects in `body` are merged, arrays replace the agent's whole.
    pub async fn patch_agent(&self, agent_id: &str, body: &Value) -> Result<AgentRecord, ElevenLabsError> {
        self.send(
            &format!("change agent {agent_id}"),
            Method::PATCH,
            &format!("/v1/convai/agents/{}", segment(agent_id)),
            &[],
            Some(body),
        )
        .await
    }

    pub async fn delete_agent(&self, agent_id: &str) -> Result<(), ElevenLabsError> {
        self.send_for_nothing(
            &format!("delete agent {agent_id}"),
            Method::DELETE,
            &format!("/v1/convai/agents/{}", segment(agent_id)),
            &[],
        )
        .await
    }

    /// The workspace's agents whose name matches `search` (all of them without), every page.
    pub async fn list_agents(&self, search: Option<&str>) -> Result<Vec<AgentSummary>, ElevenLabsError> {
        let mut agents = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![("page_size", PAGE_SIZE.to_owned())];
            query.extend(search.map(|s| ("search", s.to_owned())));
            query.extend(cursor.take().map(|c| ("cursor", c)));
            let page: AgentsPage = self
                .send("list the agents", Method::GET, "/v1/convai/agents", &query, None)
                .await?;
            agents.extend(page.agents);
            match page.next_cursor {
                Some(next) if page.has_more => cursor = Some(next),
                _ => break,
            }
        }
        Ok(agents)
    }

    /// Creates a workspace tool from its `tool_config`.
    pub async fn create_tool(&self, tool_config: &Value) -> Result<ToolRecord, ElevenLabsError> {
        let name = tool_config["name"].as_str().unwrap_or("?");
        self.send(
            &format!("create the tool {name}"),
            Method::POST,
            "/v1/convai/tools",
            &[],
            Some(&json!({ "tool_config": tool_config })),
        )
        .await
    }

    pub async fn get_tool(&self, tool_id: &str) -> Result<ToolRecord, ElevenLabsError> {
        self.send(
            &format!("read tool {tool_id}"),
            Method::GET,
            &format!("/v1/convai/tools/{}", segment(tool_id)),
            &[],
            None,
        )
        .await
    }

    /// Replaces the tool's configuration.
    pub async fn patch_tool(
        &self,
        tool_id: &str,
        tool_config: &Value,
    ) -> Result<ToolRecord, ElevenLabsError> {
        self.send(
            &format!("change tool {tool_id}"),
            Method::PATCH,
            &format!("/v1/convai/tools/{}", segment(tool_id)),
            &[],
            Some(&json!({ "tool_config": tool_config })),
        )
        .await
    }

    /// Deletes the tool, taking it off the agents that list it (`force=true`).
    pub async fn delete_tool(&self, tool_id: &str) -> Result<(), ElevenLabsError> {
        self.send_for_nothing(
            &format!("delete tool {tool_id}"),
            Method::DELETE,
            &format!("/v1/convai/tools/{}", segment(tool_id)),
            &[("force", "true".to_owned())],
        )
        .await
    }

    /// The workspace's tools whose name matches `search` (all of them without), every page.
    pub async fn list_tools(&self, search: Option<&str>) -> Result<Vec<ToolRecord>, ElevenLabsError> {
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![("page_size", PAGE_SIZE.to_owned())];
            query.extend(search.map(|s| ("search", s.to_owned())));
            query.extend(cursor.take().map(|c| ("cursor", c)));
            let page: ToolsPage = self
                .send("list the tools", Method::GET, "/v1/convai/tools", &query, None)
                .await?;
            tools.extend(page.tools);
            match page.next_cursor {
                Some(next) if page.has_more => cursor = Some(next),
                _ => break,
            }
        }
        Ok(tools)
    }

    pub(super) async fn send<T: DeserializeOwned>(
        &self,
        operation: &str,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<T, ElevenLabsError> {
        let bytes = self.exchange(operation, method, path, query, body).await?;
        serde_json::from_slice(&bytes).map_err(|error| ElevenLabsError::Unreadable {
            operation: operation.to_owned(),
            reason: error.to_string(),
        })
    }

    pub(super) async fn send_for_nothing(
        &self,
        operation: &str,
        method: Method,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<(), ElevenLabsError> {
        self.exchange(operation, method, path, query, None)
            .await
            .map(drop)
    }

    /// The body of a successful answer, or the refusal in words.
    async fn exchange(
        &self,
        operation: &str,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<bytes::Bytes, ElevenLabsError> {
        let unreachable = |error: reqwest::Error| ElevenLabsError::Unreachable {
            operation: operation.to_owned(),
            reason: describe(error),
        };
        let mut request = self.http.request(method, format!("{}{path}", self.api_base));
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(unreachable)?;
        if status.is_success() {
            return Ok(bytes);
        }
        Err(ElevenLabsError::Refused {
            operation: operation.to_owned(),
            status: status.as_u16(),
            detail: refusal_detail(status, &bytes),
        })
    }
}

/// An id as one path segment.
pub(super) fn segment(id: &str) -> String {
    percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A reqwest error without its URL, and whether it timed out.
fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        return "no answer in time".to_owned();
    }
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What a refusal's body says: its `detail` (a 422's `loc`: `msg` pairs, an object's
/// `message`, a string), else the body's text, else the status's reason; control characters
/// dropped, at most [`MAX_DETAIL_CHARS`].
pub fn refusal_detail(status: StatusCode, body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let said = match parsed.as_ref().map(|body| &body["detail"]) {
        Some(Value::Array(problems)) => Some(
            problems
                .iter()
                .map(validation_problem)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Some(Value::Object(detail)) => detail
            .get("message")
            .or_else(|| detail.get("status"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| Some(Value::Object(detail.clone()).to_string())),
        Some(Value::String(text)) => Some(text.clone()),
        _ => None,
    };
    let text = said
        .filter(|text| !text.trim().is_empty())
        .or_else(|| {
            let text = String::from_utf8_lossy(body).trim().to_owned();
            (!text.is_empty()).then_some(text)
        })
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("no reason given").to_owned());
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match cleaned.char_indices().nth(MAX_DETAIL_CHARS) {
        Some((cut, _)) => format!("{}…", &cleaned[..cut]),
        None => cleaned,
    }
}

/// One of FastAPI's validation problems: `{"loc": ["body", "conversation_config", "tts"],
/// "msg": "…"}` as `conversation_config.tts: …`.
fn validation_problem(problem: &Value) -> String {
    let location = problem["loc"]
        .as_array()
        .map(|parts| {
            parts
                .iter()
                .filter(|part| part.as_str() != Some("body"))
                .map(|part| match part {
                    Value::String(name) => name.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(".")
        })
        .unwrap_or_default();
    let message = problem["msg"].as_str().unwrap_or("invalid");
    if location.is_empty() {
        message.to_owned()
    } else {
        format!("{location}: {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_validation_refusal_names_each_location_and_message() {
        let body = json!({"detail": [
            {"loc": ["body", "conversation_config", "tts", "agent_output_audio_format"],
             "msg": "Input should be 'pcm_16000' or 'ulaw_8000'", "type": "enum"},
            {"loc": ["body", "tags", 2], "msg": "Input should be a valid string"}
        ]});
        let detail = refusal_detail(StatusCode::UNPROCESSABLE_ENTITY, body.to_string().as_bytes());
        assert_eq!(
            detail,
            "conversation_config.tts.agent_output_audio_format: Input should be 'pcm_16000' or \
             'ulaw_8000'; tags.2: Input should be a valid string"
        );
    }

    #[test]
    fn other_refusals_say_their_message_or_their_text() {
        let object = json!({"detail": {"status": "agent_not_found", "message": "Agent not found"}});
        assert_eq!(
            refusal_detail(StatusCode::NOT_FOUND, object.to_string().as_bytes()),
            "Agent not found"
        );
        let string = json!({"detail": "Invalid API key"});
        assert_eq!(
            refusal_detail(StatusCode::UNAUTHORIZED, string.to_string().as_bytes()),
            "Invalid API key"
        );
        assert_eq!(
            refusal_detail(StatusCode::BAD_GATEWAY, b"upstream\ndown"),
            "upstream down"
        );
        assert_eq!(
            refusal_detail(StatusCode::SERVICE_UNAVAILABLE, b""),
            "Service Unavailable"
        );
        let long = "x".repeat(2 * MAX_DETAIL_CHARS);
        assert_eq!(
            refusal_detail(StatusCode::BAD_REQUEST, long.as_bytes())
                .chars()
                .count(),
            MAX_DETAIL_CHARS + 1
        );
    }

    #[test]
    fn an_error_says_what_was_asked_and_what_came_back() {
        let refused = ElevenLabsError::Refused {
            operation: "create the agent".into(),
            status: 422,
            detail: "tags: too many".into(),
        };
        assert_eq!(
            refused.to_string(),
            "ElevenLabs refused to create the agent (HTTP 422): tags: too many"
        );
        assert!(!refused.is_not_found());
        assert_eq!(refused.status(), Some(422));
    }

    #[test]
    fn the_key_is_not_in_the_client_debug() {
        let api = ElevenLabsApi::new("https://api.elevenlabs.io/", &Secret::new("xi-very-secret"));
        let shown = format!("{api:?}");
        assert!(!shown.contains("xi-very-secret"), "{shown}");
        assert_eq!(api.api_base(), "https://api.elevenlabs.io");
    }
}
