//! Twilio's REST API for phone numbers (`/2010-04-01/Accounts/{AccountSid}/…`): the numbers
//! the account owns (`IncomingPhoneNumbers`: list with filters, read, update, release), the
//! numbers it could buy (`AvailablePhoneNumbers/{Country}/Local`), and buying one.
//!
//! HTTP Basic with the account SID and auth token, form-encoded requests with Twilio's
//! PascalCase names, JSON answers in snake_case, each request bounded by a timeout. A refusal
//! is [`TwilioError::Api`] with Twilio's own code and message (`{"code", "message",
//! "more_info", "status"}`), e.g. 21422 "PhoneNumber … is not available", 20404 not found,
//! 20003 authentication. The auth token never reaches a log line or an error: reqwest's
//! errors are printed without their URL, and the token travels only in the header.
//! Shapes: twilio-oai `spec/json/twilio_api_v2010.json` (`api.v2010.account.incoming_phone_number`,
//! `…available_phone_number_country.available_phone_number_local`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::{Secret, TwilioConfig};

/// Bounds each request (connect, send, answer read whole).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Numbers asked for per page of a list.
const PAGE_SIZE: &str = "100";
/// The most pages a list follows (10,000 numbers): a server that pages forever is cut off.
const MAX_PAGES: usize = 100;

/// A number the account owns, as Twilio describes it (the fields switchboard reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IncomingNumber {
    /// `PN…`: how the number is addressed.
    pub sid: String,
    /// E.164.
    pub phone_number: String,
    #[serde(default)]
    pub friendly_name: Option<String>,
    #[serde(default)]
    pub voice_url: Option<String>,
    #[serde(default)]
    pub voice_method: Option<String>,
    #[serde(default)]
    pub status_callback: Option<String>,
    #[serde(default)]
    pub status_callback_method: Option<String>,
    #[serde(default)]
    pub sms_url: Option<String>,
    #[serde(default)]
    pub sms_method: Option<String>,
}

impl IncomingNumber {
    /// Where the number sends its calls and their status now.
    pub fn hooks(&self) -> VoiceHooks {
        VoiceHooks {
            voice_url: self.voice_url.clone().unwrap_or_default(),
            voice_method: method_or_post(self.voice_method.as_deref()),
            status_callback: self.status_callback.clone().unwrap_or_default(),
            status_callback_method: method_or_post(self.status_callback_method.as_deref()),
            sms_url: Some(self.sms_url.clone().unwrap_or_default()),
            sms_method: Some(method_or_post(self.sms_method.as_deref())),
        }
    }
}

fn method_or_post(method: Option<&str>) -> String {
    match method {
        Some(method) if !method.is_empty() => method.to_owned(),
        _ => "POST".to_owned(),
    }
}

/// Where a number sends its calls (`VoiceUrl`), their status (`StatusCallback`) and its
/// inbound texts (`SmsUrl`). An empty URL clears it; an SMS hook left `None` is not sent, so
/// the number keeps the one it has. Stored as JSON to put a number back as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceHooks {
    pub voice_url: String,
    pub voice_method: String,
    pub status_callback: String,
    pub status_callback_method: String,
    #[serde(default)]
    pub sms_url: Option<String>,
    #[serde(default)]
    pub sms_method: Option<String>,
}

impl VoiceHooks {
    /// switchboard's own: calls to `{public_url}/twilio/voice`, their status to
    /// `{public_url}/twilio/call-status`, inbound texts (a caller's STOP or START) to
    /// `{public_url}/twilio/sms`, all POST.
    pub fn switchboard(public_url: &str) -> VoiceHooks {
        let base = public_url.trim_end_matches('/');
        VoiceHooks {
            voice_url: format!("{base}/twilio/voice"),
            voice_method: "POST".to_owned(),
            status_callback: format!("{base}/twilio/call-status"),
            status_callback_method: "POST".to_owned(),
            sms_url: Some(format!("{base}/twilio/sms")),
            sms_method: Some("POST".to_owned()),
        }
    }

