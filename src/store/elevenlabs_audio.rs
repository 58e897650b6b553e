//! The audio ElevenLabs sends after a conversation (`post_call_audio`), kept per conversation
//! for the call it belongs to: one file a conversation (a redelivery adds nothing), in the
//! database so that any instance can serve it, removed with the account's recordings once
//! older than its retention.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::StoreResult;
use super::ids::{AccountId, CallId};
use super::row;

/// The format ElevenLabs sends its audio in: MP3.
pub const MP3: &str = "mp3";

/// The call an ElevenLabs conversation belongs to, with what deciding on its audio needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationCall {
    pub call_id: CallId,
    pub account_id: AccountId,
    pub call_sid: String,
    /// The caller's latest answer to the recording question, if any.
    pub record_consent: Option<bool>,
}

/// A conversation's audio to keep.
#[derive(Debug, Clone)]
pub struct NewElevenLabsAudio {
    pub conversation_id: String,
    pub call_id: CallId,
    pub account_id: AccountId,
    pub agent_id: String,
    pub audio: Vec<u8>,
    pub created_at: Timestamp,
}

/// A kept conversation audio, with its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElevenLabsAudio {
    pub conversation_id: String,
    pub call_id: CallId,
    pub format: String,
    pub size_bytes: u64,
    pub audio: Vec<u8>,
    pub created_at: Timestamp,
}

impl ElevenLabsAudio {
    fn from_row(row: &AnyRow) -> StoreResult<ElevenLabsAudio> {
        use sqlx::Row;
        Ok(ElevenLabsAudio {
            conversation_id: row::text(row, "conversation_id")?,
            call_id: row::text(row, "call_id")?.into(),
            format: row::text(row, "format")?,
            size_bytes: row::count(row, "size_bytes")?,
            audio: row.try_get("audio")?,
            created_at: row::instant(row, "created_at")?,
        })
    }
}

impl Store {
    /// The call whose agent opened ElevenLabs' conversation `conversation_id`, if any.
    pub async fn call_of_conversation(&self, conversation_id: &str) -> StoreResult<Option<ConversationCall>> {
        let row = sqlx::query(
            "SELECT id, account_id, call_sid, record_consent FROM calls WHERE conversation_id = $1",
        )
        .bind(conversation_id)
        .fetch_optional(&self.pool)
        .await?;
        row::optional(row, |row| {
            Ok(ConversationCall {
                call_id: row::text(row, "id")?.into(),
                account_id: row::text(row, "account_id")?.into(),
                call_sid: row::text(row, "call_sid")?,
                record_consent: row::opt_int(row, "record_consent")?.map(|flag| flag == 1),
            })
        })
    }

    /// Keeps a conversation's audio. `false` when the conversation's audio was already kept:
    /// the first one stays.
    pub async fn save_elevenlabs_audio(&self, new: &NewElevenLabsAudio) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO elevenlabs_call_audio \
             (conversation_id, call_id, account_id, agent_id, format, size_bytes, audio, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (conversation_id) DO NOTHING",
        )
        .bind(&new.conversation_id)
        .bind(new.call_id.as_str())
        .bind(new.account_id.as_str())
        .bind(&new.agent_id)
        .bind(MP3)
        .bind(i64::try_from(new.audio.len()).unwrap_or(i64::MAX))
        .bind(new.audio.as_slice())
        .bind(row::millis(new.created_at))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The account's ElevenLabs audio of its call `call_id` (the latest conversation's, should
    /// the call have had more than one), if one is kept.
    pub async fn elevenlabs_audio(
        &self,
        account_id: &AccountId,
        call_id: &CallId,
    ) -> StoreResult<Option<ElevenLabsAudio>> {
        let row = sqlx::query(
            "SELECT conversation_id, call_id, format, size_bytes, audio, created_at \
             FROM elevenlabs_call_audio WHERE call_id = $1 AND account_id = $2 \
             ORDER BY created_at DESC, conversation_id DESC LIMIT 1",
        )
        .bind(call_id.as_str())
        .bind(account_id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row::optional(row, ElevenLabsAudio::from_row)
    }

    /// Whether a conversation audio of the account's call `call_id` is kept (without reading it).
    pub async fn has_elevenlabs_audio(&self, account_id: &AccountId, call_id: &CallId) -> StoreResult<bool> {
        let row = sqlx::query(
            "SELECT 1 AS found FROM elevenlabs_call_audio WHERE call_id = $1 AND account_id = $2 LIMIT 1",
        )
        .bind(call_id.as_str())
        .bind(account_id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// How many conversation audios are kept for the call `call_id`.
    pub async fn elevenlabs_audio_count(&self, call_id: &CallId) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM elevenlabs_call_audio WHERE call_id = $1")
                .bind(call_id.as_str())
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Removes every conversation audio older, at `now`, than its account's recording
    /// retention. Returns how many.
    pub async fn purge_elevenlabs_audio(&self, now: Timestamp) -> StoreResult<u64> {
        const DAY_MS: i64 = 86_400_000;
        let done = sqlx::query(
            "DELETE FROM elevenlabs_call_audio WHERE conversation_id IN ( \
                 SELECT e.conversation_id FROM elevenlabs_call_audio e \
                 JOIN accounts a ON a.id = e.account_id \
                 WHERE a.recording_retention_days IS NOT NULL \
                   AND e.created_at + a.recording_retention_days * $2 <= $1)",
        )
        .bind(row::millis(now))
        .bind(DAY_MS)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
