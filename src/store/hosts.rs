//! Hosts: the people (or rooms) whose time is booked. Their schedules live in schedule.rs.
//!
//! A host is deleted only when nothing uses it any more: its event types and its bookings
//! (past or cancelled ones too) point at it, and a booking's history must keep saying whom it
//! was with. The refusal names what is in the way; its weekly hours, overrides and blackouts
//! go with it.

use jiff::Timestamp;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::Store;
use super::error::{StoreError, StoreResult};
use super::ids::{AccountId, HostId};
use super::in_use::{Deletion, InUse};
use super::page::{Page, PageRequest};
use super::row;
use super::validate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub id: HostId,
    pub account_id: AccountId,
    pub name: String,
    pub email: Option<String>,
    /// IANA zone in which the host's weekly hours, overrides and blackouts are read.
    pub timezone: String,
    /// How many booking transactions have locked this host (see `Store::begin_host`).
    pub lock_version: i64,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewHost {
    pub name: String,
    pub email: Option<String>,
    pub timezone: String,
}

/// A change to a host: `None` leaves a field as it is; `email: Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct HostUpdate {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub timezone: Option<String>,
}

macro_rules! host_columns {
    () => {
        "id, account_id, name, email, timezone, lock_version, created_at"
    };
}

impl Host {
    fn from_row(row: &AnyRow) -> StoreResult<Host> {
        Ok(Host {
            id: row::text(row, "id")?.into(),
            account_id: row::text(row, "account_id")?.into(),
            name: row::text(row, "name")?,
            email: row::opt_text(row, "email")?,
            timezone: row::text(row, "timezone")?,
            lock_version: row::int(row, "lock_version")?,
            created_at: row::instant(row, "created_at")?,
        })
    }
}

impl Store {
    pub async fn create_host(&self, account_id: &AccountId, new: NewHost) -> StoreResult<Host> {
        validate::not_blank("host name", &new.name)?;
        validate::timezone(&new.timezone)?;
        let host = Host {
            id: HostId::generate(),
            account_id: account_id.clone(),
            name: new.name,
            email: new.email,
            timezone: new.timezone,
            lock_version: 0,
            created_at: row::now(),
        };
        sqlx::query(concat!(
            "INSERT INTO hosts (",
            host_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(host.id.as_str())
        .bind(host.account_id.as_str())
        .bind(&host.name)
        .bind(host.email.as_deref())
        .bind(&host.timezone)
        .bind(host.lock_version)
        .bind(row::millis(host.created_at))
        .execute(&self.pool)
        .await?;
        Ok(host)
    }

    pub async fn host(&self, account_id: &AccountId, id: &HostId) -> StoreResult<Host> {
        let row = sqlx::query(concat!(
            "SELECT ",
            host_columns!(),
            " FROM hosts WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id.as_str())
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row::required(row, "host", Host::from_row)
    }

    /// The account's hosts, oldest first.
    pub async fn hosts(&self, account_id: &AccountId) -> StoreResult<Vec<Host>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            host_columns!(),
            " FROM hosts WHERE account_id = $1 ORDER BY id"
        ))
        .bind(account_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, Host::from_row)
    }

    /// One page of the account's hosts, oldest first.
    pub async fn hosts_page(&self, account_id: &AccountId, page: &PageRequest) -> StoreResult<Page<Host>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            host_columns!(),
            " FROM hosts WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(account_id.as_str())
        .bind(page.after.as_deref().unwrap_or(""))
        .bind(page.fetch_limit())
        .fetch_all(&self.pool)
        .await?;
        let hosts = row::all(rows, Host::from_row)?;
        Ok(Page::from_fetched(hosts, page, |host| host.id.as_str()))
    }

    /// Applies `update` to the host and returns it as stored. The read and the write are one
    /// transaction holding the host's lock, so two updates of different fields both land.
    pub async fn update_host(
        &self,
        account_id: &AccountId,
        id: &HostId,
        update: HostUpdate,
    ) -> StoreResult<Host> {
        if let Some(name) = &update.name {
            validate::not_blank("host name", name)?;
        }
        if let Some(timezone) = &update.timezone {
            validate::timezone(timezone)?;
        }
        let mut tx = self.begin_write().await?;
        lock_host(&mut tx, account_id, id).await?;
        let row = sqlx::query(concat!(
            "SELECT ",
            host_columns!(),
            " FROM hosts WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let mut host = row::required(row, "host", Host::from_row)?;
        if let Some(name) = update.name {
            host.name = name;
        }
        if let Some(email) = update.email {
            host.email = email;
        }
        if let Some(timezone) = update.timezone {
            host.timezone = timezone;
        }
        sqlx::query(
            "UPDATE hosts SET name = $3, email = $4, timezone = $5 WHERE account_id = $1 AND id = $2",
        )
        .bind(account_id.as_str())
        .bind(id.as_str())
        .bind(&host.name)
        .bind(host.email.as_deref())
        .bind(&host.timezone)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(host)
    }

    /// Deletes the host with its schedule, unless event types or bookings still use it; then
    /// nothing changes and the answer says what uses it. A booking made meanwhile cannot slip
    /// through: the bookings' reference to the host refuses the delete (`Conflict`).
    pub async fn delete_host(&self, account_id: &AccountId, id: &HostId) -> StoreResult<Deletion> {
        let mut tx = self.begin_write().await?;
        lock_host(&mut tx, account_id, id).await?;
        let event_types: Vec<String> = sqlx::query_scalar(
            "SELECT slug FROM event_types WHERE account_id = $1 AND host_id = $2 ORDER BY slug",
        )
        .bind(account_id.as_str())
        .bind(id.as_str())
        .fetch_all(&mut *tx)
        .await?;
        let bookings: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM bookings WHERE account_id = $1 AND host_id = $2")
                .bind(account_id.as_str())
                .bind(id.as_str())
                .fetch_one(&mut *tx)
                .await?;
        let in_use = InUse {
            event_types,
            agents: Vec::new(),
            bookings: u64::try_from(bookings).unwrap_or(0),
        };
        if !in_use.is_empty() {
            return Ok(Deletion::Refused(in_use));
        }
        // The host's own calendars go with it.
        sqlx::query("DELETE FROM calendar_busy WHERE host_id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM calendar_sources WHERE account_id = $1 AND host_id = $2")
            .bind(account_id.as_str())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM hosts WHERE account_id = $1 AND id = $2")
            .bind(account_id.as_str())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Deletion::Deleted)
    }
}

/// Writes the host's row inside `conn`'s transaction: that checks ownership (a host of another
/// account is `NotFound` and nothing is written) and, as in the booking transaction
/// (host_tx.rs), takes the host's lock, so writers of one host's schedule or row take turns.
/// (SQLite's `BEGIN IMMEDIATE` already serializes them.) The write changes nothing, so
/// `lock_version` still counts booking transactions only.
pub(super) async fn lock_host(
    conn: &mut AnyConnection,
    account_id: &AccountId,
    host_id: &HostId,
) -> StoreResult<()> {
    let done = sqlx::query("UPDATE hosts SET lock_version = lock_version WHERE account_id = $1 AND id = $2")
        .bind(account_id.as_str())
        .bind(host_id.as_str())
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound { what: "host" });
    }
    Ok(())
}
