//! Pairs each echoed frame with the caller frame it answers, per call, to time its round trip
//! through the bridge and count what was lost, reordered or duplicated.
//!
//! Two ways, chosen per call from the first frame that comes back:
//! - **tag**: the frame carries the [`tag`](super::tag) it was sent with (μ-law
//!   pass-through: the bytes come back unchanged). Exact: each frame is matched by number, so
//!   loss, reordering, duplicates and corrupted audio are all seen.
//! - **order**: the bytes were transcoded (e.g. to `pcm_16000` and back), so the tag is gone.
//!   The k-th frame back answers caller frame `k + lag`, where `lag` is how many frames the
//!   bridge's resamplers hold back. `lag` is not assumed: since a frame cannot come back
//!   before it was sent, `sent − 1 − k` is an upper bound of it at every arrival, and equals
//!   it whenever a frame returns within 20 ms; the smallest bound seen is used. Frames are
//!   therefore timed only once they are [`DEFER`] arrivals old, when `lag` has settled.
//!   Reordering cannot be seen this way, and loss is counted in audio: the whole 20 ms frames
//!   by which the audio that came back falls short of what was sent.
//!
//! Send times live in a ring of [`RING`] frames (10 s of audio); a frame older than that when
//! it comes back is counted as late and not timed.

use super::audio::FRAME_BYTES;
use super::echo::Echo;
#[cfg(test)]
use super::tag;

/// Frames of send times kept per call.
pub const RING: usize = 512;
/// Arrivals an order-matched frame waits before it is timed.
pub const DEFER: u64 = 50;

/// How a call's echoes are paired with its frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Matching {
    /// By the sequence tag in the payload (μ-law pass-through).
    Tag,
    /// By arrival order (the audio was transcoded).
    Order,
}

/// One timed round trip, in microseconds since the run began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoundTrip {
    pub sent_us: u64,
    pub rtt_us: u64,
}

/// What the matcher counted for one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchCounts {
    pub sent: u64,
    /// Media messages that came back.
    pub received: u64,
    /// Tag: frames that never came back. Order: whole frames of audio missing.
    pub lost: u64,
    /// Tag: of `lost`, the frames numbered before the first one that came back (a call's
    /// start: the agent not yet listening); all of them when nothing came back.
    pub lost_before_first_echo: u64,
    /// Tag: of `lost`, the frames numbered after the last one that came back (the call's
    /// end: audio in flight at hang-up). The rest of `lost` went missing during the call.
    pub lost_at_hang_up: u64,
    /// Tag: frames that came back after a later frame had.
    pub out_of_order: u64,
    /// Tag: frames that came back twice.
    pub duplicated: u64,
    /// Tag: frames whose audio after the tag differs from what was sent.
    pub corrupted: u64,
    /// Tag: frames that came back more than [`RING`] frames after they were sent.
    pub late: u64,
    /// Tag: media without a tag, or with the number of a frame never sent. Order: frames
    /// back beyond the frames sent (a resampler's tail).
    pub unmatched: u64,
    /// Bytes of μ-law sent and received.
    pub sent_bytes: u64,
    pub received_bytes: u64,
}

/// The pairing state of one call.
#[derive(Debug)]
pub struct EchoMatcher {
    matching: Option<Matching>,
    sent_at: Box<[u64; RING]>,
    /// Tag: which ring slots have come back, one bit each.
    returned: [u64; RING / 64],
    highest_returned: Option<u32>,
    /// Tag: the first frame that came back, and how many frames numbered before it came back
    /// after it.
    first_echoed: Option<u32>,
    returned_before_first: u64,
    /// Order: arrival times of the last frames, not yet timed.
    arrived_at: Box<[u64; RING]>,
    lag: Option<u64>,
    /// The caller stopped sending: what still arrives is the bridge's tail, which says
    /// nothing about `lag`.
    sending_stopped: bool,
    timed_up_to: u64,
    counts: MatchCounts,
}

