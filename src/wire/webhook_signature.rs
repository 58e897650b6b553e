//! Signatures of switchboard's own outgoing webhooks (`Switchboard-Signature`).
//!
//! Stripe's scheme: HMAC-SHA256 keyed by the endpoint's secret (the whole `whsec_…` text, as
//! UTF-8 bytes) over `"{t}.{raw body}"`, sent as `t=<unix seconds>,v1=<hex digest>`. A receiver
//! recomputes the digest over the body exactly as it arrived, compares in constant time, and
//! refuses a `t` outside its tolerance (replays). Several `v1=` entries may be present (any one
//! matching is enough); entries of other schemes are ignored.
//!
//! Nothing here does IO; `now` is an argument.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Switchboard-Signature";
/// The header naming the event's type (`booking.created`, …).
pub const EVENT_HEADER: &str = "Switchboard-Event";
/// The header carrying the delivery's id (the same on every attempt of one delivery).
pub const DELIVERY_HEADER: &str = "Switchboard-Delivery";

/// The tolerance receivers are advised to use, Stripe's: five minutes either way.
pub const DEFAULT_TOLERANCE_SECS: i64 = 5 * 60;

/// Why a signature was refused. The texts never contain the secret or the digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the signature header has no t= timestamp")]
    NoTimestamp,
    #[error("the signature header's t= is not a whole number of seconds")]
    BadTimestamp,
    #[error("the signature header has no v1= signature")]
    NoSignature,
    #[error("the signature's timestamp is outside the tolerance")]
    OutsideTolerance,
    #[error("the signature does not match the body")]
    Mismatch,
}

/// A parsed `Switchboard-Signature` header, borrowed from its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader<'a> {
    /// `t` as sent: it is signed as this text.
    pub timestamp_text: &'a str,
    /// `t` in unix seconds.
    pub timestamp: i64,
    /// Every `v1=` digest that decoded as 32 bytes of hex.
    pub digests: Vec<[u8; 32]>,
}

/// Parses `t=<unix s>,v1=<hex>[,v1=<hex>…]`.
pub fn parse_header(header: &str) -> Result<SignatureHeader<'_>, VerifyError> {
    let mut timestamp_text = None;
    let mut digests = Vec::new();
    for part in header.split(',') {
        let part = part.trim();
        if let Some(t) = part.strip_prefix("t=") {
            timestamp_text = Some(t);
        } else if let Some(hex) = part.strip_prefix("v1=")
            && let Some(digest) = decode_digest(hex)
        {
            digests.push(digest);
        }
    }
    let timestamp_text = timestamp_text.ok_or(VerifyError::NoTimestamp)?;
    if timestamp_text.is_empty()
        || timestamp_text.len() > 18
        || !timestamp_text.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(VerifyError::BadTimestamp);
    }
    let timestamp = timestamp_text.parse().map_err(|_| VerifyError::BadTimestamp)?;
    if digests.is_empty() {
        return Err(VerifyError::NoSignature);
    }
    Ok(SignatureHeader {
        timestamp_text,
        timestamp,
        digests,
    })
}

fn decode_digest(hex: &str) -> Option<[u8; 32]> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
    }
    Some(out)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

fn mac(secret: &[u8], timestamp_text: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp_text.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `Switchboard-Signature` value for `body` signed at `timestamp` (unix seconds) with
/// `secret`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    use std::fmt::Write;
    let digest = mac(secret, &timestamp.to_string(), body).finalize().into_bytes();
    let mut header = String::with_capacity(24 + 64);
    let _ = write!(header, "t={timestamp},v1=");
    for byte in digest {
        let _ = write!(header, "{byte:02x}");
    }
    header
}

