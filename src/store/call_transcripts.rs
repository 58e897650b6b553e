//! A call's transcript as the bridge saw it: the agent's and the caller's turns and every tool
//! call, in order, each at its time from the call's start (table `call_turns`). Written once,
//! by the call recorder's worker when the call ends; and the purge of transcripts past their
//! account's retention (`accounts.transcript_retention_days`).
//!
//! Tool calls are turns of kind `tool` in the same table, so one ordered read gives the whole
//! conversation; the API shows them apart as well.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::call_outcome::CallOutcome;
use super::error::{StoreError, StoreResult};
use super::ids::{AccountId, BookingId, CallId};
use super::row;

/// Milliseconds in a day, for the retention.
const DAY_MS: i64 = 86_400_000;

/// Who spoke a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnRole {
    Agent,
    Caller,
}

impl TurnRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TurnRole::Agent => "agent",
            TurnRole::Caller => "caller",
        }
    }
}

/// A tool call as the agent made it and what it was told.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolTurn {
    pub tool_call_id: String,
    pub name: String,
    /// The arguments the agent sent (JSON).
    pub arguments: serde_json::Value,
    /// What the agent was told.
    pub result: String,
    pub is_error: bool,
    pub timed_out: bool,
    pub elapsed_ms: u64,
}

/// One turn of a call.
#[derive(Debug, Clone, PartialEq)]
pub enum CallTurn {
    Said {
        role: TurnRole,
        text: String,
        at_ms: u64,
    },
    Tool {
        call: ToolTurn,
        at_ms: u64,
    },
}

impl CallTurn {
    pub fn at_ms(&self) -> u64 {
        match self {
            CallTurn::Said { at_ms, .. } | CallTurn::Tool { at_ms, .. } => *at_ms,
        }
    }

    fn from_row(row: &AnyRow) -> StoreResult<CallTurn> {
        let at_ms = row::count::<u64>(row, "at_ms")?;
        let kind = row::text(row, "kind")?;
        let said = |role| {
            Ok(CallTurn::Said {
                role,
                text: row::opt_text(row, "text")?.unwrap_or_default(),
                at_ms,
            })
        };
        match kind.as_str() {
            "agent" => said(TurnRole::Agent),
            "caller" => said(TurnRole::Caller),
            "tool" => {
                let arguments = match row::opt_text(row, "arguments")? {
                    Some(json) => serde_json::from_str(&json)
                        .map_err(|e| StoreError::invalid("arguments", format!("not JSON: {e}")))?,
                    None => serde_json::Value::Null,
                };
                Ok(CallTurn::Tool {
                    call: ToolTurn {
                        tool_call_id: row::opt_text(row, "tool_call_id")?.unwrap_or_default(),
                        name: row::opt_text(row, "tool_name")?.unwrap_or_default(),
                        arguments,
                        result: row::opt_text(row, "result")?.unwrap_or_default(),
                        is_error: row::opt_int(row, "is_error")? == Some(1),
                        timed_out: row::opt_int(row, "timed_out")? == Some(1),
                        elapsed_ms: row::opt_count::<u64>(row, "elapsed_ms")?.unwrap_or(0),
                    },
                    at_ms,
                })
            }
            other => Err(StoreError::invalid(
                "kind",
                format!("unknown turn kind {other:?}"),
            )),
        }
    }
}

fn millis(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

impl Store {
    /// Stores a call's turns, in order, in one transaction. A turn already stored (the same
    /// call and position: a redelivered end) is left as it is. Returns how many were new.
    pub async fn write_call_transcript(
        &self,
        account_id: &AccountId,
        call_id: &CallId,
        turns: &[CallTurn],
        now: Timestamp,
    ) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let mut written = 0;
        for (seq, turn) in turns.iter().enumerate() {
            let query = sqlx::query(
                "INSERT INTO call_turns (call_id, account_id, seq, kind, at_ms, text, tool_call_id, \
                 tool_name, arguments, result, is_error, timed_out, elapsed_ms, created_at) \
                 SELECT id, account_id, $3, $5, $4, $6, $7, $8, $9, $10, $11, $12, $13, $14 \
                 FROM calls WHERE account_id = $1 AND id = $2 \
                 ON CONFLICT (call_id, seq) DO NOTHING",
            )
            .bind(account_id.as_str())
            .bind(call_id.as_str())
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .bind(millis(turn.at_ms()));
            let query = match turn {
                CallTurn::Said { role, text, .. } => query
                    .bind(role.as_str())
                    .bind(text.as_str())
                    .bind(None::<String>)
                    .bind(None::<String>)
                    .bind(None::<String>)
                    .bind(None::<String>)
                    .bind(None::<i64>)
                    .bind(None::<i64>)
                    .bind(None::<i64>),
                CallTurn::Tool { call, .. } => query
                    .bind("tool")
                    .bind(None::<String>)
                    .bind(call.tool_call_id.as_str())
                    .bind(call.name.as_str())
                    .bind(call.arguments.to_string())
                    .bind(call.result.as_str())
                    .bind(i64::from(call.is_error))
                    .bind(i64::from(call.timed_out))
                    .bind(millis(call.elapsed_ms)),
            };
            written += query
                .bind(row::millis(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(written)
    }

    /// A call's turns, in order; empty when none were stored or they were purged.
    pub async fn call_transcript(
        &self,
        account_id: &AccountId,
        call_id: &CallId,
    ) -> StoreResult<Vec<CallTurn>> {
        let rows = sqlx::query(
            "SELECT kind, at_ms, text, tool_call_id, tool_name, arguments, result, is_error, \
             timed_out, elapsed_ms FROM call_turns WHERE account_id = $1 AND call_id = $2 ORDER BY seq",
        )
        .bind(account_id.as_str())
        .bind(call_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, CallTurn::from_row)
    }

    /// Writes what a call came to unless it has an outcome already: the call's end is
    /// written once, so a second end (recovery, a redelivered end) changes nothing. `true`
    /// when written now.
    pub async fn set_first_call_outcome(
        &self,
        account_id: &AccountId,
        call_id: &CallId,
        outcome: CallOutcome,
        booking_id: Option<&BookingId>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE calls SET outcome = $3, booking_id = $4 \
             WHERE account_id = $1 AND id = $2 AND outcome IS NULL",
        )
        .bind(account_id.as_str())
        .bind(call_id.as_str())
        .bind(outcome.as_str())
        .bind(booking_id.map(BookingId::as_str))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Deletes the turns older than their account's retention at `now` (calls' rows and
    /// outcomes stay). Returns how many turns were deleted.
    pub async fn purge_expired_transcripts(&self, now: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM call_turns WHERE EXISTS (SELECT 1 FROM accounts \
             WHERE accounts.id = call_turns.account_id \
             AND accounts.transcript_retention_days IS NOT NULL \
             AND call_turns.created_at < $1 - accounts.transcript_retention_days * $2)",
        )
        .bind(row::millis(now))
        .bind(DAY_MS)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
