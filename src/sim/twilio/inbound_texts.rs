//! A caller texting one of the stand-in's numbers, as Twilio delivers it: the message is kept
//! (`direction` `inbound`, `received`), Advanced Opt-Out reads its body, and the number's
//! `SmsUrl` is posted Twilio's incoming-message webhook, form-encoded and signed like every
//! other webhook of the stand-in (`super::callbacks`).
//!
//! Advanced Opt-Out as Twilio runs it with its default keywords (`twilio.md` §6): the whole
//! body, trimmed and case-insensitive, is one keyword. STOP, UNSUBSCRIBE, END, QUIT, STOPALL,
//! REVOKE, OPTOUT and CANCEL unsubscribe the caller from that number (a message from it to
//! them is then refused with 21610) until START, YES or UNSTOP; HELP and INFO change nothing.
//! Each keyword is answered by Twilio itself with its default reply, kept as an
//! `outbound-reply` message, and the webhook carries `OptOutType` (`STOP`, `START`, `HELP`).
//! Twilio does this whatever the webhook answers, so the state changes before it is posted.

use jiff::Timestamp;
use serde::Serialize;

use super::SimTwilio;
use super::account::Ledger;
use super::callbacks::Sender;
use super::messages::{Message, MessageSubresources};
use super::params::Params;
use crate::sim::caller::random_sid;
use crate::wire::sms_segments;

const STOP_WORDS: &[&str] = &[
    "STOP",
    "UNSUBSCRIBE",
    "END",
    "QUIT",
    "STOPALL",
    "REVOKE",
    "OPTOUT",
    "CANCEL",
];
const START_WORDS: &[&str] = &["START", "YES", "UNSTOP"];
const HELP_WORDS: &[&str] = &["HELP", "INFO"];

/// Twilio's default replies to the keywords.
pub const STOP_REPLY: &str = "You have successfully been unsubscribed. You will not receive any more messages \
from this number. Reply START to resubscribe.";
pub const START_REPLY: &str = "You have successfully been re-subscribed to messages from this number. Reply \
HELP for help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.";
pub const HELP_REPLY: &str = "Reply STOP to unsubscribe. Msg&Data Rates May Apply.";

/// An Advanced Opt-Out keyword, as `OptOutType` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum OptOutType {
    Stop,
    Start,
    Help,
}

impl OptOutType {
    /// The keyword `body` is, if it is one.
    pub fn of(body: &str) -> Option<OptOutType> {
        let word = body.trim().to_uppercase();
        if STOP_WORDS.contains(&word.as_str()) {
            Some(OptOutType::Stop)
        } else if START_WORDS.contains(&word.as_str()) {
            Some(OptOutType::Start)
        } else if HELP_WORDS.contains(&word.as_str()) {
            Some(OptOutType::Help)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OptOutType::Stop => "STOP",
            OptOutType::Start => "START",
            OptOutType::Help => "HELP",
        }
    }

    fn reply(self) -> &'static str {
        match self {
            OptOutType::Stop => STOP_REPLY,
            OptOutType::Start => START_REPLY,
            OptOutType::Help => HELP_REPLY,
        }
    }
}

/// A caller who texted STOP to one of the numbers: messages from `phone_number` to `caller`
/// are refused until they text START.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptedOut {
    pub phone_number: String,
    pub caller: String,
}

impl Ledger {
    /// Whether `caller` unsubscribed from `phone_number`.
    pub fn opted_out(&self, phone_number: &str, caller: &str) -> bool {
        self.opted_out
            .iter()
            .any(|o| o.phone_number == phone_number && o.caller == caller)
    }
}

/// Who texts which number what.
#[derive(Debug, Clone)]
pub struct InboundText {
    /// One of the account's numbers.
    pub to: String,
    pub from: String,
    pub body: String,
}

/// What came of a text.
#[derive(Debug, Clone, Serialize)]
pub struct TextReport {
    pub message_sid: String,
    pub opt_out_type: Option<OptOutType>,
    /// Twilio's own reply to a keyword.
    pub reply: Option<String>,
    /// The status the number's `SmsUrl` answered; `None` when no answer came.
    pub webhook_status: Option<u16>,
}

/// Why a text reached no webhook.
#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("{0} is not one of the account's numbers")]
    NotOurs(String),
    #[error("{0} has no SmsUrl: nothing receives its texts")]
    NoSmsUrl(String),
    #[error("the body is empty")]
    EmptyBody,
}

