//! Values the unit tests of this layer share.

use jiff::Timestamp;
use jiff::civil::Weekday;

use crate::hours::{ActiveHours, AfterHours, DayRange};
use crate::store::{Account, Agent, FallbackMode};

use super::directory::Line;

/// An agent whose line falls back by `mode`, to `number` for a transfer.
pub(crate) fn agent(mode: FallbackMode, number: Option<&str>) -> Agent {
    Agent {
        id: "agent-1".into(),
        account_id: "account-1".into(),
        name: "Ava".into(),
        phone_number: Some("+15550100001".into()),
        elevenlabs_agent_id: "agent_x".into(),
        timezone: "UTC".into(),
        first_message: None,
        fallback_mode: mode,
        fallback_number: number.map(str::to_owned),
        voice_id: None,
        language: "en".into(),
        business_context: None,
        active: true,
        created_at: Timestamp::UNIX_EPOCH,
        updated_at: Timestamp::UNIX_EPOCH,
        deleted_at: None,
    }
}

/// A voicemail line of Harbor Dental.
pub(crate) fn line() -> Line {
    Line {
        agent: agent(FallbackMode::Voicemail, None),
        account: Account {
            id: "account-1".into(),
            name: "Harbor Dental".into(),
            plan: "pro".into(),
            timezone: "UTC".into(),
            created_at: Timestamp::UNIX_EPOCH,
            booking_url: None,
            record_calls: false,
            transcript_retention_days: None,
            redact_transcripts: false,
            recording_retention_days: None,
            sms_follow_ups: false,
        },
        hours: ActiveHours::new(false, "UTC", AfterHours::Voicemail, None, None, Vec::new()).unwrap(),
    }
}

/// The voicemail line open in `zone` during `ranges` (`HH:MM`), `behavior` after hours.
pub(crate) fn line_open(zone: &str, ranges: &[(Weekday, &str, &str)], behavior: AfterHours) -> Line {
    let minute = |text: &str| {
        let (hours, minutes) = text.split_once(':').unwrap();
        hours.parse::<u16>().unwrap() * 60 + minutes.parse::<u16>().unwrap()
    };
    let schedule = ranges
        .iter()
        .map(|&(day, start, end)| DayRange {
            day,
            start_minute: minute(start),
            end_minute: minute(end),
        })
        .collect();
    Line {
        hours: ActiveHours::new(true, zone, behavior, None, None, schedule).unwrap(),
        ..line()
    }
}
