//! Calls (`Call`): the resource with Twilio's fields, what placing one must carry, and the
//! account's use cases (place, list, read, update). A call is answered `queued`; the
//! stand-in then rings and answers it as its callee in [`super::dialer`].

use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;

use super::account::{self, Account};
use super::errors::TwilioError;
use super::paging::{self, PageRequest};
use super::params::Params;
use super::phone::is_e164;
use crate::sim::caller::random_sid;

/// The longest inline `Twiml` Twilio takes.
pub const TWIML_MAX: usize = 4000;
/// The status callback events a call may ask for.
pub const EVENTS: [&str; 4] = ["initiated", "ringing", "answered", "completed"];

/// One call, serialized as Twilio answers it (the `Call` schema of twilio-oai).
#[derive(Debug, Clone, Serialize)]
pub struct Call {
    pub sid: String,
    #[serde(serialize_with = "super::time::serialize")]
    pub date_created: Timestamp,
    #[serde(serialize_with = "super::time::serialize")]
    pub date_updated: Timestamp,
    pub parent_call_sid: Option<String>,
    pub account_sid: String,
    pub to: String,
    pub to_formatted: String,
    pub from: String,
    pub from_formatted: String,
    pub phone_number_sid: Option<String>,
    pub status: &'static str,
    #[serde(serialize_with = "super::time::serialize_option")]
    pub start_time: Option<Timestamp>,
    #[serde(serialize_with = "super::time::serialize_option")]
    pub end_time: Option<Timestamp>,
    pub duration: Option<String>,
    pub price: Option<String>,
    pub price_unit: &'static str,
    pub direction: &'static str,
    pub answered_by: Option<&'static str>,
    pub api_version: &'static str,
    pub forwarded_from: Option<String>,
    pub group_sid: Option<String>,
    pub caller_name: Option<String>,
    pub queue_time: String,
    pub trunk_sid: Option<String>,
    pub uri: String,
    pub subresource_uris: CallSubresources,
    /// How the stand-in plays the call (none of Twilio's fields).
    #[serde(skip)]
    pub plan: CallPlan,
    /// What the simulated callee heard, once the call has ended.
    #[serde(skip)]
    pub callee: Option<CalleeOutcome>,
    /// Orders to a running call (hang up, redirect), for [`super::dialer`].
    #[serde(skip)]
    pub orders: Arc<watch::Sender<Option<CallOrder>>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CallSubresources {
    pub notifications: String,
    pub recordings: String,
    pub payments: String,
    pub events: String,
    pub siprec: String,
    pub streams: String,
    pub user_defined_message_subscriptions: String,
    pub user_defined_messages: String,
}

/// Where a call's TwiML comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwimlSource {
    /// Fetched with the voice webhook's parameters.
    Url { url: String, method: &'static str },
    /// Given inline (`Twiml`).
    Inline(String),
}

/// What the call was asked to do, from the request that placed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPlan {
    pub twiml: TwimlSource,
    pub status_callback: Option<String>,
    pub status_callback_method: &'static str,
    /// The events posted to `status_callback` (`completed` when none was asked).
    pub events: Vec<&'static str>,
    pub time_limit: Option<u64>,
    pub machine_detection: Option<&'static str>,
}

/// An order to a running call, from `POST /Calls/{sid}.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOrder {
    /// `Status=completed`: hang up.
    HangUp,
    /// `Url` or `Twiml`: leave what it plays for this.
    Redirect(TwimlSource),
}

/// What the simulated callee did on a call that streamed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CalleeOutcome {
    pub stream_sid: String,
    pub turns_spoken: usize,
    /// Milliseconds of the bridge's audio played to the callee.
    pub heard_ms: u64,
    pub ended_by_bridge: bool,
    /// Why the call went wrong (TwiML unreadable, the stream refused, …).
    pub error: Option<String>,
}

