//! Call records: one row per phone call, written when the call is answered and finished when it ends.

use std::time::Duration;

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::{StoreError, StoreResult};
use super::ids::{AccountId, AgentId, CallId};
use super::row::{self, StoredWord};
use super::validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallDirection {
    Inbound,
    Outbound,
}

impl StoredWord for CallDirection {
    fn as_stored(&self) -> &'static str {
        match self {
            CallDirection::Inbound => "inbound",
            CallDirection::Outbound => "outbound",
        }
    }

    fn from_stored(word: &str) -> Option<Self> {
        match word {
            "inbound" => Some(CallDirection::Inbound),
            "outbound" => Some(CallDirection::Outbound),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub id: CallId,
    pub account_id: AccountId,
    pub agent_id: AgentId,
    /// Twilio's CallSid; unique.
    pub call_sid: String,
    pub direction: CallDirection,
    /// As Twilio reports them: usually E.164, but also `anonymous` or `client:...`.
    pub from_number: String,
    pub to_number: String,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub end_reason: Option<String>,
    pub duration: Option<Duration>,
    /// The ElevenLabs conversation, once known.
    pub conversation_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewCallRecord {
    pub agent_id: AgentId,
    pub call_sid: String,
    pub direction: CallDirection,
    pub from_number: String,
    pub to_number: String,
    pub started_at: Timestamp,
}

macro_rules! call_columns {
    () => {
        "id, account_id, agent_id, call_sid, direction, from_number, to_number, started_at, ended_at, \
         end_reason, duration_ms, conversation_id"
    };
}

impl CallRecord {
    fn from_row(row: &AnyRow) -> StoreResult<CallRecord> {
        Ok(CallRecord {
            id: row::text(row, "id")?.into(),
            account_id: row::text(row, "account_id")?.into(),
            agent_id: row::text(row, "agent_id")?.into(),
            call_sid: row::text(row, "call_sid")?,
            direction: row::word(row, "direction")?,
            from_number: row::text(row, "from_number")?,
            to_number: row::text(row, "to_number")?,
            started_at: row::instant(row, "started_at")?,
            ended_at: row::opt_instant(row, "ended_at")?,
            end_reason: row::opt_text(row, "end_reason")?,
            duration: row::opt_count::<u64>(row, "duration_ms")?.map(Duration::from_millis),
            conversation_id: row::opt_text(row, "conversation_id")?,
        })
    }
}

/// Durations are stored in whole milliseconds; anything past i64 is clamped (292 million years).
fn duration_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    /// Logs a call as it starts: one INSERT, checked by the unique index on `call_sid`
    /// (`Conflict(CallSid)` for a repeat) and the agent's (account_id, id) index.
    pub async fn insert_call(&self, account_id: &AccountId, new: NewCallRecord) -> StoreResult<CallRecord> {
        validate::not_blank("call sid", &new.call_sid)?;
        let call = CallRecord {
            id: CallId::generate(),
            account_id: account_id.clone(),
            agent_id: new.agent_id,
            call_sid: new.call_sid,
            direction: new.direction,
            from_number: new.from_number,
            to_number: new.to_number,
            started_at: row::stored_precision(new.started_at),
            ended_at: None,
            end_reason: None,
            duration: None,
            conversation_id: None,
        };
        sqlx::query(concat!(
            "INSERT INTO calls (",
            call_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, NULL, NULL)"
        ))
        .bind(call.id.as_str())
        .bind(call.account_id.as_str())
        .bind(call.agent_id.as_str())
        .bind(&call.call_sid)
        .bind(call.direction.as_stored())
        .bind(&call.from_number)
        .bind(&call.to_number)
        .bind(row::millis(call.started_at))
        .execute(&self.pool)
        .await?;
        Ok(call)
    }

    /// Records how the call ended and returns the row. The first finish wins: the stream's end
    /// and Twilio's status callback may both report it, and a repeat leaves the row unchanged.
    pub async fn finish_call(
        &self,
        call_sid: &str,
        ended_at: Timestamp,
        end_reason: &str,
        duration: Duration,
    ) -> StoreResult<CallRecord> {
        let row = sqlx::query(concat!(
            "UPDATE calls SET ended_at = $2, end_reason = $3, duration_ms = $4 \
             WHERE call_sid = $1 AND ended_at IS NULL RETURNING ",
            call_columns!()
        ))
        .bind(call_sid)
        .bind(row::millis(ended_at))
        .bind(end_reason)
        .bind(duration_ms(duration))
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => CallRecord::from_row(&row),
            None => self
                .call_by_sid(call_sid)
                .await?
                .ok_or(StoreError::NotFound { what: "call" }),
        }
    }

    /// Attaches the ElevenLabs conversation id once the agent socket reports it.
    pub async fn set_call_conversation_id(&self, call_sid: &str, conversation_id: &str) -> StoreResult<()> {
        let done = sqlx::query("UPDATE calls SET conversation_id = $2 WHERE call_sid = $1")
            .bind(call_sid)
            .bind(conversation_id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "call" });
        }
        Ok(())
    }

    /// Twilio's callbacks identify a call only by its CallSid, which is globally unique; the
    /// returned row says which account it belongs to.
    pub async fn call_by_sid(&self, call_sid: &str) -> StoreResult<Option<CallRecord>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            call_columns!(),
            " FROM calls WHERE call_sid = $1"
        ))
        .bind(call_sid)
        .fetch_optional(&self.pool)
        .await?;
        row::optional(row, CallRecord::from_row)
    }

    /// The account's most recent `limit` calls, newest first.
    pub async fn recent_calls(&self, account_id: &AccountId, limit: u32) -> StoreResult<Vec<CallRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            call_columns!(),
            " FROM calls WHERE account_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2"
        ))
        .bind(account_id.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, CallRecord::from_row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_round_trip_through_their_stored_words() {
        for direction in [CallDirection::Inbound, CallDirection::Outbound] {
            assert_eq!(CallDirection::from_stored(direction.as_stored()), Some(direction));
        }
    }

    #[test]
    fn durations_are_whole_milliseconds_and_never_overflow() {
        assert_eq!(duration_ms(Duration::from_micros(1_999)), 1);
        assert_eq!(duration_ms(Duration::MAX), i64::MAX);
    }
}
