//! The official `twilio` client (`tests/python/twilio_rest_check.py`) against `switchboard sim
//! twilio`: it finds, buys, updates, pages through and releases numbers, sends a message and
//! places a call, and reads Twilio's errors, all through its own HTTP, auth and paging code;
//! the stand-in's record of the requests is checked against what the client did.

use std::process::Stdio;

use serde_json::{Value, json};
use switchboard::sim::twilio::{SimTwilio, SimTwilioConfig};
use tokio::io::AsyncWriteExt;

const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn the_official_client_manages_numbers_messages_and_calls_on_the_stand_in() {
    let Some(python) = crate::python::python_with_twilio(
        "the_official_client_manages_numbers_messages_and_calls_on_the_stand_in",
    ) else {
        return;
    };
    let mut config = SimTwilioConfig::new(ACCOUNT_SID, "sdk-token");
    config.unsubscribed = vec!["+14155550999".into()];
    let sim = SimTwilio::new(config).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(switchboard::sim::twilio::serve(listener, sim.clone()));

    let mut child = python
        .tokio_command()
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/twilio_rest_check.py"
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    let setup = json!({
        "base_url": base_url,
        "account_sid": ACCOUNT_SID,
        "auth_token": "sdk-token",
        "unsubscribed": "+14155550999",
    });
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(setup.to_string().as_bytes()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    assert!(
        out.status.success(),
        "twilio_rest_check.py (twilio {}) failed: {}",
        python.version,
        String::from_utf8_lossy(&out.stderr)
    );
    let done: Value = serde_json::from_slice(&out.stdout).expect("JSON from twilio_rest_check.py");

    assert_eq!(done["unsubscribed"], json!({"status": 400, "code": 21610}));
    assert_eq!(done["bad_number"], json!({"status": 400, "code": 21421}));
    assert_eq!(done["wrong_token"], json!({"status": 401, "code": 20003}));
    assert_eq!(done["released"], json!({"status": 404, "code": 20404}));

    let state = sim.state();
    let bought = done["bought"].as_str().unwrap();
    assert!(state.numbers.iter().all(|n| n.sid != bought), "released");
    assert_eq!(state.numbers.len(), 2);
    assert_eq!(state.messages[0].sid, done["message"].as_str().unwrap());
    assert_eq!(state.calls[0].sid, done["call"].as_str().unwrap());
    assert_eq!(state.calls[0].plan.events, ["initiated", "completed"]);

    let requests = sim.requests().all();
    let create_call = requests
        .iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/Calls.json"))
        .expect("the call was placed");
    assert_eq!(
        create_call.params.all("StatusCallbackEvent").collect::<Vec<_>>(),
        ["initiated", "completed"],
        "the client repeats the parameter, once per value"
    );
    let buy = requests
        .iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/IncomingPhoneNumbers.json"))
        .unwrap();
    assert_eq!(buy.params.get("PhoneNumber"), done["offered"][0].as_str());
    assert_eq!(buy.params.get("FriendlyName"), Some("Harbor Dental"));
    let paged: Vec<&str> = requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/IncomingPhoneNumbers.json"))
        .filter_map(|r| r.params.get("Page"))
        .collect();
    assert!(
        paged.contains(&"1"),
        "the client followed next_page_uri: {paged:?}"
    );
    assert!(requests.iter().any(|r| r.method == "DELETE" && r.status == 204));
}
