//! Messages (`Message`): the resource with Twilio's fields, what a send must carry, and the
//! account's use cases (send, list, read, redact). A message is answered `queued`; its
//! delivery then goes on in [`super::delivery`].

use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::account::{self, Account, Ledger};
use super::errors::TwilioError;
use super::paging::{self, PageRequest};
use super::params::Params;
use super::phone::is_e164;
use crate::sim::caller::random_sid;

/// The longest `Body` Twilio sends.
pub const BODY_MAX: usize = 1600;

/// One message, serialized as Twilio answers it (the `Message` schema of twilio-oai).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub body: String,
    pub num_segments: String,
    pub direction: &'static str,
    pub from: Option<String>,
    pub to: String,
    #[serde(serialize_with = "super::time::serialize")]
    pub date_updated: Timestamp,
    pub price: Option<String>,
    pub error_message: Option<String>,
    pub uri: String,
    pub account_sid: String,
    pub num_media: String,
    pub status: &'static str,
    pub messaging_service_sid: Option<String>,
    pub sid: String,
    #[serde(serialize_with = "super::time::serialize_option")]
    pub date_sent: Option<Timestamp>,
    #[serde(serialize_with = "super::time::serialize")]
    pub date_created: Timestamp,
    pub error_code: Option<u32>,
    pub price_unit: &'static str,
    pub api_version: &'static str,
    pub subresource_uris: MessageSubresources,
    /// Where its status changes are posted (not one of Twilio's fields).
    #[serde(skip)]
    pub status_callback: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageSubresources {
    pub media: String,
    pub feedback: String,
}

/// Segments a body is sent in: 160 GSM characters in one, 153 each when split; 70 and 67
/// when it needs UCS-2.
pub fn segments(body: &str) -> usize {
    let length = body.chars().count();
    let gsm = body
        .chars()
        .all(|c| c.is_ascii() && (c >= ' ' || c == '\n' || c == '\r'));
    let (single, part) = if gsm { (160, 153) } else { (70, 67) };
    if length <= single {
        1
    } else {
        length.div_ceil(part)
    }
}

/// Checks a send against the account, the way Twilio does: `To`, then `From` or
/// `MessagingServiceSid`, then `Body`, then whether the recipient unsubscribed.
pub fn read_send(
    params: &Params,
    account_sid: &str,
    ledger: &Ledger,
    unsubscribed: &[String],
    now: Timestamp,
) -> Result<Message, TwilioError> {
    let to = params.non_empty("To").ok_or_else(|| {
        TwilioError::new(
            axum::http::StatusCode::BAD_REQUEST,
            21604,
            "A 'To' phone number is required.",
        )
    })?;
    if !is_e164(to) {
        return Err(TwilioError::invalid_to(to));
    }
    let service = params.non_empty("MessagingServiceSid");
    if let Some(service) = service
        && !(service.len() == 34
            && service.starts_with("MG")
            && service[2..].bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(TwilioError::invalid_parameter("MessagingServiceSid", service));
    }
    let from = match (params.non_empty("From"), service) {
        (None, None) => return Err(TwilioError::missing_from()),
        (Some(from), _) if !is_e164(from) => return Err(TwilioError::invalid_from(from)),
        (Some(from), _) => match ledger.owns(from) {
            Some(number) if number.capabilities.sms => Some(from.to_owned()),
            _ => return Err(TwilioError::from_not_owned(from)),
        },
        (None, Some(_)) => None,
    };
    let body = params.get("Body").unwrap_or("");
    let has_media = params.non_empty("MediaUrl").is_some();
    if body.is_empty() && !has_media {
        return Err(TwilioError::missing_body());
    }
    let length = body.chars().count();
    if length > BODY_MAX {
        return Err(TwilioError::body_too_long(length));
    }
    let status_callback = params.url("StatusCallback")?.filter(|url| !url.is_empty());
    if unsubscribed.iter().any(|number| number == to)
        || from.as_deref().is_some_and(|from| ledger.opted_out(from, to))
    {
        return Err(TwilioError::unsubscribed(to));
    }
    let sid = random_sid("SM");
    let base = format!("/2010-04-01/Accounts/{account_sid}/Messages/{sid}");
    Ok(Message {
        body: body.to_owned(),
        num_segments: segments(body).to_string(),
        direction: "outbound-api",
        from,
        to: to.to_owned(),
        date_updated: now,
        price: None,
        error_message: None,
        uri: format!("{base}.json"),
        account_sid: account_sid.to_owned(),
        num_media: params.all("MediaUrl").count().to_string(),
        status: "queued",
        messaging_service_sid: service.map(str::to_owned),
        sid,
        date_sent: None,
        date_created: now,
        error_code: None,
        price_unit: "USD",
        api_version: "2010-04-01",
        subresource_uris: MessageSubresources {
            media: format!("{base}/Media.json"),
            feedback: format!("{base}/Feedback.json"),
        },
        status_callback,
    })
}

impl Account {
    /// `POST /Messages.json`: the message, `queued`; its delivery starts in the background.
    pub fn send_message(self: &Arc<Self>, params: &Params) -> Result<Message, TwilioError> {
        let message = self.change(|ledger| {
            let message = read_send(params, &self.sid, ledger, &self.unsubscribed, Timestamp::now())?;
            ledger.messages.insert(0, message.clone());
            Ok::<_, TwilioError>(message)
        })?;
        tokio::spawn(super::delivery::deliver(self.clone(), message.sid.clone()));
        Ok(message)
    }

