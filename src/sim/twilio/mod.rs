//! `switchboard sim twilio`: a stand-in for Twilio's REST API (2010-04-01), so that what
//! switchboard asks of Twilio (buy a number and point it at the bridge, release it, send a
//! message, place a call) can be run and tested without a Twilio account.
//!
//! It follows the OpenAPI description Twilio publishes (`twilio/twilio-oai`,
//! `spec/json/twilio_api_v2010.json`) and what the official client sends and reads
//! (`twilio/twilio-python`): paths under `/2010-04-01/Accounts/{AccountSid}/`, form-encoded
//! bodies (a name may repeat), JSON answers with Twilio's snake_case fields and RFC 2822
//! dates, HTTP Basic authentication with the account SID and auth token ([`auth`]), Twilio's
//! error body and codes ([`errors`]), and list pages ([`paging`]).
//!
//! - Numbers ([`numbers`], [`available`]): numbers for sale, generated the same on every run
//!   and never one already owned; buy (201), read, update (200), release (204). The numbers
//!   owned from the start come from the config (`--number`).
//! - Messages ([`messages`], [`delivery`]): sent `queued` (201), then `sent` and `delivered`,
//!   each posted to the message's signed `StatusCallback`; listed, read, redacted.
//! - Calls ([`calls`], [`dialer`]): placed `queued` (201), then rung and answered: the TwiML
//!   fetched from `Url` (signed, `Direction=outbound-api`) or given inline; `<Connect><Stream>`
//!   is answered by a simulated callee who opens the media stream back into the bridge, says
//!   its script ([`CalleeScript`]) and hangs up; the status callbacks asked for are posted.
//! - An inbound call to one of the numbers ([`ring`]): the number's `VoiceUrl` gets the signed
//!   voice webhook and the simulated caller plays the call.
//! - Every request is kept ([`requests`]); failures can be injected ([`crate::sim::failures`],
//!   answered with Twilio's body for the status); both, and the state, are readable in process
//!   through [`SimTwilio`] and over HTTP ([`control`]).

mod account;
pub mod auth;
pub mod available;
pub mod callbacks;
pub mod calls;
mod control;
pub mod delivery;
pub mod dialer;
pub mod errors;
pub mod inbound_texts;
pub mod messages;
pub mod numbers;
pub mod paging;
pub mod params;
pub mod phone;
pub mod requests;
pub mod ring;
mod routes;
pub mod time;

use std::sync::Arc;

pub use account::Ledger;
pub use callbacks::SentWebhook;
pub use calls::{Call, CalleeOutcome};
pub use dialer::CalleeScript;
pub use errors::TwilioError;
pub use inbound_texts::{InboundText, OptOutType, TextError, TextReport};
pub use messages::Message;
pub use numbers::IncomingNumber;
pub use requests::{RecordedRequest, RequestLog};
pub use ring::{InboundRing, RingError};

use crate::sim::failures::{FailurePlan, FailureRule};
use phone::NanpNumber;

/// How the stand-in starts.
#[derive(Debug, Clone)]
pub struct SimTwilioConfig {
    /// The account's SID (`AC` and 32 hex digits), the Basic auth user.
    pub account_sid: String,
    /// The auth token: the Basic auth password, and the key webhooks are signed with.
    pub auth_token: String,
    /// Numbers the account owns from the start, in E.164 (`+14155550123`).
    pub numbers: Vec<String>,
    /// Recipients who replied STOP: messages to them are refused with 21610.
    pub unsubscribed: Vec<String>,
    /// Requests to fail, in order.
    pub failures: Vec<FailureRule>,
    /// The callee of a call placed through the API.
    pub callee: CalleeScript,
}

impl SimTwilioConfig {
    pub fn new(account_sid: impl Into<String>, auth_token: impl Into<String>) -> Self {
        SimTwilioConfig {
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            numbers: Vec::new(),
            unsubscribed: Vec::new(),
            failures: Vec::new(),
            callee: CalleeScript::default(),
        }
    }
}

/// Why the stand-in cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SimTwilioError {
    #[error("the account SID must be `AC` and 32 hex digits; got {0:?}")]
    AccountSid(String),
    #[error("the auth token must not be empty")]
    AuthToken,
    #[error("{0:?} is not a North American number in E.164 (`+1` and ten digits, the first 2-9)")]
    Number(String),
    #[error("{0} is listed twice among the account's numbers")]
    DuplicateNumber(String),
}

/// A running stand-in's handle: its routes, and its account, request log and failure plan
/// for tests in the same process. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SimTwilio {
    account: Arc<account::Account>,
    requests: RequestLog,
    failures: FailurePlan,
}

impl SimTwilio {
    pub fn new(config: SimTwilioConfig) -> Result<Self, SimTwilioError> {
        let sid = &config.account_sid;
        if !(sid.len() == 34 && sid.starts_with("AC") && sid[2..].bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err(SimTwilioError::AccountSid(sid.clone()));
        }
        if config.auth_token.is_empty() {
            return Err(SimTwilioError::AuthToken);
        }
        let mut numbers = Vec::with_capacity(config.numbers.len());
        for text in &config.numbers {
            let number =
                NanpNumber::parse(text.trim()).ok_or_else(|| SimTwilioError::Number(text.clone()))?;
            if numbers.contains(&number) {
                return Err(SimTwilioError::DuplicateNumber(number.to_string()));
            }
            numbers.push(number);
        }
        let failures = FailurePlan::default();
        for rule in config.failures {
            failures.add(rule);
        }
        Ok(SimTwilio {
            account: Arc::new(account::Account::new(
                config.account_sid,
                config.auth_token,
                &numbers,
                config.unsubscribed,
                config.callee,
            )),
            requests: RequestLog::default(),
            failures,
        })
    }

    /// Twilio's REST API and the `/sim/…` endpoints.
    pub fn router(&self) -> axum::Router {
        routes::rest_router(self.account.clone(), self.requests.clone(), self.failures.clone())
            .merge(control::control_router(self.clone()))
    }

    pub fn account_sid(&self) -> &str {
        &self.account.sid
    }

    /// Every REST request so far.
    pub fn requests(&self) -> &RequestLog {
        &self.requests
    }

    /// The failures still to answer; add rules here.
    pub fn failures(&self) -> &FailurePlan {
        &self.failures
    }

    /// A copy of the numbers, messages and calls.
    pub fn state(&self) -> Ledger {
        self.account.snapshot()
    }

    /// Waits until `ready` picks something from the state (a call ended, a callback sent),
    /// checked again after every change.
    pub async fn wait_for<R>(&self, ready: impl Fn(&Ledger) -> Option<R>) -> R {
        self.account.wait_for(ready).await
    }
}

/// Serves the stand-in on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, sim: SimTwilio) -> std::io::Result<()> {
    axum::serve(listener, sim.router()).await
}
