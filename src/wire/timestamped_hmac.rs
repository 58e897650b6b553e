//! The `t=<unix seconds>,<scheme>=<hex digest>` webhook signature both ElevenLabs (`v0`) and
//! switchboard's own outgoing webhooks (`v1`, Stripe's scheme) use: HMAC-SHA256 keyed by the
//! secret over `"{t}.{raw body}"`. This module holds what the two share: reading the header,
//! signing, and comparing a digest in constant time. Each user keeps its own time window and
//! error texts (`elevenlabs::webhook_signature`, `webhook_signature`).
//!
//! Nothing here does IO.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a header could not be read. The texts never contain the secret or a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// No `t=` part.
    NoTimestamp,
    /// `t=` is not a whole, non-negative number of seconds.
    BadTimestamp,
    /// No part of the scheme with 64 hex digits.
    NoSignature,
}

/// A parsed header, borrowed from its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader<'a> {
    /// `t` as sent: it is signed as this text.
    pub timestamp_text: &'a str,
    /// `t` in unix seconds.
    pub timestamp: i64,
    /// Every digest of the scheme that decoded as 32 bytes of hex.
    pub digests: Vec<[u8; 32]>,
}

impl SignatureHeader<'_> {
    /// Whether any of the digests is the body's under `secret`, each compared in constant time
    /// (all of them are compared, whichever matches).
    pub fn signs(&self, secret: &[u8], body: &[u8]) -> bool {
        let mut matched = false;
        for digest in &self.digests {
            matched |= mac(secret, self.timestamp_text, body)
                .verify_slice(digest)
                .is_ok();
        }
        matched
    }
}

/// Parses `t=<unix s>,<scheme>=<hex>[,<scheme>=<hex>…]`. Parts of other schemes are ignored; a
/// digest that is not 64 hex digits can match nothing and is dropped. When `t` repeats, the
/// last one counts.
pub fn parse<'a>(header: &'a str, scheme: &str) -> Result<SignatureHeader<'a>, HeaderError> {
    let mut timestamp_text = None;
    let mut digests = Vec::new();
    for part in header.split(',') {
        let part = part.trim();
        if let Some(t) = part.strip_prefix("t=") {
            timestamp_text = Some(t);
        } else if let Some(hex) = part.strip_prefix(scheme).and_then(|rest| rest.strip_prefix('='))
            && let Some(digest) = decode_digest(hex)
        {
            digests.push(digest);
        }
    }
    let timestamp_text = timestamp_text.ok_or(HeaderError::NoTimestamp)?;
    if timestamp_text.is_empty()
        || timestamp_text.len() > 18
        || !timestamp_text.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(HeaderError::BadTimestamp);
    }
    let timestamp = timestamp_text.parse().map_err(|_| HeaderError::BadTimestamp)?;
    if digests.is_empty() {
        return Err(HeaderError::NoSignature);
    }
    Ok(SignatureHeader {
        timestamp_text,
        timestamp,
        digests,
    })
}

/// The header value for `body` signed at `timestamp` (unix seconds) with `secret`.
pub fn sign(scheme: &str, secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    use std::fmt::Write;
    let digest = mac(secret, &timestamp.to_string(), body).finalize().into_bytes();
    let mut header = String::with_capacity(24 + scheme.len() + 64);
    let _ = write!(header, "t={timestamp},{scheme}=");
    for byte in digest {
        let _ = write!(header, "{byte:02x}");
    }
    header
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scheme_reads_only_its_own_digests() {
        let v0 = sign("v0", b"k", 12, b"{}");
        let digest = v0.split_once("v0=").unwrap().1;
        let both = format!("t=12,v1={digest},v0={digest}");
        assert_eq!(parse(&both, "v0").unwrap().digests.len(), 1);
        assert_eq!(parse(&both, "v1").unwrap().digests.len(), 1);
        assert_eq!(parse(&v0, "v1"), Err(HeaderError::NoSignature));
        // A scheme name that is a prefix of another part's name is not that part.
        assert_eq!(
            parse(&format!("t=12,v00={digest}"), "v0"),
            Err(HeaderError::NoSignature)
        );
    }

    #[test]
    fn the_digest_is_checked_against_the_secret_and_body() {
        let header = sign("v1", b"k", 12, b"{}");
        let parsed = parse(&header, "v1").unwrap();
        assert!(parsed.signs(b"k", b"{}"));
        assert!(!parsed.signs(b"other", b"{}"));
        assert!(!parsed.signs(b"k", b"{ }"));
    }
}
