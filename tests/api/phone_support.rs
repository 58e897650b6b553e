//! A server whose Twilio is `switchboard sim twilio` on a loopback port, for the phone tests:
//! the stand-in with the numbers the business already has, and the API pointed at it.

use std::time::Duration;

use serde_json::{Value, json};
use switchboard::config::Secret;
use switchboard::sim::twilio::{IncomingNumber, SimTwilio, SimTwilioConfig};
use switchboard::store::testing::{self, TestStore};
use switchboard::vendor_api::twilio::TwilioClient;
use switchboard::wire::signature::RequestValidator;

use super::support::{TestAccount, TestApi};

pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const AUTH_TOKEN: &str = "sim-twilio-phone-token";
/// Numbers the business has in its Twilio account before switchboard.
pub const OWNED: [&str; 2] = ["+14155550111", "+14155550122"];
/// Where the business's own numbers send their calls.
pub const BUSINESS_VOICE_URL: &str = "https://business.example.com/voice";
/// Where they send their texts.
pub const BUSINESS_SMS_URL: &str = "https://business.example.com/texts";

/// The stand-in, served for as long as this lives.
pub struct SimServer {
    pub sim: SimTwilio,
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SimServer {
    pub async fn start() -> SimServer {
        switchboard::tls::install_crypto_provider();
        let mut config = SimTwilioConfig::new(ACCOUNT_SID, AUTH_TOKEN);
        config.numbers = OWNED.iter().map(|n| (*n).to_owned()).collect();
        let sim = SimTwilio::new(config).expect("the stand-in starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = sim.router();
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        let server = SimServer { sim, base, task };
        // The business's numbers already answer somewhere of its own.
        for number in OWNED {
            let sid = server.owned(number).expect("seeded").sid;
            server
                .client()
                .set_hooks(
                    &sid,
                    &switchboard::vendor_api::twilio::VoiceHooks {
                        voice_url: BUSINESS_VOICE_URL.into(),
                        voice_method: "GET".into(),
                        status_callback: String::new(),
                        status_callback_method: "POST".into(),
                        sms_url: Some(BUSINESS_SMS_URL.into()),
                        sms_method: Some("GET".into()),
                    },
                )
                .await
                .unwrap();
        }
        server
    }

    /// A client of the stand-in, as the server builds it.
    pub fn client(&self) -> TwilioClient {
        TwilioClient::new(
            &self.base,
            ACCOUNT_SID,
            Secret::new(AUTH_TOKEN),
            Duration::from_secs(10),
        )
    }

    /// The number as the stand-in has it now, if the account owns it.
    pub fn owned(&self, number: &str) -> Option<IncomingNumber> {
        self.sim.state().owns(number).cloned()
    }

    pub fn numbers(&self) -> Vec<String> {
        self.sim
            .state()
            .numbers
            .iter()
            .map(|n| n.phone_number.clone())
            .collect()
    }
}

/// The API on `store`, its Twilio the stand-in at `sim`.
pub async fn api_with_twilio(store: TestStore, sim: &SimServer) -> TestApi {
    let base = sim.base.clone();
    TestApi::start_with(store, move |config| {
        config.twilio.account_sid = Some(ACCOUNT_SID.into());
        config.twilio.auth_token = Secret::new(AUTH_TOKEN);
        config.twilio.api_base = base;
    })
    .await
}

/// Runs `scenario` with a fresh stand-in and a server on SQLite, then on PostgreSQL when the
/// tests have one.
pub async fn on_each_backend<F, Fut>(scenario: F)
where
    F: Fn(TestApi, SimServer) -> Fut,
    Fut: Future<Output = ()>,
{
    let sim = SimServer::start().await;
    scenario(api_with_twilio(testing::sqlite().await, &sim).await, sim).await;
    if let Some(store) = testing::postgres().await {
        let sim = SimServer::start().await;
        scenario(api_with_twilio(store, &sim).await, sim).await;
    }
}

/// A new agent without a number in `account`.
pub async fn agent(api: &TestApi, account: &TestAccount, name: &str) -> String {
    let body = api
        .post(
            "/agents",
            &account.key,
            json!({"name": name, "elevenlabs_agent_id": format!("el_{name}")}),
        )
        .await
        .expect(201);
    body["id"].as_str().unwrap().to_owned()
}

/// The agent's number as the API shows it.
pub async fn agents_number(api: &TestApi, account: &TestAccount, agent: &str) -> Value {
    api.get(&format!("/agents/{agent}"), &account.key)
        .await
        .expect(200)["agent"]["phone_number"]
        .clone()
}

/// The TwiML the server answers a signed voice webhook for a call to `to` with.
pub async fn voice_webhook(api: &TestApi, to: &str, call_sid: &str) -> String {
    let url = format!("{}/twilio/voice", api.base_url);
    let params = [
        ("CallSid", call_sid),
        ("AccountSid", ACCOUNT_SID),
        ("From", "+15005550006"),
        ("To", to),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
    ];
    let signature = RequestValidator::new(AUTH_TOKEN).sign(&url, &params);
    let response = reqwest::Client::new()
        .post(&url)
        .header("X-Twilio-Signature", signature)
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}
