//! A number's menu as rules: what the caller hears, and which choice their key or words pick.
//! Pure: the [`Reception`](super::Reception) reads the menu and the caller's input, asks
//! here, and acts on the [`Step`].
//!
//! The caller hears the prompt and each choice ("For sales, press 1 or say sales."). A key
//! picks the choice with that digit; words pick the choice whose label or one of whose
//! keywords they contain (whole words, any case), or whose digit they say ("two", "option 2").
//! Saying nothing repeats the menu once; saying nothing again sends the caller to the default,
//! the menu's first choice (its lowest digit). A key or words that match no choice (or match
//! several) repeat the menu with an apology; the third such miss goes to the default too, so
//! no caller is kept in the menu for ever.

use crate::store::{MenuChoice, NumberMenu};

/// How many times in a row the caller may say nothing before the default is taken: the menu
/// is played once, then repeated once.
pub const MAX_SILENCES: u8 = 2;
/// How many choices that match nothing the caller may make before the default is taken.
pub const MAX_MISSES: u8 = 3;
/// Said before the menu is repeated after a choice that matched nothing.
pub const SORRY: &str = "Sorry, that is not one of the choices.";

/// Where a caller is in the menu: carried in the menu's action URL from one answer to the next.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempt {
    /// Times in a row the caller said nothing.
    pub silences: u8,
    /// Choices that matched nothing.
    pub misses: u8,
}

/// What the caller gave after hearing the menu: Twilio's `Digits` and `SpeechResult`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MenuInput<'a> {
    pub digits: Option<&'a str>,
    pub speech: Option<&'a str>,
}

/// What happens next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<'m> {
    /// Say the menu (again) and listen; `sorry` when the last choice matched nothing.
    Ask { attempt: Attempt, sorry: bool },
    /// Send the caller to this choice; `by_default` when they did not pick it.
    Go {
        choice: &'m MenuChoice,
        by_default: bool,
    },
}

/// The step after the caller's `input`, at `attempt`.
pub fn step<'m>(menu: &'m NumberMenu, input: MenuInput<'_>, attempt: Attempt) -> Step<'m> {
    let digits = input.digits.map(str::trim).filter(|d| !d.is_empty());
    let speech = input.speech.map(str::trim).filter(|s| !s.is_empty());
    let picked = match (digits, speech) {
        (None, None) => {
            let silences = attempt.silences.saturating_add(1);
            if silences >= MAX_SILENCES {
                return by_default(
                    menu,
                    Step::Ask {
                        attempt,
                        sorry: false,
                    },
                );
            }
            return Step::Ask {
                attempt: Attempt { silences, ..attempt },
                sorry: false,
            };
        }
        (Some(digits), _) => by_digits(menu, digits),
        (None, Some(speech)) => by_speech(menu, speech),
    };
    match picked {
        Some(choice) => Step::Go {
            choice,
            by_default: false,
        },
        None => {
            let attempt = Attempt {
                silences: 0,
                misses: attempt.misses.saturating_add(1),
            };
            let again = Step::Ask { attempt, sorry: true };
            if attempt.misses >= MAX_MISSES {
                by_default(menu, again)
            } else {
                again
            }
        }
    }
}

/// The default choice, or `otherwise` for a menu without choices (which the store refuses).
fn by_default<'m>(menu: &'m NumberMenu, otherwise: Step<'m>) -> Step<'m> {
    match default_choice(menu) {
        Some(choice) => Step::Go {
            choice,
            by_default: true,
        },
        None => otherwise,
    }
}

/// Where a caller who does not choose is sent: the first choice.
pub fn default_choice(menu: &NumberMenu) -> Option<&MenuChoice> {
    menu.choices.iter().min_by_key(|choice| choice.digit)
}

fn by_digits<'m>(menu: &'m NumberMenu, digits: &str) -> Option<&'m MenuChoice> {
    let digit: u8 = digits.parse().ok()?;
    menu.choices.iter().find(|choice| choice.digit == digit)
}

