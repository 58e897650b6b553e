//! A caller handed from the agent to a person: the stream that ended as `transferred` is
//! followed by a `<Dial>` to the agent's escalation number, a whisper tells the person who
//! answers who is calling and why, and the dial's outcome decides what comes next (a person
//! took the call: hang up once they are done; nobody did: the agent's voicemail).
//!
//! Each of Twilio's requests (the connect action, the whisper, the dial's action) may land on
//! another instance than the stream: what they need is read from the store, the call's row and
//! the `transfer_requested` event the `transfer_call` tool logged before the agent was told
//! (see `store::transfers`). The dial's outcome is logged once (`transferred`, with whether
//! the person answered); a redelivered callback gets the same answer and logs nothing.

use jiff::Timestamp;
use serde_json::json;

use crate::call::EndReason;
use crate::store::{CallEventKind, CallUpdate, NewCallEvent, TransferRequest};

use super::answer::{AfterStream, Handover, Whisper};
use super::callback_fields::{self, BadField, MAX_CALL_SECS};
use super::fallback::{Fallback, Then};
use super::metrics::ErrorKind;
use super::reception::Reception;

/// How long the person's phone rings before the caller is offered the voicemail.
pub const TRANSFER_RING_SECS: u32 = 25;
/// The longest voicemail left when nobody answers.
const VOICEMAIL_MAX_SECS: u32 = 120;

const NOBODY_ANSWERED: &str = "Sorry, no one could take your call right now.";
const LEAVE_A_MESSAGE: &str = "Please leave a message after the tone, and we will call you back.";
const NO_MESSAGE: &str = "We did not get a message. Goodbye.";
const CONNECTING: &str = "Connecting you now.";

/// How the transfer's dial ended (`DialCallStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialOutcome {
    /// `completed` (or `answered`): a person took the call, and it is over.
    Answered,
    /// `no-answer`, `busy`, `failed` or `canceled`: nobody did.
    NotAnswered,
}

impl DialOutcome {
    /// Twilio's `DialCallStatus`; anything else is refused.
    pub fn parse(status: Option<&str>) -> Result<DialOutcome, BadField> {
        match status {
            None | Some("") => Err(BadField::Missing("DialCallStatus")),
            Some("completed" | "answered") => Ok(DialOutcome::Answered),
            Some("no-answer" | "busy" | "failed" | "canceled") => Ok(DialOutcome::NotAnswered),
            Some(other) => Err(BadField::NotOneOf {
                name: "DialCallStatus",
                expected: "completed, answered, no-answer, busy, failed, canceled",
                value: callback_fields::shortened(other),
            }),
        }
    }
}

/// What Twilio's `<Dial action>` request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DialReport<'a> {
    /// The caller's call (the dial's parent).
    pub call_sid: &'a str,
    pub status: Option<&'a str>,
    /// The person's leg, when one was placed.
    pub dial_call_sid: Option<&'a str>,
    /// `DialCallDuration`: how long the person talked, in seconds.
    pub dial_seconds: Option<&'a str>,
}

impl Reception {
    /// Whether the stream of `call_sid` ended for a transfer: as this instance saw it, or as
    /// the call's record says. A record without an end yet (the stream's instance has not
    /// written it) counts as transferred when a transfer was asked for: the tool logs the
    /// request before the agent is told, and once told the call can only end transferred.
    pub(super) async fn ended_for_transfer(&self, call_sid: &str) -> bool {
        if let Some(reason) = self.recorder.outcome(call_sid) {
            return reason == EndReason::Transferred;
        }
        match self.store.call_by_sid(call_sid).await {
            Ok(Some(call)) => match call.end_reason.as_deref() {
                Some(reason) => reason == EndReason::Transferred.label(),
                None => matches!(self.store.transfer_request(call_sid).await, Ok(Some(_))),
            },
            _ => false,
        }
    }

