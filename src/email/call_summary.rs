//! The summary of a call to the business: written from the call's record, the recorder's
//! summary in words and the transcript (as stored: redacted when the account asks), with the
//! account's `call_summary` template, and enqueued once per call (`call:<call id>:summary`) to
//! the account's summary address. Nothing when the account set no address.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use tokio::sync::Notify;

use super::templates::{EmailKind, in_use};
use crate::store::{Booking, CallRecord, CallTurn, NewEmail, Store, StoreResult};

/// The longest transcript put in a summary, in characters; the rest is cut with a note.
const MAX_TRANSCRIPT_CHARS: usize = 15_000;

/// Enqueues call summaries.
#[derive(Debug, Clone)]
pub struct CallSummaries {
    store: Store,
    due: Arc<Notify>,
}

impl CallSummaries {
    /// `due` is woken after an enqueue.
    pub fn new(store: Store, due: Arc<Notify>) -> CallSummaries {
        CallSummaries { store, due }
    }

    /// Enqueues the summary of `call`; whether one was new.
    pub async fn call_ended(
        &self,
        call: &CallRecord,
        summary: &str,
        transcript: &[CallTurn],
        booking: Option<&Booking>,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let Some(to) = self.store.summary_address(&call.account_id).await? else {
            return Ok(false);
        };
        let account = self.store.account(&call.account_id).await?;
        let agent = self
            .store
            .agent(&call.account_id, &call.agent_id)
            .await
            .map(|agent| agent.name)
            .unwrap_or_else(|_| "the agent".to_owned());
        let values = values(
            call,
            &account.name,
            &account.timezone,
            &agent,
            summary,
            transcript,
            booking,
        );
        let saved = self.store.email_templates(&call.account_id).await?;
        let Ok((subject, body)) = in_use(EmailKind::CallSummary, &saved).render(&values) else {
            return Ok(false);
        };
        let email = NewEmail {
            account_id: call.account_id.clone(),
            idempotency_key: format!("call:{}:summary", call.id.as_str()),
            kind: EmailKind::CallSummary.as_str().to_owned(),
            to_address: to,
            to_name: Some(account.name),
            subject,
            body,
            attachment: None,
        };
        let (_, written) = self.store.enqueue_email(email, now).await?;
        if written {
            self.due.notify_one();
        }
        Ok(written)
    }
}

/// Every `call_summary` variable, pure; times on the account's clock.
pub fn values<'a>(
    call: &CallRecord,
    business: &str,
    zone_name: &str,
    agent: &str,
    summary: &str,
    transcript: &[CallTurn],
    booking: Option<&Booking>,
) -> BTreeMap<&'a str, String> {
    let zone = TimeZone::get(zone_name).unwrap_or(TimeZone::UTC);
    let started = call.started_at.to_zoned(zone);
    let seconds = call.duration.map_or(0, |d| d.as_secs());
    BTreeMap::from([
        ("business", business.to_owned()),
        ("caller", call.from_number.clone()),
        ("agent", agent.to_owned()),
        ("date", started.strftime("%A %-d %B %Y").to_string()),
        ("time", started.strftime("%H:%M").to_string()),
        ("timezone", zone_name.to_owned()),
        ("duration", format!("{} min {} s", seconds / 60, seconds % 60)),
        (
            "outcome",
            call.outcome
                .map_or("unknown", |outcome| outcome.as_str())
                .to_owned(),
        ),
        ("summary", summary.to_owned()),
        (
            "booking_reference",
            booking.map_or_else(|| "none".to_owned(), |b| b.reference.clone()),
        ),
        ("transcript", transcript_text(transcript)),
    ])
}

/// The transcript as lines: `Agent: …`, `Caller: …`, `Tool name: ok|failed`.
fn transcript_text(turns: &[CallTurn]) -> String {
    let mut out = String::new();
    for turn in turns {
        let line = match turn {
            CallTurn::Said { role, text, .. } => {
                let who = match role.as_str() {
                    "agent" => "Agent",
                    _ => "Caller",
                };
                format!("{who}: {text}\n")
            }
            CallTurn::Tool { call, .. } => format!(
                "Tool {}: {}\n",
                call.name,
                if call.is_error || call.timed_out {
                    "failed"
                } else {
                    "ok"
                }
            ),
        };
        if out.chars().count() + line.chars().count() > MAX_TRANSCRIPT_CHARS {
            out.push_str("(the rest of the transcript is in the call's record)\n");
            break;
        }
        out.push_str(&line);
    }
    if out.is_empty() {
        out.push_str("(no transcript)\n");
    }
    out
}
