//! How long a business waits for a new agent: `POST /api/v1/agents` (the ElevenLabs agent made
//! with its tools and μ-law formats) and `POST /api/v1/agents/{id}/phone` (a number bought and
//! pointed at switchboard), over real HTTP, against both vendors' stand-ins on loopback, on
//! SQLite. The target is under a second for the two together; the vendors' own latency comes on
//! top of what is measured here, which is switchboard's share: its runs, rows and requests.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use switchboard::app::{App, Server};
use switchboard::config::Config;
use switchboard::manage::Keys;
use switchboard::sim::agent::{SimAgent, SimAgentConfig};
use switchboard::sim::twilio::{SimTwilio, SimTwilioConfig};
use switchboard::store::{NewAccount, Store};
use tokio::net::TcpListener;

const XI_KEY: &str = "xi-bench";
const ACCOUNT_SID: &str = "AC0000000000000000000000000000be7c";
const AUTH_TOKEN: &str = "bench-token";

struct Bench {
    http: reqwest::Client,
    api: String,
    key: String,
    _dir: tempfile::TempDir,
    _server: Server,
}

async fn serve(router: axum::Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

async fn start() -> Bench {
    switchboard::tls::install_crypto_provider();
    let elevenlabs = SimAgent::new(SimAgentConfig {
        api_key: Some(XI_KEY.into()),
        ..SimAgentConfig::default()
    })
    .unwrap();
    let twilio = SimTwilio::new(SimTwilioConfig::new(ACCOUNT_SID, AUTH_TOKEN)).unwrap();
    let elevenlabs_url = serve(elevenlabs.router()).await;
    let twilio_url = serve(twilio.router()).await;

    let dir = tempfile::tempdir().unwrap();
    let database_url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    let store = Store::connect(&database_url).await.unwrap();
    let account = store
        .create_account(NewAccount {
            name: "Harbor Dental".into(),
            plan: "business".into(),
        })
        .await
        .unwrap();
    let key = Keys::new(store.clone())
        .issue(Some(&account.id), "bench")
        .await
        .unwrap()
        .secret;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let env = [
        ("SWITCHBOARD_LISTEN", addr.to_string()),
        ("SWITCHBOARD_PUBLIC_URL", format!("http://{addr}")),
        ("SWITCHBOARD_DATABASE_URL", database_url),
        ("TWILIO_AUTH_TOKEN", AUTH_TOKEN.to_owned()),
        ("TWILIO_ACCOUNT_SID", ACCOUNT_SID.to_owned()),
        ("TWILIO_API_BASE", twilio_url),
        ("ELEVENLABS_API_KEY", XI_KEY.to_owned()),
        ("ELEVENLABS_API_BASE", elevenlabs_url),
    ];
    let config = Config::load(None, |name| {
        env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    })
    .unwrap();
    let server = Server::start(listener, App::new(config, store)).unwrap();
    Bench {
        http: reqwest::Client::new(),
        api: format!("http://{addr}/api/v1"),
        key,
        _dir: dir,
        _server: server,
    }
}

impl Bench {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.api))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer = request.send().await.unwrap();
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// One new agent with its number; the time of the two requests.
    async fn provision(&self) -> (Duration, String) {
        let began = Instant::now();
        let agent = self
            .send(
                reqwest::Method::POST,
                "/agents",
                Some(json!({"name": "Max", "greeting": "Harbor Dental, this is Max."})),
            )
            .await;
        let id = agent["id"].as_str().unwrap().to_owned();
        self.send(
            reqwest::Method::POST,
            &format!("/agents/{id}/phone"),
            Some(json!({"buy": {"country": "US", "area_code": "415"}})),
        )
        .await;
        (began.elapsed(), id)
    }
}

fn provisioning(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let bench = runtime.block_on(start());
    // The account's workspace tools are made by its first agent: not part of every one.
    runtime.block_on(async {
        let (_, id) = bench.provision().await;
        bench
            .send(reqwest::Method::DELETE, &format!("/agents/{id}"), None)
            .await;
    });
    let mut group = c.benchmark_group("provisioning");
    group.sample_size(20);
    group.bench_function("create an agent and buy its number", |b| {
        b.iter_custom(|iterations| {
            runtime.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let (took, id) = bench.provision().await;
                    total += took;
                    // Within the plan's agents; the number goes into its hold.
                    bench
                        .send(reqwest::Method::DELETE, &format!("/agents/{id}"), None)
                        .await;
                }
                total
            })
        })
    });
    group.finish();
}

criterion_group!(benches, provisioning);
criterion_main!(benches);
