//! Whether the database takes writes right now, asked the honest way: by writing.
//!
//! A round trip (`SELECT 1`) succeeds on a SQLite file that was deleted or made read-only, and
//! on a PostgreSQL server that turned into a standby; calls would then be answered but not
//! recorded. The probe upserts the one row of `health_probe` instead. On a SQLite file it does
//! so on a connection of its own, opened for the probe without creating anything: the pool's
//! connections keep the file they opened (even once it is deleted) and the access they were
//! granted (even once it is read-only). On PostgreSQL it writes in a transaction on a pooled
//! connection.
//!
//! Probes are rate-limited: one runs at a time, and a result younger than the interval is
//! reused, so a storm of readiness checks costs the database one write per interval.
//!
//! When a probe fails, and when one succeeds after a failure, every pooled connection opened
//! before then is retired on its next acquire ([`Recycle`]): SQLite connections opened while
//! the file was read-only stay read-only for life, those opened before it was deleted keep
//! writing to the deleted file, and a PostgreSQL session keeps the read-only default it
//! started with. The next acquire opens a fresh one, so the store recovers without a restart.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::{AnyConnection, AnyPool, Connection};
use tokio::sync::Mutex;

use super::error::{StoreError, StoreResult};
use super::row;

const UPSERT: &str = "INSERT INTO health_probe (id, probes, probed_at) VALUES (1, 1, $1) \
                      ON CONFLICT (id) DO UPDATE SET probes = health_probe.probes + 1, \
                      probed_at = excluded.probed_at";

/// Retires pooled connections opened before a mark. Shared by the pool's `before_acquire`
/// hook and the probe.
#[derive(Debug)]
pub(crate) struct Recycle {
    origin: Instant,
    /// Nanoseconds after `origin` before which a connection was opened too early; 0: none.
    retire_before: AtomicU64,
}

impl Recycle {
    pub(crate) fn new() -> Arc<Recycle> {
        Arc::new(Recycle {
            origin: Instant::now(),
            retire_before: AtomicU64::new(0),
        })
    }

    /// Every connection opened before `now` is retired on its next acquire.
    pub(crate) fn mark(&self, now: Instant) {
        let at = now.saturating_duration_since(self.origin).as_nanos() as u64;
        self.retire_before.fetch_max(at.max(1), Ordering::Relaxed);
    }

    /// Whether a connection of this age, acquired at `now`, was opened before the mark.
    pub(crate) fn is_retired(&self, age: Duration, now: Instant) -> bool {
        let mark = self.retire_before.load(Ordering::Relaxed);
        if mark == 0 {
            return false;
        }
        let opened = now.checked_sub(age).map_or(0, |opened| {
            opened.saturating_duration_since(self.origin).as_nanos() as u64
        });
        opened < mark
    }
}

/// Where the probe writes.
#[derive(Debug)]
pub(crate) enum ProbeTarget {
    /// A SQLite file: a connection of the probe's own, opened by `url` (which never creates),
    /// after checking that `path` still exists.
    SqliteFile { url: ProbeUrl, path: PathBuf },
    /// PostgreSQL, or SQLite in memory (one connection; there is no file to lose): the pool.
    Pool,
}

/// A database URL that never reaches a log (it may hold a password).
pub(crate) struct ProbeUrl(pub(crate) String);

impl std::fmt::Debug for ProbeUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&super::redact_url(&self.0))
    }
}

/// The last probe's answer, and when it was found.
#[derive(Debug, Clone)]
struct Probed {
    at: Instant,
    /// Why the database took no write.
    result: Result<(), String>,
}

/// The rate-limited write probe of one store.
#[derive(Debug)]
pub(crate) struct WriteProbe {
    target: ProbeTarget,
    interval: Duration,
    connect_timeout: Duration,
    busy_timeout: Duration,
    last: Mutex<Option<Probed>>,
    recycle: Arc<Recycle>,
}

impl WriteProbe {
    pub(crate) fn new(
        target: ProbeTarget,
        interval: Duration,
        connect_timeout: Duration,
        busy_timeout: Duration,
        recycle: Arc<Recycle>,
    ) -> Self {
        WriteProbe {
            target,
            interval,
            connect_timeout,
            busy_timeout,
            last: Mutex::new(None),
            recycle,
        }
    }

