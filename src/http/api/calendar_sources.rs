//! `/hosts/{host_id}/calendar-sources`: a host's own calendars, whose events count as busy.
//! Added, listed, read, changed, deleted and synced at once; each answered with its status.
//! The password is taken, never given back.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::{ApiJson, ApiQuery, ApiResult, ApiState, Created, ListQuery, Listed, rfc3339};
use crate::manage::calendar_sources::{self, NewSourceInput, SourcePatch, SourceView};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_calendar_sources, create_calendar_source))
        .routes(routes!(
            get_calendar_source,
            update_calendar_source,
            delete_calendar_source
        ))
        .routes(routes!(sync_calendar_source))
}

/// A calendar source and how its copy stands (the password is never shown).
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarSourceBody {
    pub id: String,
    pub host_id: String,
    /// `ics` (an address serving an iCalendar file) or `caldav` (a CalDAV calendar).
    pub kind: String,
    pub name: String,
    pub url: String,
    pub username: String,
    /// Whether a password is stored (sealed; it is never shown).
    pub has_password: bool,
    /// Bookings are written to this calendar (CalDAV only).
    pub writable: bool,
    /// When the calendar was last read well (or found unchanged).
    #[schema(format = DateTime)]
    pub last_synced_at: Option<String>,
    /// True when availability is using an old copy (or none): the last read failed, or the
    /// last good one is older than a few poll intervals.
    pub stale: bool,
    /// Why the last read failed, or which events were left out of the last copy.
    pub last_error: Option<String>,
    #[schema(format = DateTime)]
    pub last_attempt_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<SourceView> for CalendarSourceBody {
    fn from(view: SourceView) -> CalendarSourceBody {
        let source = view.source;
        CalendarSourceBody {
            id: source.id,
            host_id: source.host_id.as_str().to_owned(),
            kind: source.kind.as_str().to_owned(),
            name: source.name,
            url: source.url,
            username: source.username,
            has_password: !source.password_sealed.is_empty(),
            writable: source.writable,
            last_synced_at: view.freshness.last_synced_at.map(rfc3339),
            stale: view.freshness.stale,
            last_error: source.last_error,
            last_attempt_at: source.last_attempt_at.map(rfc3339),
            created_at: rfc3339(source.created_at),
            updated_at: rfc3339(source.updated_at),
        }
    }
}

/// A calendar source to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCalendarSourceBody {
    /// `ics` or `caldav`.
    #[schema(required = true)]
    pub kind: Option<String>,
    /// `https://…` (a Google or Outlook secret address, or a CalDAV collection).
    #[schema(required = true, min_length = 1, max_length = 2048)]
    pub url: Option<String>,
    #[schema(max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 200)]
    pub username: Option<String>,
    /// Stored encrypted; never shown again.
    #[schema(max_length = 200)]
    pub password: Option<String>,
    /// Write bookings to this calendar (CalDAV only); `false` when left out.
    pub writable: Option<bool>,
}

/// Changes to a calendar source: a field left out stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarSourcePatchBody {
    #[schema(min_length = 1, max_length = 2048)]
    pub url: Option<String>,
    #[schema(max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 200)]
    pub username: Option<String>,
    /// A new password; empty removes it.
    #[schema(max_length = 200)]
    pub password: Option<String>,
    pub writable: Option<bool>,
}

/// The host's calendar sources, the newest first.
#[utoipa::path(get, path = "/hosts/{host_id}/calendar-sources", tag = "calendar", operation_id = "list_calendar_sources",
    params(("host_id" = String, Path, description = "The host's id"), ListQuery),
    responses((status = 200, description = "A page of calendar sources", body = Listed<CalendarSourceBody>)))]
async fn list_calendar_sources(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(host_id): Path<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Listed<CalendarSourceBody>>> {
    let page =
        calendar_sources::list(&state.store, &state.calendars, &scope, &host_id, &query.page()?).await?;
    Ok(Json(Listed::from_page(page, CalendarSourceBody::from)))
}

/// Adds a calendar whose events count as the host's busy time; it is read in the background.
#[utoipa::path(post, path = "/hosts/{host_id}/calendar-sources", tag = "calendar", operation_id = "create_calendar_source",
    params(("host_id" = String, Path, description = "The host's id")),
    request_body = NewCalendarSourceBody,
    responses((status = 201, description = "The calendar source", body = CalendarSourceBody)))]
async fn create_calendar_source(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(host_id): Path<String>,
    ApiJson(body): ApiJson<NewCalendarSourceBody>,
) -> ApiResult<Created<CalendarSourceBody>> {
    let new = NewSourceInput {
        kind: body.kind,
        url: body.url,
        name: body.name,
        username: body.username,
        password: body.password,
        writable: body.writable,
    };
    let source = calendar_sources::create(&state.store, &state.calendars, &scope, &host_id, new).await?;
    Ok(Created(source.into()))
}

/// One calendar source with its status.
#[utoipa::path(get, path = "/hosts/{host_id}/calendar-sources/{id}", tag = "calendar", operation_id = "get_calendar_source",
    params(("host_id" = String, Path, description = "The host's id"), ("id" = String, Path, description = "The source's id")),
    responses((status = 200, description = "The calendar source", body = CalendarSourceBody)))]
async fn get_calendar_source(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path((host_id, id)): Path<(String, String)>,
) -> ApiResult<Json<CalendarSourceBody>> {
    let source = calendar_sources::get(&state.store, &state.calendars, &scope, &host_id, &id).await?;
    Ok(Json(source.into()))
}

/// Changes a calendar source; it is read again in the background.
#[utoipa::path(patch, path = "/hosts/{host_id}/calendar-sources/{id}", tag = "calendar", operation_id = "update_calendar_source",
    params(("host_id" = String, Path, description = "The host's id"), ("id" = String, Path, description = "The source's id")),
    request_body = CalendarSourcePatchBody,
    responses((status = 200, description = "The calendar source as it is now", body = CalendarSourceBody)))]
async fn update_calendar_source(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path((host_id, id)): Path<(String, String)>,
    ApiJson(body): ApiJson<CalendarSourcePatchBody>,
) -> ApiResult<Json<CalendarSourceBody>> {
    let patch = SourcePatch {
        url: body.url,
        name: body.name,
        username: body.username,
        password: body.password,
        writable: body.writable,
    };
    let source =
        calendar_sources::update(&state.store, &state.calendars, &scope, &host_id, &id, patch).await?;
    Ok(Json(source.into()))
}

/// Deletes a calendar source; its events no longer count as busy.
#[utoipa::path(delete, path = "/hosts/{host_id}/calendar-sources/{id}", tag = "calendar", operation_id = "delete_calendar_source",
    params(("host_id" = String, Path, description = "The host's id"), ("id" = String, Path, description = "The source's id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_calendar_source(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path((host_id, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    calendar_sources::delete(&state.store, &scope, &host_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reads the calendar now instead of at the next poll, and answers how it stands.
#[utoipa::path(post, path = "/hosts/{host_id}/calendar-sources/{id}/sync", tag = "calendar", operation_id = "sync_calendar_source",
    params(("host_id" = String, Path, description = "The host's id"), ("id" = String, Path, description = "The source's id")),
    responses((status = 200, description = "The calendar source after the read", body = CalendarSourceBody)))]
async fn sync_calendar_source(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path((host_id, id)): Path<(String, String)>,
) -> ApiResult<Json<CalendarSourceBody>> {
    let source = calendar_sources::sync_now(&state.store, &state.calendars, &scope, &host_id, &id).await?;
    Ok(Json(source.into()))
}
