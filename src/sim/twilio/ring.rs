//! An inbound call to one of the stand-in's numbers, rung the way Twilio rings it: the
//! number's `VoiceUrl` is posted the signed voice webhook and the call is played by the
//! simulated caller (`crate::sim::caller::place_call`) with the account's auth token. The
//! call is kept in the account's calls (`direction` `inbound`), and when it ends the number's
//! `StatusCallback`, if set, gets `completed` with `CallDuration`, as Twilio posts it.
//! This is how a test proves that a number provisioned for an agent reaches the agent.
//! The webhook is always posted: a number set to `VoiceMethod=GET` is posted all the same,
//! since the simulated caller only posts.

use std::time::Instant;

use jiff::Timestamp;

use super::SimTwilio;
use super::callbacks::Sender;
use super::calls::Call;
use super::params::Params;
use crate::sim::caller::{CallReport, CallerConfig, CallerError, place_call};

/// Who calls which number, and what the caller does.
#[derive(Debug, Clone)]
pub struct InboundRing {
    /// One of the account's numbers.
    pub to: String,
    pub from: String,
    /// The caller's settings; its webhook, token, account and numbers are filled in.
    pub caller: CallerConfig,
}

impl InboundRing {
    pub fn new(to: impl Into<String>, from: impl Into<String>) -> Self {
        InboundRing {
            to: to.into(),
            from: from.into(),
            caller: CallerConfig::new("", "", ""),
        }
    }
}

/// Why a ring did not reach the number's webhook, or the call failed.
#[derive(Debug, thiserror::Error)]
pub enum RingError {
    #[error("{0} is not one of the account's numbers")]
    NotOurs(String),
    #[error("{0} has no VoiceUrl: nothing answers it")]
    NoVoiceUrl(String),
    #[error(transparent)]
    Call(#[from] CallerError),
}

impl SimTwilio {
    /// Rings `ring.to` and plays the call to its end.
    pub async fn ring(&self, ring: InboundRing) -> Result<CallReport, RingError> {
        let account = &self.account;
        let number = account
            .read(|ledger| ledger.owns(&ring.to).cloned())
            .ok_or_else(|| RingError::NotOurs(ring.to.clone()))?;
        if number.voice_url.is_empty() {
            return Err(RingError::NoVoiceUrl(ring.to));
        }
        let mut call = Call::inbound(&account.sid, &number, &ring.from, Timestamp::now());
        let sid = call.sid.clone();
        call.status = "in-progress";
        call.start_time = Some(Timestamp::now());
        account.change(|ledger| ledger.calls.insert(0, call));

        let mut config = ring.caller;
        config.webhook_url = number.voice_url.clone();
        config.auth_token = account.auth_token.clone();
        config.account_sid = account.sid.clone();
        config.from = ring.from.clone();
        config.to = ring.to.clone();
        config.call_sid = Some(sid.clone());
        let began = Instant::now();
        let report = place_call(&config, None).await;
        let seconds = began.elapsed().as_secs_f64().round() as u64;
        let status = if report.is_ok() { "completed" } else { "failed" };
        let ended = account.change(|ledger| {
            let call = ledger.calls.iter_mut().find(|c| c.sid == sid)?;
            call.status = status;
            call.end_time = Some(Timestamp::now());
            call.date_updated = Timestamp::now();
            call.duration = Some(seconds.to_string());
            Some(call.clone())
        });
        if let Some(call) = ended
            && !number.status_callback.is_empty()
        {
            let params = Params::from_pairs(
                [
                    ("CallSid", call.sid.clone()),
                    ("AccountSid", call.account_sid.clone()),
                    ("From", call.from.clone()),
                    ("To", call.to.clone()),
                    ("Caller", call.from.clone()),
                    ("Called", call.to.clone()),
                    ("CallStatus", status.to_owned()),
                    ("Direction", "inbound".to_owned()),
                    ("ApiVersion", "2010-04-01".to_owned()),
                    ("CallDuration", seconds.to_string()),
                    ("Duration", seconds.div_ceil(60).to_string()),
                ]
                .map(|(name, value)| (name.to_owned(), value)),
            );
            Sender::new(&account.auth_token)
                .send(
                    account,
                    number.status_callback_method,
                    &number.status_callback,
                    params,
                )
                .await;
        }
        Ok(report?)
    }
}