    /// Whether the database takes writes: the last answer if younger than the interval, else
    /// a fresh one (concurrent askers wait for it rather than probing again).
    pub(crate) async fn check(&self, pool: &AnyPool) -> StoreResult<()> {
        if pool.is_closed() {
            return Err(StoreError::Unavailable {
                reason: "the connection pool is closed".into(),
            });
        }
        let mut last = self.last.lock().await;
        let now = Instant::now();
        let fresh = last
            .as_ref()
            .filter(|probed| now.saturating_duration_since(probed.at) < self.interval);
        let result = match fresh {
            Some(probed) => probed.result.clone(),
            None => {
                let result = self.probe(pool).await.map_err(|e| e.to_string());
                let recovered = last.as_ref().is_some_and(|probed| probed.result.is_err());
                if result.is_err() || recovered {
                    self.recycle.mark(Instant::now());
                }
                *last = Some(Probed {
                    at: Instant::now(),
                    result: result.clone(),
                });
                result
            }
        };
        result.map_err(|reason| StoreError::Unavailable { reason })
    }

    async fn probe(&self, pool: &AnyPool) -> Result<(), ProbeError> {
        let at = row::millis(row::now());
        match &self.target {
            ProbeTarget::SqliteFile { url, path } => {
                if !tokio::fs::try_exists(path).await.unwrap_or(false) {
                    return Err(ProbeError::Missing(path.clone()));
                }
                // SQLite hands a new connection a descriptor of the same file that a closed
                // one left open, when it can: the file's current permissions are then never
                // asked. Asking them here is what a connection opened after a restart meets.
                if let Err(error) = tokio::fs::OpenOptions::new().write(true).open(path).await {
                    return Err(ProbeError::ReadOnly(path.clone(), error));
                }
                let connect = AnyConnection::connect(&url.0);
                let mut conn = tokio::time::timeout(self.connect_timeout, connect)
                    .await
                    .map_err(|_| ProbeError::Timeout(self.connect_timeout))?
                    .map_err(write_failed)?;
                let busy = format!("PRAGMA busy_timeout = {}", self.busy_timeout.as_millis());
                let written = async {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(busy))
                        .execute(&mut conn)
                        .await?;
                    sqlx::query(UPSERT).bind(at).execute(&mut conn).await
                }
                .await;
                let _ = conn.close().await;
                written.map_err(write_failed)?;
            }
            ProbeTarget::Pool => {
                let write = async {
                    let mut tx = pool.begin().await?;
                    sqlx::query(UPSERT).bind(at).execute(&mut *tx).await?;
                    tx.commit().await
                };
                // The pool's own acquire timeout bounds the wait for a connection; this bounds
                // a server that accepts the connection but never answers.
                let bound = self.connect_timeout + self.busy_timeout;
                tokio::time::timeout(bound, write)
                    .await
                    .map_err(|_| ProbeError::Timeout(bound))?
                    .map_err(write_failed)?;
            }
        }
        Ok(())
    }
}

/// Why the probe's write did not happen.
#[derive(Debug, thiserror::Error)]
enum ProbeError {
    #[error("the database file {} is missing", .0.display())]
    Missing(PathBuf),
    #[error("the database file {} is readonly: {}", .0.display(), .1)]
    ReadOnly(PathBuf, std::io::Error),
    #[error("the database did not take a write within {0:?}")]
    Timeout(Duration),
    #[error("the database takes no writes: {0}")]
    Write(String),
}

fn write_failed(error: sqlx::Error) -> ProbeError {
    ProbeError::Write(match StoreError::from(error) {
        StoreError::Unavailable { reason } | StoreError::Busy { reason } => reason,
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_connections_opened_before_the_mark_are_retired() {
        let recycle = Recycle::new();
        let now = Instant::now() + Duration::from_secs(100);
        assert!(!recycle.is_retired(Duration::from_secs(50), now), "no mark yet");
        recycle.mark(now - Duration::from_secs(10));
        assert!(recycle.is_retired(Duration::from_secs(11), now), "opened before");
        assert!(!recycle.is_retired(Duration::from_secs(9), now), "opened after");
        // An earlier mark never moves it back.
        recycle.mark(now - Duration::from_secs(20));
        assert!(!recycle.is_retired(Duration::from_secs(9), now));
    }
}
