//! The official `twilio` Python package (`tests/python/twilio_check.py`) as an independent
//! check of our Twilio protocol work: its `RequestValidator` signs requests our validator must
//! accept (and, tampered with, reject) and accepts the signatures we compute; its
//! `VoiceResponse` builds the same TwiML documents we render.

use std::io::Write;
use std::process::Stdio;

use serde_json::{Value, json};
use switchboard::wire::signature::RequestValidator;
use switchboard::wire::twiml::{Response, Verb};

fn ask_python(python: &crate::python::Python, request: &Value) -> Value {
    let mut child = python
        .command()
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/python/twilio_check.py"
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "twilio_check.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from twilio_check.py")
}

struct Case {
    url: &'static str,
    params: Vec<(&'static str, &'static str)>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            url: "https://bridge.example.com/twilio/voice",
            params: vec![
                ("CallSid", "CA1234567890abcdef1234567890abcdef"),
                ("AccountSid", "AC1234567890abcdef1234567890abcdef"),
                ("From", "+14158675309"),
                ("To", "+18005551212"),
                ("CallStatus", "ringing"),
                ("Direction", "inbound"),
                ("ApiVersion", "2010-04-01"),
                ("CallerName", "Zoë Ångström & Co <VIP>"),
            ],
        },
        Case {
            url: "https://bridge.example.com:8443/twilio/connect-action?attempt=2&x=%20y",
            params: vec![
                ("CallSid", "CA1"),
                ("Digits", "5678"),
                ("Digits", "1234"),
                ("Digits", "1234"),
            ],
        },
        Case {
            url: "http://127.0.0.1:8080/twilio/voice",
            params: vec![],
        },
        Case {
            url: "wss://bridge.example.com/twilio/stream",
            params: vec![],
        },
    ]
}

fn pairs(params: &[(&str, &str)]) -> Value {
    Value::Array(params.iter().map(|(k, v)| json!([k, v])).collect())
}

#[test]
fn signatures_agree_with_twilio_python_both_ways() {
    let Some(python) = crate::python::python_with_twilio("signatures_agree_with_twilio_python_both_ways")
    else {
        return;
    };
    let token = "b2c6a53f1c0e4c2e9f6a3d7e8b9c0d1e";
    let ours = RequestValidator::new(token);
    let body = r#"{"event":"stream-started","StreamSid":"MZ1"}"#;
    let hash = {
        use sha2::Digest;
        sha2::Sha256::digest(body.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let body_url = format!("https://bridge.example.com/twilio/status?bodySHA256={hash}");

    let mut sign = Vec::new();
    for case in cases() {
        sign.push(json!({"token": token, "url": case.url, "params": pairs(&case.params)}));
    }
    sign.push(json!({"token": token, "url": body_url, "body": body}));
    let mut validate = Vec::new();
    for case in cases() {
        let signature = ours.sign(case.url, &case.params);
        validate.push(
            json!({"token": token, "url": case.url, "params": pairs(&case.params), "signature": signature}),
        );
    }
    let answer = ask_python(&python, &json!({"sign": sign, "validate": validate}));

    let theirs = answer["sign"].as_array().unwrap();
    for (case, signature) in cases().iter().zip(theirs) {
        let signature = signature.as_str().unwrap();
        assert!(
            ours.validate(case.url, &case.params, signature),
            "twilio-python's signature for {} refused",
            case.url
        );
        // Tampered: another value, one more parameter, another URL, another token.
        let mut changed = case.params.clone();
        changed.push(("Extra", "1"));
        assert!(
            !ours.validate(case.url, &changed, signature),
            "{}: an added parameter passed",
            case.url
        );
        if let Some(first) = changed.first_mut().filter(|_| !case.params.is_empty()) {
            first.1 = "tampered";
            assert!(
                !ours.validate(case.url, &changed[..case.params.len()], signature),
                "{}: a changed value passed",
                case.url
            );
        }
        assert!(
            !ours.validate(&format!("{}x", case.url), &case.params, signature),
            "{}: another URL passed",
            case.url
        );
        assert!(!RequestValidator::new("another-token").validate(case.url, &case.params, signature));
    }
    let body_signature = theirs.last().unwrap().as_str().unwrap();
    assert!(
        ours.validate_body(&body_url, body.as_bytes(), body_signature),
        "bodySHA256 variant refused"
    );
    assert!(!ours.validate_body(&body_url, b"{\"event\":\"stream-stopped\"}", body_signature));

    for (case, accepted) in cases().iter().zip(answer["validate"].as_array().unwrap()) {
        assert_eq!(
            accepted,
            &json!(true),
            "twilio-python refused our signature for {}",
            case.url
        );
    }
}

/// An element tree with attributes sorted: two documents that differ only in attribute
/// order or `<x/>` versus `<x />` compare equal.
#[derive(Debug, PartialEq)]
enum Node {
    Element {
        name: String,
        attributes: Vec<(String, String)>,
        children: Vec<Node>,
    },
    Text(String),
}

/// Appends text to the open element, joining it to a text node just before it (entity
/// references arrive as separate events).
fn push_text(stack: &mut [Node], text: &str) {
    if let Some(Node::Element { children, .. }) = stack.last_mut() {
        match children.last_mut() {
            Some(Node::Text(previous)) => previous.push_str(text),
            _ => children.push(Node::Text(text.to_owned())),
        }
    }
}

fn parse(xml: &str) -> Node {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Node> = vec![Node::Element {
        name: "#document".into(),
        attributes: vec![],
        children: vec![],
    }];
    let element = |e: &quick_xml::events::BytesStart<'_>| {
        let mut attributes: Vec<(String, String)> = e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                    a.unescape_value().unwrap().into_owned(),
                )
            })
            .collect();
        attributes.sort();
        Node::Element {
            name: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
            attributes,
            children: vec![],
        }
    };
    let push = |stack: &mut Vec<Node>, node: Node| {
        if let Some(Node::Element { children, .. }) = stack.last_mut() {
            children.push(node);
        }
    };
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => push(&mut stack, element(&e)),
            Event::End(_) => {
                let node = stack.pop().unwrap();
                push(&mut stack, node);
            }
            Event::Text(t) => push_text(&mut stack, &t.decode().unwrap()),
            Event::GeneralRef(r) => {
                let name = r.decode().unwrap();
                let text = match r.resolve_char_ref().unwrap() {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&name)
                        .expect("a predefined entity")
                        .to_owned(),
                };
                push_text(&mut stack, &text);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    stack.pop().unwrap()
}

