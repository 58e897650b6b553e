//! Where each leg's audio goes in a call's stereo recording: left the caller, right the
//! agent, each at the time it was played.
//!
//! The caller's frames arrive continuously (20 ms each), so the caller's position is simply
//! the samples received. The agent's audio arrives in bursts faster than real time and Twilio
//! plays it in order, so each piece is placed at the later of the caller's position and the
//! end of the agent audio already placed. A barge-in's `clear` drops the agent audio placed
//! past the caller's position: Twilio discards what it had not played yet. Frames are only
//! given out up to the caller's position, where nothing can move any more. Pure: no clock,
//! only the order of the entries.

use std::collections::VecDeque;

use crate::audio::ogg_opus::FRAME_SAMPLES;
use crate::audio::ulaw;

/// The two legs, placed, waiting to be encoded.
#[derive(Debug, Default)]
pub struct TwoLegMix {
    /// The caller's samples not yet given out.
    caller: VecDeque<i16>,
    /// The agent's samples from the same instant on (may run past the caller's).
    agent: VecDeque<i16>,
    /// The frame in hand, interleaved.
    frame: Vec<i16>,
}

impl TwoLegMix {
    /// A frame of the caller's μ-law.
    pub fn caller(&mut self, codes: &[u8]) {
        self.caller.extend(codes.iter().map(|&code| ulaw::decode(code)));
    }

    /// Agent μ-law as sent to the caller: after the agent audio already placed, and never
    /// before the caller's position (silence fills the gap).
    pub fn agent(&mut self, codes: &[u8]) {
        if self.agent.len() < self.caller.len() {
            self.agent.resize(self.caller.len(), 0);
        }
        self.agent.extend(codes.iter().map(|&code| ulaw::decode(code)));
    }

    /// The caller's side dropped the agent audio it had not played yet.
    pub fn clear(&mut self) {
        self.agent.truncate(self.caller.len());
    }

    /// The next whole 20 ms frame up to the caller's position, interleaved left/right.
    pub fn next_frame(&mut self) -> Option<&[i16]> {
        if self.caller.len() < FRAME_SAMPLES {
            return None;
        }
        Some(self.take(FRAME_SAMPLES))
    }

    /// At the call's end: what is left of the caller's audio, padded to a frame with silence.
    /// Agent audio past the caller's end was never played, so it is dropped.
    pub fn last_frame(&mut self) -> Option<&[i16]> {
        if self.caller.is_empty() {
            return None;
        }
        let samples = self.caller.len().min(FRAME_SAMPLES);
        Some(self.take(samples))
    }

    fn take(&mut self, samples: usize) -> &[i16] {
        self.frame.clear();
        for _ in 0..FRAME_SAMPLES {
            let left = if self.frame.len() / 2 < samples {
                self.caller.pop_front().unwrap_or(0)
            } else {
                0
            };
            let right = if self.frame.len() / 2 < samples {
                self.agent.pop_front().unwrap_or(0)
            } else {
                0
            };
            self.frame.push(left);
            self.frame.push(right);
        }
        &self.frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// μ-law of a constant sample.
    fn level(sample: i16, samples: usize) -> Vec<u8> {
        vec![ulaw::encode(sample); samples]
    }

    fn frames(mix: &mut TwoLegMix) -> Vec<Vec<i16>> {
        std::iter::from_fn(|| mix.next_frame().map(<[i16]>::to_vec)).collect()
    }

    fn right(frame: &[i16]) -> Vec<i16> {
        frame.iter().skip(1).step_by(2).copied().collect()
    }

    #[test]
    fn agent_audio_is_placed_at_the_callers_position_and_played_in_order() {
        let mut mix = TwoLegMix::default();
        let (speech, other) = (
            ulaw::decode(ulaw::encode(1000)),
            ulaw::decode(ulaw::encode(-2000)),
        );
        mix.caller(&level(0, 160));
        // A burst of two frames of agent audio, ahead of the caller.
        mix.agent(&level(1000, 160));
        mix.agent(&level(-2000, 160));
        mix.caller(&level(0, 160));
        mix.caller(&level(0, 160));
        let out = frames(&mut mix);
        assert_eq!(out.len(), 3, "only up to the caller's position");
        assert!(
            right(&out[0]).iter().all(|&s| s == 0),
            "placed after the caller's first frame"
        );
        assert!(right(&out[1]).iter().all(|&s| s == speech));
        assert!(right(&out[2]).iter().all(|&s| s == other));
        // Agent audio after a pause starts at the caller's position, not right after the last.
        mix.caller(&level(0, 160));
        mix.agent(&level(1000, 80));
        mix.caller(&level(0, 160));
        let out = frames(&mut mix);
        assert!(right(&out[0]).iter().all(|&s| s == 0), "the pause");
        assert!(right(&out[1])[..80].iter().all(|&s| s == speech));
        assert!(right(&out[1])[80..].iter().all(|&s| s == 0));
    }

    #[test]
    fn a_clear_drops_the_agent_audio_not_yet_played() {
        let mut mix = TwoLegMix::default();
        let speech = ulaw::decode(ulaw::encode(1000));
        mix.caller(&level(0, 160));
        mix.agent(&level(1000, 160 * 5));
        mix.caller(&level(0, 160));
        mix.clear();
        for _ in 0..3 {
            mix.caller(&level(0, 160));
        }
        let out = frames(&mut mix);
        assert_eq!(out.len(), 5);
        assert!(
            right(&out[1]).iter().all(|&s| s == speech),
            "heard before the barge-in"
        );
        for frame in &out[2..] {
            assert!(right(frame).iter().all(|&s| s == 0), "cleared");
        }
    }

    #[test]
    fn the_last_frame_is_padded_and_agent_audio_past_the_end_is_dropped() {
        let mut mix = TwoLegMix::default();
        mix.caller(&level(500, 100));
        mix.agent(&level(1000, 1000));
        assert!(mix.next_frame().is_none());
        let last = mix.last_frame().unwrap().to_vec();
        assert_eq!(last.len(), 320);
        assert!(last[200..].iter().all(|&s| s == 0), "padded");
        assert!(mix.last_frame().is_none());
    }
}
