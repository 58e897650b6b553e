//! An account's phone use in a billing period against its plan: minutes used (each call's
//! started minutes, see `store::usage`), the plan's monthly minutes and what remains, the
//! period's calls, their average length and their most frequent outcomes.

use jiff::Timestamp;

use crate::store::{Outcome, Store};

use super::Scope;
use super::accounts::period_of;
use super::error::{ManageError, ManageResult};

/// The account's usage in its billing period that contains `now` (monthly, anchored to the day
/// the account was made, in its time zone), against its plan's monthly minutes.
pub async fn current(store: &Store, scope: &Scope, now: Timestamp) -> ManageResult<UsageReport> {
    let (account, plan) = tokio::try_join!(
        store.account(&scope.account_id),
        store.account_plan(&scope.account_id)
    )?;
    let period = period_of(&account, now)?;
    for_period(store, scope, period.start, period.end, plan.monthly_minutes).await
}

/// The period's usage, as a client reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageReport {
    /// The billing period `[period_start, period_end)`.
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    pub minutes_used: u64,
    /// The plan's minutes per period; `None` when unlimited.
    pub minute_limit: Option<u32>,
    /// What is left of the limit (never below zero); `None` when unlimited.
    pub remaining: Option<u64>,
    pub calls_this_period: u64,
    /// `None` without calls.
    pub avg_duration_seconds: Option<u64>,
    pub top_outcomes: Vec<Outcome>,
    /// The period's calls' whole seconds, summed (each call's media time, see `store::usage`).
    pub seconds_used: u64,
}

/// The account's usage by the calls answered in `[from, to)`, against `minute_limit`.
pub async fn for_period(
    store: &Store,
    scope: &Scope,
    from: Timestamp,
    to: Timestamp,
    minute_limit: Option<u32>,
) -> ManageResult<UsageReport> {
    if to <= from {
        return Err(ManageError::invalid("to", "must be after from"));
    }
    let usage = store.usage(&scope.account_id, from, to).await?;
    Ok(UsageReport {
        period_start: from,
        period_end: to,
        minutes_used: usage.minutes,
        minute_limit,
        remaining: minute_limit.map(|limit| u64::from(limit).saturating_sub(usage.minutes)),
        calls_this_period: usage.calls,
        avg_duration_seconds: usage.average_seconds(),
        top_outcomes: usage.top_outcomes,
        seconds_used: usage.seconds,
    })
}
