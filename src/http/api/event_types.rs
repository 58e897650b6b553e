//! `/event-types`: the kinds of meeting the account offers and the rules of their slots, with the
//! account's key. Durations are whole minutes.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::hosts::present;
use super::{ApiJson, ApiQuery, ApiResult, ApiState, Created, ListQuery, Listed};
use crate::manage::event_types::{self, EventTypePatch, EventTypeView, NewEventTypeInput};

#[derive(Debug, Serialize, ToSchema)]
pub struct EventTypeBody {
    pub id: String,
    /// The host whose calendar it is booked on.
    pub host_id: String,
    /// Unique in the account: lowercase letters, digits and single hyphens.
    pub slug: String,
    pub name: String,
    pub description: String,
    pub duration_minutes: u32,
    pub buffer_before_minutes: u32,
    pub buffer_after_minutes: u32,
    /// A booking must start at least this long after it is made.
    pub minimum_notice_minutes: u32,
    /// Spacing of offered starts; null means the duration.
    pub slot_interval_minutes: Option<u32>,
    /// The last bookable day is today (in the host's zone) plus this many days.
    pub max_days_ahead: u32,
    /// At most this many bookings of this event type start on one day; null for no limit.
    pub per_day_limit: Option<u32>,
    /// An inactive event type offers no slots and takes no bookings.
    pub active: bool,
    /// A secret event type is never offered by an agent.
    pub secret: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<EventTypeView> for EventTypeBody {
    fn from(view: EventTypeView) -> EventTypeBody {
        EventTypeBody {
            id: view.id,
            host_id: view.host_id,
            slug: view.slug,
            name: view.name,
            description: view.description,
            duration_minutes: view.duration_minutes,
            buffer_before_minutes: view.buffer_before_minutes,
            buffer_after_minutes: view.buffer_after_minutes,
            minimum_notice_minutes: view.minimum_notice_minutes,
            slot_interval_minutes: view.slot_interval_minutes,
            max_days_ahead: view.max_days_ahead,
            per_day_limit: view.per_day_limit,
            active: view.active,
            secret: view.secret,
            created_at: view.created_at,
        }
    }
}

/// A new event type: `host_id`, `slug`, `name` and `duration_minutes` are required. Left out:
/// no description, buffers or notice, starts spaced by the duration, 60 days ahead, no daily
/// limit, active, not secret.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEventTypeBody {
    #[schema(required = true)]
    pub host_id: Option<String>,
    #[schema(required = true, example = "intro-call", max_length = 64)]
    pub slug: Option<String>,
    #[schema(required = true, max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[schema(required = true, minimum = 1, maximum = 1440)]
    pub duration_minutes: Option<i64>,
    #[schema(minimum = 0, maximum = 1440)]
    pub buffer_before_minutes: Option<i64>,
    #[schema(minimum = 0, maximum = 1440)]
    pub buffer_after_minutes: Option<i64>,
    #[schema(minimum = 0, maximum = 525600)]
    pub minimum_notice_minutes: Option<i64>,
    #[schema(minimum = 1, maximum = 1440)]
    pub slot_interval_minutes: Option<i64>,
    #[schema(minimum = 1, maximum = 730)]
    pub max_days_ahead: Option<i64>,
    #[schema(minimum = 1, maximum = 1000)]
    pub per_day_limit: Option<i64>,
    pub active: Option<bool>,
    pub secret: Option<bool>,
}

/// Changes to an event type; a field left out stays as it is. Bookings already made keep
/// their times.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventTypePatchBody {
    /// Moves the event type to another host's calendar.
    pub host_id: Option<String>,
    #[schema(max_length = 64)]
    pub slug: Option<String>,
    #[schema(max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    #[schema(minimum = 1, maximum = 1440)]
    pub duration_minutes: Option<i64>,
    #[schema(minimum = 0, maximum = 1440)]
    pub buffer_before_minutes: Option<i64>,
    #[schema(minimum = 0, maximum = 1440)]
    pub buffer_after_minutes: Option<i64>,
    #[schema(minimum = 0, maximum = 525600)]
    pub minimum_notice_minutes: Option<i64>,
    /// Null spaces starts by the duration.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1440)]
    pub slot_interval_minutes: Option<Option<i64>>,
    #[schema(minimum = 1, maximum = 730)]
    pub max_days_ahead: Option<i64>,
    /// Null removes the limit.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub per_day_limit: Option<Option<i64>>,
    pub active: Option<bool>,
    pub secret: Option<bool>,
}

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_event_types, create_event_type))
        .routes(routes!(get_event_type, update_event_type, delete_event_type))
}