    /// The `<Dial>` to the escalation number of the agent answering `to`; the line's fallback
    /// if the agent no longer has one (changed meanwhile) or cannot be looked up.
    pub(super) async fn hand_over(&self, call_sid: &str, to: &str) -> AfterStream {
        let agent = self.directory.agent_for_number(to).await.ok().flatten();
        let number = agent.as_ref().and_then(|agent| agent.fallback_number.clone());
        let Some(number) = number else {
            tracing::warn!(
                call_sid,
                "a transfer with no number to dial; playing the fallback"
            );
            return AfterStream::Fallback(Fallback::for_agent(agent.as_ref(), &self.call_config));
        };
        tracing::info!(call_sid, "handing the caller to a person");
        AfterStream::Transfer(Handover {
            call_sid: call_sid.to_owned(),
            number,
            caller_id: to.to_owned(),
            ring_secs: TRANSFER_RING_SECS,
        })
    }

    /// The whisper for the person answering the transfer of `call_sid`: who is calling (the
    /// contact's name if the business knows the number, else the number) and why.
    pub async fn whisper(&self, call_sid: &str) -> Whisper {
        let request = match self.store.transfer_request(call_sid).await {
            Ok(request) => request,
            Err(e) => {
                self.metrics.error(ErrorKind::Store);
                tracing::warn!(error = %e, call_sid, "could not read the transfer for its whisper");
                None
            }
        };
        Whisper {
            say: whisper_sentences(request.as_ref()),
        }
    }

    /// The transfer's dial is over: a person took the call (hang up), or nobody did (the
    /// voicemail). Logged once in the call's timeline.
    pub async fn after_transfer(&self, report: DialReport<'_>, now: Timestamp) -> Result<Fallback, BadField> {
        if report.call_sid.is_empty() {
            return Err(BadField::Missing("CallSid"));
        }
        let outcome = DialOutcome::parse(report.status)?;
        let dial_seconds = match report.dial_seconds {
            Some(seconds) => Some(callback_fields::seconds(
                "DialCallDuration",
                Some(seconds),
                MAX_CALL_SECS,
            )?),
            None => None,
        };
        let call_sid = report.call_sid;
        let reason = match self.store.transfer_request(call_sid).await {
            Ok(request) => request.map(|request| request.reason),
            Err(e) => {
                tracing::warn!(error = %e, call_sid, "could not read the transfer's reason");
                None
            }
        };
        let answered = outcome == DialOutcome::Answered;
        let event = NewCallEvent {
            at: now,
            kind: CallEventKind::Transferred,
            detail: json!({
                "reason": reason,
                "answered": answered,
                "dial_status": report.status,
                "dial_call_sid": report.dial_call_sid,
                "dial_seconds": dial_seconds.map(|d| d.as_secs()),
            }),
        };
        match self.store.record_transfer_outcome(call_sid, &event).await {
            Ok(CallUpdate::New(())) => tracing::info!(call_sid, answered, "transfer over"),
            Ok(CallUpdate::Repeat) => {
                self.metrics.error(ErrorKind::Replayed);
                tracing::warn!(call_sid, "transfer outcome repeated; already logged");
            }
            Ok(CallUpdate::UnknownCall) => {
                tracing::warn!(call_sid, "transfer outcome for a call with no record")
            }
            Err(e) => {
                self.metrics.error(ErrorKind::Store);
                tracing::warn!(error = %e, call_sid, "could not log the transfer's outcome");
            }
        }
        Ok(match outcome {
            DialOutcome::Answered => Fallback::hang_up(),
            DialOutcome::NotAnswered => nobody_answered(),
        })
    }
}

/// The voicemail offered when nobody took the transfer.
pub fn nobody_answered() -> Fallback {
    Fallback {
        say: vec![NOBODY_ANSWERED.into(), LEAVE_A_MESSAGE.into()],
        then: Then::Voicemail {
            max_secs: VOICEMAIL_MAX_SECS,
            if_silent: NO_MESSAGE.into(),
        },
    }
}

