//! A number's menu as whole simulated calls: the caller simulator (pressing keys as Twilio
//! posts them) ⇄ the bridge ⇄ the agent simulator. A key reaches its agent, answered as a
//! direct call to it; a person's key dials them; silence repeats the menu once, then takes the
//! default; a key that matches nothing repeats the menu; keys pressed during the call reach the
//! agent.

use std::time::Duration;

use switchboard::audio::{AudioFormat, FixtureDir};
use switchboard::sim::caller::{CallReport, CallerConfig, place_call};
use switchboard::store::{Agent, FallbackMode, MenuChoice, MenuTarget, NewAgent, NewMenu};

use switchboard::telephony::fallback::DRAINING;

use crate::support::{DEAD_UPSTREAM, TestBridge, echo_agent};

const MENU_NUMBER: &str = "+15550100900";
const PERSON: &str = "+15550100777";
/// Where Bea's callers are dialled when she cannot answer.
const BEAS_DESK: &str = "+15550100888";

/// A bridge whose account has two agents (Ava answers her own number too) and a menu on
/// another number: 1 Ava, 2 Bea (whose callers are dialled through to a person when she cannot
/// answer), 5 a person.
async fn bridge_with_menu() -> (TestBridge, Agent) {
    bridge_with_menu_on(&echo_agent(AudioFormat::Ulaw8000).await, |_| {}).await
}

async fn bridge_with_menu_on(
    elevenlabs: &str,
    adjust: impl FnOnce(&mut switchboard::config::Config),
) -> (TestBridge, Agent) {
    let bridge = TestBridge::start_with(elevenlabs, adjust).await;
    let store = bridge.store.store();
    let account_id = bridge.business.account.id.clone();
    let bea = store
        .create_agent(
            &account_id,
            NewAgent {
                name: "Bea".into(),
                elevenlabs_agent_id: "agent_bea".into(),
                fallback_mode: FallbackMode::Dial,
                fallback_number: Some(BEAS_DESK.into()),
                ..NewAgent::default()
            },
        )
        .await
        .unwrap();
    let choice = |digit, label: &str, target| MenuChoice {
        digit,
        label: label.into(),
        keywords: vec![],
        target,
    };
    store
        .put_menu(
            &account_id,
            NewMenu {
                phone_number: MENU_NUMBER.into(),
                prompt: "Thanks for calling Praxis Adler.".into(),
                choices: vec![
                    choice(
                        1,
                        "appointments",
                        MenuTarget::Agent(bridge.business.agent.id.clone()),
                    ),
                    choice(2, "billing", MenuTarget::Agent(bea.id.clone())),
                    choice(5, "the front desk", MenuTarget::Person(PERSON.into())),
                ],
            },
        )
        .await
        .unwrap();
    (bridge, bea)
}

/// A call to the menu's number pressing `keys`; the caller says one clip once connected and
/// hangs up a little after the agent's answer.
async fn call_menu(bridge: &TestBridge, keys: &str) -> CallReport {
    let mut config = CallerConfig::new(bridge.url("/twilio/voice"), &bridge.auth_token, MENU_NUMBER);
    config.dtmf = keys.parse().unwrap();
    config.utterances = vec![FixtureDir::bundled().caller("book").unwrap()];
    config.agent_speaks_first = false;
    config.linger = Duration::from_millis(600);
    place_call(&config, None).await.unwrap()
}

/// The `<Gather>` element of a TwiML document.
fn gather(twiml: &str) -> (String, Vec<String>) {
    let doc = roxmltree::Document::parse(twiml).unwrap();
    let gather = doc
        .descendants()
        .find(|n| n.has_tag_name("Gather"))
        .unwrap_or_else(|| panic!("no <Gather>: {twiml}"));
    assert_eq!(gather.attribute("input"), Some("dtmf speech"), "{twiml}");
    assert_eq!(gather.attribute("numDigits"), Some("1"), "{twiml}");
    let said = gather
        .children()
        .filter(|n| n.has_tag_name("Say"))
        .map(|n| n.text().unwrap_or_default().to_owned())
        .collect();
    (gather.attribute("action").unwrap().to_owned(), said)
}

/// The agent the call's row says answered.
async fn answered_by(bridge: &TestBridge, report: &CallReport) -> String {
    let call = bridge
        .store
        .store()
        .call_by_sid(&report.call_sid)
        .await
        .unwrap()
        .expect("the call's row");
    assert_eq!(call.to_number, MENU_NUMBER);
    call.agent_id.into_string()
}

