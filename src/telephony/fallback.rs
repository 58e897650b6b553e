//! What a caller hears when no agent talks to them, as data: sentences, then one last step
//! (hang up, a transfer to a person, or a voicemail). `http` renders it as TwiML; nothing here
//! knows TwiML.

use crate::config::CallConfig;
use crate::hours::AfterHours;
use crate::store::{Agent, FallbackMode};

/// Said when the server is draining and turns a new call away.
pub const DRAINING: &str = "Sorry, we can't take your call at this moment. Please call back in a minute.";
/// Said when a number given up by its agent is called during its hold.
pub const NO_LONGER_IN_SERVICE: &str = "The number you have called is no longer in service.";
/// Said after the apology when the line cannot be looked up.
const TRY_LATER: &str = "Please try again later.";
const CALL_AGAIN: &str = "Please call again later. Goodbye.";
const TRANSFERRING: &str = "Let me transfer you.";
const LEAVE_A_MESSAGE: &str = "Please leave a message after the tone, and we will call you back.";
const NO_MESSAGE: &str = "We did not get a message. Goodbye.";
/// Said once a voicemail is recorded.
pub const THANKS: &str = "Thank you. Goodbye.";
/// Said first outside the agent's active hours.
const CLOSED: &str = "Thank you for calling. We are closed right now.";
/// The after-hours message when the agent has none of its own.
const CLOSED_CALL_AGAIN: &str = "Please call again during our opening hours. Goodbye.";
/// Said when the account's minute pool is used up.
const ASSISTANT_UNAVAILABLE: &str = "Sorry, our assistant is unavailable right now.";
/// Where to book when the account has no booking page.
const BOOK_ON_OUR_WEBSITE: &str = "You can also book an appointment on our website. Goodbye.";

/// How long a transfer rings before it gives up.
const TRANSFER_RING_SECS: u32 = 20;
/// The longest voicemail.
const VOICEMAIL_MAX_SECS: u32 = 120;

/// Sentences for the caller, then what happens to the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallback {
    pub say: Vec<String>,
    pub then: Then,
}

/// The last step of a [`Fallback`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Then {
    HangUp,
    /// Connect the caller to a person at `number`, showing `caller_id` (the line's own
    /// number; Twilio shows the caller's when there is none).
    Transfer {
        number: String,
        caller_id: Option<String>,
        ring_secs: u32,
    },
    /// Record a message of up to `max_secs` after a beep (`#` ends it), then say `if_silent`
    /// and hang up if nothing was recorded.
    Voicemail {
        max_secs: u32,
        if_silent: String,
    },
}

impl Fallback {
    /// `sentences`, then hang up.
    pub fn goodbye<S: Into<String>>(sentences: impl IntoIterator<Item = S>) -> Self {
        Fallback {
            say: sentences.into_iter().map(Into::into).collect(),
            then: Then::HangUp,
        }
    }

    /// Nothing said: the call is hung up at once (a webhook that must not be acted on).
    pub fn hang_up() -> Self {
        Fallback::goodbye(std::iter::empty::<String>())
    }

    /// A number nobody answers here.
    pub fn not_in_service(config: &CallConfig) -> Self {
        Fallback::goodbye([config.not_in_service.as_str()])
    }

    /// A number given up by its agent, held until its release.
    pub fn no_longer_in_service() -> Self {
        Fallback::goodbye([NO_LONGER_IN_SERVICE])
    }

    /// Something on our side failed before the call could be connected.
    pub fn unavailable(config: &CallConfig) -> Self {
        Fallback::goodbye([config.apology.as_str(), TRY_LATER])
    }

    /// The server is draining: new calls are turned away.
    pub fn draining() -> Self {
        Fallback::goodbye([DRAINING])
    }

    /// Every call this server may take is taken: `busy`, then what the line is set up to do
    /// when its agent cannot answer (a transfer or a voicemail needs nothing of this server's
    /// media path).
    pub fn at_capacity(agent: &Agent, config: &CallConfig) -> Self {
        Fallback::instead_of_agent(Some(agent), config.busy.clone())
    }

