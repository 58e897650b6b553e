//! Echo round trips over time: per 10-second window of the run, how many frames were sent
//! and how many took longer than 1, 2, 5, 10, 20 and 50 ms to come back.
//!
//! A quantile over a whole run cannot tell a steady tail from a few bad stretches; these
//! windows can, and line up with the CPU timeline of the processes. Counting against fixed
//! thresholds keeps each call's share small (14 bytes per window: a call sends at most 500
//! frames in one) and merging a sum.

use serde::{Deserialize, Serialize};

/// Length of one window.
pub const WINDOW_US: u64 = 10_000_000;
/// The thresholds counted, in µs.
pub const THRESHOLDS_US: [u64; 6] = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000];

/// Frames sent in one window, then how many of them exceeded each threshold.
type Tally = [u16; 1 + THRESHOLDS_US.len()];

/// One call's windows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallTimeline {
    windows: Vec<Tally>,
}

impl CallTimeline {
    /// A frame sent `sent_us` into the run came back after `rtt_us`.
    pub fn record(&mut self, sent_us: u64, rtt_us: u64) {
        let index = (sent_us / WINDOW_US) as usize;
        if self.windows.len() <= index {
            self.windows.resize(index + 1, [0; 7]);
        }
        let tally = &mut self.windows[index];
        tally[0] = tally[0].saturating_add(1);
        for (count, threshold) in tally[1..].iter_mut().zip(THRESHOLDS_US) {
            if rtt_us > threshold {
                *count = count.saturating_add(1);
            }
        }
    }
}

/// One window over all calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RttWindow {
    /// Seconds into the run the window starts.
    pub from_s: u64,
    pub frames: u64,
    pub over_1ms: u64,
    pub over_2ms: u64,
    pub over_5ms: u64,
    pub over_10ms: u64,
    pub over_20ms: u64,
    pub over_50ms: u64,
}

impl RttWindow {
    /// Whether at most `share` of the window's frames took longer than `threshold_ms`
    /// (one of the counted thresholds), e.g. p99 ≤ 5 ms is `within(5, 0.01)`.
    pub fn within(&self, threshold_ms: u64, share: f64) -> Option<bool> {
        let over = match threshold_ms {
            1 => self.over_1ms,
            2 => self.over_2ms,
            5 => self.over_5ms,
            10 => self.over_10ms,
            20 => self.over_20ms,
            50 => self.over_50ms,
            _ => return None,
        };
        Some(over as f64 <= share * self.frames as f64)
    }
}

/// Every call's windows, summed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    windows: Vec<[u64; 7]>,
}

impl Timeline {
    pub fn add(&mut self, call: &CallTimeline) {
        if self.windows.len() < call.windows.len() {
            self.windows.resize(call.windows.len(), [0; 7]);
        }
        for (total, tally) in self.windows.iter_mut().zip(&call.windows) {
            for (t, c) in total.iter_mut().zip(tally) {
                *t += u64::from(*c);
            }
        }
    }

    /// The windows in which any frame was sent.
    pub fn windows(&self) -> Vec<RttWindow> {
        self.windows
            .iter()
            .enumerate()
            .filter(|(_, w)| w[0] > 0)
            .map(|(i, w)| RttWindow {
                from_s: i as u64 * WINDOW_US / 1_000_000,
                frames: w[0],
                over_1ms: w[1],
                over_2ms: w[2],
                over_5ms: w[3],
                over_10ms: w[4],
                over_20ms: w[5],
                over_50ms: w[6],
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_land_in_the_window_they_were_sent_in_and_count_per_threshold() {
        let mut a = CallTimeline::default();
        a.record(1_000, 500);
        a.record(9_999_999, 6_000);
        a.record(25_000_000, 60_000);
        let mut b = CallTimeline::default();
        b.record(3_000_000, 1_500);
        let mut total = Timeline::default();
        total.add(&a);
        total.add(&b);
        let windows = total.windows();
        assert_eq!(windows.len(), 2, "the empty window 10–20 s is left out");
        assert_eq!(
            windows[0],
            RttWindow {
                from_s: 0,
                frames: 3,
                over_1ms: 2,
                over_2ms: 1,
                over_5ms: 1,
                over_10ms: 0,
                over_20ms: 0,
                over_50ms: 0,
            }
        );
        assert_eq!(
            (windows[1].from_s, windows[1].frames, windows[1].over_50ms),
            (20, 1, 1)
        );
        assert_eq!(windows[0].within(5, 0.01), Some(false));
        assert_eq!(windows[0].within(10, 0.0), Some(true));
        assert_eq!(windows[0].within(3, 0.5), None);
    }
}
