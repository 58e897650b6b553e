//! What the agent says when a booking use case refuses or fails: each [`BookingError`] as the
//! [`ToolError`] sentence for the caller. A refused time is said with the next free times on
//! the caller's clock: "That time was just taken; the next free times are 9:30 AM and 10:00 AM."

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::availability::Refusal;
use crate::booking::{ALTERNATIVE_DAYS, BookingError};
use crate::store::EventType;

use super::error::ToolError;
use super::view;

/// A change the caller asked for, as a refusal names it ("… so it can't be moved").
#[derive(Debug, Clone, Copy)]
pub(crate) enum Change {
    Move,
    Cancel,
}

impl From<BookingError> for ToolError {
    fn from(error: BookingError) -> Self {
        match error {
            BookingError::Refused {
                refusal,
                alternatives,
                requested,
                timezone,
            } => ToolError::Refused(refused(refusal, &alternatives, requested, &timezone)),
            BookingError::NotOffered { named, offered } => ToolError::NotFound(not_offered(&named, &offered)),
            BookingError::MoveNotOffered => ToolError::Refused(
                "I can't move that kind of appointment myself; someone from the team will need to help."
                    .into(),
            ),
            BookingError::NotFound { reference } => ToolError::NotFound(format!(
                "I can't find a booking with the reference {reference}. Could you read it to me again?"
            )),
            BookingError::AlreadyMoved => ToolError::Refused(
                "That booking was already moved to another time, so it has a new reference now.".into(),
            ),
            BookingError::AlreadyCancelled => {
                ToolError::Refused("That booking was cancelled; I can make a new booking instead.".into())
            }
            BookingError::AlreadyStarted => already_started("changed"),
            BookingError::ChangedMeanwhile => ToolError::Refused(
                "That booking was just changed or cancelled; please look it up again.".into(),
            ),
            BookingError::UnknownTimezone { name } => {
                ToolError::BadInput(match crate::timezone::suggestion(&name) {
                    Some(meant) => format!(
                        "\"{name}\" is not an IANA timezone name; please use one like \"{meant}\", which is probably meant."
                    ),
                    None => format!(
                        "I don't recognise the timezone \"{name}\"; please give an IANA name like America/New_York."
                    ),
                })
            }
            BookingError::DateOutOfRange => ToolError::bad_input("That date is out of range."),
            BookingError::Store(error) => ToolError::Store(error),
            BookingError::Internal(detail) => ToolError::Internal(detail),
        }
    }
}

/// Like `ToolError::from`, naming `change` when the appointment has already started.
pub(crate) fn refusing(change: Change, error: BookingError) -> ToolError {
    match error {
        BookingError::AlreadyStarted => already_started(match change {
            Change::Move => "moved",
            Change::Cancel => "cancelled",
        }),
        other => other.into(),
    }
}

fn already_started(past_participle: &str) -> ToolError {
    ToolError::Refused(format!(
        "That appointment has already started or taken place, so it can't be {past_participle}."
    ))
}

/// The refusal, then what can be booked instead, on the caller's clock; a time on the
/// requested date is said without its date.
fn refused(
    refusal: Refusal,
    alternatives: &[Timestamp],
    requested: Timestamp,
    timezone: &TimeZone,
) -> String {
    let reason = refusal.to_string();
    if refusal == Refusal::Inactive {
        return reason;
    }
    if alternatives.is_empty() {
        return format!("{reason} I don't see any free times in the following {ALTERNATIVE_DAYS} days.");
    }
    let times = view::times_phrase(alternatives, timezone, requested);
    let reason = reason.strip_suffix('.').unwrap_or(&reason);
    if alternatives.len() == 1 {
        format!("{reason}; the next free time is {times}.")
    } else {
        format!("{reason}; the next free times are {times}.")
    }
}

fn not_offered(named: &str, offered: &[EventType]) -> String {
    if offered.is_empty() {
        format!("I can't book \"{named}\"; there are no meeting types to book on this line.")
    } else {
        let options: Vec<String> = offered
            .iter()
            .map(|event_type| format!("{} ({})", event_type.name, event_type.slug))
            .collect();
        format!(
            "I don't have a meeting type called \"{named}\". I can book: {}.",
            options.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testing::event_type;

    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn new_york() -> TimeZone {
        TimeZone::get("America/New_York").unwrap()
    }

    fn refused_with(refusal: Refusal, alternatives: &[&str]) -> String {
        let error = BookingError::Refused {
            refusal,
            alternatives: alternatives.iter().map(|text| at(text)).collect(),
            requested: at("2026-02-10T15:00:00Z"),
            timezone: new_york(),
        };
        ToolError::from(error).sentence()
    }

    #[test]
    fn a_refusal_offers_the_alternatives_on_the_callers_clock() {
        assert_eq!(
            refused_with(Refusal::Taken, &["2026-02-10T15:45:00Z", "2026-02-10T16:00:00Z"]),
            "That time was just taken; the next free times are 10:45 AM and 11:00 AM."
        );
        assert_eq!(
            refused_with(Refusal::Taken, &["2026-02-11T13:00:00Z"]),
            "That time was just taken; the next free time is Wednesday, February 11 at 8:00 AM."
        );
        assert_eq!(
            refused_with(Refusal::ClosedThatDay, &[]),
            "We're closed that day. I don't see any free times in the following 7 days."
        );
        assert_eq!(
            refused_with(Refusal::Inactive, &[]),
            "Sorry, that type of meeting isn't available to book right now."
        );
    }

    #[test]
    fn a_meeting_type_not_offered_is_answered_with_what_is() {
        let offered = vec![
            event_type("cleaning", "Cleaning"),
            event_type("consultation", "Consultation"),
        ];
        let error = BookingError::NotOffered {
            named: "emergency".into(),
            offered,
        };
        let error = ToolError::from(error);
        assert!(matches!(error, ToolError::NotFound(_)));
        assert_eq!(
            error.sentence(),
            "I don't have a meeting type called \"emergency\". I can book: Cleaning (cleaning), Consultation (consultation)."
        );
        let none = ToolError::from(BookingError::NotOffered {
            named: "cleaning".into(),
            offered: Vec::new(),
        });
        assert_eq!(
            none.sentence(),
            "I can't book \"cleaning\"; there are no meeting types to book on this line."
        );
    }

    #[test]
    fn an_appointment_that_started_names_the_change_refused() {
        let said = |change| refusing(change, BookingError::AlreadyStarted).sentence();
        assert_eq!(
            said(Change::Cancel),
            "That appointment has already started or taken place, so it can't be cancelled."
        );
        assert_eq!(
            said(Change::Move),
            "That appointment has already started or taken place, so it can't be moved."
        );
        let other = refusing(Change::Move, BookingError::AlreadyMoved);
        assert!(matches!(other, ToolError::Refused(_)));
    }

    #[test]
    fn storage_and_internal_failures_stay_failures_of_this_system() {
        assert!(ToolError::from(BookingError::Internal("bad weekday".into())).is_internal());
        assert!(matches!(
            ToolError::from(BookingError::UnknownTimezone {
                name: "Mars/Olympus".into()
            }),
            ToolError::BadInput(sentence) if sentence.contains("Mars/Olympus")
        ));
        assert!(matches!(
            ToolError::from(BookingError::UnknownTimezone { name: "EST".into() }),
            ToolError::BadInput(sentence) if sentence.contains("\"America/New_York\", which is probably meant")
        ));
    }
}
