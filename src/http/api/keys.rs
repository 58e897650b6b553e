//! `/keys`: an account's API keys, made (the secret shown once), listed and revoked.

use axum::Json;
use axum::extract::{Path, State};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::{ApiJson, ApiQuery, ApiResult, ApiState, Created, ListQuery, Listed, rfc3339};
use crate::manage::IssuedKey;
use crate::store::{ApiKey, ApiKeyId};

/// A key as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyBody {
    pub id: String,
    pub name: String,
    /// The key's first characters, to tell keys apart (`sbk_` and 12 more).
    pub prefix: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
}

impl From<ApiKey> for KeyBody {
    fn from(key: ApiKey) -> KeyBody {
        KeyBody {
            id: key.id.into_string(),
            name: key.name,
            prefix: format!("{}{}", crate::manage::keys::KEY_PREFIX, key.lookup),
            created_at: rfc3339(key.created_at),
            last_used_at: key.last_used_at.map(rfc3339),
            revoked_at: key.revoked_at.map(rfc3339),
        }
    }
}

/// A key just made, with its secret: shown this once, never again.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedKeyBody {
    #[serde(flatten)]
    pub key: KeyBody,
    /// The whole key, for `Authorization: Bearer`. Keep it now: it cannot be shown again.
    pub secret: String,
}

impl From<IssuedKey> for IssuedKeyBody {
    fn from(issued: IssuedKey) -> IssuedKeyBody {
        IssuedKeyBody {
            key: issued.key.into(),
            secret: issued.secret,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyBody {
    /// What the key is for, 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
}

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_keys, create_key))
        .routes(routes!(revoke_key))
}

/// The account's keys, oldest first.
#[utoipa::path(get, path = "/keys", tag = "keys", operation_id = "list_keys", params(ListQuery),
    responses((status = 200, description = "A page of keys", body = Listed<KeyBody>)))]
async fn list_keys(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Listed<KeyBody>>> {
    let page = state.keys.list(Some(&scope.account_id), &query.page()?).await?;
    Ok(Json(Listed::from_page(page, KeyBody::from)))
}

/// Makes a key for the account; its secret is in this answer only.
#[utoipa::path(post, path = "/keys", tag = "keys", operation_id = "create_key", request_body = NewKeyBody,
    responses((status = 201, description = "The key, with its secret", body = IssuedKeyBody)))]
async fn create_key(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<NewKeyBody>,
) -> ApiResult<Created<IssuedKeyBody>> {
    let issued = state.keys.issue(Some(&scope.account_id), &body.name).await?;
    Ok(Created(issued.into()))
}

/// Revokes a key of the account, at once and for good.
#[utoipa::path(delete, path = "/keys/{id}", tag = "keys", operation_id = "revoke_key",
    params(("id" = String, Path, description = "The key's id")),
    responses((status = 200, description = "The key, revoked", body = KeyBody)))]
async fn revoke_key(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<KeyBody>> {
    let key = state
        .keys
        .revoke(Some(&scope.account_id), &ApiKeyId::from(id), Timestamp::now())
        .await?;
    Ok(Json(key.into()))
}