/// Checks a call to place against the account's numbers: `To`, `From`, then what it plays.
pub fn read_place(
    params: &Params,
    account_sid: &str,
    owned: impl Fn(&str) -> Option<String>,
    now: Timestamp,
) -> Result<Call, TwilioError> {
    let to = params.non_empty("To").ok_or_else(TwilioError::missing_to)?;
    if !is_e164(to) {
        return Err(TwilioError::invalid_to(to));
    }
    let from = params
        .non_empty("From")
        .ok_or_else(TwilioError::missing_call_from)?;
    if !is_e164(from) {
        return Err(TwilioError::invalid_from(from));
    }
    let phone_number_sid = owned(from).ok_or_else(|| TwilioError::caller_not_verified(from))?;
    let twiml = read_twiml(params)?.ok_or_else(|| {
        TwilioError::new(
            axum::http::StatusCode::BAD_REQUEST,
            21205,
            "Either 'Url', 'Twiml' or 'ApplicationSid' must be specified",
        )
    })?;
    let mut events = Vec::new();
    for event in params
        .all("StatusCallbackEvent")
        .flat_map(|value| value.split([' ', ',']))
        .filter(|e| !e.is_empty())
    {
        let known = EVENTS
            .iter()
            .find(|known| **known == event)
            .ok_or_else(|| TwilioError::invalid_parameter("StatusCallbackEvent", event))?;
        if !events.contains(known) {
            events.push(*known);
        }
    }
    if events.is_empty() {
        events.push("completed");
    }
    params.number("Timeout", 1..=600)?;
    let machine_detection = match params.non_empty("MachineDetection") {
        None => None,
        Some("Enable") => Some("Enable"),
        Some("DetectMessageEnd") => Some("DetectMessageEnd"),
        Some(other) => return Err(TwilioError::invalid_parameter("MachineDetection", other)),
    };
    let plan = CallPlan {
        twiml,
        status_callback: params.url("StatusCallback")?.filter(|url| !url.is_empty()),
        status_callback_method: params.method("StatusCallbackMethod")?.unwrap_or("POST"),
        events,
        time_limit: params.number("TimeLimit", 1..=86_400)?,
        machine_detection,
    };
    let mut call = new_call(account_sid, to, from, now, plan);
    call.phone_number_sid = Some(phone_number_sid);
    Ok(call)
}

fn new_call(account_sid: &str, to: &str, from: &str, now: Timestamp, plan: CallPlan) -> Call {
    let sid = random_sid("CA");
    let base = format!("/2010-04-01/Accounts/{account_sid}/Calls/{sid}");
    let sub = |name: &str| format!("{base}/{name}.json");
    Call {
        date_created: now,
        date_updated: now,
        parent_call_sid: None,
        account_sid: account_sid.to_owned(),
        to: to.to_owned(),
        to_formatted: to.to_owned(),
        from: from.to_owned(),
        from_formatted: from.to_owned(),
        phone_number_sid: None,
        status: "queued",
        start_time: None,
        end_time: None,
        duration: None,
        price: None,
        price_unit: "USD",
        direction: "outbound-api",
        answered_by: None,
        api_version: "2010-04-01",
        forwarded_from: None,
        group_sid: None,
        caller_name: None,
        queue_time: "0".into(),
        trunk_sid: None,
        uri: format!("{base}.json"),
        subresource_uris: CallSubresources {
            notifications: sub("Notifications"),
            recordings: sub("Recordings"),
            payments: sub("Payments"),
            events: sub("Events"),
            siprec: sub("Siprec"),
            streams: sub("Streams"),
            user_defined_message_subscriptions: sub("UserDefinedMessageSubscriptions"),
            user_defined_messages: sub("UserDefinedMessages"),
        },
        sid,
        plan,
        callee: None,
        orders: Arc::new(watch::Sender::new(None)),
    }
}

