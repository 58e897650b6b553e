//! A host's own calendars (`calendar_sources`, migration 0039): where each is read from, its
//! credentials (the password only ever sealed, see `calendar_sources::secrets`), and its poll
//! state: the validators of the last answer, the last attempt and success, the last error and
//! the failures in a row, and when it is due next.
//!
//! The poller claims a due source by a conditional update of `next_attempt_at`, so two
//! instances never fetch the same source at once.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::{StoreError, StoreResult};
use super::filters::Conditions;
use super::ids::{AccountId, HostId};
use super::page::{Page, PageRequest};
use super::row::{self, StoredWord};

/// How a source is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarSourceKind {
    /// An address serving one iCalendar text (a Google or Outlook "secret address").
    Ics,
    /// A CalDAV calendar collection.
    Caldav,
}

impl StoredWord for CalendarSourceKind {
    fn as_stored(&self) -> &'static str {
        match self {
            CalendarSourceKind::Ics => "ics",
            CalendarSourceKind::Caldav => "caldav",
        }
    }

    fn from_stored(word: &str) -> Option<Self> {
        match word {
            "ics" => Some(CalendarSourceKind::Ics),
            "caldav" => Some(CalendarSourceKind::Caldav),
            _ => None,
        }
    }
}

impl CalendarSourceKind {
    pub fn as_str(&self) -> &'static str {
        self.as_stored()
    }

    pub fn parse(word: &str) -> Option<Self> {
        Self::from_stored(word)
    }
}

/// A source. `Debug` never shows the sealed password.
#[derive(Clone, PartialEq, Eq)]
pub struct CalendarSource {
    pub id: String,
    pub account_id: AccountId,
    pub host_id: HostId,
    pub kind: CalendarSourceKind,
    pub name: String,
    pub url: String,
    pub username: String,
    /// The password sealed with the server's key; empty when there is none.
    pub password_sealed: String,
    pub writable: bool,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub ctag: Option<String>,
    pub sync_token: Option<String>,
    pub last_attempt_at: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub next_attempt_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for CalendarSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalendarSource")
            .field("id", &self.id)
            .field("host_id", &self.host_id)
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("last_error", &self.last_error)
            .finish_non_exhaustive()
    }
}

/// A source to add.
#[derive(Clone, PartialEq, Eq)]
pub struct NewCalendarSource {
    pub host_id: HostId,
    pub kind: CalendarSourceKind,
    pub name: String,
    pub url: String,
    pub username: String,
    pub password_sealed: String,
    pub writable: bool,
}

/// What one fetch of a source came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchRecord {
    /// A new copy: its busy intervals replace the cached ones.
    Fetched {
        busy: Vec<(Timestamp, Timestamp)>,
        etag: Option<String>,
        last_modified: Option<String>,
        ctag: Option<String>,
        sync_token: Option<String>,
        /// Events left out of the copy, said in words (kept as the source's `last_error`).
        problems: Option<String>,
    },
    /// The calendar has not changed: the cached copy stays and is fresh.
    Unchanged,
    /// The fetch failed: the cached copy stays, the error is kept.
    Failed { error: String },
}

macro_rules! source_columns {
    () => {
        "id, account_id, host_id, kind, name, url, username, password_sealed, writable, etag, \
         last_modified, ctag, sync_token, last_attempt_at, last_success_at, last_error, \
         consecutive_failures, next_attempt_at, created_at, updated_at"
    };
}

fn from_row(row: &AnyRow) -> StoreResult<CalendarSource> {
    Ok(CalendarSource {
        id: row::text(row, "id")?,
        account_id: AccountId::from(row::text(row, "account_id")?),
        host_id: HostId::from(row::text(row, "host_id")?),
        kind: row::word(row, "kind")?,
        name: row::text(row, "name")?,
        url: row::text(row, "url")?,
        username: row::text(row, "username")?,
        password_sealed: row::text(row, "password_sealed")?,
        writable: row::flag(row, "writable")?,
        etag: row::opt_text(row, "etag")?,
        last_modified: row::opt_text(row, "last_modified")?,
        ctag: row::opt_text(row, "ctag")?,
        sync_token: row::opt_text(row, "sync_token")?,
        last_attempt_at: row::opt_instant(row, "last_attempt_at")?,
        last_success_at: row::opt_instant(row, "last_success_at")?,
        last_error: row::opt_text(row, "last_error")?,
        consecutive_failures: row::count(row, "consecutive_failures")?,
        next_attempt_at: row::instant(row, "next_attempt_at")?,
        created_at: row::instant(row, "created_at")?,
        updated_at: row::instant(row, "updated_at")?,
    })
}

impl Store {
    /// Adds a source to the account's host, due for its first fetch at once.
    pub async fn insert_calendar_source(
        &self,
        account_id: &AccountId,
        new: NewCalendarSource,
    ) -> StoreResult<CalendarSource> {
        let now = row::millis(row::now());
        let id = uuid::Uuid::now_v7().to_string();
        sqlx::query(
            "INSERT INTO calendar_sources (id, account_id, host_id, kind, name, url, username, \
             password_sealed, writable, next_attempt_at, created_at, updated_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $10 \
             WHERE EXISTS (SELECT 1 FROM hosts WHERE account_id = $2 AND id = $3)",
        )
        .bind(&id)
        .bind(account_id.as_str())
        .bind(new.host_id.as_str())
        .bind(new.kind.as_stored())
        .bind(&new.name)
        .bind(&new.url)
        .bind(&new.username)
        .bind(&new.password_sealed)
        .bind(i64::from(new.writable))
        .bind(now)
        .execute(&self.pool)
        .await
        .and_then(|done| match done.rows_affected() {
            0 => Err(sqlx::Error::RowNotFound),
            _ => Ok(()),
        })
        .map_err(|error| match error {
            sqlx::Error::RowNotFound => StoreError::NotFound { what: "host" },
            other => other.into(),
        })?;
        self.calendar_source(account_id, &id).await
    }