    fn form(&self) -> Vec<(&'static str, &str)> {
        let mut form = vec![
            ("VoiceUrl", self.voice_url.as_str()),
            ("VoiceMethod", &self.voice_method),
            ("StatusCallback", &self.status_callback),
            ("StatusCallbackMethod", &self.status_callback_method),
        ];
        if let Some(sms_url) = &self.sms_url {
            form.push(("SmsUrl", sms_url));
        }
        if let Some(sms_method) = &self.sms_method {
            form.push(("SmsMethod", sms_method));
        }
        form
    }
}

/// A number Twilio offers to buy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AvailableNumber {
    pub phone_number: String,
    #[serde(default)]
    pub friendly_name: Option<String>,
    #[serde(default)]
    pub locality: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub iso_country: Option<String>,
}

/// What to search the available local numbers by; `None` leaves a filter out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AvailableSearch {
    /// ISO 3166 alpha-2, e.g. `US`.
    pub country: String,
    pub area_code: Option<String>,
    /// Digits (or a pattern with `*`) the number contains.
    pub contains: Option<String>,
    /// Only numbers that take calls (`VoiceEnabled=true`).
    pub voice_enabled: bool,
}

/// Which owned numbers to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberFilter {
    pub phone_number: Option<String>,
    pub friendly_name: Option<String>,
}

/// What Twilio answered when it did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum TwilioError {
    /// Twilio refused: its status, code and message.
    #[error("Twilio refused ({}): {message}", refusal(*status, *code))]
    Api {
        status: u16,
        code: Option<i64>,
        message: String,
        more_info: Option<String>,
    },
    /// Twilio could not be reached or did not answer in time.
    #[error("could not reach Twilio: {0}")]
    Transport(String),
    /// Twilio answered, but not with what its API describes.
    #[error("Twilio's answer could not be read: {0}")]
    Unreadable(String),
}

fn refusal(status: u16, code: Option<i64>) -> String {
    match code {
        Some(code) => format!("error {code}, HTTP {status}"),
        None => format!("HTTP {status}"),
    }
}

impl TwilioError {
    /// Twilio's error code, when it gave one.
    pub fn code(&self) -> Option<i64> {
        match self {
            TwilioError::Api { code, .. } => *code,
            _ => None,
        }
    }

    /// The thing asked about does not exist (HTTP 404, code 20404): a release of a number
    /// already released counts as done.
    pub fn is_not_found(&self) -> bool {
        matches!(self, TwilioError::Api { status: 404, .. }) || self.code() == Some(20404)
    }
}

/// Twilio's error body.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    more_info: Option<String>,
}

#[derive(Deserialize)]
struct IncomingPage {
    #[serde(default)]
    incoming_phone_numbers: Vec<IncomingNumber>,
    #[serde(default)]
    next_page_uri: Option<String>,
}

#[derive(Deserialize)]
struct AvailablePage {
    #[serde(default)]
    available_phone_numbers: Vec<AvailableNumber>,
}

/// A client for one Twilio account's numbers.
#[derive(Clone)]
pub struct TwilioClient {
    http: reqwest::Client,
    /// e.g. `https://api.twilio.com`, no trailing slash.
    api_base: String,
    account_sid: String,
    auth_token: Secret,
}

impl std::fmt::Debug for TwilioClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioClient")
            .field("api_base", &self.api_base)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &self.auth_token)
            .finish()
    }
}

impl TwilioClient {
    /// A client of `account_sid` at `api_base` (e.g. `https://api.twilio.com`), each request
    /// bounded by `timeout`.
    pub fn new(api_base: &str, account_sid: &str, auth_token: Secret, timeout: Duration) -> TwilioClient {
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .build()
            .expect("an HTTP client with default TLS settings builds");
        TwilioClient {
            http,
            api_base: api_base.trim_end_matches('/').to_owned(),
            account_sid: account_sid.to_owned(),
            auth_token,
        }
    }

