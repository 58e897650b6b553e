//! The store's error type, and the one place where both backends' failures are classified.
//!
//! Callers branch on the variant, not on driver details: `Conflict` names the constraint that
//! refused a write (so the booking tool can say "that time was just taken" or return the booking
//! an idempotency key already made), `Busy` is worth retrying, `Unavailable` means the database
//! cannot be reached at all (readiness goes false).

use std::fmt;

use sqlx::error::{DatabaseError, ErrorKind};

/// Everything a store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached: connecting failed, the pool timed out or was closed, or
    /// the connection was lost. Messages never contain the URL's password.
    #[error("database unavailable: {reason}")]
    Unavailable { reason: String },

    /// Lock contention outlasted the wait (SQLite busy timeout, PostgreSQL deadlock or
    /// serialization failure). The operation had no effect and may be retried.
    #[error("database busy: {reason}")]
    Busy { reason: String },

    /// The row asked for does not exist (or belongs to another account).
    #[error("{what} not found")]
    NotFound { what: &'static str },

    /// A write broke a uniqueness or reference rule.
    #[error("conflict: {constraint}")]
    Conflict { constraint: Constraint },

    /// Input or stored data that breaks the schema's rules: a malformed phone number on the way
    /// in, an unparsable date or unknown status on the way out, a failed CHECK constraint.
    #[error("invalid {what}: {reason}")]
    Invalid { what: &'static str, reason: String },

    /// The embedded migrations could not be applied.
    #[error("database migration failed: {0}")]
    Migration(#[source] sqlx::migrate::MigrateError),

    /// Any other database failure (a bug in a query, a schema that does not match this build).
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> Self {
        StoreError::Invalid {
            what,
            reason: reason.into(),
        }
    }

    /// True for the failures a caller may simply try again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Busy { .. })
    }
}

/// The rule a refused write broke. The named ones are those other code reacts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    /// Another agent already answers this phone number.
    AgentPhoneNumber,
    /// The account already has an event type with this slug.
    EventTypeSlug,
    /// The host already has a confirmed booking starting at this instant.
    BookingSlot,
    /// The account already has a booking made with this idempotency key.
    BookingIdempotencyKey,
    /// The account already has a booking with this reference code.
    BookingReference,
    /// The account already has a contact with this phone number.
    ContactPhone,
    /// A call with this Twilio CallSid is already logged.
    CallSid,
    /// A referenced row does not exist in the same account. PostgreSQL names the constraint;
    /// SQLite does not say which reference failed.
    ForeignKey(Option<String>),
    /// Another uniqueness rule, as the backend names it (a PostgreSQL constraint name, or
    /// SQLite's column list such as `accounts.id`).
    Other(String),
    /// The phone number has a menu (a number answers by a menu or by an agent, not both).
    MenuPhoneNumber,
    /// The agent already has a phone number (one per agent).
    AgentHasNumber,
    /// The number is held after another account's agent gave it up, or its release is due.
    NumberHeld,
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Constraint::AgentPhoneNumber => f.write_str("phone number already assigned to an agent"),
            Constraint::EventTypeSlug => f.write_str("event type slug already used in this account"),
            Constraint::BookingSlot => f.write_str("host already booked at this start time"),
            Constraint::BookingIdempotencyKey => f.write_str("idempotency key already used"),
            Constraint::BookingReference => f.write_str("booking reference already used"),
            Constraint::ContactPhone => f.write_str("contact phone number already used"),
            Constraint::CallSid => f.write_str("call already logged"),
            Constraint::ForeignKey(Some(name)) => write!(f, "referenced row missing ({name})"),
            Constraint::ForeignKey(None) => f.write_str("referenced row missing"),
            Constraint::Other(name) => write!(f, "unique rule {name}"),
            Constraint::MenuPhoneNumber => f.write_str("phone number already has a menu"),
            Constraint::AgentHasNumber => f.write_str("agent already has a phone number"),
            Constraint::NumberHeld => f.write_str("phone number held for another account"),
        }
    }
}

