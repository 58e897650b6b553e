//! An account's call log: calls listed with filters, newest first, and one call with its
//! timeline (see `store::call_events` for where each entry comes from), its transcript and
//! tool calls (`store::call_transcripts`) and its cost estimate.

use std::time::Duration;

use crate::call::EndReason;
use crate::store::{
    AgentId, CARRIER_END_REASON, CallDirection, CallFilter, CallId, CallRecord, CallTimeline, CallTurn,
    LOST_END_REASON, Page, PageRequest, Store,
};

use super::Scope;
use super::error::{ManageError, ManageResult};
use super::input;

/// The list's filters as the client sends them (all optional; instants RFC 3339).
#[derive(Debug, Clone, Default)]
pub struct CallQuery {
    pub agent_id: Option<String>,
    /// `inbound` or `outbound`.
    pub direction: Option<String>,
    /// One of [`end_reasons`].
    pub end_reason: Option<String>,
    pub started_from: Option<String>,
    pub started_to: Option<String>,
}

/// Every end reason a call record can have: the bridge's, a lost instance's, Twilio's.
pub fn end_reasons() -> impl Iterator<Item = &'static str> {
    EndReason::LABELS
        .into_iter()
        .chain([LOST_END_REASON, CARRIER_END_REASON])
}

/// A page of the account's calls, the most recent first.
pub async fn list(
    store: &Store,
    scope: &Scope,
    query: &CallQuery,
    page: &PageRequest,
) -> ManageResult<Page<CallRecord>> {
    let direction = query.direction.as_deref().map(direction).transpose()?;
    let end_reason = query.end_reason.as_deref().map(end_reason).transpose()?;
    let started_from = input::opt_instant("started_from", query.started_from.as_deref())?;
    let started_to = input::opt_instant("started_to", query.started_to.as_deref())?;
    input::ordered("started_from", started_from, "started_to", started_to)?;
    let filter = CallFilter {
        agent_id: query.agent_id.as_deref().map(AgentId::from),
        direction,
        end_reason,
        started_from,
        started_to,
    };
    Ok(store.calls(&scope.account_id, &filter, page).await?)
}

/// A call with everything known of it.
#[derive(Debug, Clone)]
pub struct CallDetail {
    pub timeline: CallTimeline,
    /// Its turns and tool calls, in order; empty once past the account's retention.
    pub transcript: Vec<CallTurn>,
    pub cost: CostEstimate,
}

/// What a call cost, estimated: its started minutes at the configured price.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostEstimate {
    pub minutes: u64,
    pub per_minute_usd: f64,
    pub total_usd: f64,
}

/// The estimate for a call connected for `connected`: every started minute counts, and the
/// total is rounded to a hundredth of a cent.
pub fn cost_estimate(connected: Duration, per_minute_usd: f64) -> CostEstimate {
    let minutes =
        connected.as_secs().div_ceil(60) + u64::from(connected.as_secs() == 0 && !connected.is_zero());
    let total = minutes as f64 * per_minute_usd;
    CostEstimate {
        minutes,
        per_minute_usd,
        total_usd: (total * 10_000.0).round() / 10_000.0,
    }
}

/// The account's call `id` with its timeline, transcript and cost estimate.
pub async fn get(store: &Store, scope: &Scope, id: &str, per_minute_usd: f64) -> ManageResult<CallDetail> {
    let call_id = CallId::from(id);
    let timeline = store.call_timeline(&scope.account_id, &call_id).await?;
    let transcript = store.call_transcript(&scope.account_id, &call_id).await?;
    let connected = timeline
        .call
        .duration
        .or(timeline.call.progress)
        .unwrap_or_default();
    Ok(CallDetail {
        cost: cost_estimate(connected, per_minute_usd),
        timeline,
        transcript,
    })
}

/// What ElevenLabs reported after the call's conversation, when it has reported.
pub async fn analysis(
    store: &Store,
    timeline: &CallTimeline,
) -> ManageResult<Option<crate::store::PostCallAnalysis>> {
    match timeline.call.conversation_id.as_deref() {
        Some(conversation_id) => Ok(store.post_call_analysis(conversation_id).await?),
        None => Ok(None),
    }
}

fn direction(text: &str) -> ManageResult<CallDirection> {
    match text.trim() {
        "inbound" => Ok(CallDirection::Inbound),
        "outbound" => Ok(CallDirection::Outbound),
        other => Err(ManageError::invalid(
            "direction",
            format!("{other:?} is not inbound or outbound"),
        )),
    }
}

fn end_reason(text: &str) -> ManageResult<String> {
    let text = text.trim();
    match end_reasons().find(|known| *known == text) {
        Some(known) => Ok(known.to_owned()),
        None => Err(ManageError::invalid(
            "end_reason",
            format!(
                "{text:?} is not one of {}",
                end_reasons().collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calls_cost_counts_every_started_minute() {
        assert_eq!(cost_estimate(Duration::ZERO, 0.0885).minutes, 0);
        assert_eq!(cost_estimate(Duration::from_millis(400), 0.0885).minutes, 1);
        assert_eq!(cost_estimate(Duration::from_secs(60), 0.0885).minutes, 1);
        let estimate = cost_estimate(Duration::from_secs(61), 0.0885);
        assert_eq!(estimate.minutes, 2);
        assert_eq!(estimate.total_usd, 0.177);
        assert_eq!(cost_estimate(Duration::from_secs(150), 0.1).total_usd, 0.3);
    }

    #[test]
    fn filters_take_only_known_words() {
        assert_eq!(direction("outbound").unwrap(), CallDirection::Outbound);
        assert!(direction("sideways").is_err());
        for known in end_reasons() {
            assert_eq!(end_reason(known).unwrap(), known);
        }
        let refused = end_reason("hung_up").unwrap_err().to_string();
        assert!(
            refused.starts_with("end_reason: ") && refused.contains("caller_hung_up"),
            "{refused}"
        );
    }
}
