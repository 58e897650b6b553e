//! The JSON ElevenLabs answers with: `GetAgentResponseModel`, `AgentSummaryResponseModel`,
//! `ToolResponseModel`, the pages around them, and the error bodies.
//!
//! 404 and 409 bodies use the `{"detail": {"status", "message"}}` shape the API uses for its
//! own errors (as for `invalid_api_key`); the status words are ours.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::workspace::{AgentRecord, Page, Refusal, ToolRecord};

/// Who the sim says created a resource (`ResourceAccessInfo`): the only user of its workspace.
fn access_info() -> Value {
    json!({
        "is_creator": true,
        "creator_name": "switchboard sim",
        "creator_email": "sim@switchboard.invalid",
        "role": "admin",
        "anonymous_access_level_override": null,
        "access_source": "creator",
    })
}

pub fn agent(record: &AgentRecord) -> Value {
    json!({
        "agent_id": record.agent_id,
        "name": record.name,
        "conversation_config": record.conversation_config,
        "metadata": {
            "created_at_unix_secs": record.created_at_unix_secs,
            "updated_at_unix_secs": record.updated_at_unix_secs,
        },
        "platform_settings": record.platform_settings,
        "phone_numbers": [],
        "whatsapp_accounts": [],
        "workflow": record.workflow.clone().unwrap_or_else(
            || json!({"edges": {}, "nodes": {}, "prevent_subagent_loops": false})
        ),
        "access_info": access_info(),
        "tags": record.tags,
        "version_id": null,
        "branch_id": null,
        "main_branch_id": null,
    })
}

pub fn agent_page(page: &Page<AgentRecord>) -> Value {
    let agents: Vec<Value> = page
        .items
        .iter()
        .map(|record| {
            json!({
                "agent_id": record.agent_id,
                "name": record.name,
                "tags": record.tags,
                "created_at_unix_secs": record.created_at_unix_secs,
                "access_info": access_info(),
                "last_call_time_unix_secs": null,
                "archived": record.platform_settings.archived,
            })
        })
        .collect();
    json!({"agents": agents, "next_cursor": page.next_cursor, "has_more": page.has_more})
}

pub fn tool(record: &ToolRecord) -> Value {
    json!({
        "id": record.id,
        "tool_config": record.tool_config,
        "access_info": access_info(),
        "usage_stats": {"total_calls": 0, "avg_latency_secs": 0.0},
        "response_mocks": record.response_mocks,
    })
}

pub fn tool_page(page: &Page<ToolRecord>) -> Value {
    let tools: Vec<Value> = page.items.iter().map(tool).collect();
    json!({"tools": tools, "next_cursor": page.next_cursor, "has_more": page.has_more})
}

pub fn ok(body: Value) -> Response {
    (StatusCode::OK, Json(body)).into_response()
}

pub fn refusal(refusal: Refusal) -> Response {
    match refusal {
        Refusal::Invalid(error) => (StatusCode::UNPROCESSABLE_ENTITY, Json(error.body())).into_response(),
        Refusal::NotFound { kind, id } => {
            let (status, noun) = match kind {
                "agent" => ("agent_not_found", "Agent"),
                "webhook" => ("webhook_not_found", "Webhook"),
                "conversation" => ("conversation_not_found", "Conversation"),
                _ => ("tool_not_found", "Tool"),
            };
            let body =
                json!({"detail": {"status": status, "message": format!("{noun} with id {id} not found")}});
            (StatusCode::NOT_FOUND, Json(body)).into_response()
        }
        Refusal::ToolInUse { tool_id, agents } => {
            let message = format!(
                "Tool {tool_id} is used by {} agent(s): {}. Pass force=true to remove it from them and delete it.",
                agents.len(),
                agents.join(", ")
            );
            let body = json!({"detail": {"status": "tool_in_use", "message": message}});
            (StatusCode::CONFLICT, Json(body)).into_response()
        }
    }
}

/// The body an injected failure answers with: FastAPI's `{"detail": …}` with the status's
/// reason phrase, as ElevenLabs' gateway errors read.
pub fn injected_failure(status: StatusCode) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    (status, Json(json!({"detail": reason}))).into_response()
}
