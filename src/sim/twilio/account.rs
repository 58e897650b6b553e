//! The simulated account: its SID and auth token, and what it holds (numbers, messages,
//! calls), behind one lock. The numbers' use cases live here; messages and calls add theirs
//! in their own files.

use std::sync::{Mutex, MutexGuard};

use tokio::sync::watch;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::available::{self, Search};
use super::callbacks::SentWebhook;
use super::calls::Call;
use super::dialer::CalleeScript;
use super::errors::TwilioError;
use super::inbound_texts::OptedOut;
use super::messages::Message;
use super::numbers::{self, IncomingNumber, NumberChoice, NumberSettings};
use super::paging::{self, PageRequest};
use super::params::Params;
use super::phone::{NanpNumber, contains_pattern};

/// What the account holds, as a test or `GET /sim/state` reads it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Ledger {
    /// In the order bought.
    pub numbers: Vec<IncomingNumber>,
    /// Newest first, as Twilio lists them.
    pub messages: Vec<Message>,
    /// Newest first.
    pub calls: Vec<Call>,
    /// The webhooks the stand-in sent (status callbacks, TwiML fetched), in order.
    pub webhooks: Vec<SentWebhook>,
    /// Callers who texted STOP to a number and not START since (`super::inbound_texts`).
    pub opted_out: Vec<OptedOut>,
}

impl Ledger {
    pub fn owns(&self, number: &str) -> Option<&IncomingNumber> {
        self.numbers.iter().find(|owned| owned.phone_number == number)
    }
}

pub struct Account {
    pub sid: String,
    pub auth_token: String,
    /// Recipients who replied STOP: a message to them is refused with 21610.
    pub unsubscribed: Vec<String>,
    /// How the callee of a call placed through the API behaves.
    pub callee: CalleeScript,
    created: Timestamp,
    ledger: Mutex<Ledger>,
    /// Bumped after every change, for [`Account::wait_for`].
    changes: watch::Sender<u64>,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The auth token is a secret: never printed.
        f.debug_struct("Account")
            .field("sid", &self.sid)
            .finish_non_exhaustive()
    }
}

impl Account {
    /// An account owning `numbers` from the start.
    pub fn new(
        sid: String,
        auth_token: String,
        numbers: &[NanpNumber],
        unsubscribed: Vec<String>,
        callee: CalleeScript,
    ) -> Self {
        let now = Timestamp::now();
        let numbers = numbers
            .iter()
            .map(|number| IncomingNumber::new(&sid, *number, now))
            .collect();
        Account {
            ledger: Mutex::new(Ledger {
                numbers,
                ..Ledger::default()
            }),
            sid,
            auth_token,
            unsubscribed,
            callee,
            created: now,
            changes: watch::Sender::new(0),
        }
    }

    /// Makes a change and tells the waiters.
    pub fn change<R>(&self, change: impl FnOnce(&mut Ledger) -> R) -> R {
        let result = change(&mut self.lock());
        self.changes.send_modify(|count| *count += 1);
        result
    }

    /// Waits until `ready` holds of the ledger, and returns what it picked.
    pub async fn wait_for<R>(&self, ready: impl Fn(&Ledger) -> Option<R>) -> R {
        let mut changes = self.changes.subscribe();
        loop {
            if let Some(found) = ready(&self.lock()) {
                return found;
            }
            changes.changed().await.expect("the account keeps its sender");
        }
    }

    fn lock(&self) -> MutexGuard<'_, Ledger> {
        // Every change is made whole under the lock; a panic cannot leave half of one.
        self.ledger
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads the ledger under its lock.
    pub fn read<R>(&self, read: impl FnOnce(&Ledger) -> R) -> R {
        read(&self.lock())
    }

    /// A copy of everything the account holds.
    pub fn snapshot(&self) -> Ledger {
        self.lock().clone()
    }

    /// The path of a resource of this account, for links and 404s.
    pub fn path(&self, rest: &str) -> String {
        format!("/2010-04-01/Accounts/{}/{rest}", self.sid)
    }

    /// `GET /2010-04-01/Accounts/{sid}.json`: the account itself (the `Account` schema), the
    /// cheapest way for a client to check its credentials.
    pub fn resource(&self) -> Value {
        let uri = format!("/2010-04-01/Accounts/{}", self.sid);
        let sub = |name: &str| format!("{uri}/{name}.json");
        let created = super::time::rfc2822(self.created);
        serde_json::json!({
            "auth_token": self.auth_token,
            "date_created": created,
            "date_updated": created,
            "friendly_name": "switchboard sim twilio",
            "owner_account_sid": self.sid,
            "sid": self.sid,
            "status": "active",
            "subresource_uris": {
                "available_phone_numbers": sub("AvailablePhoneNumbers"),
                "calls": sub("Calls"),
                "incoming_phone_numbers": sub("IncomingPhoneNumbers"),
                "messages": sub("Messages"),
            },
            "type": "Full",
            "uri": format!("{uri}.json"),
        })
    }

