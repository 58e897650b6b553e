//! ElevenLabs webhook signatures (`ElevenLabs-Signature`).
//!
//! ElevenLabs signs each webhook with HMAC-SHA256 keyed by the webhook's secret, over
//! `"{t}.{raw body}"`, and sends `t=<unix seconds>,v0=<hex digest>`. Rules follow the official
//! Python SDK (`elevenlabs` 2.78.0, `webhooks_custom.py`, `construct_event`): the timestamp is
//! signed as the text it was sent as, a `t` older than 30 minutes is refused. Beyond the SDK:
//! several `v0=` entries are accepted (any one matching is enough, as when a secret rotates),
//! the digest is compared in constant time, and a `t` more than [`FUTURE_SKEW_SECS`] ahead of
//! our clock is refused too.
//!
//! Nothing here does IO; `now` is an argument.

use crate::wire::timestamped_hmac::{self, HeaderError};

pub use crate::wire::timestamped_hmac::SignatureHeader;

/// The scheme's name in the header.
const SCHEME: &str = "v0";

/// The header's name (HTTP header names are case-insensitive).
pub const SIGNATURE_HEADER: &str = "elevenlabs-signature";

/// How old a signature may be: ElevenLabs' own window, 30 minutes.
pub const TOLERANCE_SECS: i64 = 30 * 60;

/// How far ahead of our clock a signature's time may be (clocks drift).
pub const FUTURE_SKEW_SECS: i64 = 5 * 60;

/// Why a signature was refused. The texts never contain the secret or the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing ElevenLabs-Signature header")]
    Missing,
    #[error("no webhook secret is configured")]
    NoSecret,
    #[error("the signature header has no t= timestamp")]
    NoTimestamp,
    #[error("the signature header's t= is not a whole number of seconds")]
    BadTimestamp,
    #[error("no signature hash found with expected scheme v0")]
    NoSignature,
    #[error("the signature is older than the 30-minute tolerance")]
    Stale,
    #[error("the signature's timestamp is in the future")]
    Future,
    #[error("the signature does not match the body")]
    Mismatch,
}

/// Parses `t=<unix s>,v0=<hex>[,v0=<hex>…]`. Parts with other schemes are ignored; a `v0`
/// that is not 64 hex digits can match nothing and is dropped. When `t` repeats, the last
/// one counts (as in the SDK).
pub fn parse_header(header: &str) -> Result<SignatureHeader<'_>, SignatureError> {
    timestamped_hmac::parse(header, SCHEME).map_err(|error| match error {
        HeaderError::NoTimestamp => SignatureError::NoTimestamp,
        HeaderError::BadTimestamp => SignatureError::BadTimestamp,
        HeaderError::NoSignature => SignatureError::NoSignature,
    })
}

/// The header value ElevenLabs would send for `body` signed at `timestamp` with `secret`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    timestamped_hmac::sign(SCHEME, secret, timestamp, body)
}

