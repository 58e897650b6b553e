//! ElevenLabs' post-call reports: a signed webhook body is checked, parsed and merged into
//! the store's per-conversation analysis, which a call's API body joins by its
//! `conversation_id`. The first report wins; a redelivery is answered the same and changes
//! nothing.
//!
//! `post_call_audio` is kept or dropped by `telephony::post_call_audio` (kept only with the
//! caller's consent); a `call_initiation_failure` (only sent for calls ElevenLabs places
//! itself) goes on its call's timeline by `telephony::initiation_failure`.

use std::sync::Arc;

use crate::config::Secret;
use crate::provision::post_call_secret::PostCallSecret;
use jiff::Timestamp;

use super::initiation_failure::{self, FailureFate};
use super::post_call_audio::{self, AudioError, AudioFate};
use crate::store::{PostCallAnalysis, Store, StoreError};
use crate::wire::elevenlabs::webhook::{ConversationReport, WebhookEvent};
use crate::wire::elevenlabs::webhook_signature::{self, SignatureError};

/// What became of a webhook body that passed its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A conversation's analysis was stored.
    Merged,
    /// The conversation's analysis was already stored: nothing changed.
    AlreadyMerged,
    /// A conversation's audio was kept or dropped (see [`AudioFate`]).
    Audio(AudioFate),
    /// A call initiation failure was logged (see [`FailureFate`]).
    InitiationFailure(FailureFate),
    /// Accepted and logged, nothing stored (an unknown type).
    Logged,
}

/// Why a webhook body was refused.
#[derive(Debug, thiserror::Error)]
pub enum PostCallError {
    #[error("{0}")]
    Signature(#[from] SignatureError),
    #[error("the webhook body is not a valid ElevenLabs event: {0}")]
    Malformed(String),
    #[error("{0}")]
    TooLarge(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AudioError> for PostCallError {
    fn from(error: AudioError) -> Self {
        match error {
            AudioError::TooLarge => PostCallError::TooLarge(error.to_string()),
            AudioError::Malformed(why) => PostCallError::Malformed(why),
            AudioError::Store(error) => PostCallError::Store(error),
        }
    }
}

/// Receives ElevenLabs' post-call webhooks with the secrets they may be signed with.
#[derive(Clone)]
pub struct PostCallWebhooks {
    store: Store,
    secrets: Arc<Vec<Vec<u8>>>,
    /// The secret of the workspace webhook provisioning keeps, besides the configured ones.
    provisioned: Option<PostCallSecret>,
}

impl std::fmt::Debug for PostCallWebhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secrets are never printed.
        f.debug_struct("PostCallWebhooks")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

impl PostCallWebhooks {
    /// `secrets`: every secret a delivery may be signed with; blank ones are ignored, and
    /// with none every delivery is refused.
    pub fn new(store: Store, secrets: impl IntoIterator<Item = String>) -> Self {
        let secrets = secrets
            .into_iter()
            .filter(|secret| !secret.trim().is_empty())
            .map(String::into_bytes)
            .collect();
        PostCallWebhooks {
            store,
            secrets: Arc::new(secrets),
            provisioned: None,
        }
    }

    /// Also accepts deliveries signed with the secret of the workspace webhook provisioning
    /// keeps (read as [`PostCallSecret`] says: no database read per delivery).
    pub fn with_provisioned_secret(mut self, provisioned: PostCallSecret) -> Self {
        self.provisioned = Some(provisioned);
        self
    }

    /// Checks `signature` (the `ElevenLabs-Signature` header) over the raw `body` at `now`
    /// (unix seconds) before reading anything of the body, then merges it.
    pub async fn receive(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<Received, PostCallError> {
        self.verify(signature, body, now).await?;
        let event = WebhookEvent::parse(body).map_err(|error| PostCallError::Malformed(error.to_string()))?;
        match event {
            WebhookEvent::PostCallTranscription {
                event_timestamp,
                data,
            } => self.merge(&data, event_timestamp).await,
            WebhookEvent::PostCallAudio { data, .. } => {
                let received_at = Timestamp::from_second(now).unwrap_or_else(|_| Timestamp::now());
                let fate = post_call_audio::receive(&self.store, &data, received_at).await?;
                Ok(Received::Audio(fate))
            }
            WebhookEvent::CallInitiationFailure {
                event_timestamp,
                data,
            } => {
                let at = Timestamp::from_second(event_timestamp).unwrap_or_else(|_| Timestamp::now());
                let fate = initiation_failure::receive(&self.store, &data, at).await?;
                Ok(Received::InitiationFailure(fate))
            }
            WebhookEvent::Unknown { kind } => {
                tracing::info!(%kind, "ElevenLabs webhook of an unknown type ignored");
                Ok(Received::Logged)
            }
        }
    }

    /// Merges a conversation's report (from the webhook or from the conversation API).
    pub async fn merge(
        &self,
        report: &ConversationReport,
        event_timestamp: i64,
    ) -> Result<Received, PostCallError> {
        let analysis = analysis_of(report, event_timestamp);
        let new = self.store.record_post_call_analysis(&analysis).await?;
        tracing::info!(conversation_id = %report.conversation_id, new, "post-call analysis received");
        Ok(if new {
            Received::Merged
        } else {
            Received::AlreadyMerged
        })
    }
}

impl PostCallWebhooks {
    /// The signature checked with the configured secrets and the provisioned one; when none
    /// matches, once more with the provisioned secret read again if it changed.
    async fn verify(&self, signature: Option<&str>, body: &[u8], now: i64) -> Result<(), PostCallError> {
        let Some(provisioned) = &self.provisioned else {
            return Ok(self.verify_with(None, signature, body, now)?);
        };
        let held = provisioned.current().await?;
        match self.verify_with(held.as_ref(), signature, body, now) {
            Err(refused @ (SignatureError::Mismatch | SignatureError::NoSecret)) => {
                match provisioned.reread_after_mismatch().await? {
                    Some(newer) => Ok(self.verify_with(Some(&newer), signature, body, now)?),
                    None => Err(refused.into()),
                }
            }
            verified => Ok(verified?),
        }
    }

    fn verify_with(
        &self,
        provisioned: Option<&Secret>,
        signature: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), SignatureError> {
        let mut secrets: Vec<&[u8]> = self.secrets.iter().map(Vec::as_slice).collect();
        secrets.extend(provisioned.map(|secret| secret.expose().as_bytes()));
        webhook_signature::verify(&secrets, signature, body, now).map(drop)
    }
}

/// The stored analysis of a conversation's report.
pub fn analysis_of(report: &ConversationReport, event_timestamp: i64) -> PostCallAnalysis {
    let analysis = report.analysis.as_ref();
    let metadata = report.metadata.as_ref();
    let object = |value: Option<&serde_json::Value>| {
        value
            .filter(|value| value.is_object())
            .cloned()
            .unwrap_or_else(|| serde_json::json!({}))
    };
    PostCallAnalysis {
        conversation_id: report.conversation_id.clone(),
        agent_id: report.agent_id.clone(),
        call_successful: analysis.and_then(|a| a.call_successful.clone()),
        transcript_summary: analysis.and_then(|a| a.transcript_summary.clone()),
        call_summary_title: analysis.and_then(|a| a.call_summary_title.clone()),
        evaluation_criteria_results: object(analysis.and_then(|a| a.evaluation_criteria_results.as_ref())),
        data_collection_results: object(analysis.and_then(|a| a.data_collection_results.as_ref())),
        call_duration_secs: metadata.and_then(|m| m.call_duration_secs),
        cost: metadata.and_then(|m| m.cost),
        event_timestamp,
    }
}