#[tokio::test]
async fn pressing_2_reaches_the_second_agent_as_a_direct_call_would() {
    let (bridge, bea) = bridge_with_menu().await;
    let report = call_menu(&bridge, "2").await;

    let (action, said) = gather(&report.answer);
    assert_eq!(action, bridge.url("/twilio/menu?silences=0&misses=0"));
    assert_eq!(
        said,
        [
            "Thanks for calling Praxis Adler.",
            "For appointments, press 1 or say appointments.",
            "For billing, press 2 or say billing.",
            "For the front desk, press 5 or say the front desk.",
        ]
    );
    assert_eq!(report.menu_answers.len(), 1, "{:?}", report.menu_answers);
    assert!(
        report.menu_answers[0].contains("<Connect"),
        "{}",
        report.menu_answers[0]
    );
    assert!(!report.stream_sid.is_empty(), "the media stream ran");
    assert!(report.heard > Duration::ZERO, "the agent was heard");
    assert_eq!(answered_by(&bridge, &report).await, bea.id.as_str());
    let metrics = bridge.server.app.metrics.render(0);
    assert!(
        metrics.contains("switchboard_prewarm_total{outcome=\"claimed\"} 1"),
        "the chosen agent was pre-warmed and its connection claimed: {metrics}"
    );
}

#[tokio::test]
async fn pressing_a_persons_key_dials_them() {
    let (bridge, _) = bridge_with_menu().await;
    let report = call_menu(&bridge, "5").await;
    let dial = report.menu_answers.last().unwrap();
    let doc = roxmltree::Document::parse(dial).unwrap();
    let verbs: Vec<&str> = doc
        .root_element()
        .children()
        .map(|n| n.tag_name().name())
        .collect();
    assert_eq!(verbs, ["Say", "Dial"], "{dial}");
    let number = doc.descendants().find(|n| n.has_tag_name("Number")).unwrap();
    assert_eq!(number.text(), Some(PERSON));
    let dial_verb = doc.descendants().find(|n| n.has_tag_name("Dial")).unwrap();
    assert_eq!(dial_verb.attribute("callerId"), Some(MENU_NUMBER));
    assert!(report.stream_sid.is_empty(), "no media stream for a person");
    let call = bridge.store.store().call_by_sid(&report.call_sid).await.unwrap();
    assert!(
        call.is_none(),
        "no agent answered, so no call of an agent was written"
    );
}

#[tokio::test]
async fn silence_repeats_the_menu_once_then_takes_the_first_choice() {
    let (bridge, _) = bridge_with_menu().await;
    let report = call_menu(&bridge, "").await;
    assert_eq!(report.menu_answers.len(), 2, "{:?}", report.menu_answers);
    let (action, said) = gather(&report.menu_answers[0]);
    assert_eq!(action, bridge.url("/twilio/menu?silences=1&misses=0"));
    assert_eq!(said[0], "Thanks for calling Praxis Adler.", "repeated as it was");
    assert!(
        report.menu_answers[1].contains("<Connect"),
        "{}",
        report.menu_answers[1]
    );
    assert_eq!(
        answered_by(&bridge, &report).await,
        bridge.business.agent.id.as_str()
    );
}

#[tokio::test]
async fn a_key_that_matches_nothing_repeats_the_menu() {
    let (bridge, bea) = bridge_with_menu().await;
    let report = call_menu(&bridge, "72").await;
    assert_eq!(report.menu_answers.len(), 2, "{:?}", report.menu_answers);
    let (action, said) = gather(&report.menu_answers[0]);
    assert_eq!(action, bridge.url("/twilio/menu?silences=0&misses=1"));
    assert_eq!(said[0], "Sorry, that is not one of the choices.");
    assert_eq!(said[1], "Thanks for calling Praxis Adler.");
    assert_eq!(answered_by(&bridge, &report).await, bea.id.as_str());
}

/// `*` pressed during the call: the bridge passes it to the agent as a contextual update, and
/// the echo agent answers that update with an interruption, which clears Twilio's playback.
#[tokio::test]
async fn keys_pressed_during_the_call_reach_the_agent() {
    let (bridge, bea) = bridge_with_menu().await;
    let mut config = CallerConfig::new(bridge.url("/twilio/voice"), &bridge.auth_token, MENU_NUMBER);
    config.dtmf = "2*".parse().unwrap();
    config.utterances = vec![FixtureDir::bundled().caller("book").unwrap()];
    config.agent_speaks_first = false;
    // Generous: the clear comes back within a round trip of the key.
    config.linger = Duration::from_secs(10);
    let report = place_call(&config, None).await.unwrap();
    assert_eq!(answered_by(&bridge, &report).await, bea.id.as_str());
    assert_eq!(report.digits_sent, 1);
    assert!(
        report.clears >= 1,
        "the agent's answer to the key cleared playback: {report:?}"
    );
    let metrics = bridge.server.app.metrics.render(0);
    assert!(metrics.contains("switchboard_interruptions_total 1"), "{metrics}");
}

