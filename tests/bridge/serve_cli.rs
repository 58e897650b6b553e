//! `switchboard serve` as a user runs it: the real binary with a config file.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;

use crate::support::PATIENCE;

/// `switchboard serve --config <file>` with a SQLite database at `database`, and nothing from
/// this process's environment but PATH.
fn serve(dir: &Path, database: &Path, extra: &[&str]) -> Command {
    let config = dir.join("switchboard.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase_url = \"sqlite://{}\"\n[twilio]\nauth_token = \"t\"\n",
            database.display()
        ),
    )
    .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        // Calls on a machine running many tests at once: see `call.overload_lateness_ms`.
        .env("SWITCHBOARD_OVERLOAD_LATENESS_MS", "0")
        .env("SWITCHBOARD_OVERLOAD_DATABASE_MS", "0")
        .arg("serve")
        .arg("--config")
        .arg(&config)
        .args(extra);
    command
}

#[test]
fn serve_refuses_a_missing_database_file_and_names_the_flag_that_creates_it() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("missing.db");
    let output = serve(dir.path(), &database, &[]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("--create-database"), "{stderr}");
    assert!(
        stderr.contains("missing.db") && stderr.contains("does not exist"),
        "{stderr}"
    );
    assert!(!database.exists(), "nothing was created");
}

#[test]
fn serve_creates_the_database_file_when_told_to() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("new.db");
    let mut child = serve(dir.path(), &database, &["--create-database"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, serving) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let done = line.contains("switchboard is serving");
            let _ = lines.send(line);
            if done {
                return;
            }
        }
    });
    let mut seen = Vec::new();
    let started = loop {
        match serving.recv_timeout(PATIENCE) {
            Ok(line) if line.contains("switchboard is serving") => break true,
            Ok(line) => seen.push(line),
            Err(_) => break false,
        }
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(started, "{}", seen.join("\n"));
    assert!(database.exists());
}
