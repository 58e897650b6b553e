//! A number's menu over Twilio: the `<Gather>` that says it and listens for a key or words,
//! and `POST /twilio/menu`, where Twilio posts what it heard (`Digits`, `SpeechResult`).
//!
//! Where the caller is in the menu ([`Attempt`]) travels in the action URL's query, which
//! Twilio signs with the rest. When the caller gives nothing, Twilio goes on to the verb after
//! the `<Gather>`: a `<Redirect>` to the same URL, which arrives without `Digits`, so the
//! reception can repeat the menu or take its default.

use axum::extract::{Query, State};
use serde::Deserialize;
use tracing::Instrument;

use super::error::Twiml;
use super::render;
use super::signed::SignedForm;
use super::twilio::TwilioState;
use crate::telephony::menu::{Attempt, MenuInput};
use crate::telephony::{InboundCall, MenuAnswer, MenuPrompt};
use crate::wire::twiml::{Response, Verb};

/// How long Twilio waits for a key or words after the menu is said, in seconds.
pub const GATHER_TIMEOUT_SECS: u32 = 5;

/// The action URL's query.
#[derive(Debug, Default, Deserialize)]
pub struct MenuQuery {
    #[serde(default)]
    silences: u8,
    #[serde(default)]
    misses: u8,
}

/// `POST /twilio/menu`: the caller answered (or did not answer) a number's menu.
pub async fn menu(
    State(twilio): State<TwilioState>,
    Query(query): Query<MenuQuery>,
    form: SignedForm,
) -> Twiml {
    let span = tracing::info_span!("call", sid = form.get("CallSid").unwrap_or_default());
    let call = InboundCall::from_fields(form.get("CallSid"), form.get("From"), form.get("To"));
    let input = MenuInput {
        digits: form.get("Digits"),
        speech: form.get("SpeechResult"),
    };
    let attempt = Attempt {
        silences: query.silences,
        misses: query.misses,
    };
    let answer = twilio
        .reception
        .menu_choice(call, input, attempt, jiff::Timestamp::now())
        .instrument(span)
        .await;
    render::answer(&answer, &twilio.public_url)
}

/// The menu's TwiML.
pub fn render(menu: &MenuAnswer, public_url: &str) -> Response {
    match menu {
        MenuAnswer::Ask(prompt) => ask(prompt, public_url),
        MenuAnswer::Dial(dial) => render::fallback(dial, public_url),
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
