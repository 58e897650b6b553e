//! The agent's first message, built from its greeting so that every call opens the same way
//! (said per call by `telephony::initiation`, and the ElevenLabs agent's own in
//! `provision::agent_config`):
//! the caller is told they are talking to an AI assistant (added when the greeting does not
//! say so), a caller the business knows is greeted by name, and when the account records
//! calls the caller is asked whether that is all right (the answer comes back through the
//! `record_consent` tool). Pure: text in, text out, nothing escaped (the message travels as a
//! JSON string and is spoken, so an apostrophe or an accent stays as written).

/// The sentence added to a greeting that does not say the caller is talking to an AI.
pub const DISCLOSURE: &str = "I'm an AI assistant.";
/// What a caller is asked when the account records calls.
pub const CONSENT_QUESTION: &str = "This call is recorded. Is that all right with you?";
/// A name longer than this is not said (it is not a name a person gave).
pub const MAX_SPOKEN_NAME_CHARS: usize = 60;

/// What the first message is made from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Opening<'a> {
    /// The agent's greeting; `None` or blank: a plain one naming the business.
    pub greeting: Option<&'a str>,
    pub business_name: &'a str,
    /// The caller's name, when their number is a contact of the account.
    pub caller_name: Option<&'a str>,
    /// The account records calls: ask for consent.
    pub ask_recording_consent: bool,
}

/// The first message the agent says.
pub fn first_message(opening: Opening<'_>) -> String {
    let greeting = match opening.greeting.map(str::trim).filter(|g| !g.is_empty()) {
        Some(greeting) => greeting.to_owned(),
        None => default_greeting(opening.business_name.trim()),
    };
    let mut message = if discloses_ai(&greeting) {
        greeting
    } else {
        with_disclosure(&greeting)
    };
    if let Some(name) = opening.caller_name.and_then(spoken_name)
        && !message.to_lowercase().contains(&name.to_lowercase())
    {
        message = addressed_to(&message, &name);
    }
    if opening.ask_recording_consent && !mentions_recording(&message) {
        message.push(' ');
        message.push_str(CONSENT_QUESTION);
    }
    message
}

/// Whether the greeting already speaks of the call being recorded (then it asks itself).
fn mentions_recording(text: &str) -> bool {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| matches!(word, "recorded" | "recording" | "records"))
}

fn default_greeting(business_name: &str) -> String {
    if business_name.is_empty() {
        "Thank you for calling. How can I help you today?".to_owned()
    } else {
        format!("Thank you for calling {business_name}. How can I help you today?")
    }
}

/// Whether `text` says the caller is talking to an AI: the word "AI" (any case, "A.I." too)
/// or "artificial intelligence".
pub fn discloses_ai(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("artificial intelligence")
        || lower.contains("a.i.")
        || lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|word| word == "ai")
}

/// The caller's name as the agent may say it and its prompt may read it: control characters
/// gone, runs of white space one space; `None` when nothing is left or it is longer than a
/// name is.
pub fn spoken_name(name: &str) -> Option<String> {
    let cleaned = name
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let length = cleaned.chars().count();
    (length > 0 && length <= MAX_SPOKEN_NAME_CHARS).then_some(cleaned)
}

/// The disclosure put where it reads naturally: before the greeting's closing question (its
/// last sentence), or after a greeting that asks nothing.
fn with_disclosure(greeting: &str) -> String {
    if !greeting.ends_with('?') {
        let stop = if greeting.ends_with(['.', '!']) { "" } else { "." };
        return format!("{greeting}{stop} {DISCLOSURE}");
    }
    match last_sentence_start(greeting) {
        Some(start) => format!(
            "{} {DISCLOSURE} {}",
            greeting[..start].trim_end(),
            &greeting[start..]
        ),
        None => format!("{DISCLOSURE} {greeting}"),
    }
}

/// Where the last sentence of `text` starts (after `.`, `!` or `?`, white space, and a capital
/// letter); `None` for a single sentence. A `.` after a short capitalised word (`Dr.`, `St.`)
/// ends no sentence.
fn last_sentence_start(text: &str) -> Option<usize> {
    let mut start = None;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let mut after = chars.clone();
        let mut spaced = false;
        while let Some(&(_, next)) = after.peek() {
            if !next.is_whitespace() {
                break;
            }
            spaced = true;
            after.next();
        }
        let Some(&(next_at, next)) = after.peek() else {
            break;
        };
        if spaced && next.is_uppercase() && !(c == '.' && is_abbreviation(&text[..at])) {
            start = Some(next_at);
        }
    }
    start
}

/// Whether the word that ends `before` is a title or other abbreviation (`Dr`, `St`), or an
/// initial (`J`).
fn is_abbreviation(before: &str) -> bool {
    const ABBREVIATIONS: [&str; 16] = [
        "dr", "mr", "mrs", "ms", "mx", "prof", "st", "jr", "sr", "rev", "no", "co", "inc", "ltd", "mt", "ave",
    ];
    let word = before
        .rsplit(|c: char| !c.is_alphabetic())
        .next()
        .unwrap_or_default();
    word.chars().count() == 1 || ABBREVIATIONS.contains(&word.to_lowercase().as_str())
}

