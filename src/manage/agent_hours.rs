//! An agent's active hours: read (the defaults when never set) and changed in part, checked
//! by the `hours` rules, in the agent's own timezone.

use crate::hours::{
    ActiveHours, AfterHours, DayRange, HoursError, HoursInput, RangeInput, day_name, time_text,
};
use crate::store::{AfterHoursMode, Agent, AgentHours, AgentId, MinuteRange, Store, WeeklyRange};

use super::agent_fields;
use super::{ManageError, ManageResult, Scope};

/// Changes to active hours, with the API's field names in mind (`afterHoursBehavior`, ...):
/// `None` keeps a field; `schedule` replaces the whole week.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoursPatch {
    pub enabled: Option<bool>,
    /// The agent's timezone, which its hours are read in.
    pub timezone: Option<String>,
    pub after_hours_behavior: Option<String>,
    pub after_hours_message: Option<Option<String>>,
    pub redirect_number: Option<Option<String>>,
    pub schedule: Option<Vec<RangeInput>>,
}

impl From<HoursError> for ManageError {
    fn from(error: HoursError) -> ManageError {
        ManageError::invalid(error.field, error.message)
    }
}

/// The agent's active hours; an agent whose hours were never set answers at any time.
pub async fn active_hours(store: &Store, scope: &Scope, id: &str) -> ManageResult<ActiveHours> {
    let agent = store.agent(&scope.account_id, &AgentId::from(id)).await?;
    of_agent(store, scope, &agent).await
}

pub(super) async fn of_agent(store: &Store, scope: &Scope, agent: &Agent) -> ManageResult<ActiveHours> {
    let stored = store.agent_hours(&scope.account_id, &agent.id).await?;
    Ok(read_back(&agent.timezone, stored)?)
}

/// Changes the fields given and returns the hours as now stored.
pub async fn set_active_hours(
    store: &Store,
    scope: &Scope,
    id: &str,
    patch: HoursPatch,
) -> ManageResult<ActiveHours> {
    let agent = store.agent(&scope.account_id, &AgentId::from(id)).await?;
    let current = of_agent(store, scope, &agent).await?;
    let input = HoursInput {
        enabled: patch.enabled.unwrap_or(current.enabled),
        timezone: patch.timezone.clone().unwrap_or_else(|| agent.timezone.clone()),
        after_hours_behavior: patch
            .after_hours_behavior
            .unwrap_or_else(|| current.after_hours.as_str().to_owned()),
        message: patch.after_hours_message.unwrap_or(current.message),
        redirect_number: patch.redirect_number.unwrap_or(current.redirect_number),
        schedule: patch.schedule.unwrap_or_else(|| as_written(&current.schedule)),
    };
    if let Some(number) = &input.redirect_number {
        agent_fields::phone_number("redirectNumber", number)?;
    }
    let hours = ActiveHours::parse(&input)?;
    let zone_changed = (hours.timezone_name != agent.timezone).then_some(hours.timezone_name.as_str());
    let stored = store
        .set_agent_hours(&scope.account_id, &agent.id, to_stored(&hours), zone_changed)
        .await?;
    Ok(read_back(&hours.timezone_name, Some(stored))?)
}

/// The schedule as a client writes it.
pub fn as_written(schedule: &[DayRange]) -> Vec<RangeInput> {
    schedule
        .iter()
        .map(|range| RangeInput {
            day: day_name(range.day).to_owned(),
            start: time_text(range.start_minute),
            end: time_text(range.end_minute),
        })
        .collect()
}

/// The hours as stored, read in `timezone` (the agent's); never set: open at any time.
pub fn read_back(timezone: &str, stored: Option<AgentHours>) -> Result<ActiveHours, HoursError> {
    let Some(stored) = stored else {
        return ActiveHours::new(false, timezone, AfterHours::Voicemail, None, None, Vec::new());
    };
    let after_hours = match stored.after_hours {
        AfterHoursMode::Voicemail => AfterHours::Voicemail,
        AfterHoursMode::Message => AfterHours::Message,
        AfterHoursMode::Redirect => AfterHours::Redirect,
        AfterHoursMode::Transfer => AfterHours::Transfer,
    };
    let schedule = stored
        .schedule
        .iter()
        .map(|weekly| DayRange {
            day: weekly.weekday,
            start_minute: weekly.range.start_minute,
            end_minute: weekly.range.end_minute,
        })
        .collect();
    ActiveHours::new(
        stored.enabled,
        timezone,
        after_hours,
        stored.after_hours_message,
        stored.redirect_number,
        schedule,
    )
}

fn to_stored(hours: &ActiveHours) -> AgentHours {
    AgentHours {
        enabled: hours.enabled,
        after_hours: match hours.after_hours {
            AfterHours::Voicemail => AfterHoursMode::Voicemail,
            AfterHours::Message => AfterHoursMode::Message,
            AfterHours::Redirect => AfterHoursMode::Redirect,
            AfterHours::Transfer => AfterHoursMode::Transfer,
        },
        after_hours_message: hours.message.clone(),
        redirect_number: hours.redirect_number.clone(),
        schedule: hours
            .schedule
            .iter()
            .map(|range| WeeklyRange {
                weekday: range.day,
                range: MinuteRange {
                    start_minute: range.start_minute,
                    end_minute: range.end_minute,
                },
            })
            .collect(),
        updated_at: jiff::Timestamp::UNIX_EPOCH,
    }
}
