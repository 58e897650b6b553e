//! Counters every call updates while the run goes on, for the progress bar and for CPU per
//! frame; and the run's clock, which every call reads to know which phase it is in.
//!
//! Calls add their frame counts in batches ([`FLUSH_EVERY`] frames), so the shared cache
//! lines are touched a few times a second per call, not fifty.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Frames a call counts locally before adding them to the shared counters.
pub const FLUSH_EVERY: u64 = 25;

/// Not yet known.
const UNSET: u64 = u64::MAX;

/// The shared state of one run.
#[derive(Debug)]
pub struct Live {
    began: Instant,
    /// µs since `began` at which every call was up; [`UNSET`] until then.
    steady_from_us: AtomicU64,
    /// µs since `began` at which calls stop sending; [`UNSET`] until known.
    stop_at_us: AtomicU64,
    /// Calls whose webhook has been posted.
    pub calls_placed: AtomicU64,
    /// Calls whose media stream started.
    pub calls_connected: AtomicU64,
    pub calls_failed: AtomicU64,
    /// Calls the bridge answered without a stream.
    pub calls_refused: AtomicU64,
    pub calls_dropped: AtomicU64,
    /// Calls streaming right now.
    pub calls_active: AtomicU64,
    pub frames_sent: AtomicU64,
    pub frames_received: AtomicU64,
    /// Bytes of the caller frames' `media` messages written to the streams, WebSocket
    /// framing included: what arrives at the bridge's receive queues from the callers.
    pub frame_bytes_sent: AtomicU64,
}

impl Live {
    pub fn new(began: Instant) -> Self {
        Live {
            began,
            steady_from_us: AtomicU64::new(UNSET),
            stop_at_us: AtomicU64::new(UNSET),
            calls_placed: AtomicU64::new(0),
            calls_connected: AtomicU64::new(0),
            calls_failed: AtomicU64::new(0),
            calls_refused: AtomicU64::new(0),
            calls_dropped: AtomicU64::new(0),
            calls_active: AtomicU64::new(0),
            frames_sent: AtomicU64::new(0),
            frames_received: AtomicU64::new(0),
            frame_bytes_sent: AtomicU64::new(0),
        }
    }

    pub fn began(&self) -> Instant {
        self.began
    }

    /// Microseconds since the run began.
    pub fn now_us(&self) -> u64 {
        self.us_at(Instant::now())
    }

    pub fn us_at(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.began).as_micros() as u64
    }

    /// Every call is up from now; calls stop sending `duration` later.
    pub fn start_steady(&self, duration: Duration) {
        let now = self.now_us();
        let duration_us = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        self.steady_from_us.store(now, Relaxed);
        // Short of UNSET, which would mean never.
        self.stop_at_us
            .store(now.saturating_add(duration_us).min(UNSET - 1), Relaxed);
    }

    /// Ends the run now (no call came up, or it is being cut short).
    pub fn stop_now(&self) {
        self.stop_at_us.store(self.now_us(), Relaxed);
    }

    pub fn steady_from_us(&self) -> Option<u64> {
        Some(self.steady_from_us.load(Relaxed)).filter(|&us| us != UNSET)
    }

    pub fn stop_at_us(&self) -> Option<u64> {
        Some(self.stop_at_us.load(Relaxed)).filter(|&us| us != UNSET)
    }

    /// Whether a frame sent at `sent_us` falls in the window when every call was up.
    pub fn in_steady_window(&self, sent_us: u64) -> bool {
        match (self.steady_from_us(), self.stop_at_us()) {
            (Some(from), Some(to)) => (from..to).contains(&sent_us),
            _ => false,
        }
    }

    /// Calls that have started streaming, been refused or given up.
    pub fn calls_resolved(&self) -> u64 {
        self.calls_connected.load(Relaxed)
            + self.calls_refused.load(Relaxed)
            + self.calls_failed.load(Relaxed)
    }

    /// Whether calls should stop sending.
    pub fn should_stop(&self, now_us: u64) -> bool {
        self.stop_at_us().is_some_and(|stop| now_us >= stop)
    }
}

/// A call's unflushed frame counts.
#[derive(Debug, Default)]
pub struct FrameTally {
    sent: u64,
    received: u64,
    sent_bytes: u64,
}

impl FrameTally {
    /// A frame went out as a WebSocket message of `wire_bytes`.
    pub fn sent(&mut self, live: &Live, wire_bytes: u64) {
        self.sent += 1;
        self.sent_bytes += wire_bytes;
        if self.sent >= FLUSH_EVERY {
            self.flush(live);
        }
    }

    pub fn received(&mut self, live: &Live) {
        self.received += 1;
        if self.received >= FLUSH_EVERY {
            self.flush(live);
        }
    }

    pub fn flush(&mut self, live: &Live) {
        if self.sent > 0 {
            live.frames_sent
                .fetch_add(std::mem::take(&mut self.sent), Relaxed);
            live.frame_bytes_sent
                .fetch_add(std::mem::take(&mut self.sent_bytes), Relaxed);
        }
        if self.received > 0 {
            live.frames_received
                .fetch_add(std::mem::take(&mut self.received), Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_opens_with_steady_and_closes_at_stop() {
        let live = Live::new(Instant::now() - Duration::from_secs(5));
        assert!(!live.in_steady_window(1_000));
        assert!(!live.should_stop(u64::MAX - 1));
        live.start_steady(Duration::from_secs(10));
        let from = live.steady_from_us().unwrap();
        assert!(from >= 5_000_000);
        assert!(!live.in_steady_window(from - 1));
        assert!(live.in_steady_window(from));
        assert!(live.in_steady_window(from + 9_999_999));
        assert!(!live.in_steady_window(from + 10_000_000));
        assert!(live.should_stop(from + 10_000_000));
    }

    #[test]
    fn a_steady_window_too_long_to_count_ends_at_the_end_of_time() {
        let live = Live::new(Instant::now());
        live.start_steady(Duration::MAX);
        let stop = live.stop_at_us().expect("a stop time is set");
        assert!(stop > live.now_us() + 1_000_000_000_000);
        assert!(!live.should_stop(live.now_us()));
    }

    #[test]
    fn tallies_reach_the_shared_counters_in_batches_and_on_flush() {
        let live = Live::new(Instant::now());
        let mut tally = FrameTally::default();
        for _ in 0..FLUSH_EVERY - 1 {
            tally.sent(&live, 300);
        }
        tally.received(&live);
        assert_eq!(live.frames_sent.load(Relaxed), 0);
        tally.sent(&live, 300);
        assert_eq!(live.frames_sent.load(Relaxed), FLUSH_EVERY);
        assert_eq!(live.frame_bytes_sent.load(Relaxed), FLUSH_EVERY * 300);
        tally.flush(&live);
        assert_eq!(live.frames_received.load(Relaxed), 1);
    }
}
