//! An account's call log: calls listed with filters, newest first, and one call with its
//! timeline (see `store::call_events` for where each entry comes from).

use crate::call::EndReason;
use crate::store::{
    AgentId, CARRIER_END_REASON, CallDirection, CallFilter, CallId, CallRecord, CallTimeline,
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

/// The account's call `id` with its timeline.
pub async fn get(store: &Store, scope: &Scope, id: &str) -> ManageResult<CallTimeline> {
    Ok(store.call_timeline(&scope.account_id, &CallId::from(id)).await?)
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
