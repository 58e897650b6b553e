//! Echo mode's check that caller audio is in the format the conversation declared, so that a
//! bridge that forwards the caller's μ-law unchanged to an agent that asked for `pcm_16000`
//! (or the other way round) fails a load test instead of passing it byte for byte.
//!
//! Only the audio's rate can tell formats apart: μ-law bytes are valid PCM16 samples and
//! any PCM16 byte is a valid μ-law code, and a 160-byte μ-law frame is a whole number of
//! PCM16 samples, so neither a per-chunk size rule nor a content statistic (real audio may be
//! noise, a tone or silence) separates them without firing on some honest audio. What
//! cannot be honest is audio whose duration in the declared format does not follow the time
//! it took to arrive: μ-law read as `pcm_16000` is a quarter of real time, PCM16 read as
//! μ-law four times it. Two rules, each with a margin no healthy sender reaches:
//!
//! - **too much**: the audio received since the first chunk may run ahead of the time since
//!   that chunk arrived by at most [`MAX_AHEAD`]. Audio only arrives ahead of time when it
//!   was held back and then sent in a burst, and a stall only delays audio, which makes it
//!   later, not earlier. A bridge holds at most 5 s of caller audio while the agent connects
//!   (250 frames), but one whose stream setup stalls (overloaded, waiting on its database)
//!   leaves the caller's audio in its socket meanwhile and then reads it all at once: at
//!   1,000 calls on two cores, 10–13 s of audio arrived within a second at the start of
//!   hundreds of calls. Those runs fail on their round trips; [`MAX_AHEAD`] is 30 s so that
//!   they are not also reported as dropped calls. PCM16 read as μ-law (4× real time) is
//!   still caught after about 10 s of a call.
//! - **too little**: over any stretch of arrivals without a pause, the time between them
//!   may exceed the audio that came in them by at most [`MAX_BEHIND`]. A bridge that stalls
//!   falls behind by the length of the stall and catches up with a burst once it resumes,
//!   so the gap is bounded by how late its audio ever runs; the audio of a pass-through
//!   bridge falls behind by 15 ms every 20 ms, without bound. A gap of [`PAUSE`] or more
//!   between two chunks starts a new stretch: clients may stop sending (a muted microphone),
//!   and a whole stall that long is a pause too, after which the burst only helps.
//!
//! The second rule is the recursion of a queue's waiting time (Lindley's): `lag` is the
//! largest (arrival span − audio) over the stretches ending at the latest chunk, kept in one
//! integer. Time and audio are compared in µs × bytes per second, so a chunk that splits
//! a sample costs no rounding. Per chunk: a few integer operations, no allocation.

use std::time::{Duration, Instant};

use crate::audio::AudioFormat;

/// How far ahead of real time the audio may run.
pub const MAX_AHEAD: Duration = Duration::from_secs(30);
/// How far behind real time the audio may fall within a stretch without pauses.
pub const MAX_BEHIND: Duration = Duration::from_secs(4);
/// A gap between chunks this long starts a new stretch for [`MAX_BEHIND`].
pub const PAUSE: Duration = Duration::from_secs(1);

const MICROS: u128 = 1_000_000;

/// The audio of a conversation cannot be in its declared format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audio is not {format}: {audio_ms} ms of it came in {elapsed_ms} ms")]
pub struct FormatMismatch {
    pub format: AudioFormat,
    /// All the audio received, read in `format`.
    pub audio_ms: u64,
    /// From the first chunk's arrival to the latest's.
    pub elapsed_ms: u64,
}

/// Follows the audio of one conversation against the time it takes to arrive.
#[derive(Debug)]
pub struct FormatCheck {
    format: AudioFormat,
    bytes_per_second: u128,
    /// Arrival of the first chunk and of the latest one.
    first: Option<Instant>,
    last: Option<Instant>,
    /// Every byte received, and the bytes of the latest chunk.
    total_bytes: u128,
    last_bytes: u128,
    /// How far behind the audio is (in µs × bytes per second) over the worst stretch ending
    /// with the latest chunk, not counting that chunk's own audio.
    lag: u128,
}

