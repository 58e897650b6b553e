//! The short human summary printed at the end of a run; the JSON report has everything.

use std::fmt::Write;

use super::report::{BucketSummary, LatencySummary, LoadReport, ProcessUsage};

/// The summary as lines of text.
pub fn render(report: &LoadReport) -> String {
    let mut out = String::new();
    let s = &report.settings;
    let _ = writeln!(
        out,
        "load test: {} calls, {:.0} s all up, against {} (ramp {}/s, fixture {}, matching {})",
        s.calls, s.duration_s, s.server, s.ramp_per_s, s.fixture, s.matching
    );
    let c = &report.calls;
    let _ = writeln!(
        out,
        "calls       {} placed, {} connected, {} refused, {} failed to connect, {} dropped",
        c.attempted, c.connected, c.refused, c.failed_to_connect, c.dropped
    );
    for refusal in report.refusals.iter().take(3) {
        let _ = writeln!(
            out,
            "            {} × refused with {}",
            refusal.calls, refusal.verbs
        );
    }
    for failure in report.failures.iter().take(5) {
        let _ = writeln!(out, "            {} × {}", failure.calls, failure.reason);
    }
    let f = &report.frames;
    let m = &report.matching;
    let _ = writeln!(
        out,
        "frames      {} sent, {} back, {} lost, {} out of order, {} duplicated, {} corrupted, {} late",
        f.sent,
        f.received,
        f.lost,
        f.out_of_order.map_or("n/a".into(), |n| n.to_string()),
        f.duplicated,
        f.corrupted,
        f.late
    );
    if let Some(phase) = f.lost_by_phase.filter(|_| f.lost > 0) {
        let _ = writeln!(
            out,
            "            lost {} before a call's first echo, {} during calls, {} at hang-up",
            phase.before_first_echo, phase.during_call, phase.at_hang_up
        );
    }
    let _ = writeln!(
        out,
        "            matched by tag in {} calls, by order in {} (transcoded), no audio back in {}",
        m.tag, m.order, m.none
    );
    latency(
        &mut out,
        "echo round trip, all calls up",
        report.echo_rtt.as_ref(),
    );
    latency(
        &mut out,
        "echo round trip, ramp/hang-up",
        report.echo_rtt_outside_steady.as_ref(),
    );
    windows(&mut out, report);
    latency(&mut out, "webhook answer", report.webhook.as_ref());
    latency(&mut out, "refusal answer", report.refusal_answer.as_ref());
    latency(&mut out, "stream handshake", report.stream_connect.as_ref());
    latency(&mut out, "first audio after start", report.first_audio.as_ref());
    let i = &report.interruptions;
    if i.sent > 0 {
        let _ = writeln!(
            out,
            "interruptions {} pressed, {} cleared ({} unexpected)",
            i.sent, i.clears, i.unexpected_clears
        );
        latency(&mut out, "  * → clear, end to end", i.to_clear.as_ref());
    }
    match &report.bridge {
        Some(b) => {
            if i.sent > 0 {
                let label = "  interruption → clear in bridge";
                bucketed(&mut out, label, b.interruption_to_clear.as_ref());
            }
            bucketed(&mut out, "upstream connect (bridge)", b.upstream_connect.as_ref());
            // Read → written: the time queued in the bridge's sockets before a read is not
            // in it, so these lines are not the bridge's share of a round trip.
            let _ = writeln!(
                out,
                "relay inside the bridge, frame read → written (excludes time queued in its sockets):"
            );
            bucketed(&mut out, "  caller → agent", b.relay_caller_to_agent.as_ref());
            bucketed(&mut out, "  agent → caller", b.relay_agent_to_caller.as_ref());
        }
        None => {
            let _ = writeln!(out, "bridge metrics n/a (no switchboard /metrics)");
        }
    }
    match (
        &report.bridge_receive_queue,
        &report.bridge_receive_queue_withheld,
    ) {
        (Some(q), _) => {
            let _ = writeln!(
                out,
                "{:<32} mean ≈ {:.0} µs (Little's law: {:.0} bytes queued on average, sampled each second, at {:.1} MB/s)",
                "caller frames queued unread in the bridge's sockets",
                q.mean_wait_us,
                q.mean_queued_bytes,
                q.arrival_bytes_per_second / 1e6
            );
        }
        (None, Some(why)) => {
            let _ = writeln!(out, "time queued in the bridge's sockets n/a ({why})");
        }
        (None, None) => {}
    }
    latency(&mut out, "load generator send lag", report.send_lag.as_ref());
    for (role, usage) in [
        ("server", &report.server),
        ("agent", &report.agent),
        ("load generator", &report.load_generator),
    ] {
        match usage {
            Some(u) => process(&mut out, role, u),
            None if role == "server" => {
                let _ = writeln!(out, "server      CPU/RSS n/a (give --pid for a remote server)");
            }
            None => {}
        }
    }
    for warning in &report.harness_warnings {
        let _ = writeln!(
            out,
            "WARNING: THE HARNESS WAS BEHIND, the round trips measure it as much as the bridge: {warning}"
        );
    }
    if let Some(m) = &report.machine
        && let (Some(busy), Some(others)) = (m.busy_percent_steady, m.others_percent_steady)
    {
        let _ = writeln!(
            out,
            "machine         {} CPUs, {busy:.0} % busy while all calls were up, {others:.0} % of it other work, {:.0} % stolen",
            m.cpus,
            m.steal_percent_steady.unwrap_or(0.0)
        );
    }
    if let Some(m) = &report.machine {
        let _ = writeln!(
            out,
            "machine         {}, Linux {}",
            m.cpu_model.as_deref().unwrap_or("processor not named"),
            m.kernel.as_deref().unwrap_or("release unknown")
        );
    }
    out
}