    /// The account's source `id`; `NotFound` for another account's.
    pub async fn calendar_source(&self, account_id: &AccountId, id: &str) -> StoreResult<CalendarSource> {
        let row = sqlx::query(concat!(
            "SELECT ",
            source_columns!(),
            " FROM calendar_sources WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row::required(row, "calendar source", from_row)
    }

    /// A page of the host's sources, the newest first.
    pub async fn calendar_sources(
        &self,
        account_id: &AccountId,
        host_id: &HostId,
        page: &PageRequest,
    ) -> StoreResult<Page<CalendarSource>> {
        let mut conditions = Conditions::of_account(account_id);
        conditions.text_eq("host_id", Some(host_id.as_str()));
        let rows = conditions
            .page_query(source_columns!(), "calendar_sources", page)
            .fetch_all(&self.pool)
            .await?;
        let sources = row::all(rows, from_row)?;
        Ok(Page::from_fetched(sources, page, |source| source.id.as_str()))
    }

    /// Writes the settings of `source` (read from the store, then changed) over its row; the
    /// validators are dropped and the source is due at once, so the change is read soon.
    pub async fn update_calendar_source(&self, source: &CalendarSource) -> StoreResult<CalendarSource> {
        let now = row::millis(row::now());
        let done = sqlx::query(
            "UPDATE calendar_sources SET name = $3, url = $4, username = $5, password_sealed = $6, \
             writable = $7, etag = NULL, last_modified = NULL, ctag = NULL, sync_token = NULL, \
             next_attempt_at = $8, updated_at = $8 WHERE account_id = $1 AND id = $2",
        )
        .bind(source.account_id.as_str())
        .bind(&source.id)
        .bind(&source.name)
        .bind(&source.url)
        .bind(&source.username)
        .bind(&source.password_sealed)
        .bind(i64::from(source.writable))
        .bind(now)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "calendar source",
            });
        }
        self.calendar_source(&source.account_id, &source.id).await
    }

    /// Deletes the account's source `id` and its cached busy time.
    pub async fn delete_calendar_source(&self, account_id: &AccountId, id: &str) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM calendar_busy WHERE source_id IN \
             (SELECT id FROM calendar_sources WHERE account_id = $1 AND id = $2)",
        )
        .bind(account_id.as_str())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM calendar_sources WHERE account_id = $1 AND id = $2")
            .bind(account_id.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Err(StoreError::NotFound {
                what: "calendar source",
            });
        }
        tx.commit().await?;
        Ok(())
    }

    /// Up to `limit` sources of any account due at `now`, the longest waiting first.
    pub async fn due_calendar_sources(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<CalendarSource>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            source_columns!(),
            " FROM calendar_sources WHERE next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2"
        ))
        .bind(row::millis(now))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, from_row)
    }

    /// Takes `source` for one fetch: moves its next attempt to `lease_until` if no one else
    /// has since it was read. False when another instance took it first.
    pub async fn claim_calendar_source(
        &self,
        source: &CalendarSource,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE calendar_sources SET next_attempt_at = $3, last_attempt_at = $4 \
             WHERE id = $1 AND next_attempt_at = $2",
        )
        .bind(&source.id)
        .bind(row::millis(source.next_attempt_at))
        .bind(row::millis(lease_until))
        .bind(row::millis(now))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Keeps what a fetch of `source` came to, and when it is due next; a new copy replaces the
    /// cached busy time in the same transaction.
    pub async fn record_calendar_fetch(
        &self,
        source: &CalendarSource,
        record: FetchRecord,
        now: Timestamp,
        next_attempt_at: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let (now, next) = (row::millis(now), row::millis(next_attempt_at));
        match record {
            FetchRecord::Fetched {
                busy,
                etag,
                last_modified,
                ctag,
                sync_token,
                problems,
            } => {
                super::calendar_busy::replace(&mut tx, source, &busy).await?;
                sqlx::query(
                    "UPDATE calendar_sources SET etag = $2, last_modified = $3, ctag = $4, sync_token = $5, \
                     last_success_at = $6, last_error = $7, consecutive_failures = 0, next_attempt_at = $8 \
                     WHERE id = $1",
                )
                .bind(&source.id)
                .bind(etag)
                .bind(last_modified)
                .bind(ctag)
                .bind(sync_token)
                .bind(now)
                .bind(problems)
                .bind(next)
                .execute(&mut *tx)
                .await?;
            }
            FetchRecord::Unchanged => {
                sqlx::query(
                    "UPDATE calendar_sources SET last_success_at = $2, consecutive_failures = 0, \
                     next_attempt_at = $3, last_error = CASE WHEN consecutive_failures > 0 THEN NULL \
                     ELSE last_error END WHERE id = $1",
                )
                .bind(&source.id)
                .bind(now)
                .bind(next)
                .execute(&mut *tx)
                .await?;
            }
            FetchRecord::Failed { error } => {
                sqlx::query(
                    "UPDATE calendar_sources SET last_error = $2, consecutive_failures = consecutive_failures + 1, \
                     next_attempt_at = $3 WHERE id = $1",
                )
                .bind(&source.id)
                .bind(error)
                .bind(next)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
