//! `/agents/{id}/phone` over real HTTP against `switchboard sim twilio`, on SQLite and
//! PostgreSQL: a number the business has attached (its calls pointed at switchboard), a
//! number bought, the plan's 403, one number per agent; giving a number up (or deleting its
//! agent) holds it, a call to it is told it is no longer in service, and at the end of the
//! hold (an explicit `now`) a bought number is released and a brought one put back.

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use switchboard::config::Secret;
use switchboard::provision::number_holds::{self, ReleaseRound};
use switchboard::sim::agent::{SimAgent, SimAgentConfig};
use switchboard::store::testing;

use super::phone_support::{
    ACCOUNT_SID, AUTH_TOKEN, BUSINESS_SMS_URL, BUSINESS_VOICE_URL, OWNED, SimServer, agent, agents_number,
    on_each_backend, voice_webhook,
};
use super::support::TestApi;

const ELEVENLABS_KEY: &str = "xi-phone-tests";
const NO_LONGER_IN_SERVICE: &str = "The number you have called is no longer in service.";

#[tokio::test]
async fn a_number_attached_answers_at_switchboard_and_is_put_back_after_its_hold() {
    on_each_backend(|api, twilio| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let ava = agent(&api, &account, "ava").await;
        let number = OWNED[0];

        let attached = api
            .post(
                &format!("/agents/{ava}/phone"),
                &account.key,
                json!({"phone_number": number}),
            )
            .await
            .expect(201);
        assert_eq!(
            (attached["phone_number"].as_str(), attached["bought"].as_bool()),
            (Some(number), Some(false))
        );
        let at_twilio = twilio.owned(number).unwrap();
        assert_eq!(attached["twilio_sid"], at_twilio.sid.as_str());
        assert_eq!(at_twilio.voice_url, format!("{}/twilio/voice", api.base_url));
        assert_eq!(at_twilio.voice_method, "POST");
        assert_eq!(
            at_twilio.status_callback,
            format!("{}/twilio/call-status", api.base_url)
        );
        assert_eq!(at_twilio.status_callback_method, "POST");
        // Its texts (a caller's STOP or START) come to switchboard too.
        assert_eq!(at_twilio.sms_url, format!("{}/twilio/sms", api.base_url));
        assert_eq!(at_twilio.sms_method, "POST");
        assert_eq!(agents_number(&api, &account, &ava).await, number);

        // One number per agent; a number the Twilio account does not have names its field.
        let again = api
            .post(
                &format!("/agents/{ava}/phone"),
                &account.key,
                json!({"phone_number": OWNED[1]}),
            )
            .await
            .error(409);
        assert_eq!(again["code"], "agent_has_number");
        let bo = agent(&api, &account, "bo").await;
        let unknown = api
            .post(
                &format!("/agents/{bo}/phone"),
                &account.key,
                json!({"phone_number": "+14155550999"}),
            )
            .await
            .error(422);
        assert_eq!(unknown["field"], "phone_number");
        let taken = api
            .post(
                &format!("/agents/{bo}/phone"),
                &account.key,
                json!({"phone_number": number}),
            )
            .await
            .error(409);
        assert_eq!(taken["code"], "phone_number_taken");
        let both = api
            .post(
                &format!("/agents/{bo}/phone"),
                &account.key,
                json!({"phone_number": number, "buy": {"country": "US"}}),
            )
            .await
            .error(422);
        assert_eq!(both["field"], "phone_number");

        // Given up: the agent loses it at once, callers hear it is out of service.
        let given_up = api
            .delete(&format!("/agents/{ava}/phone"), &account.key)
            .await
            .expect(200);
        assert_eq!(given_up["phone_number"], number);
        let held_until: Timestamp = given_up["held_until"].as_str().unwrap().parse().unwrap();
        let days = held_until.duration_since(Timestamp::now()).as_hours() as f64 / 24.0;
        assert!((29.9..=30.0).contains(&days), "held for {days} days");
        assert!(agents_number(&api, &account, &ava).await.is_null());
        let twiml = voice_webhook(&api, number, "CAheld0001").await;
        let document = roxmltree::Document::parse(&twiml).unwrap();
        let said: Vec<&str> = document
            .descendants()
            .filter(|node| node.has_tag_name("Say"))
            .filter_map(|node| node.text())
            .collect();
        assert_eq!(said, [NO_LONGER_IN_SERVICE], "{twiml}");
        assert!(
            document.descendants().any(|node| node.has_tag_name("Hangup")),
            "{twiml}"
        );
        assert_eq!(
            twilio.owned(number).unwrap().voice_url,
            format!("{}/twilio/voice", api.base_url),
            "still ours during the hold"
        );
        let none = api
            .delete(&format!("/agents/{ava}/phone"), &account.key)
            .await
            .error(409);
        assert_eq!(none["code"], "no_phone_number");

        // The end of the hold, on a virtual clock: nothing before it, the number put back at it.
        let store = api.store.store();
        let client = twilio.client();
        let release_at = store.live_hold(number).await.unwrap().unwrap().release_at;
        let before = number_holds::release_due(&store, &client, release_at - SignedDuration::from_millis(1))
            .await
            .unwrap();
        assert_eq!(before, ReleaseRound::default());
        assert_eq!(
            twilio.owned(number).unwrap().voice_url,
            format!("{}/twilio/voice", api.base_url)
        );
        let at = number_holds::release_due(&store, &client, release_at)
            .await
            .unwrap();
        assert_eq!(
            at,
            ReleaseRound {
                put_back: 1,
                ..ReleaseRound::default()
            }
        );
        let put_back = twilio.owned(number).expect("a brought number is never released");
        assert_eq!(
            (put_back.voice_url.as_str(), put_back.voice_method),
            (BUSINESS_VOICE_URL, "GET")
        );
        assert_eq!(
            (put_back.sms_url.as_str(), put_back.sms_method),
            (BUSINESS_SMS_URL, "GET"),
            "its texts go back too"
        );
        assert_eq!(store.live_hold(number).await.unwrap(), None);
        assert!(
            !voice_webhook(&api, number, "CAheld0002")
                .await
                .contains(NO_LONGER_IN_SERVICE)
        );
        let after = number_holds::release_due(&store, &client, release_at + SignedDuration::from_hours(24))
            .await
            .unwrap();
        assert_eq!(after, ReleaseRound::default(), "a hold ends once");
    })
    .await;
}

