//! Independent checks of the API against its own OpenAPI document, by tools that share no code
//! with it: `openapi-spec-validator` reads the served document as OpenAPI 3.1, and
//! `schemathesis` fuzzes a live server from that document, once with an account's key (over an
//! account with rows in it) and once with an operator's key over the operator's endpoints.
//!
//! schemathesis fails a run on a 5xx, a status, a content type or a body the document does not
//! give for the operation; the test then panics with its report, whose `curl` lines reproduce
//! each failure. Its runs are bounded (examples per operation, one worker, a hard timeout on
//! the process) and derandomized with a fixed seed, so CI gets the same requests every time.
//! Both tools come from `tests/python/requirements.txt` (`SWITCHBOARD_SKIP_PYTHON=1` skips).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::Command;

use crate::business::business;
use crate::python::{Python, python_with_package};
use crate::support::TestApi;
use jiff::{SignedDuration, Timestamp};
use switchboard::store::testing;
use switchboard::store::{CallDirection, NewCallRecord};

/// The operations only an operator's key may call (they answer an account's key 403 and
/// nothing more); the operator's run covers them.
const OPERATOR_OPERATIONS: &str = "^(list_accounts|create_account|get_account|update_account|update_plan)$";
/// What the account's run leaves out: the operator's operations, and revoking keys, fuzzed on
/// its own, since schemathesis revokes any key `GET /keys` lists, the calling one too, after
/// which the run's key is refused.
const NOT_IN_THE_ACCOUNT_RUN: &str =
    "^(list_accounts|create_account|get_account|update_account|update_plan|revoke_key)$";
/// What schemathesis checks on every answer.
const CHECKS: &str =
    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";
/// Generated requests per operation and phase; small, so a run takes a few minutes on two busy
/// cores.
const MAX_EXAMPLES: u32 = 25;
/// A run that takes longer is killed and fails the test.
const RUN_TIMEOUT: Duration = Duration::from_secs(600);

