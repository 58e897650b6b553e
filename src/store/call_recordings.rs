//! Calls' recordings: one Ogg/Opus file a call, kept in the database so that any instance can
//! serve it, and removed once older than the account's retention.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::StoreResult;
use super::ids::{AccountId, CallId};
use super::row;

/// The one format recordings are kept in: Ogg/Opus, 8 kHz stereo (left the caller, right the
/// agent).
pub const OGG_OPUS: &str = "ogg_opus";

/// A recording to keep.
#[derive(Debug, Clone)]
pub struct NewCallRecording {
    pub call_id: CallId,
    pub account_id: AccountId,
    pub duration_ms: u64,
    pub audio: Vec<u8>,
    pub created_at: Timestamp,
}

/// A kept recording, with its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecording {
    pub call_id: CallId,
    pub format: String,
    pub duration_ms: u64,
    pub size_bytes: u64,
    pub audio: Vec<u8>,
    pub created_at: Timestamp,
}

impl CallRecording {
    fn from_row(row: &AnyRow) -> StoreResult<CallRecording> {
        use sqlx::Row;
        Ok(CallRecording {
            call_id: row::text(row, "call_id")?.into(),
            format: row::text(row, "format")?,
            duration_ms: row::count(row, "duration_ms")?,
            size_bytes: row::count(row, "size_bytes")?,
            audio: row.try_get("audio")?,
            created_at: row::instant(row, "created_at")?,
        })
    }
}

impl Store {
    /// Keeps a call's recording (replacing one already kept for the call).
    pub async fn save_call_recording(&self, new: &NewCallRecording) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM call_recordings WHERE call_id = $1")
            .bind(new.call_id.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO call_recordings \
             (call_id, account_id, format, duration_ms, size_bytes, audio, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new.call_id.as_str())
        .bind(new.account_id.as_str())
        .bind(OGG_OPUS)
        .bind(i64::try_from(new.duration_ms).unwrap_or(i64::MAX))
        .bind(i64::try_from(new.audio.len()).unwrap_or(i64::MAX))
        .bind(new.audio.as_slice())
        .bind(row::millis(new.created_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The account's recording of its call `call_id`, if one is kept.
    pub async fn call_recording(
        &self,
        account_id: &AccountId,
        call_id: &CallId,
    ) -> StoreResult<Option<CallRecording>> {
        let row = sqlx::query(
            "SELECT call_id, format, duration_ms, size_bytes, audio, created_at \
             FROM call_recordings WHERE call_id = $1 AND account_id = $2",
        )
        .bind(call_id.as_str())
        .bind(account_id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(CallRecording::from_row).transpose()
    }

    /// Whether a recording of the account's call `call_id` is kept (without reading it).
    pub async fn has_call_recording(&self, account_id: &AccountId, call_id: &CallId) -> StoreResult<bool> {
        let row =
            sqlx::query("SELECT 1 AS found FROM call_recordings WHERE call_id = $1 AND account_id = $2")
                .bind(call_id.as_str())
                .bind(account_id.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    /// Removes every recording older, at `now`, than its account's retention. Returns how many.
    pub async fn purge_call_recordings(&self, now: Timestamp) -> StoreResult<u64> {
        const DAY_MS: i64 = 86_400_000;
        let done = sqlx::query(
            "DELETE FROM call_recordings WHERE call_id IN ( \
                 SELECT r.call_id FROM call_recordings r JOIN accounts a ON a.id = r.account_id \
                 WHERE a.recording_retention_days IS NOT NULL \
                   AND r.created_at + a.recording_retention_days * $2 <= $1)",
        )
        .bind(row::millis(now))
        .bind(DAY_MS)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
