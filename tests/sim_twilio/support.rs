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
    auth_token: String,
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
    /// A stand-in whose account has another auth token than [`AUTH_TOKEN`] (a bridge's).
    pub async fn start_with_token(config: SimTwilioConfig, auth_token: &str) -> Twilio {
        let mut twilio = Twilio::start(config).await;
        twilio.auth_token = auth_token.to_owned();
        twilio
    }

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
            auth_token: AUTH_TOKEN.to_owned(),
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
            .basic_auth(ACCOUNT_SID, Some(&self.auth_token))
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
            .basic_auth(ACCOUNT_SID, Some(&self.auth_token))
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
            .basic_auth(ACCOUNT_SID, Some(&self.auth_token))
            .send()
            .await
            .unwrap();
        read(response).await
    }

    pub async fn delete(&self, rest: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .delete(self.url(rest))
            .basic_auth(ACCOUNT_SID, Some(&self.auth_token))
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

/// One webhook the stand-in sent to a [`Receiver`].
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub params: Vec<(String, String)>,
    /// Whether `X-Twilio-Signature` is the auth token's signature of this request.
    pub signed: bool,
}

impl Received {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A web server that takes the stand-in's webhooks, checks their signatures, keeps them,
/// and answers a path with the body it was given (TwiML), others with 204.
#[derive(Clone)]
pub struct Receiver {
    pub base: String,
    received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
    arrived: std::sync::Arc<tokio::sync::Notify>,
}

impl Receiver {
    pub async fn start(auth_token: &str, answers: &[(&str, &str)]) -> Receiver {
        use axum::extract::{Request, State};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let receiver = Receiver {
            base: base.clone(),
            received: Default::default(),
            arrived: Default::default(),
        };
        let answers: std::collections::HashMap<String, String> = answers
            .iter()
            .map(|(p, b)| (p.to_string(), b.to_string()))
            .collect();
        let validator = switchboard::wire::signature::RequestValidator::new(auth_token);
        let state = (receiver.clone(), answers, validator, base);
        let app = axum::Router::new()
            .fallback(
                |State((receiver, answers, validator, base)): State<(
                    Receiver,
                    std::collections::HashMap<String, String>,
                    switchboard::wire::signature::RequestValidator,
                    String,
                )>,
                 request: Request| async move {
                    let (parts, body) = request.into_parts();
                    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
                    let signature = parts
                        .headers
                        .get("x-twilio-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    let full_url = format!("{base}{}", parts.uri);
                    let (params, signed) = if parts.method == axum::http::Method::GET {
                        let query = parts.uri.query().unwrap_or("");
                        let params: Vec<(String, String)> =
                            form_urlencoded::parse(query.as_bytes()).into_owned().collect();
                        (params, validator.validate(&full_url, &[], &signature))
                    } else {
                        let params: Vec<(String, String)> =
                            form_urlencoded::parse(&body).into_owned().collect();
                        let pairs: Vec<(&str, &str)> =
                            params.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                        let signed = validator.validate(&full_url, &pairs, &signature);
                        (params, signed)
                    };
                    let path = parts.uri.path().to_owned();
                    receiver.received.lock().unwrap().push(Received {
                        method: parts.method.to_string(),
                        path: path.clone(),
                        params,
                        signed,
                    });
                    receiver.arrived.notify_waiters();
                    match answers.get(&path) {
                        Some(body) => (
                            axum::http::StatusCode::OK,
                            [("content-type", "text/xml")],
                            body.clone(),
                        )
                            .into_response(),
                        None => axum::http::StatusCode::NO_CONTENT.into_response(),
                    }
                },
            )
            .with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        receiver
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `count` webhooks have come to `path`; they, in order.
    pub async fn wait_for(&self, path: &str, count: usize) -> Vec<Received> {
        let wait = async {
            loop {
                let arrived = self.arrived.notified();
                let mut arrived = std::pin::pin!(arrived);
                // Registered before looking, so a webhook landing in between still wakes us.
                arrived.as_mut().enable();
                let to_path: Vec<Received> = self.all().into_iter().filter(|r| r.path == path).collect();
                if to_path.len() >= count {
                    return to_path;
                }
                arrived.await;
            }
        };
        tokio::time::timeout(PATIENCE, wait)
            .await
            .unwrap_or_else(|_| panic!("{count} webhooks to {path}; got {:?}", self.all()))
    }
}

/// Bounds a wait that only a broken stand-in would reach.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

use axum::response::IntoResponse;
