//! `/webhook-endpoints`: where the account's events are sent. Made (the signing secret shown in
//! that answer only), listed, read, changed, deleted, the secret rotated, and each endpoint's
//! delivery log.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::{ApiJson, ApiQuery, ApiResult, ApiState, Created, ListQuery, Listed, rfc3339};
use crate::manage::webhook_endpoints::{self, EndpointPatch, NewEndpointInput};
use crate::store::{WebhookDelivery, WebhookEndpoint};

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhook_endpoints, create_webhook_endpoint))
        .routes(routes!(
            get_webhook_endpoint,
            update_webhook_endpoint,
            delete_webhook_endpoint
        ))
        .routes(routes!(rotate_webhook_secret))
        .routes(routes!(list_webhook_deliveries))
}

/// An endpoint (its secret is only in the answers that make or rotate it).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointBody {
    pub id: String,
    pub url: String,
    pub description: String,
    /// The event types sent: `booking.created`, `booking.rescheduled`, `booking.cancelled`,
    /// `call.ended`, `sms.received`.
    pub events: Vec<String>,
    pub enabled: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<WebhookEndpoint> for WebhookEndpointBody {
    fn from(endpoint: WebhookEndpoint) -> WebhookEndpointBody {
        WebhookEndpointBody {
            id: endpoint.id,
            url: endpoint.url,
            description: endpoint.description,
            events: endpoint.events,
            enabled: endpoint.enabled,
            created_at: rfc3339(endpoint.created_at),
            updated_at: rfc3339(endpoint.updated_at),
        }
    }
}

/// An endpoint with its signing secret: shown here once, kept by the client.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEndpointWithSecretBody {
    #[serde(flatten)]
    pub endpoint: WebhookEndpointBody,
    /// `whsec_…`: the key of each delivery's `Switchboard-Signature`. Not shown again.
    pub secret: String,
}

impl From<WebhookEndpoint> for WebhookEndpointWithSecretBody {
    fn from(mut endpoint: WebhookEndpoint) -> WebhookEndpointWithSecretBody {
        let secret = std::mem::take(&mut endpoint.secret);
        WebhookEndpointWithSecretBody {
            endpoint: endpoint.into(),
            secret,
        }
    }
}

/// An endpoint to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookEndpointBody {
    /// `https://…`, to which each event is POSTed.
    #[schema(required = true, min_length = 1, max_length = 2048)]
    pub url: Option<String>,
    /// At least one event type.
    #[schema(required = true, min_items = 1)]
    pub events: Option<Vec<String>>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// `true` when left out.
    pub enabled: Option<bool>,
}

/// Changes to an endpoint: a field left out stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpointPatchBody {
    #[schema(min_length = 1, max_length = 2048)]
    pub url: Option<String>,
    #[schema(min_items = 1)]
    pub events: Option<Vec<String>>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// One delivery of an event to an endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDeliveryBody {
    /// Also sent as `Switchboard-Delivery`.
    pub id: String,
    /// The event's id (the body's `id`).
    pub event_id: String,
    pub event_type: String,
    /// `pending`, `sending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made so far.
    pub attempts: u32,
    /// The HTTP status of the last answer, if one came.
    pub last_status_code: Option<u16>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    #[schema(format = DateTime)]
    pub last_attempt_at: Option<String>,
    /// When the next attempt is due (while pending).
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
    #[schema(format = DateTime)]
    pub delivered_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<WebhookDelivery> for WebhookDeliveryBody {
    fn from(delivery: WebhookDelivery) -> WebhookDeliveryBody {
        let pending = delivery.status == crate::store::DeliveryStatus::Pending;
        WebhookDeliveryBody {
            id: delivery.id,
            event_id: delivery.event_id,
            event_type: delivery.event_type,
            status: delivery.status.as_str().to_owned(),
            attempts: delivery.attempts,
            last_status_code: delivery.last_status_code,
            last_error: delivery.last_error,
            last_attempt_at: delivery.last_attempt_at.map(rfc3339),
            next_attempt_at: pending.then(|| rfc3339(delivery.next_attempt_at)),
            delivered_at: delivery.delivered_at.map(rfc3339),
            created_at: rfc3339(delivery.created_at),
        }
    }
}

