//! An energy-based voice activity detector that finds the caller's turns.
//!
//! Audio is cut into 20 ms frames; a frame is *voiced* when its RMS level reaches
//! [`VadConfig::threshold_dbfs`]. A turn starts once voiced frames add up to
//! [`VadConfig::min_speech`] without a silence of [`VadConfig::end_silence`] in between
//! (shorter bursts, such as a click, are dropped), and ends after `end_silence` of unvoiced
//! frames. That is enough for the recorded caller lines, whose pauses between words are
//! shorter than 450 ms, and for the μ-law silence (`0xFF`, a zero sample) sent between them.
//!
//! Time is the audio's own: the number of samples received. A client that sends audio faster
//! than real time has its turns found just the same, only sooner.

use super::config::VadConfig;

/// What the detector noticed, at the end of the frame that decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VadEvent {
    /// The caller has spoken for `min_speech`: a turn is under way.
    SpeechStarted { at_ms: u64 },
    /// The caller has been silent for `end_silence` after a turn.
    TurnEnded { at_ms: u64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    /// Voiced frames seen, not yet enough for a turn.
    Candidate {
        voiced: u32,
        silent_run: u32,
    },
    Speaking {
        silent_run: u32,
    },
}

#[derive(Debug)]
pub struct Vad {
    frame_len: u32,
    /// Mean square (of samples in full-scale units) a voiced frame reaches.
    threshold: f64,
    min_speech_frames: u32,
    end_silence_frames: u32,
    sum_squares: f64,
    in_frame: u32,
    frames: u64,
    state: State,
}

const FRAME_MS: u64 = crate::audio::format::FRAME_MS as u64;

impl Vad {
    pub fn new(config: &VadConfig, sample_rate: u32) -> Self {
        let frames_in = |d: std::time::Duration| (d.as_millis() as u64).div_ceil(FRAME_MS).max(1) as u32;
        let full_scale = f64::from(i16::MAX);
        Vad {
            frame_len: (u64::from(sample_rate) * FRAME_MS / 1000) as u32,
            threshold: (10f64.powf(config.threshold_dbfs / 20.0) * full_scale).powi(2),
            min_speech_frames: frames_in(config.min_speech),
            end_silence_frames: frames_in(config.end_silence),
            sum_squares: 0.0,
            in_frame: 0,
            frames: 0,
            state: State::Idle,
        }
    }

