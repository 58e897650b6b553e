//! Process metrics: lock-free counters and histograms, rendered as Prometheus text.
//!
//! Every hot-path update is one relaxed atomic add: no lock, no allocation, no label lookup
//! per audio frame. Histograms use log-linear buckets (8 per power of two, so a quantile read
//! back is within about 6 % of the truth) over microseconds; Prometheus gets a coarser view
//! with one `le` bound per power of two, which the fine buckets add up to exactly.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::call::{BadInput, EndReason};

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

    fn render(&self, out: &mut String, name: &str, labels: &str) {
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

/// Direction of relayed audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Twilio → agent.
    CallerToAgent,
    /// Agent → Twilio.
    AgentToCaller,
}

impl Direction {
    fn index(self) -> usize {
        self as usize
    }

    fn label(self) -> &'static str {
        match self {
            Direction::CallerToAgent => "caller_to_agent",
            Direction::AgentToCaller => "agent_to_caller",
        }
    }
}

/// Failures counted by kind, beyond the per-call bad input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A Twilio request or stream handshake with a missing or wrong signature.
    BadSignature,
    /// A media stream whose token was missing, forged, expired or reused.
    BadStreamToken,
    /// The agent's WebSocket could not be opened.
    UpstreamConnect,
    /// The database failed a request on the call path.
    Store,
    /// A call to a number no agent answers.
    UnknownNumber,
}

impl ErrorKind {
    /// Every kind, in declaration order: `kind as usize` indexes the counters.
    const ALL: [ErrorKind; 5] = [
        ErrorKind::BadSignature,
        ErrorKind::BadStreamToken,
        ErrorKind::UpstreamConnect,
        ErrorKind::Store,
        ErrorKind::UnknownNumber,
    ];

    fn label(self) -> &'static str {
        match self {
            ErrorKind::BadSignature => "bad_signature",
            ErrorKind::BadStreamToken => "bad_stream_token",
            ErrorKind::UpstreamConnect => "upstream_connect",
            ErrorKind::Store => "store",
            ErrorKind::UnknownNumber => "unknown_number",
        }
    }
}

/// All of the process's metrics. Shared as `Arc<Metrics>`.
#[derive(Default)]
pub struct Metrics {
    pub active_calls: AtomicI64,
    calls_started: AtomicU64,
    calls_ended: [AtomicU64; EndReason::LABELS.len()],
    /// One per direction; its count is the number of frames relayed.
    relay_latency: [Histogram; 2],
    /// From the agent's `interruption` arriving to Twilio's `clear` written.
    pub clear_latency: Histogram,
    pub upstream_connect: Histogram,
    prewarm_claimed: AtomicU64,
    prewarm_missed: AtomicU64,
    interruptions: AtomicU64,
    tool_calls: AtomicU64,
    tool_errors: AtomicU64,
    tool_timeouts: AtomicU64,
    pub tool_latency: Histogram,
    bad_input: [AtomicU64; BadInput::ALL.len()],
    errors: [AtomicU64; ErrorKind::ALL.len()],
}

impl Metrics {
    pub fn new() -> Self {
        Metrics::default()
    }

    pub fn relayed(&self, direction: Direction, latency: Duration) {
        self.relay_latency[direction.index()].record(latency);
    }

    pub fn frames(&self, direction: Direction) -> u64 {
        self.relay_latency[direction.index()].count()
    }

    pub fn relay_latency(&self, direction: Direction) -> &Histogram {
        &self.relay_latency[direction.index()]
    }

    pub fn call_started(&self) {
        self.calls_started.fetch_add(1, Relaxed);
        self.active_calls.fetch_add(1, Relaxed);
    }

    /// Counts every stream's end by reason, including one that never started (`no_start`);
    /// only a call that [started](Self::call_started) leaves the active gauge.
    pub fn call_ended(&self, reason: &EndReason, started: bool) {
        if started {
            self.active_calls.fetch_sub(1, Relaxed);
        }
        self.calls_ended[reason.index()].fetch_add(1, Relaxed);
    }

    pub fn prewarm(&self, claimed: bool) {
        if claimed {
            &self.prewarm_claimed
        } else {
            &self.prewarm_missed
        }
        .fetch_add(1, Relaxed);
    }

    pub fn interruption(&self, clear_latency: Duration) {
        self.interruptions.fetch_add(1, Relaxed);
        self.clear_latency.record(clear_latency);
    }