/// The named unique rules: PostgreSQL's constraint or index name (from migrations/), and the
/// column list SQLite puts after "UNIQUE constraint failed: ".
const NAMED_UNIQUE_RULES: &[(&str, &str, Constraint)] = &[
    (
        "agents_phone_number_key",
        "agents.phone_number",
        Constraint::AgentPhoneNumber,
    ),
    (
        "event_types_account_id_slug_key",
        "event_types.account_id, event_types.slug",
        Constraint::EventTypeSlug,
    ),
    (
        "bookings_host_slot_key",
        "bookings.host_id, bookings.start_at",
        Constraint::BookingSlot,
    ),
    (
        "bookings_account_id_idempotency_key_key",
        "bookings.account_id, bookings.idempotency_key",
        Constraint::BookingIdempotencyKey,
    ),
    (
        "bookings_account_id_reference_key",
        "bookings.account_id, bookings.reference",
        Constraint::BookingReference,
    ),
    (
        "contacts_account_id_phone_key",
        "contacts.account_id, contacts.phone",
        Constraint::ContactPhone,
    ),
    ("calls_call_sid_key", "calls.call_sid", Constraint::CallSid),
    (
        "agent_numbers_number_idx",
        "agent_numbers.phone_number",
        Constraint::AgentPhoneNumber,
    ),
    (
        "number_holds_live_idx",
        "number_holds.phone_number",
        Constraint::NumberHeld,
    ),
];

const SQLITE_UNIQUE_PREFIX: &str = "UNIQUE constraint failed: ";

fn unique_rule(db: &dyn DatabaseError) -> Constraint {
    if let Some(name) = db.constraint() {
        return NAMED_UNIQUE_RULES
            .iter()
            .find(|(pg_name, _, _)| *pg_name == name)
            .map(|(_, _, constraint)| constraint.clone())
            .unwrap_or_else(|| Constraint::Other(name.to_owned()));
    }
    let columns = db
        .message()
        .strip_prefix(SQLITE_UNIQUE_PREFIX)
        .unwrap_or(db.message());
    NAMED_UNIQUE_RULES
        .iter()
        .find(|(_, sqlite_columns, _)| *sqlite_columns == columns)
        .map(|(_, _, constraint)| constraint.clone())
        .unwrap_or_else(|| Constraint::Other(columns.to_owned()))
}

/// Where a failure came from, which decides how a database error code is read.
#[derive(Debug, Clone, Copy)]
enum Dialect {
    Sqlite(i32),
    Postgres,
}

fn dialect(db: &dyn DatabaseError) -> Dialect {
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // SQLite reports the extended result code; its low byte is the primary code.
        Dialect::Sqlite(db.code().and_then(|code| code.parse().ok()).unwrap_or(0))
    } else {
        Dialect::Postgres
    }
}

// https://www.sqlite.org/rescode.html
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
/// Includes SQLITE_READONLY_DBMOVED: the database file was deleted or moved under the
/// connection.
const SQLITE_READONLY: i32 = 8;
const SQLITE_IOERR: i32 = 10;
const SQLITE_FULL: i32 = 13;
const SQLITE_CANTOPEN: i32 = 14;

/// PostgreSQL SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html) that
/// mean "try again": serialization_failure, deadlock_detected, lock_not_available.
const PG_RETRYABLE: &[&str] = &["40001", "40P01", "55P03"];

/// SQLSTATEs meaning the server is not there for us: connection exceptions (class 08), admin,
/// crash or startup shutdown (57P01-57P03), too many connections, failed authentication, a
/// server that takes no writes (read_only_sql_transaction: a standby, or a read-only default).
fn pg_unavailable(code: &str) -> bool {
    code.starts_with("08")
        || matches!(
            code,
            "57P01" | "57P02" | "57P03" | "53300" | "28000" | "28P01" | "25006"
        )
}

