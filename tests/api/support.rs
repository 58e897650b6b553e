//! A real server for API tests: `serve`'s own app on a loopback port, over a fresh store, with an
//! operator key to make accounts, and a small JSON client.

use std::future::Future;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use switchboard::app::{App, Server};
use switchboard::config::Config;
use switchboard::manage::Keys;
use switchboard::store::testing::{self, TestStore};

#[allow(dead_code)] // each test file uses some of it
pub struct TestApi {
    pub server: Server,
    pub store: TestStore,
    pub base_url: String,
    /// An operator's key.
    pub operator: String,
    client: reqwest::Client,
}

/// An account made through the API, with its first key.
#[derive(Debug, Clone)]
pub struct TestAccount {
    pub id: String,
    pub key: String,
}

/// An answer: its status and JSON body (`Value::Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The body of an answer that must have this status.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "unexpected answer: {}", self.body);
        self.body
    }

    /// The error code of an error answer with this status.
    #[track_caller]
    pub fn error(self, status: u16) -> Value {
        let body = self.expect(status);
        assert!(body["error"]["code"].is_string(), "not an error body: {body}");
        assert!(body["error"]["message"].is_string(), "not an error body: {body}");
        body["error"].clone()
    }
}

#[allow(dead_code)]
impl TestApi {
    pub async fn start(store: TestStore) -> TestApi {
        TestApi::start_with(store, |_| {}).await
    }

    /// Like [`TestApi::start`], with the configuration adjusted by `adjust` first.
    pub async fn start_with(store: TestStore, adjust: impl FnOnce(&mut Config)) -> TestApi {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base_url = format!("http://{addr}");
        let env = [
            ("SWITCHBOARD_LISTEN", addr.to_string()),
            ("SWITCHBOARD_PUBLIC_URL", base_url.clone()),
            ("TWILIO_AUTH_TOKEN", "token-api-tests".to_owned()),
            ("ELEVENLABS_API_KEY", "xi-test-key".to_owned()),
        ];
        let mut config = Config::load(None, |name| {
            env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
        })
        .unwrap();
        // The key reaches no ElevenLabs: the tests of provisioning switch it on, with the
        // stand-in's address.
        config.elevenlabs.provisioning.provision_agents = false;
        // Calendar sources are read when a test asks ("sync now"), never by a background round.
        config.calendars.check_every_secs = 0;
        // A few calls on a machine running many tests at once: the overload check would turn
        // them away whenever the machine is busy (its own tests switch it back on).
        config.call.overload_lateness_ms = 0;
        config.call.overload_database_ms = 0;
        adjust(&mut config);
        let operator = Keys::new(store.store())
            .issue(None, "tests")
            .await
            .unwrap()
            .secret;
        let server = Server::start(listener, App::new(config, store.store())).unwrap();
        TestApi {
            server,
            store,
            base_url,
            operator,
            client: reqwest::Client::new(),
        }
    }

    pub async fn call(&self, method: Method, path: &str, key: Option<&str>, body: Option<Value>) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base_url));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A request builder with the key, for headers the helpers do not set.
    pub fn request(&self, method: Method, path: &str, key: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}/api/v1{path}", self.base_url))
            .bearer_auth(key)
    }

    pub async fn get(&self, path: &str, key: &str) -> Answer {
        self.call(Method::GET, path, Some(key), None).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(key), Some(body)).await
    }

    pub async fn patch(&self, path: &str, key: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(key), Some(body)).await
    }

    pub async fn put(&self, path: &str, key: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, Some(key), Some(body)).await
    }

    pub async fn delete(&self, path: &str, key: &str) -> Answer {
        self.call(Method::DELETE, path, Some(key), None).await
    }

    /// Makes an account on `plan` through the operator's API.
    pub async fn account(&self, name: &str, plan: &str) -> TestAccount {
        let body = self
            .post(
                "/accounts",
                &self.operator,
                json!({"name": name, "plan": plan, "timezone": "Europe/Berlin"}),
            )
            .await
            .expect(201);
        TestAccount {
            id: body["account"]["id"].as_str().unwrap().to_owned(),
            key: body["key"]["secret"].as_str().unwrap().to_owned(),
        }
    }
}

/// Runs `scenario` against a server on SQLite, then on PostgreSQL when the tests have one.
pub async fn on_each_backend<F, Fut>(scenario: F)
where
    F: Fn(TestApi) -> Fut,
    Fut: Future<Output = ()>,
{
    scenario(TestApi::start(testing::sqlite().await).await).await;
    if let Some(store) = testing::postgres().await {
        scenario(TestApi::start(store).await).await;
    }
}
