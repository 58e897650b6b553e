//! The figures a business owner asks of their calls over a range: calls, the share an agent
//! took, their average length, what they came to, the rates that follow (booking conversion,
//! transfers, voicemails), each agent's minutes, and the account's follow-up texts (sent,
//! delivered, failed, the delivery rate) and opt-outs.
//!
//! The range defaults to the billing period that holds `now`; a range is at most
//! [`MAX_RANGE_DAYS`] long. The counting is `store::analytics`'s; the ratios are here, pure
//! ([`report`]).

use jiff::{SignedDuration, Timestamp};

use crate::store::{AgentId, AgentMinutes, CallFigures, CallOutcome, Store, TextFigures};

use super::Scope;
use super::accounts::period_of;
use super::error::{ManageError, ManageResult};
use super::input;

/// The longest range one report covers.
pub const MAX_RANGE_DAYS: i64 = 366;

/// What a client asks: every field optional.
#[derive(Debug, Clone, Default)]
pub struct AnalyticsQuery {
    /// RFC 3339 with offset.
    pub from: Option<String>,
    pub to: Option<String>,
    pub agent_id: Option<String>,
}

/// The report over `[from, to)`.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticsReport {
    pub from: Timestamp,
    pub to: Timestamp,
    /// The agent the figures are limited to, if one was asked for.
    pub agent_id: Option<AgentId>,
    pub calls: u64,
    /// Calls an agent took (its conversation opened).
    pub answered: u64,
    /// `answered / calls`; `None` without calls.
    pub answer_rate: Option<f64>,
    /// The answered calls' mean length in whole seconds; `None` without answered calls.
    pub avg_duration_seconds: Option<u64>,
    /// Every outcome with its count, zeros included.
    pub outcomes: Vec<(CallOutcome, u64)>,
    /// Calls that made a booking per answered call; `None` without answered calls.
    pub booking_conversion: Option<f64>,
    /// Calls handed to a person per call; `None` without calls.
    pub transfer_rate: Option<f64>,
    /// Calls that ended in a voicemail per call; `None` without calls.
    pub voicemail_rate: Option<f64>,
    pub minutes_by_agent: Vec<AgentMinutes>,
    /// The account's follow-up texts in the range (all its agents' whatever `agent_id`).
    pub texts: TextFigures,
    /// Texts delivered per text sent; `None` without texts sent.
    pub text_delivery_rate: Option<f64>,
}

/// The account's report for the query, with the billing period holding `now` as the default
/// range.
pub async fn report_for(
    store: &Store,
    scope: &Scope,
    query: &AnalyticsQuery,
    now: Timestamp,
) -> ManageResult<AnalyticsReport> {
    let from = input::opt_instant("from", query.from.as_deref())?;
    let to = input::opt_instant("to", query.to.as_deref())?;
    input::ordered("from", from, "to", to)?;
    let (from, to) = match (from, to) {
        (Some(from), Some(to)) => (from, to),
        (from, to) => {
            let account = store.account(&scope.account_id).await?;
            let period = period_of(&account, now)?;
            match (from, to) {
                (Some(from), None) => (from, period.end.max(from + SignedDuration::from_hours(24))),
                (None, Some(to)) => (period.start.min(to - SignedDuration::from_hours(24)), to),
                _ => (period.start, period.end),
            }
        }
    };
    if to.duration_since(from) > SignedDuration::from_hours(24 * MAX_RANGE_DAYS) {
        return Err(ManageError::invalid(
            "to",
            format!("is more than {MAX_RANGE_DAYS} days after from: ask for a shorter range"),
        ));
    }
    let agent_id = match query.agent_id.as_deref() {
        Some(id) => {
            let id = AgentId::from(id);
            // Another account's agent, or none: not found, rather than a report of zeros.
            store.agent(&scope.account_id, &id).await?;
            Some(id)
        }
        None => None,
    };
    let (figures, texts) = tokio::try_join!(
        store.call_figures(&scope.account_id, from, to, agent_id.as_ref()),
        store.text_figures(&scope.account_id, from, to),
    )?;
    Ok(report(from, to, agent_id, figures, texts))
}

