//! The API's own extractors for bodies and query strings, so that every malformed input is a
//! 4xx in the API's error shape, naming the field at fault (serde_path_to_error gives the path
//! serde was at when it failed).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::ApiFailure;

/// A JSON request body, or a 400 / 415 / 422 that says what is wrong with it.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiFailure;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiFailure> {
        let is_json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiFailure::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON with `Content-Type: application/json`.",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| ApiFailure::new(rejection.status(), "bad_body", rejection.body_text()))?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON body, naming the field serde failed at.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiFailure> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiFailure::bad_request("bad_json", format!("The body is not valid JSON: {inner}."));
        }
        let failure = ApiFailure::invalid(path.clone(), sentence(&inner.to_string()));
        if path == "." {
            ApiFailure {
                field: None,
                ..failure
            }
        } else {
            failure
        }
    })?;
    deserializer.end().map_err(|error| {
        ApiFailure::bad_request("bad_json", format!("The body is not valid JSON: {error}."))
    })?;
    Ok(value)
}

/// A query string, or a 400 naming the parameter at fault.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiFailure> {
        let query = parts.uri.query().unwrap_or("");
        let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(ApiQuery)
            .map_err(|error| {
                let path = error.path().to_string();
                let failure = ApiFailure::new(
                    StatusCode::BAD_REQUEST,
                    "bad_query",
                    sentence(&error.into_inner().to_string()),
                );
                if path == "." {
                    failure
                } else {
                    failure.with_field(path)
                }
            })
    }
}

/// A JSON answer with a status (201 for a row made, 200 otherwise).
pub struct Created<T>(pub T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (StatusCode::CREATED, axum::Json(self.0)).into_response()
    }
}

/// serde's messages start lower-case and end without a full stop.
/// For `#[serde(default, deserialize_with = "nullable")]`: a field that may be null, where
/// absent is `None` (left as it is) and null is `Some(None)` (removed).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::from("Invalid value"),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        limits: Limits,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Limits {
        minutes: u32,
    }

    #[test]
    fn a_wrong_type_names_its_field() {
        let failure = parse_json::<Body>(br#"{"name":"a","limits":{"minutes":"ten"}}"#).unwrap_err();
        assert_eq!(failure.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(failure.field.as_deref(), Some("limits.minutes"));
    }

    #[test]
    fn broken_json_is_a_400_and_trailing_bytes_too() {
        assert_eq!(parse_json::<Body>(b"{\"name\":").unwrap_err().code, "bad_json");
        assert_eq!(
            parse_json::<Limits>(br#"{"minutes":1} x"#).unwrap_err().code,
            "bad_json"
        );
    }

    #[test]
    fn a_missing_or_unknown_field_is_named_in_the_message() {
        let missing = parse_json::<Body>(br#"{"name":"a"}"#).unwrap_err();
        assert!(missing.message.contains("limits"), "{}", missing.message);
        let unknown = parse_json::<Body>(br#"{"name":"a","limits":{"minutes":1},"x":1}"#).unwrap_err();
        assert!(unknown.message.contains('x'), "{}", unknown.message);
    }
}
