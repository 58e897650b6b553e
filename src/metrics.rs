//! Metric primitives: a lock-free histogram and counters by label, and their Prometheus text.
//! Each layer keeps its own metrics with these (the call's in `call::metrics`, the
//! application's in `telephony::metrics`); `/metrics` renders them all.
//!
//! Every hot-path update is one relaxed atomic add: no lock, no allocation, no label lookup
//! per audio frame. Histograms use log-linear buckets (8 per power of two, so a quantile read
//! back is within about 6 % of the truth) over microseconds; Prometheus gets a coarser view
//! with one `le` bound per power of two, which the fine buckets add up to exactly.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

const SUB_BITS: u32 = 3;
const SUB: usize = 1 << SUB_BITS;
/// Enough powers of two for 2^40 µs (12 days).
const BUCKETS: usize = SUB * 40;

/// A histogram of durations, with microsecond resolution.
pub struct Histogram {
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
        }
    }
}

fn bucket_of(us: u64) -> usize {
    if us < SUB as u64 {
        return us as usize;
    }
    let power = 63 - us.leading_zeros(); // ≥ SUB_BITS
    let sub = (us >> (power - SUB_BITS)) as usize & (SUB - 1);
    (((power - SUB_BITS + 1) as usize * SUB) + sub).min(BUCKETS - 1)
}

/// The half-open range `[low, high)` of microseconds a bucket counts.
fn bucket_range(index: usize) -> (u64, u64) {
    if index < SUB {
        return (index as u64, index as u64 + 1);
    }
    let shift = (index / SUB - 1) as u32;
    let sub = (index % SUB) as u64;
    ((SUB as u64 + sub) << shift, (SUB as u64 + sub + 1) << shift)
}

impl Histogram {
    pub fn record(&self, value: Duration) {
        let us = value.as_micros().min(u64::MAX as u128) as u64;
        self.buckets[bucket_of(us)].fetch_add(1, Relaxed);
        self.count.fetch_add(1, Relaxed);
        self.sum_us.fetch_add(us, Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    /// The value below which a fraction `q` of the recordings fall (bucket midpoint), or
    /// `None` when nothing was recorded.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (index, count) in counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let (low, high) = bucket_range(index);
                return Some(Duration::from_micros((low + high) / 2));
            }
        }
        None
    }

    /// Writes the histogram's samples as the family `name` with `labels` (`key="value"`
    /// pairs, or empty).
    pub fn render(&self, out: &mut String, name: &str, labels: &str) {
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Relaxed)).collect();
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0u64;
        let mut next_bound = 0usize;
        // One `le` per power of two from 16 µs to 2^26 µs (67 s); every fine bucket lies
        // wholly under one of them.
        for power in 4..=26u32 {
            let bound = 1u64 << power;
            while next_bound < BUCKETS && bucket_range(next_bound).1 <= bound {
                cumulative += counts[next_bound];
                next_bound += 1;
            }
            let le = bound as f64 / 1e6;
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}");
        }
        let total: u64 = counts.iter().sum();
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {total}");
        let _ = writeln!(
            out,
            "{name}_sum{{{labels}}} {}",
            self.sum_us.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count{{{labels}}} {total}");
    }
}

/// One counter per label of a fixed set, indexed like the set.
pub struct LabeledCounters<const N: usize> {
    labels: [&'static str; N],
    counts: [AtomicU64; N],
}

impl<const N: usize> LabeledCounters<N> {
    pub fn new(labels: [&'static str; N]) -> Self {
        LabeledCounters {
            labels,
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    /// Adds one to the counter of the label at `index`; an index out of the set is ignored.
    pub fn add(&self, index: usize) {
        if let Some(counter) = self.counts.get(index) {
            counter.fetch_add(1, Relaxed);
        }
    }

    pub fn get(&self, index: usize) -> u64 {
        self.counts.get(index).map_or(0, |c| c.load(Relaxed))
    }

    /// Writes every label's count as the family `name`, labelled `key`.
    pub fn render(&self, out: &mut String, name: &str, key: &str) {
        for (label, count) in self.labels.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}{{{key}=\"{label}\"}} {}", count.load(Relaxed));
        }
    }
}

/// Writes a family's `# HELP` and `# TYPE` lines.
pub fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Writes one sample without labels.
pub fn sample(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "{name} {value}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn every_value_falls_in_its_bucket(us in 0u64..(1 << 39)) {
            let (low, high) = bucket_range(bucket_of(us));
            prop_assert!(low <= us && us < high, "{} not in [{}, {})", us, low, high);
            prop_assert!((high - low) as f64 <= (low.max(8) as f64) / 8.0 + 1.0);
        }
    }

    #[test]
    fn quantiles_are_close() {
        let h = Histogram::default();
        for us in 1..=10_000u64 {
            h.record(Duration::from_micros(us));
        }
        for (q, truth) in [(0.5, 5000.0), (0.9, 9000.0), (0.99, 9900.0)] {
            let got = h.quantile(q).unwrap().as_micros() as f64;
            assert!((got - truth).abs() / truth < 0.07, "q{q}: {got} vs {truth}");
        }
        assert_eq!(Histogram::default().quantile(0.5), None);
    }

    #[test]
    fn prometheus_buckets_are_cumulative_and_complete() {
        let h = Histogram::default();
        h.record(Duration::from_micros(20));
        h.record(Duration::from_micros(3000));
        h.record(Duration::from_secs(100));
        let mut text = String::new();
        h.render(&mut text, "latency_seconds", "direction=\"in\"");
        assert!(text.contains("latency_seconds_bucket{direction=\"in\",le=\"0.000032\"} 1"));
        assert!(text.contains("latency_seconds_bucket{direction=\"in\",le=\"0.004096\"} 2"));
        assert!(text.contains("latency_seconds_bucket{direction=\"in\",le=\"+Inf\"} 3"));
        assert!(text.contains("latency_seconds_count{direction=\"in\"} 3"));
        // Every sample line is `name{labels} number`.
        for line in text.lines() {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }

    #[test]
    fn labeled_counters_render_every_label_and_ignore_strangers() {
        let counters = LabeledCounters::new(["a", "b"]);
        counters.add(1);
        counters.add(1);
        counters.add(7);
        assert_eq!(counters.get(1), 2);
        let mut text = String::new();
        counters.render(&mut text, "things_total", "kind");
        assert_eq!(text, "things_total{kind=\"a\"} 0\nthings_total{kind=\"b\"} 2\n");
    }
}
