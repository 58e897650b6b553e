//! The reception: what happens when Twilio asks about a call. A call comes in (routed, and if
//! connected: its record written, then its one-time stream token issued and its agent
//! pre-warmed); its media stream ends (hang up, or the fallback); a fallback voicemail was
//! left; Twilio reports the call completed (its length, a second source for the record's).
//!
//! Each callback acts at most once per call: the call's row is the idempotency point (a
//! unique CallSid, an insert that says whether it was new), so a replayed voice webhook gets
//! no token and opens no agent connection, and a repeated voicemail or status adds nothing.
//!
//! Every answer is data ([`Answer`], [`Fallback`]); `http` renders it as TwiML. Whatever fails
//! on our side still ends in something the caller hears.

use std::sync::Arc;

use jiff::Timestamp;

use crate::call::EndReason;
use crate::config::CallConfig;
use crate::store::{CallAdmission, CallUpdate, Store, StoreError};

use std::sync::atomic::Ordering;

use super::admission::{Admission, NoPlace, Place};
use super::answer::{AfterStream, Answer, Connect, Destination};
use super::attach::AgentConnections;
use super::callback_fields::{self, BadField, MAX_CALL_SECS, MAX_RECORDING_SECS};
use super::directory::Directory;
use super::fallback::{self, Fallback};
use super::initiation::look_up_and_build;
use super::metrics::{ErrorKind, Metrics};
use super::minute_pool::MinutePools;
use super::recorder::CallRecorder;
use super::route::{self, InboundCall, Intake, Lookup, MinutesLeft, Refusal, Route};
use super::tokens::StreamTokens;

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
    /// Twilio's API host, where every recording it reports lives (`api.twilio.com`).
    pub recording_host: String,
    /// The accounts' minute pools, read as calls come in.
    pub minute_pools: Arc<MinutePools>,
}

/// What Twilio's status callback says about a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallStatus<'a> {
    pub call_sid: &'a str,
    /// `CallStatus`: `completed`, `busy`, … (anything not final is ignored).
    pub status: &'a str,
    /// `CallDuration`, in seconds: sent with `completed`.
    pub duration: Option<&'a str>,
}

impl Reception {
    /// A call comes in; `None` when the webhook did not say which call or which number.
    pub async fn answer(&self, call: Option<InboundCall>, now: Timestamp) -> Answer {
        self.answer_to(call, Destination::Number, now).await
    }

    /// A call comes in for `destination`: the number called, or an agent its menu chose.
    pub(super) async fn answer_to(
        &self,
        call: Option<InboundCall>,
        destination: Destination,
        now: Timestamp,
    ) -> Answer {
        let Some(call) = call else {
            tracing::warn!("voice webhook without CallSid or To");
            return Answer::Refuse(Fallback::not_in_service(&self.call_config));
        };
        // Held until the answer is given: a drain waits for it.
        let admitted = self.admission.admit();
        let found = match admitted {
            None => Ok(None),
            Some(_) => destination.line(&self.directory, &call.to).await,
        };
        // A number no agent answers may have a menu.
        if let (Some(_), Ok(None), Destination::Number) = (&admitted, &found, &destination)
            && let Some(menu) = self.menu_for(&call).await
        {
            return menu;
        }
        let lookup = match &found {
            Ok(Some(line)) => Lookup::Found(line),
            Ok(None) if admitted.is_some() && destination == Destination::Number => {
                self.held_or_not_found(&call.to).await
            }
            Ok(None) => Lookup::NotFound,
            Err(_) => Lookup::Failed,
        };
        let minutes = match lookup {
            Lookup::Found(line) => self.minutes_left(line, now).await,
            _ => Ok(MinutesLeft::Unlimited),
        };
        let lookup = if minutes.is_err() { Lookup::Failed } else { lookup };
        // Held until the stream token is issued: from then on the token counts this call.
        let place = match (&admitted, lookup) {
            (Some(_), Lookup::Found(_)) => Some(self.take_place(now)),
            _ => None,
        };
        let intake = match (&admitted, &place) {
            (None, _) => Intake::Draining,
            (Some(_), Some(Err(no_place))) => Intake::from(*no_place),
            _ => Intake::Open,
        };
        let line = match route::route(intake, lookup, now, minutes.unwrap_or(MinutesLeft::Unlimited)) {
            Route::Connect(line) => line,
            Route::TurnAway(line, why) => return Answer::Refuse(self.turn_away(line, why, &call, now).await),
            Route::Refuse(refusal) => {
                return Answer::Refuse(self.refuse(refusal, &call, lookup, found.as_ref().err()));
            }
        };

        // The call's row first: it says whether this CallSid was answered before (a replay gets
        // nothing: no token, no agent connection), and every later write of the call (its
        // conversation id, progress, end) updates it; those start only once the stream does.
        // It is written only if the account has a place under its plan's calls at once.
        match self.admit_on_account(line, &call, now).await {
            Ok(CallAdmission::Answered(_)) => {}
            Ok(CallAdmission::Full { .. }) => return Answer::Refuse(self.account_busy(line)),
            Ok(CallAdmission::Repeat) => {
                self.metrics.error(ErrorKind::Replayed);
                tracing::warn!(call_sid = %call.call_sid, "voice webhook for a call already answered refused");
                return Answer::Refuse(Fallback::hang_up());
            }
            Err(e) => {
                // Counted. Without its record a call could be answered twice, and its stream
                // would not find the store either: the caller hears an apology.
                tracing::error!(error = %e, "could not record the call's start; the caller hears an apology");
                return Answer::Refuse(Fallback::unavailable(&self.call_config));
            }
        }

        let (token, claims) = self.tokens.issue(&call.call_sid, line.agent.id.as_str(), now);
        drop(place);
        // The call's facts are looked up in the pre-warm's task: the answer does not wait.
        let init = look_up_and_build(
            self.store.clone(),
            line.clone(),
            call.call_sid.clone(),
            call.from.clone(),
            call.to.clone(),
            now,
        );
        self.connections.prewarm(claims.nonce, &line.agent, init);
        tracing::info!(agent = %line.agent.name, from = %call.from, to = %call.to, "answering with a media stream");
        Answer::Connect(Connect {
            token,
            from: call.from,
            to: call.to,
        })
    }