    /// The agent could not go on: the apology, then what the agent's line is set up to do.
    /// Without a known agent, the apology and a goodbye.
    pub fn for_agent(agent: Option<&Agent>, config: &CallConfig) -> Self {
        Fallback::instead_of_agent(agent, config.apology.clone())
    }

    /// Outside the agent's active hours (or with the agent switched off): what it does after
    /// hours. `voicemail`: a greeting, then a recording; `message`: the agent's message (or a
    /// default one), then the call ends; `redirect`: where to book online, then the call ends;
    /// `transfer`: a transfer to the agent's escalation number, a voicemail without one.
    pub fn after_hours(
        behavior: AfterHours,
        message: Option<&str>,
        agent: &Agent,
        booking_url: Option<&str>,
    ) -> Self {
        match (behavior, &agent.fallback_number) {
            (AfterHours::Message, _) => match message {
                Some(message) => Fallback::goodbye([message]),
                None => Fallback::goodbye([CLOSED, CLOSED_CALL_AGAIN]),
            },
            // SMS: once the bridge sends texts, the caller also gets the booking page's link
            // by text message after this call.
            (AfterHours::Redirect, _) => Fallback::goodbye([CLOSED.to_owned(), book_online(booking_url)]),
            (AfterHours::Transfer, Some(number)) => Fallback {
                say: vec![CLOSED.into(), TRANSFERRING.into()],
                then: Then::Transfer {
                    number: number.clone(),
                    caller_id: agent.phone_number.clone(),
                    ring_secs: TRANSFER_RING_SECS,
                },
            },
            (AfterHours::Voicemail | AfterHours::Transfer, _) => Fallback {
                say: vec![CLOSED.into(), LEAVE_A_MESSAGE.into()],
                then: Then::Voicemail {
                    max_secs: VOICEMAIL_MAX_SECS,
                    if_silent: NO_MESSAGE.into(),
                },
            },
        }
    }

    /// The account's minute pool is used up: the assistant is unavailable, where to book
    /// online, then the call ends.
    pub fn out_of_minutes(booking_url: Option<&str>) -> Self {
        Fallback::goodbye([ASSISTANT_UNAVAILABLE.to_owned(), book_online(booking_url)])
    }

    /// `apology`, then the line's own fallback.
    fn instead_of_agent(agent: Option<&Agent>, apology: String) -> Self {
        let Some(agent) = agent else {
            return Fallback::goodbye([apology.as_str(), CALL_AGAIN]);
        };
        match (agent.fallback_mode, &agent.fallback_number) {
            (FallbackMode::Dial, Some(number)) => Fallback {
                say: vec![apology, TRANSFERRING.into()],
                then: Then::Transfer {
                    number: number.clone(),
                    caller_id: agent.phone_number.clone(),
                    ring_secs: TRANSFER_RING_SECS,
                },
            },
            (FallbackMode::Voicemail, _) => Fallback {
                say: vec![apology, LEAVE_A_MESSAGE.into()],
                then: Then::Voicemail {
                    max_secs: VOICEMAIL_MAX_SECS,
                    if_silent: NO_MESSAGE.into(),
                },
            },
            _ => Fallback::goodbye([apology.as_str(), CALL_AGAIN]),
        }
    }
}

