//! What the reception answers Twilio with, as data: the voice webhook's [`Answer`] (a stream,
//! a refusal, a number's menu), what follows a stream ([`AfterStream`]: hang up, the fallback,
//! a hand-over to a person), and whose line a call is headed for ([`Destination`]). `http`
//! renders these as TwiML; the reception, its menus and its transfers make them.

use crate::store::{AccountId, AgentId};

use super::fallback::Fallback;
use super::menu::Attempt;

/// How the voice webhook answers a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Stream the call's audio to us, with these parameters for the stream's `start`.
    Connect(Connect),
    /// Not connected: what the caller hears instead.
    Refuse(Fallback),
    /// The number's menu: the caller is asked to choose, or sent to a person.
    Menu(MenuAnswer),
}

/// The parameters a connected call's media stream carries back to us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connect {
    /// The one-time token the stream redeems ([`StreamTokens`](super::StreamTokens)).
    pub token: String,
    pub from: String,
    pub to: String,
}

/// What follows a media stream's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterStream {
    /// The call ended as it should.
    HangUp,
    Fallback(Fallback),
    /// The agent handed the caller to a person (see `telephony::transfer`).
    Transfer(Handover),
}

/// Whose line answers a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// The agent whose number was called.
    Number,
    /// An agent of `account_id`, chosen in that account's menu.
    Agent { id: AgentId, account_id: AccountId },
}

/// How the webhooks answer a call in a menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuAnswer {
    /// Say the menu and listen for a key or words.
    Ask(MenuPrompt),
    /// Dial a person.
    Dial(Fallback),
}

/// A menu to say, and where the caller is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuPrompt {
    pub sentences: Vec<String>,
    /// The words speech recognition should expect.
    pub hints: String,
    pub attempt: Attempt,
}

/// The `<Dial>` that hands a caller to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handover {
    /// The call being handed over: the whisper's URL names it.
    pub call_sid: String,
    /// The agent's escalation number.
    pub number: String,
    /// The line's own number, shown to the person.
    pub caller_id: String,
    pub ring_secs: u32,
}

/// What the person who answers hears before the caller is connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whisper {
    pub say: Vec<String>,
}