impl FormatCheck {
    pub fn new(format: AudioFormat) -> Self {
        FormatCheck {
            format,
            bytes_per_second: u128::from(format.bytes_per_second()),
            first: None,
            last: None,
            total_bytes: 0,
            last_bytes: 0,
            lag: 0,
        }
    }

    /// Counts a chunk of `bytes` that arrived at `now`.
    pub fn on_chunk(&mut self, bytes: usize, now: Instant) -> Result<(), FormatMismatch> {
        let bytes = bytes as u128;
        let (Some(first), Some(last)) = (self.first, self.last) else {
            (self.first, self.last, self.total_bytes, self.last_bytes) = (Some(now), Some(now), bytes, bytes);
            return Ok(());
        };
        let since_last = now.saturating_duration_since(last);
        self.last = Some(now);
        if since_last >= PAUSE {
            self.lag = 0;
        } else {
            let waited = since_last.as_micros() * self.bytes_per_second;
            let heard = self.last_bytes * MICROS;
            self.lag = (self.lag + waited).saturating_sub(heard);
        }
        self.total_bytes += bytes;
        self.last_bytes = bytes;
        let behind = self.lag > MAX_BEHIND.as_micros() * self.bytes_per_second;
        let elapsed = now.saturating_duration_since(first).as_micros() * self.bytes_per_second;
        let ahead = self.total_bytes * MICROS > elapsed + MAX_AHEAD.as_micros() * self.bytes_per_second;
        if behind || ahead {
            return Err(self.mismatch(now));
        }
        Ok(())
    }

