//! The webhooks the stand-in sends as Twilio does: form parameters, signed with the account's
//! auth token in `X-Twilio-Signature` (`crate::wire::signature`), POST in the body or GET in
//! the query (the URL signed then being the one with the query). Each one sent is kept on the
//! account's ledger with the status it got.

use jiff::Timestamp;
use serde::Serialize;

use super::account::Account;
use super::params::Params;
use crate::wire::signature::RequestValidator;

/// One webhook sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentWebhook {
    pub method: &'static str,
    pub url: String,
    pub params: Params,
    #[serde(serialize_with = "super::time::serialize")]
    pub at: Timestamp,
    /// The HTTP status answered; `None` when no answer came (`error` says why).
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// Signs and sends webhooks for one account.
#[derive(Clone)]
pub struct Sender {
    http: reqwest::Client,
    signer: RequestValidator,
}

/// What a webhook got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Sender {
    pub fn new(auth_token: &str) -> Self {
        crate::tls::install_crypto_provider();
        Sender {
            http: reqwest::Client::new(),
            signer: RequestValidator::new(auth_token),
        }
    }

    /// Sends `params` to `url` with `method` (`GET` or `POST`), records it on `account`, and
    /// returns the answer (`None` if there was none).
    pub async fn send(
        &self,
        account: &Account,
        method: &'static str,
        url: &str,
        params: Params,
    ) -> Option<Reply> {
        let pairs: Vec<(&str, &str)> = params
            .pairs()
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let request = if method == "GET" {
            let mut full = url::Url::parse(url).ok();
            if let Some(full) = &mut full {
                full.query_pairs_mut().extend_pairs(&pairs);
            }
            let signed_url = full.map_or_else(|| url.to_owned(), String::from);
            let signature = self.signer.sign(&signed_url, &[]);
            self.http.get(&signed_url).header("X-Twilio-Signature", signature)
        } else {
            let signature = self.signer.sign(url, &pairs);
            self.http
                .post(url)
                .header("X-Twilio-Signature", signature)
                .form(&pairs)
        };
        let outcome = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                match response.text().await {
                    Ok(body) => Ok(Reply { status, body }),
                    Err(error) => Err(error.to_string()),
                }
            }
            Err(error) => Err(error.to_string()),
        };
        let (status, error) = match &outcome {
            Ok(reply) => (Some(reply.status), None),
            Err(error) => (None, Some(error.clone())),
        };
        account.change(|ledger| {
            ledger.webhooks.push(SentWebhook {
                method,
                url: url.to_owned(),
                params,
                at: Timestamp::now(),
                status,
                error,
            })
        });
        outcome.ok()
    }
}
