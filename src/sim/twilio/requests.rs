//! Every request the stand-in was asked, kept in order (method, path, parameters, when, the
//! status answered) for tests in the same process and for `GET /sim/requests`; a waiter can
//! block until a request it expects has come.

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Serialize;
use tokio::sync::watch;

use super::errors::TwilioError;
use super::params::Params;

/// The largest body read; Twilio's own limits are far below this.
const BODY_LIMIT: usize = 1024 * 1024;

/// One request as it came.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// The query's parameters, then the form body's.
    pub params: Params,
    #[serde(serialize_with = "rfc3339")]
    pub at: Timestamp,
    /// The HTTP status answered.
    pub status: u16,
}

fn rfc3339<S: serde::Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(at)
}

/// The log, shared by the middleware and its readers.
#[derive(Debug, Clone)]
pub struct RequestLog {
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    count: watch::Sender<usize>,
}

impl Default for RequestLog {
    fn default() -> Self {
        RequestLog {
            requests: Arc::default(),
            count: watch::Sender::new(0),
        }
    }
}

impl RequestLog {
    pub fn all(&self) -> Vec<RecordedRequest> {
        self.lock().clone()
    }

    fn push(&self, request: RecordedRequest) {
        let count = {
            let mut requests = self.lock();
            requests.push(request);
            requests.len()
        };
        self.count.send_replace(count);
    }

    /// Waits until a request `wanted` picks has been answered, and returns it.
    pub async fn wait_for(&self, wanted: impl Fn(&RecordedRequest) -> bool) -> RecordedRequest {
        let mut count = self.count.subscribe();
        loop {
            if let Some(found) = self.lock().iter().find(|request| wanted(request)) {
                return found.clone();
            }
            count.changed().await.expect("the log keeps its sender");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RecordedRequest>> {
        self.requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The middleware: reads the parameters once (handlers take them as `Extension<Params>`),
/// then records the request with the status it got.
pub async fn record(State(log): State<RequestLog>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return TwilioError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                20413,
                "The request body is too large",
            )
            .into_response();
        }
    };
    let mut params = Params::parse(parts.uri.query().unwrap_or("").as_bytes());
    if parts.method != Method::GET {
        params.extend(Params::parse(&bytes));
    }
    parts.extensions.insert(params.clone());
    let method = parts.method.to_string();
    let path = parts.uri.path().to_owned();
    let response = next
        .run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await;
    log.push(RecordedRequest {
        method,
        path,
        params,
        at: Timestamp::now(),
        status: response.status().as_u16(),
    });
    response
}
