//! The binary as a new operator meets it: a bad setting, `serve --help`, a demo flag that
//! cannot work alone.

use std::process::{Command, Output};

fn switchboard(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command.args(args).env_remove("SWITCHBOARD_CONFIG");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the binary runs")
}

#[test]
fn a_bad_setting_stops_serve_with_one_line_naming_it_and_no_backtrace() {
    let out = switchboard(
        &["serve"],
        &[
            ("SWITCHBOARD_LISTEN", "not-an-address"),
            ("TWILIO_AUTH_TOKEN", "x"),
            ("RUST_BACKTRACE", "1"),
            ("RUST_LIB_BACKTRACE", "1"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: SWITCHBOARD_LISTEN = \"not-an-address\" is not valid"),
        "{stderr}"
    );
}

#[test]
fn serve_help_lists_the_environment() {
    let out = switchboard(&["serve", "--help"], &[]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for variable in [
        "SWITCHBOARD_CONFIG",
        "SWITCHBOARD_LISTEN",
        "SWITCHBOARD_PUBLIC_URL",
        "SWITCHBOARD_DATABASE_URL",
        "SWITCHBOARD_TOOL_SECRET",
        "TWILIO_AUTH_TOKEN",
        "ELEVENLABS_API_KEY",
        "ELEVENLABS_API_BASE",
        "SWITCHBOARD_LOG_MASK_NUMBERS",
        "RUST_LOG",
    ] {
        assert!(help.contains(variable), "{variable} missing from:\n{help}");
    }
}

#[test]
fn a_demo_call_with_the_echo_agent_is_refused_at_once_with_what_to_run() {
    let out = switchboard(&["demo", "--agent-mode", "echo"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("only makes sense with --serve") && stderr.contains("demo --serve --agent-mode echo"),
        "{stderr}"
    );
}
