//! The load test's report: what was run and what it measured, as JSON (serde) for files and
//! comparisons between runs. Durations are whole microseconds (`_us`) unless named
//! otherwise; figures that could not be measured are `null`.

use serde::{Deserialize, Serialize};

use super::matcher::MatchCounts;
use super::stats::{CallCounts, MatchingCounts, Totals};
use super::timeline::RttWindow;

/// Bumped when a field changes meaning.
pub const REPORT_VERSION: u32 = 1;

/// Rounds a figure to three decimals: finer than any of them is measured, and short enough
/// that its JSON reads back as the same number.
pub fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadReport {
    pub version: u32,
    /// When the run began (RFC 3339, UTC).
    pub started_at: String,
    pub settings: Settings,
    /// Seconds: placing the calls, every call up, hanging up.
    pub phases: Phases,
    pub calls: CallCounts,
    /// Why calls failed or dropped, with how many did so.
    pub failures: Vec<Failure>,
    /// How echoes were paired with the frames they answer, in calls.
    pub matching: MatchingCounts,
    pub frames: FrameReport,
    /// Echo round trip through the bridge of frames sent while every call was up.
    pub echo_rtt: Option<LatencySummary>,
    /// The same for frames sent while calls were being placed or hung up.
    pub echo_rtt_outside_steady: Option<LatencySummary>,
    /// Round trips per 10 s window of the whole run: frames, and how many were slow.
    pub echo_rtt_timeline: Vec<RttWindow>,
    /// How late frames left after their 20 ms tick: the load generator's own lag, which
    /// also delays what it reads back.
    pub send_lag: Option<LatencySummary>,
    /// The voice webhook's answer, request to TwiML.
    pub webhook: Option<LatencySummary>,
    /// What the bridge answered the calls it refused with (TwiML verbs), with how many.
    #[serde(default)]
    pub refusals: Vec<Refusal>,
    /// The webhook's answer to the refused calls alone: how soon a caller over capacity hears so.
    #[serde(default)]
    pub refusal_answer: Option<LatencySummary>,
    /// The media-stream WebSocket handshake.
    pub stream_connect: Option<LatencySummary>,
    /// From `start` sent to the first audio back.
    pub first_audio: Option<LatencySummary>,
    pub interruptions: InterruptionReport,
    /// Figures from the bridge's `/metrics`, when it has switchboard's.
    pub bridge: Option<BridgeFigures>,
    /// How long the callers' frames waited unread in the bridge's sockets, on average: the
    /// part of the bridge's share of a round trip that its relay histogram leaves out.
    /// `null` when the bridge is not local or its queues could not be read
    /// (`bridge_receive_queue_withheld` says why).
    #[serde(default)]
    pub bridge_receive_queue: Option<ReceiveQueueWait>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge_receive_queue_withheld: Option<String>,
    pub server: Option<ProcessUsage>,
    pub agent: Option<ProcessUsage>,
    pub load_generator: Option<ProcessUsage>,
    /// The whole machine, to tell what else competed for it.
    pub machine: Option<MachineUsage>,
    /// Open-file limit of the load generator (soft, hard) during the run.
    pub open_file_limit: Option<(u64, u64)>,
    /// The harness itself was behind (`harness_check`): the round trips measure it as much as
    /// the bridge. `harness_warnings` says why.
    #[serde(default)]
    pub harness_behind: bool,
    #[serde(default)]
    pub harness_warnings: Vec<String>,
}

impl LoadReport {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("reports always serialize")
    }

    pub fn from_json(text: &str) -> Result<LoadReport, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Whether every call connected and none dropped.
    pub fn all_calls_connected(&self) -> bool {
        self.calls.refused == 0 && self.nothing_broke() && self.calls.connected > 0
    }

    /// Whether every call either streamed to the end or was refused cleanly: what a bridge
    /// loaded beyond its capacity should show.
    pub fn nothing_broke(&self) -> bool {
        self.calls.failed_to_connect == 0 && self.calls.dropped == 0
    }
}

/// What the run was asked to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub server: String,
    pub webhook_url: String,
    pub to: String,
    pub calls: u64,
    pub duration_s: f64,
    pub ramp_per_s: f64,
    pub fixture: String,
    pub interrupt_every_s: Option<f64>,
    /// `auto`, `tag` or `order`.
    pub matching: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Phases {
    pub ramp_s: f64,
    pub steady_s: f64,
    pub hang_up_s: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub reason: String,
    pub calls: u64,
}

/// Calls refused with the same TwiML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The answer's verbs, e.g. `Say, Hangup`.
    pub verbs: String,
    pub calls: u64,
}

