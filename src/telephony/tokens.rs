//! One-time tokens that tie a media stream to the voice webhook that announced it.
//!
//! Twilio signs the media-stream handshake over the WebSocket URL alone, which is the same for
//! every call, so a captured handshake signature could be replayed. The voice webhook
//! therefore puts a token in the TwiML (`<Parameter name="token">`, delivered back in the
//! stream's `start.customParameters`). The token is an HMAC over the call and agent it was
//! issued for and its expiry, so any instance sharing the Twilio auth token can check it
//! (a stream may land on another instance than its webhook); each instance also remembers
//! the tokens it has redeemed until they expire, so one cannot be used twice there.
//! Each instance also knows the tokens it issued that are not redeemed yet nor expired: their
//! calls were answered and their streams are on the way, so a drain waits for them too.
//! Time is an argument: `now` is the caller's clock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;

use base64::Engine;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// What a token vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Random, unique per token; keys the pre-warmed connection.
    #[serde(rename = "n")]
    pub nonce: String,
    #[serde(rename = "c")]
    pub call_sid: String,
    /// switchboard's agent id.
    #[serde(rename = "a")]
    pub agent_id: String,
    /// Unix seconds.
    #[serde(rename = "e")]
    pub expires: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the stream carries no token")]
    Missing,
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's signature is wrong")]
    BadSignature,
    #[error("the token expired")]
    Expired,
    #[error("the token was issued for another call")]
    WrongCall,
    #[error("the token was already used")]
    Reused,
}

pub struct StreamTokens {
    key: [u8; 32],
    ttl: Duration,
    ledger: Mutex<Ledger>,
    /// Woken at each redemption of a token issued here.
    redemptions: Notify,
}

/// The nonces of tokens, each with its expiry (Unix seconds).
#[derive(Default)]
struct Ledger {
    redeemed: HashMap<String, u64>,
    /// Issued here, neither redeemed nor expired.
    outstanding: HashMap<String, u64>,
    /// Tokens issued here since the start.
    issued: u64,
}

/// The tokens issued here that their streams have not redeemed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outstanding {
    /// Tokens issued here since the start: a change says a call was answered meanwhile.
    pub issued: u64,
    /// How many there are: calls answered whose streams are on their way.
    pub calls: usize,
    /// When the last of them expires; `None` when there are none.
    pub until: Option<Timestamp>,
}

fn unix_seconds(now: Timestamp) -> u64 {
    u64::try_from(now.as_second()).unwrap_or(0)
}

impl StreamTokens {
    /// Tokens keyed from the Twilio auth token, so every instance of one deployment agrees.
    pub fn new(auth_token: &str, ttl: Duration) -> Self {
        let mut mac = HmacSha256::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key");
        mac.update(b"switchboard media stream token v1");
        StreamTokens {
            key: mac.finalize().into_bytes().into(),
            ttl,
            ledger: Mutex::default(),
            redemptions: Notify::new(),
        }
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key")
    }

    /// A fresh token for `call_sid` answered by `agent_id`, issued at `now`.
    pub fn issue(&self, call_sid: &str, agent_id: &str, now: Timestamp) -> (String, Claims) {
        let claims = Claims {
            nonce: B64.encode(rand::random::<[u8; 16]>()),
            call_sid: call_sid.to_owned(),
            agent_id: agent_id.to_owned(),
            expires: unix_seconds(now) + self.ttl.as_secs().max(1),
        };
        let payload = B64.encode(serde_json::to_vec(&claims).expect("claims serialize"));
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        let signature = B64.encode(mac.finalize().into_bytes());
        let mut ledger = self.ledger.lock().expect("token ledger");
        let now = unix_seconds(now);
        ledger.outstanding.retain(|_, expires| *expires >= now);
        ledger.outstanding.insert(claims.nonce.clone(), claims.expires);
        ledger.issued += 1;
        drop(ledger);
        (format!("{payload}.{signature}"), claims)
    }

    /// Checks a token presented by the stream of `call_sid` at `now` and marks it used.
    pub fn redeem(&self, token: Option<&str>, call_sid: &str, now: Timestamp) -> Result<Claims, TokenError> {
        let token = token.filter(|t| !t.is_empty()).ok_or(TokenError::Missing)?;
        let (payload, signature) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let signature = B64.decode(signature).map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let claims: Claims = B64
            .decode(payload)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or(TokenError::Malformed)?;
        let now = unix_seconds(now);
        if claims.expires < now {
            return Err(TokenError::Expired);
        }
        if claims.call_sid != call_sid {
            return Err(TokenError::WrongCall);
        }
        let mut ledger = self.ledger.lock().expect("token ledger");
        ledger.redeemed.retain(|_, expires| *expires >= now);
        if ledger
            .redeemed
            .insert(claims.nonce.clone(), claims.expires)
            .is_some()
        {
            return Err(TokenError::Reused);
        }
        if ledger.outstanding.remove(&claims.nonce).is_some() {
            self.redemptions.notify_waiters();
        }
        Ok(claims)
    }

