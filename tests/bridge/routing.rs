//! The routing rules over the signed voice webhook: a closed or switched-off agent's
//! after-hours behavior (each one's TwiML read back with an XML parser), the hours changed
//! through the store seen by the next call, a voicemail after hours kept on the call's row.
//! The hours are chosen so the outcome does not depend on the wall clock: an enabled week
//! with no range is never open, disabled hours always are.

use jiff::Timestamp;
use switchboard::store::{AccountChange, AfterHoursMode, AgentChanges, AgentHours, FallbackMode};
use switchboard::telephony::CallRefusal;

use crate::support::{DEAD_UPSTREAM, TestBridge, voice_params};

const RECORDING: &str = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0417";

/// A TwiML verb as read back: its name, its text and its attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadVerb {
    pub name: String,
    pub text: String,
    pub attributes: Vec<(String, String)>,
}

impl ReadVerb {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The verbs under `<Response>`, parsed as XML.
pub fn read_twiml(xml: &str) -> Vec<ReadVerb> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let root = doc.root_element();
    assert!(root.has_tag_name("Response"), "{xml}");
    root.children()
        .filter(|node| node.is_element())
        .map(|node| ReadVerb {
            name: node.tag_name().name().to_owned(),
            text: node
                .descendants()
                .filter(|n| n.is_text())
                .filter_map(|n| n.text())
                .collect::<String>(),
            attributes: node
                .attributes()
                .map(|a| (a.name().to_owned(), a.value().to_owned()))
                .collect(),
        })
        .collect()
}

pub fn names(verbs: &[ReadVerb]) -> Vec<&str> {
    verbs.iter().map(|verb| verb.name.as_str()).collect()
}

/// Posts the signed voice webhook of `call_sid` to the bridge's number; the TwiML verbs.
pub async fn call_in(bridge: &TestBridge, call_sid: &str) -> Vec<ReadVerb> {
    let answer = bridge
        .hooks
        .post(
            &bridge.url("/twilio/voice"),
            &voice_params(call_sid, bridge.number()),
        )
        .await
        .unwrap();
    read_twiml(&answer)
}

/// Sets the seeded agent's hours: `enabled` with no range (never open), after hours `mode`.
async fn closed_with(bridge: &TestBridge, mode: AfterHoursMode, message: Option<&str>) {
    let business = &bridge.business;
    bridge
        .store
        .set_agent_hours(
            &business.account.id,
            &business.agent.id,
            AgentHours {
                enabled: true,
                after_hours: mode,
                after_hours_message: message.map(str::to_owned),
                redirect_number: None,
                schedule: Vec::new(),
                updated_at: Timestamp::UNIX_EPOCH,
            },
            None,
        )
        .await
        .unwrap();
}

