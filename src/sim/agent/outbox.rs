//! What script mode has to send, in order: messages as they come, and each turn's audio cut
//! into chunks and sent faster than real time, as a streaming TTS would, so that a barge-in
//! can still stop the rest of a turn.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::config::ScriptTiming;
use super::outgoing;
use crate::audio::AudioFormat;
use crate::audio::format::FRAME_MS;

#[derive(Debug)]
enum Queued {
    Message(String),
    Audio { event_id: u64, audio: Bytes },
}

#[derive(Debug)]
pub struct Outbox {
    queue: VecDeque<Queued>,
    format: AudioFormat,
    chunk_bytes: usize,
    /// Wall time per second of audio sent; zero sends turns at once.
    pace: f64,
    next_audio_at: Instant,
}

impl Outbox {
    pub fn new(format: AudioFormat, timing: &ScriptTiming, now: Instant) -> Self {
        let frames = (timing.chunk.as_millis() as usize / FRAME_MS as usize).max(1);
        let pace = if timing.send_speedup.is_finite() && timing.send_speedup > 0.0 {
            1.0 / timing.send_speedup
        } else {
            0.0
        };
        Outbox {
            queue: VecDeque::new(),
            format,
            chunk_bytes: frames * format.bytes_per_frame(),
            pace,
            next_audio_at: now,
        }
    }

    pub fn push_message(&mut self, message: String) {
        self.queue.push_back(Queued::Message(message));
    }

    pub fn push_speech(&mut self, event_id: u64, audio: Bytes) {
        if !audio.is_empty() {
            self.queue.push_back(Queued::Audio { event_id, audio });
        }
    }

    /// Forgets the unsent audio of every turn up to `event_id` (it was interrupted).
    pub fn drop_audio_up_to(&mut self, event_id: u64) {
        self.queue
            .retain(|queued| !matches!(queued, Queued::Audio { event_id: id, .. } if *id <= event_id));
    }

    /// The next message due at `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<String> {
        match self.queue.front_mut()? {
            Queued::Message(_) => match self.queue.pop_front() {
                Some(Queued::Message(message)) => Some(message),
                _ => unreachable!("the front was a message"),
            },
            Queued::Audio { event_id, audio } => {
                if now < self.next_audio_at {
                    return None;
                }
                let chunk = audio.split_to(self.chunk_bytes.min(audio.len()));
                let message = outgoing::audio(&chunk, *event_id);
                if audio.is_empty() {
                    self.queue.pop_front();
                }
                let seconds = chunk.len() as f64 / f64::from(self.format.bytes_per_second());
                // From the previous due time, not from `now`, so late wake-ups do not slow
                // the stream down; after a quiet spell, from now.
                self.next_audio_at =
                    self.next_audio_at.max(now) + Duration::from_secs_f64(seconds * self.pace);
                Some(message)
            }
        }
    }

    /// When the front of the queue becomes due, if it is audio waiting for its time.
    pub fn next_due(&self) -> Option<Instant> {
        match self.queue.front()? {
            Queued::Audio { .. } => Some(self.next_audio_at),
            Queued::Message(_) => None,
        }
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::elevenlabs::AgentMessage;

    fn timing(speedup: f64) -> ScriptTiming {
        ScriptTiming {
            chunk: Duration::from_millis(200),
            send_speedup: speedup,
            ..ScriptTiming::default()
        }
    }

    fn audio_len(message: &str) -> (usize, u64) {
        let AgentMessage::Audio { audio_event } = AgentMessage::parse(message).unwrap() else {
            panic!("{message}")
        };
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(audio_event.audio_base_64.as_bytes())
            .unwrap();
        (bytes.len(), audio_event.event_id)
    }

    #[test]
    fn turns_go_out_in_200_ms_chunks_at_five_times_real_time() {
        let start = Instant::now();
        let mut outbox = Outbox::new(AudioFormat::Ulaw8000, &timing(5.0), start);
        outbox.push_message("first".into());
        outbox.push_speech(1, Bytes::from(vec![0xFF; 4000]));
        outbox.push_message("after".into());
        assert_eq!(outbox.pop_due(start).as_deref(), Some("first"));
        assert_eq!(audio_len(&outbox.pop_due(start).unwrap()), (1600, 1));
        assert_eq!(outbox.pop_due(start), None);
        assert_eq!(outbox.next_due(), Some(start + Duration::from_millis(40)));
        let later = start + Duration::from_millis(40);
        assert_eq!(audio_len(&outbox.pop_due(later).unwrap()), (1600, 1));
        let last = start + Duration::from_millis(80);
        assert_eq!(audio_len(&outbox.pop_due(last).unwrap()), (800, 1));
        assert_eq!(outbox.pop_due(last).as_deref(), Some("after"));
        assert!(outbox.is_empty());
    }

    #[test]
    fn an_unlimited_speed_sends_everything_at_once() {
        let now = Instant::now();
        let mut outbox = Outbox::new(AudioFormat::Pcm { rate: 22050 }, &timing(f64::INFINITY), now);
        outbox.push_speech(4, Bytes::from(vec![0; 44100]));
        let mut sizes = Vec::new();
        while let Some(message) = outbox.pop_due(now) {
            sizes.push(audio_len(&message).0);
        }
        // 200 ms of 22.05 kHz PCM is 10 frames of 882 bytes.
        assert_eq!(sizes, [8820; 5]);
    }

    #[test]
    fn interrupted_turns_lose_their_unsent_audio_only() {
        let now = Instant::now();
        let mut outbox = Outbox::new(AudioFormat::Ulaw8000, &timing(f64::INFINITY), now);
        outbox.push_speech(1, Bytes::from(vec![0xFF; 3200]));
        outbox.push_message("tool call".into());
        outbox.push_speech(2, Bytes::from(vec![0xFF; 1600]));
        outbox.push_speech(3, Bytes::from(vec![0xFF; 1600]));
        assert_eq!(audio_len(&outbox.pop_due(now).unwrap()).1, 1);
        outbox.drop_audio_up_to(2);
        assert_eq!(outbox.pop_due(now).as_deref(), Some("tool call"));
        assert_eq!(audio_len(&outbox.pop_due(now).unwrap()).1, 3);
        assert!(outbox.is_empty());
    }
}
