//! Texts from callers to the stand-in's numbers, over `POST /sim/messages/inbound`: the
//! number's `SmsUrl` gets Twilio's signed incoming-message webhook, and Advanced Opt-Out's
//! keywords change who the number may text (21610 after STOP, until START) and are answered
//! with Twilio's own replies.

use serde_json::{Value, json};

use crate::support::{AUTH_TOKEN, Receiver, Twilio, assert_error, config};

const OURS: &str = "+14155550100";
const CALLER: &str = "+14155550177";
const OTHER_CALLER: &str = "+14155550178";

/// A stand-in owning [`OURS`], whose texts go to `receiver`'s `/sms`.
async fn texting(receiver: &Receiver) -> Twilio {
    let mut setup = config();
    setup.numbers = vec![OURS.into()];
    let twilio = Twilio::start(setup).await;
    let (_, listed) = twilio
        .get("IncomingPhoneNumbers.json", &[("PhoneNumber", OURS)])
        .await;
    let sid = listed["incoming_phone_numbers"][0]["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, number) = twilio
        .post(
            &format!("IncomingPhoneNumbers/{sid}.json"),
            &[("SmsUrl", &receiver.url("/sms")), ("SmsMethod", "POST")],
        )
        .await;
    assert_eq!(status, 200, "{number}");
    assert_eq!(number["sms_url"], receiver.url("/sms"));
    assert_eq!(number["sms_method"], "POST");
    twilio
}

/// A caller texts `body` to `to` through the control endpoint; its status and answer.
async fn text(twilio: &Twilio, from: &str, to: &str, body: &str) -> (u16, Value) {
    let response = twilio
        .raw()
        .post(format!("{}/sim/messages/inbound", twilio.base))
        .json(&json!({"from": from, "to": to, "body": body}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn send(twilio: &Twilio, to: &str) -> (reqwest::StatusCode, Value) {
    twilio
        .post(
            "Messages.json",
            &[("To", to), ("From", OURS), ("Body", "See you Tuesday.")],
        )
        .await
}

fn replies_to(twilio: &Twilio, caller: &str) -> Vec<String> {
    twilio
        .sim
        .state()
        .messages
        .into_iter()
        .rev()
        .filter(|m| m.direction == "outbound-reply" && m.to == caller)
        .map(|m| m.body)
        .collect()
}

#[tokio::test]
async fn a_text_is_posted_to_the_numbers_sms_url_signed_as_twilio_posts_it() {
    let receiver = Receiver::start(AUTH_TOKEN, &[("/sms", "<Response/>")]).await;
    let twilio = texting(&receiver).await;
    let (status, report) = text(&twilio, CALLER, OURS, "Can I move my appointment? ☺").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["webhook_status"], 200);
    assert_eq!(report["opt_out_type"], Value::Null);

    let posted = receiver.wait_for("/sms", 1).await.remove(0);
    assert_eq!(posted.method, "POST");
    assert!(
        posted.signed,
        "X-Twilio-Signature is the auth token's: {posted:?}"
    );
    let sid = posted.get("MessageSid").unwrap();
    assert!(sid.starts_with("SM") && sid.len() == 34, "{sid}");
    assert_eq!(report["message_sid"], sid);
    assert_eq!(posted.get("AccountSid"), Some(crate::support::ACCOUNT_SID));
    assert_eq!(posted.get("From"), Some(CALLER));
    assert_eq!(posted.get("To"), Some(OURS));
    assert_eq!(posted.get("Body"), Some("Can I move my appointment? ☺"));
    assert_eq!(posted.get("NumMedia"), Some("0"));
    assert_eq!(posted.get("NumSegments"), Some("1"));
    assert_eq!(posted.get("SmsStatus"), Some("received"));
    assert_eq!(posted.get("OptOutType"), None, "not a keyword");
    assert_eq!(posted.get("MessagingServiceSid"), None, "no Messaging Service");

    let kept = twilio
        .sim
        .state()
        .messages
        .into_iter()
        .find(|m| m.sid == sid)
        .unwrap();
    assert_eq!((kept.direction, kept.status), ("inbound", "received"));
    assert!(
        replies_to(&twilio, CALLER).is_empty(),
        "no reply to an ordinary text"
    );

    // A number that is not the account's, or that has no SmsUrl, receives nothing.
    let (status, _) = text(&twilio, CALLER, "+14155550199", "hello").await;
    assert_eq!(status, 404);
    assert_eq!(receiver.all().len(), 1);
}

#[tokio::test]
async fn stop_refuses_the_numbers_texts_to_the_caller_with_21610_until_start() {
    let receiver = Receiver::start(AUTH_TOKEN, &[("/sms", "<Response/>")]).await;
    let twilio = texting(&receiver).await;
    let (status, _) = send(&twilio, CALLER).await;
    assert_eq!(status, 201);

    let (status, report) = text(&twilio, CALLER, OURS, " stop ").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["opt_out_type"], "STOP");
    let posted = receiver.wait_for("/sms", 1).await.remove(0);
    assert_eq!(posted.get("OptOutType"), Some("STOP"));
    assert_eq!(posted.get("Body"), Some(" stop "));
    assert!(posted.signed);
    assert_error(&send(&twilio, CALLER).await, 400, 21610);
    // Only that caller, only from that number.
    assert_eq!(send(&twilio, OTHER_CALLER).await.0, 201);

    // HELP changes nothing and is answered; so are STOP and START, with Twilio's replies.
    let (_, help) = text(&twilio, CALLER, OURS, "help").await;
    assert_eq!(help["opt_out_type"], "HELP");
    assert_eq!(
        receiver.wait_for("/sms", 2).await[1].get("OptOutType"),
        Some("HELP")
    );
    assert_error(&send(&twilio, CALLER).await, 400, 21610);

    let (_, start) = text(&twilio, CALLER, OURS, "UNSTOP").await;
    assert_eq!(start["opt_out_type"], "START");
    assert_eq!(
        receiver.wait_for("/sms", 3).await[2].get("OptOutType"),
        Some("START")
    );
    let (status, again) = send(&twilio, CALLER).await;
    assert_eq!(status, 201, "{again}");

    use switchboard::sim::twilio::inbound_texts::{HELP_REPLY, START_REPLY, STOP_REPLY};
    assert_eq!(replies_to(&twilio, CALLER), [STOP_REPLY, HELP_REPLY, START_REPLY]);
    // The opted-out state is in the stand-in's state for people at a demo.
    assert!(twilio.sim.state().opted_out.is_empty());
}

#[tokio::test]
async fn stop_is_kept_even_when_the_sms_url_does_not_answer() {
    // Twilio blocks after STOP whatever becomes of the webhook: here nothing listens.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nowhere = format!("http://{}/sms", closed.local_addr().unwrap());
    drop(closed);
    let mut setup = config();
    setup.numbers = vec![OURS.into()];
    let twilio = Twilio::start(setup).await;
    let (_, listed) = twilio
        .get("IncomingPhoneNumbers.json", &[("PhoneNumber", OURS)])
        .await;
    let sid = listed["incoming_phone_numbers"][0]["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = twilio
        .post(
            &format!("IncomingPhoneNumbers/{sid}.json"),
            &[("SmsUrl", &nowhere)],
        )
        .await;
    assert_eq!(status, 200);

    let (status, report) = text(&twilio, CALLER, OURS, "STOPALL").await;
    assert_eq!(status, 502, "{report}");
    assert_eq!(report["webhook_status"], Value::Null);
    assert_eq!(report["opt_out_type"], "STOP");
    assert_error(&send(&twilio, CALLER).await, 400, 21610);
    let opted = twilio.sim.state().opted_out;
    assert_eq!(opted.len(), 1);
    assert_eq!(
        (opted[0].phone_number.as_str(), opted[0].caller.as_str()),
        (OURS, CALLER)
    );
}