impl EchoMatcher {
    /// `forced` fixes the pairing; `None` chooses it from the first frame back.
    pub fn new(forced: Option<Matching>) -> Self {
        EchoMatcher {
            matching: forced,
            sent_at: Box::new([0; RING]),
            returned: [0; RING / 64],
            highest_returned: None,
            first_echoed: None,
            returned_before_first: 0,
            arrived_at: Box::new([0; RING]),
            lag: None,
            sending_stopped: false,
            timed_up_to: 0,
            counts: MatchCounts::default(),
        }
    }

    /// The number the next frame sent must carry.
    pub fn next_seq(&self) -> u32 {
        self.counts.sent as u32
    }

    /// Frame [`Self::next_seq`] was sent at `now_us`.
    pub fn sent(&mut self, now_us: u64) {
        let slot = self.counts.sent as usize % RING;
        self.sent_at[slot] = now_us;
        self.returned[slot / 64] &= !(1 << (slot % 64));
        self.counts.sent += 1;
        self.counts.sent_bytes += FRAME_BYTES as u64;
    }

    /// Whether everything sent has come back: every frame (tag), or all but less than a
    /// frame of audio (order).
    pub fn all_back(&self) -> bool {
        match self.matching {
            Some(Matching::Tag) => self.returned() >= self.counts.sent,
            Some(Matching::Order) => {
                self.counts.sent_bytes.saturating_sub(self.counts.received_bytes) < FRAME_BYTES as u64
            }
            None => self.counts.sent == 0,
        }
    }

    /// Tag: distinct frames that came back, late ones included.
    fn returned(&self) -> u64 {
        self.counts.received - self.counts.unmatched - self.counts.duplicated
    }

    /// No more frames will be sent; what comes back from now on is the bridge's tail.
    pub fn stop_sending(&mut self) {
        self.sending_stopped = true;
    }

    pub fn matching(&self) -> Option<Matching> {
        self.matching
    }

    /// A media frame came back at `now_us`: `echo` says how long it is and which frame it
    /// is tagged as; `intact(seq)` whether its audio after the tag is what frame `seq` was
    /// sent with. Hands every round trip it can now time to `timed`.
    pub fn received(
        &mut self,
        echo: Echo,
        now_us: u64,
        intact: impl FnOnce(u32) -> bool,
        mut timed: impl FnMut(RoundTrip),
    ) {
        self.counts.received += 1;
        self.counts.received_bytes += echo.len as u64;
        let matching = *self.matching.get_or_insert_with(|| match echo.tag {
            Some(seq) if u64::from(seq) < self.counts.sent => Matching::Tag,
            _ => Matching::Order,
        });
        match matching {
            Matching::Tag => {
                if let Some(trip) = self.by_tag(echo.tag, now_us, intact) {
                    timed(trip);
                }
            }
            Matching::Order => self.by_order(now_us, &mut timed),
        }
    }

    fn by_tag(
        &mut self,
        tag: Option<u32>,
        now_us: u64,
        intact: impl FnOnce(u32) -> bool,
    ) -> Option<RoundTrip> {
        let Some(seq) = tag.filter(|&seq| u64::from(seq) < self.counts.sent) else {
            self.counts.unmatched += 1;
            return None;
        };
        if self.counts.sent - u64::from(seq) > RING as u64 {
            // Too old to time or to check for a duplicate, but back: it draws the call's
            // phases like any frame that came back, or the losses by phase would count it
            // as lost while `lost` does not.
            self.mark_phase(seq);
            if self.highest_returned.is_none_or(|highest| seq > highest) {
                self.highest_returned = Some(seq);
            }
            self.counts.late += 1;
            return None;
        }
        let slot = seq as usize % RING;
        let bit = 1u64 << (slot % 64);
        if self.returned[slot / 64] & bit != 0 {
            self.counts.duplicated += 1;
            return None;
        }
        self.returned[slot / 64] |= bit;
        self.mark_phase(seq);
        match self.highest_returned {
            Some(highest) if seq < highest => self.counts.out_of_order += 1,
            _ => self.highest_returned = Some(seq),
        }
        if !intact(seq) {
            self.counts.corrupted += 1;
        }
        let sent_us = self.sent_at[slot];
        Some(RoundTrip {
            sent_us,
            rtt_us: now_us.saturating_sub(sent_us),
        })
    }