    /// The tokens issued here and neither redeemed nor expired at `now`.
    pub fn outstanding(&self, now: Timestamp) -> Outstanding {
        let mut ledger = self.ledger.lock().expect("token ledger");
        let now = unix_seconds(now);
        ledger.outstanding.retain(|_, expires| *expires >= now);
        let last = ledger.outstanding.values().max().copied();
        Outstanding {
            issued: ledger.issued,
            calls: ledger.outstanding.len(),
            // A token is good through the second of its expiry.
            until: last.map(|expires| {
                Timestamp::from_second(i64::try_from(expires).unwrap_or(i64::MAX).saturating_add(1))
                    .unwrap_or(Timestamp::MAX)
            }),
        }
    }

    /// Resolves at the next redemption of a token issued here. Enable it (or poll it once)
    /// before reading [`StreamTokens::outstanding`], so that a redemption in between wakes it.
    pub fn redemption(&self) -> tokio::sync::futures::Notified<'_> {
        self.redemptions.notified()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> StreamTokens {
        StreamTokens::new("auth-token", Duration::from_secs(30))
    }

    fn now() -> Timestamp {
        "2026-11-30T09:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_token_redeems_once_for_its_call() {
        let t = tokens();
        let (token, claims) = t.issue("CA1", "agent-1", now());
        assert!(
            token.len() < 400,
            "fits a TwiML <Parameter> (500 chars with its name)"
        );
        assert_eq!(t.redeem(Some(&token), "CA2", now()), Err(TokenError::WrongCall));
        assert_eq!(t.redeem(Some(&token), "CA1", now()), Ok(claims));
        assert_eq!(t.redeem(Some(&token), "CA1", now()), Err(TokenError::Reused));
    }

    #[test]
    fn another_instance_with_the_same_auth_token_accepts_it() {
        let (token, _) = tokens().issue("CA1", "agent-1", now());
        assert!(tokens().redeem(Some(&token), "CA1", now()).is_ok());
        let other = StreamTokens::new("another-token", Duration::from_secs(30));
        assert_eq!(
            other.redeem(Some(&token), "CA1", now()),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn forged_and_broken_tokens_fail() {
        let t = tokens();
        let (token, _) = t.issue("CA1", "agent-1", now());
        let (payload, sig) = token.split_once('.').unwrap();
        let forged_claims = Claims {
            nonce: "x".into(),
            call_sid: "CA1".into(),
            agent_id: "agent-2".into(),
            expires: u64::MAX,
        };
        let forged = format!(
            "{}.{sig}",
            B64.encode(serde_json::to_vec(&forged_claims).unwrap())
        );
        assert_eq!(
            t.redeem(Some(&forged), "CA1", now()),
            Err(TokenError::BadSignature)
        );
        assert_eq!(t.redeem(Some(payload), "CA1", now()), Err(TokenError::Malformed));
        assert_eq!(t.redeem(Some("a.%%%"), "CA1", now()), Err(TokenError::Malformed));
        assert_eq!(t.redeem(None, "CA1", now()), Err(TokenError::Missing));
        assert_eq!(t.redeem(Some(""), "CA1", now()), Err(TokenError::Missing));
    }

    #[test]
    fn a_token_is_outstanding_until_redeemed_or_expired() {
        let t = tokens();
        let none = t.outstanding(now());
        assert_eq!(
            none,
            Outstanding {
                issued: 0,
                calls: 0,
                until: None
            }
        );
        let (first, _) = t.issue("CA1", "agent-1", now());
        let later = now() + jiff::SignedDuration::from_secs(10);
        let (_second, _) = t.issue("CA2", "agent-1", later);
        let both = t.outstanding(later);
        assert_eq!((both.issued, both.calls), (2, 2));
        assert_eq!(
            both.until,
            Some(later + jiff::SignedDuration::from_secs(31)),
            "the last one's expiry"
        );
        t.redeem(Some(&first), "CA1", later).unwrap();
        assert_eq!(t.outstanding(later).until, both.until);
        assert_eq!(t.outstanding(later).calls, 1, "the redeemed one's stream is up");
        // The second expires unredeemed: good through its 30th second, gone after.
        let at_expiry = later + jiff::SignedDuration::from_secs(30);
        assert!(t.outstanding(at_expiry).until.is_some());
        let past = later + jiff::SignedDuration::from_secs(31);
        assert_eq!(
            t.outstanding(past),
            Outstanding {
                issued: 2,
                calls: 0,
                until: None
            }
        );
    }

    #[tokio::test]
    async fn redeeming_a_token_issued_here_wakes_a_waiter() {
        let t = tokens();
        let (token, _) = t.issue("CA1", "agent-1", now());
        let mut redemption = std::pin::pin!(t.redemption());
        redemption.as_mut().enable();
        assert!(futures::poll!(redemption.as_mut()).is_pending());
        t.redeem(Some(&token), "CA1", now()).unwrap();
        assert!(futures::poll!(redemption.as_mut()).is_ready());
        assert_eq!(t.outstanding(now()).until, None);
    }

    #[test]
    fn a_token_expires_after_its_time_to_live() {
        let t = StreamTokens::new("auth-token", Duration::from_secs(30));
        let (token, _) = t.issue("CA1", "agent-1", now());
        let late = now() + jiff::SignedDuration::from_secs(31);
        assert_eq!(t.redeem(Some(&token), "CA1", late), Err(TokenError::Expired));
        let in_time = now() + jiff::SignedDuration::from_secs(30);
        assert!(t.redeem(Some(&token), "CA1", in_time).is_ok());
    }
}