/// The one choice the words name; `None` when they name none or several.
fn by_speech<'m>(menu: &'m NumberMenu, speech: &str) -> Option<&'m MenuChoice> {
    let said = words(speech);
    let named: Vec<&MenuChoice> = menu
        .choices
        .iter()
        .filter(|choice| {
            std::iter::once(&choice.label)
                .chain(&choice.keywords)
                .any(|phrase| contains_phrase(&said, &words(phrase)))
        })
        .collect();
    match named.as_slice() {
        [one] => Some(one),
        [] => {
            let spoken: Vec<u8> = said.iter().filter_map(|word| spoken_digit(word)).collect();
            match spoken.as_slice() {
                [digit] => menu.choices.iter().find(|choice| choice.digit == *digit),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Lower-case words: letters and digits, everything else a separator.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

fn contains_phrase(said: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && said.windows(phrase.len()).any(|window| window == phrase)
}

fn spoken_digit(word: &str) -> Option<u8> {
    const NAMES: [&str; 9] = [
        "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    if let Some(index) = NAMES.iter().position(|name| *name == word) {
        return u8::try_from(index + 1).ok();
    }
    match word.parse::<u8>() {
        Ok(digit @ 1..=9) => Some(digit),
        _ => None,
    }
}

/// What the caller hears: the prompt, then each choice; after a miss, the apology first.
pub fn sentences(menu: &NumberMenu, sorry: bool) -> Vec<String> {
    let mut said = Vec::with_capacity(menu.choices.len() + 2);
    if sorry {
        said.push(SORRY.to_owned());
    }
    said.push(menu.prompt.clone());
    for choice in &menu.choices {
        said.push(format!(
            "For {label}, press {digit} or say {label}.",
            label = choice.label,
            digit = choice.digit
        ));
    }
    said
}

/// The words Twilio's speech recognition is told to expect: every label and keyword.
pub fn speech_hints(menu: &NumberMenu) -> String {
    menu.choices
        .iter()
        .flat_map(|choice| std::iter::once(&choice.label).chain(&choice.keywords))
        .map(|phrase| phrase.replace(',', " "))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Said to a caller being sent to a choice.
pub fn connecting(choice: &MenuChoice) -> String {
    format!("Connecting you to {}.", choice.label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AccountId, AgentId, MenuTarget};

    fn choice(digit: u8, label: &str, keywords: &[&str], target: MenuTarget) -> MenuChoice {
        MenuChoice {
            digit,
            label: label.into(),
            keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
            target,
        }
    }

    fn menu() -> NumberMenu {
        NumberMenu {
            phone_number: "+15550100900".into(),
            account_id: AccountId::from("acc"),
            prompt: "Thanks for calling Harbor Dental.".into(),
            choices: vec![
                choice(
                    1,
                    "appointments",
                    &["booking", "book a visit"],
                    MenuTarget::Agent(AgentId::from("ava")),
                ),
                choice(
                    2,
                    "billing",
                    &["invoice", "pay"],
                    MenuTarget::Agent(AgentId::from("bea")),
                ),
                choice(
                    5,
                    "a person",
                    &["front desk"],
                    MenuTarget::Person("+15550100777".into()),
                ),
            ],
            created_at: jiff::Timestamp::UNIX_EPOCH,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    fn digits(d: &str) -> MenuInput<'_> {
        MenuInput {
            digits: Some(d),
            speech: None,
        }
    }

    fn speech(s: &str) -> MenuInput<'_> {
        MenuInput {
            digits: None,
            speech: Some(s),
        }
    }

    fn went_to(step: Step<'_>) -> (u8, bool) {
        match step {
            Step::Go { choice, by_default } => (choice.digit, by_default),
            other => panic!("not a choice: {other:?}"),
        }
    }

    #[test]
    fn a_key_picks_the_choice_with_its_digit() {
        let menu = menu();
        for (key, digit) in [("1", 1), ("2", 2), ("5", 5), (" 2 ", 2)] {
            assert_eq!(
                went_to(step(&menu, digits(key), Attempt::default())),
                (digit, false)
            );
        }
    }

    #[test]
    fn words_pick_the_choice_they_name_or_whose_digit_they_say() {
        let menu = menu();
        for (said, digit) in [
            ("Billing.", 2),
            ("I'd like to pay my INVOICE", 2),
            ("I want to book a visit", 1),
            ("can I talk to the front desk please", 5),
            ("Two.", 2),
            ("option 5", 5),
        ] {
            assert_eq!(
                went_to(step(&menu, speech(said), Attempt::default())),
                (digit, false),
                "{said}"
            );
        }
    }

    #[test]
    fn a_phrase_counts_only_as_whole_words() {
        let menu = menu();
        // "payment" is not "pay"; "bookings" is not "booking".
        for said in ["payment", "bookings please"] {
            assert_eq!(
                step(&menu, speech(said), Attempt::default()),
                Step::Ask {
                    attempt: Attempt {
                        silences: 0,
                        misses: 1
                    },
                    sorry: true
                },
                "{said}"
            );
        }
    }

    #[test]
    fn a_key_or_words_that_match_nothing_or_several_repeat_with_an_apology() {
        let menu = menu();
        for input in [
            digits("3"),
            digits("#"),
            digits("0"),
            digits("12"),
            speech("billing or booking"),
            speech("one or two"),
        ] {
            assert_eq!(
                step(&menu, input, Attempt::default()),
                Step::Ask {
                    attempt: Attempt {
                        silences: 0,
                        misses: 1
                    },
                    sorry: true
                },
                "{input:?}"
            );
        }
    }

    #[test]
    fn silence_repeats_the_menu_once_then_takes_the_default() {
        let menu = menu();
        let first = step(&menu, MenuInput::default(), Attempt::default());
        let Step::Ask {
            attempt,
            sorry: false,
        } = first
        else {
            panic!("{first:?}");
        };
        assert_eq!(
            attempt,
            Attempt {
                silences: 1,
                misses: 0
            }
        );
        let blank = MenuInput {
            digits: Some(""),
            speech: Some("  "),
        };
        assert_eq!(went_to(step(&menu, blank, attempt)), (1, true));
    }

    #[test]
    fn a_miss_starts_the_silences_over() {
        let menu = menu();
        let after_miss = Attempt {
            silences: 0,
            misses: 1,
        };
        assert_eq!(
            step(
                &menu,
                digits("9"),
                Attempt {
                    silences: 1,
                    misses: 0
                }
            ),
            Step::Ask {
                attempt: after_miss,
                sorry: true
            }
        );
        assert!(matches!(
            step(&menu, MenuInput::default(), after_miss),
            Step::Ask { sorry: false, .. }
        ));
    }

    #[test]
    fn the_third_miss_takes_the_default() {
        let menu = menu();
        let attempt = Attempt {
            silences: 0,
            misses: MAX_MISSES - 1,
        };
        assert_eq!(went_to(step(&menu, digits("7"), attempt)), (1, true));
        // A real choice still wins at the last try.
        assert_eq!(went_to(step(&menu, digits("2"), attempt)), (2, false));
    }

    #[test]
    fn the_default_is_the_lowest_digit_whatever_the_order() {
        let mut menu = menu();
        menu.choices.reverse();
        assert_eq!(default_choice(&menu).map(|c| c.digit), Some(1));
    }

    #[test]
    fn the_caller_hears_the_prompt_and_every_choice() {
        let menu = menu();
        assert_eq!(
            sentences(&menu, false),
            [
                "Thanks for calling Harbor Dental.",
                "For appointments, press 1 or say appointments.",
                "For billing, press 2 or say billing.",
                "For a person, press 5 or say a person.",
            ]
        );
        assert_eq!(sentences(&menu, true)[0], SORRY);
        assert_eq!(
            speech_hints(&menu),
            "appointments, booking, book a visit, billing, invoice, pay, a person, front desk"
        );
    }
}