    /// Frame `seq` came back: the first to, or one numbered before the first.
    fn mark_phase(&mut self, seq: u32) {
        match self.first_echoed {
            None => self.first_echoed = Some(seq),
            Some(first) if seq < first => self.returned_before_first += 1,
            Some(_) => {}
        }
    }

    fn by_order(&mut self, now_us: u64, timed: &mut impl FnMut(RoundTrip)) {
        let arrival = self.counts.received - 1;
        self.arrived_at[arrival as usize % RING] = now_us;
        if !self.sending_stopped
            && let Some(bound) = self.counts.sent.checked_sub(1 + arrival)
        {
            self.lag = Some(self.lag.map_or(bound, |lag| lag.min(bound)));
        }
        while self.timed_up_to + DEFER <= arrival {
            self.time_arrival(self.timed_up_to, timed);
            self.timed_up_to += 1;
        }
    }

    /// Times arrival `k` against caller frame `k + lag`, if both are still in the rings.
    fn time_arrival(&mut self, arrival: u64, timed: &mut impl FnMut(RoundTrip)) {
        let Some(lag) = self.lag else {
            self.counts.unmatched += 1;
            return;
        };
        let frame = arrival + lag;
        let in_ring = |newest: u64, index: u64| index < newest && newest - index <= RING as u64;
        if !in_ring(self.counts.sent, frame) || !in_ring(self.counts.received, arrival) {
            self.counts.unmatched += 1;
            return;
        }
        let sent_us = self.sent_at[frame as usize % RING];
        let arrived_us = self.arrived_at[arrival as usize % RING];
        match arrived_us.checked_sub(sent_us) {
            Some(rtt_us) => timed(RoundTrip { sent_us, rtt_us }),
            None => self.counts.unmatched += 1,
        }
    }

