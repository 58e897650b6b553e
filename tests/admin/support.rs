//! Runs the built `switchboard admin` against a test database and reads what it printed.

use std::future::Future;
use std::path::Path;

use serde_json::Value;

use switchboard::store::testing::{self, TestStore};

/// What one run of the binary left.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

#[allow(dead_code)] // each test file uses some of it
impl Run {
    /// The one JSON document a successful `--json` run printed.
    #[track_caller]
    pub fn json(&self) -> Value {
        assert_eq!(self.code, 0, "the command failed: {}", self.stderr);
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}", self.stdout))
    }

    /// The text a successful run printed.
    #[track_caller]
    pub fn text(&self) -> &str {
        assert_eq!(self.code, 0, "the command failed: {}", self.stderr);
        &self.stdout
    }

    /// The one line a failed run printed on stderr, after checking its exit code and that
    /// stdout stayed empty.
    #[track_caller]
    pub fn failure(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "stdout: {} stderr: {}", self.stdout, self.stderr);
        assert!(self.stdout.is_empty(), "nothing on stdout: {}", self.stdout);
        let line = self.stderr.trim_end_matches('\n');
        assert!(
            !line.is_empty() && !line.contains('\n'),
            "one line on stderr: {line:?}"
        );
        assert!(line.starts_with("error: "), "{line}");
        assert!(
            !line.contains("panicked") && !line.contains("backtrace"),
            "{line}"
        );
        line
    }
}

/// Runs `switchboard admin <args>` in a clean environment (plus `env`), from `dir`.
pub async fn admin_in(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("admin")
        .args(args)
        .env_clear()
        .env("RUST_BACKTRACE", "1")
        .envs(env.iter().copied())
        .current_dir(dir)
        .kill_on_drop(true)
        .output()
        .await
        .expect("the switchboard binary runs");
    Run {
        code: output.status.code().expect("the binary exits, not killed"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// Runs `switchboard admin --database-url <the store's URL> <args>`.
pub async fn admin(store: &TestStore, args: &[&str]) -> Run {
    let url = store.url();
    let mut all = vec!["--database-url", url.as_str()];
    all.extend_from_slice(args);
    admin_in(&std::env::temp_dir(), &[], &all).await
}

/// Runs `scenario` on a fresh SQLite database, then on PostgreSQL when the tests have one.
pub async fn on_each_backend<F, Fut>(scenario: F)
where
    F: Fn(TestStore) -> Fut,
    Fut: Future<Output = ()>,
{
    scenario(testing::sqlite().await).await;
    if let Some(store) = testing::postgres().await {
        scenario(store).await;
    }
}

/// The string at `pointer` in `value`.
#[track_caller]
pub fn text_at(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {value}"))
        .to_owned()
}

/// The value of `label: value` in text for people.
#[allow(dead_code)]
#[track_caller]
pub fn value_of(text: &str, label: &str) -> String {
    text.lines()
        .find_map(|line| line.strip_prefix(label)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("no {label}: in {text}"))
        .trim()
        .to_owned()
}
