//! The benchmark scripts' own logic, without a load: both parse, and the capacity search
//! (`scripts/bench-capacity.sh`) bisects, judges each trial and writes its summary when its
//! trials are a stand-in that writes reports by a known rule.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts").join(name)
}

/// A stand-in for `bench-loadtest.sh`: logs its arguments, and writes the report a run of
/// CALLS calls would: up to 600 the bridge keeps up; up to 900 the round trips are fine but
/// the harness is behind; beyond, the echo p99 is 30 ms.
const FAKE_TRIAL: &str = r#"#!/usr/bin/env bash
set -euo pipefail
calls=$1
echo "$* max_calls=$SWITCHBOARD_MAX_CALLS" >>"$(dirname "$0")/trials.log"
while [[ $# -gt 0 && $1 != --report ]]; do shift; done
behind=false; warnings='[]'; p99=4000
if (( calls > 600 )); then behind=true; warnings='["the machine was 195 % busy"]'; fi
if (( calls > 900 )); then behind=false; warnings='[]'; p99=30000; fi
cat >"$2" <<EOF
{"calls": {"attempted": $calls, "connected": $calls, "completed": $calls, "failed_to_connect": 0,
           "dropped": 0, "refused": 0},
 "frames": {"sent": $((calls * 3000)), "lost": 0},
 "echo_rtt": {"p50_us": 800, "p99_us": $p99},
 "harness_behind": $behind, "harness_warnings": $warnings,
 "server": {"cpu_percent_steady": 50.0},
 "machine": {"busy_percent_steady": 120.0, "others_percent_steady": 1.5, "steal_percent_steady": 0.0}}
EOF
"#;

/// A stand-in for the binary's `machine-speed` probe.
const FAKE_BINARY: &str = r#"#!/usr/bin/env bash
[[ $1 == machine-speed ]] || exit 3
echo '{"ops_per_round":25000000,"checksum":1,"rounds":[{"wall_s":0.5,"cpu_s":0.5}],"mops_per_cpu_s":50.0}'
"#;

fn write_executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Runs the capacity search against the stand-ins in `dir`, with `env` on top of quiet-wait
/// and bound settings that keep it instant.
fn capacity_search(dir: &Path, env: &[(&str, &str)]) -> Output {
    write_executable(&dir.join("trial"), FAKE_TRIAL);
    write_executable(&dir.join("switchboard"), FAKE_BINARY);
    let mut command = Command::new("bash");
    command
        .arg(script("bench-capacity.sh"))
        .args(["--ramp", "100/s"])
        .env("BENCH_LOADTEST", dir.join("trial"))
        .env("SWITCHBOARD_BIN", dir.join("switchboard"))
        .env("OUT", dir.join("out"))
        .env("QUIET_SECONDS", "0")
        .env("BUDGET", "100000")
        .env_remove("SWITCHBOARD_MAX_CALLS");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("bash runs")
}

fn summary(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("out/summary.json")).expect("summary written");
    serde_json::from_str(&text).expect("summary is JSON")
}

#[test]
fn the_bench_scripts_parse() {
    for name in ["bench-loadtest.sh", "bench-capacity.sh"] {
        let out = Command::new("bash").arg("-n").arg(script(name)).output().unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_capacity_search_bisects_and_counts_a_behind_harness_as_failing() {
    let dir = tempfile::tempdir().unwrap();
    let out = capacity_search(dir.path(), &[("MAX_TRIALS", "10")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // 800 (behind), 450, 625 (behind), 525, 575, 600: known to within 25.
    let last = stdout.lines().last().unwrap();
    assert!(
        last.starts_with("capacity: 600 calls (passed at 600, failed at 625)"),
        "{stdout}"
    );
    assert!(stdout.contains("trial 1: 800 calls: FAIL (harness behind: the machine was 195 % busy)"));
    let summary = summary(dir.path());
    assert_eq!(summary["capacity"], 600);
    assert_eq!(summary["failed_at"], 625);
    assert_eq!(summary["stopped_by"], "resolved");
    assert_eq!(summary["machine"]["mops_per_cpu_s"], 50.0);
    assert!(summary["machine"]["nproc"].as_u64().unwrap() >= 1);
    let trials = summary["trials"].as_array().unwrap();
    let tried: Vec<u64> = trials.iter().map(|t| t["calls"].as_u64().unwrap()).collect();
    assert_eq!(tried, [800, 450, 625, 525, 575, 600]);
    assert_eq!(trials[1]["passed"], true);
    assert_eq!(trials[1]["others_percent_steady"], 1.5);
    // Every trial ran the format and the flags given, with the bridge's own cap lifted.
    let log = std::fs::read_to_string(dir.path().join("trials.log")).unwrap();
    assert_eq!(log.lines().count(), 6);
    for line in log.lines() {
        assert!(line.contains(" 60 ulaw_8000 --quiet --report "), "{line}");
        assert!(line.ends_with("--ramp 100/s max_calls=0"), "{line}");
    }
}

#[test]
fn the_capacity_search_says_when_it_stopped_before_resolving() {
    let dir = tempfile::tempdir().unwrap();
    let out = capacity_search(dir.path(), &[("MAX_TRIALS", "2")]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.lines().last().unwrap().starts_with(
            "capacity: 450 calls (passed at 450, failed at 800; stopped by max_trials before resolving to 25)"
        ),
        "{stdout}"
    );
    assert_eq!(summary(dir.path())["stopped_by"], "max_trials");

    let dir = tempfile::tempdir().unwrap();
    let out = capacity_search(dir.path(), &[("LOW", "950"), ("HIGH", "1200")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("capacity: below 975 calls (every trial failed; LOW=950 was not tried)"),
        "{stdout}"
    );
}

#[test]
fn bad_settings_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    for (env, expected) in [
        (("LOW", "ten"), "LOW=ten is not a whole number"),
        (("HIGH", "50"), "LOW=100 and HIGH=50 leave no call count to try"),
        (("STEP", "0"), "STEP must be at least 1"),
        (
            ("FORMAT", "pcm_8000"),
            "FORMAT=pcm_8000: expected ulaw_8000 or pcm_16000",
        ),
    ] {
        let out = capacity_search(dir.path(), &[env]);
        assert_eq!(out.status.code(), Some(2), "{env:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{env:?}: {stderr}");
    }
    assert!(!dir.path().join("trials.log").exists(), "no trial ran");
}