/// The account's event types, oldest first.
#[utoipa::path(get, path = "/event-types", tag = "calendar", operation_id = "list_event_types", params(ListQuery),
    responses((status = 200, description = "A page of event types", body = Listed<EventTypeBody>)))]
async fn list_event_types(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Listed<EventTypeBody>>> {
    let page = event_types::list(&state.store, &scope, &query.page()?).await?;
    Ok(Json(Listed::from_page(page, EventTypeBody::from)))
}

/// Adds an event type on a host's calendar. A slug the account already uses is 409
/// `slug_taken`.
#[utoipa::path(post, path = "/event-types", tag = "calendar", operation_id = "create_event_type",
    request_body = NewEventTypeBody,
    responses((status = 201, description = "The event type", body = EventTypeBody)))]
async fn create_event_type(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<NewEventTypeBody>,
) -> ApiResult<Created<EventTypeBody>> {
    let input = NewEventTypeInput {
        host_id: body.host_id,
        slug: body.slug,
        name: body.name,
        description: body.description,
        duration_minutes: body.duration_minutes,
        buffer_before_minutes: body.buffer_before_minutes,
        buffer_after_minutes: body.buffer_after_minutes,
        minimum_notice_minutes: body.minimum_notice_minutes,
        slot_interval_minutes: body.slot_interval_minutes,
        max_days_ahead: body.max_days_ahead,
        per_day_limit: body.per_day_limit,
        active: body.active,
        secret: body.secret,
    };
    Ok(Created(
        event_types::create(&state.store, &scope, input).await?.into(),
    ))
}

#[utoipa::path(get, path = "/event-types/{id}", tag = "calendar", operation_id = "get_event_type",
    params(("id" = String, Path, description = "The event type's id")),
    responses((status = 200, description = "The event type", body = EventTypeBody)))]
async fn get_event_type(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<EventTypeBody>> {
    Ok(Json(event_types::get(&state.store, &scope, &id).await?.into()))
}

#[utoipa::path(patch, path = "/event-types/{id}", tag = "calendar", operation_id = "update_event_type",
    params(("id" = String, Path, description = "The event type's id")),
    request_body = EventTypePatchBody,
    responses((status = 200, description = "The event type as it is now", body = EventTypeBody)))]
async fn update_event_type(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EventTypePatchBody>,
) -> ApiResult<Json<EventTypeBody>> {
    let patch = EventTypePatch {
        host_id: body.host_id,
        slug: body.slug,
        name: body.name,
        description: body.description,
        duration_minutes: body.duration_minutes,
        buffer_before_minutes: body.buffer_before_minutes,
        buffer_after_minutes: body.buffer_after_minutes,
        minimum_notice_minutes: body.minimum_notice_minutes,
        slot_interval_minutes: body.slot_interval_minutes,
        max_days_ahead: body.max_days_ahead,
        per_day_limit: body.per_day_limit,
        active: body.active,
        secret: body.secret,
    };
    Ok(Json(
        event_types::update(&state.store, &scope, &id, patch)
            .await?
            .into(),
    ))
}

/// Deletes an event type. One with bookings is kept (409 `event_type_in_use`; set
/// `"active": false` instead), and so is one an agent offers by link (unlink it first).
#[utoipa::path(delete, path = "/event-types/{id}", tag = "calendar", operation_id = "delete_event_type",
    params(("id" = String, Path, description = "The event type's id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_event_type(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    event_types::delete(&state.store, &scope, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
