//! Twilio's HTTP side, as the simulators play it: signed form POSTs to the bridge's webhooks.

use crate::wire::signature::RequestValidator;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{url}: {error}")]
    Http { url: String, error: String },
    #[error("{url} answered HTTP {status}: {body}")]
    Status { url: String, status: u16, body: String },
}

impl WebhookError {
    fn http(url: &str, error: &reqwest::Error) -> Self {
        WebhookError::Http {
            url: url.to_owned(),
            error: with_causes(error),
        }
    }
}

/// `error` followed by its causes: reqwest's own message names the request, not why it
/// failed (a refused connection, a bad URL).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// The form Twilio posts to a voice webhook about an inbound call
/// (twilio.com/docs/usage/webhooks/voice-webhooks).
#[derive(Debug, Clone, Copy)]
pub struct InboundCall<'a> {
    pub call_sid: &'a str,
    pub account_sid: &'a str,
    pub from: &'a str,
    pub to: &'a str,
}

impl<'a> InboundCall<'a> {
    /// The parameters, with the call's status (`ringing` when it comes in).
    pub fn params(&self, call_status: &'a str) -> [(&'a str, &'a str); 7] {
        self.params_as(call_status, "inbound")
    }

    /// The parameters with another `Direction` (`outbound-api` for a call placed through the
    /// REST API).
    pub fn params_as(&self, call_status: &'a str, direction: &'a str) -> [(&'a str, &'a str); 7] {
        [
            ("CallSid", self.call_sid),
            ("AccountSid", self.account_sid),
            ("From", self.from),
            ("To", self.to),
            ("CallStatus", call_status),
            ("Direction", direction),
            ("ApiVersion", "2010-04-01"),
        ]
    }
}

/// Signs and posts webhooks with one account's auth token, as Twilio does.
#[derive(Clone)]
pub struct Webhooks {
    http: reqwest::Client,
    signer: RequestValidator,
    /// The host of the recordings' URLs posted (Twilio's API host).
    pub recording_host: String,
}

impl Webhooks {
    pub fn new(auth_token: &str) -> Self {
        crate::tls::install_crypto_provider();
        Webhooks {
            http: reqwest::Client::new(),
            signer: RequestValidator::new(auth_token),
            recording_host: "api.twilio.com".into(),
        }
    }

    /// The same, with recordings on `host` (the Twilio stand-in's, where the bridge is
    /// pointed at it).
    pub fn with_recording_host(mut self, host: &str) -> Self {
        self.recording_host = host.to_owned();
        self
    }

    /// The `X-Twilio-Signature` for a request to `url` with `params`.
    pub fn sign(&self, url: &str, params: &[(&str, &str)]) -> String {
        self.signer.sign(url, params)
    }

    /// POSTs `params` form-encoded to `url`, signed; returns the body of a 2xx answer.
    pub async fn post(&self, url: &str, params: &[(&str, &str)]) -> Result<String, WebhookError> {
        let signature = self.sign(url, params);
        let response = self
            .http
            .post(url)
            .header("X-Twilio-Signature", signature)
            .form(params)
            .send()
            .await
            .map_err(|e| WebhookError::http(url, &e))?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| WebhookError::http(url, &e))?;
        if !(200..300).contains(&status) {
            return Err(WebhookError::Status {
                url: url.to_owned(),
                status,
                body,
            });
        }
        Ok(body)
    }
}

/// A Twilio-shaped SID: two letters and 32 hex digits.
pub fn random_sid(prefix: &str) -> String {
    format!("{prefix}{:032x}", rand::random::<u128>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_are_the_prefix_and_32_hex_digits() {
        let sid = random_sid("CA");
        assert_eq!(sid.len(), 34);
        assert!(sid.starts_with("CA"));
        assert!(
            sid[2..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(sid, random_sid("CA"));
    }

    #[tokio::test]
    async fn a_refused_connection_says_so() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/twilio/voice", listener.local_addr().unwrap());
        drop(listener);
        let error = Webhooks::new("token").post(&url, &[]).await.unwrap_err();
        let text = error.to_string();
        assert!(text.starts_with(&url), "{text}");
        assert!(text.to_lowercase().contains("connection refused"), "{text}");
    }
}
