//! The application layer's answers as TwiML: a connected call's `<Connect><Stream>`, and a
//! fallback's sentences and last step. The URLs Twilio is sent to are built here, from the
//! public URL, since the routes are this layer's.

use crate::telephony::{AfterStream, Answer, Fallback, Handover, Then, Whisper};
use crate::wire::twiml::{Response, Verb};

use super::error::Twiml;

/// The voice webhook's answer.
pub fn answer(answer: &Answer, public_url: &str) -> Twiml {
    let response = match answer {
        Answer::Connect(connect) => Response::new().verb(Verb::ConnectStream {
            action: Some(format!("{public_url}/twilio/connect-action")),
            url: stream_url(public_url),
            parameters: vec![
                ("token".into(), connect.token.clone()),
                ("from".into(), connect.from.clone()),
                ("to".into(), connect.to.clone()),
            ],
        }),
        Answer::Refuse(fallback) => self::fallback(fallback, public_url),
        Answer::Menu(menu) => super::menu::render(menu, public_url),
    };
    Twiml(response.render())
}

/// The connect action's answer.
pub fn after_stream(after: &AfterStream, public_url: &str) -> Twiml {
    let response = match after {
        AfterStream::HangUp => Response::new().hangup(),
        AfterStream::Fallback(fallback) => self::fallback(fallback, public_url),
        AfterStream::Transfer(handover) => Response::new().verb(self::handover(handover, public_url)),
    };
    Twiml(response.render())
}

/// The `<Dial>` handing a caller to a person: the person hears the whisper first, and the
/// dial's end is reported to the transfer action.
pub fn handover(handover: &Handover, public_url: &str) -> Verb {
    let call = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("call", &handover.call_sid)
        .finish();
    Verb::DialNumber {
        number: handover.number.clone(),
        url: Some(format!("{public_url}/twilio/whisper?{call}")),
        caller_id: Some(handover.caller_id.clone()).filter(|id| !id.is_empty()),
        timeout_secs: Some(handover.ring_secs),
        action: Some(format!("{public_url}/twilio/transfer-action")),
    }
}

/// The whisper: sentences for the person who answers, then (the document over) the parties
/// are connected. Never a `<Hangup>`, which would end the person's leg.
pub fn whisper(whisper: &Whisper) -> Twiml {
    let response = whisper
        .say
        .iter()
        .fold(Response::new(), |response, sentence| response.say(sentence));
    Twiml(response.render())
}

/// An answer with nothing in it, for callbacks whose answer Twilio does not play.
pub fn empty() -> Twiml {
    Twiml(Response::new().render())
}

/// What a caller hears when no agent talks to them.
pub fn fallback(fallback: &Fallback, public_url: &str) -> Response {
    let said = fallback
        .say
        .iter()
        .fold(Response::new(), |response, sentence| response.say(sentence));
    match &fallback.then {
        Then::HangUp => said.hangup(),
        Then::Transfer {
            number,
            caller_id,
            ring_secs,
        } => said.verb(Verb::Dial {
            number: number.clone(),
            caller_id: caller_id.clone(),
            timeout_secs: Some(*ring_secs),
            action: None,
        }),
        Then::Voicemail { max_secs, if_silent } => said
            .verb(Verb::Record {
                action: Some(format!("{public_url}/twilio/voicemail")),
                max_length_secs: *max_secs,
                play_beep: true,
                finish_on_key: Some("#".into()),
            })
            .say(if_silent)
            .hangup(),
    }
}

/// The WebSocket form of the public base URL: `wss://` for `https://` (Twilio accepts only
/// `wss`), `ws://` for a plain-HTTP base (local testing with the simulators).
pub fn websocket_base(public_url: &str) -> String {
    if let Some(rest) = public_url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = public_url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        public_url.to_owned()
    }
}

/// The media-stream URL put in the TwiML.
pub fn stream_url(public_url: &str) -> String {
    format!("{}/twilio/stream", websocket_base(public_url))
}
