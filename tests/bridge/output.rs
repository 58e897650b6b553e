//! What the bridge writes out when callers send hostile values: TwiML that a real XML parser
//! reads back, log lines a caller cannot forge or colour, and no secret even at `trace`.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use switchboard::audio::{AudioFormat, FixtureDir};
use switchboard::cli::logging::{self, LogSettings};
use switchboard::config::Secret;
use switchboard::sim::caller::{CallerConfig, place_call};

use crate::support::{DEAD_UPSTREAM, TestBridge, echo_agent};

/// Log output kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Logs of this thread (the test's single-threaded runtime runs the whole bridge) go to the
/// returned capture, through the same subscriber `serve` installs, until the guard drops.
fn capture(settings: LogSettings, directives: &str) -> (Captured, tracing::subscriber::DefaultGuard) {
    // `log` records (tungstenite, reqwest) reach tracing as they do in `serve`.
    let _ = tracing_log::LogTracer::init();
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = logging::subscriber(&settings, logging::filter(directives, "info"), move || {
        writer.clone()
    });
    (captured, tracing::subscriber::set_default(subscriber))
}

fn text_settings() -> LogSettings {
    LogSettings {
        json: false,
        mask_numbers: false,
        ansi: false,
    }
}

/// The voice webhook's form for a call from `from`.
fn call_from<'a>(call_sid: &'a str, from: &'a str, to: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("CallSid", call_sid),
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("From", from),
        ("To", to),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
    ]
}

const FORGED: &str =
    "+1555\n2026-01-01T00:00:00.000000Z  INFO forged: admin signed in \u{1b}[2J\u{1b}[31mred";

#[tokio::test]
async fn twiml_from_hostile_caller_ids_parses_and_keeps_the_value() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let huge = "7".repeat(5000);
    let cases: [(&str, String); 5] = [
        ("\u{0}+1555\u{1b}[31m\u{7}", "+1555[31m".into()),
        ("]]><Hangup/><!--", "]]><Hangup/><!--".into()),
        ("<a href=\"x\">&amp;'</a>", "<a href=\"x\">&amp;'</a>".into()),
        (FORGED, FORGED.replace('\u{1b}', "")),
        (huge.as_str(), "7".repeat(499 - "from".len())),
    ];
    for (i, (from, expected)) in cases.iter().enumerate() {
        let call_sid = format!("CAhostile{i}");
        let answer = bridge
            .hooks
            .post(
                &bridge.url("/twilio/voice"),
                &call_from(&call_sid, from, bridge.number()),
            )
            .await
            .unwrap();
        let doc = roxmltree::Document::parse(&answer).unwrap_or_else(|e| panic!("{e}: {answer}"));
        let stream = doc
            .descendants()
            .find(|n| n.has_tag_name("Stream"))
            .unwrap_or_else(|| panic!("a <Stream>: {answer}"));
        let parameters: Vec<(&str, &str)> = stream
            .children()
            .filter(|n| n.is_element())
            .map(|n| {
                assert!(n.has_tag_name("Parameter"), "{answer}");
                (n.attribute("name").unwrap(), n.attribute("value").unwrap())
            })
            .collect();
        let names: Vec<&str> = parameters.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["token", "from", "to"], "nothing injected: {answer}");
        assert_eq!(parameters[1].1, expected, "case {i}");
        for (name, value) in &parameters {
            assert!(
                name.chars().count() + value.chars().count() < 500,
                "Twilio's limit"
            );
        }
        let verbs: Vec<&str> = doc
            .root_element()
            .children()
            .filter(|n| n.is_element())
            .map(|n| n.tag_name().name())
            .collect();
        assert_eq!(verbs, ["Connect"], "{answer}");
    }
}

#[tokio::test]
async fn a_lone_surrogate_in_the_form_arrives_as_a_replacement_character() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let url = bridge.url("/twilio/voice");
    // UTF-8 has no encoding of U+D800; its would-be bytes are decoded as three U+FFFD, which is
    // also what the signature covers.
    let decoded = "+1\u{FFFD}\u{FFFD}\u{FFFD}";
    let signature = bridge
        .hooks
        .sign(&url, &call_from("CAsurrogate", decoded, bridge.number()));
    let body = format!(
        "CallSid=CAsurrogate&AccountSid=AC00000000000000000000000000000000&From=%2B1%ED%A0%80&To={}&CallStatus=ringing&Direction=inbound",
        bridge.number().replace('+', "%2B")
    );
    let answer = reqwest::Client::new()
        .post(&url)
        .header("X-Twilio-Signature", signature)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let answer = answer.text().await.unwrap();
    let doc = roxmltree::Document::parse(&answer).unwrap_or_else(|e| panic!("{e}: {answer}"));
    let from = doc
        .descendants()
        .find(|n| n.attribute("name") == Some("from"))
        .and_then(|n| n.attribute("value"));
    assert_eq!(from, Some(decoded), "{answer}");
}

