//! Calls' recordings: the rule for keeping one, storing and serving it, and the retention
//! worker.
//!
//! Consent comes during the call (the `record_consent` tool), so a call on an account that
//! records calls is encoded from its start into memory (see `call::recording_tap`, and
//! `telephony::recording_encoders` for the task doing it), and at the call's end
//! [`keep_decision`] decides: the recording is kept only if the account still
//! records calls and the caller's latest answer was yes. Otherwise it is dropped, with a log
//! line. A recording is never kept without a yes.
//!
//! Retention is per account (`recording_retention_days`, `None` keeps them): a worker removes
//! recordings (and ElevenLabs' audio of calls) older than that, at start and then every hour; which are due is a function of
//! `now` alone ([`purge`]).

use std::time::Duration;

use jiff::Timestamp;

use crate::manage::{ManageError, ManageResult, Scope};
use crate::shutdown::Shutdown;
use crate::store::{CallId, CallRecording, NewCallRecording, Store};

const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Whether a finished call's recording is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepDecision {
    Keep,
    /// The account stopped recording calls during the call.
    AccountDoesNotRecord,
    /// The caller never answered the consent question.
    NoAnswer,
    /// The caller said no (their latest answer).
    Refused,
    /// The recording could not be made or stored.
    Lost,
}

/// The rule: kept only when the account records calls and the caller's latest answer is yes.
pub fn keep_decision(account_records: bool, consent: Option<bool>) -> KeepDecision {
    match (account_records, consent) {
        (false, _) => KeepDecision::AccountDoesNotRecord,
        (true, None) => KeepDecision::NoAnswer,
        (true, Some(false)) => KeepDecision::Refused,
        (true, Some(true)) => KeepDecision::Keep,
    }
}

/// A finished call's encoded recording, before the rule is applied.
#[derive(Debug)]
pub struct FinishedRecording {
    pub call_sid: String,
    pub duration_ms: u64,
    pub audio: Vec<u8>,
}

/// Applies the rule to a finished call's recording, reading the call's consent and its
/// account's setting as they are now, and stores it if kept. Returns the decision.
pub async fn keep_or_drop(store: &Store, finished: FinishedRecording, now: Timestamp) -> KeepDecision {
    let call = match store.call_by_sid(&finished.call_sid).await {
        Ok(Some(call)) => call,
        Ok(None) => {
            tracing::warn!(call_sid = %finished.call_sid, "recording dropped: the call has no record");
            return KeepDecision::Lost;
        }
        Err(error) => {
            tracing::warn!(call_sid = %finished.call_sid, %error, "recording dropped: could not read the call");
            return KeepDecision::Lost;
        }
    };
    let records = match store.account(&call.account_id).await {
        Ok(account) => account.record_calls,
        Err(error) => {
            tracing::warn!(call_sid = %finished.call_sid, %error, "recording dropped: could not read the account");
            return KeepDecision::Lost;
        }
    };
    let decision = keep_decision(records, call.record_consent);
    if decision != KeepDecision::Keep {
        tracing::info!(call_sid = %finished.call_sid, ?decision, "recording dropped");
        return decision;
    }
    let new = NewCallRecording {
        call_id: call.id,
        account_id: call.account_id,
        duration_ms: finished.duration_ms,
        audio: finished.audio,
        created_at: now,
    };
    match store.save_call_recording(&new).await {
        Ok(()) => {
            tracing::info!(call_sid = %finished.call_sid, bytes = new.audio.len(), "recording kept");
            KeepDecision::Keep
        }
        Err(error) => {
            tracing::error!(call_sid = %finished.call_sid, %error, "recording lost: could not store it");
            KeepDecision::Lost
        }
    }
}

/// The account's recording of its call `id`; not found when there is none.
pub async fn recording(store: &Store, scope: &Scope, id: &str) -> ManageResult<CallRecording> {
    store
        .call_recording(&scope.account_id, &CallId::from(id))
        .await?
        .ok_or(ManageError::NotFound { what: "recording" })
}

/// Whether the account's call `id` has a recording.
pub async fn exists(store: &Store, scope: &Scope, id: &str) -> ManageResult<bool> {
    Ok(store
        .has_call_recording(&scope.account_id, &CallId::from(id))
        .await?)
}

/// Starts the retention sweep as one of the `workers`.
pub fn start_purge(store: Store, workers: &Shutdown) {
    workers.spawn_every(SWEEP_EVERY, move || {
        let store = store.clone();
        async move { purge(&store, Timestamp::now()).await }
    });
}

/// Removes the recordings past their account's retention at `now`, ElevenLabs' audio of
/// calls (`telephony::post_call_audio`) included.
pub async fn purge(store: &Store, now: Timestamp) {
    match store.purge_call_recordings(now).await {
        Ok(0) => {}
        Ok(removed) => tracing::info!(removed, "recordings past their retention removed"),
        Err(error) => tracing::warn!(%error, "could not remove recordings past their retention"),
    }
    match store.purge_elevenlabs_audio(now).await {
        Ok(0) => {}
        Ok(removed) => tracing::info!(removed, "ElevenLabs audio past its retention removed"),
        Err(error) => tracing::warn!(%error, "could not remove ElevenLabs audio past its retention"),
    }
}

#[cfg(test)]
#[path = "recordings_tests.rs"]
mod tests;
