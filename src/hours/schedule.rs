//! The active-hours rule as data: a week of ranges, the zone they are read in, and what a
//! caller hears outside them; parsed and checked from what a client sends.

use jiff::civil::Weekday;
use jiff::tz::TimeZone;

/// The most ranges one schedule may hold (ten a day).
pub const MAX_RANGES: usize = 70;
/// The longest after-hours message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;
/// The days of the week as a client names them, Monday first.
pub const DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// What a caller gets outside active hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterHours {
    /// A voicemail greeting, then a recording.
    Voicemail,
    /// A message (the agent's own, or a default one), then the call ends.
    Message,
    /// The caller is told where to book online (the account's booking page), then the call
    /// ends.
    Redirect,
    /// The call is handed to a person: the agent's escalation number (its fallback number).
    Transfer,
}

impl AfterHours {
    pub const ALL: [AfterHours; 4] = [
        AfterHours::Voicemail,
        AfterHours::Message,
        AfterHours::Redirect,
        AfterHours::Transfer,
    ];

    /// The word a client and the store use.
    pub fn as_str(&self) -> &'static str {
        match self {
            AfterHours::Voicemail => "voicemail",
            AfterHours::Message => "message",
            AfterHours::Redirect => "redirect",
            AfterHours::Transfer => "transfer",
        }
    }

    pub fn parse(word: &str) -> Option<AfterHours> {
        AfterHours::ALL
            .into_iter()
            .find(|behavior| behavior.as_str() == word)
    }
}

/// One range of a day as minutes after local midnight. `end_minute` at or before
/// `start_minute` runs past midnight into the next day; 1440 is midnight at the day's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub day: Weekday,
    pub start_minute: u16,
    pub end_minute: u16,
}

impl DayRange {
    /// Whether the range runs past midnight into the next day.
    pub fn is_overnight(&self) -> bool {
        self.end_minute <= self.start_minute
    }

    fn sort_key(&self) -> (i8, u16, u16) {
        (
            self.day.to_monday_zero_offset(),
            self.start_minute,
            self.end_minute,
        )
    }
}

/// An agent's active hours, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveHours {
    /// When false the agent answers at any time and the schedule is kept for later.
    pub enabled: bool,
    /// The IANA name of `timezone`.
    pub timezone_name: String,
    pub timezone: TimeZone,
    pub after_hours: AfterHours,
    /// What `Message` says (a default sentence when `None`); kept with other behaviors too.
    pub message: Option<String>,
    /// A number kept with the hours (E.164, checked by the caller of `new`); no behavior
    /// dials it: `Transfer` goes to the agent's escalation number.
    pub redirect_number: Option<String>,
    /// Sorted by day (Monday first), then start.
    pub schedule: Vec<DayRange>,
}

/// Active hours as a client writes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoursInput {
    pub enabled: bool,
    pub timezone: String,
    pub after_hours_behavior: String,
    pub message: Option<String>,
    pub redirect_number: Option<String>,
    pub schedule: Vec<RangeInput>,
}

/// One range as a client writes it: `{"day": "monday", "start": "09:00", "end": "17:00"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeInput {
    pub day: String,
    pub start: String,
    pub end: String,
}

/// What is wrong, and where: `field` as the client spells it (`schedule[2].end`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct HoursError {
    pub field: String,
    pub message: String,
}

fn refused(field: impl Into<String>, message: impl Into<String>) -> HoursError {
    HoursError {
        field: field.into(),
        message: message.into(),
    }
}

