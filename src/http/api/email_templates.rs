//! `/email-templates`: the emails sent after a booking change and a call, one subject and
//! body per kind. Listed with the template in use, set per kind (`PUT`), and put back to the
//! built-in one (`DELETE`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::sms_templates::TemplateSourceBody;
use super::{ApiJson, ApiResult, ApiState, rfc3339};
use crate::email::templates::{MAX_BODY_CHARS, MAX_SUBJECT_CHARS};
use crate::manage::email_templates::{self, EmailTemplateView};
use crate::manage::sms_templates::TemplateSource;

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_email_templates))
        .routes(routes!(put_email_template, delete_email_template))
}

const KINDS: &str = "invitee_confirmation, invitee_reschedule, invitee_cancellation, host_confirmation, \
                     host_reschedule, host_cancellation or call_summary";

/// One kind's email.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailTemplateBody {
    /// `invitee_confirmation`, `invitee_reschedule`, `invitee_cancellation` (to the invitee,
    /// with the calendar invitation), `host_confirmation`, `host_reschedule`,
    /// `host_cancellation` (to the host), `call_summary` (to the business after a call).
    pub kind: String,
    /// The subject, with `{{variable}}` placeholders.
    pub subject: String,
    /// The plain-text body, with `{{variable}}` placeholders.
    pub body: String,
    pub source: TemplateSourceBody,
    /// The variables this kind's subject and body may use.
    pub variables: Vec<String>,
    /// The subject and body rendered with the account's name and a sample booking.
    pub preview_subject: String,
    pub preview_body: String,
    /// When the account saved it; null for the built-in one.
    #[schema(format = DateTime)]
    pub updated_at: Option<String>,
}

impl From<EmailTemplateView> for EmailTemplateBody {
    fn from(view: EmailTemplateView) -> EmailTemplateBody {
        let kind = view.template.kind;
        EmailTemplateBody {
            kind: kind.as_str().to_owned(),
            variables: kind.variables().iter().map(|v| (*v).to_owned()).collect(),
            subject: view.template.subject,
            body: view.template.body,
            source: match view.source {
                TemplateSource::Account => TemplateSourceBody::Account,
                TemplateSource::BuiltIn => TemplateSourceBody::BuiltIn,
            },
            preview_subject: view.preview_subject,
            preview_body: view.preview_body,
            updated_at: view.updated_at.map(rfc3339),
        }
    }
}

/// Every kind's email.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailTemplateListBody {
    pub data: Vec<EmailTemplateBody>,
}

/// A kind's new email.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutEmailTemplateBody {
    /// Using only the kind's variables as `{{name}}`; at most 200 characters, on one line once
    /// rendered (line breaks become spaces).
    #[schema(min_length = 1, max_length = 200)]
    pub subject: String,
    /// Plain text using only the kind's variables as `{{name}}`; at most 20,000 characters.
    #[schema(min_length = 1, max_length = 20000)]
    pub body: String,
}

const _: () = assert!(MAX_SUBJECT_CHARS == 200 && MAX_BODY_CHARS == 20_000);

/// Every kind's email: the account's own or the built-in one.
#[utoipa::path(get, path = "/email-templates", tag = "email-templates", operation_id = "list_email_templates",
    responses((status = 200, description = "The emails", body = EmailTemplateListBody)))]
async fn list_email_templates(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
) -> ApiResult<Json<EmailTemplateListBody>> {
    let views = email_templates::list(&state.store, &scope).await?;
    Ok(Json(EmailTemplateListBody {
        data: views.into_iter().map(Into::into).collect(),
    }))
}

/// Sets the account's email of a kind. 422 naming `subject` or `body` for a variable the kind
/// has not (the variable named), an unclosed `{{`, an empty or too long text; 404 for an
/// unknown kind.
#[utoipa::path(put, path = "/email-templates/{kind}", tag = "email-templates", operation_id = "put_email_template",
    params(("kind" = String, Path, description = KINDS)),
    request_body = PutEmailTemplateBody,
    responses((status = 200, description = "The email, saved", body = EmailTemplateBody)))]
async fn put_email_template(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(kind): Path<String>,
    ApiJson(body): ApiJson<PutEmailTemplateBody>,
) -> ApiResult<Json<EmailTemplateBody>> {
    let view = email_templates::put(
        &state.store,
        &scope,
        &kind,
        &body.subject,
        &body.body,
        jiff::Timestamp::now(),
    )
    .await?;
    Ok(Json(view.into()))
}

/// Puts a kind back to the built-in email.
#[utoipa::path(delete, path = "/email-templates/{kind}", tag = "email-templates", operation_id = "delete_email_template",
    params(("kind" = String, Path, description = KINDS)),
    responses((status = 204, description = "The built-in email applies")))]
async fn delete_email_template(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(kind): Path<String>,
) -> ApiResult<StatusCode> {
    email_templates::reset(&state.store, &scope, &kind).await?;
    Ok(StatusCode::NO_CONTENT)
}
