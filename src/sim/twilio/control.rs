//! The stand-in's own endpoints, beside Twilio's API, for tests in other processes and people
//! at a demo: `GET /sim/requests` (every REST request so far), `GET /sim/state` (the numbers,
//! messages and calls), `POST /sim/calls/inbound` (ring one of the numbers, see
//! [`super::ring`]), `POST /sim/messages/inbound` (a caller texts one of the numbers, see
//! [`super::inbound_texts`]) and `POST /sim/failures` (from `crate::sim::failures`).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::inbound_texts::{InboundText, TextError};
use super::ring::{InboundRing, RingError};
use crate::audio::fixtures::FixtureDir;
use crate::sim::caller::Keys;

use super::SimTwilio;
use super::account::Ledger;
use super::requests::RecordedRequest;

pub fn control_router(sim: SimTwilio) -> Router {
    Router::new()
        .route("/sim/requests", get(requests))
        .route("/sim/state", get(state))
        .route("/sim/calls/inbound", post(ring))
        .route("/sim/messages/inbound", post(text))
        .with_state(sim.clone())
        .merge(crate::sim::failures::control_router(sim.failures().clone()))
}

async fn requests(State(sim): State<SimTwilio>) -> Json<Vec<RecordedRequest>> {
    Json(sim.requests().all())
}

async fn state(State(sim): State<SimTwilio>) -> Json<Ledger> {
    Json(sim.state())
}

/// `POST /sim/calls/inbound`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RingBody {
    to: String,
    #[serde(default = "default_from")]
    from: String,
    /// Caller clips to say, by name (`fixtures/caller`).
    #[serde(default)]
    say: Vec<String>,
    /// Keys to press, as `sim caller --dtmf`.
    #[serde(default)]
    dtmf: String,
    /// Whether the caller waits to hear the agent before it speaks (and, with nothing to say,
    /// before it starts lingering), as `sim caller --agent-speaks-first`.
    #[serde(default = "agent_speaks_first")]
    agent_speaks_first: bool,
    /// How long the caller stays on after its last clip, in ms (the sim caller's default when
    /// absent).
    #[serde(default)]
    linger_ms: Option<u64>,
}

fn agent_speaks_first() -> bool {
    true
}

fn default_from() -> String {
    "+15005550006".into()
}

/// What the call came to.
#[derive(Debug, Serialize)]
struct RingAnswer {
    call_sid: String,
    stream_sid: String,
    /// The TwiML the number's VoiceUrl answered.
    answer: String,
    turns_spoken: usize,
    heard_ms: u64,
    ended_by_bridge: bool,
}

async fn ring(
    State(sim): State<SimTwilio>,
    body: Result<Json<RingBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(body) = match body {
        Ok(body) => body,
        Err(rejection) => return bad_request(rejection.body_text()),
    };
    let mut ring = InboundRing::new(body.to, body.from);
    ring.caller.agent_speaks_first = body.agent_speaks_first;
    if let Some(linger_ms) = body.linger_ms {
        ring.caller.linger = std::time::Duration::from_millis(linger_ms);
    }
    match body.dtmf.parse::<Keys>() {
        Ok(keys) => ring.caller.dtmf = keys,
        Err(error) => return bad_request(error.to_string()),
    }
    let fixtures = FixtureDir::bundled();
    for name in &body.say {
        match fixtures.caller(name) {
            Ok(clip) => ring.caller.utterances.push(clip),
            Err(error) => return bad_request(format!("caller clip {name:?}: {error}")),
        }
    }
    match sim.ring(ring).await {
        Ok(report) => Json(RingAnswer {
            call_sid: report.call_sid,
            stream_sid: report.stream_sid,
            answer: report.answer,
            turns_spoken: report.turns_spoken,
            heard_ms: report.heard.as_millis() as u64,
            ended_by_bridge: report.ended_by_bridge,
        })
        .into_response(),
        Err(error @ (RingError::NotOurs(_) | RingError::NoVoiceUrl(_))) => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": error.to_string()})),
        )
            .into_response(),
        Err(error) => (
            StatusCode::BAD_GATEWAY,
            Json(serde_json::json!({"error": error.to_string()})),
        )
            .into_response(),
    }
}

/// `POST /sim/messages/inbound`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TextBody {
    to: String,
    #[serde(default = "default_from")]
    from: String,
    body: String,
}

/// The text as kept and the status its webhook got (`webhook_status`); 404 for a number
/// the account has not or one without an `SmsUrl`, 502 when the webhook got no answer.
async fn text(
    State(sim): State<SimTwilio>,
    body: Result<Json<TextBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(body) = match body {
        Ok(body) => body,
        Err(rejection) => return bad_request(rejection.body_text()),
    };
    let text = InboundText {
        to: body.to,
        from: body.from,
        body: body.body,
    };
    match sim.text(text).await {
        Ok(report) if report.webhook_status.is_none() => {
            (StatusCode::BAD_GATEWAY, Json(report)).into_response()
        }
        Ok(report) => Json(report).into_response(),
        Err(error @ (TextError::NotOurs(_) | TextError::NoSmsUrl(_))) => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": error.to_string()})),
        )
            .into_response(),
        Err(error @ TextError::EmptyBody) => bad_request(error.to_string()),
    }
}

fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({"error": message})),
    )
        .into_response()
}