    /// `GET /AvailablePhoneNumbers/{country}/Local.json`.
    pub fn available_numbers(&self, country: &str, params: &Params) -> Result<Value, TwilioError> {
        let path = self.path(&format!("AvailablePhoneNumbers/{country}/Local.json"));
        if country != "US" {
            return Err(TwilioError::not_found(&path));
        }
        let request = PageRequest::read(params)?;
        let contains = match params.non_empty("Contains") {
            Some(text) => Some(
                contains_pattern(text.trim())
                    .ok_or_else(|| TwilioError::invalid_parameter("Contains", text))?,
            ),
            None => None,
        };
        let search = Search {
            area_code: params
                .non_empty("AreaCode")
                .map(numbers::read_area_code)
                .transpose()?,
            contains,
            sms_enabled: params.bool("SmsEnabled")?,
            mms_enabled: params.bool("MmsEnabled")?,
            voice_enabled: params.bool("VoiceEnabled")?,
            fax_enabled: params.bool("FaxEnabled")?,
            limit: request.page_size,
        };
        let ledger = self.lock();
        let found = available::search(&search, |number| ledger.owns(&number.to_string()).is_some());
        drop(ledger);
        let filters = echoed(
            params,
            &[
                "AreaCode",
                "Contains",
                "SmsEnabled",
                "MmsEnabled",
                "VoiceEnabled",
                "FaxEnabled",
            ],
        );
        let first = PageRequest { page: 0, ..request };
        Ok(paging::render(
            &path,
            "available_phone_numbers",
            &pairs(&filters),
            first,
            &found,
        ))
    }

    /// `GET /IncomingPhoneNumbers.json`, filtered by `PhoneNumber` and `FriendlyName`.
    pub fn numbers_page(&self, params: &Params) -> Result<Value, TwilioError> {
        let request = PageRequest::read(params)?;
        let phone_number = params.non_empty("PhoneNumber");
        let friendly_name = params.non_empty("FriendlyName");
        let matching: Vec<IncomingNumber> = self
            .lock()
            .numbers
            .iter()
            .filter(|number| phone_number.is_none_or(|wanted| number_matches(&number.phone_number, wanted)))
            .filter(|number| friendly_name.is_none_or(|wanted| number.friendly_name == wanted))
            .cloned()
            .collect();
        let filters = echoed(params, &["PhoneNumber", "FriendlyName"]);
        Ok(paging::render(
            &self.path("IncomingPhoneNumbers.json"),
            "incoming_phone_numbers",
            &pairs(&filters),
            request,
            &matching,
        ))
    }

    /// `POST /IncomingPhoneNumbers.json`: buys a number.
    pub fn buy_number(&self, params: &Params) -> Result<IncomingNumber, TwilioError> {
        let choice = NumberChoice::read(params)?;
        let settings = NumberSettings::read(params)?;
        self.change(|ledger| {
            let bought = numbers::buy(&self.sid, choice, settings, &ledger.numbers, Timestamp::now())?;
            ledger.numbers.push(bought.clone());
            Ok(bought)
        })
    }

    /// `GET /IncomingPhoneNumbers/{sid}.json`.
    pub fn number(&self, sid: &str) -> Result<IncomingNumber, TwilioError> {
        self.lock()
            .numbers
            .iter()
            .find(|number| number.sid == sid)
            .cloned()
            .ok_or_else(|| self.number_not_found(sid))
    }

    /// `POST /IncomingPhoneNumbers/{sid}.json`: changes its settings.
    pub fn update_number(&self, sid: &str, params: &Params) -> Result<IncomingNumber, TwilioError> {
        let settings = NumberSettings::read(params)?;
        self.change(|ledger| {
            let number = ledger
                .numbers
                .iter_mut()
                .find(|number| number.sid == sid)
                .ok_or_else(|| self.number_not_found(sid))?;
            settings.apply(number, Timestamp::now());
            Ok(number.clone())
        })
    }

    /// `DELETE /IncomingPhoneNumbers/{sid}.json`: releases it.
    pub fn release_number(&self, sid: &str) -> Result<(), TwilioError> {
        self.change(|ledger| {
            let before = ledger.numbers.len();
            ledger.numbers.retain(|number| number.sid != sid);
            if ledger.numbers.len() == before {
                return Err(self.number_not_found(sid));
            }
            Ok(())
        })
    }

    fn number_not_found(&self, sid: &str) -> TwilioError {
        TwilioError::not_found(&self.path(&format!("IncomingPhoneNumbers/{sid}.json")))
    }
}

/// A `PhoneNumber` filter: the number itself, or digits it contains (Twilio matches either).
fn number_matches(number: &str, wanted: &str) -> bool {
    let digits: String = wanted.chars().filter(char::is_ascii_digit).collect();
    number == wanted || (!digits.is_empty() && number.contains(&digits))
}

/// The filters given, to repeat in the page's links.
pub fn echoed(params: &Params, names: &[&'static str]) -> Vec<(&'static str, String)> {
    names
        .iter()
        .filter_map(|name| params.get(name).map(|value| (*name, value.to_owned())))
        .collect()
}

pub fn pairs<'a>(filters: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    filters
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}
