//! A host's schedule: `/hosts/{id}/weekly-hours` (read, replace whole),
//! `/hosts/{id}/date-overrides[/{date}]` and `/hosts/{id}/blackout-dates[/{date}]` (list, set,
//! remove). Times are `HH:MM` in the host's time zone (a range ending before it starts runs
//! past midnight; `24:00` ends a day), days `monday`..`sunday`, dates `YYYY-MM-DD`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::extract::parse_json;
use super::{ApiFailure, ApiJson, ApiQuery, ApiResult, ApiState, Listed};
use crate::manage::schedules::{
    self, BlackoutInput, BlackoutView, DateOverrideInput, DateOverrideView, RangeInput, RangeView,
    WeeklyHoursInput, WeeklyHoursView, WeeklyRangeInput,
};

/// An opening range on a day of the week.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyRangeBody {
    /// `monday` .. `sunday`.
    #[schema(example = "monday")]
    pub day: Option<String>,
    /// `HH:MM`, 24-hour, host-local.
    #[schema(example = "09:00")]
    pub start: Option<String>,
    /// `HH:MM`; before `start` when the range runs past midnight; `24:00` is the day's end.
    #[schema(example = "17:00")]
    pub end: Option<String>,
}

/// A host's weekly hours, Monday first. Writing them replaces all there were; an empty list
/// closes every day (date overrides can still open single dates).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHoursBody {
    pub ranges: Option<Vec<WeeklyRangeBody>>,
}

impl From<WeeklyHoursView> for WeeklyHoursBody {
    fn from(view: WeeklyHoursView) -> WeeklyHoursBody {
        WeeklyHoursBody {
            ranges: Some(
                view.ranges
                    .into_iter()
                    .map(|range| WeeklyRangeBody {
                        day: Some(range.day),
                        start: Some(range.start),
                        end: Some(range.end),
                    })
                    .collect(),
            ),
        }
    }
}

/// A range of one date, `HH:MM` to `HH:MM`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RangeBody {
    #[schema(example = "09:00")]
    pub start: Option<String>,
    #[schema(example = "12:00")]
    pub end: Option<String>,
}

impl From<RangeView> for RangeBody {
    fn from(view: RangeView) -> RangeBody {
        RangeBody {
            start: Some(view.start),
            end: Some(view.end),
        }
    }
}

/// What a date has instead of its weekly hours: its own `ranges`, or `"closed": true`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DateOverrideRequest {
    pub ranges: Option<Vec<RangeBody>>,
    pub closed: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DateOverrideBody {
    /// `YYYY-MM-DD`, host-local.
    #[schema(format = Date)]
    pub date: String,
    /// True when the date has no opening at all.
    pub closed: bool,
    /// The date's ranges by start; empty when closed.
    pub ranges: Vec<RangeBody>,
}

impl From<DateOverrideView> for DateOverrideBody {
    fn from(view: DateOverrideView) -> DateOverrideBody {
        DateOverrideBody {
            date: view.date,
            closed: view.closed,
            ranges: view.ranges.into_iter().map(RangeBody::from).collect(),
        }
    }
}

/// Why the date is blacked out; the body may be left out.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlackoutRequest {
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlackoutBody {
    /// `YYYY-MM-DD`, host-local.
    #[schema(format = Date)]
    pub date: String,
    pub reason: Option<String>,
}

impl From<BlackoutView> for BlackoutBody {
    fn from(view: BlackoutView) -> BlackoutBody {
        BlackoutBody {
            date: view.date,
            reason: view.reason,
        }
    }
}

/// Which dates to list; both bounds inclusive, each optional.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateWindow {
    /// `YYYY-MM-DD`: no earlier date.
    pub from: Option<String>,
    /// `YYYY-MM-DD`: no later date.
    pub to: Option<String>,
}

/// A JSON body that may be left out entirely; one that is sent must be JSON.
pub struct OptionalJson<T>(pub Option<T>);

impl<S, T> FromRequest<S> for OptionalJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiFailure;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiFailure> {
        let is_json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ApiFailure::new(rejection.status(), "bad_body", rejection.body_text()))?;
        if bytes.is_empty() {
            return Ok(OptionalJson(None));
        }
        if !is_json {
            return Err(ApiFailure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON with `Content-Type: application/json`, or no body.",
            ));
        }
        parse_json(&bytes).map(|value| OptionalJson(Some(value)))
    }
}

fn ranges_input(ranges: Option<Vec<RangeBody>>) -> Option<Vec<RangeInput>> {
    ranges.map(|ranges| {
        ranges
            .into_iter()
            .map(|range| RangeInput {
                start: range.start,
                end: range.end,
            })
            .collect()
    })
}

/// The whole list of a dated resource, in the shape of a page with no next one.
fn all<T, U>(items: Vec<T>, render: impl FnMut(T) -> U) -> Listed<U> {
    Listed {
        data: items.into_iter().map(render).collect(),
        next_cursor: None,
    }
}

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(get_weekly_hours, set_weekly_hours))
        .routes(routes!(list_date_overrides))
        .routes(routes!(set_date_override, remove_date_override))
        .routes(routes!(list_blackout_dates))
        .routes(routes!(set_blackout_date, remove_blackout_date))
}

#[utoipa::path(get, path = "/hosts/{id}/weekly-hours", tag = "calendar", operation_id = "get_weekly_hours",
    params(("id" = String, Path, description = "The host's id")),
    responses((status = 200, description = "The host's weekly hours", body = WeeklyHoursBody)))]
