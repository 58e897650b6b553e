//! A call's timeline for the call log: the call's row, which says when it was answered and how
//! it ended (and is corrected by better sources, so the timeline never contradicts it), with
//! the events logged between (`call_events`), in order.

use serde_json::json;

use super::Store;
use super::call_events::{CallEvent, CallEventKind, event_from_row};
use super::calls::{CallRecord, call_columns};
use super::error::StoreResult;
use super::ids::{AccountId, CallId};
use super::row;

/// A call's record and its timeline, oldest entry first.
#[derive(Debug, Clone, PartialEq)]
pub struct CallTimeline {
    pub call: CallRecord,
    pub events: Vec<CallEvent>,
}

/// The entries the row itself gives: its answer, and its end once it has one.
fn row_events(call: &CallRecord) -> (CallEvent, Option<CallEvent>) {
    let answered = CallEvent {
        at: call.started_at,
        kind: CallEventKind::Answered,
        detail: json!({ "from": call.from_number, "to": call.to_number }),
    };
    let ended = call.ended_at.map(|at| CallEvent {
        at,
        kind: CallEventKind::Ended,
        detail: json!({
            "reason": call.end_reason,
            "duration_seconds": call.duration.map(|duration| duration.as_secs()),
        }),
    });
    (answered, ended)
}

impl Store {
    /// The account's call `id` with its timeline by time. At the same instant the answer comes
    /// first and the end after the logged events.
    pub async fn call_timeline(&self, account_id: &AccountId, id: &CallId) -> StoreResult<CallTimeline> {
        let row = sqlx::query(concat!(
            "SELECT ",
            call_columns!(),
            " FROM calls WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id.as_str())
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let call = row::required(row, "call", CallRecord::from_row)?;
        let rows = sqlx::query(
            "SELECT kind, at, detail FROM call_events WHERE call_id = $1 AND account_id = $2 \
             ORDER BY at, id",
        )
        .bind(call.id.as_str())
        .bind(account_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        let logged = row::all(rows, event_from_row)?;
        let (answered, ended) = row_events(&call);
        let mut events = Vec::with_capacity(logged.len() + 2);
        events.push(answered);
        events.extend(logged);
        events.extend(ended);
        // Stable: ties keep the order above.
        events.sort_by_key(|event| event.at);
        Ok(CallTimeline { call, events })
    }
}
