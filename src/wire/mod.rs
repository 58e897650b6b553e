//! Wire formats: the exact shapes of everything switchboard reads from or writes to a peer.
//!
//! Nothing here does IO. Field names follow the protocol references (Twilio Media Streams,
//! ElevenLabs ConvAI); a message type this version does not know parses as `Unknown` and is
//! counted and ignored by the caller, never treated as fatal.

pub mod elevenlabs;
pub mod signature;
pub mod sms_segments;
pub mod timestamped_hmac;
pub mod twilio;
pub mod twiml;
pub mod webhook_signature;

use std::borrow::Cow;

use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// Deserializes an optional string borrowed from the input when it has no escapes.
///
/// serde borrows a bare `Cow<str>` field marked `#[serde(borrow)]`, but an `Option<Cow<str>>`
/// goes through `Cow`'s own impl, which always copies. Message types and counters are read
/// from every audio frame, so the copy would be an allocation per frame.
pub(crate) fn borrow_opt<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, str>>, D::Error> {
    #[derive(Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Borrowed<'a>>::deserialize(d)?.map(|b| b.0))
}

/// A required field of a message read through a flat envelope.
pub(crate) fn need<T, E: serde::de::Error>(value: Option<T>, field: &'static str) -> Result<T, E> {
    value.ok_or_else(|| E::missing_field(field))
}

/// A JSON value kept as its text, borrowed from the frame it came in: for fields the bridge
/// passes over on every audio frame, which a parsed `Value` would allocate for, node by node.
/// (Reading one that nests arrays or objects two deep still makes serde_json allocate a
/// stack; see `elevenlabs::Alignment`.)
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawJson<'a>(#[serde(borrow)] pub &'a RawValue);

impl PartialEq for RawJson<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

/// Audio for an outgoing JSON message.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AudioPayload<'a> {
    /// Base64 already checked valid (relayed as is; it needs no JSON escaping).
    Base64(&'a str),
    /// Bytes to encode.
    Raw(&'a [u8]),
}

/// `prefix`, the audio in base64, `suffix`: one buffer of exactly the message's length. The
/// exact size matters beyond this function: the driver hands the `String` to the socket as
/// `Bytes`, which takes over a buffer whose capacity equals its length without allocating,
/// and allocates a second time for any other.
pub(crate) fn audio_message(prefix: &str, audio: AudioPayload<'_>, suffix: &str) -> String {
    let b64_len = match audio {
        AudioPayload::Base64(text) => text.len(),
        AudioPayload::Raw(bytes) => base64::encoded_len(bytes.len(), true).unwrap_or(0),
    };
    let mut out = String::with_capacity(prefix.len() + b64_len + suffix.len());
    out.push_str(prefix);
    match audio {
        AudioPayload::Base64(text) => out.push_str(text),
        AudioPayload::Raw(bytes) => base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut out),
    }
    out.push_str(suffix);
    out
}
