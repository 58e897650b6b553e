//! The figures a business owner asks of their calls over a range of time: how many calls came,
//! how many an agent took, how long they lasted, what they came to, and each agent's minutes.
//!
//! Counted as `store::usage` counts: a call belongs to the range it was answered in
//! (`started_at` in `[from, to)`), and its minutes are its whole seconds' started minutes
//! (Twilio's `CallDuration` first, then the bridge's metered time). A call was *taken by an
//! agent* when its agent's conversation opened (`conversation_id` written): calls turned away
//! (after hours, out of minutes, over the plan's calls at once) and calls whose agent could not
//! be reached count as calls, not as taken. Ratios are left to the caller (`manage::analytics`).

use jiff::Timestamp;

use super::Store;
use super::call_outcome::CallOutcome;
use super::error::StoreResult;
use super::filters::Conditions;
use super::ids::{AccountId, AgentId};
use super::row;
use super::usage::CALL_SECONDS;

/// An account's calls over a range, optionally one agent's.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallFigures {
    pub calls: u64,
    /// Calls whose agent's conversation opened.
    pub taken: u64,
    /// The taken calls' whole seconds, summed.
    pub taken_seconds: u64,
    /// How many calls came to each outcome, in [`CallOutcome::ALL`]'s order, with zeros; calls
    /// without an outcome yet are not in it.
    pub outcomes: Vec<(CallOutcome, u64)>,
    /// Each agent with calls in the range: its started minutes and calls, the most minutes first.
    pub by_agent: Vec<AgentMinutes>,
}

/// The account's follow-up texts over a range (texts are the account's, not an agent's):
/// counted by when they were enqueued, and the numbers that opted out in it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextFigures {
    /// Texts Twilio accepted.
    pub sent: u64,
    /// Of those, the ones Twilio reported delivered (or read).
    pub delivered: u64,
    /// Texts given up, or reported undelivered or failed by Twilio.
    pub failed: u64,
    /// Numbers that opted out of the account's texts and calls in the range, and still are.
    pub opt_outs: u64,
}

/// One agent's share of the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentMinutes {
    pub agent_id: AgentId,
    pub minutes: u64,
    pub calls: u64,
}

impl CallFigures {
    /// How many calls came to `outcome`.
    pub fn outcome(&self, outcome: CallOutcome) -> u64 {
        self.outcomes
            .iter()
            .find(|(each, _)| *each == outcome)
            .map_or(0, |(_, calls)| *calls)
    }
}

impl Store {
    /// The account's follow-up texts enqueued in `[from, to)`, and its opt-outs in it.
    pub async fn text_figures(
        &self,
        account_id: &AccountId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<TextFigures> {
        let mut texts = Conditions::of_account(account_id);
        texts.int_range("created_at", Some(row::millis(from)), Some(row::millis(to)));
        let counted = texts
            .select(
                "CAST(COALESCE(SUM(CASE WHEN status = 'sent' THEN 1 ELSE 0 END), 0) AS BIGINT) AS sent, \
                 CAST(COALESCE(SUM(CASE WHEN status = 'sent' AND message_status IN ('delivered', 'read') \
                 THEN 1 ELSE 0 END), 0) AS BIGINT) AS delivered, \
                 CAST(COALESCE(SUM(CASE WHEN status = 'failed' OR message_status IN ('undelivered', 'failed') \
                 THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed",
                "sms_outbox",
                "",
            )
            .fetch_one(&self.pool)
            .await?;
        let mut opted = Conditions::of_account(account_id);
        opted.int_range("changed_at", Some(row::millis(from)), Some(row::millis(to)));
        opted.and("opted_out = 1".into());
        let opt_outs = opted
            .select("COUNT(*) AS opt_outs", "sms_opt_outs", "")
            .fetch_one(&self.pool)
            .await?;
        Ok(TextFigures {
            sent: row::count(&counted, "sent")?,
            delivered: row::count(&counted, "delivered")?,
            failed: row::count(&counted, "failed")?,
            opt_outs: row::count(&opt_outs, "opt_outs")?,
        })
    }

    /// The account's calls answered in `[from, to)`, of `agent` only when given.
    pub async fn call_figures(
        &self,
        account_id: &AccountId,
        from: Timestamp,
        to: Timestamp,
        agent: Option<&AgentId>,
    ) -> StoreResult<CallFigures> {
        let range = || {
            let mut conditions = Conditions::of_account(account_id);
            conditions.int_range("started_at", Some(row::millis(from)), Some(row::millis(to)));
            conditions.text_eq("agent_id", agent.map(AgentId::as_str));
            conditions
        };
        let totals = range()
            .select(
                &format!(
                    "COUNT(*) AS call_count, \
                     CAST(COALESCE(SUM(CASE WHEN conversation_id IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) \
                     AS taken, \
                     CAST(COALESCE(SUM(CASE WHEN conversation_id IS NOT NULL THEN {CALL_SECONDS} ELSE 0 END), 0) \
                     AS BIGINT) AS taken_seconds"
                ),
                "calls",
                "",
            )
            .fetch_one(&self.pool)
            .await?;
        let mut with_outcome = range();
        with_outcome.and("outcome IS NOT NULL".into());
        let outcome_rows = with_outcome
            .select("outcome, COUNT(*) AS call_count", "calls", "GROUP BY outcome")
            .fetch_all(&self.pool)
            .await?;
        let counted = row::all(outcome_rows, |row| {
            Ok((
                row::word::<CallOutcome>(row, "outcome")?,
                row::count::<u64>(row, "call_count")?,
            ))
        })?;
        let outcomes = CallOutcome::ALL
            .into_iter()
            .map(|outcome| {
                let calls = counted
                    .iter()
                    .find(|(each, _)| *each == outcome)
                    .map_or(0, |(_, calls)| *calls);
                (outcome, calls)
            })
            .collect();
        let agent_rows = range()
            .select(
                &format!(
                    "agent_id, COUNT(*) AS call_count, \
                     CAST(COALESCE(SUM(({CALL_SECONDS} + 59) / 60), 0) AS BIGINT) AS minutes"
                ),
                "calls",
                "GROUP BY agent_id ORDER BY minutes DESC, agent_id",
            )
            .fetch_all(&self.pool)
            .await?;
        let by_agent = row::all(agent_rows, |row| {
            Ok(AgentMinutes {
                agent_id: row::text(row, "agent_id")?.into(),
                minutes: row::count(row, "minutes")?,
                calls: row::count(row, "call_count")?,
            })
        })?;
        Ok(CallFigures {
            calls: row::count(&totals, "call_count")?,
            taken: row::count(&totals, "taken")?,
            taken_seconds: row::count(&totals, "taken_seconds")?,
            outcomes,
            by_agent,
        })
    }
}