/// How many whole 10 s windows of the steady phase kept p99 within 5 ms, and the worst.
fn windows(out: &mut String, report: &LoadReport) {
    let (from, to) = (
        report.phases.ramp_s,
        report.phases.ramp_s + report.phases.steady_s,
    );
    let steady: Vec<_> = report
        .echo_rtt_timeline
        .iter()
        .filter(|w| w.from_s as f64 >= from && (w.from_s + 10) as f64 <= to && w.frames > 0)
        .collect();
    let Some(worst) = steady
        .iter()
        .max_by(|a, b| (a.over_5ms * b.frames).cmp(&(b.over_5ms * a.frames)))
    else {
        return;
    };
    let good = steady.iter().filter(|w| w.within(5, 0.01) == Some(true)).count();
    let _ = writeln!(
        out,
        "{:<32} p99 ≤ 5 ms in {good} of {} whole 10 s windows; worst at {} s: {:.2} % over 5 ms",
        "  by window, all calls up",
        steady.len(),
        worst.from_s,
        worst.over_5ms as f64 * 100.0 / worst.frames as f64
    );
}

fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

fn latency(out: &mut String, label: &str, summary: Option<&LatencySummary>) {
    let _ = match summary {
        Some(l) => writeln!(
            out,
            "{label:<32} p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  ({} samples)",
            ms(l.p50_us),
            ms(l.p90_us),
            ms(l.p99_us),
            ms(l.p999_us),
            ms(l.max_us),
            l.count
        ),
        None => writeln!(out, "{label:<32} n/a"),
    };
}

fn bucketed(out: &mut String, label: &str, summary: Option<&BucketSummary>) {
    let us = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0} µs"));
    let _ = match summary {
        Some(b) => writeln!(
            out,
            "{label:<32} p50 ≈ {}  p99 ≈ {} (≤ {})  p99.9 ≤ {}  ({} samples)",
            us(b.p50_us),
            us(b.p99_us),
            us(b.p99_bound_us),
            us(b.p999_bound_us),
            b.count
        ),
        None => writeln!(out, "{label:<32} n/a"),
    };
}

