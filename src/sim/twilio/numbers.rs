//! The account's phone numbers (`IncomingPhoneNumber`): the resource with Twilio's fields, the
//! settings a buy or update may set, and the rules for buying, updating and releasing.

use jiff::Timestamp;
use serde::Serialize;

use super::available::{self, Capabilities};
use super::errors::TwilioError;
use super::params::Params;
use super::phone::NanpNumber;
use crate::sim::caller::random_sid;

/// One number of the account, serialized as Twilio answers it (the `IncomingPhoneNumber`
/// schema of twilio-oai, plus `subresource_uris` as the live API adds).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncomingNumber {
    pub account_sid: String,
    pub address_sid: Option<String>,
    pub address_requirements: &'static str,
    pub api_version: &'static str,
    pub beta: bool,
    pub capabilities: Capabilities,
    #[serde(serialize_with = "super::time::serialize")]
    pub date_created: Timestamp,
    #[serde(serialize_with = "super::time::serialize")]
    pub date_updated: Timestamp,
    pub friendly_name: String,
    pub identity_sid: Option<String>,
    pub phone_number: String,
    pub origin: &'static str,
    pub sid: String,
    pub sms_application_sid: String,
    pub sms_fallback_method: &'static str,
    pub sms_fallback_url: String,
    pub sms_method: &'static str,
    pub sms_url: String,
    pub status_callback: String,
    pub status_callback_method: &'static str,
    pub trunk_sid: Option<String>,
    pub uri: String,
    pub voice_receive_mode: &'static str,
    pub voice_application_sid: String,
    pub voice_caller_id_lookup: bool,
    pub voice_fallback_method: &'static str,
    pub voice_fallback_url: String,
    pub voice_method: &'static str,
    pub voice_url: String,
    pub emergency_status: &'static str,
    pub emergency_address_sid: Option<String>,
    pub emergency_address_status: &'static str,
    pub bundle_sid: Option<String>,
    pub status: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub subresource_uris: NumberSubresources,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumberSubresources {
    pub assigned_add_ons: String,
}

impl IncomingNumber {
    /// A number just bought (or owned from the start), with no URLs set.
    pub fn new(account_sid: &str, number: NanpNumber, now: Timestamp) -> Self {
        let sid = random_sid("PN");
        let base = format!("/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{sid}");
        IncomingNumber {
            account_sid: account_sid.to_owned(),
            address_sid: None,
            address_requirements: "none",
            api_version: "2010-04-01",
            beta: false,
            capabilities: available::capabilities_of(&number),
            date_created: now,
            date_updated: now,
            friendly_name: number.friendly(),
            identity_sid: None,
            phone_number: number.to_string(),
            origin: "twilio",
            sid,
            sms_application_sid: String::new(),
            sms_fallback_method: "POST",
            sms_fallback_url: String::new(),
            sms_method: "POST",
            sms_url: String::new(),
            status_callback: String::new(),
            status_callback_method: "POST",
            trunk_sid: None,
            uri: format!("{base}.json"),
            voice_receive_mode: "voice",
            voice_application_sid: String::new(),
            voice_caller_id_lookup: false,
            voice_fallback_method: "POST",
            voice_fallback_url: String::new(),
            voice_method: "POST",
            voice_url: String::new(),
            emergency_status: "Inactive",
            emergency_address_sid: None,
            emergency_address_status: "unregistered",
            bundle_sid: None,
            status: "in-use",
            kind: "local",
            subresource_uris: NumberSubresources {
                assigned_add_ons: format!("{base}/AssignedAddOns.json"),
            },
        }
    }
}

/// The settings a buy or an update sets; each left out keeps its value. All are read (and
/// checked) before any is applied, so a refused request changes nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NumberSettings {
    friendly_name: Option<String>,
    voice_url: Option<String>,
    voice_method: Option<&'static str>,
    voice_fallback_url: Option<String>,
    voice_fallback_method: Option<&'static str>,
    status_callback: Option<String>,
    status_callback_method: Option<&'static str>,
    voice_caller_id_lookup: Option<bool>,
    voice_application_sid: Option<String>,
    sms_url: Option<String>,
    sms_method: Option<&'static str>,
    sms_fallback_url: Option<String>,
    sms_fallback_method: Option<&'static str>,
    sms_application_sid: Option<String>,
}