    /// The client the configuration describes; `None` without an account SID or auth token.
    pub fn from_config(config: &TwilioConfig) -> Option<TwilioClient> {
        let sid = config
            .account_sid
            .as_deref()
            .filter(|sid| !sid.trim().is_empty())?;
        if config.auth_token.is_empty() {
            return None;
        }
        Some(TwilioClient::new(
            &config.api_base,
            sid.trim(),
            config.auth_token.clone(),
            REQUEST_TIMEOUT,
        ))
    }

    pub fn account_sid(&self) -> &str {
        &self.account_sid
    }

    fn url(&self, resource: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/{resource}",
            self.api_base, self.account_sid
        )
    }

    /// The owned numbers that match `filter`, every page followed.
    pub async fn list_numbers(&self, filter: &NumberFilter) -> Result<Vec<IncomingNumber>, TwilioError> {
        let mut query = vec![("PageSize", PAGE_SIZE)];
        if let Some(number) = &filter.phone_number {
            query.push(("PhoneNumber", number));
        }
        if let Some(name) = &filter.friendly_name {
            query.push(("FriendlyName", name));
        }
        let first = self.http.get(self.url("IncomingPhoneNumbers.json")).query(&query);
        let mut page: IncomingPage = self.send(first, 200).await?;
        let mut numbers = std::mem::take(&mut page.incoming_phone_numbers);
        for _ in 1..MAX_PAGES {
            let Some(next) = page.next_page_uri.take().filter(|uri| !uri.is_empty()) else {
                return Ok(numbers);
            };
            // Only a path on the same API base: the credentials go nowhere else.
            if !next.starts_with('/') || next.starts_with("//") {
                return Err(TwilioError::Unreadable(
                    "next_page_uri is not a path on the API".to_owned(),
                ));
            }
            page = self
                .send(self.http.get(format!("{}{next}", self.api_base)), 200)
                .await?;
            numbers.append(&mut page.incoming_phone_numbers);
        }
        Err(TwilioError::Unreadable(format!(
            "the list of numbers went on past {MAX_PAGES} pages"
        )))
    }

    /// The owned number `phone_number` (E.164), if the account has it.
    pub async fn find_number(&self, phone_number: &str) -> Result<Option<IncomingNumber>, TwilioError> {
        let numbers = self
            .list_numbers(&NumberFilter {
                phone_number: Some(phone_number.to_owned()),
                friendly_name: None,
            })
            .await?;
        // The filter also matches partial numbers: only the exact one counts.
        Ok(numbers.into_iter().find(|n| n.phone_number == phone_number))
    }

    /// The owned numbers named exactly `friendly_name`.
    pub async fn numbers_named(&self, friendly_name: &str) -> Result<Vec<IncomingNumber>, TwilioError> {
        let mut numbers = self
            .list_numbers(&NumberFilter {
                phone_number: None,
                friendly_name: Some(friendly_name.to_owned()),
            })
            .await?;
        numbers.retain(|n| n.friendly_name.as_deref() == Some(friendly_name));
        Ok(numbers)
    }

    /// The owned number `sid`.
    pub async fn number(&self, sid: &str) -> Result<IncomingNumber, TwilioError> {
        let url = self.url(&format!("IncomingPhoneNumbers/{}.json", segment(sid)));
        self.send(self.http.get(url), 200).await
    }

    /// Points the number's calls and their status at `hooks`.
    pub async fn set_hooks(&self, sid: &str, hooks: &VoiceHooks) -> Result<IncomingNumber, TwilioError> {
        let url = self.url(&format!("IncomingPhoneNumbers/{}.json", segment(sid)));
        self.send(self.http.post(url).form(&hooks.form()), 200).await
    }

    /// Releases the number (Twilio stops billing it; it may go to someone else).
    pub async fn release_number(&self, sid: &str) -> Result<(), TwilioError> {
        let url = self.url(&format!("IncomingPhoneNumbers/{}.json", segment(sid)));
        let response = self.authed(self.http.delete(url)).await?;
        match response.status().as_u16() {
            204 | 200 => Ok(()),
            _ => Err(refused(response).await),
        }
    }

    /// Local numbers Twilio offers in `search.country`.
    pub async fn available_local(
        &self,
        search: &AvailableSearch,
    ) -> Result<Vec<AvailableNumber>, TwilioError> {
        let mut query: Vec<(&str, &str)> = vec![("PageSize", "20")];
        if let Some(area_code) = &search.area_code {
            query.push(("AreaCode", area_code));
        }
        if let Some(contains) = &search.contains {
            query.push(("Contains", contains));
        }
        if search.voice_enabled {
            query.push(("VoiceEnabled", "true"));
        }
        let url = self.url(&format!(
            "AvailablePhoneNumbers/{}/Local.json",
            segment(&search.country)
        ));
        let page: AvailablePage = self.send(self.http.get(url).query(&query), 200).await?;
        Ok(page.available_phone_numbers)
    }

    /// Buys `phone_number`, named `friendly_name`, its calls sent to `hooks` from the start.
    pub async fn buy_number(
        &self,
        phone_number: &str,
        friendly_name: &str,
        hooks: &VoiceHooks,
    ) -> Result<IncomingNumber, TwilioError> {
        let mut form: Vec<(&str, &str)> =
            vec![("PhoneNumber", phone_number), ("FriendlyName", friendly_name)];
        form.extend(hooks.form());
        let request = self.http.post(self.url("IncomingPhoneNumbers.json")).form(&form);
        self.send(request, 201).await
    }

    async fn authed(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, TwilioError> {
        request
            .basic_auth(&self.account_sid, Some(self.auth_token.expose()))
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| TwilioError::Transport(e.without_url().to_string()))
    }

    /// Sends `request` and reads its JSON answer, which must come with `expected` (or 200).
    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        expected: u16,
    ) -> Result<T, TwilioError> {
        let response = self.authed(request).await?;
        let status = response.status().as_u16();
        if status != expected && status != 200 {
            return Err(refused(response).await);
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| TwilioError::Transport(e.without_url().to_string()))?;
        serde_json::from_slice(&bytes).map_err(|e| TwilioError::Unreadable(e.to_string()))
    }
}

