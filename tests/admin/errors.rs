//! Bad input exits 2 with one line naming the flag; other failures exit 1; nothing goes to
//! stdout. The database is found as `serve` finds it, and a missing SQLite file is refused.

use crate::support::{admin, admin_in};

#[tokio::test]
async fn a_bad_value_is_exit_two_with_the_flag_named() {
    let store = switchboard::store::testing::sqlite().await;
    let cases: &[(&[&str], &str)] = &[
        (&["plans", "set", "pro", "--max-agents", "many"], "--max-agents"),
        (
            &["plans", "set", "pro", "--monthly-minutes", "lots"],
            "--monthly-minutes",
        ),
        (
            &["plans", "set", "pro", "--phone-numbers", "maybe"],
            "--phone-numbers",
        ),
        (&["plans", "set", "pro"], "--max-agents"),
        (
            &["accounts", "create", "--name", "B", "--timezone", "EST"],
            "--timezone",
        ),
        (&["accounts", "create", "--name", "B", "--plan", "gold"], "--plan"),
        (&["accounts", "create", "--name", "  "], "--name"),
        (&["accounts", "list", "--limit", "0"], "--limit"),
        (&["accounts", "list", "--cursor", "' OR 1=1"], "--cursor"),
        (&["accounts", "list", "--bogus"], "--bogus"),
        (&["keys", "create", "--name", "x"], "--operator"),
        (
            &["keys", "create", "--operator", "--account", "a", "--name", "x"],
            "--account",
        ),
        (&["keys", "list", "--operator", "--limit", "201"], "--limit"),
    ];
    for (args, flag) in cases {
        for json in [false, true] {
            let mut all = args.to_vec();
            if json {
                all.push("--json");
            }
            let run = admin(&store, &all).await;
            let line = run.failure(2);
            assert!(line.contains(flag), "{args:?}: {flag} is named in {line}");
        }
    }
    let run = admin(
        &store,
        &["accounts", "create", "--name", "B", "--timezone", "EST"],
    )
    .await;
    assert!(
        run.failure(2).contains("America/New_York"),
        "the zone meant: {}",
        run.stderr
    );
    let run = admin(&store, &["accounts", "create", "--name", "B", "--plan", "gold"]).await;
    assert!(
        run.failure(2).contains("business, free, pro"),
        "the plans: {}",
        run.stderr
    );
    assert!(
        store
            .accounts(&Default::default())
            .await
            .unwrap()
            .items
            .is_empty(),
        "nothing made"
    );
}

#[tokio::test]
async fn a_bad_key_name_is_named_and_leaves_no_account_behind() {
    let store = switchboard::store::testing::sqlite().await;
    let run = admin(
        &store,
        &["accounts", "create", "--name", "Dental", "--key-name", " "],
    )
    .await;
    let line = run.failure(2);
    assert!(line.contains("--key-name"), "{line}");
    assert!(
        store
            .accounts(&Default::default())
            .await
            .unwrap()
            .items
            .is_empty(),
        "no account without its key"
    );
}

#[tokio::test]
async fn a_row_that_is_not_there_is_exit_one() {
    let store = switchboard::store::testing::sqlite().await;
    let missing = "0193b1c2-0000-7000-8000-000000000000";
    for args in [
        vec!["accounts", "show", missing],
        vec!["accounts", "set", missing, "--name", "X"],
        vec!["plans", "set", "gold", "--max-agents", "1"],
        vec!["keys", "revoke", missing, "--operator"],
    ] {
        let run = admin(&store, &args).await;
        assert!(run.failure(1).contains("not found"), "{args:?}: {}", run.stderr);
    }
}

#[tokio::test]
async fn a_missing_sqlite_file_is_refused_unless_created_and_the_url_comes_as_for_serve() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("admin.db");
    let url = format!("sqlite://{}", file.display());
    let run = admin_in(dir.path(), &[], &["--database-url", &url, "plans", "list"]).await;
    assert!(run.failure(1).contains("--create-database"), "{}", run.stderr);
    assert!(!file.exists(), "nothing made");

    // The environment's URL, with the file created on request; migrations run (the plans exist).
    let env = [("SWITCHBOARD_DATABASE_URL", url.as_str())];
    let plans = admin_in(
        dir.path(),
        &env,
        &["--create-database", "plans", "list", "--json"],
    )
    .await
    .json();
    assert_eq!(plans.as_array().unwrap().len(), 3);
    assert!(file.exists());

    // The config file's URL, by --config and by SWITCHBOARD_CONFIG.
    let config = dir.path().join("switchboard.toml");
    std::fs::write(&config, format!("database_url = {url:?}\n")).unwrap();
    let made = admin_in(
        dir.path(),
        &[],
        &[
            "--config",
            config.to_str().unwrap(),
            "accounts",
            "create",
            "--name",
            "Filed",
            "--json",
        ],
    )
    .await
    .json();
    let env = [("SWITCHBOARD_CONFIG", config.to_str().unwrap())];
    let listed = admin_in(dir.path(), &env, &["accounts", "list", "--json"])
        .await
        .json();
    assert_eq!(listed["data"][0]["id"], made["account"]["id"]);

    // The default: switchboard.db in the working directory.
    let run = admin_in(dir.path(), &[], &["plans", "list"]).await;
    assert!(run.failure(1).contains("switchboard.db"), "{}", run.stderr);
    admin_in(dir.path(), &[], &["--create-database", "plans", "list"])
        .await
        .text();
    assert!(dir.path().join("switchboard.db").exists());
}

#[cfg(unix)]
#[tokio::test]
async fn an_argument_that_is_not_utf8_is_exit_two_not_a_panic() {
    use std::os::unix::ffi::OsStrExt;

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("--log-format")
        .arg(std::ffi::OsStr::from_bytes(b"\xff"))
        .args(["admin", "plans", "list"])
        .env_clear()
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}
