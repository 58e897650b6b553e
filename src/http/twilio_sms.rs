//! Twilio's messaging webhooks, each signature-checked like the voice webhooks
//! ([`SignedForm`]): a text a caller sent to one of the account's numbers (`/twilio/sms`,
//! where STOP and START are honoured: `messaging::inbound`) and the delivery status of a
//! follow-up text (`/twilio/sms-status`: `messaging::delivery`). Both answer empty TwiML: no
//! reply text is sent from here (Twilio answers the opt-out keywords itself).

use axum::Router;
use axum::extract::{FromRef, Query, State};
use axum::routing::post;
use jiff::Timestamp;
use serde::Deserialize;

use super::error::Twiml;
use super::render;
use super::signed::{SignedForm, TwilioAuth};
use crate::messaging::delivery;
use crate::messaging::{InboundTexts, IncomingText, Received};
use crate::store::Store;

/// What the messaging webhooks need.
#[derive(Clone)]
pub struct SmsState {
    pub texts: InboundTexts,
    pub store: Store,
}

pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    SmsState: FromRef<S>,
    TwilioAuth: FromRef<S>,
{
    Router::new()
        .route("/twilio/sms", post(incoming))
        .route("/twilio/sms-status", post(status))
}

/// `POST /twilio/sms`: a text to one of our numbers.
async fn incoming(State(sms): State<SmsState>, form: SignedForm) -> Twiml {
    let text = IncomingText {
        to: form.get("To").unwrap_or_default().to_owned(),
        from: form.get("From").unwrap_or_default().to_owned(),
        body: form.get("Body").unwrap_or_default().to_owned(),
        opt_out_type: form.get("OptOutType").map(str::to_owned),
        message_sid: form.get("MessageSid").map(str::to_owned),
    };
    match sms.texts.received(&text, Timestamp::now()).await {
        Ok(Received::Keyword { account_id, keyword }) => {
            tracing::info!(account_id = %account_id, ?keyword, "a caller's opt-out keyword was kept");
        }
        Ok(Received::Message) => tracing::info!("a text that is no keyword was received; nothing to do"),
        Ok(Received::UnknownNumber) => tracing::warn!("a text came to a number no agent or menu answers"),
        // Twilio retries nothing for a text, so say it loud; the sender can text again.
        Err(error) => tracing::error!(%error, "an incoming text could not be read; an opt-out in it is lost"),
    }
    render::empty()
}

/// Which outbox job a status callback is about, as the sender put it in the URL.
#[derive(Debug, Deserialize)]
struct StatusQuery {
    job: Option<String>,
}

/// `POST /twilio/sms-status`: a follow-up text's delivery status.
async fn status(State(sms): State<SmsState>, Query(query): Query<StatusQuery>, form: SignedForm) -> Twiml {
    let sid = form.get("MessageSid").unwrap_or_default();
    let status = form.get("MessageStatus").unwrap_or_default();
    let error_code = form.get("ErrorCode");
    let job_id = query.job.as_deref();
    match delivery::status_reported(&sms.store, job_id, sid, status, error_code).await {
        Ok(true) => tracing::debug!(message_sid = sid, status, "a text's delivery status was kept"),
        Ok(false) => tracing::debug!(
            message_sid = sid,
            status,
            "a text's status was not newer, or not ours"
        ),
        Err(error) => tracing::warn!(%error, message_sid = sid, "a text's delivery status could not be kept"),
    }
    render::empty()
}
