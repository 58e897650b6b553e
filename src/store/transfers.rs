//! A call handed to a person: what Twilio's requests about the transfer need, read from the
//! call's row and its timeline so that any instance can answer them (the stream, the connect
//! action, the whisper and the dial's outcome may each land on a different one).
//!
//! The agent's `transfer_call` logs a `transfer_requested` event (its reason) before the agent
//! is told the transfer is under way, so the event is stored before the stream ends. The dial's
//! outcome is a `transferred` event, logged at most once per call: a unique index on the
//! call's `transferred` events (migration 0014) makes a redelivered callback add nothing.

use serde_json::Value;

use super::Store;
use super::call_events::{CallEventKind, NewCallEvent};
use super::calls::{CallRecord, CallUpdate, call_columns};
use super::error::StoreResult;
use super::ids::CallEventId;
use super::row;

/// The transfer the agent asked for on a call, with what the person answering is told.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferRequest {
    pub call: CallRecord,
    /// Why the caller wants a person, as the agent put it.
    pub reason: String,
    /// The call so far, if the agent summed it up.
    pub summary: Option<String>,
    /// The name of the account's contact with the caller's number, if there is one.
    pub caller_name: Option<String>,
}

impl Store {
    /// The transfer asked for on the call `call_sid` (its latest `transfer_requested` event);
    /// `None` when no call has this CallSid or none was asked for.
    pub async fn transfer_request(&self, call_sid: &str) -> StoreResult<Option<TransferRequest>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            call_columns!(),
            " FROM calls WHERE call_sid = $1"
        ))
        .bind(call_sid)
        .fetch_optional(&self.pool)
        .await?;
        let Some(call) = row::optional(row, CallRecord::from_row)? else {
            return Ok(None);
        };
        let event = sqlx::query(
            "SELECT detail FROM call_events WHERE call_id = $1 AND account_id = $2 AND kind = $3 \
             ORDER BY at DESC, id DESC LIMIT 1",
        )
        .bind(call.id.as_str())
        .bind(call.account_id.as_str())
        .bind(CallEventKind::TransferRequested.as_str())
        .fetch_optional(&self.pool)
        .await?;
        let Some(event) = event else {
            return Ok(None);
        };
        let detail: Value = row::opt_text(&event, "detail")?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or(Value::Null);
        let text = |field: &str| {
            detail
                .get(field)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .filter(|text| !text.is_empty())
        };
        let caller_name = self
            .contact_by_phone(&call.account_id, &call.from_number)
            .await?
            .and_then(|contact| contact.name)
            .filter(|name| !name.trim().is_empty());
        Ok(Some(TransferRequest {
            reason: text("reason").unwrap_or_default(),
            summary: text("summary"),
            caller_name,
            call,
        }))
    }

    /// Logs the end of the call's transfer (a [`CallEventKind::Transferred`] event), once per
    /// call: `Repeat` when it was logged before, and nothing changes.
    pub async fn record_transfer_outcome(
        &self,
        call_sid: &str,
        event: &NewCallEvent,
    ) -> StoreResult<CallUpdate<()>> {
        debug_assert_eq!(event.kind, CallEventKind::Transferred);
        // The WHERE clause also settles SQLite's reading of `INSERT … SELECT … ON CONFLICT`.
        let done = sqlx::query(
            "INSERT INTO call_events (id, account_id, call_id, kind, at, detail) \
             SELECT $1, account_id, id, $3, $4, $5 FROM calls WHERE call_sid = $2 \
             ON CONFLICT DO NOTHING",
        )
        .bind(CallEventId::generate().as_str())
        .bind(call_sid)
        .bind(CallEventKind::Transferred.as_str())
        .bind(row::millis(event.at))
        .bind(event.detail.to_string())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(CallUpdate::New(()));
        }
        Ok(match self.call_by_sid(call_sid).await? {
            Some(_) => CallUpdate::Repeat,
            None => CallUpdate::UnknownCall,
        })
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use serde_json::json;

    use super::*;
    use crate::store::testing::{self, seed_business};
    use crate::store::{CallDirection, NewCallRecord, NewContact};

    async fn call(store: &Store, from: &str) -> (CallRecord, crate::store::testing::Business) {
        let business = seed_business(store).await;
        let call = store
            .insert_call(
                &business.account.id,
                NewCallRecord {
                    agent_id: business.agent.id.clone(),
                    call_sid: "CA0000000000000000000000000000transfer".into(),
                    direction: CallDirection::Inbound,
                    from_number: from.into(),
                    to_number: business.agent.phone_number.clone().unwrap(),
                    started_at: Timestamp::now(),
                },
            )
            .await
            .unwrap()
            .unwrap();
        (call, business)
    }

    fn event(kind: CallEventKind, detail: Value) -> NewCallEvent {
        NewCallEvent {
            at: Timestamp::now(),
            kind,
            detail,
        }
    }

    #[tokio::test]
    async fn the_latest_request_is_read_with_the_callers_contact_name() {
        let store = testing::sqlite().await;
        let (call, business) = call(&store, "+15005550006").await;
        assert_eq!(store.transfer_request(&call.call_sid).await.unwrap(), None);
        store
            .insert_contact(
                &business.account.id,
                NewContact {
                    phone: "+15005550006".into(),
                    name: Some("Jane Doe".into()),
                    email: None,
                },
            )
            .await
            .unwrap();
        let asked = event(
            CallEventKind::TransferRequested,
            json!({"reason": "a billing question", "summary": "Asked about an invoice."}),
        );
        assert!(store.insert_call_event(&call.call_sid, &asked).await.unwrap());
        let request = store.transfer_request(&call.call_sid).await.unwrap().unwrap();
        assert_eq!(request.reason, "a billing question");
        assert_eq!(request.summary.as_deref(), Some("Asked about an invoice."));
        assert_eq!(request.caller_name.as_deref(), Some("Jane Doe"));
        assert_eq!(request.call.id, call.id);
        assert_eq!(store.transfer_request("CAunknown").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_transfers_outcome_is_logged_once() {
        let store = testing::sqlite().await;
        let (call, _) = call(&store, "+15005550006").await;
        let done = event(CallEventKind::Transferred, json!({"answered": true}));
        assert_eq!(
            store
                .record_transfer_outcome(&call.call_sid, &done)
                .await
                .unwrap(),
            CallUpdate::New(())
        );
        let again = event(CallEventKind::Transferred, json!({"answered": false}));
        assert_eq!(
            store
                .record_transfer_outcome(&call.call_sid, &again)
                .await
                .unwrap(),
            CallUpdate::Repeat
        );
        assert_eq!(
            store.record_transfer_outcome("CAunknown", &done).await.unwrap(),
            CallUpdate::UnknownCall
        );
        let timeline = store.call_timeline(&call.account_id, &call.id).await.unwrap();
        let transferred: Vec<_> = timeline
            .events
            .iter()
            .filter(|e| e.kind == CallEventKind::Transferred)
            .collect();
        assert_eq!(transferred.len(), 1);
        assert_eq!(transferred[0].detail, json!({"answered": true}));
    }
}
