//! `switchboard sim twilio` as a process: its flags (numbers owned, failures to answer) take
//! effect, and bad ones are refused naming what is wrong.

use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{ACCOUNT_SID, PATIENCE, assert_error, read};

fn command() -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command.args([
        "sim",
        "twilio",
        "--account-sid",
        ACCOUNT_SID,
        "--auth-token",
        "cli-token",
    ]);
    command
        .env_remove("TWILIO_ACCOUNT_SID")
        .env_remove("TWILIO_AUTH_TOKEN");
    command
}

#[tokio::test]
async fn the_flags_own_numbers_and_fail_requests() {
    switchboard::tls::install_crypto_provider();
    let mut child = command()
        .args(["--listen", "127.0.0.1:0", "--number", "+14155550100"])
        .args([
            "--fail",
            "GET /2010-04-01/Accounts/*/IncomingPhoneNumbers.json=1:503",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let find_base = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(rest) = line.split(" on http://").nth(1) {
                return format!("http://{}", rest.split(';').next().unwrap());
            }
        }
        panic!("the stand-in exited before saying where it listens");
    };
    let base = tokio::time::timeout(PATIENCE, find_base).await.unwrap();
    let url = format!("{base}/2010-04-01/Accounts/{ACCOUNT_SID}/IncomingPhoneNumbers.json");
    let http = reqwest::Client::new();
    let get = || http.get(&url).basic_auth(ACCOUNT_SID, Some("cli-token")).send();
    assert_error(&read(get().await.unwrap()).await, 503, 20503);
    let (status, page) = read(get().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(page["incoming_phone_numbers"][0]["phone_number"], "+14155550100");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn bad_flags_are_refused_naming_what_is_wrong() {
    for (args, says) in [
        (vec!["--fail", "POST IncomingPhoneNumbers.json"], "--fail"),
        (vec!["--number", "415-555-0100"], "415-555-0100"),
        (vec!["--callee-say", "no-such-clip"], "no-such-clip"),
    ] {
        let out = command().args(&args).output().await.unwrap();
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
