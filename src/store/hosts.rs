//! Hosts: the people (or rooms) whose time is booked. Their schedules live in schedule.rs.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::StoreResult;
use super::ids::{AccountId, HostId};
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
}