    /// The call is over: times what is still waiting and settles the counts.
    pub fn finish(mut self, mut timed: impl FnMut(RoundTrip)) -> (Option<Matching>, MatchCounts) {
        match self.matching {
            Some(Matching::Order) => {
                while self.timed_up_to < self.counts.received {
                    self.time_arrival(self.timed_up_to, &mut timed);
                    self.timed_up_to += 1;
                }
                let missing = self.counts.sent_bytes.saturating_sub(self.counts.received_bytes);
                self.counts.lost = missing / FRAME_BYTES as u64;
            }
            Some(Matching::Tag) => {
                let lost = self.counts.sent.saturating_sub(self.returned());
                let first = self.first_echoed.map_or(self.counts.sent, u64::from);
                let before_first = first.saturating_sub(self.returned_before_first);
                // Nothing back: all of it was lost before a first echo, none at the end.
                let after_last = self
                    .highest_returned
                    .map_or(0, |last| self.counts.sent.saturating_sub(u64::from(last) + 1));
                // The phases split `lost`. They can only overlap it when a late frame came
                // back twice: too old for the ring, its repeat cannot be told from it, so
                // `lost` counts both as back.
                self.counts.lost = lost;
                self.counts.lost_before_first_echo = before_first.min(lost);
                self.counts.lost_at_hang_up = after_last.min(lost - self.counts.lost_before_first_echo);
            }
            None => {
                self.counts.lost = self.counts.sent;
                self.counts.lost_before_first_echo = self.counts.sent;
            }
        }
        (self.matching, self.counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seq: u32) -> Vec<u8> {
        let mut audio = vec![0x42; FRAME_BYTES];
        audio[..tag::TAG_BYTES].copy_from_slice(&tag::encode(seq));
        audio
    }

    const SILENT: [u8; FRAME_BYTES] = [0x42; FRAME_BYTES];

    /// Hands `audio` to the matcher as a call does, every frame sent as silence after its tag.
    fn receive(m: &mut EchoMatcher, audio: &[u8], now_us: u64, timed: impl FnMut(RoundTrip)) {
        let intact = |_| audio.get(tag::TAG_BYTES..) == Some(&SILENT[tag::TAG_BYTES..]);
        m.received(Echo::of_audio(audio), now_us, intact, timed);
    }

    #[test]
    fn tag_losses_are_split_into_the_calls_start_middle_and_end() {
        let mut m = EchoMatcher::new(None);
        for i in 0..10 {
            m.sent(1_000 * i);
        }
        for (seq, at) in [(3, 10_000), (2, 10_100), (5, 10_200), (6, 10_300)] {
            receive(&mut m, &frame(seq), at, |_| {});
        }
        let (_, c) = m.finish(|_| {});
        // 0 and 1 before the first echo (3; 2 came back after it), 4 in the middle, 7 to 9
        // after the last echo.
        assert_eq!(c.lost, 6);
        assert_eq!((c.lost_before_first_echo, c.lost_at_hang_up), (2, 3));

        for forced in [None, Some(Matching::Tag)] {
            let mut silent = EchoMatcher::new(forced);
            silent.sent(0);
            silent.sent(20_000);
            let (_, c) = silent.finish(|_| {});
            assert_eq!(
                (c.lost, c.lost_before_first_echo, c.lost_at_hang_up),
                (2, 2, 0),
                "{forced:?}"
            );
        }
    }

    #[test]
    fn tags_time_each_frame_and_count_loss_order_and_duplicates() {
        let mut m = EchoMatcher::new(None);
        for i in 0..6 {
            m.sent(1_000 * i);
        }
        let mut trips = Vec::new();
        for (seq, at) in [(0, 400), (2, 2_500), (1, 2_600), (2, 2_700), (4, 4_300)] {
            receive(&mut m, &frame(seq), at, |t| trips.push(t));
        }
        let mut corrupt = frame(5);
        corrupt[100] ^= 1;
        receive(&mut m, &corrupt, 5_200, |t| trips.push(t));
        receive(&mut m, &[0x42; FRAME_BYTES], 5_300, |t| trips.push(t));
        assert_eq!(
            trips.iter().map(|t| t.rtt_us).collect::<Vec<_>>(),
            vec![400, 500, 1_600, 300, 200]
        );
        assert!(!m.all_back(), "frame 3 is missing");
        let (matching, c) = m.finish(|_| panic!("tag matching times at once"));
        assert_eq!(matching, Some(Matching::Tag));
        assert_eq!(
            (
                c.sent,
                c.received,
                c.lost,
                c.out_of_order,
                c.duplicated,
                c.corrupted,
                c.unmatched
            ),
            (6, 7, 1, 1, 1, 1, 1)
        );
    }

    #[test]
    fn a_frame_back_after_its_slot_was_reused_is_late_not_a_duplicate() {
        let mut m = EchoMatcher::new(Some(Matching::Tag));
        for i in 0..(RING as u64 + 3) {
            m.sent(i);
        }
        receive(&mut m, &frame(1), 10_000, |_| panic!("too old to time"));
        let (_, c) = m.finish(|_| {});
        assert_eq!((c.late, c.duplicated, c.lost), (1, 0, RING as u64 + 2));
        // Frame 0 before it, every frame after it at the end.
        assert_eq!(
            (c.lost_before_first_echo, c.lost_at_hang_up),
            (1, RING as u64 + 1)
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(1_000))]
        /// Whatever comes back, and when (in the ring or late), each frame at most once: the
        /// losses and their phases are exactly what the frames that came back say.
        #[test]
        fn losses_by_phase_are_what_came_back_says(
            ahead in 0u64..1_500,
            steps in proptest::collection::vec((0u8..3, 0u64..1_200), 0..300),
        ) {
            let mut m = EchoMatcher::new(Some(Matching::Tag));
            // Frames out before anything comes back (a slow start), often more than the ring.
            for _ in 0..ahead {
                m.sent(0);
            }
            let mut back = std::collections::BTreeSet::new();
            let mut first_back = None;
            for (what, n) in steps {
                if what == 0 || m.counts.sent == 0 {
                    for _ in 0..=n % 64 {
                        m.sent(0);
                    }
                } else {
                    // A frame already sent, `n` frames old: in the ring or older than it.
                    let seq = m.counts.sent - 1 - n.min(m.counts.sent - 1);
                    if back.insert(seq) {
                        first_back.get_or_insert(seq);
                        receive(&mut m, &frame(seq as u32), 0, |_| {});
                    }
                }
            }
            let sent = m.counts.sent;
            let (_, c) = m.finish(|_| {});
            let lost = sent - back.len() as u64;
            // Of the frames numbered below the first to come back, those that never did;
            // every frame numbered above the highest back.
            let before = first_back.map_or(sent, |first| first - back.range(..first).count() as u64);
            let at_end = back.last().map_or(0, |last| sent - 1 - last);
            proptest::prop_assert_eq!(
                (c.lost, c.lost_before_first_echo, c.lost_at_hang_up),
                (lost, before, at_end)
            );
        }
    }

