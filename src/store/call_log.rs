//! An account's calls as a log to browse: a page of them, newest first, narrowed by agent,
//! direction, how they ended and when they started.

use jiff::Timestamp;

use super::Store;
use super::calls::{CallDirection, CallRecord, call_columns};
use super::error::StoreResult;
use super::filters::Conditions;
use super::ids::{AccountId, AgentId};
use super::page::{Page, PageRequest};
use super::row::{self, StoredWord};

/// Which of an account's calls to list: every filter given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFilter {
    pub agent_id: Option<AgentId>,
    pub direction: Option<CallDirection>,
    /// The stored end reason (`caller_hung_up`, `agent_ended`, …).
    pub end_reason: Option<String>,
    /// Calls answered at or after this instant.
    pub started_from: Option<Timestamp>,
    /// Calls answered before this instant.
    pub started_to: Option<Timestamp>,
}

impl Store {
    /// A page of the account's calls that pass `filter`, the most recent first.
    pub async fn calls(
        &self,
        account_id: &AccountId,
        filter: &CallFilter,
        page: &PageRequest,
    ) -> StoreResult<Page<CallRecord>> {
        let mut conditions = Conditions::of_account(account_id);
        conditions.text_eq("agent_id", filter.agent_id.as_ref().map(AgentId::as_str));
        conditions.text_eq("direction", filter.direction.as_ref().map(StoredWord::as_stored));
        conditions.text_eq("end_reason", filter.end_reason.as_deref());
        conditions.int_range(
            "started_at",
            filter.started_from.map(row::millis),
            filter.started_to.map(row::millis),
        );
        let rows = conditions
            .page_query(call_columns!(), "calls", page)
            .fetch_all(&self.pool)
            .await?;
        let calls = row::all(rows, CallRecord::from_row)?;
        Ok(Page::from_fetched(calls, page, |call| call.id.as_str()))
    }
}
