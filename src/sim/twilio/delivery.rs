//! A message's delivery after it is queued: `sent`, then `delivered`, each change posted to
//! its `StatusCallback` as Twilio does (the message's parameters with `MessageStatus` and
//! `SmsStatus`; `RawDlrDoneDate`, `YYMMDDhhmm`, once delivered). A message sent through a
//! Messaging Service goes out from the account's first number that takes SMS; with none,
//! it fails with 21606.

use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::account::Account;
use super::callbacks::Sender;
use super::messages::Message;
use super::params::Params;

/// Moves the message `sid` on to `delivered`, posting each status.
pub async fn deliver(account: Arc<Account>, sid: String) {
    let sender = Sender::new(&account.auth_token);
    for status in ["sent", "delivered"] {
        let Some(message) = advance(&account, &sid, status) else {
            return;
        };
        if let Some(url) = &message.status_callback {
            sender.send(&account, "POST", url, status_params(&message)).await;
        }
        if message.status == "failed" {
            return;
        }
    }
}

/// The message moved to `status` (or `failed`, when a service has no number to send from);
/// `None` if it is gone.
fn advance(account: &Account, sid: &str, status: &'static str) -> Option<Message> {
    account.change(|ledger| {
        let sender_number = ledger
            .numbers
            .iter()
            .find(|number| number.capabilities.sms)
            .map(|number| number.phone_number.clone());
        let message = ledger.messages.iter_mut().find(|m| m.sid == sid)?;
        let now = Timestamp::now();
        message.date_updated = now;
        if message.from.is_none() {
            message.from = sender_number;
        }
        if message.from.is_none() {
            message.status = "failed";
            message.error_code = Some(21606);
            message.error_message =
                Some("The Messaging Service has no phone number able to send this message".into());
            return Some(message.clone());
        }
        message.status = status;
        if status == "sent" {
            message.date_sent = Some(now);
        }
        Some(message.clone())
    })
}

/// What the status callback carries.
fn status_params(message: &Message) -> Params {
    let mut pairs = vec![
        ("AccountSid", message.account_sid.clone()),
        ("ApiVersion", message.api_version.to_owned()),
        ("From", message.from.clone().unwrap_or_default()),
        ("To", message.to.clone()),
        ("MessageSid", message.sid.clone()),
        ("SmsSid", message.sid.clone()),
        ("MessageStatus", message.status.to_owned()),
        ("SmsStatus", message.status.to_owned()),
    ];
    if let Some(service) = &message.messaging_service_sid {
        pairs.push(("MessagingServiceSid", service.clone()));
    }
    if let Some(code) = message.error_code {
        pairs.push(("ErrorCode", code.to_string()));
    }
    if message.status == "delivered" {
        let done = message
            .date_updated
            .to_zoned(TimeZone::UTC)
            .strftime("%y%m%d%H%M")
            .to_string();
        pairs.push(("RawDlrDoneDate", done));
    }
    Params::from_pairs(pairs.into_iter().map(|(name, value)| (name.to_owned(), value)))
}