#[tokio::test]
async fn a_hostile_caller_id_cannot_forge_a_log_line_or_send_an_escape() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let (captured, guard) = capture(text_settings(), "info");
    bridge
        .hooks
        .post(
            &bridge.url("/twilio/voice"),
            &call_from("CAforge", FORGED, bridge.number()),
        )
        .await
        .unwrap();
    drop(guard);
    let logs = captured.text();
    assert!(
        logs.contains("from=+1555\\n2026-01-01"),
        "the value is logged, escaped: {logs}"
    );
    assert!(
        !logs.contains('\u{1b}'),
        "no escape character reaches the log: {logs:?}"
    );
    let this_year = jiff::Timestamp::now().strftime("%Y-").to_string();
    for line in logs.lines() {
        assert!(
            line.starts_with(&this_year),
            "every line is an event of its own: {line}"
        );
    }
    let mentions: Vec<&str> = logs.lines().filter(|l| l.contains("forged")).collect();
    assert_eq!(mentions.len(), 1, "{logs}");
    assert!(mentions[0].contains("call{sid=\"CAforge\"}"), "{}", mentions[0]);
}

#[tokio::test]
async fn masked_numbers_show_their_last_four_digits_in_text_and_json() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    for json in [false, true] {
        let settings = LogSettings {
            json,
            mask_numbers: true,
            ansi: false,
        };
        let (captured, guard) = capture(settings, "info");
        let call_sid = format!("CAmask{json}");
        bridge
            .hooks
            .post(
                &bridge.url("/twilio/voice"),
                &call_from(&call_sid, "+15005550006\u{1b}", bridge.number()),
            )
            .await
            .unwrap();
        drop(guard);
        let logs = captured.text();
        assert!(logs.contains("***0006"), "{logs}");
        assert!(!logs.contains("5005550006"), "the number is masked: {logs}");
        if json {
            let line = logs.lines().find(|l| l.contains("***0006")).unwrap();
            let event: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(event["fields"]["from"], "***0006", "{line}");
            assert_eq!(event["spans"][0]["sid"], call_sid.as_str(), "{line}");
        }
    }
}

/// `secret` and the hex of its bytes (how frame payloads are printed).
fn forms(secret: &str) -> [String; 2] {
    let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
    [secret.to_owned(), hex]
}

#[tokio::test]
async fn a_whole_call_logged_at_trace_shows_no_secret() {
    const TOOL_SECRET: &str = "tool-secret-5b1e0c9d";
    let (captured, guard) = capture(text_settings(), "trace");
    let agent = echo_agent(AudioFormat::Ulaw8000).await;
    let bridge = TestBridge::start_with(&agent, |config| {
        config.tool_secret = Some(Secret::new(TOOL_SECRET));
    })
    .await;
    let mut caller = CallerConfig::new(bridge.url("/twilio/voice"), &bridge.auth_token, bridge.number());
    caller.utterances = vec![FixtureDir::bundled().caller("book").unwrap()];
    caller.agent_speaks_first = false;
    caller.linger = Duration::from_millis(300);
    let report = place_call(&caller, None).await.unwrap();
    let tool = reqwest::Client::new()
        .post(bridge.url("/tools/list_event_types"))
        .header("x-voice-secret", TOOL_SECRET)
        .json(&serde_json::json!({"agent_id": bridge.business.agent.id.as_str()}))
        .send()
        .await
        .unwrap();
    assert_eq!(tool.status(), 200, "the tool call went through");
    drop(guard);

    let connect = switchboard::wire::twiml::parse_connect(&report.answer)
        .unwrap()
        .unwrap();
    let token = connect
        .parameters
        .iter()
        .find(|(k, _)| k == "token")
        .unwrap()
        .1
        .clone();
    let (_, token_signature) = token.split_once('.').unwrap();
    let logs = captured.text();
    assert!(
        logs.contains(" TRACE ") && logs.contains("call ended"),
        "the capture saw the whole call at trace: {logs}"
    );
    assert!(
        !logs.contains("conversation_signature="),
        "the agent's signed URL is a credential too"
    );
    for secret in [
        bridge.auth_token.as_str(),
        "xi-test-key",
        TOOL_SECRET,
        token.as_str(),
        token_signature,
    ] {
        for form in forms(secret) {
            assert!(!logs.contains(&form), "{secret} is in the logs as {form}");
        }
    }
}
