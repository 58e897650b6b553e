//! Twilio's voice webhooks: the incoming call, the end of its media stream, a voicemail.
//!
//! Each answers with TwiML, also when something is wrong on our side: a 5xx would make Twilio
//! play its own "application error" message, whereas TwiML lets the caller hear a sentence
//! from us. Only a bad signature gets a plain 403.

use std::collections::BTreeMap;

use axum::extract::State;
use jiff::Timestamp;
use serde_json::Value;
use tracing::Instrument;

use super::AppState;
use super::error::Twiml;
use super::signed::SignedForm;
use crate::call::EndReason;
use crate::metrics::ErrorKind;
use crate::store::{Account, ActivityKind, Agent, CallDirection, FallbackMode, NewActivity, NewCall};
use crate::wire::elevenlabs::InitiationClientData;
use crate::wire::twiml::{Response, Verb};

/// `POST /twilio/voice`: a call to one of our numbers.
pub async fn voice(State(app): State<AppState>, form: SignedForm) -> Twiml {
    // Instrumented rather than entered: an entered span's guard held across an `.await`
    // would tag whatever else runs on this thread meanwhile.
    let span = tracing::info_span!("call", sid = form.get("CallSid").unwrap_or_default());
    answer_call(&app, &form).instrument(span).await
}

async fn answer_call(app: &AppState, form: &SignedForm) -> Twiml {
    let (Some(call_sid), Some(to)) = (form.get("CallSid"), form.get("To")) else {
        tracing::warn!("voice webhook without CallSid or To");
        return Twiml(
            Response::new()
                .say(&app.config.call.not_in_service)
                .hangup()
                .render(),
        );
    };
    let from = form.get("From").unwrap_or("anonymous");
    if app.draining.load(std::sync::atomic::Ordering::Relaxed) {
        tracing::info!("turning a call away while draining");
        let sorry = "Sorry, we can't take your call at this moment. Please call back in a minute.";
        return Twiml(Response::new().say(sorry).hangup().render());
    }
    let (agent, account) = match find_agent(app, to).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            app.metrics.error(ErrorKind::UnknownNumber);
            tracing::warn!(%to, "call to a number no agent answers");
            return Twiml(
                Response::new()
                    .say(&app.config.call.not_in_service)
                    .hangup()
                    .render(),
            );
        }
        Err(e) => {
            app.metrics.error(ErrorKind::Store);
            tracing::error!(error = %e, "agent lookup failed; the caller hears an apology");
            return Twiml(
                Response::new()
                    .say(&app.config.call.apology)
                    .say("Please try again later.")
                    .hangup()
                    .render(),
            );
        }
    };

    let (token, claims) = app.tokens.issue(call_sid, agent.id.as_str());
    let init = initiation_data(&agent, &account, call_sid, from, to, Timestamp::now());
    let client = app.elevenlabs.clone();
    let elevenlabs_agent = agent.elevenlabs_agent_id.clone();
    app.prewarm.open(
        claims.nonce.clone(),
        async move { client.connect(&elevenlabs_agent, &init).await },
        app.config.call.stream_token_ttl(),
    );

    // The call's row is written before Twilio hears the answer: every later write of the call
    // (its conversation id, its end) updates this row, and those start only once the stream
    // does, so they can never overtake it. The pre-warm above is already under way meanwhile.
    let new_call = NewCall {
        agent_id: agent.id.clone(),
        call_sid: call_sid.to_owned(),
        direction: CallDirection::Inbound,
        from_number: from.to_owned(),
        to_number: to.to_owned(),
        started_at: Timestamp::now(),
    };
    if let Err(e) = app.store.insert_call(&agent.account_id, new_call).await {
        // The call itself matters more than its log line: answer it all the same.
        app.metrics.error(ErrorKind::Store);
        tracing::warn!(error = %e, "could not log the call start");
    }

    tracing::info!(agent = %agent.name, %from, %to, "answering with a media stream");
    let public = &app.config.public_url;
    Twiml(
        Response::new()
            .verb(Verb::ConnectStream {
                action: Some(format!("{public}/twilio/connect-action")),
                url: stream_url(public),
                parameters: vec![
                    ("token".into(), token),
                    ("from".into(), from.into()),
                    ("to".into(), to.into()),
                ],
            })
            .render(),
    )
}

async fn find_agent(
    app: &AppState,
    number: &str,
) -> Result<Option<(Agent, Account)>, crate::store::StoreError> {
    let Some(agent) = app.store.agent_by_phone_number(number).await? else {
        return Ok(None);
    };
    let account = app.store.account(&agent.account_id).await?;
    Ok(Some((agent, account)))
}

/// The WebSocket form of the public base URL: `wss://` for `https://` (Twilio accepts only
/// `wss`), `ws://` for a plain-HTTP base (local testing with the simulators).
pub fn websocket_base(public_url: &str) -> String {
    if let Some(rest) = public_url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = public_url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        public_url.to_owned()
    }
}