impl ActiveHours {
    /// Checks what a client sent: day names, `HH:MM` times, a known zone and behavior.
    pub fn parse(input: &HoursInput) -> Result<ActiveHours, HoursError> {
        let after_hours = AfterHours::parse(&input.after_hours_behavior).ok_or_else(|| {
            refused(
                "afterHoursBehavior",
                format!(
                    "{:?} is not one of \"voicemail\", \"message\", \"redirect\", \"transfer\"",
                    input.after_hours_behavior
                ),
            )
        })?;
        if input.schedule.len() > MAX_RANGES {
            return Err(refused(
                "schedule",
                format!(
                    "{} ranges are more than the {MAX_RANGES} allowed",
                    input.schedule.len()
                ),
            ));
        }
        let mut schedule = Vec::with_capacity(input.schedule.len());
        for (i, range) in input.schedule.iter().enumerate() {
            let field = |name: &str| format!("schedule[{i}].{name}");
            let day = parse_day(&range.day).ok_or_else(|| {
                refused(
                    field("day"),
                    format!(
                        "{:?} is not a day of the week (\"monday\" to \"sunday\")",
                        range.day
                    ),
                )
            })?;
            let start_minute = parse_time(&range.start)
                .filter(|&minute| minute < 1440)
                .ok_or_else(|| refused(field("start"), not_a_time(&range.start, false)))?;
            let end_minute =
                parse_time(&range.end).ok_or_else(|| refused(field("end"), not_a_time(&range.end, true)))?;
            schedule.push(DayRange {
                day,
                start_minute,
                end_minute,
            });
        }
        ActiveHours::new(
            input.enabled,
            &input.timezone,
            after_hours,
            input.message.clone(),
            input.redirect_number.clone(),
            schedule,
        )
    }

    /// Active hours from checked parts (as stored): the zone must be known, every range
    /// non-empty, a message at most 500 characters.
    pub fn new(
        enabled: bool,
        timezone_name: &str,
        after_hours: AfterHours,
        message: Option<String>,
        redirect_number: Option<String>,
        mut schedule: Vec<DayRange>,
    ) -> Result<ActiveHours, HoursError> {
        let timezone =
            crate::timezone::zone(timezone_name).map_err(|e| refused("timezone", e.to_string()))?;
        for (i, range) in schedule.iter().enumerate() {
            if range.start_minute >= 1440 || range.end_minute > 1440 {
                return Err(refused(format!("schedule[{i}]"), "a time is past midnight"));
            }
            if range.start_minute == range.end_minute {
                return Err(refused(
                    format!("schedule[{i}].end"),
                    "a range must not be empty (for a whole day use 00:00 to 24:00)",
                ));
            }
        }
        if let Some(text) = &message {
            if text.trim().is_empty() {
                return Err(refused(
                    "afterHoursMessage",
                    "must not be empty (leave it out instead)",
                ));
            }
            let chars = text.chars().count();
            if chars > MAX_MESSAGE_CHARS {
                return Err(refused(
                    "afterHoursMessage",
                    format!("{chars} characters are more than the {MAX_MESSAGE_CHARS} allowed"),
                ));
            }
        }
        schedule.sort_by_key(DayRange::sort_key);
        Ok(ActiveHours {
            enabled,
            timezone_name: timezone_name.to_owned(),
            timezone,
            after_hours,
            message,
            redirect_number,
            schedule,
        })
    }
}

/// `"monday"` .. `"sunday"` (any case).
fn parse_day(name: &str) -> Option<Weekday> {
    let position = DAY_NAMES.iter().position(|day| day.eq_ignore_ascii_case(name))?;
    Weekday::from_monday_zero_offset(i8::try_from(position).ok()?).ok()
}

/// The name a client uses for `day`.
pub fn day_name(day: Weekday) -> &'static str {
    DAY_NAMES[usize::try_from(day.to_monday_zero_offset()).unwrap_or(0)]
}

/// `HH:MM` on a 24-hour clock, `00:00` to `24:00`, as minutes after midnight.
fn parse_time(text: &str) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2
        || minutes.len() != 2
        || !(hours.bytes().chain(minutes.bytes())).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    let minute = hours * 60 + minutes;
    (minutes < 60 && minute <= 1440).then_some(minute)
}