/// A message Twilio has: its SID, status, the numbers and the body.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct SentMessage {
    pub sid: String,
    pub status: String,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Deserialize)]
struct MessagesPage {
    #[serde(default)]
    messages: Vec<SentMessage>,
}

/// A text to send (`POST /Messages.json`, twilio-oai `CreateMessage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage<'a> {
    pub to: &'a str,
    pub from: &'a str,
    pub body: &'a str,
    /// Where Twilio posts the message's status changes.
    pub status_callback: &'a str,
}

impl TwilioClient {
    /// Sends a text; Twilio answers 201 with the message, `queued` or `accepted`. A refusal
    /// carries Twilio's code (21610: the recipient texted STOP to `from`).
    pub async fn send_message(&self, message: &OutgoingMessage<'_>) -> Result<SentMessage, TwilioError> {
        let form = [
            ("To", message.to),
            ("From", message.from),
            ("Body", message.body),
            ("StatusCallback", message.status_callback),
        ];
        let request = self.http.post(self.url("Messages.json")).form(&form);
        self.send(request, 201).await
    }

    /// The messages sent from `from` to `to` on or after `since`'s day (`DateSent>=`, a date),
    /// the newest first: what a resend looks at after a send whose answer never came.
    pub async fn messages_between(
        &self,
        from: &str,
        to: &str,
        since: jiff::Timestamp,
    ) -> Result<Vec<SentMessage>, TwilioError> {
        let day = since.to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
        let query = [
            ("To", to),
            ("From", from),
            ("DateSent>", day.as_str()),
            ("PageSize", PAGE_SIZE),
        ];
        let request = self.http.get(self.url("Messages.json")).query(&query);
        let page: MessagesPage = self.send(request, 200).await?;
        Ok(page.messages)
    }
}

