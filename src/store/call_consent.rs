//! The caller's consent to the call being recorded, as they answered the agent's question:
//! kept on the call's row (the latest answer: a caller may change their mind) and logged as an
//! event of its timeline, in one transaction.

use jiff::Timestamp;
use serde_json::json;

use super::Store;
use super::call_events::{self, CallEventKind, NewCallEvent};
use super::error::StoreResult;
use super::ids::AccountId;
use super::row;

impl Store {
    /// Records that the caller of the account's call `call_sid` did (or did not) consent to
    /// its recording, at `at`. `false` when the account has no call with this CallSid.
    pub async fn record_call_consent(
        &self,
        account_id: &AccountId,
        call_sid: &str,
        consented: bool,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE calls SET record_consent = $3, record_consent_at = $4 \
             WHERE call_sid = $1 AND account_id = $2",
        )
        .bind(call_sid)
        .bind(account_id.as_str())
        .bind(i64::from(consented))
        .bind(row::millis(at))
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let event = NewCallEvent {
            at,
            kind: CallEventKind::RecordConsent,
            detail: json!({ "consented": consented }),
        };
        call_events::insert_with(&mut *tx, call_sid, &event).await?;
        tx.commit().await?;
        Ok(true)
    }
}
