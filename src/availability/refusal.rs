//! Why a requested start time cannot be booked, as a typed reason whose `Display` is a
//! sentence a voice agent can read to the caller as it stands.

use jiff::SignedDuration;

/// The reason a requested start was refused. The variants are in the order the checks run,
/// so a request that breaks several rules gets the first reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The event type is switched off.
    #[error("Sorry, that type of meeting isn't available to book right now.")]
    Inactive,
    /// The start is before `now`.
    #[error("That time has already passed.")]
    InThePast,
    /// The start is sooner than the event type's minimum notice.
    #[error("That's too soon — we need at least {} notice.", notice_phrase(*.notice))]
    TooSoon { notice: SignedDuration },
    /// The start is past the last bookable host-local day.
    #[error("That's too far ahead — {}.", days_ahead_phrase(*.max_days_ahead))]
    TooFarAhead { max_days_ahead: u32 },
    /// The clocks skip that local time (spring forward), so it does not exist that day.
    #[error("That time doesn't exist that day because the clocks go forward — please pick another time.")]
    NonexistentLocalTime,
    /// The clocks show that local time twice (fall back), so it is not clear which is meant.
    #[error("That time happens twice that day because the clocks go back — please pick another time.")]
    AmbiguousLocalTime,
    /// The host has no opening hours at all on that host-local day.
    #[error("We're closed that day.")]
    ClosedThatDay,
    /// The start is outside every opening range of that day.
    #[error("That time is outside our opening hours.")]
    OutsideOpeningHours,
    /// The start is a valid start time but the meeting would end after closing.
    #[error("That meeting wouldn't finish before we close.")]
    RunsPastClosing,
    /// The start is within opening hours but not one of the times meetings start at.
    #[error("Meetings don't start at that exact time — please pick one of the offered times.")]
    NotAStartTime,
    /// The event type's per-day limit is reached on that host-local day.
    #[error("We're fully booked that day.")]
    DayFullyBooked,
    /// The meeting or its buffers would collide with an existing booking.
    #[error("That time was just taken.")]
    Taken,
}

/// "2 hours'", "1 hour's", "90 minutes'", "3 days'": a duration of whole minutes as the
/// possessive used before "notice".
fn notice_phrase(notice: SignedDuration) -> String {
    let minutes = notice.as_secs() / 60;
    let (count, unit) = if minutes >= 2 * 24 * 60 && minutes % (24 * 60) == 0 {
        (minutes / (24 * 60), "day")
    } else if minutes >= 60 && minutes % 60 == 0 {
        (minutes / 60, "hour")
    } else {
        (minutes, "minute")
    };
    if count == 1 {
        format!("1 {unit}'s")
    } else {
        format!("{count} {unit}s'")
    }
}

fn days_ahead_phrase(max_days_ahead: u32) -> String {
    match max_days_ahead {
        0 => "we only take bookings for today".to_string(),
        1 => "we only take bookings up to 1 day in advance".to_string(),
        days => format!("we only take bookings up to {days} days in advance"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_reads_as_a_sentence() {
        let all = [
            Refusal::Inactive,
            Refusal::InThePast,
            Refusal::TooSoon {
                notice: SignedDuration::from_hours(2),
            },
            Refusal::TooFarAhead { max_days_ahead: 60 },
            Refusal::NonexistentLocalTime,
            Refusal::AmbiguousLocalTime,
            Refusal::ClosedThatDay,
            Refusal::OutsideOpeningHours,
            Refusal::RunsPastClosing,
            Refusal::NotAStartTime,
            Refusal::DayFullyBooked,
            Refusal::Taken,
        ];
        for refusal in all {
            let sentence = refusal.to_string();
            assert!(
                sentence.starts_with(|c: char| c.is_ascii_uppercase()),
                "{sentence}"
            );
            assert!(sentence.ends_with('.'), "{sentence}");
        }
    }

    #[test]
    fn notice_is_spoken_in_the_largest_whole_unit() {
        let too_soon = |minutes| {
            Refusal::TooSoon {
                notice: SignedDuration::from_mins(minutes),
            }
            .to_string()
        };
        assert_eq!(
            too_soon(120),
            "That's too soon — we need at least 2 hours' notice."
        );
        assert_eq!(
            too_soon(60),
            "That's too soon — we need at least 1 hour's notice."
        );
        assert_eq!(
            too_soon(90),
            "That's too soon — we need at least 90 minutes' notice."
        );
        assert_eq!(
            too_soon(1),
            "That's too soon — we need at least 1 minute's notice."
        );
        assert_eq!(
            too_soon(24 * 60),
            "That's too soon — we need at least 24 hours' notice."
        );
        assert_eq!(
            too_soon(3 * 24 * 60),
            "That's too soon — we need at least 3 days' notice."
        );
    }

    #[test]
    fn days_ahead_reads_naturally() {
        let too_far = |days| Refusal::TooFarAhead { max_days_ahead: days }.to_string();
        assert_eq!(
            too_far(60),
            "That's too far ahead — we only take bookings up to 60 days in advance."
        );
        assert_eq!(
            too_far(1),
            "That's too far ahead — we only take bookings up to 1 day in advance."
        );
        assert_eq!(
            too_far(0),
            "That's too far ahead — we only take bookings for today."
        );
    }

    #[test]
    fn the_common_refusals_say_what_happened() {
        assert_eq!(
            Refusal::OutsideOpeningHours.to_string(),
            "That time is outside our opening hours."
        );
        assert_eq!(Refusal::Taken.to_string(), "That time was just taken.");
    }
}
