//! Short load-test runs against a bridge on loopback with the echo agent behind it: the
//! report's figures must be the ones a healthy bridge gives (every frame back, in order,
//! intact; clears for key presses; the bridge's own metrics read back), on both the μ-law
//! pass-through path and with transcoding, and failures must show as failures.

// Shared with other tests; this one needs only the bridge's address and number.

use std::time::Duration;

use crate::support::{TestBridge, echo_agent};
use switchboard::audio::{AudioFormat, FixtureDir};
use switchboard::loadtest::{ALL_CLIPS, CallerAudio, LoadReport, LoadTestConfig};

fn config(bridge: &TestBridge, calls: u64, seconds: u64) -> LoadTestConfig {
    LoadTestConfig {
        server: bridge.base_url.clone(),
        webhook_path: "/twilio/voice".into(),
        to: bridge.number().to_owned(),
        from: "+15005550006".into(),
        auth_token: bridge.auth_token.clone(),
        calls,
        duration: Duration::from_secs(seconds),
        ramp_per_second: 50.0,
        audio: CallerAudio::load(&FixtureDir::bundled(), ALL_CLIPS).unwrap(),
        interrupt_every: None,
        matching: None,
        drain: Duration::from_secs(2),
        server_pid: None,
        agent_pid: None,
        sample_interval: Duration::from_millis(250),
        progress_bar: false,
        open_file_limit: None,
    }
}

