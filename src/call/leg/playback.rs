//! What the caller has actually heard: agent audio sent to Twilio, Twilio marks, clear epochs.
//!
//! Twilio plays outbound audio in order and echoes a `mark` when playback reaches it. A `clear`
//! discards the buffered audio and makes Twilio echo every pending mark at once, so an echo
//! alone does not prove playback (twilio.com/docs/voice/media-streams/websocket-messages).
//! Each clear therefore starts a new epoch; mark names carry the epoch they were sent in, and
//! only an echo from the current epoch counts as played.
//!
//! Marks are not sent after every chunk: one goes out when a burst of agent audio pauses or
//! when enough unmarked audio has built up, which keeps the message rate to Twilio close to
//! the audio rate while still telling, within that granularity, where the caller was cut off.

use std::collections::VecDeque;

/// μ-law at 8 kHz: 8 bytes per millisecond.
const BYTES_PER_MS: u64 = 8;

#[derive(Debug, Default)]
pub struct Playback {
    epoch: u32,
    next_seq: u32,
    /// Audio sent since the last mark.
    unmarked_bytes: u64,
    /// All audio sent in the current epoch, in bytes.
    sent_bytes: u64,
    /// Marks in flight: (sequence, `sent_bytes` when it was sent).
    in_flight: VecDeque<(u32, u64)>,
    /// Audio confirmed played, across epochs.
    played_bytes: u64,
    /// `played_bytes` at the start of the current epoch.
    epoch_base: u64,
}

/// What a mark echo meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkEcho {
    /// Playback reached the mark.
    Played,
    /// The mark was flushed by a `clear`; the audio before it may not have been heard.
    Cleared,
    /// Not a mark this session sent.
    Foreign,
}

impl Playback {
    /// Records `bytes` of μ-law sent to Twilio.
    pub fn sent(&mut self, bytes: usize) {
        self.unmarked_bytes += bytes as u64;
        self.sent_bytes += bytes as u64;
    }

    /// Milliseconds of audio sent since the last mark.
    pub fn unmarked_ms(&self) -> u64 {
        self.unmarked_bytes / BYTES_PER_MS
    }

    /// Takes a mark for the audio sent so far, if any is unmarked. Returns its name.
    pub fn take_mark(&mut self) -> Option<MarkName> {
        if self.unmarked_bytes == 0 {
            return None;
        }
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.unmarked_bytes = 0;
        self.in_flight.push_back((seq, self.sent_bytes));
        Some(MarkName {
            epoch: self.epoch,
            seq,
        })
    }

    /// Handles a mark Twilio echoed.
    pub fn on_echo(&mut self, name: &str) -> MarkEcho {
        let Some(mark) = MarkName::parse(name) else {
            return MarkEcho::Foreign;
        };
        if mark.epoch != self.epoch {
            return MarkEcho::Cleared;
        }
        if !self.in_flight.iter().any(|&(seq, _)| seq == mark.seq) {
            return MarkEcho::Foreign;
        }
        // Echoes arrive in order; anything before this one was played too.
        while let Some(&(seq, at)) = self.in_flight.front() {
            self.in_flight.pop_front();
            if seq == mark.seq {
                self.played_bytes = self.epoch_base + at;
                return MarkEcho::Played;
            }
        }
        MarkEcho::Foreign
    }

    /// A `clear` was sent: everything unconfirmed is discarded, a new epoch starts.
    pub fn on_clear(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        self.in_flight.clear();
        self.unmarked_bytes = 0;
        self.sent_bytes = 0;
        self.epoch_base = self.played_bytes;
    }

    /// Nothing sent is still waiting to be played (or to be confirmed played).
    pub fn is_idle(&self) -> bool {
        self.in_flight.is_empty() && self.unmarked_bytes == 0
    }

    /// Milliseconds of agent audio confirmed played to the caller.
    pub fn played_ms(&self) -> u64 {
        self.played_bytes / BYTES_PER_MS
    }
}

/// `"sb<epoch>.<seq>"`: small, and unlikely to collide with anything else on the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkName {
    pub epoch: u32,
    pub seq: u32,
}

impl MarkName {
    fn parse(name: &str) -> Option<MarkName> {
        let (epoch, seq) = name.strip_prefix("sb")?.split_once('.')?;
        Some(MarkName {
            epoch: epoch.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }
}

impl std::fmt::Display for MarkName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sb{}.{}", self.epoch, self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_confirm_playback_in_order() {
        let mut p = Playback::default();
        p.sent(800);
        let a = p.take_mark().unwrap();
        p.sent(1600);
        let b = p.take_mark().unwrap();
        assert!(!p.is_idle());
        assert_eq!(p.on_echo(&a.to_string()), MarkEcho::Played);
        assert_eq!(p.played_ms(), 100);
        assert_eq!(p.on_echo(&b.to_string()), MarkEcho::Played);
        assert_eq!(p.played_ms(), 300);
        assert!(p.is_idle());
    }

    #[test]
    fn marks_echoed_after_a_clear_do_not_count() {
        let mut p = Playback::default();
        p.sent(800);
        let a = p.take_mark().unwrap();
        assert_eq!(p.on_echo(&a.to_string()), MarkEcho::Played);
        p.sent(8000);
        let b = p.take_mark().unwrap();
        p.on_clear();
        assert!(p.is_idle());
        assert_eq!(p.on_echo(&b.to_string()), MarkEcho::Cleared);
        assert_eq!(p.played_ms(), 100, "the cleared second must not count as heard");
        // The next epoch accumulates on top of what was heard before.
        p.sent(400);
        let c = p.take_mark().unwrap();
        assert_eq!(c.epoch, b.epoch + 1);
        assert_eq!(p.on_echo(&c.to_string()), MarkEcho::Played);
        assert_eq!(p.played_ms(), 150);
    }

    #[test]
    fn a_skipped_echo_is_implied_by_a_later_one() {
        let mut p = Playback::default();
        p.sent(80);
        let _a = p.take_mark().unwrap();
        p.sent(80);
        let b = p.take_mark().unwrap();
        assert_eq!(p.on_echo(&b.to_string()), MarkEcho::Played);
        assert!(p.is_idle());
        assert_eq!(p.played_ms(), 20);
    }

    #[test]
    fn foreign_and_malformed_marks_are_ignored() {
        let mut p = Playback::default();
        p.sent(80);
        let _ = p.take_mark();
        for name in ["my label", "sb", "sb0", "sb0.x", "sbx.1", "sb0.99"] {
            assert_eq!(p.on_echo(name), MarkEcho::Foreign, "{name}");
        }
        assert_eq!(p.take_mark(), None, "nothing new was sent");
        assert!(!p.is_idle(), "the real mark is still in flight");
    }
}