impl Call {
    /// A call coming in to one of the account's numbers.
    pub fn inbound(
        account_sid: &str,
        number: &super::numbers::IncomingNumber,
        from: &str,
        now: Timestamp,
    ) -> Call {
        let mut call = new_call(
            account_sid,
            &number.phone_number,
            from,
            now,
            CallPlan {
                twiml: TwimlSource::Url {
                    url: number.voice_url.clone(),
                    method: number.voice_method,
                },
                status_callback: Some(number.status_callback.clone()).filter(|url| !url.is_empty()),
                status_callback_method: number.status_callback_method,
                events: vec!["completed"],
                time_limit: None,
                machine_detection: None,
            },
        );
        call.direction = "inbound";
        call.phone_number_sid = Some(number.sid.clone());
        call
    }
}

/// `Twiml` (inline, up to 4,000 characters, taking precedence) or `Url` with `Method`.
fn read_twiml(params: &Params) -> Result<Option<TwimlSource>, TwilioError> {
    if let Some(twiml) = params.non_empty("Twiml") {
        if twiml.chars().count() > TWIML_MAX {
            return Err(TwilioError::invalid_parameter(
                "Twiml",
                "longer than 4000 characters",
            ));
        }
        return Ok(Some(TwimlSource::Inline(twiml.to_owned())));
    }
    let method = params.method("Method")?.unwrap_or("POST");
    Ok(params
        .url("Url")?
        .filter(|url| !url.is_empty())
        .map(|url| TwimlSource::Url { url, method }))
}

impl Account {
    /// `POST /Calls.json`: the call, `queued`; it is rung and answered in the background.
    pub fn place_call(self: &Arc<Self>, params: &Params) -> Result<Call, TwilioError> {
        let call = self.change(|ledger| {
            let owned = |number: &str| ledger.owns(number).map(|owned| owned.sid.clone());
            let call = read_place(params, &self.sid, owned, Timestamp::now())?;
            ledger.calls.insert(0, call.clone());
            Ok::<_, TwilioError>(call)
        })?;
        tokio::spawn(super::dialer::run(self.clone(), call.sid.clone()));
        Ok(call)
    }

    /// `GET /Calls.json`, filtered by `To`, `From` and `Status`, newest first.
    pub fn calls_page(&self, params: &Params) -> Result<Value, TwilioError> {
        let request = PageRequest::read(params)?;
        let to = params.non_empty("To");
        let from = params.non_empty("From");
        let status = params.non_empty("Status");
        let matching: Vec<Call> = self.read(|ledger| {
            ledger
                .calls
                .iter()
                .filter(|c| to.is_none_or(|to| c.to == to))
                .filter(|c| from.is_none_or(|from| c.from == from))
                .filter(|c| status.is_none_or(|status| c.status == status))
                .cloned()
                .collect()
        });
        let filters = account::echoed(params, &["To", "From", "Status"]);
        Ok(paging::render(
            &self.path("Calls.json"),
            "calls",
            &account::pairs(&filters),
            request,
            &matching,
        ))
    }

    /// `GET /Calls/{sid}.json`.
    pub fn call(&self, sid: &str) -> Result<Call, TwilioError> {
        self.read(|ledger| ledger.calls.iter().find(|c| c.sid == sid).cloned())
            .ok_or_else(|| self.call_not_found(sid))
    }

    /// `POST /Calls/{sid}.json`: `Status=canceled` ends a call not yet answered (one in
    /// progress is left as it is, as Twilio does), `Status=completed` hangs up any; `Url` or
    /// `Twiml` redirects a call in progress; `StatusCallback…` change where its statuses go.
    pub fn update_call(&self, sid: &str, params: &Params) -> Result<Call, TwilioError> {
        let status = match params.non_empty("Status") {
            None => None,
            Some("canceled") => Some("canceled"),
            Some("completed") => Some("completed"),
            Some(other) => return Err(TwilioError::invalid_parameter("Status", other)),
        };
        let redirect = read_twiml(params)?;
        let status_callback = params.url("StatusCallback")?;
        let status_callback_method = params.method("StatusCallbackMethod")?;
        self.change(|ledger| {
            let call = ledger
                .calls
                .iter_mut()
                .find(|c| c.sid == sid)
                .ok_or_else(|| self.call_not_found(sid))?;
            let ended = matches!(
                call.status,
                "completed" | "canceled" | "failed" | "busy" | "no-answer"
            );
            if redirect.is_some() && ended {
                return Err(TwilioError::call_not_in_progress(sid));
            }
            if let Some(url) = status_callback {
                call.plan.status_callback = Some(url).filter(|url| !url.is_empty());
            }
            if let Some(method) = status_callback_method {
                call.plan.status_callback_method = method;
            }
            let order = match status {
                Some("completed") if !ended => Some(CallOrder::HangUp),
                Some("canceled") if matches!(call.status, "queued" | "ringing") => Some(CallOrder::HangUp),
                _ => redirect.map(CallOrder::Redirect),
            };
            if let Some(order) = order {
                call.orders.send_replace(Some(order));
            }
            call.date_updated = Timestamp::now();
            Ok(call.clone())
        })
    }

