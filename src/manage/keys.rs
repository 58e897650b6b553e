//! API keys: made, shown once, checked, revoked.
//!
//! A key is `sbk_` and 43 characters of URL-safe base64 over 32 random bytes (256 bits). Its
//! first 12 characters after the prefix are its public lookup part; the database keeps only the
//! SHA-256 of the whole key. A key of this entropy cannot be guessed from its hash, so a fast
//! hash is enough (a slow password hash protects low-entropy secrets, and would cost every
//! request tens of milliseconds). The stored hash is compared in constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Scope;
use super::error::{ManageError, ManageResult};
use crate::store::{AccountId, ApiKey, ApiKeyId, NewApiKey, Page, PageRequest, Store};

/// What every key starts with, so a leaked one is easy to recognise (secret scanners, logs).
pub const KEY_PREFIX: &str = "sbk_";
const SECRET_BYTES: usize = 32;
const LOOKUP_LEN: usize = 12;
/// `last_used_at` is written at most this often per key.
const TOUCH_EVERY_MS: i64 = 60_000;
const MAX_NAME_CHARS: usize = 100;

/// Who a valid key speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An account's key: everything it does is confined to the account.
    Account { scope: Scope, key_id: ApiKeyId },
    /// An operator's key: accounts and plans, no account's rows.
    Operator { key_id: ApiKeyId },
}

/// A key just made: the only time its secret exists outside the client.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub key: ApiKey,
    /// The whole key, to be shown once.
    pub secret: String,
}

/// Why a key was not accepted. One sentence for all of them goes back to the client, so a
/// caller cannot tell a revoked key from an unknown one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Missing,
    Malformed,
    Unknown,
    Revoked,
}

#[derive(Clone)]
pub struct Keys {
    store: Store,
}

impl Keys {
    pub fn new(store: Store) -> Keys {
        Keys { store }
    }

    /// Makes a key for the account (`None`: an operator's key).
    pub async fn issue(&self, account_id: Option<&AccountId>, name: &str) -> ManageResult<IssuedKey> {
        let name = checked_name(name, "name")?;
        let secret = new_secret();
        let key = self
            .store
            .insert_api_key(NewApiKey {
                account_id: account_id.cloned(),
                name: name.to_owned(),
                lookup: lookup_of(&secret)
                    .expect("a made key has a lookup part")
                    .to_owned(),
                secret_hash: hash_of(&secret),
            })
            .await?;
        Ok(IssuedKey { key, secret })
    }

    pub async fn list(
        &self,
        account_id: Option<&AccountId>,
        page: &PageRequest,
    ) -> ManageResult<Page<ApiKey>> {
        Ok(self.store.api_keys(account_id, page).await?)
    }

    pub async fn revoke(
        &self,
        account_id: Option<&AccountId>,
        id: &ApiKeyId,
        now: Timestamp,
    ) -> ManageResult<ApiKey> {
        Ok(self.store.revoke_api_key(account_id, id, now).await?)
    }

    /// Checks a presented key. `Ok(Err(_))` is a key refused; `Err(_)` a failure to check.
    pub async fn authenticate(
        &self,
        presented: &str,
        now: Timestamp,
    ) -> ManageResult<Result<Caller, Rejection>> {
        let Some(lookup) = lookup_of(presented) else {
            return Ok(Err(Rejection::Malformed));
        };
        let Some(key) = self.store.api_key_by_lookup(lookup).await? else {
            return Ok(Err(Rejection::Unknown));
        };
        let presented_hash = hash_of(presented);
        if !bool::from(presented_hash.as_bytes().ct_eq(key.secret_hash.as_bytes())) {
            return Ok(Err(Rejection::Unknown));
        }
        if key.revoked_at.is_some() {
            return Ok(Err(Rejection::Revoked));
        }
        self.store.touch_api_key(&key.id, now, TOUCH_EVERY_MS).await?;
        Ok(Ok(match key.account_id {
            Some(account_id) => Caller::Account {
                scope: Scope::new(account_id),
                key_id: key.id,
            },
            None => Caller::Operator { key_id: key.id },
        }))
    }
}

/// A key's name, trimmed, or the error naming `field` (the input the name came in).
pub(super) fn checked_name<'a>(name: &'a str, field: &str) -> ManageResult<&'a str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ManageError::invalid(
            field,
            format!("must be 1 to {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(name)
}

fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The public part of a well-formed key; `None` for anything else.
fn lookup_of(key: &str) -> Option<&str> {
    let body = key.strip_prefix(KEY_PREFIX)?;
    let well_formed = body.len() == 43
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then(|| &body[..LOOKUP_LEN])
}

pub(super) fn hash_of(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewAccount;
    use crate::store::testing;

    #[test]
    fn keys_are_well_formed_and_distinct() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert_eq!(a.len(), KEY_PREFIX.len() + 43);
        assert!(lookup_of(&a).is_some());
        assert_eq!(lookup_of("sbk_short"), None);
        assert_eq!(lookup_of(&a.replace("sbk_", "sk_")), None);
        assert_eq!(lookup_of(&format!("{a}\u{0}")), None);
    }

    #[tokio::test]
    async fn a_key_is_accepted_until_revoked_and_a_wrong_one_never() {
        testing::on_each_backend(|store| async move {
            let account = store
                .create_account(NewAccount {
                    name: "Dental".into(),
                    plan: "pro".into(),
                })
                .await
                .unwrap();
            let keys = Keys::new(store.clone());
            let issued = keys.issue(Some(&account.id), "front desk").await.unwrap();
            assert!(!issued.key.secret_hash.contains(&issued.secret[4..]));
            let now = Timestamp::now();
            let caller = keys.authenticate(&issued.secret, now).await.unwrap().unwrap();
            assert_eq!(
                caller,
                Caller::Account {
                    scope: Scope::new(account.id.clone()),
                    key_id: issued.key.id.clone()
                }
            );
            // Same lookup part, different secret: refused.
            let mut forged = issued.secret.clone();
            let last = forged.pop().unwrap();
            forged.push(if last == 'A' { 'B' } else { 'A' });
            assert_eq!(
                keys.authenticate(&forged, now).await.unwrap(),
                Err(Rejection::Unknown)
            );
            keys.revoke(Some(&account.id), &issued.key.id, now).await.unwrap();
            assert_eq!(
                keys.authenticate(&issued.secret, now).await.unwrap(),
                Err(Rejection::Revoked)
            );
            let operator = keys.issue(None, "ops").await.unwrap();
            assert!(matches!(
                keys.authenticate(&operator.secret, now).await.unwrap(),
                Ok(Caller::Operator { .. })
            ));
            // Another account cannot revoke it, nor see it.
            let other = store
                .create_account(NewAccount {
                    name: "Other".into(),
                    plan: "free".into(),
                })
                .await
                .unwrap();
            assert!(keys.revoke(Some(&other.id), &operator.key.id, now).await.is_err());
            assert!(
                keys.list(Some(&other.id), &PageRequest::default())
                    .await
                    .unwrap()
                    .items
                    .is_empty()
            );
        })
        .await;
    }
}
