//! The post-call reports that never came, fetched. ElevenLabs does not retry a post-call
//! webhook unless asked, so a report lost on the way would be lost for good: a worker looks
//! for ended calls with a conversation and no stored analysis, and once a call is past its
//! grace period ([`FetchRules`], the pure [`is_due`]) reads the conversation from ElevenLabs
//! (`GET /v1/convai/conversations/{id}`) and merges it through the webhook's own path
//! ([`PostCallWebhooks::merge`]: the first report wins, a webhook arriving later changes
//! nothing; the stored `event_timestamp` is the fetch's time).
//!
//! Each fetch that brings no report is counted per conversation (`store::post_call_fetches`):
//! a conversation ElevenLabs is still working on (`initiated`, `in-progress`, `processing`) is
//! tried again a round later, one it does not know (404) or refuses likewise, each up to
//! [`FetchRules::max_attempts`] times, then given up with a log line. ElevenLabs out of reach
//! ends the round without counting anything.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::shutdown::Shutdown;
use crate::store::{MissingReport, MissingReportQuery, Store, StoreError};
use crate::vendor_api::elevenlabs::{ElevenLabsApi, ElevenLabsError};

use super::post_call::{PostCallError, PostCallWebhooks, Received};

/// The most calls one round looks at.
pub const ROUND_LIMIT: i64 = 50;

/// When a missing report is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchRules {
    /// How long after a call ends its webhook is waited for.
    pub grace: SignedDuration,
    /// How long after a fetch that brought nothing the next one may be.
    pub retry_after: SignedDuration,
    /// Fetches per conversation before it is given up.
    pub max_attempts: i64,
    /// Calls that ended longer ago are left alone (ElevenLabs may have deleted them, and
    /// history from before the reconciler ran is not fetched).
    pub max_age: SignedDuration,
}

impl Default for FetchRules {
    fn default() -> Self {
        FetchRules {
            grace: SignedDuration::from_mins(2),
            retry_after: SignedDuration::from_mins(2),
            max_attempts: 5,
            max_age: SignedDuration::from_hours(48),
        }
    }
}

/// Whether the call's report is due to be fetched at `now`: past its grace period, not too
/// old, not given up, and not tried within `retry_after`.
pub fn is_due(report: &MissingReport, rules: &FetchRules, now: Timestamp) -> bool {
    let since = |instant: Timestamp| now.duration_since(instant);
    since(report.ended_at) >= rules.grace
        && since(report.ended_at) <= rules.max_age
        && report.attempts < rules.max_attempts
        && report
            .last_attempt_at
            .is_none_or(|last| since(last) >= rules.retry_after)
}

/// The store's narrowing of the calls [`is_due`] may pick at `now`.
pub fn candidates_at(rules: &FetchRules, now: Timestamp) -> MissingReportQuery {
    MissingReportQuery {
        ended_after: now
            .saturating_sub(rules.max_age)
            .expect("a duration of hours fits"),
        ended_before: now
            .saturating_sub(rules.grace)
            .expect("a duration of minutes fits"),
        max_attempts: rules.max_attempts,
        limit: ROUND_LIMIT,
    }
}

/// What fetching one conversation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// Its report was stored.
    Merged,
    /// A report came in meanwhile: nothing changed.
    AlreadyMerged,
    /// ElevenLabs is not done with it; tried again later.
    NotFinal,
    /// ElevenLabs does not know it.
    NotFound,
    /// ElevenLabs refused or answered something unreadable.
    Failed(String),
}

impl Fetched {
    /// How a fetch that brought no report is remembered.
    fn stored_word(&self) -> Option<&'static str> {
        match self {
            Fetched::Merged | Fetched::AlreadyMerged => None,
            Fetched::NotFinal => Some("not_final"),
            Fetched::NotFound => Some("not_found"),
            Fetched::Failed(_) => Some("failed"),
        }
    }
}

/// What a round did, for its log line and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub merged: usize,
    pub already_merged: usize,
    pub tried_later: usize,
    pub given_up: usize,
    /// ElevenLabs could not be reached: the round stopped there.
    pub unreachable: bool,
}

/// Fetches the missing reports.
#[derive(Debug, Clone)]
pub struct Reconciler {
    pub store: Store,
    pub api: ElevenLabsApi,
    pub webhooks: PostCallWebhooks,
    pub rules: FetchRules,
}

