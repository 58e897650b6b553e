//! The caller's keypad (`sim caller --dtmf`): a menu's `<Gather>` answered as Twilio answers
//! it, and the keys left over pressed during the media stream.
//!
//! Twilio posts a `<Gather>`'s input to its `action` (`Digits`, with the call's parameters,
//! signed like every webhook); a `<Gather>` that hears nothing goes on to the next verb, here
//! the `<Redirect>` the bridge puts after it, which Twilio requests (POST) without `Digits`.
//! Each `<Gather>` takes one key (the bridge asks for `numDigits="1"`); `w` lets it time out.
//! During the stream each key becomes a `dtmf` message and `w` waits half a second, as in
//! Twilio's `SendDigits`.

use std::collections::VecDeque;
use std::str::FromStr;

use super::webhook::{InboundCall, WebhookError, Webhooks};

/// Frames (20 ms) a `w` waits during the stream: half a second.
const WAIT_FRAMES: u32 = 25;
/// The most menus a call follows before giving up on the bridge.
const MAX_MENUS: usize = 20;

/// One entry of `--dtmf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A key: `0`-`9`, `*`, `#`.
    Press(char),
    /// Say nothing: a menu times out; during the stream, half a second passes.
    Wait,
}

/// Keys the caller presses, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    keys: VecDeque<Key>,
    /// Frames left of a wait during the stream.
    waiting: u32,
}

/// A `--dtmf` value with a character that is not a key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not a key: use 0-9, * and #, and w to wait")]
pub struct NotAKey(pub char);

impl FromStr for Keys {
    type Err = NotAKey;

    fn from_str(text: &str) -> Result<Self, NotAKey> {
        let keys = text
            .chars()
            .map(|c| match c {
                '0'..='9' | '*' | '#' => Ok(Key::Press(c)),
                'w' | 'W' => Ok(Key::Wait),
                other => Err(NotAKey(other)),
            })
            .collect::<Result<_, _>>()?;
        Ok(Keys { keys, waiting: 0 })
    }
}

impl Keys {
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key pressed at a menu: `None` for silence (no key left, or a `w`).
    fn at_menu(&mut self) -> Option<char> {
        match self.keys.pop_front()? {
            Key::Press(key) => Some(key),
            Key::Wait => None,
        }
    }

    /// The key pressed in this 20 ms frame of the stream, if one is.
    pub fn in_frame(&mut self) -> Option<char> {
        if self.waiting > 0 {
            self.waiting -= 1;
            return None;
        }
        match self.keys.pop_front()? {
            Key::Press(key) => Some(key),
            Key::Wait => {
                self.waiting = WAIT_FRAMES - 1;
                None
            }
        }
    }
}

/// What the caller simulator needs of a menu: where its input goes, and where Twilio goes
/// when it hears none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedGather {
    pub action: String,
    pub redirect: Option<String>,
}

/// The `<Gather>` of a TwiML document and the `<Redirect>` after it, if it has one.
pub fn parse_gather(xml: &str) -> Result<Option<ParsedGather>, quick_xml::Error> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut gather: Option<ParsedGather> = None;
    loop {
        match reader.read_event()? {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"Gather" => {
                let mut action = String::new();
                for attribute in e.attributes() {
                    let attribute = attribute.map_err(quick_xml::Error::InvalidAttr)?;
                    if attribute.key.as_ref() == b"action" {
                        action = attribute.unescape_value()?.into_owned();
                    }
                }
                gather = Some(ParsedGather {
                    action,
                    redirect: None,
                });
            }
            Event::Start(e) if e.name().as_ref() == b"Redirect" => {
                let raw = reader.read_text(e.to_end().name())?;
                let url = quick_xml::escape::unescape(&raw).map_err(quick_xml::Error::Escape)?;
                if let Some(gather) = gather.as_mut() {
                    gather.redirect = Some(url.trim().to_owned());
                }
            }
            Event::Eof => return Ok(gather),
            _ => {}
        }
    }
}

/// Follows the bridge's menus from `answer` (the voice webhook's TwiML) as Twilio would,
/// pressing `keys` from the front; returns every menu request's answer, in order. The call
/// goes on with the last one (or with `answer`, if it was no menu).
pub async fn follow_menus(
    hooks: &Webhooks,
    call: &InboundCall<'_>,
    answer: &str,
    keys: &mut Keys,
) -> Result<Vec<String>, MenuError> {
    let mut answers: Vec<String> = Vec::new();
    loop {
        let current = answers.last().map_or(answer, String::as_str);
        let Some(gather) = parse_gather(current).map_err(|e| MenuError::Twiml(e.to_string()))? else {
            return Ok(answers);
        };
        if answers.len() >= MAX_MENUS {
            return Err(MenuError::Endless(MAX_MENUS));
        }
        let params = call.params("in-progress");
        let next = match keys.at_menu() {
            Some(key) => {
                let digits = key.to_string();
                let mut with_digits: Vec<(&str, &str)> = params.to_vec();
                with_digits.push(("Digits", &digits));
                hooks.post(&gather.action, &with_digits).await?
            }
            // Nothing heard: Twilio goes on to the next verb; without one, the call ends.
            None => match &gather.redirect {
                Some(url) => hooks.post(url, &params).await?,
                None => return Ok(answers),
            },
        };
        answers.push(next);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MenuError {
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    #[error("a menu answered TwiML that is not valid XML: {0}")]
    Twiml(String),
    #[error("the bridge asked more than {0} menus in a row")]
    Endless(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_digits_star_hash_and_waits() {
        let keys: Keys = "2w*#".parse().unwrap();
        assert_eq!(
            keys.keys,
            [Key::Press('2'), Key::Wait, Key::Press('*'), Key::Press('#')]
        );
        assert_eq!("2x".parse::<Keys>(), Err(NotAKey('x')));
        assert!("".parse::<Keys>().unwrap().is_empty());
    }

    #[test]
    fn a_wait_at_a_menu_is_silence_and_in_the_stream_half_a_second() {
        let mut keys: Keys = "w2w5".parse().unwrap();
        assert_eq!(keys.at_menu(), None);
        assert_eq!(keys.at_menu(), Some('2'));
        let pressed: Vec<Option<char>> = (0..27).map(|_| keys.in_frame()).collect();
        assert!(pressed[..25].iter().all(Option::is_none), "{pressed:?}");
        assert_eq!(pressed[25], Some('5'));
        assert_eq!(pressed[26], None);
    }

    #[test]
    fn a_gather_and_its_redirect_are_read() {
        let doc = concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response>"#,
            r#"<Gather action="http://b/twilio/menu?silences=0&amp;misses=0" input="dtmf speech" numDigits="1">"#,
            r#"<Say>Hi.</Say></Gather><Redirect method="POST">http://b/twilio/menu?silences=0&amp;misses=0</Redirect>"#,
            r#"</Response>"#
        );
        assert_eq!(
            parse_gather(doc).unwrap(),
            Some(ParsedGather {
                action: "http://b/twilio/menu?silences=0&misses=0".into(),
                redirect: Some("http://b/twilio/menu?silences=0&misses=0".into()),
            })
        );
        assert_eq!(parse_gather("<Response><Say>Hi</Say></Response>").unwrap(), None);
    }
}
