//! `/contacts`: an account's contacts (one per phone number, shared with the agent's
//! `upsert_contact`), searched, read, made and changed, and each one's CRM log.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::{ApiJson, ApiQuery, ApiResult, ApiState, Created, ListQuery, Listed, rfc3339};
use crate::manage::contacts::{self, ContactPatch, NewContactInput};
use crate::store::{Activity, Contact};

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactBody {
    pub id: String,
    pub name: Option<String>,
    /// E.164; unique within the account.
    pub phone: String,
    pub email: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Contact> for ContactBody {
    fn from(contact: Contact) -> ContactBody {
        ContactBody {
            id: contact.id.into_string(),
            name: contact.name,
            phone: contact.phone,
            email: contact.email,
            created_at: rfc3339(contact.created_at),
            updated_at: rfc3339(contact.updated_at),
        }
    }
}

/// One entry of a contact's CRM log.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityBody {
    pub id: String,
    /// `call`, `booking`, `sms`, `note`, `voicemail`, ...
    pub kind: String,
    pub summary: String,
    /// What the entry records beyond its summary (a booking's id and reference, ...).
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<Activity> for ActivityBody {
    fn from(activity: Activity) -> ActivityBody {
        ActivityBody {
            id: activity.id.into_string(),
            kind: activity.kind.as_str().to_owned(),
            summary: activity.summary,
            detail: activity.detail,
            created_at: rfc3339(activity.created_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ContactListParams {
    /// Rows per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(min_length = 1)]
    pub cursor: Option<String>,
    /// Contacts whose name contains this text (any case), or, written like a phone number,
    /// whose number contains its digits.
    pub search: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContactBody {
    /// E.164, like `+14155550123`.
    #[schema(required = true)]
    pub phone: Option<String>,
    #[schema(max_length = 200)]
    pub name: Option<String>,
    pub email: Option<String>,
}

/// Changes to a contact: a field left out stays as it is; `null` clears `name` or `email`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatchBody {
    /// E.164; can be changed, not cleared.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
}

/// A field that is there, `null` or not: `Some(None)` for `null` (a left-out field is `None`
/// through `#[serde(default)]`).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, update_contact))
        .routes(routes!(contact_activities))
}

/// The account's contacts, the most recently added first.
#[utoipa::path(get, path = "/contacts", tag = "contacts", operation_id = "list_contacts",
    params(ContactListParams),
    responses((status = 200, description = "A page of contacts", body = Listed<ContactBody>)))]
async fn list_contacts(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiQuery(params): ApiQuery<ContactListParams>,
) -> ApiResult<Json<Listed<ContactBody>>> {
    let page = ListQuery {
        limit: params.limit,
        cursor: params.cursor,
    }
    .page()?;
    let found = contacts::list(&state.store, &scope, params.search.as_deref(), &page).await?;
    Ok(Json(Listed::from_page(found, ContactBody::from)))
}

/// Adds a contact; a number the account already has is 409 `contact_exists`.
#[utoipa::path(post, path = "/contacts", tag = "contacts", operation_id = "create_contact",
    request_body = NewContactBody,
    responses((status = 201, description = "The contact", body = ContactBody)))]
async fn create_contact(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<NewContactBody>,
) -> ApiResult<Created<ContactBody>> {
    let new = NewContactInput {
        phone: body.phone,
        name: body.name,
        email: body.email,
    };
    Ok(Created(contacts::create(&state.store, &scope, new).await?.into()))
}

/// One contact.
#[utoipa::path(get, path = "/contacts/{id}", tag = "contacts", operation_id = "get_contact",
    params(("id" = String, Path, description = "The contact's id")),
    responses((status = 200, description = "The contact", body = ContactBody)))]
async fn get_contact(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ContactBody>> {
    Ok(Json(contacts::get(&state.store, &scope, &id).await?.into()))
}

/// Changes a contact's number, name or email.
#[utoipa::path(patch, path = "/contacts/{id}", tag = "contacts", operation_id = "update_contact",
    params(("id" = String, Path, description = "The contact's id")),
    request_body = ContactPatchBody,
    responses((status = 200, description = "The contact as it is now", body = ContactBody)))]
async fn update_contact(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ContactPatchBody>,
) -> ApiResult<Json<ContactBody>> {
    let patch = ContactPatch {
        phone: body.phone,
        name: body.name,
        email: body.email,
    };
    Ok(Json(
        contacts::update(&state.store, &scope, &id, patch).await?.into(),
    ))
}

/// A contact's CRM log, the most recent first.
#[utoipa::path(get, path = "/contacts/{id}/activities", tag = "contacts", operation_id = "contact_activities",
    params(("id" = String, Path, description = "The contact's id"), ListQuery),
    responses((status = 200, description = "A page of the contact's activities", body = Listed<ActivityBody>)))]
async fn contact_activities(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Listed<ActivityBody>>> {
    let log = contacts::activities(&state.store, &scope, &id, &query.page()?).await?;
    Ok(Json(Listed::from_page(log, ActivityBody::from)))
}
