//! Twilio request signatures (`X-Twilio-Signature`).
//!
//! Twilio signs each request with HMAC-SHA1 keyed by the account's auth token, over the full
//! URL it requested followed by every POST parameter's name and value, sorted by name
//! (case-sensitive byte order) with no delimiters, and sends the base64 digest.
//! A JSON body is not signed as parameters: the URL carries `bodySHA256`, the hex SHA-256 of
//! the raw body, and the signature covers the URL alone.
//! Source: twilio.com/docs/usage/security. The port handling and the ordering of repeated
//! parameters follow twilio-python's `RequestValidator` (9.13.0): Twilio drops the default port
//! for some callbacks and keeps it for others, so both forms are tried; a repeated name is
//! sorted by value and identical pairs count once.
//!
//! For the media-stream WebSocket, Twilio signs the `wss://` URL it connects to; its docs say
//! to also try it with a trailing `/`.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha1 = Hmac<Sha1>;

/// Checks Twilio signatures for one auth token.
#[derive(Clone)]
pub struct RequestValidator {
    auth_token: Vec<u8>,
}

impl std::fmt::Debug for RequestValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a secret: never print it.
        f.write_str("RequestValidator { .. }")
    }
}

impl RequestValidator {
    pub fn new(auth_token: &str) -> Self {
        RequestValidator {
            auth_token: auth_token.as_bytes().to_vec(),
        }
    }

    fn mac(&self, url: &str, params: &[(&str, &str)]) -> HmacSha1 {
        let mut mac = HmacSha1::new_from_slice(&self.auth_token).expect("HMAC takes keys of any length");
        mac.update(url.as_bytes());
        let mut sorted: Vec<(&str, &str)> = params.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        for (name, value) in sorted {
            mac.update(name.as_bytes());
            mac.update(value.as_bytes());
        }
        mac
    }

    /// The signature Twilio would send for `url` and form `params`.
    pub fn sign(&self, url: &str, params: &[(&str, &str)]) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.mac(url, params).finalize().into_bytes())
    }

    /// Whether `signature` is valid for a form-encoded request (or a GET, with no params) to
    /// `url`, with or without the default port. The comparison is constant-time.
    pub fn validate(&self, url: &str, params: &[(&str, &str)], signature: &str) -> bool {
        let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
            return false;
        };
        let mut ok = false;
        // Check every candidate rather than stopping at the first match, so timing does not
        // reveal which form matched.
        for candidate in [without_port(url), with_port(url)].into_iter().flatten() {
            ok |= self.mac(&candidate, params).verify_slice(&given).is_ok();
        }
        ok |= self.mac(url, params).verify_slice(&given).is_ok();
        ok
    }

    /// Whether `signature` is valid for a request with a raw (JSON) body: the URL's
    /// `bodySHA256` must equal the body's SHA-256 and the signature must cover the URL alone.
    pub fn validate_body(&self, url: &str, body: &[u8], signature: &str) -> bool {
        let Some(expected) = query_param(url, "bodySHA256") else {
            return false;
        };
        let actual = hex(&Sha256::digest(body));
        let hash_ok: bool = actual
            .as_bytes()
            .ct_eq(expected.to_ascii_lowercase().as_bytes())
            .into();
        let sig_ok = self.validate(url, &[], signature);
        hash_ok & sig_ok
    }

    /// Whether `signature` is valid for the WebSocket handshake to `url` (a `wss://` or
    /// `ws://` URL), trying the URL as is and with a trailing slash.
    pub fn validate_websocket(&self, url: &str, signature: &str) -> bool {
        let slash = if url.ends_with('/') {
            url.trim_end_matches('/').to_string()
        } else {
            format!("{url}/")
        };
        let a = self.validate(url, &[], signature);
        let b = self.validate(&slash, &[], signature);
        a | b
    }
}

/// Splits `scheme://authority/rest` into its three parts.
fn split_url(url: &str) -> Option<(&str, &str, &str)> {
    let scheme_end = url.find("://")?;
    let after = &url[scheme_end + 3..];
    let auth_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    Some((&url[..scheme_end], &after[..auth_end], &after[auth_end..]))
}

/// The port of an authority, if it names one (`host:port`, `[v6]:port`, `user@host:port`).
fn port_of(authority: &str) -> Option<(&str, &str)> {
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let hostport = &authority[host_start..];
    let colon = hostport.rfind(':')?;
    if hostport[colon..].contains(']') {
        return None; // the colon belongs to an IPv6 literal
    }
    let port = &hostport[colon + 1..];
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((&authority[..host_start + colon], port))
}