fn classify_database_error(db: &dyn DatabaseError) -> Option<StoreError> {
    match db.kind() {
        ErrorKind::UniqueViolation => {
            return Some(StoreError::Conflict {
                constraint: unique_rule(db),
            });
        }
        ErrorKind::ForeignKeyViolation => {
            let name = db.constraint().map(str::to_owned);
            return Some(StoreError::Conflict {
                constraint: Constraint::ForeignKey(name),
            });
        }
        ErrorKind::CheckViolation | ErrorKind::NotNullViolation => {
            let rule = db.constraint().unwrap_or(db.message());
            return Some(StoreError::invalid("row", format!("violates {rule}")));
        }
        _ => {}
    }
    let reason = db.message().to_owned();
    match dialect(db) {
        Dialect::Sqlite(code) => match code & 0xff {
            SQLITE_BUSY | SQLITE_LOCKED => Some(StoreError::Busy { reason }),
            SQLITE_CANTOPEN | SQLITE_IOERR | SQLITE_FULL | SQLITE_READONLY => {
                Some(StoreError::Unavailable { reason })
            }
            _ => None,
        },
        Dialect::Postgres => {
            let code = db.code()?;
            if PG_RETRYABLE.contains(&code.as_ref()) {
                Some(StoreError::Busy { reason })
            } else if pg_unavailable(&code) {
                Some(StoreError::Unavailable { reason })
            } else {
                None
            }
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => StoreError::NotFound { what: "row" },
            sqlx::Error::PoolTimedOut => StoreError::Unavailable {
                reason: "timed out waiting for a pooled connection".into(),
            },
            sqlx::Error::PoolClosed => StoreError::Unavailable {
                reason: "the pool is closed".into(),
            },
            sqlx::Error::WorkerCrashed => StoreError::Unavailable {
                reason: "the SQLite worker thread stopped".into(),
            },
            // Io, Tls and Protocol messages describe the socket, never the URL.
            sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => StoreError::Unavailable {
                reason: error.to_string(),
            },
            sqlx::Error::Database(db) => {
                classify_database_error(db.as_ref()).unwrap_or(StoreError::Database(error))
            }
            _ => StoreError::Database(error),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        match error {
            sqlx::migrate::MigrateError::Execute(inner) => match StoreError::from(inner) {
                StoreError::Database(inner) => {
                    StoreError::Migration(sqlx::migrate::MigrateError::Execute(inner))
                }
                classified => classified,
            },
            other => StoreError::Migration(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_rule_has_distinct_names() {
        for (i, (pg, sqlite, _)) in NAMED_UNIQUE_RULES.iter().enumerate() {
            for (other_pg, other_sqlite, _) in &NAMED_UNIQUE_RULES[i + 1..] {
                assert_ne!(pg, other_pg);
                assert_ne!(sqlite, other_sqlite);
            }
        }
    }

    #[test]
    fn named_rules_exist_in_the_schema() {
        let schema = concat!(
            include_str!("../../migrations/0001_init.sql"),
            include_str!("../../migrations/0020_agent_numbers.sql"),
            include_str!("../../migrations/0021_number_holds.sql"),
        );
        for (pg_name, _, _) in NAMED_UNIQUE_RULES {
            assert!(schema.contains(pg_name), "{pg_name} is not in the schema");
        }
    }

    #[test]
    fn only_busy_is_retryable() {
        assert!(
            StoreError::Busy {
                reason: String::new()
            }
            .is_retryable()
        );
        assert!(
            !StoreError::Unavailable {
                reason: String::new()
            }
            .is_retryable()
        );
        assert!(
            !StoreError::Conflict {
                constraint: Constraint::BookingSlot
            }
            .is_retryable()
        );
    }

    /// A write while a booking transaction holds SQLite's write lock waits out the busy timeout
    /// and reports `Busy`; PostgreSQL's lock timeout reports the same.
    #[tokio::test]
    async fn lock_waits_that_run_out_are_busy_on_both_backends() {
        use crate::store::testing;
        use std::time::Duration;

        let options = crate::store::StoreOptions {
            sqlite_busy_timeout: Duration::from_millis(100),
            ..testing::test_options()
        };
        testing::on_each_backend_with(options, |store| async move {
            let business = testing::seed_business(&store).await;
            let held = store
                .begin_host(&business.account.id, &business.host.id)
                .await
                .unwrap();
            let blocked = match store.backend() {
                crate::store::Backend::Sqlite => {
                    let account = crate::store::NewAccount {
                        name: "Late".into(),
                        plan: "free".into(),
                    };
                    store.create_account(account).await.unwrap_err()
                }
                crate::store::Backend::Postgres => {
                    let mut conn = store.pool.begin().await.unwrap();
                    sqlx::raw_sql("SET LOCAL lock_timeout = '100ms'")
                        .execute(&mut *conn)
                        .await
                        .unwrap();
                    let update =
                        sqlx::query("UPDATE hosts SET lock_version = lock_version + 1 WHERE id = $1")
                            .bind(business.host.id.as_str())
                            .execute(&mut *conn)
                            .await;
                    StoreError::from(update.unwrap_err())
                }
            };
            assert!(matches!(blocked, StoreError::Busy { .. }), "{blocked:?}");
            assert!(blocked.is_retryable());
            held.rollback().await.unwrap();
        })
        .await;
    }

    #[tokio::test]
    async fn check_violations_are_invalid_on_both_backends() {
        crate::store::testing::on_each_backend(|store| async move {
            let business = crate::store::testing::seed_business(&store).await;
            let refused = sqlx::query(
                "INSERT INTO weekly_hours (host_id, weekday, start_minute, end_minute) VALUES ($1, 9, 0, 60)",
            )
            .bind(business.host.id.as_str())
            .execute(&store.pool)
            .await
            .unwrap_err();
            let refused = StoreError::from(refused);
            assert!(
                matches!(refused, StoreError::Invalid { what: "row", .. }),
                "{refused:?}"
            );
        })
        .await;
    }
}
