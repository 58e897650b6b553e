//! The per-call encoder tasks of calls' recordings: each call on an account that records calls
//! gets one, which encodes the call's audio as it comes (see `call::recording_tap`) and, at the
//! call's end, has the rule applied (`telephony::recordings::keep_or_drop`).
//!
//! The tasks run as the app's background workers: shutdown stops the workers only after the
//! calls are over, and then waits (bounded) for every task to finish, so a graceful stop never
//! loses a consented recording. Each decision is announced on a channel the app owns, for
//! whoever watches it (the tests wait on it); two apps never see each other's.

use jiff::Timestamp;
use tokio::sync::broadcast;

use crate::audio::ogg_opus::{OggOpusError, OggOpusWriter};
use crate::call::recording_tap::{Entry, RecordingTap, TapChunks, entries, recording_tap};
use crate::shutdown::Shutdown;
use crate::store::Store;

use super::recording_mix::TwoLegMix;
use super::recordings::{FinishedRecording, KeepDecision, keep_or_drop};

/// How many decisions a slow watcher may fall behind before it misses some.
const DECISIONS_KEPT: usize = 64;

/// A finished call's recording was kept or dropped: the call's CallSid and the decision.
pub type Decided = (String, KeepDecision);

/// Starts calls' encoder tasks among the app's workers and announces their decisions.
#[derive(Debug, Clone)]
pub struct RecordingEncoders {
    store: Store,
    workers: Shutdown,
    decided: broadcast::Sender<Decided>,
}

impl RecordingEncoders {
    /// Encoders writing to `store`, run as `workers`' tasks.
    pub fn new(store: Store, workers: &Shutdown) -> Self {
        RecordingEncoders {
            store,
            workers: workers.clone(),
            decided: broadcast::channel(DECISIONS_KEPT).0,
        }
    }

    /// The decisions on calls' recordings from now on, as each call's encoder makes them.
    pub fn decisions(&self) -> broadcast::Receiver<Decided> {
        self.decided.subscribe()
    }

    /// Starts recording the call `call_sid`: the tap its session copies the audio into, and
    /// the task that encodes it as it comes and, at the call's end, keeps or drops it.
    pub fn start(&self, call_sid: String) -> RecordingTap {
        let (tap, chunks) = recording_tap();
        let store = self.store.clone();
        let decided = self.decided.clone();
        self.workers.spawn(async move {
            let decision = match encode(chunks).await {
                Ok(Some((duration_ms, audio))) => {
                    let finished = FinishedRecording {
                        call_sid: call_sid.clone(),
                        duration_ms,
                        audio,
                    };
                    keep_or_drop(&store, finished, Timestamp::now()).await
                }
                Ok(None) => {
                    tracing::warn!(%call_sid, "recording dropped: the encoder fell behind the call");
                    KeepDecision::Lost
                }
                Err(error) => {
                    tracing::error!(%call_sid, %error, "recording dropped: encoding failed");
                    KeepDecision::Lost
                }
            };
            // Nobody watching is fine.
            let _ = decided.send((call_sid, decision));
        });
        tap
    }
}

/// Encodes the call's audio as it arrives; at the call's end, its length in milliseconds and
/// the file. `None` if the tap lost audio.
async fn encode(mut chunks: TapChunks) -> Result<Option<(u64, Vec<u8>)>, OggOpusError> {
    let mut writer = OggOpusWriter::new()?;
    let mut mix = TwoLegMix::default();
    while let Some(chunk) = chunks.next().await {
        for entry in entries(&chunk) {
            match entry {
                Entry::Caller(codes) => mix.caller(codes),
                Entry::Agent(codes) => mix.agent(codes),
                Entry::Clear => mix.clear(),
            }
        }
        chunks.recycle(chunk);
        while let Some(frame) = mix.next_frame() {
            writer.push_frame(frame)?;
        }
    }
    if chunks.lost() {
        return Ok(None);
    }
    if let Some(frame) = mix.last_frame() {
        writer.push_frame(frame)?;
    }
    let duration_ms = writer.duration_ms();
    Ok(Some((duration_ms, writer.finish()?)))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::testing::{self, seed_business};
    use crate::store::{AccountChange, CallDirection, NewCallRecord};

    #[tokio::test]
    async fn the_workers_finish_only_once_a_consented_recording_is_stored() {
        let store = testing::sqlite().await;
        let business = seed_business(&store).await;
        let change = AccountChange {
            record_calls: Some(true),
            ..AccountChange::default()
        };
        store.update_account(&business.account.id, change).await.unwrap();
        let new = NewCallRecord {
            agent_id: business.agent.id.clone(),
            call_sid: "CAshutdown".into(),
            direction: CallDirection::Inbound,
            from_number: "+4930123456".into(),
            to_number: business.agent.phone_number.clone().unwrap(),
            started_at: Timestamp::now(),
        };
        let call = store
            .insert_call(&business.account.id, new)
            .await
            .unwrap()
            .unwrap();
        store
            .record_call_consent(&business.account.id, "CAshutdown", true, Timestamp::now())
            .await
            .unwrap();
        let workers = Shutdown::new();
        let encoders = RecordingEncoders::new(store.store(), &workers);
        let mut tap = encoders.start("CAshutdown".into());
        for _ in 0..50 {
            tap.caller(&[0xff; 160]);
        }
        // The call ends as the server stops: the workers' end waits for its recording.
        drop(tap);
        workers.stop();
        workers.finished().await;
        let kept = store
            .call_recording(&business.account.id, &call.id)
            .await
            .unwrap()
            .expect("the recording is stored before the workers finish");
        assert_eq!(kept.duration_ms, 1_000);
    }

    #[tokio::test]
    async fn each_app_hears_only_its_own_decisions() {
        let store = testing::sqlite().await;
        let workers = Shutdown::new();
        let ours = RecordingEncoders::new(store.store(), &workers);
        let theirs = RecordingEncoders::new(store.store(), &workers);
        let mut ours_heard = ours.decisions();
        let mut theirs_heard = theirs.decisions();
        // A call without a record: its recording is lost, and only `ours` says so.
        drop(ours.start("CAnobody".into()));
        let decided = tokio::time::timeout(Duration::from_secs(30), ours_heard.recv())
            .await
            .expect("a decision")
            .unwrap();
        assert_eq!(decided, ("CAnobody".to_owned(), KeepDecision::Lost));
        workers.stop();
        workers.finished().await;
        assert!(matches!(
            theirs_heard.try_recv(),
            Err(broadcast::error::TryRecvError::Empty)
        ));
    }
}
