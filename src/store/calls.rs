//! Call records: one row per phone call, written when the call is answered (once: a repeated
//! webhook finds the row there), its progress written while it runs, finished when it ends.
//!
//! A call can be finished by three sources, most precise first: the bridge when its stream ends
//! (the connected time it metered), Twilio's status callback (`CallDuration`), and the recovery
//! of a call whose instance stopped without finishing it (its last progress). A more precise
//! source corrects the estimate of a less precise one; otherwise the first finish wins.

use std::time::Duration;

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::activities::{Activity, ActivityKind, NewActivity, insert_activity_with};
use super::call_events::{self, CallEventKind, NewCallEvent};
use super::call_outcome::CallOutcome;
use super::error::{StoreError, StoreResult};
use super::ids::{AccountId, AgentId, BookingId, CallId};
use super::row::{self, StoredWord};
use super::validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallDirection {
    Inbound,
    Outbound,
}

impl StoredWord for CallDirection {
    fn as_stored(&self) -> &'static str {
        match self {
            CallDirection::Inbound => "inbound",
            CallDirection::Outbound => "outbound",
        }
    }

    fn from_stored(word: &str) -> Option<Self> {
        match word {
            "inbound" => Some(CallDirection::Inbound),
            "outbound" => Some(CallDirection::Outbound),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub id: CallId,
    pub account_id: AccountId,
    pub agent_id: AgentId,
    /// Twilio's CallSid; unique.
    pub call_sid: String,
    pub direction: CallDirection,
    /// As Twilio reports them: usually E.164, but also `anonymous` or `client:...`.
    pub from_number: String,
    pub to_number: String,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub end_reason: Option<String>,
    pub duration: Option<Duration>,
    /// The ElevenLabs conversation, once known.
    pub conversation_id: Option<String>,
    /// When the call was last known to be up, and its connected time then.
    pub progress_at: Option<Timestamp>,
    pub progress: Option<Duration>,
    /// Twilio's `CallDuration`, from its status callback.
    pub carrier_duration: Option<Duration>,
    /// The fallback voicemail's recording.
    pub voicemail_url: Option<String>,
    /// The caller's answer to whether the call may be recorded; `None` until they answer.
    pub record_consent: Option<bool>,
    /// What the call came to; `None` until its end is written.
    pub outcome: Option<CallOutcome>,
    /// The booking the call made or changed.
    pub booking_id: Option<BookingId>,
}

/// The end reason of a call closed from its last progress because its instance stopped.
pub const LOST_END_REASON: &str = "instance_lost";
/// The end reason of a call closed by Twilio's status callback before the bridge finished it.
pub const CARRIER_END_REASON: &str = "twilio_completed";

/// What a write that happens at most once per call did.
#[derive(Debug, Clone, PartialEq)]
pub enum CallUpdate<T> {
    /// Written now.
    New(T),
    /// Written before: nothing changed.
    Repeat,
    /// No call has this CallSid.
    UnknownCall,
}

/// Calls closed by [`Store::close_lost_calls`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LostCalls {
    pub calls: u64,
    /// Their connected time, as last metered.
    pub metered: Duration,
}

#[derive(Debug, Clone)]
pub struct NewCallRecord {
    pub agent_id: AgentId,
    pub call_sid: String,
    pub direction: CallDirection,
    pub from_number: String,
    pub to_number: String,
    pub started_at: Timestamp,
}

macro_rules! call_columns {
    () => {
        "id, account_id, agent_id, call_sid, direction, from_number, to_number, started_at, ended_at, \
         end_reason, duration_ms, conversation_id, progress_at, progress_ms, carrier_duration_ms, \
         voicemail_url, record_consent, outcome, booking_id"
    };
}
pub(super) use call_columns;

impl CallRecord {
    pub(super) fn from_row(row: &AnyRow) -> StoreResult<CallRecord> {
        Ok(CallRecord {
            id: row::text(row, "id")?.into(),
            account_id: row::text(row, "account_id")?.into(),
            agent_id: row::text(row, "agent_id")?.into(),
            call_sid: row::text(row, "call_sid")?,
            direction: row::word(row, "direction")?,
            from_number: row::text(row, "from_number")?,
            to_number: row::text(row, "to_number")?,
            started_at: row::instant(row, "started_at")?,
            ended_at: row::opt_instant(row, "ended_at")?,
            end_reason: row::opt_text(row, "end_reason")?,
            duration: row::opt_count::<u64>(row, "duration_ms")?.map(Duration::from_millis),
            conversation_id: row::opt_text(row, "conversation_id")?,
            progress_at: row::opt_instant(row, "progress_at")?,
            progress: row::opt_count::<u64>(row, "progress_ms")?.map(Duration::from_millis),
            carrier_duration: row::opt_count::<u64>(row, "carrier_duration_ms")?.map(Duration::from_millis),
            voicemail_url: row::opt_text(row, "voicemail_url")?,
            record_consent: row::opt_int(row, "record_consent")?.map(|flag| flag == 1),
            outcome: row::opt_word(row, "outcome")?,
            booking_id: row::opt_text(row, "booking_id")?.map(BookingId::from),
        })
    }
}

