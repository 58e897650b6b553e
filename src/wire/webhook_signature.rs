//! Signatures of switchboard's own outgoing webhooks (`Switchboard-Signature`).
//!
//! Stripe's scheme: HMAC-SHA256 keyed by the endpoint's secret (the whole `whsec_…` text, as
//! UTF-8 bytes) over `"{t}.{raw body}"`, sent as `t=<unix seconds>,v1=<hex digest>`. A receiver
//! recomputes the digest over the body exactly as it arrived, compares in constant time, and
//! refuses a `t` outside its tolerance (replays). Several `v1=` entries may be present (any one
//! matching is enough); entries of other schemes are ignored.
//!
//! Nothing here does IO; `now` is an argument.

use super::timestamped_hmac::{self, HeaderError};

pub use super::timestamped_hmac::SignatureHeader;

/// The scheme's name in the header.
const SCHEME: &str = "v1";

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

/// Parses `t=<unix s>,v1=<hex>[,v1=<hex>…]`.
pub fn parse_header(header: &str) -> Result<SignatureHeader<'_>, VerifyError> {
    timestamped_hmac::parse(header, SCHEME).map_err(|error| match error {
        HeaderError::NoTimestamp => VerifyError::NoTimestamp,
        HeaderError::BadTimestamp => VerifyError::BadTimestamp,
        HeaderError::NoSignature => VerifyError::NoSignature,
    })
}
/// The `Switchboard-Signature` value for `body` signed at `timestamp` (unix seconds) with
/// `secret`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    timestamped_hmac::sign(SCHEME, secret, timestamp, body)
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
    if parsed.signs(secret, body) {
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