    fn call_not_found(&self, sid: &str) -> TwilioError {
        TwilioError::not_found(&self.path(&format!("Calls/{sid}.json")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "AC00000000000000000000000000000001";

    fn place(form: &str) -> Result<Call, TwilioError> {
        let owned = |number: &str| (number == "+14155550123").then(|| "PN1".to_owned());
        read_place(&Params::parse(form.as_bytes()), ACCOUNT, owned, Timestamp::now())
    }

    #[test]
    fn a_call_from_an_owned_number_is_queued_with_its_plan() {
        let call = place("To=%2B14155550100&From=%2B14155550123&Url=https%3A%2F%2Fbridge.example%2Fvoice&StatusCallback=https%3A%2F%2Fbridge.example%2Fstatus&StatusCallbackEvent=initiated&StatusCallbackEvent=answered+completed").unwrap();
        assert_eq!(call.status, "queued");
        assert_eq!(call.plan.events, ["initiated", "answered", "completed"]);
        assert_eq!(
            call.plan.twiml,
            TwimlSource::Url {
                url: "https://bridge.example/voice".into(),
                method: "POST"
            }
        );
        let json = serde_json::to_value(&call).unwrap();
        assert_eq!(json["direction"], "outbound-api");
        assert_eq!(json["phone_number_sid"], "PN1");
        assert_eq!(json["duration"], Value::Null);
        assert!(json.get("plan").is_none());
    }

    #[test]
    fn inline_twiml_wins_and_completed_is_the_default_event() {
        let call = place("To=%2B14155550100&From=%2B14155550123&Url=https%3A%2F%2Fx.example&Twiml=%3CResponse%3E%3CHangup%2F%3E%3C%2FResponse%3E").unwrap();
        assert_eq!(
            call.plan.twiml,
            TwimlSource::Inline("<Response><Hangup/></Response>".into())
        );
        assert_eq!(call.plan.events, ["completed"]);
    }

    #[test]
    fn each_bad_call_gets_twilios_code() {
        let code = |form: &str| place(form).unwrap_err().code;
        assert_eq!(code("From=%2B14155550123&Url=https%3A%2F%2Fx.example"), 21201);
        assert_eq!(
            code("To=abc&From=%2B14155550123&Url=https%3A%2F%2Fx.example"),
            21211
        );
        assert_eq!(code("To=%2B14155550100&Url=https%3A%2F%2Fx.example"), 21213);
        assert_eq!(
            code("To=%2B14155550100&From=123&Url=https%3A%2F%2Fx.example"),
            21212
        );
        assert_eq!(
            code("To=%2B14155550100&From=%2B14155550999&Url=https%3A%2F%2Fx.example"),
            21210
        );
        assert_eq!(code("To=%2B14155550100&From=%2B14155550123"), 21205);
        assert_eq!(code("To=%2B14155550100&From=%2B14155550123&Url=nope"), 21205);
        assert_eq!(
            code(
                "To=%2B14155550100&From=%2B14155550123&Url=https%3A%2F%2Fx.example&StatusCallbackEvent=picked"
            ),
            21218
        );
        assert_eq!(
            code("To=%2B14155550100&From=%2B14155550123&Url=https%3A%2F%2Fx.example&Timeout=601"),
            21218
        );
    }
}