/// The account's endpoints, the newest first.
#[utoipa::path(get, path = "/webhook-endpoints", tag = "webhooks", operation_id = "list_webhook_endpoints",
    params(ListQuery),
    responses((status = 200, description = "A page of endpoints", body = Listed<WebhookEndpointBody>)))]
async fn list_webhook_endpoints(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Listed<WebhookEndpointBody>>> {
    let page = webhook_endpoints::list(&state.store, &scope, &query.page()?).await?;
    Ok(Json(Listed::from_page(page, WebhookEndpointBody::from)))
}

/// Makes an endpoint. The answer holds its signing secret, shown this once.
#[utoipa::path(post, path = "/webhook-endpoints", tag = "webhooks", operation_id = "create_webhook_endpoint",
    request_body = NewWebhookEndpointBody,
    responses((status = 201, description = "The endpoint, with its secret", body = WebhookEndpointWithSecretBody)))]
async fn create_webhook_endpoint(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<NewWebhookEndpointBody>,
) -> ApiResult<Created<WebhookEndpointWithSecretBody>> {
    let new = NewEndpointInput {
        url: body.url,
        events: body.events,
        description: body.description,
        enabled: body.enabled,
    };
    let endpoint = webhook_endpoints::create(&state.store, &scope, state.webhook_urls, new).await?;
    Ok(Created(endpoint.into()))
}

/// One endpoint.
#[utoipa::path(get, path = "/webhook-endpoints/{id}", tag = "webhooks", operation_id = "get_webhook_endpoint",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The endpoint", body = WebhookEndpointBody)))]
async fn get_webhook_endpoint(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookEndpointBody>> {
    Ok(Json(
        webhook_endpoints::get(&state.store, &scope, &id).await?.into(),
    ))
}

/// Changes an endpoint's URL, events, description or whether it is enabled.
#[utoipa::path(patch, path = "/webhook-endpoints/{id}", tag = "webhooks", operation_id = "update_webhook_endpoint",
    params(("id" = String, Path, description = "The endpoint's id")),
    request_body = WebhookEndpointPatchBody,
    responses((status = 200, description = "The endpoint as it is now", body = WebhookEndpointBody)))]
async fn update_webhook_endpoint(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WebhookEndpointPatchBody>,
) -> ApiResult<Json<WebhookEndpointBody>> {
    let patch = EndpointPatch {
        url: body.url,
        events: body.events,
        description: body.description,
        enabled: body.enabled,
    };
    let endpoint = webhook_endpoints::update(&state.store, &scope, state.webhook_urls, &id, patch).await?;
    Ok(Json(endpoint.into()))
}

/// Deletes an endpoint and its delivery log; nothing more is sent to it.
#[utoipa::path(delete, path = "/webhook-endpoints/{id}", tag = "webhooks", operation_id = "delete_webhook_endpoint",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = 204, description = "Deleted")))]
async fn delete_webhook_endpoint(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    webhook_endpoints::delete(&state.store, &scope, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Gives the endpoint a new signing secret, shown in this answer once; deliveries from now on
/// are signed with it.
#[utoipa::path(post, path = "/webhook-endpoints/{id}/rotate-secret", tag = "webhooks",
    operation_id = "rotate_webhook_secret",
    params(("id" = String, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The endpoint, with its new secret", body = WebhookEndpointWithSecretBody)))]
async fn rotate_webhook_secret(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookEndpointWithSecretBody>> {
    Ok(Json(
        webhook_endpoints::rotate_secret(&state.store, &scope, &id)
            .await?
            .into(),
    ))
}

/// The endpoint's delivery log, the newest first.
#[utoipa::path(get, path = "/webhook-endpoints/{id}/deliveries", tag = "webhooks",
    operation_id = "list_webhook_deliveries",
    params(("id" = String, Path, description = "The endpoint's id"), ListQuery),
    responses((status = 200, description = "A page of deliveries", body = Listed<WebhookDeliveryBody>)))]
async fn list_webhook_deliveries(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Listed<WebhookDeliveryBody>>> {
    let page = webhook_endpoints::deliveries(&state.store, &scope, &id, &query.page()?).await?;
    Ok(Json(Listed::from_page(page, WebhookDeliveryBody::from)))
}