/// The media-stream URL put in the TwiML.
pub fn stream_url(public_url: &str) -> String {
    format!("{}/twilio/stream", websocket_base(public_url))
}

/// `conversation_initiation_client_data` for a call: dynamic variables the agent's prompt can
/// use, and the agent's first message if switchboard overrides it (the override must be
/// enabled in the ElevenLabs agent's security settings, or ElevenLabs refuses the call).
pub fn initiation_data(
    agent: &Agent,
    account: &Account,
    call_sid: &str,
    from: &str,
    to: &str,
    now: Timestamp,
) -> InitiationClientData {
    let today = jiff::tz::TimeZone::get(&agent.timezone)
        .map(|tz| now.to_zoned(tz).date().to_string())
        .unwrap_or_else(|_| now.to_string()[..10].to_owned());
    let variables: BTreeMap<String, Value> = [
        ("caller_number", from),
        ("called_number", to),
        ("call_sid", call_sid),
        ("agent_name", agent.name.as_str()),
        ("business_name", account.name.as_str()),
        ("timezone", agent.timezone.as_str()),
        ("today", today.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
    .collect();
    let conversation_config_override = agent
        .first_message
        .as_ref()
        .map(|first| serde_json::json!({ "agent": { "first_message": first } }));
    InitiationClientData {
        conversation_config_override,
        dynamic_variables: variables,
        ..Default::default()
    }
}

/// `POST /twilio/connect-action`: the media stream is over. If the call ended as it should,
/// hang up; if the agent failed, play the agent's fallback.
pub async fn connect_action(State(app): State<AppState>, form: SignedForm) -> Twiml {
    let call_sid = form.get("CallSid").unwrap_or_default();
    let wants_fallback = match app.call_log.outcome(call_sid) {
        Some(reason) => reason.wants_fallback(),
        // The stream may have run on another instance: its end is in the call log.
        None => match app.store.call_by_sid(call_sid).await {
            Ok(Some(call)) => call
                .end_reason
                .as_deref()
                .is_none_or(EndReason::label_wants_fallback),
            _ => true,
        },
    };
    if !wants_fallback {
        return Twiml(Response::new().hangup().render());
    }
    tracing::info!(
        call_sid,
        "stream ended without the agent finishing; playing the fallback"
    );
    let to = form.get("To").unwrap_or_default();
    let agent = app.store.agent_by_phone_number(to).await.ok().flatten();
    Twiml(fallback(&app, agent.as_ref()).render())
}

/// The TwiML a caller hears when the agent cannot go on.
pub fn fallback(app: &AppState, agent: Option<&Agent>) -> Response {
    let apology = Response::new().say(&app.config.call.apology);
    let Some(agent) = agent else {
        return apology.say("Please call again later. Goodbye.").hangup();
    };
    match (agent.fallback_mode, &agent.fallback_number) {
        (FallbackMode::Dial, Some(number)) => apology.say("Let me transfer you.").verb(Verb::Dial {
            number: number.clone(),
            caller_id: Some(agent.phone_number.clone()),
            timeout_secs: Some(20),
            action: None,
        }),
        (FallbackMode::Voicemail, _) => apology
            .say("Please leave a message after the tone, and we will call you back.")
            .verb(Verb::Record {
                action: Some(format!("{}/twilio/voicemail", app.config.public_url)),
                max_length_secs: 120,
                play_beep: true,
                finish_on_key: Some("#".into()),
            })
            .say("We did not get a message. Goodbye.")
            .hangup(),
        _ => apology.say("Please call again later. Goodbye.").hangup(),
    }
}

/// `POST /twilio/voicemail`: Twilio recorded a fallback voicemail. It is logged as an
/// activity of the business; the caller hears a goodbye.
pub async fn voicemail(State(app): State<AppState>, form: SignedForm) -> Twiml {
    let call_sid = form.get("CallSid").unwrap_or_default();
    let recording = form.get("RecordingUrl").unwrap_or_default();
    let seconds = form.get("RecordingDuration").unwrap_or("0");
    if let Ok(Some(call)) = app.store.call_by_sid(call_sid).await {
        let activity = NewActivity {
            contact_id: None,
            kind: ActivityKind::Other("voicemail".into()),
            summary: format!("Voicemail from {} ({seconds} s)", call.from_number),
            detail: Some(serde_json::json!({ "call_sid": call_sid, "recording_url": recording })),
        };
        if let Err(e) = app.store.insert_activity(&call.account_id, activity).await {
            tracing::warn!(error = %e, call_sid, "could not log the voicemail");
        }
    }
    tracing::info!(call_sid, seconds, "voicemail recorded");
    Twiml(Response::new().say("Thank you. Goodbye.").hangup().render())
}
