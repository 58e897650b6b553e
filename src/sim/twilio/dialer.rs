//! A call placed through the REST API, played the way Twilio would: the status callbacks
//! asked for (`initiated`, `ringing`, `answered`, `completed`, posted with the call's
//! parameters, `CallbackSource=call-progress-events`, a `SequenceNumber` and, at the end,
//! `CallDuration`), the call's TwiML (inline, or fetched from `Url` with the voice webhook's
//! parameters, `Direction=outbound-api`), and then a simulated callee: on `<Connect><Stream>`
//! it opens the media stream back into the bridge with `crate::sim::caller`, says its
//! script and hangs up; any other TwiML (`<Say>`, `<Hangup>`, …) just ends the call.
//! `POST /Calls/{sid}.json` reaches a running call through its orders: hang up, or leave the
//! stream for new TwiML.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::watch;

use super::account::Account;
use super::callbacks::Sender;
use super::calls::{Call, CallOrder, CalleeOutcome, TwimlSource};
use super::params::Params;
use crate::sim::caller::{CallerConfig, follow_answer};
use crate::wire::twiml;

/// How the simulated callee of an outbound call behaves.
#[derive(Debug, Clone)]
pub struct CalleeScript {
    /// μ-law 8 kHz clips it says, one per turn (it speaks first, as a person answering).
    pub clips: Vec<Vec<u8>>,
    /// It hangs up after this long on the stream.
    pub max_duration: Duration,
    /// After its last clip, how long it waits for the bridge to end the call.
    pub linger: Duration,
}

impl Default for CalleeScript {
    fn default() -> Self {
        CalleeScript {
            clips: Vec::new(),
            max_duration: Duration::from_secs(120),
            linger: Duration::from_secs(5),
        }
    }
}

/// Plays the call `sid` to its end.
pub async fn run(account: Arc<Account>, sid: String) {
    let Ok(call) = account.call(&sid) else {
        return;
    };
    let mut orders = call.orders.subscribe();
    let mut progress = Progress {
        account: &account,
        sender: Sender::new(&account.auth_token),
        sid: &sid,
        sequence: 0,
    };
    progress.event("initiated", "initiated", None).await;
    progress.set_status("ringing");
    progress.event("ringing", "ringing", None).await;
    if matches!(*orders.borrow_and_update(), Some(CallOrder::HangUp)) {
        progress.set_status("canceled");
        progress.event("completed", "canceled", None).await;
        return;
    }
    let answered = Instant::now();
    account.change(|ledger| {
        if let Some(call) = ledger.calls.iter_mut().find(|c| c.sid == sid) {
            call.status = "in-progress";
            call.start_time = Some(Timestamp::now());
            call.answered_by = call.plan.machine_detection.map(|_| "human");
        }
    });
    progress.event("answered", "in-progress", None).await;

    let play = play_until_done(&account, &progress.sender, &call, &mut orders);
    let outcome = match call.plan.time_limit {
        Some(limit) => tokio::time::timeout(Duration::from_secs(limit), play)
            .await
            .ok()
            .flatten(),
        None => play.await,
    };
    let seconds = answered.elapsed().as_secs_f64().round() as u64;
    account.change(|ledger| {
        if let Some(call) = ledger.calls.iter_mut().find(|c| c.sid == sid) {
            call.status = "completed";
            call.end_time = Some(Timestamp::now());
            call.date_updated = Timestamp::now();
            call.duration = Some(seconds.to_string());
            call.callee = outcome;
        }
    });
    progress.event("completed", "completed", Some(seconds)).await;
}

