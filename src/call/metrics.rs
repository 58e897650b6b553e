//! What the drivers count: calls by how they ended, relay latency per frame, barge-ins, tool
//! calls, bad input. Updated per frame with one relaxed atomic add, never a lock.

use std::fmt::Write;
use std::sync::atomic::{
    AtomicI64, AtomicU64,
    Ordering::{Acquire, Relaxed, Release},
};
use std::time::Duration;

use crate::metrics::{Histogram, LabeledCounters, family, sample};

use super::event::{BadInput, EndReason};

/// Direction of relayed audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Caller → agent.
    CallerToAgent,
    /// Agent → caller.
    AgentToCaller,
}

impl Direction {
    const ALL: [Direction; 2] = [Direction::CallerToAgent, Direction::AgentToCaller];

    fn label(self) -> &'static str {
        match self {
            Direction::CallerToAgent => "caller_to_agent",
            Direction::AgentToCaller => "agent_to_caller",
        }
    }
}

/// The metrics of every call of the process. Shared as `Arc<CallMetrics>`.
pub struct CallMetrics {
    pub active_calls: AtomicI64,
    calls_started: AtomicU64,
    calls_ended: LabeledCounters<{ EndReason::LABELS.len() }>,
    /// One per direction; its count is the number of frames relayed.
    relay_latency: [Histogram; 2],
    /// From the agent's `interruption` arriving to the caller's `clear` written.
    pub clear_latency: Histogram,
    interruptions: AtomicU64,
    tool_calls: AtomicU64,
    tool_errors: AtomicU64,
    tool_timeouts: AtomicU64,
    pub tool_latency: Histogram,
    bad_input: LabeledCounters<{ BadInput::ALL.len() }>,
}

impl Default for CallMetrics {
    fn default() -> Self {
        CallMetrics {
            active_calls: AtomicI64::new(0),
            calls_started: AtomicU64::new(0),
            calls_ended: LabeledCounters::new(EndReason::LABELS),
            relay_latency: Default::default(),
            clear_latency: Histogram::default(),
            interruptions: AtomicU64::new(0),
            tool_calls: AtomicU64::new(0),
            tool_errors: AtomicU64::new(0),
            tool_timeouts: AtomicU64::new(0),
            tool_latency: Histogram::default(),
            bad_input: LabeledCounters::new(BadInput::ALL.map(BadInput::label)),
        }
    }
}

impl CallMetrics {
    pub fn new() -> Self {
        CallMetrics::default()
    }

    pub fn relayed(&self, direction: Direction, latency: Duration) {
        self.relay_latency[direction as usize].record(latency);
    }

    pub fn frames(&self, direction: Direction) -> u64 {
        self.relay_latency[direction as usize].count()
    }

    pub fn relay_latency(&self, direction: Direction) -> &Histogram {
        &self.relay_latency[direction as usize]
    }

    pub fn call_started(&self) {
        self.calls_started.fetch_add(1, Relaxed);
        self.active_calls.fetch_add(1, Relaxed);
    }

    /// Counts every stream's end by reason, including one that never started (`no_start`);
    /// only a call that [started](Self::call_started) leaves the active gauge.
    pub fn call_ended(&self, reason: &EndReason, started: bool) {
        if started {
            // Release, paired with the Acquire in `render`: a scrape that sees the call gone
            // also sees every frame it counted, which is what a load test's last scrape needs.
            self.active_calls.fetch_sub(1, Release);
        }
        self.calls_ended.add(reason.index());
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
        self.bad_input.add(kind as usize);
    }