/// Checks `header` for `body` with `secret` at `now` (unix seconds), allowing the signed time
/// to be at most `tolerance_secs` away from `now` either way. Returns the signed timestamp.
/// Each digest is compared in constant time.
pub fn verify(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<i64, VerifyError> {
    let parsed = parse_header(header)?;
    if parsed.timestamp.abs_diff(now) > tolerance_secs.unsigned_abs() {
        return Err(VerifyError::OutsideTolerance);
    }
    let mut matched = false;
    for digest in &parsed.digests {
        matched |= mac(secret, parsed.timestamp_text, body)
            .verify_slice(digest)
            .is_ok();
    }
    if matched {
        Ok(parsed.timestamp)
    } else {
        Err(VerifyError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"whsec_test";
    const NOW: i64 = 1_790_000_000;
    const TOLERANCE: i64 = DEFAULT_TOLERANCE_SECS;

    #[test]
    fn a_known_vector_verifies() {
        // Python: hmac.new(b"secret", b"1700000000.{}", hashlib.sha256).hexdigest()
        let header = "t=1700000000,v1=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163";
        assert_eq!(sign(b"secret", 1_700_000_000, b"{}"), header);
        assert_eq!(
            verify(b"secret", header, b"{}", 1_700_000_000, TOLERANCE),
            Ok(1_700_000_000)
        );
    }

    #[test]
    fn a_tampered_body_or_another_secret_is_refused() {
        let header = sign(SECRET, NOW, b"{\"a\":1}");
        assert_eq!(
            verify(SECRET, &header, b"{\"a\":2}", NOW, TOLERANCE),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(b"whsec_other", &header, b"{\"a\":1}", NOW, TOLERANCE),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn the_tolerance_holds_both_ways() {
        let at = |t: i64| verify(SECRET, &sign(SECRET, t, b"{}"), b"{}", NOW, TOLERANCE);
        assert_eq!(at(NOW - TOLERANCE), Ok(NOW - TOLERANCE));
        assert_eq!(at(NOW + TOLERANCE), Ok(NOW + TOLERANCE));
        assert_eq!(at(NOW - TOLERANCE - 1), Err(VerifyError::OutsideTolerance));
        assert_eq!(at(NOW + TOLERANCE + 1), Err(VerifyError::OutsideTolerance));
    }

    #[test]
    fn any_v1_entry_may_match_and_other_schemes_are_ignored() {
        let good = sign(SECRET, NOW, b"{}");
        let digest = good.split_once(",v1=").unwrap().1;
        let header = format!("t={NOW},v0={digest},v1={},v1={digest}", "0".repeat(64));
        assert_eq!(verify(SECRET, &header, b"{}", NOW, TOLERANCE), Ok(NOW));
        let only_v0 = format!("t={NOW},v0={digest}");
        assert_eq!(
            verify(SECRET, &only_v0, b"{}", NOW, TOLERANCE),
            Err(VerifyError::NoSignature)
        );
    }

    #[test]
    fn malformed_headers_say_what_is_wrong() {
        let v1 = format!("v1={}", "a".repeat(64));
        assert_eq!(parse_header(&v1), Err(VerifyError::NoTimestamp));
        assert_eq!(
            parse_header(&format!("t=-5,{v1}")),
            Err(VerifyError::BadTimestamp)
        );
        assert_eq!(parse_header(&format!("t=,{v1}")), Err(VerifyError::BadTimestamp));
        assert_eq!(parse_header("t=12,v1=zz"), Err(VerifyError::NoSignature));
    }

    proptest! {
        #[test]
        fn what_is_signed_verifies_and_any_change_is_refused(
            body in proptest::collection::vec(any::<u8>(), 0..256),
            secret in proptest::collection::vec(any::<u8>(), 1..64),
            skew in -TOLERANCE..=TOLERANCE,
            flip in any::<usize>(),
        ) {
            let header = sign(&secret, NOW + skew, &body);
            prop_assert_eq!(verify(&secret, &header, &body, NOW, TOLERANCE), Ok(NOW + skew));
            let mut tampered = body.clone();
            if tampered.is_empty() {
                tampered.push(b'x');
            } else {
                let at = flip % tampered.len();
                tampered[at] ^= 1;
            }
            prop_assert_eq!(verify(&secret, &header, &tampered, NOW, TOLERANCE), Err(VerifyError::Mismatch));
            let mut other_secret = secret.clone();
            other_secret[flip % secret.len()] ^= 1;
            prop_assert_eq!(verify(&other_secret, &header, &body, NOW, TOLERANCE), Err(VerifyError::Mismatch));
        }

        #[test]
        fn any_header_text_parses_or_fails_without_panicking(header in ".{0,200}", now in any::<i64>(), tolerance in any::<i64>()) {
            let _ = parse_header(&header);
            let _ = verify(SECRET, &header, b"{}", now, tolerance);
        }
    }
}
