//! Twilio's voice webhooks: the incoming call, the end of its media stream, a voicemail, and
//! the call's status callback (its final length); for a call handed to a person, the whisper
//! and the end of the transfer's dial; for a number's menu, what the caller answered to it
//! (where the caller is in the menu travels in the action URL's query, which Twilio signs).
//!
//! Each answers with TwiML, also when something is wrong on our side: a 5xx would make Twilio
//! play its own "application error" message, whereas TwiML lets the caller hear a sentence
//! from us. Only a bad signature (or an oversized body) gets a plain 4xx, from [`SignedForm`],
//! and a callback value that is not what Twilio sends (a recording elsewhere than Twilio's
//! API host, a length that is not whole seconds) a 400 saying which.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Query, State};
use axum::routing::post;
use jiff::Timestamp;
use serde::Deserialize;
use tracing::Instrument;

use axum::http::StatusCode;

use super::error::{ApiError, Twiml};
use super::render;
use super::signed::{SignedForm, TwilioAuth};
use crate::telephony::menu::{Attempt, MenuInput};
use crate::telephony::{BadField, CallStatus, DialReport, InboundCall, Reception};

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
        .route("/twilio/whisper", post(whisper))
        .route("/twilio/transfer-action", post(transfer_action))
        .route("/twilio/menu", post(menu))
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

/// The whisper's query: the call being handed over.
#[derive(Debug, serde::Deserialize)]
struct WhisperQuery {
    call: Option<String>,
}

/// `POST /twilio/whisper?call=…`: the person taking a transfer answered; what they hear
/// before the caller is connected. The form is the person's leg; the query names the caller's
/// call (it is part of the URL Twilio signs).
async fn whisper(
    State(twilio): State<TwilioState>,
    Query(query): Query<WhisperQuery>,
    _form: SignedForm,
) -> Twiml {
    let call_sid = query.call.unwrap_or_default();
    render::whisper(&twilio.reception.whisper(&call_sid).await)
}

/// `POST /twilio/transfer-action`: the transfer's `<Dial>` is over.
async fn transfer_action(State(twilio): State<TwilioState>, form: SignedForm) -> Result<Twiml, ApiError> {
    let report = DialReport {
        call_sid: form.get("CallSid").unwrap_or_default(),
        status: form.get("DialCallStatus"),
        dial_call_sid: form.get("DialCallSid"),
        dial_seconds: form.get("DialCallDuration"),
    };
    let next = twilio
        .reception
        .after_transfer(report, Timestamp::now())
        .await
        .map_err(bad_field)?;
    Ok(Twiml(render::fallback(&next, &twilio.public_url).render()))
}

fn bad_field(refused: BadField) -> ApiError {
    tracing::warn!(%refused, "Twilio callback with a bad value refused");
    ApiError::new(StatusCode::BAD_REQUEST, refused.to_string())
}

/// The action URL's query.
#[derive(Debug, Default, Deserialize)]
pub struct MenuQuery {
    #[serde(default)]
    silences: u8,
    #[serde(default)]
    misses: u8,
}

/// `POST /twilio/menu`: the caller answered (or did not answer) a number's menu.
pub async fn menu(
    State(twilio): State<TwilioState>,
    Query(query): Query<MenuQuery>,
    form: SignedForm,
) -> Twiml {
    let span = tracing::info_span!("call", sid = form.get("CallSid").unwrap_or_default());
    let call = InboundCall::from_fields(form.get("CallSid"), form.get("From"), form.get("To"));
    let input = MenuInput {
        digits: form.get("Digits"),
        speech: form.get("SpeechResult"),
    };
    let attempt = Attempt {
        silences: query.silences,
        misses: query.misses,
    };
    let answer = twilio
        .reception
        .menu_choice(call, input, attempt, Timestamp::now())
        .instrument(span)
        .await;
    render::answer(&answer, &twilio.public_url)
}
