//! Twilio's voice webhooks: the incoming call, the end of its media stream, a voicemail, and
//! the call's status callback (its final length).
//!
//! Each answers with TwiML, also when something is wrong on our side: a 5xx would make Twilio
//! play its own "application error" message, whereas TwiML lets the caller hear a sentence
//! from us. Only a bad signature (or an oversized body) gets a plain 4xx, from [`SignedForm`],
//! and a callback value that is not what Twilio sends (a recording elsewhere than Twilio's
//! API host, a length that is not whole seconds) a 400 saying which.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing::post;
use jiff::Timestamp;
use tracing::Instrument;

use axum::http::StatusCode;

use super::error::{ApiError, Twiml};
use super::render;
use super::signed::{SignedForm, TwilioAuth};
use crate::telephony::{BadField, CallStatus, InboundCall, Reception};

/// What the voice webhooks need.
#[derive(Clone)]
pub struct TwilioState {
    pub reception: Arc<Reception>,
    /// Where Twilio reaches us, for the URLs in the TwiML.
    pub public_url: Arc<str>,
}

pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    TwilioState: FromRef<S>,
    TwilioAuth: FromRef<S>,
{
    Router::new()
        .route("/twilio/voice", post(voice))
        .route("/twilio/connect-action", post(connect_action))
        .route("/twilio/voicemail", post(voicemail))
        .route("/twilio/call-status", post(call_status))
        .route("/twilio/menu", post(super::menu::menu))
}

/// `POST /twilio/voice`: a call to one of our numbers.
async fn voice(State(twilio): State<TwilioState>, form: SignedForm) -> Twiml {
    // Instrumented rather than entered: an entered span's guard held across an `.await`
    // would tag whatever else runs on this thread meanwhile.
    let span = tracing::info_span!("call", sid = form.get("CallSid").unwrap_or_default());
    let call = InboundCall::from_fields(form.get("CallSid"), form.get("From"), form.get("To"));
    let answer = twilio
        .reception
        .answer(call, Timestamp::now())
        .instrument(span)
        .await;
    render::answer(&answer, &twilio.public_url)
}

/// `POST /twilio/connect-action`: the media stream is over.
async fn connect_action(State(twilio): State<TwilioState>, form: SignedForm) -> Twiml {
    let call_sid = form.get("CallSid").unwrap_or_default();
    let to = form.get("To").unwrap_or_default();
    let after = twilio.reception.after_stream(call_sid, to).await;
    render::after_stream(&after, &twilio.public_url)
}

/// `POST /twilio/voicemail`: Twilio recorded a fallback voicemail.
async fn voicemail(State(twilio): State<TwilioState>, form: SignedForm) -> Result<Twiml, ApiError> {
    let call_sid = form.get("CallSid").unwrap_or_default();
    let goodbye = twilio
        .reception
        .voicemail(call_sid, form.get("RecordingUrl"), form.get("RecordingDuration"))
        .await
        .map_err(bad_field)?;
    Ok(Twiml(render::fallback(&goodbye, &twilio.public_url).render()))
}

/// `POST /twilio/call-status`: the number's status callback; its answer is not played.
async fn call_status(State(twilio): State<TwilioState>, form: SignedForm) -> Result<Twiml, ApiError> {
    let report = CallStatus {
        call_sid: form.get("CallSid").unwrap_or_default(),
        status: form.get("CallStatus").unwrap_or_default(),
        duration: form.get("CallDuration"),
    };
    twilio
        .reception
        .call_status(report, Timestamp::now())
        .await
        .map_err(bad_field)?;
    Ok(render::empty())
}

fn bad_field(refused: BadField) -> ApiError {
    tracing::warn!(%refused, "Twilio callback with a bad value refused");
    ApiError::new(StatusCode::BAD_REQUEST, refused.to_string())
}
