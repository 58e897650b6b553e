//! ElevenLabs' report that it could not place a call (`call_initiation_failure`), logged on
//! the call's timeline once per call: a unique index (migration 0034) turns a redelivery into
//! nothing.

use super::Store;
use super::call_events::{CallEventKind, NewCallEvent};
use super::error::StoreResult;
use super::ids::CallEventId;
use super::row;

impl Store {
    /// Logs the failure `event` (an [`CallEventKind::InitiationFailed`]) on the call with
    /// `call_sid`. `false` when it was logged before or no call has this CallSid.
    pub async fn record_initiation_failure(&self, call_sid: &str, event: &NewCallEvent) -> StoreResult<bool> {
        debug_assert_eq!(event.kind, CallEventKind::InitiationFailed);
        // The WHERE clause also settles SQLite's reading of `INSERT … SELECT … ON CONFLICT`.
        let done = sqlx::query(
            "INSERT INTO call_events (id, account_id, call_id, kind, at, detail) \
             SELECT $1, account_id, id, $3, $4, $5 FROM calls WHERE call_sid = $2 \
             ON CONFLICT DO NOTHING",
        )
        .bind(CallEventId::generate().as_str())
        .bind(call_sid)
        .bind(CallEventKind::InitiationFailed.as_str())
        .bind(row::millis(event.at))
        .bind(event.detail.to_string())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
