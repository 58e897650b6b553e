//! The application layer's answers as TwiML: a connected call's `<Connect><Stream>`, a
//! fallback's sentences and last step, and a number's menu (a `<Gather>` that says it and
//! listens for a key or words, then a `<Redirect>` to the same action, which Twilio follows
//! when the caller gives nothing, so the reception can repeat the menu or take its default). The URLs Twilio is sent to are built here, from the
//! public URL, since the routes are this layer's.

use crate::telephony::menu::Attempt;
use crate::telephony::{AfterStream, Answer, Fallback, Handover, MenuAnswer, MenuPrompt, Then, Whisper};
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
        Answer::Menu(menu) => self::menu(menu, public_url),
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

/// How long Twilio waits for a key or words after a menu is said, in seconds.
pub const GATHER_TIMEOUT_SECS: u32 = 5;

/// The menu's TwiML.
pub fn menu(menu: &MenuAnswer, public_url: &str) -> Response {
    match menu {
        MenuAnswer::Ask(prompt) => ask(prompt, public_url),
        MenuAnswer::Dial(dial) => fallback(dial, public_url),
    }
}

fn ask(prompt: &MenuPrompt, public_url: &str) -> Response {
    let action = action_url(public_url, prompt.attempt);
    Response::new()
        .verb(Verb::Gather {
            action: action.clone(),
            input: "dtmf speech".into(),
            num_digits: Some(1),
            timeout_secs: Some(GATHER_TIMEOUT_SECS),
            hints: Some(prompt.hints.clone()).filter(|hints| !hints.is_empty()),
            say: prompt.sentences.clone(),
        })
        .verb(Verb::Redirect { url: action })
}

/// Where Twilio posts the caller's answer to a menu said at `attempt`.
pub fn action_url(public_url: &str, attempt: Attempt) -> String {
    format!(
        "{public_url}/twilio/menu?silences={}&misses={}",
        attempt.silences, attempt.misses
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_menu_is_a_gather_then_a_redirect_to_the_same_action() {
        let prompt = MenuPrompt {
            sentences: vec![
                "Hello & welcome.".into(),
                "For sales, press 1 or say sales.".into(),
            ],
            hints: "sales, buy".into(),
            attempt: Attempt {
                silences: 1,
                misses: 0,
            },
        };
        let doc = ask(&prompt, "https://b.example").render();
        assert_eq!(
            doc,
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Response>"#,
                r#"<Gather action="https://b.example/twilio/menu?silences=1&amp;misses=0" hints="sales, buy" "#,
                r#"input="dtmf speech" numDigits="1" timeout="5">"#,
                r#"<Say>Hello &amp; welcome.</Say><Say>For sales, press 1 or say sales.</Say></Gather>"#,
                r#"<Redirect method="POST">https://b.example/twilio/menu?silences=1&amp;misses=0</Redirect>"#,
                r#"</Response>"#
            )
        );
    }
}