/// A path segment from a value the caller gave (a SID, a country), escaped.
fn segment(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The refusal in `response`, in Twilio's words when its body has them.
async fn refused(response: reqwest::Response) -> TwilioError {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap_or_default();
    refusal_of(status, &bytes)
}

fn refusal_of(status: u16, body: &[u8]) -> TwilioError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(body) => TwilioError::Api {
            status,
            code: body.code,
            message: body
                .message
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| "no message".to_owned()),
            more_info: body.more_info,
        },
        Err(_) => TwilioError::Api {
            status,
            code: None,
            message: "the answer had no error message".to_owned(),
            more_info: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_says_twilios_code_and_message() {
        let body = br#"{"code": 21422, "message": "PhoneNumber +14155550100 is not available.",
            "more_info": "https://www.twilio.com/docs/errors/21422", "status": 400}"#;
        let error = refusal_of(400, body);
        assert_eq!(error.code(), Some(21422));
        assert_eq!(
            error.to_string(),
            "Twilio refused (error 21422, HTTP 400): PhoneNumber +14155550100 is not available."
        );
        assert!(!error.is_not_found());
    }

    #[test]
    fn a_missing_number_is_not_found_by_status_or_code() {
        let body = br#"{"code": 20404, "message": "The requested resource was not found", "status": 404}"#;
        assert!(refusal_of(404, body).is_not_found());
        assert!(refusal_of(404, b"<html>").is_not_found());
        assert_eq!(
            refusal_of(502, b"").to_string(),
            "Twilio refused (HTTP 502): the answer had no error message"
        );
    }

    #[test]
    fn switchboards_hooks_are_its_voice_and_status_webhooks() {
        let hooks = VoiceHooks::switchboard("https://bridge.example.com/");
        assert_eq!(hooks.voice_url, "https://bridge.example.com/twilio/voice");
        assert_eq!(
            hooks.status_callback,
            "https://bridge.example.com/twilio/call-status"
        );
        assert_eq!(
            (hooks.voice_method.as_str(), hooks.status_callback_method.as_str()),
            ("POST", "POST")
        );
        assert_eq!(
            hooks.sms_url.as_deref(),
            Some("https://bridge.example.com/twilio/sms")
        );
        assert_eq!(hooks.sms_method.as_deref(), Some("POST"));
        let form = hooks.form();
        assert!(
            form.contains(&("SmsUrl", "https://bridge.example.com/twilio/sms")),
            "{form:?}"
        );
        assert!(form.contains(&("SmsMethod", "POST")), "{form:?}");
    }

    #[test]
    fn hooks_without_sms_leave_the_numbers_sms_url_alone() {
        let hooks: VoiceHooks = serde_json::from_str(
            r#"{"voice_url": "", "voice_method": "POST", "status_callback": "", "status_callback_method": "POST"}"#,
        )
        .unwrap();
        assert!(hooks.form().iter().all(|(name, _)| !name.starts_with("Sms")));
    }

    #[test]
    fn a_numbers_hooks_default_their_methods_to_post() {
        let number: IncomingNumber = serde_json::from_str(
            r#"{"sid": "PN1", "phone_number": "+14155550100", "voice_url": "https://example.com/v",
                "voice_method": "GET", "status_callback": null, "status_callback_method": ""}"#,
        )
        .unwrap();
        let hooks = number.hooks();
        assert_eq!(hooks.voice_method, "GET");
        assert_eq!(hooks.status_callback, "");
        assert_eq!(hooks.status_callback_method, "POST");
    }

    #[test]
    fn the_token_is_never_printed() {
        let client = TwilioClient::new(
            "https://api.twilio.com",
            "AC1",
            Secret::new("tok-secret"),
            REQUEST_TIMEOUT,
        );
        assert!(!format!("{client:?}").contains("tok-secret"));
    }
}