async fn set_escalation_number(bridge: &TestBridge, number: &str) {
    let business = &bridge.business;
    bridge
        .store
        .update_agent(
            &business.account.id,
            &business.agent.id,
            AgentChanges {
                fallback_mode: Some(FallbackMode::Dial),
                fallback_number: Some(Some(number.into())),
                ..AgentChanges::default()
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn after_hours_a_voicemail_greeting_records_a_message_kept_on_the_calls_row() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    closed_with(&bridge, AfterHoursMode::Voicemail, None).await;
    let verbs = call_in(&bridge, "CAnight").await;
    assert_eq!(
        names(&verbs),
        ["Say", "Say", "Record", "Say", "Hangup"],
        "{verbs:?}"
    );
    assert!(verbs[0].text.contains("closed"), "{verbs:?}");
    assert_eq!(
        verbs[2].attribute("action"),
        Some(bridge.url("/twilio/voicemail").as_str())
    );
    let row = bridge
        .store
        .call_by_sid("CAnight")
        .await
        .unwrap()
        .expect("the call's row");
    assert_eq!(
        row.end_reason.as_deref(),
        Some("after_hours"),
        "the outcome is on the call"
    );
    assert!(row.ended_at.is_some());

    let mut params = voice_params("CAnight", bridge.number());
    params.extend([("RecordingUrl", RECORDING), ("RecordingDuration", "9")]);
    let goodbye = bridge
        .hooks
        .post(&bridge.url("/twilio/voicemail"), &params)
        .await
        .unwrap();
    assert_eq!(names(&read_twiml(&goodbye)), ["Say", "Hangup"]);
    let row = bridge.store.call_by_sid("CAnight").await.unwrap().unwrap();
    assert_eq!(
        row.voicemail_url.as_deref(),
        Some(RECORDING),
        "the message is kept"
    );
    let app = &bridge.server.app;
    assert_eq!(app.metrics.call_refused_count(CallRefusal::AfterHours), 1);
    assert_eq!(app.connections.waiting(), 0, "no agent was pre-warmed");
}

#[tokio::test]
async fn after_hours_a_message_is_said_and_the_call_ends() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    closed_with(
        &bridge,
        AfterHoursMode::Message,
        Some("We open at nine. Goodbye."),
    )
    .await;
    let verbs = call_in(&bridge, "CAmessage").await;
    assert_eq!(names(&verbs), ["Say", "Hangup"], "{verbs:?}");
    assert_eq!(verbs[0].text, "We open at nine. Goodbye.");
}

/// Gives the seeded account a booking page (`None`: none).
pub async fn set_booking_page(bridge: &TestBridge, url: Option<&str>) {
    bridge
        .store
        .update_account(
            &bridge.business.account.id,
            AccountChange {
                booking_url: Some(url.map(str::to_owned)),
                ..AccountChange::default()
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn after_hours_a_redirect_says_where_to_book_and_ends_the_call() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    closed_with(&bridge, AfterHoursMode::Redirect, None).await;
    let without_page = call_in(&bridge, "CAnopage").await;
    assert_eq!(names(&without_page), ["Say", "Say", "Hangup"], "{without_page:?}");
    assert!(without_page[1].text.contains("website"), "{without_page:?}");
    assert!(!without_page[1].text.contains("http"), "{without_page:?}");

    set_booking_page(&bridge, Some("https://book.example/adler")).await;
    let verbs = call_in(&bridge, "CAredirect").await;
    assert_eq!(names(&verbs), ["Say", "Say", "Hangup"], "{verbs:?}");
    assert!(verbs[1].text.contains("https://book.example/adler"), "{verbs:?}");
}

#[tokio::test]
async fn after_hours_a_transfer_dials_the_escalation_number_or_takes_a_voicemail() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    closed_with(&bridge, AfterHoursMode::Transfer, None).await;
    let without = call_in(&bridge, "CAnobody").await;
    assert_eq!(
        names(&without),
        ["Say", "Say", "Record", "Say", "Hangup"],
        "{without:?}"
    );

    set_escalation_number(&bridge, "+15550100999").await;
    let verbs = call_in(&bridge, "CAtransfer").await;
    assert_eq!(names(&verbs), ["Say", "Say", "Dial"], "{verbs:?}");
    assert_eq!(verbs[2].text, "+15550100999");
    assert_eq!(verbs[2].attribute("callerId"), Some(bridge.number()));
}

#[tokio::test]
async fn an_inactive_agent_takes_no_call_and_its_caller_gets_a_voicemail() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    let business = &bridge.business;
    bridge
        .store
        .update_agent(
            &business.account.id,
            &business.agent.id,
            AgentChanges {
                active: Some(false),
                ..AgentChanges::default()
            },
        )
        .await
        .unwrap();
    let verbs = call_in(&bridge, "CAoff").await;
    assert_eq!(
        names(&verbs),
        ["Say", "Say", "Record", "Say", "Hangup"],
        "{verbs:?}"
    );
    let row = bridge.store.call_by_sid("CAoff").await.unwrap().unwrap();
    assert_eq!(row.end_reason.as_deref(), Some("agent_inactive"));
}

#[tokio::test]
async fn hours_changed_through_the_store_are_seen_by_the_next_call() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    // Never set: open. The line is now cached with its hours.
    let open = call_in(&bridge, "CAopen").await;
    assert_eq!(names(&open), ["Connect"], "{open:?}");
    closed_with(&bridge, AfterHoursMode::Message, Some("Closed today.")).await;
    let closed = call_in(&bridge, "CAclosed").await;
    assert_eq!(names(&closed), ["Say", "Hangup"], "{closed:?}");
}

#[tokio::test]
async fn a_replayed_webhook_after_hours_hangs_up_and_writes_nothing_more() {
    let bridge = TestBridge::start(DEAD_UPSTREAM).await;
    closed_with(&bridge, AfterHoursMode::Voicemail, None).await;
    call_in(&bridge, "CAtwice").await;
    let row = bridge.store.call_by_sid("CAtwice").await.unwrap().unwrap();
    let again = call_in(&bridge, "CAtwice").await;
    assert_eq!(names(&again), ["Hangup"], "{again:?}");
    assert_eq!(bridge.store.call_by_sid("CAtwice").await.unwrap().unwrap(), row);
}
