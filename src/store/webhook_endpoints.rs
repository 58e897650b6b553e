//! An account's outgoing webhook endpoints (`webhook_endpoints`, migration 0036): where its
//! events are sent, which ones, and the secret each delivery is signed with.
//!
//! The event names are kept as given by `webhooks::EventType` (checked there); the store
//! only keeps them comma-separated. Deleting an endpoint deletes its deliveries with it.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::StoreResult;
use super::filters::Conditions;
use super::ids::AccountId;
use super::page::{Page, PageRequest};
use super::row;

/// An endpoint. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: String,
    pub account_id: AccountId,
    pub url: String,
    pub description: String,
    /// The event types subscribed (`booking.created`, …).
    pub events: Vec<String>,
    pub enabled: bool,
    /// The signing secret (`whsec_…`).
    pub secret: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("id", &self.id)
            .field("account_id", &self.account_id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

impl WebhookEndpoint {
    /// Whether the endpoint takes events of `event_type` now.
    pub fn takes(&self, event_type: &str) -> bool {
        self.enabled && self.events.iter().any(|event| event == event_type)
    }
}

/// An endpoint to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhookEndpoint {
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub enabled: bool,
    pub secret: String,
}

macro_rules! endpoint_columns {
    () => {
        "id, account_id, url, description, events, enabled, secret, created_at, updated_at"
    };
}

fn from_row(row: &AnyRow) -> StoreResult<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: row::text(row, "id")?,
        account_id: AccountId::from(row::text(row, "account_id")?),
        url: row::text(row, "url")?,
        description: row::text(row, "description")?,
        events: split_events(&row::text(row, "events")?),
        enabled: row::flag(row, "enabled")?,
        secret: row::text(row, "secret")?,
        created_at: row::instant(row, "created_at")?,
        updated_at: row::instant(row, "updated_at")?,
    })
}

fn split_events(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|event| !event.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Store {
    /// Adds an endpoint to the account.
    pub async fn insert_webhook_endpoint(
        &self,
        account_id: &AccountId,
        new: NewWebhookEndpoint,
    ) -> StoreResult<WebhookEndpoint> {
        let now = row::now();
        let endpoint = WebhookEndpoint {
            id: uuid::Uuid::now_v7().to_string(),
            account_id: account_id.clone(),
            url: new.url,
            description: new.description,
            events: new.events,
            enabled: new.enabled,
            secret: new.secret,
            created_at: now,
            updated_at: now,
        };
        sqlx::query(concat!(
            "INSERT INTO webhook_endpoints (",
            endpoint_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
        ))
        .bind(&endpoint.id)
        .bind(account_id.as_str())
        .bind(&endpoint.url)
        .bind(&endpoint.description)
        .bind(endpoint.events.join(","))
        .bind(i64::from(endpoint.enabled))
        .bind(&endpoint.secret)
        .bind(row::millis(now))
        .execute(&self.pool)
        .await?;
        Ok(endpoint)
    }

    /// The account's endpoint `id`; `NotFound` for another account's.
    pub async fn webhook_endpoint(&self, account_id: &AccountId, id: &str) -> StoreResult<WebhookEndpoint> {
        let row = sqlx::query(concat!(
            "SELECT ",
            endpoint_columns!(),
            " FROM webhook_endpoints WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row::required(row, "webhook endpoint", from_row)
    }

    /// A page of the account's endpoints, the newest first.
    pub async fn webhook_endpoints(
        &self,
        account_id: &AccountId,
        page: &PageRequest,
    ) -> StoreResult<Page<WebhookEndpoint>> {
        let rows = Conditions::of_account(account_id)
            .page_query(endpoint_columns!(), "webhook_endpoints", page)
            .fetch_all(&self.pool)
            .await?;
        let endpoints = row::all(rows, from_row)?;
        Ok(Page::from_fetched(endpoints, page, |endpoint| {
            endpoint.id.as_str()
        }))
    }

    /// Every endpoint of the account that takes `event_type` now.
    pub async fn webhook_endpoints_taking(
        &self,
        account_id: &AccountId,
        event_type: &str,
    ) -> StoreResult<Vec<WebhookEndpoint>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            endpoint_columns!(),
            " FROM webhook_endpoints WHERE account_id = $1 AND enabled = 1 ORDER BY id"
        ))
        .bind(account_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut endpoints = row::all(rows, from_row)?;
        endpoints.retain(|endpoint| endpoint.takes(event_type));
        Ok(endpoints)
    }

    /// Writes `endpoint` (read from the store, then changed) over its row.
    pub async fn update_webhook_endpoint(&self, endpoint: &WebhookEndpoint) -> StoreResult<WebhookEndpoint> {
        let now = row::now();
        let done = sqlx::query(
            "UPDATE webhook_endpoints SET url = $3, description = $4, events = $5, enabled = $6, \
             secret = $7, updated_at = $8 WHERE account_id = $1 AND id = $2",
        )
        .bind(endpoint.account_id.as_str())
        .bind(&endpoint.id)
        .bind(&endpoint.url)
        .bind(&endpoint.description)
        .bind(endpoint.events.join(","))
        .bind(i64::from(endpoint.enabled))
        .bind(&endpoint.secret)
        .bind(row::millis(now))
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(super::StoreError::NotFound {
                what: "webhook endpoint",
            });
        }
        self.webhook_endpoint(&endpoint.account_id, &endpoint.id).await
    }

    /// Deletes the account's endpoint `id` and its deliveries; `NotFound` for another account's.
    pub async fn delete_webhook_endpoint(&self, account_id: &AccountId, id: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE account_id = $1 AND endpoint_id = $2")
            .bind(account_id.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE account_id = $1 AND id = $2")
            .bind(account_id.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(super::StoreError::NotFound {
                what: "webhook endpoint",
            });
        }
        tx.commit().await?;
        Ok(())
    }
}
