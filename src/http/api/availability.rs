//! `GET /event-types/{id}/availability`: the open times of one of the account's event types
//! over a run of dates (at most `manage::availability::MAX_AVAILABILITY_DAYS`), shown on the
//! clock of the time zone asked for; the same rules the agent's `get_available_slots` reads.

use axum::Json;
use axum::extract::{Path, State};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::{ApiQuery, ApiResult, ApiState, rfc3339_zoned};
use crate::manage::availability::{self, AvailabilityQuery, OpenTimes};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityParams {
    /// The first date, `YYYY-MM-DD`, on the clock of `timezone`.
    #[param(required = true, example = "2026-03-02")]
    pub from: Option<String>,
    /// The last date (included), `YYYY-MM-DD`; at most 62 dates in all.
    #[param(required = true, example = "2026-03-06")]
    pub to: Option<String>,
    /// The IANA time zone to read the dates in and show the times in; the host's when left out.
    #[param(example = "America/New_York")]
    pub timezone: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityBody {
    pub event_type_id: String,
    pub timezone: String,
    #[schema(format = Date)]
    pub from: String,
    #[schema(format = Date)]
    pub to: String,
    /// Every open start in the range, earliest first.
    pub slots: Vec<SlotBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SlotBody {
    /// RFC 3339 with the offset of `timezone`; pass it as a booking's `start`.
    #[schema(format = DateTime)]
    pub start: String,
    #[schema(format = DateTime)]
    pub end: String,
}

impl From<OpenTimes> for AvailabilityBody {
    fn from(open: OpenTimes) -> AvailabilityBody {
        AvailabilityBody {
            event_type_id: open.event_type.id.into_string(),
            timezone: open.timezone,
            from: open.from.to_string(),
            to: open.to.to_string(),
            slots: open
                .slots
                .iter()
                .map(|slot| SlotBody {
                    start: rfc3339_zoned(&slot.start),
                    end: rfc3339_zoned(&slot.end),
                })
                .collect(),
        }
    }
}

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(event_type_availability))
}

/// The open times of an event type between two dates.
#[utoipa::path(get, path = "/event-types/{id}/availability", tag = "bookings",
    operation_id = "event_type_availability",
    params(("id" = String, Path, description = "The event type's id"), AvailabilityParams),
    responses((status = 200, description = "The open times", body = AvailabilityBody)))]
async fn event_type_availability(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<AvailabilityParams>,
) -> ApiResult<Json<AvailabilityBody>> {
    let query = AvailabilityQuery {
        from: params.from,
        to: params.to,
        timezone: params.timezone,
    };
    let open = availability::open_times(&state.store, &scope, &id, &query, Timestamp::now()).await?;
    Ok(Json(open.into()))
}
