//! A call's row written as the call is answered, with the account's limit on calls at once
//! kept across every instance sharing the database; and the row of a call turned away before
//! reaching an agent (after hours, out of minutes), so its voicemail is kept and its outcome
//! shows in the call log.
//!
//! The limit is held by the database: in one transaction, serialized per account (the account's
//! row locked with `SELECT … FOR UPDATE` on PostgreSQL; on SQLite the transaction takes the
//! write lock as it begins), the account's live calls are counted and the new call's row is
//! inserted. So two instances never both take the last place. A live call is one answered and
//! not ended whose record was written (answered, or its progress) since `live_since`: a call
//! whose instance stopped writing longer ago than recovery allows is not live.

use jiff::Timestamp;
use sqlx::AnyConnection;

use super::Store;
use super::backend::Backend;
use super::calls::{CallRecord, NewCallRecord};
use super::error::StoreResult;
use super::ids::{AccountId, CallId};
use super::row::{self, StoredWord};
use super::validate;

/// What answering a call did.
#[derive(Debug, Clone, PartialEq)]
pub enum CallAdmission {
    /// The call has its row and may be connected.
    Answered(CallRecord),
    /// The account had `live` calls, its limit: the call's row is written ended (with the
    /// end reason asked for), so its voicemail has a row to be kept on.
    Full { live: u64, call: CallRecord },
    /// This CallSid was answered before: nothing written.
    Repeat,
}

impl Store {
    /// Answers a call of `account_id` unless the account already has `max_live` live calls
    /// (`None`: no limit); over it, the row is written ended at once with `full_reason`.
    pub async fn admit_call(
        &self,
        account_id: &AccountId,
        new: NewCallRecord,
        max_live: Option<u32>,
        live_since: Timestamp,
        full_reason: &str,
    ) -> StoreResult<CallAdmission> {
        validate::not_blank("call sid", &new.call_sid)?;
        let mut tx = self.begin_write().await?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
                .bind(account_id.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let answered_before = sqlx::query("SELECT 1 AS one FROM calls WHERE call_sid = $1")
            .bind(&new.call_sid)
            .fetch_optional(&mut *tx)
            .await?;
        if answered_before.is_some() {
            return Ok(CallAdmission::Repeat);
        }
        let live = match max_live {
            None => None,
            Some(_) => {
                let row = sqlx::query(
                    "SELECT COUNT(*) AS live FROM calls WHERE account_id = $1 AND ended_at IS NULL \
                     AND COALESCE(progress_at, started_at) >= $2",
                )
                .bind(account_id.as_str())
                .bind(row::millis(live_since))
                .fetch_one(&mut *tx)
                .await?;
                Some(row::count::<u64>(&row, "live")?)
            }
        };
        let full = match (live, max_live) {
            (Some(live), Some(max)) if live >= u64::from(max) => Some(live),
            _ => None,
        };
        let Some(call) = insert_with(&mut tx, account_id, new, full.map(|_| full_reason)).await? else {
            return Ok(CallAdmission::Repeat);
        };
        tx.commit().await?;
        Ok(match full {
            Some(live) => CallAdmission::Full { live, call },
            None => CallAdmission::Answered(call),
        })
    }

    /// Writes the row of a call that reaches no agent, ended as it starts with `end_reason`;
    /// `None` when this CallSid was answered before.
    pub async fn insert_turned_away_call(
        &self,
        account_id: &AccountId,
        new: NewCallRecord,
        end_reason: &str,
    ) -> StoreResult<Option<CallRecord>> {
        validate::not_blank("call sid", &new.call_sid)?;
        let mut conn = self.pool.acquire().await?;
        insert_with(&mut conn, account_id, new, Some(end_reason)).await
    }
}

/// Inserts the call's row, live, or ended at its start with `ended` as its end reason; `None`
/// when the unique CallSid is there already.
async fn insert_with(
    conn: &mut AnyConnection,
    account_id: &AccountId,
    new: NewCallRecord,
    ended: Option<&str>,
) -> StoreResult<Option<CallRecord>> {
    let started_at = row::stored_precision(new.started_at);
    let call = CallRecord {
        id: CallId::generate(),
        account_id: account_id.clone(),
        agent_id: new.agent_id,
        call_sid: new.call_sid,
        direction: new.direction,
        from_number: new.from_number,
        to_number: new.to_number,
        started_at,
        ended_at: ended.map(|_| started_at),
        end_reason: ended.map(str::to_owned),
        duration: ended.map(|_| std::time::Duration::ZERO),
        conversation_id: None,
        progress_at: None,
        progress: None,
        carrier_duration: None,
        voicemail_url: None,
        record_consent: None,
        outcome: None,
        booking_id: None,
    };
    let done = sqlx::query(
        "INSERT INTO calls (id, account_id, agent_id, call_sid, direction, from_number, to_number, \
         started_at, ended_at, end_reason, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (call_sid) DO NOTHING",
    )
    .bind(call.id.as_str())
    .bind(call.account_id.as_str())
    .bind(call.agent_id.as_str())
    .bind(&call.call_sid)
    .bind(call.direction.as_stored())
    .bind(&call.from_number)
    .bind(&call.to_number)
    .bind(row::millis(call.started_at))
    .bind(call.ended_at.map(row::millis))
    .bind(call.end_reason.as_deref())
    .bind(call.duration.map(|_| 0_i64))
    .execute(conn)
    .await?;
    Ok((done.rows_affected() == 1).then_some(call))
}
