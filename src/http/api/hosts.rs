//! `/hosts`: the people (or rooms) whose time is booked, with the account's key. Their schedules
//! are in `schedules`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::{ApiJson, ApiQuery, ApiResult, ApiState, Created, ListQuery, Listed};
use crate::manage::hosts::{self, HostPatch, HostView, NewHostInput};

#[derive(Debug, Serialize, ToSchema)]
pub struct HostBody {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    /// IANA time zone in which the host's hours, overrides and blackout dates are read.
    pub timezone: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<HostView> for HostBody {
    fn from(view: HostView) -> HostBody {
        HostBody {
            id: view.id,
            name: view.name,
            email: view.email,
            timezone: view.timezone,
            created_at: view.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHostBody {
    /// Required; 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub email: Option<String>,
    /// Required: an IANA time zone (`America/New_York`, `UTC`), not an abbreviation.
    pub timezone: Option<String>,
}

/// Changes to a host; a field left out stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HostPatchBody {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Null removes the email.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// Moving a host to another zone keeps its hours as local times of the new zone.
    pub timezone: Option<String>,
}

/// A field that may be null: absent is `None`, null is `Some(None)`.
pub(super) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_hosts, create_host))
        .routes(routes!(get_host, update_host, delete_host))
}

/// The account's hosts, oldest first.
#[utoipa::path(get, path = "/hosts", tag = "calendar", operation_id = "list_hosts", params(ListQuery),
    responses((status = 200, description = "A page of hosts", body = Listed<HostBody>)))]
async fn list_hosts(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Listed<HostBody>>> {
    let page = hosts::list(&state.store, &scope, &query.page()?).await?;
    Ok(Json(Listed::from_page(page, HostBody::from)))
}

/// Adds a host (with no hours yet: `PUT /hosts/{id}/weekly-hours` opens it).
#[utoipa::path(post, path = "/hosts", tag = "calendar", operation_id = "create_host",
    request_body = NewHostBody,
    responses((status = 201, description = "The host", body = HostBody)))]
async fn create_host(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<NewHostBody>,
) -> ApiResult<Created<HostBody>> {
    let input = NewHostInput {
        name: body.name,
        email: body.email,
        timezone: body.timezone,
    };
    Ok(Created(hosts::create(&state.store, &scope, input).await?.into()))
}

#[utoipa::path(get, path = "/hosts/{id}", tag = "calendar", operation_id = "get_host",
    params(("id" = String, Path, description = "The host's id")),
    responses((status = 200, description = "The host", body = HostBody)))]
async fn get_host(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<HostBody>> {
    Ok(Json(hosts::get(&state.store, &scope, &id).await?.into()))
}

#[utoipa::path(patch, path = "/hosts/{id}", tag = "calendar", operation_id = "update_host",
    params(("id" = String, Path, description = "The host's id")),
    request_body = HostPatchBody,
    responses((status = 200, description = "The host as it is now", body = HostBody)))]
async fn update_host(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<HostPatchBody>,
) -> ApiResult<Json<HostBody>> {
    let patch = HostPatch {
        name: body.name,
        email: body.email,
        timezone: body.timezone,
    };
    Ok(Json(
        hosts::update(&state.store, &scope, &id, patch).await?.into(),
    ))
}

/// Deletes a host and its schedule. A host that event types or bookings use is kept: 409
/// `host_in_use`, naming them.
#[utoipa::path(delete, path = "/hosts/{id}", tag = "calendar", operation_id = "delete_host",
    params(("id" = String, Path, description = "The host's id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_host(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    hosts::delete(&state.store, &scope, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
