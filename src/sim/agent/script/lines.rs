//! What each recorded line says: the agent's sentences (sent as `agent_response` with their
//! audio) and the caller's script (sent as `user_transcript` for the caller's N-th turn).
//! The texts are those of `fixtures/README.md`, which the fixture script writes.

/// The caller's lines in the order the booking conversation expects them.
pub const CALLER_SCRIPT: [(&str, &str); 5] = [
    ("book", "Hi, I'd like to book a cleaning."),
    ("when", "Do you have anything soon?"),
    ("yes", "Yes, that works for me."),
    ("name", "My name is Jane Doe."),
    ("bye", "No, that's all. Thank you, bye."),
];

/// What the agent hears when a caller speaks beyond the script: nothing it can transcribe.
pub const UNSCRIPTED_CALLER_TEXT: &str = "...";

/// The agent's whole sentences, by clip name.
pub const AGENT_SENTENCES: [(&str, &str); 10] = [
    (
        "greeting",
        "Thanks for calling Harbor Dental, this is Ava. How can I help you today?",
    ),
    ("checking", "Sure, let me check what we have."),
    ("offer_prefix", "The next opening is"),
    ("offer_suffix", "Shall I book that for you?"),
    ("ask_name", "Great. May I have your name, please?"),
    (
        "confirmed",
        "Thank you. You're all set. We look forward to seeing you.",
    ),
    ("anything_else", "Is there anything else I can help you with?"),
    ("goodbye", "Thanks for calling. Goodbye!"),
    ("sorry", "Sorry, I didn't catch that. Could you say that again?"),
    (
        "no_openings",
        "I'm sorry, I don't see any openings in the next few days.",
    ),
];

/// The text of an agent sentence clip.
pub fn sentence(clip: &str) -> &'static str {
    AGENT_SENTENCES
        .iter()
        .find(|(name, _)| *name == clip)
        .map(|(_, text)| *text)
        .unwrap_or_else(|| panic!("no sentence is recorded as {clip:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::FixtureDir;
    use crate::audio::fixtures::{AGENT_CLIPS, CALLER_CLIPS};

    /// The texts here must be the ones recorded: the README is written with the audio.
    #[test]
    fn texts_match_the_fixture_readme() {
        let readme = std::fs::read_to_string(FixtureDir::bundled().root().join("README.md")).unwrap();
        for (clip, text) in AGENT_SENTENCES {
            assert!(AGENT_CLIPS.contains(&clip), "{clip}");
            assert!(
                readme.contains(&format!("| `agent/{clip}.wav` | {text} |")),
                "{clip}"
            );
        }
        for (clip, text) in CALLER_SCRIPT {
            assert!(CALLER_CLIPS.contains(&clip), "{clip}");
            assert!(
                readme.contains(&format!("| `caller/{clip}.wav` | {text} |")),
                "{clip}"
            );
        }
    }
}