impl Reconciler {
    /// One round at `now`: every due conversation fetched, oldest call first.
    pub async fn round(&self, now: Timestamp) -> Result<RoundReport, StoreError> {
        let mut report = RoundReport::default();
        let missing = self
            .store
            .missing_post_call_reports(candidates_at(&self.rules, now))
            .await?;
        for call in missing.iter().filter(|call| is_due(call, &self.rules, now)) {
            let fetched = match self.fetch(&call.conversation_id, now).await {
                Ok(fetched) => fetched,
                Err(FetchError::Unreachable(error)) => {
                    tracing::warn!(%error, "post-call reports not fetched this round: ElevenLabs is out of reach");
                    report.unreachable = true;
                    break;
                }
                Err(FetchError::Store(error)) => return Err(error),
            };
            match fetched.stored_word() {
                None if fetched == Fetched::Merged => report.merged += 1,
                None => report.already_merged += 1,
                Some(word) => {
                    let attempts = self
                        .store
                        .record_post_call_fetch(&call.conversation_id, word, now)
                        .await?;
                    let given_up = attempts >= self.rules.max_attempts;
                    if given_up {
                        report.given_up += 1;
                    } else {
                        report.tried_later += 1;
                    }
                    tracing::info!(
                        conversation_id = %call.conversation_id,
                        attempts,
                        given_up,
                        found = ?fetched,
                        "post-call report fetched without a final analysis"
                    );
                }
            }
        }
        Ok(report)
    }

    async fn fetch(&self, conversation_id: &str, now: Timestamp) -> Result<Fetched, FetchError> {
        let conversation = match self.api.get_conversation(conversation_id).await {
            Ok(conversation) => conversation,
            Err(error) if error.is_not_found() => return Ok(Fetched::NotFound),
            Err(error @ ElevenLabsError::Unreachable { .. }) => return Err(FetchError::Unreachable(error)),
            Err(error) => return Ok(Fetched::Failed(error.to_string())),
        };
        if !conversation.is_final() {
            return Ok(Fetched::NotFinal);
        }
        if conversation.report.conversation_id != conversation_id {
            return Ok(Fetched::Failed(format!(
                "ElevenLabs answered with conversation {:?}",
                conversation.report.conversation_id
            )));
        }
        match self.webhooks.merge(&conversation.report, now.as_second()).await {
            Ok(Received::Merged) => {
                tracing::info!(%conversation_id, "post-call report fetched from ElevenLabs: its webhook never came");
                Ok(Fetched::Merged)
            }
            Ok(_) => Ok(Fetched::AlreadyMerged),
            Err(PostCallError::Store(error)) => Err(FetchError::Store(error)),
            Err(other) => Ok(Fetched::Failed(other.to_string())),
        }
    }
}

enum FetchError {
    Unreachable(ElevenLabsError),
    Store(StoreError),
}

/// Runs a round every `every` on `workers`.
pub fn start(reconciler: Reconciler, every: Duration, workers: &Shutdown) {
    workers.spawn_every(every, move || {
        let reconciler = reconciler.clone();
        async move {
            match reconciler.round(Timestamp::now()).await {
                Ok(report) if report == RoundReport::default() => {}
                Ok(report) => tracing::info!(?report, "post-call reports reconciled"),
                Err(error) => tracing::warn!(%error, "could not look for missing post-call reports"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_second(1_790_000_000 + minutes * 60).unwrap()
    }

    fn ended(minutes: i64, attempts: i64, last_attempt: Option<i64>) -> MissingReport {
        MissingReport {
            conversation_id: "conv_1".into(),
            ended_at: at(minutes),
            attempts,
            last_attempt_at: last_attempt.map(at),
        }
    }

    #[test]
    fn a_call_is_due_after_its_grace_period_and_not_when_too_old() {
        let rules = FetchRules::default();
        let now = at(100);
        assert!(
            !is_due(&ended(99, 0, None), &rules, now),
            "one minute after its end"
        );
        assert!(is_due(&ended(98, 0, None), &rules, now), "two minutes after");
        assert!(
            is_due(&ended(100 - 48 * 60, 0, None), &rules, now),
            "48 hours after"
        );
        assert!(!is_due(&ended(99 - 48 * 60, 0, None), &rules, now), "older");
        assert!(
            !is_due(&ended(101, 0, None), &rules, now),
            "ending later than now"
        );
    }

    #[test]
    fn a_tried_call_waits_between_attempts_and_is_given_up_after_the_last() {
        let rules = FetchRules::default();
        let now = at(100);
        assert!(
            !is_due(&ended(50, 1, Some(99)), &rules, now),
            "tried a minute ago"
        );
        assert!(
            is_due(&ended(50, 1, Some(98)), &rules, now),
            "tried two minutes ago"
        );
        assert!(is_due(&ended(50, 4, Some(90)), &rules, now), "a fifth attempt");
        assert!(
            !is_due(&ended(50, 5, Some(90)), &rules, now),
            "given up after five"
        );
    }

    #[test]
    fn the_store_is_asked_for_exactly_the_window_the_rule_allows() {
        let rules = FetchRules::default();
        let query = candidates_at(&rules, at(100));
        assert_eq!(query.ended_before, at(98));
        assert_eq!(query.ended_after, at(100 - 48 * 60));
        assert_eq!(query.max_attempts, 5);
    }
}