/// The longest `FriendlyName` Twilio takes.
const FRIENDLY_NAME_MAX: usize = 64;

impl NumberSettings {
    pub fn read(params: &Params) -> Result<Self, TwilioError> {
        let friendly_name = params.get("FriendlyName").map(str::to_owned);
        if let Some(name) = &friendly_name
            && name.chars().count() > FRIENDLY_NAME_MAX
        {
            return Err(TwilioError::invalid_parameter("FriendlyName", name));
        }
        Ok(NumberSettings {
            friendly_name,
            voice_url: params.url("VoiceUrl")?,
            voice_method: params.method("VoiceMethod")?,
            voice_fallback_url: params.url("VoiceFallbackUrl")?,
            voice_fallback_method: params.method("VoiceFallbackMethod")?,
            status_callback: params.url("StatusCallback")?,
            status_callback_method: params.method("StatusCallbackMethod")?,
            voice_caller_id_lookup: params.bool("VoiceCallerIdLookup")?,
            voice_application_sid: params.get("VoiceApplicationSid").map(str::to_owned),
            sms_url: params.url("SmsUrl")?,
            sms_method: params.method("SmsMethod")?,
            sms_fallback_url: params.url("SmsFallbackUrl")?,
            sms_fallback_method: params.method("SmsFallbackMethod")?,
            sms_application_sid: params.get("SmsApplicationSid").map(str::to_owned),
        })
    }

    /// Sets what was given; `date_updated` moves to `now`.
    pub fn apply(self, number: &mut IncomingNumber, now: Timestamp) {
        fn set<T>(field: &mut T, value: Option<T>) {
            if let Some(value) = value {
                *field = value;
            }
        }
        set(&mut number.friendly_name, self.friendly_name);
        set(&mut number.voice_url, self.voice_url);
        set(&mut number.voice_method, self.voice_method);
        set(&mut number.voice_fallback_url, self.voice_fallback_url);
        set(&mut number.voice_fallback_method, self.voice_fallback_method);
        set(&mut number.status_callback, self.status_callback);
        set(&mut number.status_callback_method, self.status_callback_method);
        set(&mut number.voice_caller_id_lookup, self.voice_caller_id_lookup);
        set(&mut number.voice_application_sid, self.voice_application_sid);
        set(&mut number.sms_url, self.sms_url);
        set(&mut number.sms_method, self.sms_method);
        set(&mut number.sms_fallback_url, self.sms_fallback_url);
        set(&mut number.sms_fallback_method, self.sms_fallback_method);
        set(&mut number.sms_application_sid, self.sms_application_sid);
        number.date_updated = now;
    }
}

/// Which number a buy asks for: `PhoneNumber`, else the first for sale in `AreaCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberChoice {
    Exact(NanpNumber),
    InAreaCode(u16),
}

impl NumberChoice {
    pub fn read(params: &Params) -> Result<Self, TwilioError> {
        if let Some(text) = params.non_empty("PhoneNumber") {
            return NanpNumber::parse(text.trim())
                .filter(NanpNumber::is_dialable)
                .map(NumberChoice::Exact)
                .ok_or_else(|| TwilioError::invalid_phone_number(text));
        }
        match params.non_empty("AreaCode") {
            Some(text) => read_area_code(text).map(NumberChoice::InAreaCode),
            None => Err(TwilioError::new(
                axum::http::StatusCode::BAD_REQUEST,
                21421,
                "A 'PhoneNumber' or 'AreaCode' is required",
            )),
        }
    }
}

/// Three digits, the first 2-9.
pub fn read_area_code(text: &str) -> Result<u16, TwilioError> {
    let trimmed = text.trim();
    trimmed
        .parse::<u16>()
        .ok()
        .filter(|code| trimmed.len() == 3 && (200..=999).contains(code))
        .ok_or_else(|| TwilioError::invalid_area_code(text))
}