/// Frames over all calls. See [`MatchCounts`] for each count's meaning per matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameReport {
    pub sent: u64,
    pub received: u64,
    pub lost: u64,
    /// `lost` by when in a call it happened; `null` when any call was matched by order,
    /// which counts missing audio, not which frames.
    #[serde(default)]
    pub lost_by_phase: Option<LostByPhase>,
    /// `null` when any call was matched by order, which cannot see reordering.
    pub out_of_order: Option<u64>,
    pub duplicated: u64,
    pub corrupted: u64,
    pub late: u64,
    pub unmatched: u64,
    pub sent_bytes: u64,
    pub received_bytes: u64,
}

/// Frames lost, by phase of their call (tag matching only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostByPhase {
    /// Numbered before the call's first echoed frame (or all, when nothing came back).
    pub before_first_echo: u64,
    /// Between the first and the last echoed frame.
    pub during_call: u64,
    /// Numbered after the call's last echoed frame.
    pub at_hang_up: u64,
}

impl FrameReport {
    fn new(f: &MatchCounts, matching: &MatchingCounts) -> Self {
        FrameReport {
            sent: f.sent,
            received: f.received,
            lost: f.lost,
            lost_by_phase: (matching.order == 0).then(|| LostByPhase {
                before_first_echo: f.lost_before_first_echo,
                during_call: f
                    .lost
                    .saturating_sub(f.lost_before_first_echo + f.lost_at_hang_up),
                at_hang_up: f.lost_at_hang_up,
            }),
            out_of_order: (matching.order == 0).then_some(f.out_of_order),
            duplicated: f.duplicated,
            corrupted: f.corrupted,
            late: f.late,
            unmatched: f.unmatched,
            sent_bytes: f.sent_bytes,
            received_bytes: f.received_bytes,
        }
    }
}

/// Quantiles of a latency distribution, in µs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub count: u64,
    pub mean_us: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
}

impl LatencySummary {
    /// `None` for an empty histogram.
    pub fn of(h: &hdrhistogram::Histogram<u64>) -> Option<LatencySummary> {
        (!h.is_empty()).then(|| LatencySummary {
            count: h.len(),
            mean_us: round3(h.mean()),
            p50_us: h.value_at_quantile(0.5),
            p90_us: h.value_at_quantile(0.9),
            p99_us: h.value_at_quantile(0.99),
            p999_us: h.value_at_quantile(0.999),
            max_us: h.max(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterruptionReport {
    /// DTMF `*` presses sent.
    pub sent: u64,
    /// `clear`s received.
    pub clears: u64,
    /// `clear`s with no key press waiting.
    pub unexpected_clears: u64,
    /// From the key press to the `clear`, end to end through the bridge and the agent.
    pub to_clear: Option<LatencySummary>,
}

/// Quantiles read from a Prometheus histogram, in µs: interpolated inside the bucket
/// (`p*_us`), and the bucket's upper bound, which the quantile cannot exceed (`p*_bound_us`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BucketSummary {
    pub count: u64,
    pub mean_us: Option<f64>,
    pub p50_us: Option<f64>,
    pub p99_us: Option<f64>,
    pub p999_us: Option<f64>,
    pub p50_bound_us: Option<f64>,
    pub p99_bound_us: Option<f64>,
    pub p999_bound_us: Option<f64>,
}

/// The bridge's own view of the run, from two scrapes of `/metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BridgeFigures {
    /// `switchboard_clear_latency_seconds`: agent interruption read → `clear` written.
    pub interruption_to_clear: Option<BucketSummary>,
    /// `switchboard_upstream_connect_seconds`: signed URL plus agent WebSocket handshake.
    pub upstream_connect: Option<BucketSummary>,
    /// `switchboard_relay_latency_seconds`, per direction: from a frame read → the frame
    /// written, inside the bridge. It excludes the time a frame waits, queued in the bridge's
    /// socket, before the bridge reads it, which under load is most of the bridge's part of
    /// a round trip; so it is not the bridge's share of the round trip (see
    /// `LoadReport::bridge_receive_queue` for an estimate of that wait).
    pub relay_caller_to_agent: Option<BucketSummary>,
    pub relay_agent_to_caller: Option<BucketSummary>,
    /// `switchboard_frames_relayed_total` during the run, per direction.
    pub frames_caller_to_agent: Option<u64>,
    pub frames_agent_to_caller: Option<u64>,
}

/// The mean time caller frames waited in the bridge's TCP receive queues (on its listening
/// port) before the bridge read them, over the steady window. Method: every sampling
/// interval (a second) the load generator sums the `rx_queue` bytes of the bridge's
/// connections on its port (`/proc/net/tcp{,6}`, for the socket inodes in
/// `/proc/<pid>/fd`); by Little's law the mean wait is the mean of those samples divided by
/// the rate at which the load generator wrote frame bytes (WebSocket framing included) to
/// the bridge. A mean from sparse samples, not a distribution; the queues from the agent
/// are not included.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReceiveQueueWait {
    /// Queue samples inside the steady window.
    pub samples: u64,
    pub mean_queued_bytes: f64,
    pub arrival_bytes_per_second: f64,
    pub mean_wait_us: f64,
}

/// CPU and memory of one process over the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessUsage {
    pub pid: u32,
    /// CPU time used during the run.
    pub cpu_seconds: f64,
    /// Average over the steady window; 100 is one core.
    pub cpu_percent_steady: Option<f64>,
    /// Highest over one sampling interval.
    pub cpu_percent_max: f64,
    /// CPU time in the steady window per caller frame sent (each one crosses a bridge
    /// twice: in, and back as the echo).
    pub cpu_us_per_frame: Option<f64>,
    /// Of `cpu_us_per_frame`, the part the kernel spent on the process's behalf (system
    /// time: its socket calls and wake-ups, mostly); the rest is the process's own code.
    #[serde(default)]
    pub cpu_kernel_us_per_frame: Option<f64>,
    /// Before the first call.
    pub rss_baseline_kib: u64,
    pub rss_peak_kib: u64,
    pub rss_end_kib: u64,
    pub rss_steady_mean_kib: Option<u64>,
    /// (steady mean − baseline) / calls up; withheld when too few calls or too short a window
    /// would make it noise (see `per_call_withheld`).
    pub rss_per_call_bytes: Option<f64>,
    /// Why the per-call figures are withheld, when they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_call_withheld: Option<String>,
    /// Least-squares trend of RSS over the steady window.
    pub rss_slope_kib_per_minute: Option<f64>,
    pub threads_max: u64,
    pub sampling_error: Option<String>,
    pub timeline: Vec<UsagePoint>,
}

/// The machine during the steady window. Percentages are of one core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineUsage {
    pub cpus: usize,
    /// The processor (`/proc/cpuinfo`'s `model name`) and the kernel release: the same work
    /// takes very different CPU time on different ones, so figures are compared only
    /// between reports that name the same.
    #[serde(default)]
    pub cpu_model: Option<String>,
    #[serde(default)]
    pub kernel: Option<String>,
    pub busy_percent_steady: Option<f64>,
    /// Busy time none of the watched processes accounts for.
    pub others_percent_steady: Option<f64>,
    /// Time the hypervisor gave to other guests.
    pub steal_percent_steady: Option<f64>,
}