impl Store {
    /// Logs a call as it starts, once: one INSERT, which does nothing when the unique index on
    /// `call_sid` already holds the call (`None`: a repeated webhook), checked against the
    /// agent's (account_id, id).
    pub async fn insert_call(
        &self,
        account_id: &AccountId,
        new: NewCallRecord,
    ) -> StoreResult<Option<CallRecord>> {
        validate::not_blank("call sid", &new.call_sid)?;
        let call = CallRecord {
            id: CallId::generate(),
            account_id: account_id.clone(),
            agent_id: new.agent_id,
            call_sid: new.call_sid,
            direction: new.direction,
            from_number: new.from_number,
            to_number: new.to_number,
            started_at: row::stored_precision(new.started_at),
            ended_at: None,
            end_reason: None,
            duration: None,
            conversation_id: None,
            progress_at: None,
            progress: None,
            carrier_duration: None,
            voicemail_url: None,
            record_consent: None,
            outcome: None,
            booking_id: None,
        };
        let done = sqlx::query(
            "INSERT INTO calls (id, account_id, agent_id, call_sid, direction, from_number, to_number, \
             started_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (call_sid) DO NOTHING",
        )
        .bind(call.id.as_str())
        .bind(call.account_id.as_str())
        .bind(call.agent_id.as_str())
        .bind(&call.call_sid)
        .bind(call.direction.as_stored())
        .bind(&call.from_number)
        .bind(&call.to_number)
        .bind(row::millis(call.started_at))
        .execute(&self.pool)
        .await?;
        Ok((done.rows_affected() == 1).then_some(call))
    }

