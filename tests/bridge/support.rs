//! A bridge on loopback for integration tests: a fresh SQLite store with a seeded business,
//! a random auth token, and an ElevenLabs base URL of the test's choosing.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::response::IntoResponse;
use axum::routing::get;
use switchboard::app::{App, Server};
use switchboard::audio::AudioFormat;
use switchboard::call::Event;
use switchboard::config::Config;
use switchboard::sim::agent::{SimAgentConfig, SimMode};
use switchboard::sim::caller::Webhooks;
use switchboard::store::testing::{self, Business, TestStore};
use switchboard::wire::twiml;
use tokio::net::TcpListener;

/// No agent server listens here: upstream connections fail at once.
pub const DEAD_UPSTREAM: &str = "http://127.0.0.1:9";

/// Bounds a wait that only a broken bridge would reach.
pub const PATIENCE: Duration = Duration::from_secs(30);

pub struct TestBridge {
    pub server: Server,
    pub store: TestStore,
    pub business: Business,
    pub base_url: String,
    pub auth_token: String,
    pub hooks: Webhooks,
}

impl TestBridge {
    pub async fn start(elevenlabs_base: &str) -> TestBridge {
        TestBridge::start_with(elevenlabs_base, |_| {}).await
    }

    /// Like [`TestBridge::start`], with the configuration adjusted by `adjust` first.
    pub async fn start_with(elevenlabs_base: &str, adjust: impl FnOnce(&mut Config)) -> TestBridge {
        TestBridge::start_on(testing::sqlite().await, elevenlabs_base, adjust).await
    }

    /// Like [`TestBridge::start_with`], on a store of the test's making.
    pub async fn start_on(
        store: TestStore,
        elevenlabs_base: &str,
        adjust: impl FnOnce(&mut Config),
    ) -> TestBridge {
        let business = testing::seed_business(&store).await;
        let auth_token = format!("token-{}", rand::random::<u64>());
        TestBridge::serve(store, business, auth_token, elevenlabs_base, adjust).await
    }

    /// A second instance of this bridge's deployment: its own server and memory, the same
    /// database (and business) and Twilio auth token.
    pub async fn another_instance(&self, elevenlabs_base: &str) -> TestBridge {
        let store = self.store.another_instance().await;
        let (business, auth_token) = (self.business.clone(), self.auth_token.clone());
        TestBridge::serve(store, business, auth_token, elevenlabs_base, |_| {}).await
    }

    async fn serve(
        store: TestStore,
        business: Business,
        auth_token: String,
        elevenlabs_base: &str,
        adjust: impl FnOnce(&mut Config),
    ) -> TestBridge {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base_url = format!("http://{addr}");
        let env = [
            ("SWITCHBOARD_LISTEN", addr.to_string()),
            ("SWITCHBOARD_PUBLIC_URL", base_url.clone()),
            ("TWILIO_AUTH_TOKEN", auth_token.clone()),
            ("ELEVENLABS_API_BASE", elevenlabs_base.to_string()),
            ("ELEVENLABS_API_KEY", "xi-test-key".to_string()),
        ];
        let mut config = Config::load(None, |name| {
            env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
        })
        .unwrap();
        // A few calls on a machine running many tests at once: the overload check would turn
        // them away whenever the machine is busy (its own tests switch it back on).
        config.call.overload_lateness_ms = 0;
        config.call.overload_database_ms = 0;
        adjust(&mut config);
        let server = Server::start(listener, App::new(config, store.store())).unwrap();
        TestBridge {
            server,
            hooks: Webhooks::new(&auth_token),
            store,
            business,
            base_url,
            auth_token,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub fn number(&self) -> &str {
        self.business.agent.phone_number.as_deref().unwrap()
    }

    /// Posts the signed voice webhook of a new call to this bridge's number, as Twilio would;
    /// the `<Connect><Stream>` it answers.
    pub async fn answer_webhook(&self, call_sid: &str) -> twiml::ParsedConnect {
        let answer = self
            .hooks
            .post(&self.url("/twilio/voice"), &voice_params(call_sid, self.number()))
            .await
            .unwrap();
        twiml::parse_connect(&answer)
            .unwrap()
            .unwrap_or_else(|| panic!("a <Connect><Stream>: {answer}"))
    }
}

/// The form Twilio posts to the voice webhook for a new inbound call.
pub fn voice_params<'a>(call_sid: &'a str, to: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("CallSid", call_sid),
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("From", "+15005550006"),
        ("To", to),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
        ("ApiVersion", "2010-04-01"),
    ]
}

/// `switchboard sim agent` in echo mode on loopback (API key `xi-test-key`); its base URL.
pub async fn echo_agent(format: AudioFormat) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let config = SimAgentConfig {
        mode: SimMode::Echo,
        input_format: format,
        output_format: format,
        api_key: Some("xi-test-key".into()),
        ..SimAgentConfig::default()
    };
    tokio::spawn(switchboard::sim::agent::serve(listener, config));
    url
}

/// A hand-written ElevenLabs stand-in on `listener`: the signed-URL endpoint, and the
/// conversation socket handed to `converse`. Its base URL.
pub fn hand_written_agent<F, Fut>(listener: TcpListener, converse: F) -> String
where
    F: Fn(WebSocket) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route(
            "/v1/convai/conversation/get-signed-url",
            get(move || async move {
                axum::Json(serde_json::json!({"signed_url": format!("ws://{addr}/v1/convai/conversation?agent_id=a")}))
            }),
        )
        .route(
            "/v1/convai/conversation",
            get(move |ws: WebSocketUpgrade| async move { ws.on_upgrade(converse).into_response() }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Waits until a call's agent has announced its conversation, as a live view sees it.
pub async fn until_an_agent_speaks(
    live: &mut tokio::sync::broadcast::Receiver<switchboard::telephony::LiveEvent>,
) {
    let attached = async {
        while let Ok(record) = live.recv().await {
            if matches!(record.event, Event::ConversationStarted { .. }) {
                return;
            }
        }
    };
    tokio::time::timeout(PATIENCE, attached)
        .await
        .expect("the call reached its agent");
}