#[tokio::test]
async fn a_number_bought_is_held_when_its_agent_is_deleted_and_released_at_the_end() {
    on_each_backend(|api, twilio| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let ava = agent(&api, &account, "ava").await;
        let owned_before = twilio.numbers();

        let bought = api
            .post(
                &format!("/agents/{ava}/phone"),
                &account.key,
                json!({"buy": {"country": "US", "area_code": "415"}}),
            )
            .await
            .expect(201);
        assert_eq!(bought["bought"], true);
        let number = bought["phone_number"].as_str().unwrap().to_owned();
        assert!(number.starts_with("+1415"), "{number}");
        assert!(!owned_before.contains(&number));
        let at_twilio = twilio.owned(&number).expect("bought at the stand-in");
        assert!(
            at_twilio.friendly_name.starts_with("sb-"),
            "named with the run's marker: {}",
            at_twilio.friendly_name
        );
        assert_eq!(at_twilio.voice_url, format!("{}/twilio/voice", api.base_url));
        assert_eq!(
            at_twilio.status_callback,
            format!("{}/twilio/call-status", api.base_url)
        );
        assert_eq!(
            (at_twilio.sms_url.as_str(), at_twilio.sms_method),
            (format!("{}/twilio/sms", api.base_url).as_str(), "POST")
        );
        let bought_with_urls = twilio
            .sim
            .requests()
            .all()
            .into_iter()
            .filter(|request| {
                request.method == "POST" && request.path.ends_with("/IncomingPhoneNumbers.json")
            })
            .count();
        assert_eq!(bought_with_urls, 1, "one request buys it with its URLs");

        // Deleting the agent holds its number.
        api.delete(&format!("/agents/{ava}"), &account.key)
            .await
            .expect(204);
        let twiml = voice_webhook(&api, &number, "CAheld0003").await;
        assert!(twiml.contains(NO_LONGER_IN_SERVICE), "{twiml}");
        let store = api.store.store();
        let hold = store.live_hold(&number).await.unwrap().expect("held");
        assert!(hold.bought);

        // Another account may not take it; the same account may, which ends the hold and keeps
        // the number as bought.
        let other = api.account("Other Clinic", "pro").await;
        let stranger = agent(&api, &other, "cy").await;
        let refused = api
            .post(
                &format!("/agents/{stranger}/phone"),
                &other.key,
                json!({"phone_number": number}),
            )
            .await
            .error(409);
        assert_eq!(refused["code"], "number_held");
        let bo = agent(&api, &account, "bo").await;
        let back = api
            .post(
                &format!("/agents/{bo}/phone"),
                &account.key,
                json!({"phone_number": number}),
            )
            .await
            .expect(201);
        assert_eq!(back["bought"], true);
        assert_eq!(store.live_hold(&number).await.unwrap(), None);

        // Given up again; at the end of the hold the stand-in no longer has it.
        api.delete(&format!("/agents/{bo}/phone"), &account.key)
            .await
            .expect(200);
        let release_at = store.live_hold(&number).await.unwrap().unwrap().release_at;
        let client = twilio.client();
        let round = number_holds::release_due(&store, &client, release_at + SignedDuration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(
            round,
            ReleaseRound {
                released: 1,
                ..ReleaseRound::default()
            }
        );
        assert!(twilio.owned(&number).is_none(), "released at Twilio");
        assert_eq!(twilio.numbers(), owned_before);
    })
    .await;
}

