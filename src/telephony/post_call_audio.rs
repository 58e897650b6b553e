//! ElevenLabs' audio of a conversation (`post_call_audio`: base64 MP3), kept under the same
//! rule as the bridge's own recordings ([`recordings::keep_decision`]): only when the call's
//! account records calls and the caller's latest answer was yes; otherwise dropped with a log
//! line saying why. Kept per conversation (a redelivery adds nothing), at most
//! [`MAX_AUDIO_BYTES`], removed by the recordings' retention worker, served at
//! `/calls/{id}/recording/elevenlabs`.
//!
//! Audio whose conversation no call has (yet) opened is dropped, not held until one does:
//! ElevenLabs sends it after the conversation ended, and the bridge writes a call's
//! conversation id when the agent connects, long before. A conversation no call knows is not
//! one of this instance's calls, and keeping audio nobody consented to, even for a while, is
//! what the rule forbids.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;

use crate::manage::{ManageError, ManageResult, Scope};
use crate::store::{CallId, ElevenLabsAudio, NewElevenLabsAudio, Store, StoreError};
use crate::wire::elevenlabs::webhook::PostCallAudio;

use super::recordings::{KeepDecision, keep_decision};

/// The largest audio kept: 24 MiB of MP3, about 25 minutes at 128 kbit/s or 50 at 64 kbit/s.
/// Larger audio is refused (413) rather than cut.
pub const MAX_AUDIO_BYTES: usize = 24 * 1024 * 1024;

/// The longest `full_audio` (base64) that can decode to at most [`MAX_AUDIO_BYTES`].
pub const MAX_AUDIO_BASE64_CHARS: usize = MAX_AUDIO_BYTES.div_ceil(3) * 4;

/// What became of a conversation's audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioFate {
    /// Stored for its call.
    Kept,
    /// This conversation's audio was already stored: nothing changed.
    AlreadyKept,
    /// No call has opened this conversation.
    NoCall,
    /// The rule said no (or the call's account could not be read).
    Dropped(KeepDecision),
}

/// Why a conversation's audio was refused.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("the audio is larger than {} MiB", MAX_AUDIO_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("full_audio is not base64 MP3: {0}")]
    Malformed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Decodes, checks and keeps or drops a conversation's audio at `now`.
pub async fn receive(store: &Store, data: &PostCallAudio, now: Timestamp) -> Result<AudioFate, AudioError> {
    let audio = decode(&data.full_audio)?;
    let conversation_id = data.conversation_id.as_str();
    let Some(call) = store.call_of_conversation(conversation_id).await? else {
        tracing::info!(
            conversation_id,
            "ElevenLabs audio dropped: no call has this conversation"
        );
        return Ok(AudioFate::NoCall);
    };
    let records = store.account(&call.account_id).await?.record_calls;
    let decision = keep_decision(records, call.record_consent);
    if decision != KeepDecision::Keep {
        tracing::info!(conversation_id, call_sid = %call.call_sid, ?decision, "ElevenLabs audio dropped");
        return Ok(AudioFate::Dropped(decision));
    }
    let new = NewElevenLabsAudio {
        conversation_id: conversation_id.to_owned(),
        call_id: call.call_id,
        account_id: call.account_id,
        agent_id: data.agent_id.clone(),
        audio,
        created_at: now,
    };
    let stored = store.save_elevenlabs_audio(&new).await?;
    tracing::info!(conversation_id, call_sid = %call.call_sid, bytes = new.audio.len(), new = stored, "ElevenLabs audio kept");
    Ok(if stored {
        AudioFate::Kept
    } else {
        AudioFate::AlreadyKept
    })
}

/// The account's ElevenLabs audio of its call `id`; not found when none is kept.
pub async fn audio(store: &Store, scope: &Scope, id: &str) -> ManageResult<ElevenLabsAudio> {
    store
        .elevenlabs_audio(&scope.account_id, &CallId::from(id))
        .await?
        .ok_or(ManageError::NotFound {
            what: "ElevenLabs audio",
        })
}

/// Whether the account's call `id` has ElevenLabs audio kept.
pub async fn exists(store: &Store, scope: &Scope, id: &str) -> ManageResult<bool> {
    Ok(store
        .has_elevenlabs_audio(&scope.account_id, &CallId::from(id))
        .await?)
}

/// The MP3 file of `full_audio`, refused above [`MAX_AUDIO_BYTES`] before it is decoded.
fn decode(full_audio: &str) -> Result<Vec<u8>, AudioError> {
    if full_audio.len() > MAX_AUDIO_BASE64_CHARS {
        return Err(AudioError::TooLarge);
    }
    let audio = STANDARD
        .decode(full_audio.trim())
        .map_err(|error| AudioError::Malformed(error.to_string()))?;
    if audio.is_empty() {
        return Err(AudioError::Malformed("it is empty".into()));
    }
    if audio.len() > MAX_AUDIO_BYTES {
        return Err(AudioError::TooLarge);
    }
    Ok(audio)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base64_bound_admits_exactly_the_largest_audio() {
        let largest = STANDARD.encode(vec![0u8; MAX_AUDIO_BYTES]);
        assert_eq!(largest.len(), MAX_AUDIO_BASE64_CHARS);
        assert_eq!(decode(&largest).unwrap().len(), MAX_AUDIO_BYTES);
        let one_more = STANDARD.encode(vec![0u8; MAX_AUDIO_BYTES + 1]);
        assert!(matches!(decode(&one_more), Err(AudioError::TooLarge)));
    }

    #[test]
    fn audio_that_is_not_base64_or_empty_is_malformed() {
        assert!(matches!(decode("not base64!"), Err(AudioError::Malformed(_))));
        assert!(matches!(decode(""), Err(AudioError::Malformed(_))));
        assert_eq!(decode(&STANDARD.encode(b"ID3\x04")).unwrap(), b"ID3\x04");
    }
}