    /// Audio time so far, in whole frames' milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.frames * FRAME_MS
    }

    /// True while a possible or confirmed turn is open, i.e. while the passing of time
    /// (silence) could still produce an event.
    pub fn is_listening(&self) -> bool {
        self.state != State::Idle
    }

    /// Feeds one sample; returns an event when the frame it completes decides one.
    #[inline]
    pub fn push(&mut self, sample: i16) -> Option<VadEvent> {
        let value = f64::from(sample);
        self.sum_squares += value * value;
        self.in_frame += 1;
        if self.in_frame < self.frame_len {
            return None;
        }
        let voiced = self.sum_squares / f64::from(self.frame_len) >= self.threshold;
        self.sum_squares = 0.0;
        self.in_frame = 0;
        self.end_frame(voiced)
    }

    /// Feeds `samples` zero samples (time in which the caller sent nothing), calling
    /// `on_event` for what they decide.
    pub fn push_silence(&mut self, mut samples: u64, mut on_event: impl FnMut(VadEvent)) {
        while samples > 0 {
            if self.in_frame == 0 && samples >= u64::from(self.frame_len) {
                samples -= u64::from(self.frame_len);
                if let Some(event) = self.end_frame(false) {
                    on_event(event);
                }
            } else {
                samples -= 1;
                if let Some(event) = self.push(0) {
                    on_event(event);
                }
            }
        }
    }

    fn end_frame(&mut self, voiced: bool) -> Option<VadEvent> {
        self.frames += 1;
        let at_ms = self.now_ms();
        let (state, event) = match (self.state, voiced) {
            (State::Idle, false) => (State::Idle, None),
            (State::Idle, true) => self.count_voiced(1, at_ms),
            (State::Candidate { voiced: count, .. }, true) => self.count_voiced(count + 1, at_ms),
            (
                State::Candidate {
                    voiced: count,
                    silent_run,
                },
                false,
            ) => {
                if silent_run + 1 >= self.end_silence_frames {
                    (State::Idle, None)
                } else {
                    let state = State::Candidate {
                        voiced: count,
                        silent_run: silent_run + 1,
                    };
                    (state, None)
                }
            }
            (State::Speaking { .. }, true) => (State::Speaking { silent_run: 0 }, None),
            (State::Speaking { silent_run }, false) => {
                if silent_run + 1 >= self.end_silence_frames {
                    (State::Idle, Some(VadEvent::TurnEnded { at_ms }))
                } else {
                    (
                        State::Speaking {
                            silent_run: silent_run + 1,
                        },
                        None,
                    )
                }
            }
        };
        self.state = state;
        event
    }

    fn count_voiced(&self, voiced: u32, at_ms: u64) -> (State, Option<VadEvent>) {
        if voiced >= self.min_speech_frames {
            (
                State::Speaking { silent_run: 0 },
                Some(VadEvent::SpeechStarted { at_ms }),
            )
        } else {
            (
                State::Candidate {
                    voiced,
                    silent_run: 0,
                },
                None,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::FixtureDir;
    use crate::audio::fixtures::CALLER_CLIPS;
    use crate::audio::ulaw;

    fn run(vad: &mut Vad, samples: impl IntoIterator<Item = i16>) -> Vec<VadEvent> {
        samples.into_iter().filter_map(|s| vad.push(s)).collect()
    }

    fn loud(ms: usize) -> impl Iterator<Item = i16> {
        (0..ms * 8).map(|n| if n % 8 < 4 { 8000 } else { -8000 })
    }

    fn quiet(ms: usize) -> impl Iterator<Item = i16> {
        std::iter::repeat_n(0, ms * 8)
    }

    #[test]
    fn a_turn_starts_after_200_ms_of_speech_and_ends_after_600_ms_of_silence() {
        let mut vad = Vad::new(&VadConfig::default(), 8000);
        let events = run(&mut vad, quiet(100).chain(loud(500)).chain(quiet(1000)));
        assert_eq!(
            events,
            [
                VadEvent::SpeechStarted { at_ms: 300 },
                VadEvent::TurnEnded { at_ms: 1200 }
            ]
        );
        assert!(!vad.is_listening());
    }

    #[test]
    fn short_bursts_and_pauses_inside_a_turn_do_not_count() {
        let mut vad = Vad::new(&VadConfig::default(), 8000);
        // A 60 ms click followed by silence is not a turn.
        assert!(run(&mut vad, loud(60).chain(quiet(700))).is_empty());
        // A 400 ms pause between words keeps the turn open.
        let events = run(
            &mut vad,
            loud(300).chain(quiet(400)).chain(loud(300)).chain(quiet(600)),
        );
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[1], VadEvent::TurnEnded { at_ms: 760 + 1600 });
    }

    #[test]
    fn silence_by_the_clock_ends_a_turn_like_silent_audio() {
        let mut with_audio = Vad::new(&VadConfig::default(), 16000);
        let mut by_clock = Vad::new(&VadConfig::default(), 16000);
        let speech: Vec<i16> = (0..16000 / 2)
            .map(|n| if n % 4 < 2 { 9000 } else { -9000 })
            .collect();
        run(&mut with_audio, speech.iter().copied());
        run(&mut by_clock, speech.iter().copied());
        let expected = run(&mut with_audio, std::iter::repeat_n(0, 16000));
        let mut events = Vec::new();
        by_clock.push_silence(7, |e| events.push(e));
        by_clock.push_silence(16000 - 7, |e| events.push(e));
        assert_eq!(events, expected);
        assert_eq!(by_clock.now_ms(), with_audio.now_ms());
    }

    #[test]
    fn each_caller_fixture_is_exactly_one_turn() {
        let fixtures = FixtureDir::bundled();
        for name in CALLER_CLIPS {
            let codes = fixtures.caller(name).unwrap();
            let mut vad = Vad::new(&VadConfig::default(), 8000);
            let silence = std::iter::repeat_n(0i16, 8000);
            let samples = silence
                .clone()
                .chain(codes.iter().map(|&c| ulaw::decode(c)))
                .chain(silence);
            let events = run(&mut vad, samples);
            let speech_ms = codes.len() as u64 / 8;
            assert!(
                matches!(
                    events.as_slice(),
                    [VadEvent::SpeechStarted { at_ms: start }, VadEvent::TurnEnded { at_ms: end }]
                        if *start <= 1000 + 400 && (1000 + speech_ms + 560..=1000 + speech_ms + 640).contains(end)
                ),
                "{name}: {events:?} for {speech_ms} ms of speech"
            );
        }
    }
}
