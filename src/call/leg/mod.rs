//! The caller's side of a call, as the session's core sees it, whatever network the caller
//! comes over.
//!
//! A [`CallerLeg`] owns its protocol: it reads the frames of the caller's socket into
//! [`CallerInput`], writes what the caller's side accepts (agent audio, marks, a clear), and
//! keeps the playback accounting, i.e. what was sent and what the caller has confirmed
//! hearing. The session's core never sees the protocol's messages, only these inputs and
//! calls. Twilio's Media Streams are the one leg today ([`Twilio`]); a browser leg is another
//! implementation of the same trait. Caller audio is G.711 μ-law at 8 kHz on every leg so far,
//! which is what the per-call transcoder converts from and to.

mod playback;
mod twilio;

use std::borrow::Cow;

pub use playback::{MarkEcho, MarkName, Playback};
pub use twilio::Twilio;

use super::event::Started;
use super::outbox::Outbox;
use super::socket::Frame;

/// What one frame from the caller's socket means to the session. Bad input is already counted
/// and reported in the [`Outbox`] by the time the leg returns [`CallerInput::Nothing`].
#[derive(Debug, Clone, PartialEq)]
pub enum CallerInput<'f> {
    /// Nothing for the session to do.
    Nothing,
    /// The stream started.
    Start(Started),
    /// Caller audio: base64 of μ-law at 8 kHz, checked by the session as it relays it.
    Audio(Cow<'f, str>),
    /// A key the caller pressed.
    Digit(Cow<'f, str>),
    /// Playback confirmation arrived (the leg has updated what was heard).
    Mark,
    /// The caller hung up.
    Stop,
}

/// The caller's side of a call: its protocol and its playback accounting.
pub trait CallerLeg: Send {
    /// Reads one frame from the caller's socket.
    fn read<'f>(&mut self, frame: Frame<'f>, out: &mut Outbox) -> CallerInput<'f>;

    /// Whether the stream has started, so that messages can be sent on it.
    fn is_started(&self) -> bool;

    /// Sends agent audio already in the caller's format and in base64 (`bytes` long once
    /// decoded), as it came: the pass-through path.
    fn play_base64(&mut self, base64: &str, bytes: usize, out: &mut Outbox);

    /// Sends agent audio in the caller's format.
    fn play(&mut self, audio: &[u8], out: &mut Outbox);

    /// Marks the end of the audio sent so far, if any is unmarked, so its playback is
    /// confirmed.
    fn mark(&mut self, out: &mut Outbox);

    /// Milliseconds of audio sent since the last mark.
    fn unmarked_ms(&self) -> u64;

    /// Stops playback of everything sent (barge-in); what was not confirmed is not heard.
    fn clear(&mut self, out: &mut Outbox);

    /// Nothing sent is still waiting to be played or confirmed.
    fn is_idle(&self) -> bool;

    /// Milliseconds of agent audio the caller has confirmed hearing.
    fn heard_ms(&self) -> u64;
}
