//! The process's metrics: the calls' own ([`CallMetrics`]) and what the application layer
//! counts around them (agent connections, failures by kind), rendered together for
//! `/metrics`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::call::metrics::CallMetrics;
use crate::metrics::{Histogram, LabeledCounters, family, sample};

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
    /// A Twilio callback for a call it was already made for (a voice webhook whose CallSid
    /// was answered, a voicemail or status kept before): refused or ignored.
    Replayed,
    /// A call that came when the server had all the calls it may take (`[call] max_calls`):
    /// its line's fallback took it.
    AtCapacity,
    /// A call that came while the server was overloaded (its scheduler running late or its
    /// database answering slowly, see `telephony::overload`): its line's fallback took it.
    Overloaded,
}

impl ErrorKind {
    /// Every kind, in declaration order: `kind as usize` indexes the counters.
    const ALL: [ErrorKind; 8] = [
        ErrorKind::BadSignature,
        ErrorKind::BadStreamToken,
        ErrorKind::UpstreamConnect,
        ErrorKind::Store,
        ErrorKind::UnknownNumber,
        ErrorKind::Replayed,
        ErrorKind::AtCapacity,
        ErrorKind::Overloaded,
    ];

    fn label(self) -> &'static str {
        match self {
            ErrorKind::BadSignature => "bad_signature",
            ErrorKind::BadStreamToken => "bad_stream_token",
            ErrorKind::UpstreamConnect => "upstream_connect",
            ErrorKind::Store => "store",
            ErrorKind::UnknownNumber => "unknown_number",
            ErrorKind::Replayed => "replayed",
            ErrorKind::AtCapacity => "at_capacity",
            ErrorKind::Overloaded => "overloaded",
        }
    }
}

/// Why the HTTP listener closed a connection as soon as it accepted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionRefusal {
    /// The server holds as many connections as it may.
    MaxConnections,
    /// The client's address holds as many as one address may.
    MaxConnectionsPerAddress,
}

impl ConnectionRefusal {
    const ALL: [ConnectionRefusal; 2] = [
        ConnectionRefusal::MaxConnections,
        ConnectionRefusal::MaxConnectionsPerAddress,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ConnectionRefusal::MaxConnections => "max_connections",
            ConnectionRefusal::MaxConnectionsPerAddress => "max_connections_per_address",
        }
    }
}

/// Why a call to a known line reached no agent (its caller heard something friendly instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallRefusal {
    /// Outside the agent's active hours.
    AfterHours,
    /// The agent is switched off.
    AgentInactive,
    /// The account's minute pool had less than a minute left.
    OutOfMinutes,
    /// The account had its plan's `max_concurrent_calls` calls up.
    AccountBusy,
}

impl CallRefusal {
    const ALL: [CallRefusal; 4] = [
        CallRefusal::AfterHours,
        CallRefusal::AgentInactive,
        CallRefusal::OutOfMinutes,
        CallRefusal::AccountBusy,
    ];

    /// The metric's label, and the end reason on the call's record.
    pub fn label(self) -> &'static str {
        match self {
            CallRefusal::AfterHours => "after_hours",
            CallRefusal::AgentInactive => "agent_inactive",
            CallRefusal::OutOfMinutes => "out_of_minutes",
            CallRefusal::AccountBusy => "account_busy",
        }
    }
}

/// Every metric of the process. Shared as `Arc<Metrics>`.
pub struct Metrics {
    /// What the call drivers count.
    pub calls: Arc<CallMetrics>,
    /// Signed URL plus agent WebSocket handshake.
    pub upstream_connect: Histogram,
    prewarm_claimed: AtomicU64,
    prewarm_missed: AtomicU64,
    calls_recovered: AtomicU64,
    errors: LabeledCounters<{ ErrorKind::ALL.len() }>,
    /// Connections the HTTP listener holds open, media streams included.
    http_connections: AtomicU64,
    http_refused: LabeledCounters<{ ConnectionRefusal::ALL.len() }>,
    calls_refused: LabeledCounters<{ CallRefusal::ALL.len() }>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            calls: Arc::new(CallMetrics::new()),
            upstream_connect: Histogram::default(),
            prewarm_claimed: AtomicU64::new(0),
            prewarm_missed: AtomicU64::new(0),
            calls_recovered: AtomicU64::new(0),
            errors: LabeledCounters::new(ErrorKind::ALL.map(ErrorKind::label)),
            http_connections: AtomicU64::new(0),
            http_refused: LabeledCounters::new(ConnectionRefusal::ALL.map(ConnectionRefusal::label)),
            calls_refused: LabeledCounters::new(CallRefusal::ALL.map(CallRefusal::label)),
        }
    }
}

impl Metrics {
    pub fn new() -> Self {
        Metrics::default()
    }

    /// A stream found a pre-warmed agent connection (`claimed`), or had to open one.
    pub fn prewarm(&self, claimed: bool) {
        if claimed {
            &self.prewarm_claimed
        } else {
            &self.prewarm_missed
        }
        .fetch_add(1, Relaxed);
    }

    /// `calls` records of calls whose instance stopped were closed from their last progress.
    pub fn calls_recovered(&self, calls: u64) {
        self.calls_recovered.fetch_add(calls, Relaxed);
    }