/// Where to book online: the account's booking page, or its website when it has none.
fn book_online(booking_url: Option<&str>) -> String {
    match booking_url {
        Some(url) => format!("You can book an appointment online at {url}. Goodbye."),
        None => BOOK_ON_OUR_WEBSITE.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telephony::fixtures::agent;

    #[test]
    fn each_mode_apologises_then_does_what_the_line_is_set_up_for() {
        let config = CallConfig::default();
        let voicemail = Fallback::for_agent(Some(&agent(FallbackMode::Voicemail, None)), &config);
        assert_eq!(voicemail.say[0], config.apology);
        assert!(matches!(voicemail.then, Then::Voicemail { max_secs: 120, .. }));

        let dial = Fallback::for_agent(Some(&agent(FallbackMode::Dial, Some("+15550100002"))), &config);
        assert_eq!(
            dial.then,
            Then::Transfer {
                number: "+15550100002".into(),
                caller_id: Some("+15550100001".into()),
                ring_secs: 20,
            }
        );

        let message = Fallback::for_agent(Some(&agent(FallbackMode::Message, None)), &config);
        assert_eq!(message.then, Then::HangUp);
        assert_eq!(message.say, [config.apology.as_str(), CALL_AGAIN]);
    }

    #[test]
    fn a_call_over_capacity_hears_the_line_is_busy_then_gets_the_lines_fallback() {
        let config = CallConfig::default();
        let voicemail = Fallback::at_capacity(&agent(FallbackMode::Voicemail, None), &config);
        assert_eq!(voicemail.say, [config.busy.as_str(), LEAVE_A_MESSAGE]);
        assert!(matches!(voicemail.then, Then::Voicemail { .. }));
        let message = Fallback::at_capacity(&agent(FallbackMode::Message, None), &config);
        assert_eq!(message.say, [config.busy.as_str(), CALL_AGAIN]);
        assert_eq!(message.then, Then::HangUp);
    }

    #[test]
    fn a_dial_without_a_number_or_an_unknown_agent_says_goodbye() {
        let config = CallConfig::default();
        let dial = Fallback::for_agent(Some(&agent(FallbackMode::Dial, None)), &config);
        assert_eq!(dial.then, Then::HangUp);
        assert_eq!(Fallback::for_agent(None, &config).then, Then::HangUp);
    }

    #[test]
    fn after_hours_each_behavior_says_what_it_does() {
        let voicemail_line = agent(FallbackMode::Voicemail, None);
        let voicemail = Fallback::after_hours(AfterHours::Voicemail, Some("Hi"), &voicemail_line, None);
        assert_eq!(voicemail.say, [CLOSED, LEAVE_A_MESSAGE]);
        assert!(matches!(voicemail.then, Then::Voicemail { max_secs: 120, .. }));

        let message = Fallback::after_hours(
            AfterHours::Message,
            Some("We open at nine."),
            &voicemail_line,
            None,
        );
        assert_eq!(message, Fallback::goodbye(["We open at nine."]));
        let default = Fallback::after_hours(AfterHours::Message, None, &voicemail_line, None);
        assert_eq!(default, Fallback::goodbye([CLOSED, CLOSED_CALL_AGAIN]));

        let redirect = Fallback::after_hours(
            AfterHours::Redirect,
            None,
            &voicemail_line,
            Some("https://book.example/harbor"),
        );
        assert_eq!(redirect.then, Then::HangUp);
        assert!(
            redirect.say[1].contains("https://book.example/harbor"),
            "{redirect:?}"
        );
        let no_page = Fallback::after_hours(AfterHours::Redirect, None, &voicemail_line, None);
        assert_eq!(no_page.say, [CLOSED, BOOK_ON_OUR_WEBSITE]);

        let escalation = agent(FallbackMode::Voicemail, Some("+15550100009"));
        let transfer = Fallback::after_hours(AfterHours::Transfer, None, &escalation, None);
        assert_eq!(
            transfer.then,
            Then::Transfer {
                number: "+15550100009".into(),
                caller_id: Some("+15550100001".into()),
                ring_secs: 20,
            }
        );
        let nobody = Fallback::after_hours(AfterHours::Transfer, None, &voicemail_line, None);
        assert_eq!(nobody, voicemail, "no escalation number: a voicemail");
    }

    #[test]
    fn out_of_minutes_says_the_assistant_is_unavailable_and_where_to_book() {
        let with_page = Fallback::out_of_minutes(Some("https://book.example/harbor"));
        assert_eq!(with_page.say[0], ASSISTANT_UNAVAILABLE);
        assert!(with_page.say[1].contains("https://book.example/harbor"));
        assert_eq!(with_page.then, Then::HangUp);
        assert_eq!(
            Fallback::out_of_minutes(None).say,
            [ASSISTANT_UNAVAILABLE, BOOK_ON_OUR_WEBSITE]
        );
    }
}
