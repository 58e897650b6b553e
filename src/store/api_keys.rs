//! API keys as stored: a name, the key's public lookup part and the SHA-256 of the whole key,
//! never the key itself. Making and checking keys is `manage::keys`; this file only keeps them.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::StoreResult;
use super::ids::{AccountId, ApiKeyId};
use super::page::{Page, PageRequest};
use super::row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    /// `None` for an operator's key.
    pub account_id: Option<AccountId>,
    pub name: String,
    /// The key's public part, by which a request finds its row.
    pub lookup: String,
    /// Hex SHA-256 of the whole key.
    pub secret_hash: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub account_id: Option<AccountId>,
    pub name: String,
    pub lookup: String,
    pub secret_hash: String,
}

macro_rules! key_columns {
    () => {
        "id, account_id, name, lookup, secret_hash, created_at, last_used_at, revoked_at"
    };
}

impl ApiKey {
    fn from_row(row: &AnyRow) -> StoreResult<ApiKey> {
        Ok(ApiKey {
            id: row::text(row, "id")?.into(),
            account_id: row::opt_text(row, "account_id")?.map(AccountId::from),
            name: row::text(row, "name")?,
            lookup: row::text(row, "lookup")?,
            secret_hash: row::text(row, "secret_hash")?,
            created_at: row::instant(row, "created_at")?,
            last_used_at: row::opt_instant(row, "last_used_at")?,
            revoked_at: row::opt_instant(row, "revoked_at")?,
        })
    }
}

impl Store {
    pub async fn insert_api_key(&self, new: NewApiKey) -> StoreResult<ApiKey> {
        let key = ApiKey {
            id: ApiKeyId::generate(),
            account_id: new.account_id,
            name: new.name,
            lookup: new.lookup,
            secret_hash: new.secret_hash,
            created_at: row::now(),
            last_used_at: None,
            revoked_at: None,
        };
        sqlx::query(
            "INSERT INTO api_keys (id, account_id, name, lookup, secret_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(key.id.as_str())
        .bind(key.account_id.as_ref().map(AccountId::as_str))
        .bind(&key.name)
        .bind(&key.lookup)
        .bind(&key.secret_hash)
        .bind(row::millis(key.created_at))
        .execute(&self.pool)
        .await?;
        Ok(key)
    }

    /// The key whose public part is `lookup`, revoked or not.
    pub async fn api_key_by_lookup(&self, lookup: &str) -> StoreResult<Option<ApiKey>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            key_columns!(),
            " FROM api_keys WHERE lookup = $1"
        ))
        .bind(lookup)
        .fetch_optional(&self.pool)
        .await?;
        row::optional(row, ApiKey::from_row)
    }

    /// The keys of an account (`None`: the operator's keys), oldest first.
    pub async fn api_keys(
        &self,
        account_id: Option<&AccountId>,
        page: &PageRequest,
    ) -> StoreResult<Page<ApiKey>> {
        let rows = match account_id {
            Some(account_id) => {
                sqlx::query(concat!(
                    "SELECT ",
                    key_columns!(),
                    " FROM api_keys WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3"
                ))
                .bind(account_id.as_str())
                .bind(page.after.as_deref().unwrap_or(""))
                .bind(page.fetch_limit())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(concat!(
                    "SELECT ",
                    key_columns!(),
                    " FROM api_keys WHERE account_id IS NULL AND id > $1 ORDER BY id LIMIT $2"
                ))
                .bind(page.after.as_deref().unwrap_or(""))
                .bind(page.fetch_limit())
                .fetch_all(&self.pool)
                .await?
            }
        };
        let keys = row::all(rows, ApiKey::from_row)?;
        Ok(Page::from_fetched(keys, page, |key| key.id.as_str()))
    }

    /// Revokes a key of the account (`None`: an operator's key). Revoking twice keeps the first
    /// instant. Another account's key is not found.
    pub async fn revoke_api_key(
        &self,
        account_id: Option<&AccountId>,
        id: &ApiKeyId,
        at: Timestamp,
    ) -> StoreResult<ApiKey> {
        // An operator's key has no account; PostgreSQL cannot type a NULL parameter, so the
        // owner test is spelled twice.
        let at = row::millis(at);
        let row = match account_id {
            Some(account_id) => {
                sqlx::query(
                    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND account_id = $2",
                )
                .bind(id.as_str())
                .bind(account_id.as_str())
                .bind(at)
                .execute(&self.pool)
                .await?;
                sqlx::query(concat!(
                    "SELECT ",
                    key_columns!(),
                    " FROM api_keys WHERE id = $1 AND account_id = $2"
                ))
                .bind(id.as_str())
                .bind(account_id.as_str())
                .fetch_optional(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 AND account_id IS NULL",
                )
                .bind(id.as_str())
                .bind(at)
                .execute(&self.pool)
                .await?;
                sqlx::query(concat!(
                    "SELECT ",
                    key_columns!(),
                    " FROM api_keys WHERE id = $1 AND account_id IS NULL"
                ))
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?
            }
        };
        row::required(row, "API key", ApiKey::from_row)
    }

    /// Notes that a key was used, at most once per `every`: the write is skipped while the
    /// stored instant is recent, so a busy key costs no write per request.
    pub async fn touch_api_key(&self, id: &ApiKeyId, at: Timestamp, every_ms: i64) -> StoreResult<()> {
        let now = row::millis(at);
        sqlx::query(
            "UPDATE api_keys SET last_used_at = $2 \
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)",
        )
        .bind(id.as_str())
        .bind(now)
        .bind(now - every_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