    pub fn error(&self, kind: ErrorKind) {
        self.errors.add(kind as usize);
    }

    pub fn error_count(&self, kind: ErrorKind) -> u64 {
        self.errors.get(kind as usize)
    }

    /// The HTTP listener opened (`true`) or closed a connection.
    pub fn http_connection(&self, opened: bool) {
        match opened {
            true => self.http_connections.fetch_add(1, Relaxed),
            false => self.http_connections.fetch_sub(1, Relaxed),
        };
    }

    /// Connections the HTTP listener holds open.
    pub fn http_connections(&self) -> u64 {
        self.http_connections.load(Relaxed)
    }

    pub fn http_refused(&self, why: ConnectionRefusal) {
        self.http_refused.add(why as usize);
    }

    pub fn http_refused_count(&self, why: ConnectionRefusal) -> u64 {
        self.http_refused.get(why as usize)
    }

    pub fn call_refused(&self, why: CallRefusal) {
        self.calls_refused.add(why as usize);
    }

    pub fn call_refused_count(&self, why: CallRefusal) -> u64 {
        self.calls_refused.get(why as usize)
    }

    /// The Prometheus text exposition of every metric; `prewarm_waiting` is the number of
    /// agent connections held for their streams right now.
    pub fn render(&self, prewarm_waiting: usize) -> String {
        let mut out = String::with_capacity(16 * 1024);
        self.calls.render(&mut out);
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
        for (outcome, count) in [
            ("claimed", &self.prewarm_claimed),
            ("missed", &self.prewarm_missed),
        ] {
            sample(
                &mut out,
                &format!("switchboard_prewarm_total{{outcome=\"{outcome}\"}}"),
                count.load(Relaxed),
            );
        }
        family(
            &mut out,
            "switchboard_prewarm_waiting",
            "gauge",
            "Pre-warmed agent connections waiting for their stream.",
        );
        sample(&mut out, "switchboard_prewarm_waiting", prewarm_waiting);
        family(
            &mut out,
            "switchboard_calls_recovered_total",
            "counter",
            "Records of calls whose instance stopped, closed from their last progress.",
        );
        sample(
            &mut out,
            "switchboard_calls_recovered_total",
            self.calls_recovered.load(Relaxed),
        );
        family(
            &mut out,
            "switchboard_errors_total",
            "counter",
            "Failures, by kind.",
        );
        self.errors.render(&mut out, "switchboard_errors_total", "kind");
        family(
            &mut out,
            "switchboard_http_connections",
            "gauge",
            "Connections the HTTP listener holds open, media streams included.",
        );
        sample(&mut out, "switchboard_http_connections", self.http_connections());
        family(
            &mut out,
            "switchboard_http_connections_refused_total",
            "counter",
            "Connections closed as soon as they were accepted, by the limit they met.",
        );
        self.http_refused
            .render(&mut out, "switchboard_http_connections_refused_total", "limit");
        family(
            &mut out,
            "switchboard_calls_refused_total",
            "counter",
            "Calls to a known line that reached no agent, by why: after hours, agent inactive, out of minutes, account busy.",
        );
        self.calls_refused
            .render(&mut out, "switchboard_calls_refused_total", "reason");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_listed_in_declaration_order() {
        for (i, kind) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(*kind as usize, i, "{kind:?}");
        }
        for (i, why) in ConnectionRefusal::ALL.iter().enumerate() {
            assert_eq!(*why as usize, i, "{why:?}");
        }
        for (i, why) in CallRefusal::ALL.iter().enumerate() {
            assert_eq!(*why as usize, i, "{why:?}");
        }
    }

    #[test]
    fn the_call_metrics_and_our_own_render_together() {
        let m = Metrics::new();
        m.calls.call_started();
        m.error(ErrorKind::BadSignature);
        m.prewarm(true);
        m.calls_recovered(2);
        m.http_connection(true);
        m.http_refused(ConnectionRefusal::MaxConnectionsPerAddress);
        m.call_refused(CallRefusal::OutOfMinutes);
        let text = m.render(3);
        assert!(text.contains("switchboard_calls_refused_total{reason=\"out_of_minutes\"} 1\n"));
        assert!(text.contains("switchboard_calls_refused_total{reason=\"account_busy\"} 0\n"));
        assert!(text.contains("switchboard_http_connections 1\n"), "{text}");
        assert!(text.contains(
            "switchboard_http_connections_refused_total{limit=\"max_connections_per_address\"} 1\n"
        ));
        assert!(text.contains("switchboard_active_calls 1\n"), "{text}");
        assert!(text.contains("switchboard_errors_total{kind=\"bad_signature\"} 1\n"));
        assert!(text.contains("switchboard_prewarm_total{outcome=\"claimed\"} 1\n"));
        assert!(text.contains("switchboard_prewarm_waiting 3\n"));
        assert!(text.contains("switchboard_calls_recovered_total 2\n"));
        assert_eq!(m.error_count(ErrorKind::BadSignature), 1);
        // One family each: the HELP lines are unique.
        let mut helps: Vec<&str> = text.lines().filter(|l| l.starts_with("# HELP")).collect();
        let count = helps.len();
        helps.sort_unstable();
        helps.dedup();
        assert_eq!(helps.len(), count);
    }
}
