//! The reception: what happens when Twilio asks about a call. A call comes in (routed, and if
//! connected: its one-time stream token issued, its agent pre-warmed, its record written); its
//! media stream ends (hang up, or the fallback); a fallback voicemail was left.
//!
//! Every answer is data ([`Answer`], [`Fallback`]); `http` renders it as TwiML. Whatever fails
//! on our side still ends in something the caller hears.

use std::sync::Arc;

use jiff::Timestamp;

use crate::call::EndReason;
use crate::config::CallConfig;
use crate::store::{ActivityKind, CallDirection, NewActivity, NewCallRecord, Store, StoreError};

use super::admission::Admission;
use super::attach::AgentConnections;
use super::directory::Directory;
use super::fallback::{self, Fallback};
use super::initiation::initiation_data;
use super::metrics::{ErrorKind, Metrics};
use super::recorder::CallRecorder;
use super::route::{self, InboundCall, Lookup, Refusal, Route};
use super::tokens::StreamTokens;

/// How the voice webhook answers a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Stream the call's audio to us, with these parameters for the stream's `start`.
    Connect(Connect),
    /// Not connected: what the caller hears instead.
    Refuse(Fallback),
}

/// The parameters a connected call's media stream carries back to us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    /// The one-time token the stream redeems ([`StreamTokens`]).
    pub token: String,
    pub from: String,
    pub to: String,
}

/// What follows a media stream's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterStream {
    /// The call ended as it should.
    HangUp,
    Fallback(Fallback),
}

/// The services behind Twilio's voice webhooks.
pub struct Reception {
    pub call_config: CallConfig,
    pub store: Store,
    pub directory: Directory,
    pub tokens: Arc<StreamTokens>,
    pub connections: AgentConnections,
    pub recorder: Arc<CallRecorder>,
    pub metrics: Arc<Metrics>,
    pub admission: Arc<Admission>,
}

impl Reception {
    /// A call comes in; `None` when the webhook did not say which call or which number.
    pub async fn answer(&self, call: Option<InboundCall>, now: Timestamp) -> Answer {
        let Some(call) = call else {
            tracing::warn!("voice webhook without CallSid or To");
            return Answer::Refuse(Fallback::not_in_service(&self.call_config));
        };
        // Held until the answer is given: a drain waits for it.
        let admitted = self.admission.admit();
        let draining = admitted.is_none();
        let found = match draining {
            true => Ok(None),
            false => self.directory.line(&call.to).await,
        };
        let lookup = match &found {
            Ok(Some(line)) => Lookup::Found(line),
            Ok(None) => Lookup::NotFound,
            Err(_) => Lookup::Failed,
        };
        let line = match route::route(draining, lookup) {
            Route::Connect(line) => line,
            Route::Refuse(refusal) => {
                return Answer::Refuse(self.refuse(refusal, &call, found.as_ref().err()));
            }
        };

        let (token, claims) = self.tokens.issue(&call.call_sid, line.agent.id.as_str(), now);
        let init = initiation_data(
            &line.agent,
            &line.account,
            &call.call_sid,
            &call.from,
            &call.to,
            now,
        );
        self.connections.prewarm(claims.nonce, &line.agent, init);

        // The call's row is written before Twilio hears the answer: every later write of the
        // call (its conversation id, its end) updates this row, and those start only once the
        // stream does, so they can never overtake it. The pre-warm is already under way.
        let new_call = NewCallRecord {
            agent_id: line.agent.id.clone(),
            call_sid: call.call_sid.clone(),
            direction: CallDirection::Inbound,
            from_number: call.from.clone(),
            to_number: call.to.clone(),
            started_at: now,
        };
        if let Err(e) = self
            .recorder
            .call_answered(&line.agent.account_id, new_call)
            .await
        {
            // The call itself matters more than its record: answer it all the same.
            self.metrics.error(ErrorKind::Store);
            tracing::warn!(error = %e, "could not record the call's start");
        }
        tracing::info!(agent = %line.agent.name, from = %call.from, to = %call.to, "answering with a media stream");
        Answer::Connect(Connect {
            token,
            from: call.from,
            to: call.to,
        })
    }

    /// What a refused caller hears; the refusal is counted and logged.
    fn refuse(&self, refusal: Refusal, call: &InboundCall, lookup_error: Option<&StoreError>) -> Fallback {
        match refusal {
            Refusal::Draining => {
                tracing::info!("turning a call away while draining");
                Fallback::draining()
            }
            Refusal::NotInService => {
                self.metrics.error(ErrorKind::UnknownNumber);
                tracing::warn!(to = %call.to, "call to a number no agent answers");
                Fallback::not_in_service(&self.call_config)
            }
            Refusal::Unavailable => {
                self.metrics.error(ErrorKind::Store);
                if let Some(e) = lookup_error {
                    tracing::error!(error = %e, "agent lookup failed; the caller hears an apology");
                }
                Fallback::unavailable(&self.call_config)
            }
        }
    }

    /// The media stream of `call_sid` (a call to `to`) is over: hang up if the call ended as
    /// it should; if the agent failed, the line's fallback.
    pub async fn after_stream(&self, call_sid: &str, to: &str) -> AfterStream {
        let wants_fallback = match self.recorder.outcome(call_sid) {
            Some(reason) => reason.wants_fallback(),
            // The stream may have run on another instance: its end is in the call record.
            None => match self.store.call_by_sid(call_sid).await {
                Ok(Some(call)) => call
                    .end_reason
                    .as_deref()
                    .is_none_or(EndReason::label_wants_fallback),
                _ => true,
            },
        };
        if !wants_fallback {
            return AfterStream::HangUp;
        }
        tracing::info!(
            call_sid,
            "stream ended without the agent finishing; playing the fallback"
        );
        let agent = self.directory.agent_for_number(to).await.ok().flatten();
        AfterStream::Fallback(Fallback::for_agent(agent.as_ref(), &self.call_config))
    }

    /// A fallback voicemail was recorded: it is kept as an activity of the business, and the
    /// caller hears a goodbye.
    pub async fn voicemail(&self, call_sid: &str, recording_url: &str, seconds: &str) -> Fallback {
        if let Ok(Some(call)) = self.store.call_by_sid(call_sid).await {
            let activity = NewActivity {
                contact_id: None,
                kind: ActivityKind::Other("voicemail".into()),
                summary: format!("Voicemail from {} ({seconds} s)", call.from_number),
                detail: Some(serde_json::json!({ "call_sid": call_sid, "recording_url": recording_url })),
            };
            if let Err(e) = self.store.insert_activity(&call.account_id, activity).await {
                tracing::warn!(error = %e, call_sid, "could not record the voicemail");
            }
        }
        tracing::info!(call_sid, seconds, "voicemail recorded");
        Fallback::goodbye([fallback::THANKS])
    }
}
