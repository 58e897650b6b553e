//! Twilio's HTTP side, as the simulators play it: signed form POSTs to the bridge's webhooks.

use crate::wire::signature::RequestValidator;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{url}: {error}")]
    Http { url: String, error: String },
    #[error("{url} answered HTTP {status}: {body}")]
    Status { url: String, status: u16, body: String },
}

/// Signs and posts webhooks with one account's auth token, as Twilio does.
#[derive(Clone)]
pub struct Webhooks {
    http: reqwest::Client,
    signer: RequestValidator,
}

impl Webhooks {
    pub fn new(auth_token: &str) -> Self {
        crate::tls::install_crypto_provider();
        Webhooks {
            http: reqwest::Client::new(),
            signer: RequestValidator::new(auth_token),
        }
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
            .map_err(|e| WebhookError::Http {
                url: url.to_owned(),
                error: e.to_string(),
            })?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| WebhookError::Http {
            url: url.to_owned(),
            error: e.to_string(),
        })?;
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
    let bytes: [u8; 16] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}
