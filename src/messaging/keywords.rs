//! What an inbound text asks for: to stop texts, to start them again, or help.
//!
//! The body is read as Twilio's Advanced Opt-Out reads it: the whole message, trimmed and
//! case-insensitive, is one keyword (twilio.md §6). "OPT OUT" is also read as opting out: the
//! FCC's rules (in force since 2025-04-11) name "opt out" among the words that always revoke
//! consent. When Twilio sends `OptOutType` (`STOP`, `START`, `HELP`) that word decides, since
//! it is Twilio's own reading with the account's configured keywords.
//!
//! Twilio answers STOP, START and HELP itself with the number's configured replies, so the
//! webhook answers with empty TwiML and never sends a second reply.

/// What an inbound text means for the sender's consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    OptOut,
    OptIn,
    Help,
}

const OPT_OUT: &[&str] = &[
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
    "OPT OUT",
];
const OPT_IN: &[&str] = &["START", "UNSTOP", "YES"];
const HELP: &[&str] = &["HELP", "INFO"];

/// The keyword of an inbound text with `body` and Twilio's `OptOutType` (if sent); `None` for
/// an ordinary message.
pub fn classify(body: &str, opt_out_type: Option<&str>) -> Option<Keyword> {
    if let Some(kind) = opt_out_type.map(str::trim).filter(|t| !t.is_empty()) {
        match kind.to_ascii_uppercase().as_str() {
            "STOP" => return Some(Keyword::OptOut),
            "START" => return Some(Keyword::OptIn),
            "HELP" => return Some(Keyword::Help),
            // A value Twilio adds later: read the body ourselves.
            _ => {}
        }
    }
    let word = body.trim().to_uppercase();
    let word = word.split_whitespace().collect::<Vec<_>>().join(" ");
    if OPT_OUT.contains(&word.as_str()) {
        Some(Keyword::OptOut)
    } else if OPT_IN.contains(&word.as_str()) {
        Some(Keyword::OptIn)
    } else if HELP.contains(&word.as_str()) {
        Some(Keyword::Help)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_trimmed_body_is_the_keyword_in_any_case() {
        for body in [
            "STOP",
            " stop ",
            "Unsubscribe",
            "cancel\n",
            "End",
            "quit",
            "stopall",
            "revoke",
            "optout",
            "opt  out",
        ] {
            assert_eq!(classify(body, None), Some(Keyword::OptOut), "{body:?}");
        }
        for body in ["START", "unstop", "yes"] {
            assert_eq!(classify(body, None), Some(Keyword::OptIn), "{body:?}");
        }
        for body in ["help", "INFO "] {
            assert_eq!(classify(body, None), Some(Keyword::Help), "{body:?}");
        }
    }

    #[test]
    fn a_keyword_inside_a_sentence_is_an_ordinary_message() {
        for body in ["please stop by tomorrow", "STOP IT", "yes please", "", "stopp"] {
            assert_eq!(classify(body, None), None, "{body:?}");
        }
    }

    #[test]
    fn twilios_opt_out_type_decides_when_sent() {
        assert_eq!(classify("arrête", Some("STOP")), Some(Keyword::OptOut));
        assert_eq!(classify("stop", Some("START")), Some(Keyword::OptIn));
        assert_eq!(classify("x", Some("help")), Some(Keyword::Help));
        assert_eq!(classify("stop", Some("SOMETHING_NEW")), Some(Keyword::OptOut));
        assert_eq!(classify("hello", Some("")), None);
    }
}
