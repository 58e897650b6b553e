//! Event types: the kinds of meeting a host offers (a 30-minute consultation, a 1-hour
//! review, …) and the rules that shape their slots, with validation of a definition.

use jiff::SignedDuration;

/// The longest meeting, buffer or slot interval a definition may ask for. Longer values are
/// almost certainly a unit mistake (hours entered as minutes) and would make a single slot
/// swallow several days of opening hours.
pub const MAX_SPAN: SignedDuration = SignedDuration::from_hours(24);

/// The longest minimum notice accepted (one year).
pub const MAX_NOTICE: SignedDuration = SignedDuration::from_hours(24 * 365);

/// The furthest ahead, in days, an event type may take bookings (two years).
pub const MAX_DAYS_AHEAD: u32 = 730;

/// The longest slug accepted; slugs end up in URLs and tool arguments.
pub const MAX_SLUG_LEN: usize = 64;

/// A kind of meeting and the rules for booking it.
///
/// Every duration is whole minutes (see [`EventType::validate`]). Build one with
/// [`EventType::new`] and adjust the public fields; the availability engine validates the
/// definition before using it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventType {
    /// Stable identifier, unique per account: lowercase ASCII letters, digits and single
    /// hyphens (`"intro-call"`). Existing bookings name their event type by this slug.
    pub slug: String,
    /// What the meeting is called when spoken to a caller ("Initial consultation").
    pub name: String,
    /// Free text describing the meeting; may be empty.
    pub description: String,
    /// How long the meeting lasts, in real elapsed time.
    pub duration: SignedDuration,
    /// An inactive event type offers no slots and refuses every booking.
    pub active: bool,
    /// A secret event type is never offered by a voice agent. The engine only carries the
    /// flag: the tool layer must neither list it nor book it on request.
    pub secret: bool,
    /// Free time the host needs before the meeting; it must not overlap another booking's
    /// time or buffers.
    pub buffer_before: SignedDuration,
    /// Free time the host needs after the meeting; same rule as `buffer_before`.
    pub buffer_after: SignedDuration,
    /// A slot must start at least this long after `now`.
    pub minimum_notice: SignedDuration,
    /// Spacing of candidate start times within an opening range, independent of the
    /// duration. `None` means "the same as the duration".
    pub slot_interval: Option<SignedDuration>,
    /// The last bookable day is the host-local date of `now` plus this many days
    /// (0 = today only).
    pub max_days_ahead: u32,
    /// At most this many bookings of this event type may start on one host-local date.
    pub per_day_limit: Option<u32>,
}

/// Why an event type definition was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventTypeError {
    #[error("slug {0:?} is invalid: use 1 to {MAX_SLUG_LEN} lowercase letters, digits and single hyphens")]
    InvalidSlug(String),
    #[error("the name must not be empty")]
    EmptyName,
    #[error("{field} must be a whole number of minutes, got {value:#}")]
    NotWholeMinutes {
        field: &'static str,
        value: SignedDuration,
    },
    #[error("{field} must be between {min:#} and {max:#}, got {value:#}")]
    OutOfRange {
        field: &'static str,
        value: SignedDuration,
        min: SignedDuration,
        max: SignedDuration,
    },
    #[error("max_days_ahead must be at most {MAX_DAYS_AHEAD}, got {0}")]
    TooManyDaysAhead(u32),
    #[error("per_day_limit must be at least 1 when set")]
    ZeroPerDayLimit,
}

impl EventType {
    /// An active, non-secret event type with no buffers, no notice, the slot interval equal
    /// to the duration, bookable 60 days ahead and no per-day limit.
    pub fn new(slug: impl Into<String>, name: impl Into<String>, duration: SignedDuration) -> Self {
        EventType {
            slug: slug.into(),
            name: name.into(),
            description: String::new(),
            duration,
            active: true,
            secret: false,
            buffer_before: SignedDuration::ZERO,
            buffer_after: SignedDuration::ZERO,
            minimum_notice: SignedDuration::ZERO,
            slot_interval: None,
            max_days_ahead: 60,
            per_day_limit: None,
        }
    }

    /// The spacing of candidate start times actually used: `slot_interval`, or the duration
    /// when unset.
    pub fn effective_slot_interval(&self) -> SignedDuration {
        self.slot_interval.unwrap_or(self.duration)
    }

    /// Checks that the definition is usable: a valid slug and name, every duration whole
    /// minutes, the duration and interval in 1 minute ..= 24 hours, buffers in
    /// 0 ..= 24 hours, notice in 0 ..= 365 days, `max_days_ahead` ≤ 730 and a per-day limit
    /// of at least one.
    pub fn validate(&self) -> Result<(), EventTypeError> {
        if !is_valid_slug(&self.slug) {
            return Err(EventTypeError::InvalidSlug(self.slug.clone()));
        }
        if self.name.trim().is_empty() {
            return Err(EventTypeError::EmptyName);
        }
        let one_minute = SignedDuration::from_mins(1);
        check_minutes("duration", self.duration, one_minute, MAX_SPAN)?;
        check_minutes(
            "buffer_before",
            self.buffer_before,
            SignedDuration::ZERO,
            MAX_SPAN,
        )?;
        check_minutes("buffer_after", self.buffer_after, SignedDuration::ZERO, MAX_SPAN)?;
        check_minutes(
            "minimum_notice",
            self.minimum_notice,
            SignedDuration::ZERO,
            MAX_NOTICE,
        )?;
        if let Some(interval) = self.slot_interval {
            check_minutes("slot_interval", interval, one_minute, MAX_SPAN)?;
        }
        if self.max_days_ahead > MAX_DAYS_AHEAD {
            return Err(EventTypeError::TooManyDaysAhead(self.max_days_ahead));
        }
        if self.per_day_limit == Some(0) {
            return Err(EventTypeError::ZeroPerDayLimit);
        }
        Ok(())
    }
}

