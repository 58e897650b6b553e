//! What a session step produces, in one place: messages for either side, events for the
//! driver, the arrival instants of held audio released in the step, and the call's counters.
//! The session's parts (the caller leg, the agent side, the tool calls) each own their state
//! and write their output here.

use std::collections::VecDeque;
use std::time::Instant;

use super::event::{BadInput, Event, SessionStats, Transmit};
use super::metrics::Direction;
use super::recording_tap::RecordingTap;

/// Output waiting for the driver, and the counters reported when the call ends.
#[derive(Debug)]
pub struct Outbox {
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    /// Held audio frames relayed in this step: which way, and when each arrived.
    released: VecDeque<(Direction, Instant)>,
    /// The call's counters so far.
    pub stats: SessionStats,
    /// The kinds of bad input already described (one bit per [`BadInput`]).
    reported: u32,
    /// Where the call's audio is copied when the call is recorded.
    pub(crate) tap: Option<RecordingTap>,
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox {
            transmits: VecDeque::with_capacity(8),
            events: VecDeque::with_capacity(4),
            released: VecDeque::new(),
            stats: SessionStats::default(),
            reported: 0,
            tap: None,
        }
    }
}

impl Outbox {
    /// A message for the caller's socket.
    #[inline]
    pub fn to_caller(&mut self, message: String) {
        self.transmits.push_back(Transmit::Caller(message));
    }

    /// A message for the agent's socket.
    #[inline]
    pub fn to_agent(&mut self, message: String) {
        self.transmits.push_back(Transmit::Agent(message));
    }

    /// A frame of the caller's μ-law, for the recording (if the call is recorded).
    #[inline]
    pub fn record_caller(&mut self, ulaw: &[u8]) {
        if let Some(tap) = self.tap.as_mut() {
            tap.caller(ulaw);
        }
    }

    /// Agent audio sent to the caller as μ-law, for the recording.
    #[inline]
    pub fn record_agent(&mut self, ulaw: &[u8]) {
        if let Some(tap) = self.tap.as_mut() {
            tap.agent(ulaw);
        }
    }

    /// The caller's side was told to clear its unplayed audio, for the recording.
    #[inline]
    pub fn record_clear(&mut self) {
        if let Some(tap) = self.tap.as_mut() {
            tap.clear();
        }
    }

    #[inline]
    pub fn event(&mut self, event: Event) {
        self.events.push_back(event);
    }

    /// A held audio frame, which arrived at `received`, was relayed in this step (its message
    /// is queued): the driver counts it and times its wait once the message is written.
    pub fn released(&mut self, direction: Direction, received: Instant) {
        self.released.push_back((direction, received));
    }

    /// Counts bad input. `detail` is only built for the first of its kind in the call, the
    /// one that is logged, so a peer sending a stream of bad frames costs no strings.
    pub fn bad(&mut self, kind: BadInput, detail: impl FnOnce() -> String) {
        self.stats.bad_inputs += 1;
        let first = self.reported & kind.bit() == 0;
        self.reported |= kind.bit();
        let detail = if first { detail() } else { String::new() };
        self.events.push_back(Event::BadInput { kind, first, detail });
    }

    #[inline]
    pub(crate) fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    #[inline]
    pub(crate) fn poll_released(&mut self) -> Option<(Direction, Instant)> {
        self.released.pop_front()
    }

    #[inline]
    pub(crate) fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }
}