#[tokio::test]
async fn numbers_need_a_plan_with_numbers_and_twilio_credentials() {
    on_each_backend(|api, twilio| async move {
        let free = api.account("Small Shop", "free").await;
        let ava = agent(&api, &free, "ava").await;
        let refused = api
            .post(
                &format!("/agents/{ava}/phone"),
                &free.key,
                json!({"phone_number": OWNED[0]}),
            )
            .await
            .error(403);
        assert_eq!(refused["code"], "plan_limit");
        assert!(
            twilio
                .sim
                .requests()
                .all()
                .iter()
                .all(|r| r.method == "POST" && r.path.contains("/IncomingPhoneNumbers/")),
            "nothing asked of Twilio but the set-up"
        );
    })
    .await;

    let api = TestApi::start(testing::sqlite().await).await;
    let account = api.account("Harbor Dental", "pro").await;
    let ava = agent(&api, &account, "ava").await;
    let refused = api
        .post(
            &format!("/agents/{ava}/phone"),
            &account.key,
            json!({"buy": {"country": "US"}}),
        )
        .await
        .error(409);
    assert_eq!(refused["code"], "not_configured");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("TWILIO_ACCOUNT_SID"),
        "{refused}"
    );
}

#[tokio::test]
async fn deleting_an_agent_provisioned_at_elevenlabs_holds_its_number_too() {
    for store in [Some(testing::sqlite().await), testing::postgres().await]
        .into_iter()
        .flatten()
    {
        let twilio = SimServer::start().await;
        let elevenlabs = SimAgent::new(SimAgentConfig {
            api_key: Some(ELEVENLABS_KEY.into()),
            ..SimAgentConfig::default()
        })
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let elevenlabs_base = format!("http://{}", listener.local_addr().unwrap());
        let router = elevenlabs.router();
        let served = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let twilio_base = twilio.base.clone();
        let api = TestApi::start_with(store, move |config| {
            config.twilio.account_sid = Some(ACCOUNT_SID.into());
            config.twilio.auth_token = Secret::new(AUTH_TOKEN);
            config.twilio.api_base = twilio_base;
            config.elevenlabs.api_key = Some(Secret::new(ELEVENLABS_KEY));
            config.elevenlabs.api_base = elevenlabs_base;
            config.elevenlabs.provisioning.provision_agents = true;
        })
        .await;
        let account = api.account("Harbor Dental", "pro").await;
        let made = api
            .post("/agents", &account.key, json!({"name": "Max"}))
            .await
            .expect(201);
        let (max, elevenlabs_id) = (
            made["id"].as_str().unwrap(),
            made["elevenlabs_agent_id"].as_str().unwrap(),
        );
        assert!(elevenlabs.workspace().agent(elevenlabs_id).is_some());
        let number = api
            .post(
                &format!("/agents/{max}/phone"),
                &account.key,
                json!({"buy": {"country": "US"}}),
            )
            .await
            .expect(201)["phone_number"]
            .as_str()
            .unwrap()
            .to_owned();

        api.delete(&format!("/agents/{max}"), &account.key)
            .await
            .expect(204);
        assert!(
            elevenlabs.workspace().agent(elevenlabs_id).is_none(),
            "deleted at ElevenLabs"
        );
        let hold = api
            .store
            .store()
            .live_hold(&number)
            .await
            .unwrap()
            .expect("its number is held");
        assert!(hold.bought);
        assert!(
            voice_webhook(&api, &number, "CAheld0004")
                .await
                .contains(NO_LONGER_IN_SERVICE)
        );
        served.abort();
    }
}
