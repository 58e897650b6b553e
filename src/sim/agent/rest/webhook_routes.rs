//! The REST routes for workspace webhooks (`/v1/workspace/webhooks…`) and hosted
//! conversations (`/v1/convai/conversations…`). Each handler checks the `xi-api-key`, reads
//! the request, calls the [`Workspace`](super::Workspace) and renders.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, patch};
use serde_json::{Value, json};

use super::conversations::ConversationFilter;
use super::routes::{
    Params, RestState, first, json_body, now_unix, page_request, query_bool, respond, unauthorized,
};
use super::validation::FieldError;
use super::webhooks;
use super::workspace::Refusal;

pub fn routes() -> Router<RestState> {
    Router::new()
        .route("/v1/workspace/webhooks", get(list_webhooks).post(create_webhook))
        .route(
            "/v1/workspace/webhooks/{webhook_id}",
            patch(update_webhook).delete(delete_webhook),
        )
        .route("/v1/convai/conversations", get(list_conversations))
        .route(
            "/v1/convai/conversations/{conversation_id}",
            get(get_conversation),
        )
}

async fn create_webhook(State(state): State<RestState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    respond(json_body(&body).and_then(|body| {
        let record = state.workspace.webhooks().create(&body, now_unix())?;
        Ok(json!({"webhook_id": record.webhook_id, "webhook_secret": record.secret}))
    }))
}

async fn list_webhooks(
    State(state): State<RestState>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    respond(query_bool(&params, "include_usages").map(|include_usages| {
        let webhooks: Vec<Value> = state
            .workspace
            .webhooks()
            .list()
            .iter()
            .map(|record| {
                let usage = include_usages.unwrap_or(false).then(|| {
                    let in_use = state.workspace.webhook_in_use(&record.webhook_id);
                    if in_use {
                        vec!["ConvAI Agent Settings"]
                    } else {
                        Vec::new()
                    }
                });
                webhooks::render(record, usage)
            })
            .collect();
        json!({ "webhooks": webhooks })
    }))
}

async fn update_webhook(
    State(state): State<RestState>,
    headers: HeaderMap,
    Path(webhook_id): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    respond(json_body(&body).and_then(|body| {
        state.workspace.webhooks().update(&webhook_id, &body)?;
        Ok(json!({"status": "ok"}))
    }))
}

async fn delete_webhook(
    State(state): State<RestState>,
    headers: HeaderMap,
    Path(webhook_id): Path<String>,
) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    respond(
        state
            .workspace
            .webhooks()
            .delete(&webhook_id)
            .map(|()| json!({"status": "ok"})),
    )
}

async fn get_conversation(
    State(state): State<RestState>,
    headers: HeaderMap,
    Path(conversation_id): Path<String>,
) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    respond(
        state
            .workspace
            .conversations()
            .get(&conversation_id)
            .map(|record| record.render())
            .ok_or(Refusal::NotFound {
                kind: "conversation",
                id: conversation_id,
            }),
    )
}

async fn list_conversations(
    State(state): State<RestState>,
    headers: HeaderMap,
    Query(params): Params,
) -> Response {
    if let Some(refusal) = unauthorized(&state, &headers) {
        return refusal;
    }
    respond(conversation_filter(&params).map(|filter| {
        let page = state.workspace.conversations().list(&filter);
        let conversations: Vec<Value> = page.conversations.iter().map(|c| c.render_summary()).collect();
        json!({"conversations": conversations, "next_cursor": page.next_cursor, "has_more": page.has_more})
    }))
}

/// The listing's filters: `agent_id`, `user_id`, `call_start_after_unix`,
/// `call_start_before_unix`, `page_size` (1 to 100) and `cursor`.
fn conversation_filter(params: &[(String, String)]) -> Result<ConversationFilter, Refusal> {
    let page = page_request(params)?;
    let cursor = match page.cursor.as_deref() {
        None | Some("") => None,
        Some(text) => Some(text.parse::<u64>().map_err(|_| {
            Refusal::Invalid(FieldError::new(
                "value_error",
                vec![json!("query"), json!("cursor")],
                "Value error, Invalid cursor",
                json!(text),
            ))
        })?),
    };
    Ok(ConversationFilter {
        agent_id: first(params, "agent_id").map(str::to_owned),
        user_id: first(params, "user_id").map(str::to_owned),
        call_start_after_unix: query_int(params, "call_start_after_unix")?,
        call_start_before_unix: query_int(params, "call_start_before_unix")?,
        page_size: page.page_size,
        cursor,
    })
}

fn query_int(params: &[(String, String)], name: &'static str) -> Result<Option<i64>, Refusal> {
    first(params, name)
        .map(|text| {
            text.parse::<i64>().map_err(|_| {
                Refusal::Invalid(FieldError::new(
                    "int_parsing",
                    vec![json!("query"), json!(name)],
                    "Input should be a valid integer, unable to parse string as an integer",
                    json!(text),
                ))
            })
        })
        .transpose()
}