/// A number with a menu turns callers away while the server drains, like any number: a new
/// call hears no menu, and a caller already in the menu is not connected.
#[tokio::test]
async fn a_draining_server_takes_no_call_through_its_menu() {
    let (bridge, _) = bridge_with_menu().await;
    let voice = crate::support::voice_params("CAmenudrain", MENU_NUMBER);
    let menu = bridge
        .hooks
        .post(&bridge.url("/twilio/voice"), &voice)
        .await
        .unwrap();
    let (action, _) = gather(&menu);
    bridge.server.app.admission.close();
    let draining = switchboard::wire::twiml::escape(DRAINING).into_owned();
    let mut pressed = voice.clone();
    pressed.push(("Digits", "2"));
    let answer = bridge.hooks.post(&action, &pressed).await.unwrap();
    assert!(answer.contains(&draining), "{answer}");
    assert!(!answer.contains("<Connect"), "{answer}");
    let again = bridge
        .hooks
        .post(&bridge.url("/twilio/voice"), &voice)
        .await
        .unwrap();
    assert!(again.contains(&draining) && !again.contains("<Gather"), "{again}");
    let call = bridge.store.store().call_by_sid("CAmenudrain").await.unwrap();
    assert!(call.is_none(), "{call:?}");
}

/// The menu's action is signed like every webhook: an unsigned or tampered post is refused.
#[tokio::test]
async fn the_menu_action_must_be_signed() {
    let (bridge, _) = bridge_with_menu().await;
    let url = bridge.url("/twilio/menu?silences=0&misses=0");
    let mut params = crate::support::voice_params("CAmenusig", MENU_NUMBER);
    params.push(("Digits", "2"));
    let signature = bridge
        .hooks
        .sign(&bridge.url("/twilio/menu?silences=1&misses=0"), &params);
    let refused = reqwest::Client::new()
        .post(&url)
        .header("X-Twilio-Signature", signature)
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
}

/// The chosen agent's line stays its own: when Bea's agent cannot be reached, her caller gets
/// her fallback (dialled through to her desk), as a direct call to her would.
#[tokio::test]
async fn a_chosen_agent_that_fails_hands_over_to_its_own_fallback() {
    let (bridge, bea) = bridge_with_menu_on(DEAD_UPSTREAM, |_| {}).await;
    let report = call_menu(&bridge, "2").await;
    assert!(report.ended_by_bridge, "the bridge ended the stream");
    assert_eq!(answered_by(&bridge, &report).await, bea.id.as_str());
    let action = report.action.expect("the connect action was asked");
    let doc = roxmltree::Document::parse(&action).unwrap();
    let number = doc.descendants().find(|n| n.has_tag_name("Number"));
    assert_eq!(number.and_then(|n| n.text()), Some(BEAS_DESK), "{action}");
}

/// A full server refuses the choice like any call: the chosen agent's line hears `busy`
/// and its fallback.
#[tokio::test]
async fn a_full_server_refuses_the_choice_with_the_agents_fallback() {
    let (bridge, _) = bridge_with_menu_on(&echo_agent(AudioFormat::Ulaw8000).await, |config| {
        config.call.max_calls = 1;
    })
    .await;
    // A direct call to Ava, answered: its stream is on its way and holds the one place.
    bridge.answer_webhook("CAfirstcall").await;
    let voice = crate::support::voice_params("CAmenufull", MENU_NUMBER);
    let menu = bridge
        .hooks
        .post(&bridge.url("/twilio/voice"), &voice)
        .await
        .unwrap();
    let (action, _) = gather(&menu);
    let mut pressed = voice.clone();
    pressed.push(("Digits", "2"));
    let answer = bridge.hooks.post(&action, &pressed).await.unwrap();
    assert!(!answer.contains("<Connect"), "{answer}");
    let busy = switchboard::wire::twiml::escape(&bridge.server.app.config.call.busy).into_owned();
    assert!(answer.contains(&busy), "{answer}");
    assert!(answer.contains(BEAS_DESK), "Bea's fallback: {answer}");
}