/// The message addressed to `name`: after an opening salutation ("Hello!" → "Hello, Anna!"),
/// or as one of its own before the message.
fn addressed_to(message: &str, name: &str) -> String {
    const SALUTATIONS: [&str; 6] = [
        "good morning",
        "good afternoon",
        "good evening",
        "hello",
        "hey",
        "hi",
    ];
    let lower = message.to_lowercase();
    for salutation in SALUTATIONS {
        if lower.starts_with(salutation) {
            let end = salutation.len();
            // Lowercasing keeps these ASCII words' byte lengths, so `end` is a boundary of
            // `message` too.
            if let Some(next) = message[end..].chars().next()
                && matches!(next, '!' | ',' | '.')
            {
                let rest = message[end..].trim_start_matches(',');
                let rest = if rest.starts_with([' ']) {
                    format!(",{rest}")
                } else {
                    rest.to_owned()
                };
                return format!("{}, {name}{rest}", &message[..end]);
            }
        }
    }
    format!("Hi {name}! {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opening(greeting: Option<&'static str>) -> Opening<'static> {
        Opening {
            greeting,
            business_name: "Praxis Adler",
            caller_name: None,
            ask_recording_consent: false,
        }
    }

    #[test]
    fn a_greeting_that_discloses_is_kept_as_written() {
        for greeting in [
            "Hi, I'm Ava, the AI receptionist of Praxis Adler. How can I help?",
            "Praxis Adler, you're speaking with an A.I. assistant.",
            "Hello! This is Praxis Adler's artificial intelligence assistant.",
            "Willkommen! Ich bin die KI von Praxis Adler (AI).",
        ] {
            assert_eq!(first_message(opening(Some(greeting))), greeting);
        }
    }

    #[test]
    fn a_greeting_without_disclosure_gets_it_before_its_closing_question() {
        assert_eq!(
            first_message(opening(Some(
                "Thank you for calling Dr. Adler's practice. How can I help you?"
            ))),
            "Thank you for calling Dr. Adler's practice. I'm an AI assistant. How can I help you?"
        );
        assert_eq!(
            first_message(opening(Some("Dr. Adler's office, how can I help?"))),
            "I'm an AI assistant. Dr. Adler's office, how can I help?",
            "a title ends no sentence"
        );
        assert_eq!(
            first_message(opening(Some("Hi, I'm Ava. How can I help?"))),
            "Hi, I'm Ava. I'm an AI assistant. How can I help?"
        );
        assert_eq!(
            first_message(opening(Some("Welcome to Praxis Adler"))),
            "Welcome to Praxis Adler. I'm an AI assistant."
        );
        assert_eq!(
            first_message(opening(Some("Welcome to Praxis Adler!"))),
            "Welcome to Praxis Adler! I'm an AI assistant."
        );
        // "ai" inside a word is no disclosure.
        assert!(!discloses_ai("Thanks for calling Thai Garden in Dubai."));
    }

    #[test]
    fn without_a_greeting_a_plain_one_names_the_business_and_discloses() {
        assert_eq!(
            first_message(opening(None)),
            "Thank you for calling Praxis Adler. I'm an AI assistant. How can I help you today?"
        );
        assert_eq!(first_message(opening(Some("   "))), first_message(opening(None)));
        let nameless = Opening {
            business_name: "",
            ..opening(None)
        };
        assert_eq!(
            first_message(nameless),
            "Thank you for calling. I'm an AI assistant. How can I help you today?"
        );
    }

    #[test]
    fn a_known_caller_is_greeted_by_name() {
        let known = |greeting, name| Opening {
            caller_name: Some(name),
            ..opening(greeting)
        };
        assert_eq!(
            first_message(known(
                Some("Hello! Thanks for calling Praxis Adler. How can I help?"),
                "Anna"
            )),
            "Hello, Anna! Thanks for calling Praxis Adler. I'm an AI assistant. How can I help?"
        );
        assert_eq!(
            first_message(known(
                Some("Hi, this is Praxis Adler's AI assistant."),
                "Zoë O'Brien-Smith"
            )),
            "Hi, Zoë O'Brien-Smith, this is Praxis Adler's AI assistant.",
            "nothing escaped or dropped from a name"
        );
        assert_eq!(
            first_message(known(None, "  Anna \n\t Schmidt\u{7}  ")),
            "Hi Anna Schmidt! Thank you for calling Praxis Adler. I'm an AI assistant. How can I help you today?"
        );
        assert_eq!(
            first_message(known(Some("Hello Anna, this is the AI desk."), "anna")),
            "Hello Anna, this is the AI desk.",
            "a greeting naming the caller already is left alone"
        );
        let long = "A".repeat(MAX_SPOKEN_NAME_CHARS + 1);
        let unnamed = first_message(known(None, Box::leak(long.into_boxed_str())));
        assert_eq!(
            unnamed,
            first_message(opening(None)),
            "a name too long is not said"
        );
        assert_eq!(first_message(known(None, " \n ")), first_message(opening(None)));
    }

    #[test]
    fn an_account_that_records_calls_asks_for_consent_last() {
        let recorded = Opening {
            ask_recording_consent: true,
            caller_name: Some("Anna"),
            ..opening(None)
        };
        let message = first_message(recorded);
        assert_eq!(
            message,
            "Hi Anna! Thank you for calling Praxis Adler. I'm an AI assistant. How can I help you today? \
             This call is recorded. Is that all right with you?"
        );
        let asks_already = Opening {
            greeting: Some("This AI line records calls; is that okay?"),
            ask_recording_consent: true,
            ..opening(None)
        };
        assert_eq!(
            first_message(asks_already),
            "This AI line records calls; is that okay?"
        );
    }
}
