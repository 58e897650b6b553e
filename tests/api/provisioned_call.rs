//! The whole path of a new agent, with both vendors' stand-ins on loopback ports: an agent
//! created through the API gets an ElevenLabs agent with the booking tools and μ-law both ways,
//! a number bought for it points at switchboard, and a call rung into that number the way
//! Twilio rings it reaches the new agent, which greets the caller with its own first message.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchboard::config::Secret;
use switchboard::sim::agent::{SimAgent, SimAgentConfig};
use switchboard::sim::twilio::{InboundRing, SimTwilio, SimTwilioConfig};
use switchboard::store::testing::{self, TestStore};
use switchboard::tools::schema;

use super::support::TestApi;

const XI_KEY: &str = "xi-provisioned-call";
const ACCOUNT_SID: &str = "AC00000000000000000000000000000e2e";
const AUTH_TOKEN: &str = "provisioned-call-token";
const GREETING: &str = "Harbor Dental's evening line, this is Max.";
/// Long enough for any loaded machine; the figure itself is printed, not asserted.
const PATIENCE: Duration = Duration::from_secs(60);

struct Vendors {
    elevenlabs: SimAgent,
    twilio: SimTwilio,
    elevenlabs_url: String,
    twilio_url: String,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Vendors {
    fn drop(&mut self) {
        self.tasks.iter().for_each(|task| task.abort());
    }
}

async fn vendors() -> Vendors {
    switchboard::tls::install_crypto_provider();
    let elevenlabs = SimAgent::new(SimAgentConfig {
        api_key: Some(XI_KEY.into()),
        ..SimAgentConfig::default()
    })
    .unwrap();
    let twilio = SimTwilio::new(SimTwilioConfig::new(ACCOUNT_SID, AUTH_TOKEN)).unwrap();
    let mut tasks = Vec::new();
    let mut serve = |router: axum::Router| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        tasks.push(tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        }));
        url
    };
    let elevenlabs_url = serve(elevenlabs.router());
    let twilio_url = serve(twilio.router());
    Vendors {
        elevenlabs,
        twilio,
        elevenlabs_url,
        twilio_url,
        tasks,
    }
}

async fn api(store: TestStore, vendors: &Vendors) -> TestApi {
    let (elevenlabs, twilio) = (vendors.elevenlabs_url.clone(), vendors.twilio_url.clone());
    TestApi::start_with(store, move |config| {
        config.elevenlabs.api_base = elevenlabs;
        config.elevenlabs.api_key = Some(Secret::new(XI_KEY));
        config.elevenlabs.provisioning.provision_agents = true;
        config.twilio.account_sid = Some(ACCOUNT_SID.into());
        config.twilio.auth_token = Secret::new(AUTH_TOKEN);
        config.twilio.api_base = twilio;
    })
    .await
}

#[tokio::test]
async fn an_agent_created_through_the_api_is_provisioned_at_both_vendors_and_answers_its_new_number() {
    let vendors = vendors().await;
    a_new_agent_answers_its_new_number(api(testing::sqlite().await, &vendors).await, &vendors).await;
    if let Some(store) = testing::postgres().await {
        let vendors = self::vendors().await;
        a_new_agent_answers_its_new_number(api(store, &vendors).await, &vendors).await;
    }
}

async fn a_new_agent_answers_its_new_number(api: TestApi, vendors: &Vendors) {
    let account = api.account("Harbor Dental", "pro").await;
    let began = Instant::now();
    let agent = api
        .post(
            "/agents",
            &account.key,
            json!({"name": "Max", "greeting": GREETING, "timezone": "America/New_York"}),
        )
        .await
        .expect(201);
    let created_in = began.elapsed();
    let agent_id = agent["id"].as_str().unwrap().to_owned();
    let elevenlabs_id = agent["elevenlabs_agent_id"].as_str().unwrap();

    // At ElevenLabs: μ-law both ways, the first message with the disclosure, overrides for
    // what the bridge sends, the booking tools attached as blocking client tools.
    let workspace = vendors.elevenlabs.workspace();
    let made = workspace
        .agent(elevenlabs_id)
        .expect("the ElevenLabs agent exists");
    let config = serde_json::to_value(&made.conversation_config).unwrap();
    assert_eq!(config["asr"]["user_input_audio_format"], "ulaw_8000");
    assert_eq!(config["tts"]["agent_output_audio_format"], "ulaw_8000");
    let first_message = config["agent"]["first_message"].as_str().unwrap();
    assert!(first_message.starts_with(GREETING), "{first_message}");
    assert!(first_message.contains("AI"), "the disclosure: {first_message}");
    let platform = serde_json::to_value(&made.platform_settings).unwrap();
    assert_eq!(
        platform["overrides"]["conversation_config_override"]["agent"]["first_message"],
        true
    );
    assert_eq!(platform["call_limits"]["bursting_enabled"], false);
    let tools: Vec<Value> = made
        .conversation_config
        .agent
        .prompt
        .tool_ids
        .iter()
        .map(|id| {
            serde_json::to_value(workspace.tool(id).expect("an attached tool exists").tool_config).unwrap()
        })
        .collect();
    let mut names: Vec<&str> = tools.iter().map(|tool| tool["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    let mut expected: Vec<String> = schema::client_tools()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap().to_owned())
        .collect();
    expected.sort_unstable();
    assert_eq!(names, expected);
    for tool in &tools {
        assert_eq!(
            (tool["type"].as_str(), tool["expects_response"].as_bool()),
            (Some("client"), Some(true)),
            "{tool}"
        );
    }

    // At Twilio: a number bought, its calls sent to switchboard.
    let began = Instant::now();
    let phone = api
        .post(
            &format!("/agents/{agent_id}/phone"),
            &account.key,
            json!({"buy": {"country": "US", "area_code": "415"}}),
        )
        .await
        .expect(201);
    let bought_in = began.elapsed();
    let number = phone["phone_number"].as_str().unwrap().to_owned();
    let at_twilio = vendors
        .twilio
        .state()
        .owns(&number)
        .cloned()
        .expect("bought at Twilio");
    assert_eq!(at_twilio.voice_url, format!("{}/twilio/voice", api.base_url));
    assert_eq!(at_twilio.voice_method, "POST");
    assert_eq!(
        at_twilio.status_callback,
        format!("{}/twilio/call-status", api.base_url)
    );
    println!(
        "provisioned: agent at ElevenLabs in {} ms, number at Twilio in {} ms",
        created_in.as_millis(),
        bought_in.as_millis()
    );

    // A caller rings the number as Twilio would: the webhook it was given, signed.
    let mut ring = InboundRing::new(&number, "+15005550006");
    // The caller listens to the greeting, then hangs up.
    ring.caller.linger = Duration::from_secs(1);
    ring.caller.max_duration = Duration::from_secs(30);
    let report = tokio::time::timeout(PATIENCE, vendors.twilio.ring(ring))
        .await
        .expect("the call ends")
        .expect("the call is answered");
    assert!(
        report.answer.contains("<Stream"),
        "connected to a stream: {}",
        report.answer
    );
    assert!(!report.heard.is_zero(), "the caller heard the agent");
    let record = api
        .store
        .store()
        .call_by_sid(&report.call_sid)
        .await
        .unwrap()
        .expect("the call's record");
    assert_eq!(record.agent_id.as_str(), agent_id);
    assert_eq!(record.to_number, number);
    assert!(
        record.conversation_id.is_some(),
        "the ElevenLabs conversation began"
    );
}