/// `url` without its port, or `None` if it has none.
pub fn without_port(url: &str) -> Option<String> {
    let (scheme, authority, rest) = split_url(url)?;
    let (host, _) = port_of(authority)?;
    Some(format!("{scheme}://{host}{rest}"))
}

/// `url` with the scheme's default port added, or `None` if it already has a port.
pub fn with_port(url: &str) -> Option<String> {
    let (scheme, authority, rest) = split_url(url)?;
    if port_of(authority).is_some() {
        return None;
    }
    let port = match scheme {
        "https" | "wss" => 443,
        _ => 80,
    };
    Some(format!("{scheme}://{authority}:{port}{rest}"))
}

fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then_some(v)
    })
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from twilio-python's tests/unit/test_request_validator.py (token "12345"),
    // as quoted in the protocol reference.
    const URI: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const PARAMS: &[(&str, &str)] = &[
        ("CallSid", "CA1234567890ABCDE"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
        ("Caller", "+14158675309"),
    ];

    fn v() -> RequestValidator {
        RequestValidator::new("12345")
    }

    #[test]
    fn documented_vectors() {
        assert_eq!(v().sign(URI, PARAMS), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert_eq!(
            v().sign("https://mycompany.com:443/myapp.php?foo=1&bar=2", PARAMS),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        );
        assert_eq!(
            v().sign("http://mycompany.com:80/myapp.php?foo=1&bar=2", PARAMS),
            "0ZXoZLH/DfblKGATFgpif+LLRf4="
        );
        let multi = [
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
        ];
        assert_eq!(v().sign(URI, &multi), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    }

    #[test]
    fn port_forms_validate_both_ways() {
        assert!(v().validate(URI, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        assert!(v().validate(URI, PARAMS, "kvajT1Ptam85bY51eRf/AJRuM3w="));
        assert!(v().validate(
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            PARAMS,
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        ));
        assert!(v().validate(
            "http://mycompany.com/myapp.php?foo=1&bar=2",
            PARAMS,
            "0ZXoZLH/DfblKGATFgpif+LLRf4="
        ));
    }

    #[test]
    fn tampering_fails() {
        let sig = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
        let mut params = PARAMS.to_vec();
        params[1] = ("Digits", "1235");
        assert!(!v().validate(URI, &params, sig));
        assert!(!v().validate("https://mycompany.com/myapp.php?foo=1&bar=3", PARAMS, sig));
        assert!(!RequestValidator::new("12346").validate(URI, PARAMS, sig));
        assert!(!v().validate(URI, PARAMS, "not base64!"));
        assert!(!v().validate(URI, PARAMS, ""));
    }

    #[test]
    fn json_body_vector() {
        let body = br#"{"property": "value", "boolean": true}"#;
        let hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
        assert_eq!(hex(&Sha256::digest(body)), hash);
        let url = format!("{URI}&bodySHA256={hash}");
        assert!(v().validate_body(&url, body, "a9nBmqA0ju/hNViExpshrM61xv4="));
        assert!(!v().validate_body(
            &url,
            br#"{"property": "value", "boolean": false}"#,
            "a9nBmqA0ju/hNViExpshrM61xv4="
        ));
        assert!(!v().validate_body(URI, body, "a9nBmqA0ju/hNViExpshrM61xv4="));
    }

    #[test]
    fn websocket_urls_accept_a_trailing_slash() {
        let sig = v().sign("wss://bridge.example/twilio/stream", &[]);
        assert!(v().validate_websocket("wss://bridge.example/twilio/stream", &sig));
        assert!(v().validate_websocket("wss://bridge.example/twilio/stream/", &sig));
        assert!(v().validate_websocket("wss://bridge.example:443/twilio/stream", &sig));
        assert!(!v().validate_websocket("wss://bridge.example/twilio/other", &sig));
    }

    #[test]
    fn ports_are_found_only_where_they_are() {
        assert_eq!(
            without_port("https://a.b:8443/x?y=1").as_deref(),
            Some("https://a.b/x?y=1")
        );
        assert_eq!(without_port("https://a.b/x:1"), None);
        assert_eq!(
            with_port("https://u:p@a.b/x").as_deref(),
            Some("https://u:p@a.b:443/x")
        );
        assert_eq!(with_port("http://[::1]/x").as_deref(), Some("http://[::1]:80/x"));
        assert_eq!(
            without_port("http://[::1]:8080/x").as_deref(),
            Some("http://[::1]/x")
        );
        assert_eq!(with_port("not a url"), None);
    }
}
