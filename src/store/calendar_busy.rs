//! The busy time last read from each of a host's calendar sources (`calendar_busy`, migration
//! 0040): replaced whole, in one transaction, after a good fetch, and read beside the host's
//! bookings by availability and by the booking transaction. Reading never waits on a fetch.

use jiff::Timestamp;
use sqlx::Any;

use super::Store;
use super::calendar_sources::CalendarSource;
use super::error::StoreResult;
use super::ids::HostId;
use super::row;

/// Rows per INSERT when a copy is written.
const ROWS_PER_INSERT: usize = 200;

/// A stretch of the host's time one of its calendars holds, `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExternalBusy {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// Replaces the cached busy time of `source` with `busy`, inside the caller's transaction.
pub(super) async fn replace(
    tx: &mut sqlx::Transaction<'static, Any>,
    source: &CalendarSource,
    busy: &[(Timestamp, Timestamp)],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM calendar_busy WHERE source_id = $1")
        .bind(&source.id)
        .execute(&mut **tx)
        .await?;
    for chunk in busy.chunks(ROWS_PER_INSERT) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("($1, $2, ${}, ${})", 3 + 2 * i, 4 + 2 * i))
            .collect();
        let sql = format!(
            "INSERT INTO calendar_busy (source_id, host_id, starts_at, ends_at) VALUES {}",
            values.join(", ")
        );
        // Only placeholders are formatted in; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(&source.id)
            .bind(source.host_id.as_str());
        for (start, end) in chunk {
            query = query.bind(row::millis(*start)).bind(row::millis(*end));
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The host's cached busy time overlapping `[from, to)`, by start.
pub(crate) async fn fetch_overlapping<'c, E>(
    executor: E,
    host_id: &HostId,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<ExternalBusy>>
where
    E: sqlx::Executor<'c, Database = Any>,
{
    let rows = sqlx::query(
        "SELECT starts_at, ends_at FROM calendar_busy WHERE host_id = $1 AND starts_at < $3 \
         AND ends_at > $2 ORDER BY starts_at, ends_at",
    )
    .bind(host_id.as_str())
    .bind(row::millis(from))
    .bind(row::millis(to))
    .fetch_all(executor)
    .await?;
    row::all(rows, |row| {
        Ok(ExternalBusy {
            start: row::instant(row, "starts_at")?,
            end: row::instant(row, "ends_at")?,
        })
    })
}

impl Store {
    /// The host's busy time from its own calendars overlapping `[from, to)`, as last fetched.
    pub async fn external_busy(
        &self,
        host_id: &HostId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<ExternalBusy>> {
        fetch_overlapping(&self.pool, host_id, from, to).await
    }
}