    /// Records how the call ended, as the bridge saw it, and returns the row. The first finish
    /// wins, except over an estimate (a lost call's, or Twilio's before the bridge's): a repeat
    /// leaves the row unchanged. Its length is never less than the call's last progress.
    pub async fn finish_call(
        &self,
        call_sid: &str,
        ended_at: Timestamp,
        end_reason: &str,
        duration: Duration,
    ) -> StoreResult<CallRecord> {
        let row = sqlx::query(concat!(
            "UPDATE calls SET ended_at = $2, end_reason = $3, \
             duration_ms = CASE WHEN progress_ms > $4 THEN progress_ms ELSE $4 END \
             WHERE call_sid = $1 AND (ended_at IS NULL OR end_reason IN ($5, $6)) RETURNING ",
            call_columns!()
        ))
        .bind(call_sid)
        .bind(row::millis(ended_at))
        .bind(end_reason)
        .bind(row::duration_ms(duration))
        .bind(LOST_END_REASON)
        .bind(CARRIER_END_REASON)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => CallRecord::from_row(&row),
            None => self
                .call_by_sid(call_sid)
                .await?
                .ok_or(StoreError::NotFound { what: "call" }),
        }
    }

    /// Writes how long an open call has been connected, as of `at`: what a recovery closes the
    /// call from if its instance stops. Progress never goes back (see `store::call_progress`).
    pub async fn record_call_progress(
        &self,
        call_sid: &str,
        at: Timestamp,
        connected: Duration,
    ) -> StoreResult<()> {
        sqlx::query(super::call_progress::RECORD_PROGRESS)
            .bind(call_sid)
            .bind(row::millis(at))
            .bind(row::duration_ms(connected))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Closes every open call not heard of since `silent_since` (no progress, or none since it
    /// was answered): its instance stopped without finishing it. Each ends at its last
    /// progress, with the connected time metered then. (`started_at < $1` follows from the
    /// rest, since progress comes after the start; it lets the open calls' index answer.)
    pub async fn close_lost_calls(&self, silent_since: Timestamp) -> StoreResult<LostCalls> {
        let rows = sqlx::query(
            "UPDATE calls SET ended_at = COALESCE(progress_at, started_at), end_reason = $2, \
             duration_ms = COALESCE(progress_ms, 0) \
             WHERE ended_at IS NULL AND started_at < $1 AND COALESCE(progress_at, started_at) < $1 \
             RETURNING duration_ms",
        )
        .bind(row::millis(silent_since))
        .bind(LOST_END_REASON)
        .fetch_all(&self.pool)
        .await?;
        let mut lost = LostCalls::default();
        for row in &rows {
            lost.calls += 1;
            lost.metered += Duration::from_millis(row::count::<u64>(row, "duration_ms")?);
        }
        Ok(lost)
    }

    /// Records Twilio's length of a completed call (`CallDuration`), once. An open call is
    /// closed with it; a lost call's estimate is corrected by it; a call the bridge finished
    /// keeps its own metered time, with Twilio's beside it.
    pub async fn record_carrier_duration(
        &self,
        call_sid: &str,
        at: Timestamp,
        duration: Duration,
    ) -> StoreResult<CallUpdate<CallRecord>> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(concat!(
            "UPDATE calls SET carrier_duration_ms = $2, ended_at = COALESCE(ended_at, $3), \
             end_reason = COALESCE(end_reason, $4), \
             duration_ms = CASE WHEN ended_at IS NULL OR end_reason = $5 THEN $2 ELSE duration_ms END \
             WHERE call_sid = $1 AND carrier_duration_ms IS NULL RETURNING ",
            call_columns!()
        ))
        .bind(call_sid)
        .bind(row::duration_ms(duration))
        .bind(row::millis(at))
        .bind(CARRIER_END_REASON)
        .bind(LOST_END_REASON)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            drop(tx);
            return self.repeat_or_unknown(call_sid).await;
        };
        let event = NewCallEvent {
            at,
            kind: CallEventKind::TwilioDuration,
            detail: serde_json::json!({ "seconds": duration.as_secs() }),
        };
        call_events::insert_with(&mut *tx, call_sid, &event).await?;
        tx.commit().await?;
        Ok(CallUpdate::New(CallRecord::from_row(&row)?))
    }

    /// Keeps the fallback voicemail of a call, once: the recording on the call's row (its
    /// outcome becomes `voicemail`) and a `voicemail` activity in its account's log, in one
    /// transaction.
    pub async fn record_voicemail(
        &self,
        call_sid: &str,
        recording_url: &str,
        length: Duration,
    ) -> StoreResult<CallUpdate<Activity>> {
        validate::not_blank("recording url", recording_url)?;
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE calls SET voicemail_url = $2, outcome = 'voicemail' \
             WHERE call_sid = $1 AND voicemail_url IS NULL \
             RETURNING account_id, from_number",
        )
        .bind(call_sid)
        .bind(recording_url)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            drop(tx);
            return self.repeat_or_unknown(call_sid).await;
        };
        let account_id = AccountId::from(row::text(&row, "account_id")?);
        let from_number = row::text(&row, "from_number")?;
        let activity = NewActivity {
            contact_id: None,
            kind: ActivityKind::Other("voicemail".into()),
            summary: format!("Voicemail from {from_number} ({} s)", length.as_secs()),
            detail: Some(serde_json::json!({ "call_sid": call_sid, "recording_url": recording_url })),
        };
        let activity = insert_activity_with(&mut *tx, &account_id, activity).await?;
        let event = NewCallEvent {
            at: activity.created_at,
            kind: CallEventKind::Voicemail,
            detail: serde_json::json!({ "recording_url": recording_url, "length_seconds": length.as_secs() }),
        };
        call_events::insert_with(&mut *tx, call_sid, &event).await?;
        tx.commit().await?;
        Ok(CallUpdate::New(activity))
    }

    async fn repeat_or_unknown<T>(&self, call_sid: &str) -> StoreResult<CallUpdate<T>> {
        Ok(match self.call_by_sid(call_sid).await? {
            Some(_) => CallUpdate::Repeat,
            None => CallUpdate::UnknownCall,
        })
    }

    /// Attaches the ElevenLabs conversation id once the agent socket reports it.
    pub async fn set_call_conversation_id(&self, call_sid: &str, conversation_id: &str) -> StoreResult<()> {
        let done = sqlx::query("UPDATE calls SET conversation_id = $2 WHERE call_sid = $1")
            .bind(call_sid)
            .bind(conversation_id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "call" });
        }
        Ok(())
    }

    /// Twilio's callbacks identify a call only by its CallSid, which is globally unique; the
    /// returned row says which account it belongs to.
    pub async fn call_by_sid(&self, call_sid: &str) -> StoreResult<Option<CallRecord>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            call_columns!(),
            " FROM calls WHERE call_sid = $1"
        ))
        .bind(call_sid)
        .fetch_optional(&self.pool)
        .await?;
        row::optional(row, CallRecord::from_row)
    }

    /// The account's most recent `limit` calls, newest first.
    pub async fn recent_calls(&self, account_id: &AccountId, limit: u32) -> StoreResult<Vec<CallRecord>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            call_columns!(),
            " FROM calls WHERE account_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2"
        ))
        .bind(account_id.as_str())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, CallRecord::from_row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_round_trip_through_their_stored_words() {
        for direction in [CallDirection::Inbound, CallDirection::Outbound] {
            assert_eq!(CallDirection::from_stored(direction.as_stored()), Some(direction));
        }
    }

    #[test]
    fn durations_are_whole_milliseconds_and_never_overflow() {
        assert_eq!(row::duration_ms(Duration::from_micros(1_999)), 1);
        assert_eq!(row::duration_ms(Duration::MAX), i64::MAX);
    }
}
