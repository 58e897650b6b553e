//! `/agents`: an account's voice agents. List (with the plan they share), create within the
//! plan, read with the event types it offers and its active hours, change, delete, choose its
//! event types (replaced whole) and its active hours.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::Timestamp;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::agent_bodies::{
    ActiveHoursBody, ActiveHoursPatchBody, AgentBody, AgentDetailBody, AgentEventTypeBody, AgentPageBody,
    AgentPatchBody, AgentUsageBody, EventTypeIdsBody, NewAgentBody,
};
use super::auth::AccountKey;
use super::{ApiJson, ApiQuery, ApiResult, ApiState, Created, ErrorBody, ListQuery, Listed};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_agents, create_agent))
        .routes(routes!(get_agent, update_agent, delete_agent))
        .routes(routes!(set_event_types))
        .routes(routes!(get_active_hours, update_active_hours))
}

/// The account's agents, oldest first, with the plan they share: how many agents it allows and
/// the billing period's minutes, one pool for all the agents.
#[utoipa::path(get, path = "/agents", tag = "agents", operation_id = "list_agents", params(ListQuery),
    responses((status = 200, description = "A page of agents", body = AgentPageBody)))]
async fn list_agents(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<AgentPageBody>> {
    let list = state
        .agents
        .list(&scope, &query.page()?, Timestamp::now())
        .await?;
    let usage = AgentUsageBody::from(&list);
    let listed = Listed::from_page(list.page, AgentBody::from);
    Ok(Json(AgentPageBody {
        data: listed.data,
        next_cursor: listed.next_cursor,
        usage,
        plan: list.plan.into(),
    }))
}

/// Makes an agent; 403 `plan_limit` past the plan's agents, or for a number on a plan without
/// numbers. With provisioning on, its ElevenLabs agent is created (or, given
/// `elevenlabs_agent_id`, adopted) with the booking tools; 502 `provisioning_failed` when
/// ElevenLabs fails, after undoing what was done.
#[utoipa::path(post, path = "/agents", tag = "agents", operation_id = "create_agent",
    request_body = NewAgentBody,
    responses((status = 201, description = "The agent", body = AgentBody),
        (status = 502, description = "ElevenLabs failed; nothing was left behind, or the message says what was", body = ErrorBody)))]
async fn create_agent(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<NewAgentBody>,
) -> ApiResult<Created<AgentBody>> {
    Ok(Created(state.agents.create(&scope, body.into()).await?.into()))
}

/// One agent, with the event types it offers and its active hours.
#[utoipa::path(get, path = "/agents/{id}", tag = "agents", operation_id = "get_agent",
    params(("id" = String, Path, description = "The agent's id")),
    responses((status = 200, description = "The agent", body = AgentDetailBody)))]
async fn get_agent(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<AgentDetailBody>> {
    Ok(Json(state.agents.get(&scope, &id).await?.into()))
}

/// Changes an agent's fields; with provisioning on, a change to what its ElevenLabs agent
/// carries (name, greeting, business context, voice, language) is made there first.
#[utoipa::path(patch, path = "/agents/{id}", tag = "agents", operation_id = "update_agent",
    params(("id" = String, Path, description = "The agent's id")),
    request_body = AgentPatchBody,
    responses((status = 200, description = "The agent as it is now", body = AgentBody),
        (status = 502, description = "ElevenLabs failed; nothing was changed, or the message says what was", body = ErrorBody)))]
async fn update_agent(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AgentPatchBody>,
) -> ApiResult<Json<AgentBody>> {
    Ok(Json(state.agents.update(&scope, &id, body.into()).await?.into()))
}

/// Deletes an agent: it stops answering, its number is free, its calls keep their history.
/// With provisioning on, its ElevenLabs agent is deleted too (retried later when ElevenLabs
/// fails).
#[utoipa::path(delete, path = "/agents/{id}", tag = "agents", operation_id = "delete_agent",
    params(("id" = String, Path, description = "The agent's id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_agent(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.agents.delete(&scope, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the event types the agent offers; an empty list offers every active, non-secret
/// event type of the account.
#[utoipa::path(put, path = "/agents/{id}/event-types", tag = "agents", operation_id = "set_agent_event_types",
    params(("id" = String, Path, description = "The agent's id")),
    request_body = EventTypeIdsBody,
    responses((status = 200, description = "The event types now linked", body = Vec<AgentEventTypeBody>)))]
async fn set_event_types(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EventTypeIdsBody>,
) -> ApiResult<Json<Vec<AgentEventTypeBody>>> {
    let linked = state
        .agents
        .set_event_types(&scope, &id, &body.event_type_ids)
        .await?;
    Ok(Json(linked.into_iter().map(Into::into).collect()))
}

/// The agent's active hours (never set: not enabled, an empty week).
#[utoipa::path(get, path = "/agents/{id}/active-hours", tag = "agents", operation_id = "get_agent_active_hours",
    params(("id" = String, Path, description = "The agent's id")),
    responses((status = 200, description = "The active hours", body = ActiveHoursBody)))]
async fn get_active_hours(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ActiveHoursBody>> {
    Ok(Json(state.agents.active_hours(&scope, &id).await?.into()))
}

/// Changes the agent's active hours; `schedule` replaces the whole week.
#[utoipa::path(patch, path = "/agents/{id}/active-hours", tag = "agents", operation_id = "update_agent_active_hours",
    params(("id" = String, Path, description = "The agent's id")),
    request_body = ActiveHoursPatchBody,
    responses((status = 200, description = "The active hours as they are now", body = ActiveHoursBody)))]
async fn update_active_hours(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ActiveHoursPatchBody>,
) -> ApiResult<Json<ActiveHoursBody>> {
    Ok(Json(
        state
            .agents
            .set_active_hours(&scope, &id, body.into())
            .await?
            .into(),
    ))
}
