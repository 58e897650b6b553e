//! `/email-settings`: where the account's call summaries go.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::{ApiJson, ApiResult, ApiState};
use crate::manage::email_settings::{self, EmailSettings};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(get_email_settings, put_email_settings))
}

/// The account's email settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailSettingsBody {
    /// The address that gets a summary of each call (the `call_summary` email); null: none.
    #[schema(format = "email")]
    pub summary_to: Option<String>,
}

impl From<EmailSettings> for EmailSettingsBody {
    fn from(settings: EmailSettings) -> EmailSettingsBody {
        EmailSettingsBody {
            summary_to: settings.summary_to,
        }
    }
}

/// The account's new email settings, whole.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutEmailSettingsBody {
    /// An email address, at most 254 characters; null (or left out) sends no summaries.
    #[serde(default)]
    #[schema(max_length = 254)]
    pub summary_to: Option<String>,
}

/// The account's email settings.
#[utoipa::path(get, path = "/email-settings", tag = "email-settings", operation_id = "get_email_settings",
    responses((status = 200, description = "The settings", body = EmailSettingsBody)))]
async fn get_email_settings(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
) -> ApiResult<Json<EmailSettingsBody>> {
    Ok(Json(email_settings::get(&state.store, &scope).await?.into()))
}

/// Sets the account's email settings. 422 naming `summary_to` for what is not an address.
#[utoipa::path(put, path = "/email-settings", tag = "email-settings", operation_id = "put_email_settings",
    request_body = PutEmailSettingsBody,
    responses((status = 200, description = "The settings, saved", body = EmailSettingsBody)))]
async fn put_email_settings(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<PutEmailSettingsBody>,
) -> ApiResult<Json<EmailSettingsBody>> {
    let settings = email_settings::put(
        &state.store,
        &scope,
        body.summary_to.as_deref(),
        jiff::Timestamp::now(),
    )
    .await?;
    Ok(Json(settings.into()))
}