/// Fetches and plays the call's TwiML, and each it is redirected to, until one ends.
async fn play_until_done(
    account: &Account,
    sender: &Sender,
    call: &Call,
    orders: &mut watch::Receiver<Option<CallOrder>>,
) -> Option<CalleeOutcome> {
    let mut source = call.plan.twiml.clone();
    loop {
        let twiml = match &source {
            TwimlSource::Inline(twiml) => twiml.clone(),
            TwimlSource::Url { url, method } => {
                match sender.send(account, method, url, voice_params(call)).await {
                    Some(reply) if (200..300).contains(&reply.status) => reply.body,
                    Some(reply) => return Some(failed(format!("{url} answered HTTP {}", reply.status))),
                    None => return Some(failed(format!("{url} did not answer"))),
                }
            }
        };
        let connect = match twiml::parse_connect(&twiml) {
            Ok(Some(_)) => twiml,
            Ok(None) => return None,
            Err(error) => return Some(failed(format!("the TwiML is not valid XML: {error}"))),
        };
        let config = callee_config(account, call);
        let stream = follow_answer(&config, &call.sid, connect, None);
        tokio::select! {
            report = stream => {
                return Some(match report {
                    Ok(report) => CalleeOutcome {
                        stream_sid: report.stream_sid,
                        turns_spoken: report.turns_spoken,
                        heard_ms: report.heard.as_millis() as u64,
                        ended_by_bridge: report.ended_by_bridge,
                        error: None,
                    },
                    Err(error) => failed(error.to_string()),
                });
            }
            order = next_order(orders) => match order {
                // Dropping the stream closes its socket: the callee is gone.
                CallOrder::HangUp => return None,
                CallOrder::Redirect(next) => source = next,
            },
        }
    }
}

async fn next_order(orders: &mut watch::Receiver<Option<CallOrder>>) -> CallOrder {
    loop {
        if orders.changed().await.is_err() {
            // The call was dropped from the ledger: nothing will ever order it.
            std::future::pending::<()>().await;
        }
        if let Some(order) = orders.borrow_and_update().clone() {
            return order;
        }
    }
}

fn failed(error: String) -> CalleeOutcome {
    CalleeOutcome {
        error: Some(error),
        ..CalleeOutcome::default()
    }
}

fn callee_config(account: &Account, call: &Call) -> CallerConfig {
    let mut config = CallerConfig::new("", account.auth_token.clone(), call.to.clone());
    config.account_sid = account.sid.clone();
    config.from = call.from.clone();
    config.utterances = account.callee.clips.clone();
    config.max_duration = account.callee.max_duration;
    config.linger = account.callee.linger;
    config.agent_speaks_first = false;
    config.direction = "outbound-api";
    config
}

/// The voice webhook's parameters for an answered outbound call.
fn voice_params(call: &Call) -> Params {
    let mut pairs = base_params(call, "in-progress");
    if call.plan.machine_detection.is_some() {
        pairs.push(("AnsweredBy", "human".into()));
    }
    Params::from_pairs(pairs.into_iter().map(|(name, value)| (name.to_owned(), value)))
}

fn base_params(call: &Call, call_status: &str) -> Vec<(&'static str, String)> {
    vec![
        ("CallSid", call.sid.clone()),
        ("AccountSid", call.account_sid.clone()),
        ("From", call.from.clone()),
        ("To", call.to.clone()),
        ("Caller", call.from.clone()),
        ("Called", call.to.clone()),
        ("CallStatus", call_status.to_owned()),
        ("Direction", call.direction.to_owned()),
        ("ApiVersion", call.api_version.to_owned()),
    ]
}

/// The call's status changes and their callbacks.
struct Progress<'a> {
    account: &'a Account,
    sender: Sender,
    sid: &'a str,
    sequence: u32,
}

impl Progress<'_> {
    fn set_status(&self, status: &'static str) {
        self.account.change(|ledger| {
            if let Some(call) = ledger.calls.iter_mut().find(|c| c.sid == self.sid) {
                call.status = status;
                call.date_updated = Timestamp::now();
            }
        });
    }

    /// Posts `event` with `call_status` when the call asked for it.
    async fn event(&mut self, event: &str, call_status: &str, duration: Option<u64>) {
        let Ok(call) = self.account.call(self.sid) else {
            return;
        };
        let Some(url) = call
            .plan
            .status_callback
            .clone()
            .filter(|_| call.plan.events.contains(&event))
        else {
            return;
        };
        let mut pairs = base_params(&call, call_status);
        pairs.push(("CallbackSource", "call-progress-events".into()));
        pairs.push(("SequenceNumber", self.sequence.to_string()));
        pairs.push(("Timestamp", super::time::rfc2822(Timestamp::now())));
        if let Some(seconds) = duration {
            pairs.push(("CallDuration", seconds.to_string()));
            pairs.push(("Duration", seconds.div_ceil(60).to_string()));
        }
        self.sequence += 1;
        let params = Params::from_pairs(pairs.into_iter().map(|(name, value)| (name.to_owned(), value)));
        self.sender
            .send(self.account, call.plan.status_callback_method, &url, params)
            .await;
    }
}
