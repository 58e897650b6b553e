//! Messages: sent `queued`, then `sent` and `delivered` with signed status callbacks;
//! listed by page, read, redacted; refused with Twilio's codes.

use serde_json::Value;

use crate::support::{AUTH_TOKEN, PATIENCE, Receiver, Twilio, assert_error, config};

const OURS: &str = "+14155550100";
const THEM: &str = "+14155550177";

fn owning() -> switchboard::sim::twilio::SimTwilioConfig {
    let mut setup = config();
    setup.numbers = vec![OURS.into()];
    setup.unsubscribed = vec!["+14155550999".into()];
    setup
}

#[tokio::test]
async fn a_message_is_queued_then_delivered_with_each_status_posted() {
    let receiver = Receiver::start(AUTH_TOKEN, &[]).await;
    let twilio = Twilio::start(owning()).await;
    let callback = receiver.url("/sms-status");
    let (status, sent) = twilio
        .post(
            "Messages.json",
            &[
                ("To", THEM),
                ("From", OURS),
                ("Body", "Your cleaning is booked for Tuesday at 10:00."),
                ("StatusCallback", &callback),
            ],
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["status"], "queued");
    assert_eq!(sent["direction"], "outbound-api");
    assert_eq!(sent["num_segments"], "1");
    assert_eq!(sent["date_sent"], Value::Null);
    let sid = sent["sid"].as_str().unwrap().to_owned();
    assert!(sid.starts_with("SM") && sid.len() == 34);
    assert!(
        sent["subresource_uris"]["media"]
            .as_str()
            .unwrap()
            .ends_with(&format!("{sid}/Media.json"))
    );

    let posted = receiver.wait_for("/sms-status", 2).await;
    let statuses: Vec<&str> = posted.iter().map(|p| p.get("MessageStatus").unwrap()).collect();
    assert_eq!(statuses, ["sent", "delivered"]);
    for one in &posted {
        assert!(one.signed, "{one:?}");
        assert_eq!(one.get("MessageSid"), Some(sid.as_str()));
        assert_eq!(one.get("SmsStatus"), one.get("MessageStatus"));
        assert_eq!((one.get("From"), one.get("To")), (Some(OURS), Some(THEM)));
    }
    let done = posted[1].get("RawDlrDoneDate").unwrap();
    assert!(
        done.len() == 10 && done.bytes().all(|b| b.is_ascii_digit()),
        "{done}"
    );

    let file = format!("Messages/{sid}.json");
    let (_, read) = twilio.get(&file, &[]).await;
    assert_eq!(read["status"], "delivered");
    assert!(read["date_sent"].is_string());
    let (status, redacted) = twilio.post(&file, &[("Body", "")]).await;
    assert_eq!(status, 200);
    assert_eq!(redacted["body"], "");
    assert_error(&twilio.post(&file, &[("Body", "new words")]).await, 400, 21218);
}

#[tokio::test]
async fn a_message_through_a_messaging_service_goes_out_from_an_owned_number() {
    let twilio = Twilio::start(owning()).await;
    let (status, sent) = twilio
        .post(
            "Messages.json",
            &[
                ("To", THEM),
                ("MessagingServiceSid", "MG0123456789abcdef0123456789abcdef"),
                ("Body", "hi"),
            ],
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(sent["from"], Value::Null);
    let sid = sent["sid"].as_str().unwrap().to_owned();
    let wait = twilio.sim.wait_for(|ledger| {
        ledger
            .messages
            .iter()
            .find(|m| m.sid == sid && m.status == "delivered")
            .cloned()
    });
    let delivered = tokio::time::timeout(PATIENCE, wait).await.unwrap();
    assert_eq!(delivered.from.as_deref(), Some(OURS));
}

#[tokio::test]
async fn messages_are_listed_by_page_and_filtered() {
    let twilio = Twilio::start(owning()).await;
    for (to, body) in [(THEM, "one"), ("+14155550178", "two"), (THEM, "three")] {
        assert_eq!(
            twilio
                .post("Messages.json", &[("To", to), ("From", OURS), ("Body", body)])
                .await
                .0,
            201
        );
    }
    let (_, page) = twilio
        .get("Messages.json", &[("To", THEM), ("PageSize", "1")])
        .await;
    assert_eq!(page["messages"][0]["body"], "three", "newest first");
    let (_, next) = twilio.follow(page["next_page_uri"].as_str().unwrap()).await;
    assert_eq!(next["messages"][0]["body"], "one");
    assert_eq!(next["next_page_uri"], Value::Null);
    let (_, all) = twilio.get("Messages.json", &[("From", OURS)]).await;
    assert_eq!(all["messages"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn bad_messages_get_twilios_codes_and_send_nothing() {
    let twilio = Twilio::start(owning()).await;
    let long = "a".repeat(1601);
    let cases: [(&[(&str, &str)], u64); 6] = [
        (&[("To", "not-a-number"), ("From", OURS), ("Body", "hi")], 21211),
        (&[("To", THEM), ("From", "+1415"), ("Body", "hi")], 21212),
        (&[("To", THEM), ("From", "+14155550123"), ("Body", "hi")], 21606),
        (&[("To", THEM), ("From", OURS)], 21602),
        (&[("To", THEM), ("From", OURS), ("Body", &long)], 21617),
        (&[("To", "+14155550999"), ("From", OURS), ("Body", "hi")], 21610),
    ];
    for (form, code) in cases {
        assert_error(&twilio.post("Messages.json", form).await, 400, code);
    }
    assert!(twilio.sim.state().messages.is_empty());
    assert_error(
        &twilio
            .get("Messages/SM00000000000000000000000000000000.json", &[])
            .await,
        404,
        20404,
    );
}