fn check_minutes(
    field: &'static str,
    value: SignedDuration,
    min: SignedDuration,
    max: SignedDuration,
) -> Result<(), EventTypeError> {
    if value < min || value > max {
        return Err(EventTypeError::OutOfRange {
            field,
            value,
            min,
            max,
        });
    }
    if value.as_secs() % 60 != 0 || value.subsec_nanos() != 0 {
        return Err(EventTypeError::NotWholeMinutes { field, value });
    }
    Ok(())
}

fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= MAX_SLUG_LEN
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> EventType {
        let mut event = EventType::new("intro-call", "Intro call", SignedDuration::from_mins(30));
        event.buffer_before = SignedDuration::from_mins(10);
        event.buffer_after = SignedDuration::from_mins(5);
        event.minimum_notice = SignedDuration::from_hours(2);
        event.slot_interval = Some(SignedDuration::from_mins(15));
        event.per_day_limit = Some(4);
        event
    }

    #[test]
    fn a_sensible_definition_validates() {
        assert_eq!(valid().validate(), Ok(()));
    }

    #[test]
    fn interval_defaults_to_the_duration() {
        let mut event = valid();
        assert_eq!(event.effective_slot_interval(), SignedDuration::from_mins(15));
        event.slot_interval = None;
        assert_eq!(event.effective_slot_interval(), SignedDuration::from_mins(30));
    }

    #[test]
    fn slugs_are_lowercase_words_joined_by_single_hyphens() {
        for bad in [
            "",
            "-intro",
            "intro-",
            "intro--call",
            "Intro",
            "intro call",
            "intro_call",
            "é",
        ] {
            let mut event = valid();
            event.slug = bad.to_string();
            assert_eq!(
                event.validate(),
                Err(EventTypeError::InvalidSlug(bad.to_string())),
                "{bad:?}"
            );
        }
        let mut event = valid();
        event.slug = "a".repeat(MAX_SLUG_LEN + 1);
        assert!(matches!(event.validate(), Err(EventTypeError::InvalidSlug(_))));
        event.slug = "30-min-intro".to_string();
        assert_eq!(event.validate(), Ok(()));
    }

    #[test]
    fn blank_names_are_rejected() {
        let mut event = valid();
        event.name = "  ".to_string();
        assert_eq!(event.validate(), Err(EventTypeError::EmptyName));
    }

    #[test]
    fn duration_must_be_positive_whole_minutes_up_to_a_day() {
        for (duration, field_error) in [
            (SignedDuration::ZERO, "OutOfRange"),
            (SignedDuration::from_mins(-30), "OutOfRange"),
            (SignedDuration::from_hours(25), "OutOfRange"),
            (SignedDuration::from_secs(90), "NotWholeMinutes"),
        ] {
            let mut event = valid();
            event.duration = duration;
            let error = event.validate().unwrap_err();
            assert!(
                format!("{error:?}").starts_with(field_error),
                "{duration:?}: {error:?}"
            );
            assert!(error.to_string().starts_with("duration must be"), "{error}");
        }
    }

    #[test]
    fn buffers_notice_and_interval_have_bounds() {
        let mut event = valid();
        event.buffer_before = SignedDuration::from_mins(-1);
        assert!(matches!(
            event.validate(),
            Err(EventTypeError::OutOfRange {
                field: "buffer_before",
                ..
            })
        ));

        let mut event = valid();
        event.buffer_after = SignedDuration::from_hours(30);
        assert!(matches!(
            event.validate(),
            Err(EventTypeError::OutOfRange {
                field: "buffer_after",
                ..
            })
        ));

        let mut event = valid();
        event.minimum_notice = SignedDuration::from_hours(24 * 400);
        assert!(matches!(
            event.validate(),
            Err(EventTypeError::OutOfRange {
                field: "minimum_notice",
                ..
            })
        ));

        let mut event = valid();
        event.slot_interval = Some(SignedDuration::ZERO);
        assert!(matches!(
            event.validate(),
            Err(EventTypeError::OutOfRange {
                field: "slot_interval",
                ..
            })
        ));

        let mut event = valid();
        event.slot_interval = Some(SignedDuration::from_secs(450));
        assert!(matches!(
            event.validate(),
            Err(EventTypeError::NotWholeMinutes {
                field: "slot_interval",
                ..
            })
        ));
    }

    #[test]
    fn day_bounds_are_checked() {
        let mut event = valid();
        event.max_days_ahead = MAX_DAYS_AHEAD + 1;
        assert_eq!(
            event.validate(),
            Err(EventTypeError::TooManyDaysAhead(MAX_DAYS_AHEAD + 1))
        );
        event.max_days_ahead = 0;
        assert_eq!(event.validate(), Ok(()));
        event.per_day_limit = Some(0);
        assert_eq!(event.validate(), Err(EventTypeError::ZeroPerDayLimit));
    }
}