/// What the whisper says for `request` (none: the call or its request was not found).
pub fn whisper_sentences(request: Option<&TransferRequest>) -> Vec<String> {
    let Some(request) = request else {
        return vec![
            "A call transferred by the receptionist.".into(),
            CONNECTING.into(),
        ];
    };
    let who = match &request.caller_name {
        Some(name) => name.clone(),
        None => spoken_number(&request.call.from_number),
    };
    let mut say = vec![format!("Call from {who}, transferred by the receptionist.")];
    if !request.reason.is_empty() {
        say.push(format!("Reason: {}.", request.reason.trim_end_matches('.')));
    }
    say.push(CONNECTING.into());
    say
}

/// A phone number as a voice reads it best: its digits one by one (`+1 555 0100` reads as
/// "plus 1 5 5 5 0 1 0 0"); anything else (`anonymous`) as it is.
fn spoken_number(number: &str) -> String {
    if !number.chars().any(|c| c.is_ascii_digit()) {
        return number.to_owned();
    }
    let mut spoken: Vec<String> = Vec::new();
    for c in number.chars() {
        match c {
            '+' => spoken.push("plus".into()),
            c if c.is_ascii_digit() => spoken.push(c.to_string()),
            _ => {}
        }
    }
    spoken.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{CallDirection, CallRecord};

    fn request(name: Option<&str>, reason: &str) -> TransferRequest {
        TransferRequest {
            call: CallRecord {
                id: "call".into(),
                account_id: "acc".into(),
                agent_id: "agent".into(),
                call_sid: "CA1".into(),
                direction: CallDirection::Inbound,
                from_number: "+15005550006".into(),
                to_number: "+15550100001".into(),
                started_at: Timestamp::UNIX_EPOCH,
                ended_at: None,
                end_reason: None,
                duration: None,
                conversation_id: None,
                progress_at: None,
                progress: None,
                carrier_duration: None,
                voicemail_url: None,
                record_consent: None,
                outcome: None,
                booking_id: None,
            },
            reason: reason.into(),
            summary: None,
            caller_name: name.map(str::to_owned),
        }
    }

    #[test]
    fn the_whisper_names_the_contact_or_reads_the_number_and_says_why() {
        assert_eq!(
            whisper_sentences(Some(&request(Some("Jane Doe"), "a billing question."))),
            [
                "Call from Jane Doe, transferred by the receptionist.",
                "Reason: a billing question.",
                "Connecting you now."
            ]
        );
        assert_eq!(
            whisper_sentences(Some(&request(None, "wants a person")))[0],
            "Call from plus 1 5 0 0 5 5 5 0 0 0 6, transferred by the receptionist."
        );
        assert_eq!(whisper_sentences(Some(&request(None, ""))).len(), 2);
        assert_eq!(whisper_sentences(None).last().unwrap(), CONNECTING);
        assert_eq!(spoken_number("anonymous"), "anonymous");
    }

    #[test]
    fn every_status_twilio_sends_is_read_and_nothing_else() {
        for answered in ["completed", "answered"] {
            assert_eq!(DialOutcome::parse(Some(answered)), Ok(DialOutcome::Answered));
        }
        for not in ["no-answer", "busy", "failed", "canceled"] {
            assert_eq!(DialOutcome::parse(Some(not)), Ok(DialOutcome::NotAnswered));
        }
        assert_eq!(DialOutcome::parse(None), Err(BadField::Missing("DialCallStatus")));
        assert_eq!(
            DialOutcome::parse(Some("")),
            Err(BadField::Missing("DialCallStatus"))
        );
        let refused = DialOutcome::parse(Some("ringing")).unwrap_err();
        assert!(refused.to_string().contains("\"ringing\""), "{refused}");
    }

    #[test]
    fn nobody_answering_leads_to_the_voicemail() {
        let fallback = nobody_answered();
        assert!(matches!(fallback.then, Then::Voicemail { max_secs: 120, .. }));
        assert_eq!(fallback.say[0], NOBODY_ANSWERED);
    }
}