#[test]
fn twiml_matches_what_twilio_python_builds() {
    let Some(python) = crate::python::python_with_twilio("twiml_matches_what_twilio_python_builds") else {
        return;
    };
    let tricky = r#"a<b>"c"&'d' é"#;
    let documents = [
        (
            Response::new().verb(Verb::ConnectStream {
                action: Some("https://bridge.example.com/twilio/connect-action?x=1&y=2".into()),
                url: "wss://bridge.example.com/twilio/stream".into(),
                parameters: vec![
                    ("token".into(), tricky.into()),
                    ("from".into(), "+14158675309".into()),
                ],
            }),
            json!([{"verb": "connect_stream", "action": "https://bridge.example.com/twilio/connect-action?x=1&y=2",
                    "url": "wss://bridge.example.com/twilio/stream", "parameters": [["token", tricky], ["from", "+14158675309"]]}]),
        ),
        (
            Response::new()
                .say(tricky)
                .verb(Verb::Record {
                    action: Some("https://bridge.example.com/twilio/voicemail".into()),
                    max_length_secs: 120,
                    play_beep: true,
                    finish_on_key: Some("#".into()),
                })
                .say("We did not get a message. Goodbye.")
                .hangup(),
            json!([{"verb": "say", "text": tricky},
                   {"verb": "record", "action": "https://bridge.example.com/twilio/voicemail", "max_length": 120, "play_beep": true, "finish_on_key": "#"},
                   {"verb": "say", "text": "We did not get a message. Goodbye."},
                   {"verb": "hangup"}]),
        ),
        (
            Response::new().say("Let me transfer you.").verb(Verb::Dial {
                number: "+14155550100".into(),
                caller_id: Some("+18005551212".into()),
                timeout_secs: Some(20),
                action: None,
            }),
            json!([{"verb": "say", "text": "Let me transfer you."},
                   {"verb": "dial", "number": "+14155550100", "caller_id": "+18005551212", "timeout": 20}]),
        ),
        (
            Response::new().verb(Verb::Pause { length_secs: 2 }).hangup(),
            json!([{"verb": "pause", "length": 2}, {"verb": "hangup"}]),
        ),
        (
            Response::new()
                .verb(Verb::Gather {
                    action: "https://bridge.example.com/twilio/menu?silences=0&misses=1".into(),
                    input: "dtmf speech".into(),
                    num_digits: Some(1),
                    timeout_secs: Some(5),
                    hints: Some("billing, pay, the front desk".into()),
                    say: vec![tricky.into(), "For billing, press 2 or say billing.".into()],
                })
                .verb(Verb::Redirect {
                    url: "https://bridge.example.com/twilio/menu?silences=0&misses=1".into(),
                }),
            json!([{"verb": "gather", "action": "https://bridge.example.com/twilio/menu?silences=0&misses=1",
                    "input": "dtmf speech", "num_digits": 1, "timeout": 5, "hints": "billing, pay, the front desk",
                    "say": [tricky, "For billing, press 2 or say billing."]},
                   {"verb": "redirect", "url": "https://bridge.example.com/twilio/menu?silences=0&misses=1"}]),
        ),
    ];
    let request = json!({"twiml": documents.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>()});
    let answer = ask_python(&python, &request);
    for ((ours, _), theirs) in documents.iter().zip(answer["twiml"].as_array().unwrap()) {
        let ours = ours.render();
        let theirs = theirs.as_str().unwrap();
        assert_eq!(parse(&ours), parse(theirs), "\nours:   {ours}\ntheirs: {theirs}");
    }
}