async fn get_weekly_hours(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<WeeklyHoursBody>> {
    Ok(Json(
        schedules::weekly_hours(&state.store, &scope, &id).await?.into(),
    ))
}

/// Replaces all of the host's weekly hours. Overlapping ranges, or one with no length, are
/// refused naming the range (`ranges[2]`), and nothing changes.
#[utoipa::path(put, path = "/hosts/{id}/weekly-hours", tag = "calendar", operation_id = "set_weekly_hours",
    params(("id" = String, Path, description = "The host's id")),
    request_body = WeeklyHoursBody,
    responses((status = 200, description = "The host's weekly hours as they are now", body = WeeklyHoursBody)))]
async fn set_weekly_hours(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WeeklyHoursBody>,
) -> ApiResult<Json<WeeklyHoursBody>> {
    let input = WeeklyHoursInput {
        ranges: body.ranges.map(|ranges| {
            ranges
                .into_iter()
                .map(|range| WeeklyRangeInput {
                    day: range.day,
                    start: range.start,
                    end: range.end,
                })
                .collect()
        }),
    };
    Ok(Json(
        schedules::set_weekly_hours(&state.store, &scope, &id, input)
            .await?
            .into(),
    ))
}

/// The host's date overrides, by date.
#[utoipa::path(get, path = "/hosts/{id}/date-overrides", tag = "calendar", operation_id = "list_date_overrides",
    params(("id" = String, Path, description = "The host's id"), DateWindow),
    responses((status = 200, description = "Every override in the window; next_cursor is always null", body = Listed<DateOverrideBody>)))]
async fn list_date_overrides(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiQuery(window): ApiQuery<DateWindow>,
) -> ApiResult<Json<Listed<DateOverrideBody>>> {
    let overrides = schedules::date_overrides(
        &state.store,
        &scope,
        &id,
        window.from.as_deref(),
        window.to.as_deref(),
    )
    .await?;
    Ok(Json(all(overrides, DateOverrideBody::from)))
}

/// Sets what the date has instead of its weekly hours, replacing any override it had.
#[utoipa::path(put, path = "/hosts/{id}/date-overrides/{date}", tag = "calendar", operation_id = "set_date_override",
    params(("id" = String, Path, description = "The host's id"),
        ("date" = String, Path, description = "`YYYY-MM-DD`, host-local", pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")),
    request_body = DateOverrideRequest,
    responses((status = 200, description = "The date's override", body = DateOverrideBody)))]
async fn set_date_override(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path((id, date)): Path<(String, String)>,
    ApiJson(body): ApiJson<DateOverrideRequest>,
) -> ApiResult<Json<DateOverrideBody>> {
    let input = DateOverrideInput {
        ranges: ranges_input(body.ranges),
        closed: body.closed,
    };
    Ok(Json(
        schedules::set_date_override(&state.store, &scope, &id, &date, input)
            .await?
            .into(),
    ))
}

/// Removes the date's override: the date follows the weekly hours again.
#[utoipa::path(delete, path = "/hosts/{id}/date-overrides/{date}", tag = "calendar", operation_id = "remove_date_override",
    params(("id" = String, Path, description = "The host's id"),
        ("date" = String, Path, description = "`YYYY-MM-DD`, host-local", pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")),
    responses((status = 204, description = "Removed")))]
async fn remove_date_override(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path((id, date)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    schedules::remove_date_override(&state.store, &scope, &id, &date).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The host's blackout dates, by date.
#[utoipa::path(get, path = "/hosts/{id}/blackout-dates", tag = "calendar", operation_id = "list_blackout_dates",
    params(("id" = String, Path, description = "The host's id"), DateWindow),
    responses((status = 200, description = "Every blackout date in the window; next_cursor is always null", body = Listed<BlackoutBody>)))]
async fn list_blackout_dates(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiQuery(window): ApiQuery<DateWindow>,
) -> ApiResult<Json<Listed<BlackoutBody>>> {
    let blackouts = schedules::blackouts(
        &state.store,
        &scope,
        &id,
        window.from.as_deref(),
        window.to.as_deref(),
    )
    .await?;
    Ok(Json(all(blackouts, BlackoutBody::from)))
}

/// Blacks the date out: no bookings at all that day. Again replaces the reason.
#[utoipa::path(put, path = "/hosts/{id}/blackout-dates/{date}", tag = "calendar", operation_id = "set_blackout_date",
    params(("id" = String, Path, description = "The host's id"),
        ("date" = String, Path, description = "`YYYY-MM-DD`, host-local", pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")),
    request_body(content = BlackoutRequest, description = "Optional: the date may be put with no body"),
    responses((status = 200, description = "The blackout date", body = BlackoutBody)))]
async fn set_blackout_date(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path((id, date)): Path<(String, String)>,
    OptionalJson(body): OptionalJson<BlackoutRequest>,
) -> ApiResult<Json<BlackoutBody>> {
    let body = body.unwrap_or_default();
    let input = BlackoutInput { reason: body.reason };
    Ok(Json(
        schedules::set_blackout(&state.store, &scope, &id, &date, input)
            .await?
            .into(),
    ))
}

/// Lifts the blackout.
#[utoipa::path(delete, path = "/hosts/{id}/blackout-dates/{date}", tag = "calendar", operation_id = "remove_blackout_date",
    params(("id" = String, Path, description = "The host's id"),
        ("date" = String, Path, description = "`YYYY-MM-DD`, host-local", pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")),
    responses((status = 204, description = "Removed")))]
async fn remove_blackout_date(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path((id, date)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    schedules::remove_blackout(&state.store, &scope, &id, &date).await?;
    Ok(StatusCode::NO_CONTENT)
}