/// One sampling interval, ending at `t_s` seconds into the run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UsagePoint {
    pub t_s: f64,
    pub cpu_percent: f64,
    pub rss_kib: u64,
}

/// Failure reasons, most common first.
pub fn refusals(totals: &Totals) -> Vec<Refusal> {
    let mut list: Vec<Refusal> = totals
        .refusals
        .iter()
        .map(|(verbs, &calls)| Refusal {
            verbs: verbs.clone(),
            calls,
        })
        .collect();
    list.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.verbs.cmp(&b.verbs)));
    list
}

pub fn failures(totals: &Totals) -> Vec<Failure> {
    let mut list: Vec<Failure> = totals
        .failures
        .iter()
        .map(|(reason, &calls)| Failure {
            reason: reason.clone(),
            calls,
        })
        .collect();
    list.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.reason.cmp(&b.reason)));
    list
}

pub fn frames(totals: &Totals) -> FrameReport {
    FrameReport::new(&totals.frames, &totals.matching)
}

pub fn interruptions(totals: &Totals) -> InterruptionReport {
    InterruptionReport {
        sent: totals.interruptions_sent,
        clears: totals.clears,
        unexpected_clears: totals.unexpected_clears,
        to_clear: LatencySummary::of(&totals.interruption_to_clear),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::loadtest::matcher::Matching;
    use crate::loadtest::stats::{CallStats, Stage};

    pub(crate) fn sample_report(totals: &Totals) -> LoadReport {
        LoadReport {
            version: REPORT_VERSION,
            started_at: "2026-11-21T23:00:00Z".into(),
            settings: Settings {
                server: "http://127.0.0.1:8080".into(),
                webhook_url: "http://127.0.0.1:8080/twilio/voice".into(),
                to: "+15550100200".into(),
                calls: 3,
                duration_s: 60.0,
                ramp_per_s: 50.0,
                fixture: "all".into(),
                interrupt_every_s: Some(5.0),
                matching: "auto".into(),
            },
            phases: Phases {
                ramp_s: 0.06,
                steady_s: 60.0,
                hang_up_s: 0.5,
            },
            calls: totals.calls,
            failures: failures(totals),
            matching: totals.matching,
            frames: frames(totals),
            echo_rtt: LatencySummary::of(&totals.rtt_steady),
            echo_rtt_outside_steady: LatencySummary::of(&totals.rtt_ramp),
            echo_rtt_timeline: totals.rtt_timeline.windows(),
            send_lag: LatencySummary::of(&totals.send_lag),
            webhook: LatencySummary::of(&totals.webhook),
            refusals: refusals(totals),
            refusal_answer: LatencySummary::of(&totals.refusal),
            stream_connect: LatencySummary::of(&totals.stream_connect),
            first_audio: LatencySummary::of(&totals.first_audio),
            interruptions: interruptions(totals),
            bridge: Some(BridgeFigures {
                interruption_to_clear: Some(BucketSummary {
                    count: 24,
                    mean_us: Some(80.0),
                    p50_us: Some(64.5),
                    p99_us: Some(200.0),
                    p999_us: Some(250.0),
                    p50_bound_us: Some(128.0),
                    p99_bound_us: Some(256.0),
                    p999_bound_us: Some(256.0),
                }),
                upstream_connect: None,
                relay_caller_to_agent: None,
                relay_agent_to_caller: None,
                frames_caller_to_agent: Some(9_000),
                frames_agent_to_caller: Some(8_990),
            }),
            bridge_receive_queue: Some(ReceiveQueueWait {
                samples: 60,
                mean_queued_bytes: 5_070.0,
                arrival_bytes_per_second: 16_900_000.0,
                mean_wait_us: 300.0,
            }),
            bridge_receive_queue_withheld: None,
            server: None,
            agent: None,
            load_generator: None,
            machine: Some(MachineUsage {
                cpus: 2,
                cpu_model: Some("AMD EPYC".into()),
                kernel: Some("6.18.44".into()),
                busy_percent_steady: Some(150.5),
                others_percent_steady: Some(3.25),
                steal_percent_steady: Some(0.0),
            }),
            open_file_limit: Some((20_000, 20_000)),
            harness_behind: false,
            harness_warnings: Vec::new(),
        }
    }

    #[test]
    fn a_report_reads_back_from_its_json() {
        let mut totals = Totals::default();
        let mut call = CallStats::new();
        call.matching = Some(Matching::Tag);
        call.frames.sent = 3_000;
        call.frames.received = 3_000;
        for us in [900, 1_100, 1_300, 20_000] {
            call.rtt_steady.saturating_record(us);
        }
        call.interruption_to_clear_us = vec![2_000, 2_500];
        call.interruptions_sent = 2;
        call.clears = 2;
        totals.add(&call);
        totals.add(&CallStats::failed(Stage::Stream, "HTTP 403"));
        totals.add(&CallStats::refused(&["Reject".to_owned()], 1_500));
        let report = sample_report(&totals);
        let json = report.to_json();
        let back = LoadReport::from_json(&json).unwrap();
        assert_eq!(back, report);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        for field in [
            "echo_rtt",
            "frames",
            "calls",
            "interruptions",
            "bridge",
            "webhook",
            "first_audio",
            "server",
        ] {
            assert!(value.get(field).is_some(), "{field} missing");
        }
        assert_eq!(value["echo_rtt"]["count"], 4);
        assert_eq!(value["frames"]["out_of_order"], 0);
        assert_eq!(value["failures"][0]["reason"], "stream: HTTP 403");
        assert_eq!(value["refusals"][0]["verbs"], "Reject");
        assert_eq!(value["refusal_answer"]["count"], 1);
        assert_eq!(value["calls"]["refused"], 1);
        assert_eq!(value["interruptions"]["to_clear"]["count"], 2);
        assert!(value["server"].is_null());
        assert!(!back.all_calls_connected());
    }

    #[test]
    fn a_report_from_before_the_machine_was_named_still_reads() {
        let mut value: serde_json::Value =
            serde_json::from_str(&sample_report(&Totals::default()).to_json()).unwrap();
        let machine = value["machine"].as_object_mut().unwrap();
        assert_eq!(machine.remove("cpu_model"), Some("AMD EPYC".into()));
        assert_eq!(machine.remove("kernel"), Some("6.18.44".into()));
        let back = LoadReport::from_json(&value.to_string()).unwrap();
        let machine = back.machine.unwrap();
        assert_eq!((machine.cpus, machine.cpu_model, machine.kernel), (2, None, None));
    }

    #[test]
    fn order_matching_cannot_report_reordering() {
        let mut totals = Totals::default();
        let mut call = CallStats::new();
        call.matching = Some(Matching::Order);
        totals.add(&call);
        assert_eq!(frames(&totals).out_of_order, None);
    }

    #[test]
    fn summaries_of_empty_histograms_are_absent() {
        assert_eq!(LatencySummary::of(&Totals::default().rtt_steady), None);
    }
}