/// Checks `header` for `body` against each of `secrets` at `now` (unix seconds). Returns the
/// signed timestamp. Every digest is checked against every secret, in constant time each.
pub fn verify(secrets: &[&[u8]], header: Option<&str>, body: &[u8], now: i64) -> Result<i64, SignatureError> {
    let header = header
        .filter(|h| !h.trim().is_empty())
        .ok_or(SignatureError::Missing)?;
    if secrets.iter().all(|secret| secret.is_empty()) {
        return Err(SignatureError::NoSecret);
    }
    let parsed = parse_header(header)?;
    if parsed.timestamp < now.saturating_sub(TOLERANCE_SECS) {
        return Err(SignatureError::Stale);
    }
    if parsed.timestamp > now.saturating_add(FUTURE_SKEW_SECS) {
        return Err(SignatureError::Future);
    }
    let mut matched = false;
    for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
        matched |= parsed.signs(secret, body);
    }
    if matched {
        Ok(parsed.timestamp)
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"wsec_test";
    const NOW: i64 = 1_790_000_000;

    #[test]
    fn a_signature_made_here_verifies() {
        let body = br#"{"type":"post_call_transcription","data":{}}"#;
        let header = sign(SECRET, NOW, body);
        assert_eq!(verify(&[SECRET], Some(&header), body, NOW), Ok(NOW));
    }

    #[test]
    fn a_known_vector_verifies() {
        // Python: hmac.new(b"secret", b"1700000000.{}", hashlib.sha256).hexdigest()
        let header = "t=1700000000,v0=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163";
        assert_eq!(sign(b"secret", 1_700_000_000, b"{}"), header);
        assert_eq!(
            verify(&[b"secret"], Some(header), b"{}", 1_700_000_000),
            Ok(1_700_000_000)
        );
    }

    #[test]
    fn a_tampered_body_is_refused() {
        let header = sign(SECRET, NOW, b"{\"a\":1}");
        assert_eq!(
            verify(&[SECRET], Some(&header), b"{\"a\":2}", NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_wrong_secret_is_refused() {
        let header = sign(b"other", NOW, b"{}");
        assert_eq!(
            verify(&[SECRET], Some(&header), b"{}", NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn any_configured_secret_may_match() {
        let header = sign(SECRET, NOW, b"{}");
        assert_eq!(verify(&[b"first", SECRET], Some(&header), b"{}", NOW), Ok(NOW));
    }

    #[test]
    fn any_v0_entry_may_match() {
        let good = sign(SECRET, NOW, b"{}");
        let digest = good.split_once(",v0=").unwrap().1;
        let header = format!("t={NOW},v0={},v1=abc,v0={digest}", "0".repeat(64));
        assert_eq!(verify(&[SECRET], Some(&header), b"{}", NOW), Ok(NOW));
    }

    #[test]
    fn the_window_is_thirty_minutes_back_and_a_small_skew_ahead() {
        let at = |t: i64| verify(&[SECRET], Some(&sign(SECRET, t, b"{}")), b"{}", NOW);
        assert_eq!(at(NOW - TOLERANCE_SECS), Ok(NOW - TOLERANCE_SECS));
        assert_eq!(at(NOW - TOLERANCE_SECS - 1), Err(SignatureError::Stale));
        assert_eq!(at(NOW + FUTURE_SKEW_SECS), Ok(NOW + FUTURE_SKEW_SECS));
        assert_eq!(at(NOW + FUTURE_SKEW_SECS + 1), Err(SignatureError::Future));
    }

    #[test]
    fn malformed_headers_say_what_is_wrong() {
        let v0 = format!("v0={}", "a".repeat(64));
        assert_eq!(verify(&[SECRET], None, b"{}", NOW), Err(SignatureError::Missing));
        assert_eq!(
            verify(&[SECRET], Some(" "), b"{}", NOW),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(&[b""], Some("t=1"), b"{}", NOW),
            Err(SignatureError::NoSecret)
        );
        assert_eq!(parse_header(&v0), Err(SignatureError::NoTimestamp));
        assert_eq!(
            parse_header(&format!("t=-5,{v0}")),
            Err(SignatureError::BadTimestamp)
        );
        assert_eq!(
            parse_header(&format!("t=12x,{v0}")),
            Err(SignatureError::BadTimestamp)
        );
        assert_eq!(parse_header("t=12,v0=zz"), Err(SignatureError::NoSignature));
        assert_eq!(parse_header("t=12"), Err(SignatureError::NoSignature));
    }

    #[test]
    fn the_timestamp_is_signed_as_sent() {
        // A zero-padded `t` is signed with its padding, as the SDK does.
        let digest = sign(SECRET, NOW, b"{}");
        let digest = digest.split_once(",v0=").unwrap().1;
        let padded = format!("t=0{NOW},v0={digest}");
        assert_eq!(
            verify(&[SECRET], Some(&padded), b"{}", NOW),
            Err(SignatureError::Mismatch)
        );
    }

    proptest! {
        #[test]
        fn what_is_signed_verifies_and_any_change_is_refused(
            body in proptest::collection::vec(any::<u8>(), 0..256),
            secret in proptest::collection::vec(any::<u8>(), 1..64),
            age in 0i64..TOLERANCE_SECS,
            flip in any::<usize>(),
        ) {
            let header = sign(&secret, NOW - age, &body);
            prop_assert_eq!(verify(&[&secret], Some(&header), &body, NOW), Ok(NOW - age));
            let mut tampered = body.clone();
            if tampered.is_empty() {
                tampered.push(b'x');
            } else {
                let at = flip % tampered.len();
                tampered[at] ^= 1;
            }
            prop_assert_eq!(verify(&[&secret], Some(&header), &tampered, NOW), Err(SignatureError::Mismatch));
        }

        #[test]
        fn any_header_text_parses_or_fails_without_panicking(header in ".{0,200}") {
            let _ = parse_header(&header);
            let _ = verify(&[SECRET], Some(&header), b"{}", NOW);
        }
    }
}