    pub fn tool_finished(&self, is_error: bool, timed_out: bool, elapsed: Duration) {
        self.tool_calls.fetch_add(1, Relaxed);
        if is_error {
            self.tool_errors.fetch_add(1, Relaxed);
        }
        if timed_out {
            self.tool_timeouts.fetch_add(1, Relaxed);
        }
        self.tool_latency.record(elapsed);
    }

    pub fn bad_input(&self, kind: BadInput) {
        if let Some(counter) = self.bad_input.get(kind as usize) {
            counter.fetch_add(1, Relaxed);
        }
    }

    pub fn error(&self, kind: ErrorKind) {
        if let Some(counter) = self.errors.get(kind as usize) {
            counter.fetch_add(1, Relaxed);
        }
    }

    pub fn error_count(&self, kind: ErrorKind) -> u64 {
        self.errors.get(kind as usize).map_or(0, |c| c.load(Relaxed))
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        let family = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        family(
            &mut out,
            "switchboard_active_calls",
            "gauge",
            "Calls with a live media stream.",
        );
        let _ = writeln!(
            out,
            "switchboard_active_calls {}",
            self.active_calls.load(Relaxed)
        );
        family(
            &mut out,
            "switchboard_calls_started_total",
            "counter",
            "Media streams started.",
        );
        let _ = writeln!(
            out,
            "switchboard_calls_started_total {}",
            self.calls_started.load(Relaxed)
        );
        family(
            &mut out,
            "switchboard_calls_ended_total",
            "counter",
            "Calls ended, by reason.",
        );
        for (i, reason) in EndReason::LABELS.iter().enumerate() {
            let _ = writeln!(
                out,
                "switchboard_calls_ended_total{{reason=\"{reason}\"}} {}",
                self.calls_ended[i].load(Relaxed)
            );
        }
        family(
            &mut out,
            "switchboard_frames_relayed_total",
            "counter",
            "Audio frames relayed, by direction.",
        );
        for d in [Direction::CallerToAgent, Direction::AgentToCaller] {
            let _ = writeln!(
                out,
                "switchboard_frames_relayed_total{{direction=\"{}\"}} {}",
                d.label(),
                self.frames(d)
            );
        }
        family(
            &mut out,
            "switchboard_relay_latency_seconds",
            "histogram",
            "Time from reading an audio frame to writing it to the other socket.",
        );
        for d in [Direction::CallerToAgent, Direction::AgentToCaller] {
            self.relay_latency(d).render(
                &mut out,
                "switchboard_relay_latency_seconds",
                &format!("direction=\"{}\"", d.label()),
            );
        }
        family(
            &mut out,
            "switchboard_clear_latency_seconds",
            "histogram",
            "From the agent's interruption to Twilio's clear.",
        );
        self.clear_latency
            .render(&mut out, "switchboard_clear_latency_seconds", "");
        family(
            &mut out,
            "switchboard_upstream_connect_seconds",
            "histogram",
            "Signed URL plus agent WebSocket handshake.",
        );
        self.upstream_connect
            .render(&mut out, "switchboard_upstream_connect_seconds", "");
        family(
            &mut out,
            "switchboard_prewarm_total",
            "counter",
            "Streams that found a pre-warmed agent connection, or not.",
        );
        let _ = writeln!(
            out,
            "switchboard_prewarm_total{{outcome=\"claimed\"}} {}",
            self.prewarm_claimed.load(Relaxed)
        );
        let _ = writeln!(
            out,
            "switchboard_prewarm_total{{outcome=\"missed\"}} {}",
            self.prewarm_missed.load(Relaxed)
        );
        family(
            &mut out,
            "switchboard_interruptions_total",
            "counter",
            "Barge-ins (agent interruption events).",
        );
        let _ = writeln!(
            out,
            "switchboard_interruptions_total {}",
            self.interruptions.load(Relaxed)
        );
        family(
            &mut out,
            "switchboard_tool_calls_total",
            "counter",
            "Tool calls answered, by outcome.",
        );
        let calls = self.tool_calls.load(Relaxed);
        let errors = self.tool_errors.load(Relaxed);
        let timeouts = self.tool_timeouts.load(Relaxed);
        let _ = writeln!(
            out,
            "switchboard_tool_calls_total{{outcome=\"ok\"}} {}",
            calls.saturating_sub(errors)
        );
        let _ = writeln!(
            out,
            "switchboard_tool_calls_total{{outcome=\"error\"}} {}",
            errors.saturating_sub(timeouts)
        );
        let _ = writeln!(
            out,
            "switchboard_tool_calls_total{{outcome=\"timeout\"}} {timeouts}"
        );
        family(
            &mut out,
            "switchboard_tool_latency_seconds",
            "histogram",
            "Tool call durations.",
        );
        self.tool_latency
            .render(&mut out, "switchboard_tool_latency_seconds", "");
        family(
            &mut out,
            "switchboard_bad_input_total",
            "counter",
            "Malformed or out-of-protocol input, by kind.",
        );
        for (i, kind) in BadInput::ALL.iter().enumerate() {
            let _ = writeln!(
                out,
                "switchboard_bad_input_total{{kind=\"{}\"}} {}",
                kind.label(),
                self.bad_input[i].load(Relaxed)
            );
        }
        family(
            &mut out,
            "switchboard_errors_total",
            "counter",
            "Failures, by kind.",
        );
        for (i, kind) in ErrorKind::ALL.iter().enumerate() {
            let _ = writeln!(
                out,
                "switchboard_errors_total{{kind=\"{}\"}} {}",
                kind.label(),
                self.errors[i].load(Relaxed)
            );
        }
        out
    }
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
    fn kinds_are_listed_in_declaration_order() {
        for (i, kind) in BadInput::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, i, "{kind:?}");
        }
        for (i, kind) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, i, "{kind:?}");
        }
        let reasons = [
            EndReason::CallerHungUp,
            EndReason::AgentEnded,
            EndReason::UpstreamFailed {
                code: None,
                reason: String::new(),
            },
            EndReason::TimeLimit,
            EndReason::Server(String::new()),
            EndReason::NoStart,
        ];
        for (i, reason) in reasons.iter().enumerate() {
            assert_eq!(reason.index(), i);
            assert_eq!(reason.label(), EndReason::LABELS[i]);
        }
    }

    #[test]
    fn a_stream_that_never_started_is_counted_but_never_was_active() {
        let m = Metrics::new();
        m.call_ended(&EndReason::NoStart, false);
        m.call_started();
        m.call_ended(&EndReason::CallerHungUp, true);
        let text = m.render();
        assert!(text.contains("switchboard_active_calls 0\n"), "{text}");
        assert!(
            text.contains("switchboard_calls_ended_total{reason=\"no_start\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("switchboard_calls_ended_total{reason=\"caller_hung_up\"} 1\n"),
            "{text}"
        );
    }

    #[test]
    fn tool_outcomes_never_underflow_mid_update() {
        // A scrape can read the error count of a tool that finished after the total was read.
        let m = Metrics::new();
        m.tool_errors.fetch_add(1, Relaxed);
        m.tool_timeouts.fetch_add(2, Relaxed);
        let text = m.render();
        assert!(
            text.contains("switchboard_tool_calls_total{outcome=\"ok\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("switchboard_tool_calls_total{outcome=\"error\"} 0\n"),
            "{text}"
        );
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
        let m = Metrics::new();
        m.relayed(Direction::CallerToAgent, Duration::from_micros(20));
        m.relayed(Direction::CallerToAgent, Duration::from_micros(3000));
        m.relayed(Direction::CallerToAgent, Duration::from_secs(100));
        m.bad_input(BadInput::InvalidBase64);
        m.error(ErrorKind::BadSignature);
        let text = m.render();
        assert!(text.contains("switchboard_frames_relayed_total{direction=\"caller_to_agent\"} 3"));
        assert!(text.contains(
            "switchboard_relay_latency_seconds_bucket{direction=\"caller_to_agent\",le=\"0.000032\"} 1"
        ));
        assert!(text.contains(
            "switchboard_relay_latency_seconds_bucket{direction=\"caller_to_agent\",le=\"0.004096\"} 2"
        ));
        assert!(text.contains(
            "switchboard_relay_latency_seconds_bucket{direction=\"caller_to_agent\",le=\"+Inf\"} 3"
        ));
        assert!(text.contains("switchboard_bad_input_total{kind=\"invalid_base64\"} 1"));
        assert!(text.contains("switchboard_errors_total{kind=\"bad_signature\"} 1"));
        // Every sample line is `name{labels} number`.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
