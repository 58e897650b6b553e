//! Wire formats: the exact shapes of everything switchboard reads from or writes to a peer.
//!
//! Nothing here does IO. Field names follow the protocol references (Twilio Media Streams,
//! ElevenLabs ConvAI); a message type this version does not know parses as `Unknown` and is
//! counted and ignored by the caller, never treated as fatal.

pub mod elevenlabs;
pub mod signature;
pub mod twilio;
pub mod twiml;

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};

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