    #[test]
    fn late_frames_at_a_calls_start_are_not_lost_by_phase() {
        // A stalled start: frames 0–5 come back only after the ring has moved past them,
        // then 20 onwards in time; 6–19 never do.
        let mut m = EchoMatcher::new(None);
        let sent = RING as u64 + 10;
        for i in 0..sent {
            m.sent(i);
        }
        for seq in 0..6 {
            receive(&mut m, &frame(seq), 10_000, |_| panic!("too old to time"));
        }
        for seq in 20..sent as u32 {
            receive(&mut m, &frame(seq), 20_000, |_| {});
        }
        let (matching, c) = m.finish(|_| {});
        assert_eq!(matching, Some(Matching::Tag));
        assert_eq!((c.late, c.lost), (6, 14));
        // All fourteen went missing during the call, none before its first echo or at its end.
        assert_eq!((c.lost_before_first_echo, c.lost_at_hang_up), (0, 0));
    }

    #[test]
    fn order_matching_finds_the_resampler_lag_and_times_against_it() {
        // A bridge that holds one frame back: the k-th frame back is triggered by frame k+1,
        // 3 ms after it was sent. Frames go out every 20 ms.
        let mut m = EchoMatcher::new(None);
        let mut trips = Vec::new();
        let transcoded = [0x11u8; FRAME_BYTES];
        let frames = 200u64;
        for i in 0..frames {
            m.sent(20_000 * i);
            if i >= 1 {
                receive(&mut m, &transcoded, 20_000 * i + 3_000, |t| trips.push(t));
            }
        }
        // The bridge's tail once the caller stops: the held-back frame, flushed later.
        m.stop_sending();
        receive(&mut m, &transcoded, 20_000 * frames + 50_000, |t| trips.push(t));
        let (matching, c) = m.finish(|t| trips.push(t));
        assert_eq!(matching, Some(Matching::Order));
        assert_eq!(trips.len() as u64, frames - 1);
        assert!(trips.iter().all(|t| t.rtt_us == 3_000), "{:?}", &trips[..3]);
        assert_eq!(trips[0].sent_us, 20_000);
        assert_eq!((c.received, c.lost, c.unmatched), (frames, 0, 1));
    }

    #[test]
    fn order_matching_counts_missing_audio_as_lost_frames() {
        let mut m = EchoMatcher::new(Some(Matching::Order));
        for i in 0..10 {
            m.sent(20_000 * i);
        }
        for i in 0..7 {
            receive(&mut m, &[0u8; FRAME_BYTES], 20_000 * i + 1_000, |_| {});
        }
        // Half a frame short on top: only whole frames count.
        receive(&mut m, &[0u8; 80], 150_000, |_| {});
        let (_, c) = m.finish(|_| {});
        assert_eq!(c.lost, 2);
        assert_eq!(c.received_bytes, 7 * 160 + 80);
    }

    #[test]
    fn a_call_that_heard_nothing_lost_everything() {
        let mut m = EchoMatcher::new(None);
        m.sent(0);
        m.sent(20_000);
        let (matching, c) = m.finish(|_| {});
        assert_eq!((matching, c.lost), (None, 2));
    }
}