/// Buys the number chosen, for an account owning `owned`: 21422 when it is already owned or
/// in an area code with no numbers, 21452 when buying by such an area code.
pub fn buy(
    account_sid: &str,
    choice: NumberChoice,
    settings: NumberSettings,
    owned: &[IncomingNumber],
    now: Timestamp,
) -> Result<IncomingNumber, TwilioError> {
    let is_owned = |candidate: &NanpNumber| {
        let text = candidate.to_string();
        owned.iter().any(|number| number.phone_number == text)
    };
    let number = match choice {
        NumberChoice::Exact(number) if is_owned(&number) || !available::in_service(number.area_code()) => {
            return Err(TwilioError::number_unavailable(&number.to_string()));
        }
        NumberChoice::Exact(number) => number,
        NumberChoice::InAreaCode(area_code) => available::first_in_area_code(area_code, is_owned)
            .ok_or_else(|| TwilioError::no_numbers_in_area_code(&area_code.to_string()))?,
    };
    let mut bought = IncomingNumber::new(account_sid, number, now);
    settings.apply(&mut bought, now);
    Ok(bought)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "AC00000000000000000000000000000001";

    fn now() -> Timestamp {
        "2026-11-30T15:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_bought_number_has_twilios_fields_and_the_settings_given() {
        let params = Params::parse(b"PhoneNumber=%2B14155550123&FriendlyName=Front+desk&VoiceUrl=https%3A%2F%2Fbridge.example%2Ftwilio%2Fvoice&VoiceMethod=POST");
        let choice = NumberChoice::read(&params).unwrap();
        let bought = buy(
            ACCOUNT,
            choice,
            NumberSettings::read(&params).unwrap(),
            &[],
            now(),
        )
        .unwrap();
        let json = serde_json::to_value(&bought).unwrap();
        assert_eq!(json["phone_number"], "+14155550123");
        assert_eq!(json["friendly_name"], "Front desk");
        assert_eq!(json["voice_url"], "https://bridge.example/twilio/voice");
        assert_eq!(json["sms_url"], "");
        assert_eq!(json["date_created"], "Mon, 30 Nov 2026 15:00:00 +0000");
        assert_eq!(json["type"], "local");
        let sid = json["sid"].as_str().unwrap();
        assert!(sid.starts_with("PN") && sid.len() == 34);
        assert_eq!(
            json["uri"],
            format!("/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers/{sid}.json")
        );
    }

    #[test]
    fn an_owned_number_cannot_be_bought_again_and_an_area_code_gives_the_next() {
        let params = Params::parse(b"PhoneNumber=%2B14155550123");
        let first = buy(
            ACCOUNT,
            NumberChoice::read(&params).unwrap(),
            NumberSettings::default(),
            &[],
            now(),
        )
        .unwrap();
        let again = buy(
            ACCOUNT,
            NumberChoice::read(&params).unwrap(),
            NumberSettings::default(),
            std::slice::from_ref(&first),
            now(),
        );
        assert_eq!(again.unwrap_err().code, 21422);
        let nowhere = NumberChoice::read(&Params::parse(b"PhoneNumber=%2B19115550123")).unwrap();
        assert_eq!(
            buy(ACCOUNT, nowhere, NumberSettings::default(), &[], now())
                .unwrap_err()
                .code,
            21422
        );
        let by_area = NumberChoice::read(&Params::parse(b"AreaCode=415")).unwrap();
        let a = buy(ACCOUNT, by_area, NumberSettings::default(), &[], now()).unwrap();
        let b = buy(
            ACCOUNT,
            by_area,
            NumberSettings::default(),
            std::slice::from_ref(&a),
            now(),
        )
        .unwrap();
        assert!(a.phone_number.starts_with("+1415") && b.phone_number.starts_with("+1415"));
        assert_ne!(a.phone_number, b.phone_number);
    }

    #[test]
    fn bad_choices_and_settings_are_refused_with_twilios_codes() {
        assert_eq!(
            NumberChoice::read(&Params::parse(b"PhoneNumber=555"))
                .unwrap_err()
                .code,
            21421
        );
        assert_eq!(
            NumberChoice::read(&Params::parse(b"AreaCode=12"))
                .unwrap_err()
                .code,
            21451
        );
        assert_eq!(NumberChoice::read(&Params::parse(b"")).unwrap_err().code, 21421);
        assert_eq!(
            NumberSettings::read(&Params::parse(b"VoiceUrl=not-a-url"))
                .unwrap_err()
                .code,
            21205
        );
        assert_eq!(
            NumberSettings::read(&Params::parse(b"VoiceMethod=PUT"))
                .unwrap_err()
                .code,
            21218
        );
    }
}