fn process(out: &mut String, role: &str, u: &ProcessUsage) {
    let pct = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0} %"));
    let _ = writeln!(
        out,
        "{role:<15} pid {}: CPU {} steady (max {:.0} %), {} per frame; RSS {:.1} → {:.1} MiB{}{}",
        u.pid,
        pct(u.cpu_percent_steady),
        u.cpu_percent_max,
        match (u.cpu_us_per_frame, u.cpu_kernel_us_per_frame) {
            (Some(all), Some(kernel)) => format!("{all:.1} µs ({kernel:.1} µs of it in the kernel)"),
            (Some(all), None) => format!("{all:.1} µs"),
            (None, _) => "-".into(),
        },
        u.rss_baseline_kib as f64 / 1024.0,
        u.rss_steady_mean_kib.unwrap_or(u.rss_peak_kib) as f64 / 1024.0,
        match (u.rss_per_call_bytes, &u.per_call_withheld) {
            (Some(b), _) => format!(", {:.1} KiB per call", b / 1024.0),
            (None, Some(why)) => format!(", no figure per call ({why})"),
            (None, None) => String::new(),
        },
        u.rss_slope_kib_per_minute
            .map_or(String::new(), |s| format!(", trend {s:+.0} KiB/min")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loadtest::report::tests::sample_report;
    use crate::loadtest::stats::{CallStats, Stage, Totals};

    #[test]
    fn the_summary_names_every_figure_and_what_is_missing() {
        let mut totals = Totals::default();
        let mut call = CallStats::new();
        call.frames.sent = 100;
        call.frames.received = 100;
        for us in [800, 900, 6_000] {
            call.rtt_steady.saturating_record(us);
        }
        call.rtt_timeline.record(1_000_000, 800);
        call.interruptions_sent = 1;
        call.clears = 1;
        call.interruption_to_clear_us = vec![700];
        totals.add(&call);
        totals.add(&CallStats::failed(Stage::Webhook, "HTTP 403"));
        let mut report = sample_report(&totals);
        report.phases.ramp_s = 0.0;
        report.phases.steady_s = 20.0;
        report.agent = Some(ProcessUsage {
            pid: 9,
            cpu_seconds: 3.0,
            cpu_percent_steady: Some(15.0),
            cpu_percent_max: 16.0,
            cpu_us_per_frame: Some(17.94),
            cpu_kernel_us_per_frame: Some(9.06),
            rss_baseline_kib: 10_240,
            rss_peak_kib: 12_288,
            rss_end_kib: 12_288,
            rss_steady_mean_kib: Some(12_288),
            rss_per_call_bytes: None,
            per_call_withheld: None,
            rss_slope_kib_per_minute: None,
            threads_max: 2,
            sampling_error: None,
            timeline: Vec::new(),
        });
        let text = render(&report);
        for expected in [
            "2 placed, 1 connected, 0 refused, 1 failed to connect",
            "1 × webhook: HTTP 403",
            "100 sent, 100 back, 0 lost",
            "echo round trip, all calls up",
            "p99 ≤ 5 ms in 1 of 1 whole 10 s windows",
            "1 pressed, 1 cleared",
            "interruption → clear in bridge",
            "frame read → written (excludes time queued in its sockets)",
            "server      CPU/RSS n/a",
            "CPU 15 % steady (max 16 %), 17.9 µs (9.1 µs of it in the kernel) per frame",
            "150 % busy",
            "machine         AMD EPYC, Linux 6.18.44",
            "caller frames queued unread in the bridge's sockets",
            "mean ≈ 300 µs (Little's law: 5070 bytes queued on average, sampled each second, at 16.9 MB/s)",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
        assert!(text.contains("webhook answer                   n/a"), "{text}");
    }
}