    /// A place for one more call beside those being connected, those answered whose streams
    /// are on their way, and those streaming (read in that order: see
    /// [`Admission::take_place`]).
    fn take_place(&self, now: Timestamp) -> Result<Place<'_>, NoPlace> {
        self.admission.take_place(self.call_config.max_calls, || {
            let answered = self.tokens.outstanding(now).calls;
            let streaming = self.metrics.calls.active_calls.load(Ordering::Acquire);
            (usize::try_from(streaming).unwrap_or(0), answered)
        })
    }

    /// What a refused caller hears; the refusal is counted and logged.
    fn refuse(
        &self,
        refusal: Refusal,
        call: &InboundCall,
        lookup: Lookup<'_>,
        lookup_error: Option<&StoreError>,
    ) -> Fallback {
        match refusal {
            Refusal::Draining => {
                tracing::info!("turning a call away while draining");
                Fallback::draining()
            }
            Refusal::AtCapacity => {
                self.metrics.error(ErrorKind::AtCapacity);
                tracing::warn!(
                    call_sid = %call.call_sid,
                    max_calls = self.call_config.max_calls,
                    "every call this server may take is taken; the line's fallback takes this one"
                );
                self.fallback_when_busy(lookup)
            }
            Refusal::Overloaded(cause) => {
                self.metrics.error(ErrorKind::Overloaded);
                tracing::warn!(
                    call_sid = %call.call_sid,
                    "the server is overloaded ({}); the line's fallback takes this call",
                    cause.symptom()
                );
                self.fallback_when_busy(lookup)
            }
            Refusal::NotInService => {
                self.metrics.error(ErrorKind::UnknownNumber);
                tracing::warn!(to = %call.to, "call to a number no agent answers");
                Fallback::not_in_service(&self.call_config)
            }
            Refusal::NoLongerInService => {
                self.metrics.error(ErrorKind::UnknownNumber);
                tracing::info!(to = %call.to, "call to a number held after its agent gave it up: no longer in service");
                Fallback::no_longer_in_service()
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

    /// What a caller hears when the server has no room for the call: the line's fallback.
    fn fallback_when_busy(&self, lookup: Lookup<'_>) -> Fallback {
        match lookup {
            Lookup::Found(line) => Fallback::at_capacity(&line.agent, &self.call_config),
            Lookup::NotFound | Lookup::Held | Lookup::Failed => Fallback::for_agent(None, &self.call_config),
        }
    }

    /// A number no agent or menu answers: held after its agent gave it up, or not known. A
    /// failed lookup of the hold is an apology, as any failed lookup.
    async fn held_or_not_found(&self, to: &str) -> Lookup<'static> {
        match self.directory.is_held(to).await {
            Ok(true) => Lookup::Held,
            Ok(false) => Lookup::NotFound,
            Err(e) => {
                tracing::error!(error = %e, "number hold lookup failed; the caller hears an apology");
                Lookup::Failed
            }
        }
    }

    /// The media stream of `call_sid` (a call to `to`) is over: hang up if the call ended as
    /// it should; if the agent failed, the line's fallback.
    pub async fn after_stream(&self, call_sid: &str, to: &str) -> AfterStream {
        if self.ended_for_transfer(call_sid).await {
            return self.hand_over(call_sid, to).await;
        }
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
        let agent = match self.directory.agent_for_number(to).await.ok().flatten() {
            Some(agent) => Some(agent),
            // A menu's number: the agent the caller chose.
            None => self.chosen_agent(call_sid).await,
        };
        AfterStream::Fallback(Fallback::for_agent(agent.as_ref(), &self.call_config))
    }

    /// A fallback voicemail was recorded: it is kept once (on the call's row, and as an
    /// activity of the business), and the caller hears a goodbye. A recording that is not on
    /// Twilio's API host, or a length that is not a whole number of seconds, is refused.
    pub async fn voicemail(
        &self,
        call_sid: &str,
        recording_url: Option<&str>,
        seconds: Option<&str>,
    ) -> Result<Fallback, BadField> {
        let url = callback_fields::twilio_url("RecordingUrl", recording_url, &self.recording_host)?;
        let length = callback_fields::seconds("RecordingDuration", seconds, MAX_RECORDING_SECS)?;
        match self.store.record_voicemail(call_sid, url.as_str(), length).await {
            Ok(CallUpdate::New(_)) => {
                tracing::info!(call_sid, seconds = length.as_secs(), "voicemail recorded");
            }
            Ok(CallUpdate::Repeat) => {
                self.metrics.error(ErrorKind::Replayed);
                tracing::warn!(call_sid, "voicemail callback repeated; already kept");
            }
            Ok(CallUpdate::UnknownCall) => {
                tracing::warn!(call_sid, "voicemail for a call with no record; not kept");
            }
            Err(e) => {
                self.metrics.error(ErrorKind::Store);
                tracing::warn!(error = %e, call_sid, "could not record the voicemail");
            }
        }
        Ok(Fallback::goodbye([fallback::THANKS]))
    }

    /// Twilio's status callback: once a call is over, its `CallDuration` is kept on the call's
    /// record (once), closing it if the bridge has not, or correcting a lost call's estimate.
    /// Statuses before the end are ignored.
    pub async fn call_status(&self, report: CallStatus<'_>, now: Timestamp) -> Result<(), BadField> {
        if report.call_sid.is_empty() {
            return Err(BadField::Missing("CallSid"));
        }
        let duration = match report.status {
            "completed" => callback_fields::seconds("CallDuration", report.duration, MAX_CALL_SECS)?,
            // Never connected: no length, or the one Twilio gives.
            "busy" | "failed" | "no-answer" | "canceled" => match report.duration {
                Some(_) => callback_fields::seconds("CallDuration", report.duration, MAX_CALL_SECS)?,
                None => std::time::Duration::ZERO,
            },
            _ => return Ok(()),
        };
        let call_sid = report.call_sid;
        match self.store.record_carrier_duration(call_sid, now, duration).await {
            Ok(CallUpdate::New(call)) => tracing::info!(
                call_sid,
                status = report.status,
                twilio_secs = duration.as_secs(),
                recorded_secs = call.duration.map(|d| d.as_secs()),
                "Twilio's call length recorded"
            ),
            Ok(CallUpdate::Repeat) => {
                self.metrics.error(ErrorKind::Replayed);
                tracing::warn!(call_sid, "status callback repeated; already recorded");
            }
            Ok(CallUpdate::UnknownCall) => {
                tracing::warn!(call_sid, "status callback for a call with no record")
            }
            Err(e) => {
                self.metrics.error(ErrorKind::Store);
                tracing::warn!(error = %e, call_sid, "could not record Twilio's call length");
            }
        }
        Ok(())
    }
}
