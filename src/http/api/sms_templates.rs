//! `/sms-templates`: the texts sent to callers after their calls, one per kind
//! (`booking_confirmation`, `info_recap`, `follow_up_needed`). Listed with the text in use,
//! set per kind (`PUT`), and put back to the built-in text (`DELETE`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::{ApiJson, ApiResult, ApiState, rfc3339};
use crate::manage::sms_templates::{self, TemplateSource, TemplateView};
use crate::messaging::templates::{MAX_SEGMENTS, MAX_TEMPLATE_CHARS};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_sms_templates))
        .routes(routes!(put_sms_template, delete_sms_template))
}

/// Where a kind's text comes from.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TemplateSourceBody {
    /// The account's own text.
    Account,
    /// The built-in text (the account saved none).
    BuiltIn,
}

/// One kind's follow-up text.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmsTemplateBody {
    /// `booking_confirmation` (a booking made or changed), `info_recap` (information given),
    /// `follow_up_needed` (a voicemail, a transfer, nothing done).
    pub kind: String,
    /// The text, with `{{variable}}` placeholders.
    pub body: String,
    pub source: TemplateSourceBody,
    /// The variables this kind's text may use.
    pub variables: Vec<String>,
    /// The text rendered with the account's name and booking page and a sample booking.
    pub preview: String,
    /// The preview's SMS segments (each billed as one message).
    pub segments: u32,
    /// When the account saved its text; null for the built-in one.
    #[schema(format = DateTime)]
    pub updated_at: Option<String>,
}

impl From<TemplateView> for SmsTemplateBody {
    fn from(view: TemplateView) -> SmsTemplateBody {
        SmsTemplateBody {
            kind: view.kind.as_str().to_owned(),
            variables: view.kind.variables().iter().map(|v| (*v).to_owned()).collect(),
            body: view.body,
            source: match view.source {
                TemplateSource::Account => TemplateSourceBody::Account,
                TemplateSource::BuiltIn => TemplateSourceBody::BuiltIn,
            },
            preview: view.preview,
            segments: u32::try_from(view.segments).unwrap_or(u32::MAX),
            updated_at: view.updated_at.map(rfc3339),
        }
    }
}

/// Every kind's text.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmsTemplateListBody {
    pub data: Vec<SmsTemplateBody>,
}

/// A kind's new text.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutSmsTemplateBody {
    /// The text, using only the kind's variables as `{{name}}`; at most 612 characters, and at
    /// most 4 SMS segments once rendered with sample values.
    #[schema(min_length = 1, max_length = 612)]
    pub body: String,
}

const _: () = assert!(MAX_TEMPLATE_CHARS == 612 && MAX_SEGMENTS == 4);

/// Every kind's follow-up text: the account's own or the built-in one.
#[utoipa::path(get, path = "/sms-templates", tag = "sms-templates", operation_id = "list_sms_templates",
    responses((status = 200, description = "The texts", body = SmsTemplateListBody)))]
async fn list_sms_templates(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
) -> ApiResult<Json<SmsTemplateListBody>> {
    let views = sms_templates::list(&state.store, &scope).await?;
    Ok(Json(SmsTemplateListBody {
        data: views.into_iter().map(Into::into).collect(),
    }))
}

/// Sets the account's text of a kind. 422 naming `body` for a variable the kind has not, an
/// unclosed `{{`, or a text over 4 SMS segments once rendered; 404 for an unknown kind.
#[utoipa::path(put, path = "/sms-templates/{kind}", tag = "sms-templates", operation_id = "put_sms_template",
    params(("kind" = String, Path, description = "booking_confirmation, info_recap or follow_up_needed")),
    request_body = PutSmsTemplateBody,
    responses((status = 200, description = "The text, saved", body = SmsTemplateBody)))]
async fn put_sms_template(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(kind): Path<String>,
    ApiJson(body): ApiJson<PutSmsTemplateBody>,
) -> ApiResult<Json<SmsTemplateBody>> {
    let view = sms_templates::put(&state.store, &scope, &kind, &body.body, jiff::Timestamp::now()).await?;
    Ok(Json(view.into()))
}

/// Puts a kind back to the built-in text.
#[utoipa::path(delete, path = "/sms-templates/{kind}", tag = "sms-templates", operation_id = "delete_sms_template",
    params(("kind" = String, Path, description = "booking_confirmation, info_recap or follow_up_needed")),
    responses((status = 204, description = "The built-in text applies")))]
async fn delete_sms_template(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(kind): Path<String>,
) -> ApiResult<StatusCode> {
    sms_templates::reset(&state.store, &scope, &kind).await?;
    Ok(StatusCode::NO_CONTENT)
}