    fn mismatch(&self, now: Instant) -> FormatMismatch {
        let elapsed = self
            .first
            .map_or(Duration::ZERO, |first| now.saturating_duration_since(first));
        FormatMismatch {
            format: self.format,
            audio_ms: (self.total_bytes * 1000 / self.bytes_per_second) as u64,
            elapsed_ms: elapsed.as_millis() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PCM_16000: AudioFormat = AudioFormat::Pcm { rate: 16000 };
    const FRAME: Duration = Duration::from_millis(20);

    /// Feeds `chunks` of `(bytes, arrival offset)`; the index of the first that fails.
    fn first_failure(
        format: AudioFormat,
        chunks: impl IntoIterator<Item = (usize, Duration)>,
    ) -> Option<usize> {
        let start = Instant::now();
        let mut check = FormatCheck::new(format);
        chunks
            .into_iter()
            .position(|(bytes, at)| check.on_chunk(bytes, start + at).is_err())
    }

    /// One chunk of `bytes` every 20 ms for `seconds`.
    fn real_time(bytes: usize, seconds: u32) -> impl Iterator<Item = (usize, Duration)> {
        (0..seconds * 50).map(move |n| (bytes, FRAME * n))
    }

    #[test]
    fn ulaw_passed_through_to_a_pcm_16000_conversation_is_caught_within_seconds() {
        let failed = first_failure(PCM_16000, real_time(160, 60)).expect("caught");
        // 15 ms behind every 20 ms: past 4 s after about 5.3 s.
        let at = FRAME * failed as u32;
        assert!(at > MAX_BEHIND && at < Duration::from_secs(6), "{at:?}");
        let mut check = FormatCheck::new(PCM_16000);
        let start = Instant::now();
        let error = (0..)
            .find_map(|n| check.on_chunk(160, start + FRAME * n).err())
            .unwrap();
        assert_eq!(error.format, PCM_16000);
        assert_eq!(error.audio_ms * 4, error.elapsed_ms + 20);
        assert!(
            error.to_string().starts_with("audio is not pcm_16000: "),
            "{error}"
        );
    }

    #[test]
    fn transcoded_pcm_16000_in_real_time_passes_for_an_hour() {
        assert_eq!(first_failure(PCM_16000, real_time(640, 3600)), None);
        assert_eq!(first_failure(AudioFormat::Ulaw8000, real_time(160, 3600)), None);
    }

    #[test]
    fn a_stall_then_a_burst_that_catches_up_passes() {
        // 3 s of real time, then nothing for 0.9 s (shorter than a pause), then the 45
        // held frames back to back, then real time again; and the same with a 3 s stall.
        for stall_ms in [900u64, 3000] {
            let stall = Duration::from_millis(stall_ms);
            let held = stall_ms as u32 / 20;
            let chunks = (0..600u32).map(|n| {
                let at = if n < 150 {
                    FRAME * n
                } else if n < 150 + held {
                    // Released together when the stall ends.
                    FRAME * 150 + stall
                } else {
                    FRAME * n
                };
                (640, at)
            });
            assert_eq!(first_failure(PCM_16000, chunks), None, "stall of {stall:?}");
        }
    }

    #[test]
    fn a_bridge_running_late_by_a_second_for_long_stretches_passes() {
        // Frames slow to one per 40 ms for 1 s (falling 0.5 s behind), then catch up, over
        // and over: the lag never passes what the bridge fell behind by.
        let mut at = Duration::ZERO;
        let chunks = (0..20_000u32).map(move |n| {
            let step = if n % 100 < 25 {
                FRAME * 2
            } else if n % 100 < 50 {
                Duration::ZERO
            } else {
                FRAME
            };
            at += step;
            (640, at)
        });
        assert_eq!(first_failure(PCM_16000, chunks), None);
    }

    #[test]
    fn held_audio_sent_at_once_after_connecting_passes() {
        // The bridge holds up to 5 s of caller audio while the agent connects.
        let held = (0..250).map(|_| (640, Duration::ZERO));
        let then = (250..3000u32).map(|n| (640, FRAME * (n - 249)));
        assert_eq!(first_failure(PCM_16000, held.chain(then)), None);
    }

    #[test]
    fn pauses_in_sending_start_a_new_stretch() {
        // 2 s of audio then 5 s of nothing, ten times: 50 s of silence in all.
        let chunks = (0..1000u32).map(|n| (640, FRAME * n + Duration::from_secs(5) * (n / 100)));
        assert_eq!(first_failure(PCM_16000, chunks), None);
    }

    #[test]
    fn pcm_16000_sent_to_a_ulaw_conversation_is_four_times_too_much() {
        let failed = first_failure(AudioFormat::Ulaw8000, real_time(640, 60)).expect("caught");
        // 60 ms ahead every 20 ms: past 30 s after about 10 s.
        let at = FRAME * failed as u32;
        assert!(
            at > Duration::from_secs(9) && at < Duration::from_secs(11),
            "{at:?}"
        );
    }

    #[test]
    fn ulaw_passed_to_pcm_8000_and_odd_chunk_sizes() {
        // μ-law read as pcm_8000 is half real time.
        let pcm_8000 = AudioFormat::Pcm { rate: 8000 };
        assert!(first_failure(pcm_8000, real_time(160, 60)).is_some());
        // Samples split across chunks cost no rounding: 641 + 639 bytes every 40 ms.
        let split = (0..90_000u32).map(|n| (if n % 2 == 0 { 641 } else { 639 }, FRAME * n));
        assert_eq!(first_failure(PCM_16000, split), None);
    }

    #[test]
    fn a_recording_uploaded_faster_than_real_time_passes_up_to_the_margin() {
        // 28 s of audio at once (a stalled bridge's backlog), then real time.
        let upload = (0..1400).map(|_| (640, Duration::ZERO));
        assert_eq!(first_failure(PCM_16000, upload.chain(real_time(640, 20))), None);
        // 31 s at once is more than that.
        assert_eq!(
            first_failure(PCM_16000, (0..1550).map(|_| (640, Duration::ZERO))),
            Some(1500)
        );
    }
}
