//! The per-call encoder tasks of calls' recordings: each call on an account that records calls
//! gets one, which encodes the call's audio as it comes (see `call::recording_tap`) and, at the
//! call's end, has the rule applied (`telephony::recordings::keep_or_drop`).
//!
//! Each decision is announced on a channel the app owns, for whoever watches it (the tests wait
//! on it); two apps never see each other's.

use jiff::Timestamp;
use tokio::sync::broadcast;

use crate::audio::ogg_opus::{OggOpusError, OggOpusWriter};
use crate::call::recording_tap::{Entry, RecordingTap, TapChunks, entries, recording_tap};
use crate::store::Store;

use super::recording_mix::TwoLegMix;
use super::recordings::{FinishedRecording, KeepDecision, keep_or_drop};

/// How many decisions a slow watcher may fall behind before it misses some.
const DECISIONS_KEPT: usize = 64;

/// A finished call's recording was kept or dropped: the call's CallSid and the decision.
pub type Decided = (String, KeepDecision);

/// Starts calls' encoder tasks and announces their decisions.
#[derive(Debug, Clone)]
pub struct RecordingEncoders {
    store: Store,
    decided: broadcast::Sender<Decided>,
}

impl RecordingEncoders {
    /// Encoders writing to `store`.
    pub fn new(store: Store) -> Self {
        RecordingEncoders {
            store,
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
        tokio::spawn(async move {
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
    use crate::store::testing;

    #[tokio::test]
    async fn each_app_hears_only_its_own_decisions() {
        let store = testing::sqlite().await;
        let ours = RecordingEncoders::new(store.store());
        let theirs = RecordingEncoders::new(store.store());
        let mut ours_heard = ours.decisions();
        let mut theirs_heard = theirs.decisions();
        // A call without a record: its recording is lost, and only `ours` says so.
        drop(ours.start("CAnobody".into()));
        let decided = tokio::time::timeout(Duration::from_secs(30), ours_heard.recv())
            .await
            .expect("a decision")
            .unwrap();
        assert_eq!(decided, ("CAnobody".to_owned(), KeepDecision::Lost));
        assert!(matches!(
            theirs_heard.try_recv(),
            Err(broadcast::error::TryRecvError::Empty)
        ));
    }
}
