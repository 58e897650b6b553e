//! Twilio's error answers: `{"code", "message", "more_info", "status"}` with the HTTP status
//! (twilio.com/docs/errors; the shape twilio-python's `TwilioRestException` reads in
//! `base/version.py`), and the codes the stand-in gives.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One refusal, as Twilio words it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct TwilioError {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: u32,
    message: &'a str,
    more_info: String,
    status: u16,
}

impl TwilioError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        TwilioError {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad_request(code: u32, message: impl Into<String>) -> Self {
        TwilioError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 20003: the credentials are missing or wrong (401).
    pub fn authenticate() -> Self {
        TwilioError::new(StatusCode::UNAUTHORIZED, 20003, "Authenticate")
    }

    /// 20404: nothing at this path.
    pub fn not_found(path: &str) -> Self {
        TwilioError::new(
            StatusCode::NOT_FOUND,
            20404,
            format!("The requested resource {path} was not found"),
        )
    }

    /// 20405: the path exists, but not for this method.
    pub fn method_not_allowed(method: &str) -> Self {
        TwilioError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            20405,
            format!("Method not allowed: {method}"),
        )
    }

    /// 21211: `To` is not a phone number.
    pub fn invalid_to(to: &str) -> Self {
        TwilioError::bad_request(21211, format!("Invalid 'To' Phone Number: {to}"))
    }

    /// 21201: no `To`.
    pub fn missing_to() -> Self {
        TwilioError::bad_request(21201, "No 'To' number is specified")
    }

    /// 21212: `From` is not a phone number.
    pub fn invalid_from(from: &str) -> Self {
        TwilioError::bad_request(21212, format!("Invalid From Number (caller ID): {from}"))
    }

    /// 21606: `From` is a number, but not one of the account's able to send this message.
    pub fn from_not_owned(from: &str) -> Self {
        TwilioError::bad_request(
            21606,
            format!(
                "The 'From' phone number provided ({from}) is not a valid message-capable Twilio phone number for this destination."
            ),
        )
    }

    /// 21210: a call's `From` is not a number of the account.
    pub fn caller_not_verified(from: &str) -> Self {
        TwilioError::bad_request(
            21210,
            format!("The source phone number provided, {from}, is not yet verified for your account."),
        )
    }

    /// 21421: `PhoneNumber` is not a phone number.
    pub fn invalid_phone_number(number: &str) -> Self {
        TwilioError::bad_request(21421, format!("PhoneNumber is invalid: {number}"))
    }

    /// 21422: the number cannot be bought (taken, or already the account's).
    pub fn number_unavailable(number: &str) -> Self {
        TwilioError::bad_request(21422, format!("PhoneNumber {number} is not available"))
    }

    /// 21452: buying by `AreaCode`, and none is left there.
    pub fn no_numbers_in_area_code(area_code: &str) -> Self {
        TwilioError::bad_request(21452, format!("No phone numbers found in area code {area_code}"))
    }

    /// 21451: `AreaCode` is not three digits of a North American area code.
    pub fn invalid_area_code(area_code: &str) -> Self {
        TwilioError::bad_request(21451, format!("Invalid area code: {area_code}"))
    }

    /// 21610: the recipient replied STOP.
    pub fn unsubscribed(to: &str) -> Self {
        TwilioError::bad_request(21610, format!("Attempt to send to unsubscribed recipient {to}"))
    }

    /// 21602: no `Body` (nor media).
    pub fn missing_body() -> Self {
        TwilioError::bad_request(21602, "Message body is required.")
    }

    /// 21617: `Body` over 1,600 characters.
    pub fn body_too_long(length: usize) -> Self {
        TwilioError::bad_request(
            21617,
            format!("The concatenated message body exceeds the 1600 character limit ({length} given)."),
        )
    }

    /// 21603: neither `From` nor `MessagingServiceSid`.
    pub fn missing_from() -> Self {
        TwilioError::bad_request(
            21603,
            "A 'From' or 'MessagingServiceSid' parameter is required to send a message",
        )
    }

    /// 21213: a call without `From`.
    pub fn missing_call_from() -> Self {
        TwilioError::bad_request(21213, "No 'From' number is specified")
    }

    /// 21205: a call's `Url` (or `StatusCallback`, …) is not an http(s) URL, or none of
    /// `Url`, `Twiml`, `ApplicationSid` was given.
    pub fn invalid_url(name: &str, value: &str) -> Self {
        TwilioError::bad_request(21205, format!("{name} is not a valid URL: {value:?}"))
    }

    /// 21218: a parameter with a value outside its choices or range.
    pub fn invalid_parameter(name: &str, value: &str) -> Self {
        TwilioError::bad_request(21218, format!("Invalid {name}: {value:?}"))
    }

    /// 21220: a call asked to move to a status it cannot reach now.
    pub fn call_not_in_progress(sid: &str) -> Self {
        TwilioError::bad_request(21220, format!("Call {sid} is not in-progress. Cannot redirect."))
    }

    /// The generic answer for an HTTP error status with no more specific code, as a failure
    /// injected into a stand-in is answered: 500 is 20500, 503 is 20503, 429 is 20429.
    pub fn for_status(status: StatusCode) -> Self {
        let message = status.canonical_reason().unwrap_or("Error");
        TwilioError::new(status, 20000 + u32::from(status.as_u16()), message)
    }
}

impl IntoResponse for TwilioError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code,
            message: &self.message,
            more_info: format!("https://www.twilio.com/docs/errors/{}", self.code),
            status: self.status.as_u16(),
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"Twilio API\""),
            );
        }
        response
    }
}

/// The failure plan's renderer: Twilio's body for an injected status.
pub fn render_status(status: StatusCode) -> Response {
    TwilioError::for_status(status).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_error_is_twilios_json_with_its_docs_link() {
        let response = TwilioError::invalid_to("+1").into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = axum::body::to_bytes(response.into_body(), 4096).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["code"], 21211);
        assert_eq!(json["status"], 400);
        assert_eq!(json["more_info"], "https://www.twilio.com/docs/errors/21211");
        assert!(json["message"].as_str().unwrap().contains("+1"));
    }

    #[test]
    fn an_injected_status_gets_the_generic_code_for_it() {
        assert_eq!(
            TwilioError::for_status(StatusCode::INTERNAL_SERVER_ERROR).code,
            20500
        );
        assert_eq!(
            TwilioError::for_status(StatusCode::SERVICE_UNAVAILABLE).code,
            20503
        );
        assert_eq!(TwilioError::for_status(StatusCode::TOO_MANY_REQUESTS).code, 20429);
    }
}