#[tokio::test]
async fn the_served_document_is_valid_openapi_3_1() {
    let test = "the_served_document_is_valid_openapi_3_1";
    let Some(python) = python_with_package(test, "openapi-spec-validator") else {
        return;
    };
    let api = TestApi::start(testing::sqlite().await).await;
    let document = served_document(&api).await;
    assert_eq!(
        document["openapi"].as_str().map(|v| &v[..4]),
        Some("3.1."),
        "{document}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&document).unwrap()).unwrap();

    let out = run(python
        .tokio_command()
        .args(["-m", "openapi_spec_validator", "--schema", "3.1"])
        .args(["--validation-errors", "all", "--subschema-errors", "all"])
        .arg(&file))
    .await;
    assert!(
        out.status.success(),
        "openapi-spec-validator {} refuses the served document:\n{}{}",
        python.version,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn schemathesis_finds_no_defect_with_an_account_key() {
    let test = "schemathesis_finds_no_defect_with_an_account_key";
    let Some(python) = python_with_package(test, "schemathesis") else {
        return;
    };
    let api = TestApi::start(testing::sqlite().await).await;
    let key = seeded_business(&api).await;
    fuzz(
        &python,
        &api,
        &key,
        &["--exclude-operation-id-regex", NOT_IN_THE_ACCOUNT_RUN],
        KeyMayBeRevoked::No,
    )
    .await;
}

#[tokio::test]
async fn schemathesis_finds_no_defect_in_revoking_keys() {
    let test = "schemathesis_finds_no_defect_in_revoking_keys";
    let Some(python) = python_with_package(test, "schemathesis") else {
        return;
    };
    let api = TestApi::start(testing::sqlite().await).await;
    let key = seeded_business(&api).await;
    fuzz(
        &python,
        &api,
        &key,
        &[
            "--include-operation-id-regex",
            "^(list_keys|create_key|revoke_key)$",
        ],
        KeyMayBeRevoked::Yes,
    )
    .await;
}

#[tokio::test]
async fn schemathesis_finds_no_defect_in_the_operator_endpoints() {
    let test = "schemathesis_finds_no_defect_in_the_operator_endpoints";
    let Some(python) = python_with_package(test, "schemathesis") else {
        return;
    };
    let api = TestApi::start(testing::sqlite().await).await;
    // Rows for the reads and changes to find.
    seeded_business(&api).await;
    fuzz(
        &python,
        &api,
        &api.operator,
        &["--include-operation-id-regex", OPERATOR_OPERATIONS],
        KeyMayBeRevoked::No,
    )
    .await;
}

/// The demo dental practice (a host with weekly hours, event types, an agent) with a booking
/// and so a contact, a finished call and a second key: a row of each kind the API manages, for
/// the reads, changes and links schemathesis follows. Returns the account's key.
async fn seeded_business(api: &TestApi) -> String {
    let business = business(api).await;
    let key = business.key.clone();
    let start = business
        .free_cleanings(api)
        .await
        .into_iter()
        .next()
        .expect("an open cleaning");
    api.post(
        "/bookings",
        &key,
        json!({
            "event_type_id": business.demo.cleaning_id.as_str(),
            "start": start,
            "invitee_name": "Ada Lovelace",
            "invitee_phone": "+447700900123",
        }),
    )
    .await
    .expect(201);
    api.post("/keys", &key, json!({"name": "reception desk"}))
        .await
        .expect(201);
    let store = api.store.store();
    let started_at = Timestamp::now() - SignedDuration::from_mins(10);
    let sid = format!("CA{}", business.demo.agent_id.as_str().replace('-', ""));
    store
        .insert_call(
            &business.demo.account_id,
            NewCallRecord {
                agent_id: business.demo.agent_id.clone(),
                call_sid: sid.clone(),
                direction: CallDirection::Inbound,
                from_number: "+447700900123".into(),
                to_number: "+14155550100".into(),
                started_at,
            },
        )
        .await
        .unwrap()
        .unwrap();
    store
        .finish_call(
            &sid,
            started_at + Duration::from_secs(95),
            "caller_hung_up",
            Duration::from_secs(95),
        )
        .await
        .unwrap();
    key
}

async fn served_document(api: &TestApi) -> Value {
    let response = reqwest::get(format!("{}/api/v1/openapi.json", api.base_url))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

/// Runs schemathesis against the live server from its served document, with `key`; panics
/// with schemathesis's report (failures with their `curl` reproductions) unless it passes, and
/// unless its requests reached the handlers (some answered 2xx; none refused the key).
async fn fuzz(python: &Python, api: &TestApi, key: &str, filters: &[&str], revocable: KeyMayBeRevoked) {
    let workdir = tempfile::tempdir().unwrap();
    let har = workdir.path().join("requests.har");
    let out = run(python
        .tokio_command()
        .current_dir(workdir.path())
        .args(["-m", "schemathesis.cli", "run"])
        .arg(format!("{}/api/v1/openapi.json", api.base_url))
        .args(["--checks", CHECKS])
        .args(["--header", &format!("Authorization: Bearer {key}")])
        // Requests without the key would only meet the limiter of failed keys, which then
        // holds this address and answers every later request 429.
        .args(["--generation-with-security-parameters", "false"])
        .args(["--max-examples", &MAX_EXAMPLES.to_string()])
        .arg("--generation-deterministic")
        .args(["--workers", "1"])
        .args(["--request-timeout", "30"])
        .args(["--suppress-health-check", "too_slow"])
        .args(["--report", "har", "--report-har-path"])
        .arg(&har)
        .arg("--no-color")
        .args(filters))
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis {} found defects (exit {:?}):\n{}\n{}",
        python.version,
        out.status.code(),
        report(&stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let Answered { statuses, refused } = answered(&har);
    eprintln!("{stdout}\nstatuses answered: {statuses:?}");
    assert!(
        statuses.keys().any(|status| (200..300).contains(status)),
        "no request succeeded: {statuses:?}\n{stdout}"
    );
    assert!(
        revocable == KeyMayBeRevoked::Yes || (refused.is_empty() && !statuses.contains_key(&429)),
        "the key was refused, so the run tested little: {statuses:?}; refused: {refused:#?}"
    );
}

/// Whether a run may revoke its own key, and so meet 401s and then the limiter's 429s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyMayBeRevoked {
    Yes,
    No,
}

/// What a schemathesis run's requests got, from its HAR report.
struct Answered {
    /// How many answers of each status.
    statuses: BTreeMap<u16, usize>,
    /// The first requests whose key was refused (401), with their answers.
    refused: Vec<String>,
}

fn answered(har: &Path) -> Answered {
    let text = std::fs::read_to_string(har).unwrap_or_else(|e| panic!("{}: {e}", har.display()));
    let har: Value = serde_json::from_str(&text).unwrap();
    let mut answered = Answered {
        statuses: BTreeMap::new(),
        refused: Vec::new(),
    };
    for entry in har["log"]["entries"].as_array().expect("HAR entries") {
        let status = entry["response"]["status"].as_u64().expect("a status") as u16;
        *answered.statuses.entry(status).or_default() += 1;
        if status == 401 && answered.refused.len() < 5 {
            answered.refused.push(format!(
                "{} {} -> {}",
                entry["request"]["method"].as_str().unwrap_or("?"),
                entry["request"]["url"].as_str().unwrap_or("?"),
                entry["response"]["content"]["text"].as_str().unwrap_or("")
            ));
        }
    }
    answered
}

/// The part of schemathesis's output that says what failed and how to reproduce it.
fn report(stdout: &str) -> &str {
    stdout
        .find("FAILURES")
        .or_else(|| stdout.find("ERRORS"))
        .map_or(stdout, |start| &stdout[start..])
}

async fn run(command: &mut Command) -> Output {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    match tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output()).await {
        Ok(out) => out.unwrap(),
        Err(_) => panic!(
            "{} did not finish within {RUN_TIMEOUT:?}; it was killed",
            Path::new(command.as_std().get_program()).display()
        ),
    }
}

/// What the server refuses, the document says: schemathesis's own requests, generated from the
/// document, then never meet a refusal the document does not explain.
#[tokio::test]
async fn the_document_states_the_limits_the_server_enforces_on_shared_parameters() {
    let api = TestApi::start(testing::sqlite().await).await;
    let account = api.account("Harbor Dental", "pro").await;
    let document = served_document(&api).await;
    let parameter = |path: &str, method: &str, name: &str| {
        document["paths"][path][method]["parameters"]
            .as_array()
            .and_then(|parameters| parameters.iter().find(|p| p["name"] == name))
            .unwrap_or_else(|| panic!("{method} {path} has no parameter {name}"))
            .clone()
    };

    let idempotency = parameter("/api/v1/keys", "post", "Idempotency-Key");
    let pattern = idempotency["schema"]["pattern"].as_str().expect("a pattern");
    assert_eq!(pattern, "^[!-~]+$");
    let refused = api
        .send(
            api.request(reqwest::Method::POST, "/keys", &account.key)
                .header("Idempotency-Key", "two words")
                .json(&json!({"name": "front desk"})),
        )
        .await;
    assert_eq!(refused.error(400)["field"], "Idempotency-Key");

    let cursor = parameter("/api/v1/keys", "get", "cursor");
    assert_eq!(cursor["schema"]["minLength"], 1, "{cursor}");
    let refused = api.get("/keys?cursor=", &account.key).await;
    assert_eq!(refused.error(400)["field"], "cursor");
}