fn assert_every_frame_came_back(report: &LoadReport, calls: u64, seconds: u64) {
    assert_eq!(report.calls.attempted, calls);
    assert_eq!(report.calls.completed, calls, "{:?}", report.failures);
    assert!(report.all_calls_connected());
    let frames = &report.frames;
    // Every call streams through the whole steady window, at 50 frames a second.
    assert!(
        frames.sent >= calls * seconds * 50 * 9 / 10,
        "only {} frames sent",
        frames.sent
    );
    assert_eq!(frames.lost, 0, "{frames:?}");
    if report.matching.order == 0 {
        let phases = frames.lost_by_phase.expect("phases with tags");
        assert_eq!(
            (phases.before_first_echo, phases.during_call, phases.at_hang_up),
            (0, 0, 0)
        );
    } else {
        assert_eq!(
            frames.lost_by_phase, None,
            "order matching cannot tell which frames"
        );
    }
    assert_eq!((frames.duplicated, frames.corrupted, frames.late), (0, 0, 0));
    let rtt = report.echo_rtt.expect("round trips while every call was up");
    assert!(rtt.count > 0 && rtt.p50_us > 0, "{rtt:?}");
    assert!(rtt.p50_us <= rtt.p99_us && rtt.p99_us <= rtt.max_us);
    assert!(rtt.max_us < 2_000_000, "{rtt:?}");
    let webhook = report.webhook.expect("webhook answer times");
    assert_eq!(webhook.count, calls);
    assert_eq!(report.stream_connect.map(|s| s.count), Some(calls));
    assert_eq!(report.first_audio.map(|s| s.count), Some(calls));
    assert!(report.phases.steady_s >= seconds as f64 - 0.05);
    // A run of seconds gives no memory figure per call, and says why.
    if let Some(server) = &report.server {
        assert_eq!(server.rss_per_call_bytes, None);
        assert!(
            server
                .per_call_withheld
                .as_deref()
                .is_some_and(|why| why.contains("per-call figures need")),
            "{server:?}"
        );
    }
    // The harness flag and its reasons go together, whatever the machine's load.
    assert_eq!(report.harness_behind, !report.harness_warnings.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_pass_through_run_gets_every_frame_back_and_every_interruption_cleared() {
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let bridge = TestBridge::start(&agent).await;
    let (calls, seconds) = (5, 3);
    let mut config = config(&bridge, calls, seconds);
    config.interrupt_every = Some(Duration::from_millis(700));
    let report = switchboard::loadtest::run(config).await.unwrap();

    assert_every_frame_came_back(&report, calls, seconds);
    assert_eq!(report.matching.tag, calls, "μ-law comes back byte for byte");
    assert_eq!(report.frames.out_of_order, Some(0));
    assert_eq!(report.frames.received, report.frames.sent);
    assert_eq!(report.frames.unmatched, 0);

    let presses = &report.interruptions;
    assert!(presses.sent >= calls * 3, "{presses:?}");
    assert_eq!(presses.unexpected_clears, 0);
    // A press in the last moments of a call may still be on its way when it hangs up.
    assert!(presses.clears + calls >= presses.sent, "{presses:?}");
    let to_clear = presses.to_clear.expect("key press → clear times");
    assert_eq!(to_clear.count, presses.clears);
    assert!(to_clear.p50_us > 0);

    let inside = report.bridge.as_ref().expect("the bridge is switchboard");
    let clear_in_bridge = inside.interruption_to_clear.expect("clears timed by the bridge");
    assert!(clear_in_bridge.count >= presses.clears, "{clear_in_bridge:?}");
    assert!(clear_in_bridge.p99_bound_us.unwrap() > 0.0);
    assert_eq!(inside.frames_caller_to_agent, Some(report.frames.sent));
    assert_eq!(inside.frames_agent_to_caller, Some(report.frames.received));
    assert!(inside.upstream_connect.is_some_and(|u| u.count == calls));

    // The bridge runs in this process: found by its port, sampled like any server.
    let server = report.server.as_ref().expect("the server's CPU and RSS");
    assert_eq!(server.pid, std::process::id());
    assert!(server.rss_baseline_kib > 0 && server.cpu_seconds > 0.0);
    let all = server.cpu_us_per_frame.expect("CPU per frame");
    assert!(all > 0.0);
    assert!(
        server
            .cpu_kernel_us_per_frame
            .is_some_and(|kernel| (0.0..=all).contains(&kernel))
    );
    assert!(server.timeline.len() >= 4);
    let machine = report.machine.as_ref().expect("the machine's figures");
    assert!(
        machine.kernel.as_deref().is_some_and(|k| !k.is_empty()),
        "{machine:?}"
    );

    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    for field in [
        "echo_rtt",
        "frames",
        "calls",
        "webhook",
        "first_audio",
        "interruptions",
        "bridge",
        "server",
        "phases",
        "settings",
    ] {
        assert!(!json[field].is_null(), "{field} is missing: {json}");
    }
    assert_eq!(LoadReport::from_json(&report.to_json()).unwrap(), report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transcoded_run_is_matched_by_order_and_loses_no_audio() {
    let agent = echo_agent(AudioFormat::Pcm { rate: 16000 }).await;
    let bridge = TestBridge::start(&agent).await;
    let (calls, seconds) = (3, 2);
    let report = switchboard::loadtest::run(config(&bridge, calls, seconds))
        .await
        .unwrap();

    assert_every_frame_came_back(&report, calls, seconds);
    assert_eq!(report.matching.order, calls, "transcoding changes the bytes");
    assert_eq!(
        report.frames.out_of_order, None,
        "order matching cannot see reordering"
    );
    // The resamplers' filter delay: less than one frame of audio short per call.
    let short = report.frames.sent_bytes - report.frames.received_bytes;
    assert!(short < 160 * calls, "{} bytes short", short);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_the_bridge_refuses_are_failures() {
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let bridge = TestBridge::start(&agent).await;
    let mut config = config(&bridge, 3, 1);
    config.auth_token = "not-the-token".into();
    let report = switchboard::loadtest::run(config).await.unwrap();
    assert_eq!(report.calls.failed_to_connect, 3);
    assert_eq!(report.calls.connected, 0);
    assert!(!report.all_calls_connected());
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].reason, "webhook: HTTP 403");
    assert_eq!(report.failures[0].calls, 3);
    assert_eq!(report.echo_rtt, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_the_bridge_answers_without_a_stream_are_refusals_not_failures() {
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let bridge = TestBridge::start(&agent).await;
    let mut config = config(&bridge, 3, 1);
    config.to = "+15005550199".into();
    let report = switchboard::loadtest::run(config).await.unwrap();
    assert_eq!((report.calls.refused, report.calls.connected), (3, 0));
    assert_eq!(report.calls.failed_to_connect, 0);
    assert!(report.nothing_broke() && !report.all_calls_connected());
    assert_eq!(report.refusals.len(), 1, "{:?}", report.refusals);
    assert_eq!(report.refusals[0].calls, 3);
    assert!(
        report.refusals[0].verbs.starts_with("Say"),
        "{:?}",
        report.refusals
    );
    assert_eq!(report.refusal_answer.map(|a| a.count), Some(3));
    assert_eq!(report.echo_rtt, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_beyond_the_servers_limit_are_refused_in_twiml_and_the_others_stream_to_the_end() {
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let bridge = TestBridge::start_with(&agent, |config| config.call.max_calls = 2).await;
    let report = switchboard::loadtest::run(config(&bridge, 4, 1)).await.unwrap();
    assert_eq!(
        (report.calls.connected, report.calls.completed),
        (2, 2),
        "{:?}",
        report.failures
    );
    assert_eq!(report.calls.refused, 2);
    assert!(report.nothing_broke());
    assert_eq!(report.frames.lost, 0);
    assert_eq!(report.refusal_answer.map(|a| a.count), Some(2));
    let at_capacity = bridge
        .server
        .app
        .metrics
        .error_count(switchboard::telephony::ErrorKind::AtCapacity);
    assert_eq!(at_capacity, 2);
}
