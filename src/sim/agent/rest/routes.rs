//! The REST routes for provisioning: agents and workspace tools, on ElevenLabs' paths. Each
//! handler checks the `xi-api-key`, reads the request, calls the [`Workspace`] and renders.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::render;
use super::validation::{FieldError, json_invalid};
use super::workspace::{PageRequest, Refusal, Workspace};

/// What the REST routes need: the workspace, and the key requests must carry (none: open).
#[derive(Debug, Clone)]
pub struct RestState {
    pub workspace: Workspace,
    pub api_key: Option<String>,
}

pub fn router(state: RestState) -> Router {
    Router::new()
        .route("/v1/convai/agents/create", post(create_agent))
        .route("/v1/convai/agents", get(list_agents))
        .route(
            "/v1/convai/agents/{agent_id}",
            get(get_agent).patch(update_agent).delete(delete_agent),
        )
        .route("/v1/convai/tools", post(create_tool).get(list_tools))
        .route(
            "/v1/convai/tools/{tool_id}",
            get(get_tool).patch(update_tool).delete(delete_tool),
        )
        .merge(super::webhook_routes::routes())
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// FastAPI's answer to a known path with another method.
async fn method_not_allowed() -> Response {
    let body = json!({"detail": "Method Not Allowed"});
    (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
}

pub(super) type Params = Query<Vec<(String, String)>>;

pub(super) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// The request's JSON body, or pydantic's `json_invalid`.
pub(super) fn json_body(body: &Bytes) -> Result<Value, Refusal> {
    serde_json::from_slice(body).map_err(|error| Refusal::Invalid(json_invalid(&error)))
}

pub(super) fn respond(result: Result<Value, Refusal>) -> Response {
    result.map_or_else(render::refusal, render::ok)
}

/// The 401 for a request without the workspace's `xi-api-key`, if it lacks it.
pub(super) fn unauthorized(state: &RestState, headers: &HeaderMap) -> Option<Response> {
    crate::sim::agent::server::api_key_refusal(state.api_key.as_deref(), headers)
}

async fn create_agent(State(state): State<RestState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    respond(json_body(&body).and_then(|body| {
        let agent_id = state.workspace.create_agent(&body, now_unix())?;
        Ok(json!({ "agent_id": agent_id }))
    }))
}

async fn get_agent(
    State(state): State<RestState>,
    headers: HeaderMap,
    Path(agent_id): Path<String>,
) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    respond(
        state
            .workspace
            .agent(&agent_id)
            .map(|record| render::agent(&record))
            .ok_or(Refusal::NotFound {
                kind: "agent",
                id: agent_id,
            }),
    )
}

async fn update_agent(
    State(state): State<RestState>,
    headers: HeaderMap,
    Path(agent_id): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    respond(json_body(&body).and_then(|body| {
        let record = state.workspace.update_agent(&agent_id, &body, now_unix())?;
        Ok(render::agent(&record))
    }))
}

async fn delete_agent(
    State(state): State<RestState>,
    headers: HeaderMap,
    Path(agent_id): Path<String>,
) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    match state.workspace.delete_agent(&agent_id) {
        // The spec lists 204 "Agent successfully deleted".
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(refusal) => render::refusal(refusal),
    }
}

async fn list_agents(State(state): State<RestState>, headers: HeaderMap, Query(params): Params) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    respond(page_request(&params).and_then(|request| {
        let page = state.workspace.agents(&request)?;
        Ok(render::agent_page(&page))
    }))
}

async fn create_tool(State(state): State<RestState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    respond(json_body(&body).and_then(|body| {
        let record = state.workspace.create_tool(&body, now_unix())?;
        Ok(render::tool(&record))
    }))
}

async fn get_tool(
    State(state): State<RestState>,
    headers: HeaderMap,
    Path(tool_id): Path<String>,
) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    respond(
        state
            .workspace
            .tool(&tool_id)
            .map(|record| render::tool(&record))
            .ok_or(Refusal::NotFound {
                kind: "tool",
                id: tool_id,
            }),
    )
}

async fn update_tool(
    State(state): State<RestState>,
    headers: HeaderMap,
    Path(tool_id): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    respond(json_body(&body).and_then(|body| {
        let record = state.workspace.update_tool(&tool_id, &body)?;
        Ok(render::tool(&record))
    }))
}

async fn delete_tool(
    State(state): State<RestState>,
    headers: HeaderMap,
    Path(tool_id): Path<String>,
    Query(params): Params,
) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    respond(query_bool(&params, "force").and_then(|force| {
        state
            .workspace
            .delete_tool(&tool_id, force.unwrap_or(false), now_unix())?;
        Ok(json!({}))
    }))
}

async fn list_tools(State(state): State<RestState>, headers: HeaderMap, Query(params): Params) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    const TYPES: [&str; 4] = ["webhook", "client", "system", "mcp"];
    let types: Vec<String> = values(&params, "types").map(str::to_owned).collect();
    if let Some((index, bad)) = types
        .iter()
        .enumerate()
        .find(|(_, t)| !TYPES.contains(&t.as_str()))
    {
        let error = FieldError::new(
            "enum",
            vec![json!("query"), json!("types"), json!(index)],
            "Input should be 'webhook', 'client', 'system' or 'mcp'",
            json!(bad),
        );
        return render::refusal(Refusal::Invalid(error));
    }
    respond(page_request(&params).and_then(|request| {
        let page = state.workspace.tools(&request, &types)?;
        Ok(render::tool_page(&page))
    }))
}

pub(super) fn values<'a>(
    params: &'a [(String, String)],
    name: &'static str,
) -> impl Iterator<Item = &'a str> {
    params
        .iter()
        .filter(move |(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

pub(super) fn first<'a>(params: &'a [(String, String)], name: &'static str) -> Option<&'a str> {
    values(params, name).next()
}

/// `page_size` (1 to 100, default 30), `cursor` and `search`, checked as FastAPI does.
pub(super) fn page_request(params: &[(String, String)]) -> Result<PageRequest, Refusal> {
    let page_size = match first(params, "page_size") {
        None => 30,
        Some(text) => {
            let loc = vec![json!("query"), json!("page_size")];
            let size: i64 = text.parse().map_err(|_| {
                Refusal::Invalid(FieldError::new(
                    "int_parsing",
                    loc.clone(),
                    "Input should be a valid integer, unable to parse string as an integer",
                    json!(text),
                ))
            })?;
            let (kind, msg) = match size {
                ..1 => ("greater_than_equal", "Input should be greater than or equal to 1"),
                101.. => ("less_than_equal", "Input should be less than or equal to 100"),
                _ => ("", ""),
            };
            if !kind.is_empty() {
                return Err(Refusal::Invalid(FieldError::new(kind, loc, msg, json!(text))));
            }
            size as usize
        }
    };
    Ok(PageRequest {
        page_size,
        cursor: first(params, "cursor").map(str::to_owned),
        search: first(params, "search")
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    })
}

/// A boolean query parameter, read as pydantic reads one.
pub(super) fn query_bool(params: &[(String, String)], name: &'static str) -> Result<Option<bool>, Refusal> {
    let Some(text) = first(params, name) else {
        return Ok(None);
    };
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "t" | "y" => Ok(Some(true)),
        "false" | "0" | "no" | "off" | "f" | "n" => Ok(Some(false)),
        _ => Err(Refusal::Invalid(FieldError::new(
            "bool_parsing",
            vec![json!("query"), json!(name)],
            "Input should be a valid boolean, unable to interpret input",
            json!(text),
        ))),
    }
}