    /// Appends the Prometheus text of these metrics to `out`.
    pub fn render(&self, out: &mut String) {
        family(
            out,
            "switchboard_active_calls",
            "gauge",
            "Calls with a live media stream.",
        );
        sample(out, "switchboard_active_calls", self.active_calls.load(Acquire));
        family(
            out,
            "switchboard_calls_started_total",
            "counter",
            "Media streams started.",
        );
        sample(
            out,
            "switchboard_calls_started_total",
            self.calls_started.load(Relaxed),
        );
        family(
            out,
            "switchboard_calls_ended_total",
            "counter",
            "Calls ended, by reason.",
        );
        self.calls_ended
            .render(out, "switchboard_calls_ended_total", "reason");
        family(
            out,
            "switchboard_frames_relayed_total",
            "counter",
            "Audio frames relayed, by direction.",
        );
        for d in Direction::ALL {
            let _ = writeln!(
                out,
                "switchboard_frames_relayed_total{{direction=\"{}\"}} {}",
                d.label(),
                self.frames(d)
            );
        }
        family(
            out,
            "switchboard_relay_latency_seconds",
            "histogram",
            "Time from reading an audio frame to writing it to the other socket.",
        );
        for d in Direction::ALL {
            let labels = format!("direction=\"{}\"", d.label());
            self.relay_latency(d)
                .render(out, "switchboard_relay_latency_seconds", &labels);
        }
        family(
            out,
            "switchboard_clear_latency_seconds",
            "histogram",
            "From the agent's interruption to Twilio's clear.",
        );
        self.clear_latency
            .render(out, "switchboard_clear_latency_seconds", "");
        family(
            out,
            "switchboard_interruptions_total",
            "counter",
            "Barge-ins (agent interruption events).",
        );
        sample(
            out,
            "switchboard_interruptions_total",
            self.interruptions.load(Relaxed),
        );
        family(
            out,
            "switchboard_tool_calls_total",
            "counter",
            "Tool calls answered, by outcome.",
        );
        // A scrape can read the error count of a tool that finished after the total was read.
        let calls = self.tool_calls.load(Relaxed);
        let errors = self.tool_errors.load(Relaxed);
        let timeouts = self.tool_timeouts.load(Relaxed);
        let outcomes = [
            ("ok", calls.saturating_sub(errors)),
            ("error", errors.saturating_sub(timeouts)),
            ("timeout", timeouts),
        ];
        for (outcome, count) in outcomes {
            let _ = writeln!(
                out,
                "switchboard_tool_calls_total{{outcome=\"{outcome}\"}} {count}"
            );
        }
        family(
            out,
            "switchboard_tool_latency_seconds",
            "histogram",
            "Tool call durations.",
        );
        self.tool_latency
            .render(out, "switchboard_tool_latency_seconds", "");
        family(
            out,
            "switchboard_bad_input_total",
            "counter",
            "Malformed or out-of-protocol input, by kind.",
        );
        self.bad_input.render(out, "switchboard_bad_input_total", "kind");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(m: &CallMetrics) -> String {
        let mut text = String::new();
        m.render(&mut text);
        text
    }

    #[test]
    fn kinds_and_reasons_are_listed_in_declaration_order() {
        for (i, kind) in BadInput::ALL.iter().enumerate() {
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
            EndReason::Transferred,
        ];
        for (i, reason) in reasons.iter().enumerate() {
            assert_eq!(reason.index(), i);
            assert_eq!(reason.label(), EndReason::LABELS[i]);
        }
    }

    #[test]
    fn a_stream_that_never_started_is_counted_but_never_was_active() {
        let m = CallMetrics::new();
        m.call_ended(&EndReason::NoStart, false);
        m.call_started();
        m.call_ended(&EndReason::CallerHungUp, true);
        let text = rendered(&m);
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
        let m = CallMetrics::new();
        m.tool_errors.fetch_add(1, Relaxed);
        m.tool_timeouts.fetch_add(2, Relaxed);
        let text = rendered(&m);
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
    fn relayed_frames_and_bad_input_are_rendered_by_label() {
        let m = CallMetrics::new();
        m.relayed(Direction::CallerToAgent, Duration::from_micros(20));
        m.relayed(Direction::CallerToAgent, Duration::from_micros(3000));
        m.bad_input(BadInput::InvalidBase64);
        let text = rendered(&m);
        assert!(text.contains("switchboard_frames_relayed_total{direction=\"caller_to_agent\"} 2"));
        assert!(text.contains(
            "switchboard_relay_latency_seconds_bucket{direction=\"caller_to_agent\",le=\"0.004096\"} 2"
        ));
        assert!(text.contains("switchboard_bad_input_total{kind=\"invalid_base64\"} 1"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
