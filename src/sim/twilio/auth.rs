//! HTTP Basic authentication as Twilio's REST API checks it: the account SID as the user and
//! the auth token as the password (twilio-python's `client_base.py` sends `auth=(username,
//! password)`), and the SID in the path the same account. Anything else is 401 with code 20003.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use subtle::ConstantTimeEq;

use super::account::Account;
use super::errors::TwilioError;

/// Whether an `Authorization` header value carries this account's credentials.
pub fn is_authorized(account: &Account, authorization: Option<&str>) -> bool {
    let Some(encoded) = authorization.and_then(|value| value.strip_prefix("Basic ")) else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Some(split) = decoded.iter().position(|&b| b == b':') else {
        return false;
    };
    let (user, password) = (&decoded[..split], &decoded[split + 1..]);
    let user_ok = user.ct_eq(account.sid.as_bytes());
    let password_ok = password.ct_eq(account.auth_token.as_bytes());
    bool::from(user_ok & password_ok)
}

/// The SID in `/2010-04-01/Accounts/{sid}/…`.
fn account_in_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/2010-04-01/Accounts/")?;
    let sid = rest.split('/').next()?;
    Some(sid.strip_suffix(".json").unwrap_or(sid))
}

/// The middleware in front of every REST route.
pub async fn require_account(State(account): State<Arc<Account>>, request: Request, next: Next) -> Response {
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let same_account = account_in_path(request.uri().path()).is_none_or(|sid| sid == account.sid);
    if !is_authorized(&account, authorization) || !same_account {
        return TwilioError::authenticate().into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user: &str, password: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    }

    #[test]
    fn only_the_accounts_sid_and_token_pass() {
        let account = Account::new(
            "ACsid".into(),
            "token".into(),
            &[],
            Vec::new(),
            Default::default(),
        );
        assert!(is_authorized(&account, Some(&basic("ACsid", "token"))));
        assert!(!is_authorized(&account, Some(&basic("ACsid", "tokem"))));
        assert!(!is_authorized(&account, Some(&basic("ACother", "token"))));
        assert!(!is_authorized(&account, Some("Bearer token")));
        assert!(!is_authorized(&account, None));
    }

    #[test]
    fn the_account_is_read_from_the_path() {
        assert_eq!(
            account_in_path("/2010-04-01/Accounts/AC1/Calls.json"),
            Some("AC1")
        );
        assert_eq!(account_in_path("/2010-04-01/Accounts/AC1.json"), Some("AC1"));
        assert_eq!(account_in_path("/sim/requests"), None);
    }
}