fn message(
    account_sid: &str,
    (from, to): (&str, &str),
    body: &str,
    (direction, status): (&'static str, &'static str),
    now: Timestamp,
) -> Message {
    let sid = random_sid("SM");
    let base = format!("/2010-04-01/Accounts/{account_sid}/Messages/{sid}");
    Message {
        body: body.to_owned(),
        num_segments: sms_segments::segments(body).count.to_string(),
        direction,
        from: Some(from.to_owned()),
        to: to.to_owned(),
        date_updated: now,
        price: None,
        error_message: None,
        uri: format!("{base}.json"),
        account_sid: account_sid.to_owned(),
        num_media: "0".to_owned(),
        status,
        messaging_service_sid: None,
        sid,
        date_sent: Some(now),
        date_created: now,
        error_code: None,
        price_unit: "USD",
        api_version: "2010-04-01",
        subresource_uris: MessageSubresources {
            media: format!("{base}/Media.json"),
            feedback: format!("{base}/Feedback.json"),
        },
        status_callback: None,
    }
}

impl SimTwilio {
    /// `text.from` texts `text.to`: kept, read for a keyword, and posted to the number's
    /// `SmsUrl`.
    pub async fn text(&self, text: InboundText) -> Result<TextReport, TextError> {
        if text.body.is_empty() {
            return Err(TextError::EmptyBody);
        }
        let account = &self.account;
        let number = account
            .read(|ledger| ledger.owns(&text.to).cloned())
            .ok_or_else(|| TextError::NotOurs(text.to.clone()))?;
        if number.sms_url.is_empty() {
            return Err(TextError::NoSmsUrl(text.to));
        }
        let keyword = OptOutType::of(&text.body);
        let now = Timestamp::now();
        let received = message(
            &account.sid,
            (&text.from, &text.to),
            &text.body,
            ("inbound", "received"),
            now,
        );
        let message_sid = received.sid.clone();
        let segments = received.num_segments.clone();
        account.change(|ledger| {
            ledger.messages.insert(0, received);
            match keyword {
                Some(OptOutType::Stop) if !ledger.opted_out(&text.to, &text.from) => {
                    ledger.opted_out.push(OptedOut {
                        phone_number: text.to.clone(),
                        caller: text.from.clone(),
                    });
                }
                Some(OptOutType::Start) => ledger
                    .opted_out
                    .retain(|o| !(o.phone_number == text.to && o.caller == text.from)),
                _ => {}
            }
            if let Some(keyword) = keyword {
                let reply = message(
                    &account.sid,
                    (&text.to, &text.from),
                    keyword.reply(),
                    ("outbound-reply", "delivered"),
                    now,
                );
                ledger.messages.insert(0, reply);
            }
        });
        let mut pairs = vec![
            ("ToCountry", "US".to_owned()),
            ("SmsMessageSid", message_sid.clone()),
            ("NumMedia", "0".to_owned()),
            ("SmsSid", message_sid.clone()),
            ("SmsStatus", "received".to_owned()),
            ("Body", text.body.clone()),
            ("To", text.to.clone()),
            ("NumSegments", segments),
            ("MessageSid", message_sid.clone()),
            ("AccountSid", account.sid.clone()),
            ("From", text.from.clone()),
            ("ApiVersion", "2010-04-01".to_owned()),
        ];
        if let Some(keyword) = keyword {
            pairs.push(("OptOutType", keyword.as_str().to_owned()));
        }
        let params = Params::from_pairs(pairs.into_iter().map(|(n, v)| (n.to_owned(), v)));
        let reply = Sender::new(&account.auth_token)
            .send(account, number.sms_method, &number.sms_url, params)
            .await;
        Ok(TextReport {
            message_sid,
            opt_out_type: keyword,
            reply: keyword.map(|k| k.reply().to_owned()),
            webhook_status: reply.map(|r| r.status),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_body_is_one_keyword_in_any_case() {
        assert_eq!(OptOutType::of(" stop "), Some(OptOutType::Stop));
        assert_eq!(OptOutType::of("Revoke"), Some(OptOutType::Stop));
        assert_eq!(OptOutType::of("unstop"), Some(OptOutType::Start));
        assert_eq!(OptOutType::of("info"), Some(OptOutType::Help));
        assert_eq!(OptOutType::of("please stop"), None);
        assert_eq!(OptOutType::of("stopping"), None);
    }
}