/// Minutes after midnight as `HH:MM` (1440 is `24:00`).
pub fn time_text(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn not_a_time(text: &str, is_end: bool) -> String {
    let last = if is_end { "24:00" } else { "23:59" };
    format!(
        "{text:?} is not a time of day as HH:MM on a 24-hour clock, 00:00 to {last} (like 09:00 or 17:30)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(schedule: &[(&str, &str, &str)]) -> HoursInput {
        HoursInput {
            enabled: true,
            timezone: "Europe/Berlin".into(),
            after_hours_behavior: "voicemail".into(),
            message: None,
            redirect_number: None,
            schedule: schedule
                .iter()
                .map(|&(day, start, end)| RangeInput {
                    day: day.into(),
                    start: start.into(),
                    end: end.into(),
                })
                .collect(),
        }
    }

    fn field_of(result: Result<ActiveHours, HoursError>) -> String {
        result.expect_err("refused").field
    }

    #[test]
    fn a_week_parses_sorted_with_overnight_ranges_marked() {
        let hours = ActiveHours::parse(&input(&[
            ("friday", "22:00", "02:00"),
            ("Monday", "09:00", "17:00"),
            ("monday", "07:00", "08:00"),
            ("sunday", "00:00", "24:00"),
        ]))
        .unwrap();
        let days: Vec<_> = hours
            .schedule
            .iter()
            .map(|r| (day_name(r.day), r.start_minute, r.end_minute))
            .collect();
        assert_eq!(
            days,
            [
                ("monday", 420, 480),
                ("monday", 540, 1020),
                ("friday", 1320, 120),
                ("sunday", 0, 1440)
            ]
        );
        assert!(hours.schedule[2].is_overnight());
        assert!(!hours.schedule[3].is_overnight());
    }

    #[test]
    fn bad_parts_are_refused_naming_their_field() {
        assert_eq!(
            field_of(ActiveHours::parse(&input(&[("mon", "09:00", "17:00")]))),
            "schedule[0].day"
        );
        for bad in ["9:00", "09:60", "24:00", "25:00", "0900", "09:00am", " 09:00", ""] {
            assert_eq!(
                field_of(ActiveHours::parse(&input(&[
                    ("monday", "08:00", "09:00"),
                    ("monday", bad, "17:00")
                ]))),
                "schedule[1].start",
                "{bad:?}"
            );
        }
        assert_eq!(
            field_of(ActiveHours::parse(&input(&[("monday", "09:00", "24:01")]))),
            "schedule[0].end"
        );
        assert_eq!(
            field_of(ActiveHours::parse(&input(&[("monday", "09:00", "09:00")]))),
            "schedule[0].end"
        );
        assert_eq!(
            field_of(ActiveHours::parse(&input(&[("monday", "00:00", "00:00")]))),
            "schedule[0].end"
        );

        let mut no_zone = input(&[]);
        no_zone.timezone = "EST".into();
        assert_eq!(field_of(ActiveHours::parse(&no_zone)), "timezone");

        let mut unknown = input(&[]);
        unknown.after_hours_behavior = "hang up".into();
        assert_eq!(field_of(ActiveHours::parse(&unknown)), "afterHoursBehavior");

        // A redirect sends the caller to the booking page, a transfer to the agent's
        // escalation number: neither needs a number of its own.
        for behavior in ["redirect", "transfer"] {
            let mut without_number = input(&[]);
            without_number.after_hours_behavior = behavior.into();
            assert_eq!(
                ActiveHours::parse(&without_number).unwrap().after_hours.as_str(),
                behavior
            );
        }

        let mut long = input(&[]);
        long.message = Some("a".repeat(MAX_MESSAGE_CHARS + 1));
        assert_eq!(field_of(ActiveHours::parse(&long)), "afterHoursMessage");
        long.message = Some("ä".repeat(MAX_MESSAGE_CHARS));
        assert!(ActiveHours::parse(&long).is_ok(), "characters, not bytes");

        let many = vec![("monday", "09:00", "10:00"); MAX_RANGES + 1];
        assert_eq!(field_of(ActiveHours::parse(&input(&many))), "schedule");
    }

    #[test]
    fn times_read_back_as_written() {
        for minute in [0, 59, 60, 540, 1439, 1440] {
            assert_eq!(parse_time(&time_text(minute)), Some(minute));
        }
        assert_eq!(time_text(1440), "24:00");
        for behavior in AfterHours::ALL {
            assert_eq!(AfterHours::parse(behavior.as_str()), Some(behavior));
        }
    }
}
