//! Twilio's side of outbound audio, as the caller simulator plays it: a buffer played in
//! order in real time, marks echoed when playback reaches them, `clear` emptying the buffer
//! and echoing every pending mark at once
//! (twilio.com/docs/voice/media-streams/websocket-messages). [`MarkClock`] keeps the timing
//! alone, for a caller that needs when playback passes a mark but not what it plays.

use std::collections::VecDeque;

use crate::audio::ulaw::SILENCE;

/// Twilio's playback: the audio queued, played in order, with the marks placed in it.
#[derive(Debug, Default)]
pub struct Playout {
    audio: VecDeque<u8>,
    clock: MarkClock,
}

impl Playout {
    /// Queues agent audio.
    pub fn push_audio(&mut self, ulaw: &[u8]) {
        self.audio.extend(ulaw);
        self.clock.push_audio(ulaw.len());
    }

    /// Queues a mark after the audio queued so far. Returns it at once if nothing is queued,
    /// as Twilio does.
    pub fn push_mark(&mut self, name: String) -> Option<String> {
        self.clock.push_mark(name)
    }

    /// Discards queued audio; returns the marks to echo, in order.
    pub fn clear(&mut self) -> Vec<String> {
        self.audio.clear();
        self.clock.clear()
    }

    /// Plays one frame of `len` bytes into `out` (silence where nothing is queued) and
    /// returns the marks playback passed.
    pub fn play(&mut self, len: usize, out: &mut Vec<u8>) -> Vec<String> {
        let (take, passed) = self.clock.play(len);
        // Whole slices, not byte by byte: this runs for every frame of every simulated call.
        let (front, back) = self.audio.as_slices();
        let from_front = take.min(front.len());
        out.extend_from_slice(&front[..from_front]);
        out.extend_from_slice(&back[..take - from_front]);
        self.audio.drain(..take);
        out.extend(std::iter::repeat_n(SILENCE, len - take));
        passed
    }

    /// Whether anything is still waiting to be played.
    pub fn is_playing(&self) -> bool {
        self.clock.is_playing()
    }

    /// Agent audio played so far, in bytes (8 per millisecond).
    pub fn played_bytes(&self) -> u64 {
        self.clock.played_bytes()
    }
}

/// Twilio's playback clock without the audio: how much is queued, and the marks placed in
/// it, echoed once playback has passed the audio queued before them. For a caller that
/// needs the timing of playback but not what it plays (the load generator).
#[derive(Debug, Default)]
pub struct MarkClock {
    /// Bytes of audio queued and not yet played.
    queued: usize,
    /// Marks waiting for playback: (name, bytes of the audio queued so far that are still
    /// ahead of them).
    marks: VecDeque<(String, usize)>,
    played_total: u64,
}

impl MarkClock {
    /// `len` more bytes of audio were queued.
    pub fn push_audio(&mut self, len: usize) {
        self.queued += len;
    }

    /// Queues a mark after the audio queued so far. Returns it at once if nothing is queued,
    /// as Twilio does.
    pub fn push_mark(&mut self, name: String) -> Option<String> {
        if self.queued == 0 && self.marks.is_empty() {
            return Some(name);
        }
        self.marks.push_back((name, self.queued));
        None
    }

    /// Discards queued audio; returns the marks to echo, in order.
    pub fn clear(&mut self) -> Vec<String> {
        self.queued = 0;
        self.marks.drain(..).map(|(name, _)| name).collect()
    }

    /// Plays up to `len` bytes; returns how many there were, and the marks playback passed.
    pub fn play(&mut self, len: usize) -> (usize, Vec<String>) {
        let take = len.min(self.queued);
        self.queued -= take;
        self.played_total += take as u64;
        let mut passed = Vec::new();
        if self.marks.is_empty() {
            return (take, passed);
        }
        for mark in self.marks.iter_mut() {
            mark.1 = mark.1.saturating_sub(take);
        }
        while self.marks.front().is_some_and(|(_, ahead)| *ahead == 0) {
            passed.push(self.marks.pop_front().expect("checked").0);
        }
        (take, passed)
    }

    pub fn is_playing(&self) -> bool {
        self.queued > 0
    }

    pub fn played_bytes(&self) -> u64 {
        self.played_total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_echo_when_playback_reaches_them() {
        let mut p = Playout::default();
        p.push_audio(&[1; 300]);
        assert_eq!(p.push_mark("a".into()), None);
        p.push_audio(&[2; 100]);
        assert_eq!(p.push_mark("b".into()), None);
        let mut out = Vec::new();
        assert!(p.play(160, &mut out).is_empty());
        assert_eq!(p.play(160, &mut out), vec!["a".to_string()]);
        assert_eq!(p.play(160, &mut out), vec!["b".to_string()]);
        assert_eq!(out.len(), 480);
        assert_eq!(&out[400..], &[SILENCE; 80]);
        assert!(!p.is_playing());
        assert_eq!(p.played_bytes(), 400);
    }

    #[test]
    fn audio_plays_in_order_while_the_buffer_wraps_around() {
        let mut p = Playout::default();
        let sent: Vec<u8> = (0..4000u32).map(|i| (i % 253) as u8).collect();
        let mut heard = Vec::new();
        for chunk in sent.chunks(170) {
            p.push_audio(chunk);
            let mut out = Vec::new();
            p.play(160, &mut out);
            heard.extend_from_slice(&out);
        }
        while p.is_playing() {
            let mut out = Vec::new();
            p.play(160, &mut out);
            heard.extend_from_slice(&out);
        }
        assert_eq!(&heard[..sent.len()], &sent[..]);
        assert!(heard[sent.len()..].iter().all(|&b| b == SILENCE));
        assert_eq!(p.played_bytes(), sent.len() as u64);
    }

    #[test]
    fn a_mark_with_nothing_queued_echoes_at_once() {
        let mut p = Playout::default();
        assert_eq!(p.push_mark("now".into()), Some("now".into()));
    }

    #[test]
    fn clear_discards_audio_and_echoes_pending_marks() {
        let mut p = Playout::default();
        p.push_audio(&[1; 1000]);
        p.push_mark("a".into());
        p.push_audio(&[1; 1000]);
        p.push_mark("b".into());
        let mut out = Vec::new();
        p.play(160, &mut out);
        assert_eq!(p.clear(), vec!["a".to_string(), "b".to_string()]);
        out.clear();
        assert!(p.play(160, &mut out).is_empty());
        assert_eq!(out, vec![SILENCE; 160]);
    }

    #[test]
    fn the_clock_alone_echoes_marks_as_playout_does() {
        // The same pushes and plays as marks_echo_when_playback_reaches_them, lengths only.
        let mut clock = MarkClock::default();
        clock.push_audio(300);
        assert_eq!(clock.push_mark("a".into()), None);
        clock.push_audio(100);
        assert_eq!(clock.push_mark("b".into()), None);
        assert_eq!(clock.play(160), (160, vec![]));
        assert_eq!(clock.play(160), (160, vec!["a".to_string()]));
        assert_eq!(clock.play(160), (80, vec!["b".to_string()]));
        assert!(!clock.is_playing());
        assert_eq!(clock.played_bytes(), 400);
        assert_eq!(clock.push_mark("now".into()), Some("now".into()));
        clock.push_audio(500);
        clock.push_mark("c".into());
        assert_eq!(clock.clear(), vec!["c".to_string()]);
        assert_eq!(clock.play(160), (0, vec![]));
    }
}
