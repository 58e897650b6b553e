//! `/hosts/{id}/feed`: a host's booking feed address, with the account's key. `POST` makes one
//! (replacing the one the host had) and shows it once; `DELETE` stops it working. The feed
//! itself is served at the address, with no key (`http::feed`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::{ApiResult, ApiState, Created};
use crate::manage::host_feeds::{self, IssuedFeed};

#[derive(Debug, Serialize, ToSchema)]
pub struct HostFeedBody {
    pub host_id: String,
    /// The feed's address (`text/calendar`), to subscribe to in any calendar app. Shown only
    /// now: whoever has it can read the host's bookings, so keep it like a password. Ask for a
    /// new one to replace it.
    pub url: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<IssuedFeed> for HostFeedBody {
    fn from(feed: IssuedFeed) -> HostFeedBody {
        HostFeedBody {
            host_id: feed.host_id,
            url: feed.url,
            created_at: feed.created_at,
        }
    }
}

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(create_host_feed, delete_host_feed))
}

/// Makes the host's booking feed address (an ICS calendar of its confirmed bookings, 30 days
/// back to a year ahead, in the host's time zone), replacing the one it had.
#[utoipa::path(post, path = "/hosts/{id}/feed", tag = "calendar", operation_id = "create_host_feed",
    params(("id" = String, Path, description = "The host's id")),
    responses((status = 201, description = "The feed's address, shown once", body = HostFeedBody)))]
async fn create_host_feed(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Created<HostFeedBody>> {
    let feed = host_feeds::issue(
        &state.store,
        &scope,
        &id,
        &state.public_url,
        jiff::Timestamp::now(),
    )
    .await?;
    Ok(Created(feed.into()))
}

/// Stops the host's feed address working (a subscribed calendar gets 404 from then on).
#[utoipa::path(delete, path = "/hosts/{id}/feed", tag = "calendar", operation_id = "delete_host_feed",
    params(("id" = String, Path, description = "The host's id")),
    responses((status = 204, description = "Revoked")))]
async fn delete_host_feed(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    host_feeds::revoke(&state.store, &scope, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