    /// `GET /Messages.json`, filtered by `To` and `From`, newest first.
    pub fn messages_page(&self, params: &Params) -> Result<Value, TwilioError> {
        let request = PageRequest::read(params)?;
        let to = params.non_empty("To");
        let from = params.non_empty("From");
        let matching: Vec<Message> = self.read(|ledger| {
            ledger
                .messages
                .iter()
                .filter(|m| to.is_none_or(|to| m.to == to))
                .filter(|m| from.is_none_or(|from| m.from.as_deref() == Some(from)))
                .cloned()
                .collect()
        });
        let filters = account::echoed(params, &["To", "From"]);
        Ok(paging::render(
            &self.path("Messages.json"),
            "messages",
            &account::pairs(&filters),
            request,
            &matching,
        ))
    }

    /// `GET /Messages/{sid}.json`.
    pub fn message(&self, sid: &str) -> Result<Message, TwilioError> {
        self.read(|ledger| ledger.messages.iter().find(|m| m.sid == sid).cloned())
            .ok_or_else(|| self.message_not_found(sid))
    }

    /// `POST /Messages/{sid}.json`: `Body=` (empty) redacts a sent message's body;
    /// `Status=canceled` is for scheduled messages, which this stand-in never has.
    pub fn update_message(&self, sid: &str, params: &Params) -> Result<Message, TwilioError> {
        if let Some(status) = params.non_empty("Status") {
            return Err(TwilioError::invalid_parameter("Status", status));
        }
        let redact = match params.get("Body") {
            Some("") => true,
            Some(body) => return Err(TwilioError::invalid_parameter("Body", body)),
            None => false,
        };
        self.change(|ledger| {
            let message = ledger
                .messages
                .iter_mut()
                .find(|m| m.sid == sid)
                .ok_or_else(|| self.message_not_found(sid))?;
            if redact {
                if matches!(message.status, "queued" | "sending" | "accepted") {
                    return Err(TwilioError::new(
                        axum::http::StatusCode::BAD_REQUEST,
                        20009,
                        "Cannot redact the body of a message that is still being sent",
                    ));
                }
                message.body.clear();
                message.date_updated = Timestamp::now();
            }
            Ok(message.clone())
        })
    }

    fn message_not_found(&self, sid: &str) -> TwilioError {
        TwilioError::not_found(&self.path(&format!("Messages/{sid}.json")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::twilio::numbers::IncomingNumber;
    use crate::sim::twilio::phone::NanpNumber;

    const ACCOUNT: &str = "AC00000000000000000000000000000001";
    const OURS: &str = "+14155550123";

    fn ledger() -> Ledger {
        let now = Timestamp::now();
        Ledger {
            numbers: vec![IncomingNumber::new(
                ACCOUNT,
                NanpNumber::parse(OURS).unwrap(),
                now,
            )],
            ..Ledger::default()
        }
    }

    fn send(form: &str) -> Result<Message, TwilioError> {
        read_send(
            &Params::parse(form.as_bytes()),
            ACCOUNT,
            &ledger(),
            &["+15005550009".into()],
            Timestamp::now(),
        )
    }

    #[test]
    fn a_send_from_an_owned_number_is_queued() {
        let message = send("To=%2B442079460958&From=%2B14155550123&Body=Your+cleaning+is+booked").unwrap();
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(json["status"], "queued");
        assert_eq!(json["direction"], "outbound-api");
        assert_eq!(json["num_segments"], "1");
        assert_eq!(json["date_sent"], Value::Null);
        assert!(json["sid"].as_str().unwrap().starts_with("SM"));
    }

    #[test]
    fn each_bad_send_gets_twilios_code() {
        let code = |form: &str| send(form).unwrap_err().code;
        assert_eq!(code("From=%2B14155550123&Body=hi"), 21604);
        assert_eq!(code("To=12345&From=%2B14155550123&Body=hi"), 21211);
        assert_eq!(code("To=%2B14155550100&Body=hi"), 21603);
        assert_eq!(code("To=%2B14155550100&From=abc&Body=hi"), 21212);
        assert_eq!(code("To=%2B14155550100&From=%2B14155550999&Body=hi"), 21606);
        assert_eq!(code("To=%2B14155550100&From=%2B14155550123"), 21602);
        let long = format!("To=%2B14155550100&From=%2B14155550123&Body={}", "a".repeat(1601));
        assert_eq!(code(&long), 21617);
        assert_eq!(code("To=%2B15005550009&From=%2B14155550123&Body=hi"), 21610);
    }

    #[test]
    fn a_messaging_service_may_stand_for_from() {
        let message =
            send("To=%2B14155550100&MessagingServiceSid=MG0123456789abcdef0123456789abcdef&Body=hi").unwrap();
        assert_eq!(message.from, None);
        assert_eq!(
            send("To=%2B14155550100&MessagingServiceSid=MGx&Body=hi")
                .unwrap_err()
                .code,
            21218
        );
    }

    #[test]
    fn long_bodies_count_their_segments() {
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"é".repeat(71)), 2);
    }
}