/// The rates from the counts.
pub fn report(
    from: Timestamp,
    to: Timestamp,
    agent_id: Option<AgentId>,
    figures: CallFigures,
    texts: TextFigures,
) -> AnalyticsReport {
    let per_call = |count: u64| ratio(count, figures.calls);
    AnalyticsReport {
        from,
        to,
        agent_id,
        calls: figures.calls,
        answered: figures.taken,
        answer_rate: per_call(figures.taken),
        avg_duration_seconds: (figures.taken > 0)
            .then(|| (figures.taken_seconds + figures.taken / 2) / figures.taken),
        booking_conversion: ratio(figures.outcome(CallOutcome::BookingCreated), figures.taken),
        transfer_rate: per_call(figures.outcome(CallOutcome::Transferred)),
        voicemail_rate: per_call(figures.outcome(CallOutcome::Voicemail)),
        outcomes: figures.outcomes,
        minutes_by_agent: figures.by_agent,
        text_delivery_rate: ratio(texts.delivered, texts.sent),
        texts,
    }
}

/// `part / whole` to four decimals; `None` when `whole` is zero.
fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(calls: u64, taken: u64, seconds: u64, outcomes: &[(CallOutcome, u64)]) -> CallFigures {
        CallFigures {
            calls,
            taken,
            taken_seconds: seconds,
            outcomes: CallOutcome::ALL
                .into_iter()
                .map(|outcome| {
                    let n = outcomes
                        .iter()
                        .find(|(o, _)| *o == outcome)
                        .map_or(0, |(_, n)| *n);
                    (outcome, n)
                })
                .collect(),
            by_agent: Vec::new(),
        }
    }

    #[test]
    fn rates_are_shares_of_the_calls_and_conversion_a_share_of_the_answered_ones() {
        let at: Timestamp = "2026-11-01T00:00:00Z".parse().unwrap();
        let report = report(
            at,
            at,
            None,
            figures(
                8,
                6,
                6 * 90 + 3,
                &[
                    (CallOutcome::BookingCreated, 3),
                    (CallOutcome::Transferred, 1),
                    (CallOutcome::Voicemail, 2),
                ],
            ),
            TextFigures {
                sent: 4,
                delivered: 3,
                failed: 1,
                opt_outs: 1,
            },
        );
        assert_eq!(report.answer_rate, Some(0.75));
        assert_eq!(report.booking_conversion, Some(0.5));
        assert_eq!(report.transfer_rate, Some(0.125));
        assert_eq!(report.voicemail_rate, Some(0.25));
        assert_eq!(
            report.avg_duration_seconds,
            Some(91),
            "553 s over 6 calls, rounded"
        );
        assert_eq!(report.outcomes.len(), CallOutcome::ALL.len());
        assert_eq!(report.text_delivery_rate, Some(0.75));
    }

    #[test]
    fn a_range_without_calls_has_no_rates_rather_than_zero_or_nan() {
        let at: Timestamp = "2026-11-01T00:00:00Z".parse().unwrap();
        let report = report(at, at, None, figures(0, 0, 0, &[]), TextFigures::default());
        assert_eq!(
            (
                report.answer_rate,
                report.booking_conversion,
                report.transfer_rate,
                report.voicemail_rate
            ),
            (None, None, None, None)
        );
        assert_eq!(report.avg_duration_seconds, None);
        assert_eq!(report.text_delivery_rate, None);
        let unanswered = super::report(
            at,
            at,
            None,
            figures(3, 0, 0, &[(CallOutcome::Failed, 3)]),
            TextFigures::default(),
        );
        assert_eq!(unanswered.answer_rate, Some(0.0));
        assert_eq!(unanswered.booking_conversion, None);
    }

    #[test]
    fn ratios_keep_four_decimals() {
        assert_eq!(ratio(1, 3), Some(0.3333));
        assert_eq!(ratio(2, 3), Some(0.6667));
        assert_eq!(ratio(0, 0), None);
    }
}
