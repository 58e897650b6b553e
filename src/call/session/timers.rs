//! Every deadline of a call in one table, as quinn-proto keeps its connection timers.
//!
//! A deadline is set or stopped where the state it belongs to changes, and nowhere else; the
//! session's next wake-up is the table's minimum, and a tick handles each timer that expired,
//! in the order of [`Timer::ALL`].

use std::time::Instant;

/// The session's deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Timer {
    /// Twilio sends `start` right after connecting; a stream that never does is ended.
    Start,
    /// Agent audio paused: flush what the resampler holds and mark the end of the burst.
    AgentPause,
    /// The earliest deadline of the tool calls in flight.
    Tool,
    /// Report connected time.
    Meter,
    /// The call's longest allowed duration.
    TimeLimit,
    /// Ending: the agent has been quiet long enough for its last words to be over.
    HangupQuiet,
    /// Ending: the longest wait for playback before hanging up anyway.
    HangupMaxWait,
    /// The agent, once attached, must announce its conversation by now.
    AgentMetadata,
    /// The agent must have been heard from since this much before now. Checked lazily: a
    /// message only notes when it came, and on expiry the deadline moves to that instant
    /// plus the limit, so the table changes once per limit, not once per message.
    AgentSilence,
}

impl Timer {
    /// Every timer, in the order a tick handles them.
    pub(super) const ALL: [Timer; 9] = [
        Timer::Start,
        Timer::AgentPause,
        Timer::Tool,
        Timer::Meter,
        Timer::TimeLimit,
        Timer::HangupQuiet,
        Timer::HangupMaxWait,
        Timer::AgentMetadata,
        Timer::AgentSilence,
    ];
}

/// When each [`Timer`] expires, if it is running.
#[derive(Debug, Default)]
pub(super) struct TimerTable {
    at: [Option<Instant>; Timer::ALL.len()],
}

impl TimerTable {
    pub(super) fn set(&mut self, timer: Timer, at: Instant) {
        self.at[timer as usize] = Some(at);
    }

    /// Sets `timer` to `at`, or stops it for `None`.
    pub(super) fn set_or_stop(&mut self, timer: Timer, at: Option<Instant>) {
        self.at[timer as usize] = at;
    }

    pub(super) fn stop(&mut self, timer: Timer) {
        self.at[timer as usize] = None;
    }

    pub(super) fn get(&self, timer: Timer) -> Option<Instant> {
        self.at[timer as usize]
    }

    pub(super) fn stop_all(&mut self) {
        self.at = Default::default();
    }

    /// The earliest running deadline.
    pub(super) fn next(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_next_deadline_is_the_earliest_running_one() {
        let t0 = Instant::now();
        let mut table = TimerTable::default();
        assert_eq!(table.next(), None);
        table.set(Timer::Meter, t0 + Duration::from_secs(60));
        table.set(Timer::Tool, t0 + Duration::from_secs(10));
        assert_eq!(table.next(), Some(t0 + Duration::from_secs(10)));
        table.stop(Timer::Tool);
        assert_eq!(table.next(), Some(t0 + Duration::from_secs(60)));
        table.stop_all();
        assert_eq!(table.next(), None);
    }

    #[test]
    fn timers_are_listed_in_declaration_order() {
        for (i, timer) in Timer::ALL.iter().enumerate() {
            assert_eq!(*timer as usize, i, "{timer:?}");
        }
    }
}
