//! A stand-in served on a loopback port, and a client that speaks to it as twilio-python
//! does: Basic auth, form bodies, JSON answers.

use reqwest::StatusCode;
use serde_json::Value;
use switchboard::sim::twilio::{SimTwilio, SimTwilioConfig};

pub const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const AUTH_TOKEN: &str = "sim-twilio-token";

/// A stand-in served for as long as this lives.
pub struct Twilio {
    pub sim: SimTwilio,
    pub base: String,
    http: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Twilio {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn config() -> SimTwilioConfig {
    SimTwilioConfig::new(ACCOUNT_SID, AUTH_TOKEN)
}

impl Twilio {
    pub async fn start(config: SimTwilioConfig) -> Twilio {
        switchboard::tls::install_crypto_provider();
        let sim = SimTwilio::new(config).expect("the stand-in starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = sim.router();
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Twilio {
            sim,
            base,
            http: reqwest::Client::new(),
            task,
        }
    }

    /// The URL of `rest` under this account, e.g. `Calls.json`.
    pub fn url(&self, rest: &str) -> String {
        format!("{}/2010-04-01/Accounts/{ACCOUNT_SID}/{rest}", self.base)
    }

    pub async fn get(&self, rest: &str, query: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .get(self.url(rest))
            .query(query)
            .basic_auth(ACCOUNT_SID, Some(AUTH_TOKEN))
            .send()
            .await
            .unwrap();
        read(response).await
    }

    /// A GET of a path with its query, as a page's `next_page_uri` gives.
    pub async fn follow(&self, uri: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{uri}", self.base))
            .basic_auth(ACCOUNT_SID, Some(AUTH_TOKEN))
            .send()
            .await
            .unwrap();
        read(response).await
    }

    pub async fn post(&self, rest: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url(rest))
            .form(form)
            .basic_auth(ACCOUNT_SID, Some(AUTH_TOKEN))
            .send()
            .await
            .unwrap();
        read(response).await
    }

    pub async fn delete(&self, rest: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .delete(self.url(rest))
            .basic_auth(ACCOUNT_SID, Some(AUTH_TOKEN))
            .send()
            .await
            .unwrap();
        read(response).await
    }

    /// Any request, for the tests of authentication.
    pub fn raw(&self) -> &reqwest::Client {
        &self.http
    }
}

/// The status and the JSON body (`Null` when empty).
pub async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, body)
}

/// Asserts a Twilio error body with `code` and `status`.
pub fn assert_error(answer: &(StatusCode, Value), status: u16, code: u64) {
    let (got, body) = answer;
    assert_eq!(got.as_u16(), status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(
        body["more_info"],
        format!("https://www.twilio.com/docs/errors/{code}"),
        "{body}"
    );
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}
