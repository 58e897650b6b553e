//! The JSON of `/agents`: what a client sends and what it gets back, with the conversions to
//! and from the management layer's types.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::nullable;
use super::plans::PlanBody;
use super::rfc3339;
use crate::hours::{ActiveHours, RangeInput, day_name, time_text};
use crate::manage::HoursPatch;
use crate::manage::agent_fields::fallback_mode_word;
use crate::manage::agents::{AgentDetail, AgentInput, AgentList, AgentPatch, FallbackInput};
use crate::store::{Agent, EventType};

/// What a caller gets when the agent cannot take the call.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FallbackBody {
    /// `message` (a message, then the call ends), `voicemail`, or `dial` (forward to `number`).
    #[schema(example = "voicemail")]
    pub mode: String,
    /// E.164; required for `dial`.
    pub number: Option<String>,
}

impl From<FallbackBody> for FallbackInput {
    fn from(body: FallbackBody) -> FallbackInput {
        FallbackInput {
            mode: body.mode,
            number: body.number,
        }
    }
}

/// An agent.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentBody {
    pub id: String,
    pub name: String,
    /// The first thing the agent says; null keeps the ElevenLabs agent's own.
    pub greeting: Option<String>,
    pub business_context: Option<String>,
    /// The ElevenLabs voice; null keeps the ElevenLabs agent's own.
    pub voice_id: Option<String>,
    /// Language tag (`en`, `de`, `pt-BR`).
    pub language: String,
    /// IANA time zone, in which the active hours are read.
    pub timezone: String,
    /// E.164; null for an agent without a number.
    pub phone_number: Option<String>,
    /// Whether the agent should answer calls; the call path does not act on it yet (it will,
    /// with the active hours).
    pub active: bool,
    pub elevenlabs_agent_id: String,
    pub fallback: FallbackBody,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Agent> for AgentBody {
    fn from(agent: Agent) -> AgentBody {
        AgentBody {
            id: agent.id.into_string(),
            name: agent.name,
            greeting: agent.first_message,
            business_context: agent.business_context,
            voice_id: agent.voice_id,
            language: agent.language,
            timezone: agent.timezone,
            phone_number: agent.phone_number,
            active: agent.active,
            elevenlabs_agent_id: agent.elevenlabs_agent_id,
            fallback: FallbackBody {
                mode: fallback_mode_word(agent.fallback_mode).to_owned(),
                number: agent.fallback_number,
            },
            created_at: rfc3339(agent.created_at),
            updated_at: rfc3339(agent.updated_at),
        }
    }
}

/// A new agent; a field left out takes its default.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgentBody {
    /// 1 to 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// An existing ElevenLabs agent to hold the conversation; with provisioning on it is
    /// adopted (changed to switchboard's configuration). Left out, switchboard creates one
    /// (422 when this server does not provision agents).
    pub elevenlabs_agent_id: Option<String>,
    /// At most 500 characters.
    #[schema(max_length = 500)]
    pub greeting: Option<String>,
    /// At most 5,000 characters.
    #[schema(max_length = 5000)]
    pub business_context: Option<String>,
    pub voice_id: Option<String>,
    /// `en` when left out.
    pub language: Option<String>,
    /// `UTC` when left out.
    pub timezone: Option<String>,
    /// E.164; only on a plan with phone numbers. Leave it out for an agent reached from the web.
    pub phone_number: Option<String>,
    /// True when left out.
    pub active: Option<bool>,
    /// A voicemail when left out.
    pub fallback: Option<FallbackBody>,
}

impl From<NewAgentBody> for AgentInput {
    fn from(body: NewAgentBody) -> AgentInput {
        AgentInput {
            name: body.name,
            elevenlabs_agent_id: body.elevenlabs_agent_id,
            greeting: body.greeting,
            business_context: body.business_context,
            voice_id: body.voice_id,
            language: body.language,
            timezone: body.timezone,
            phone_number: body.phone_number,
            active: body.active,
            fallback: body.fallback.map(FallbackInput::from),
        }
    }
}

/// Changes to an agent; a field left out stays as it is, null clears an optional one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentPatchBody {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    pub elevenlabs_agent_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub greeting: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub business_context: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub voice_id: Option<Option<String>>,
    pub language: Option<String>,
    pub timezone: Option<String>,
    /// Null takes the agent's number away (the number is free for another agent).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub phone_number: Option<Option<String>>,
    pub active: Option<bool>,
    /// Replaces the fallback whole.
    pub fallback: Option<FallbackBody>,
}

impl From<AgentPatchBody> for AgentPatch {
    fn from(body: AgentPatchBody) -> AgentPatch {
        AgentPatch {
            name: body.name,
            elevenlabs_agent_id: body.elevenlabs_agent_id,
            greeting: body.greeting,
            business_context: body.business_context,
            voice_id: body.voice_id,
            language: body.language,
            timezone: body.timezone,
            phone_number: body.phone_number,
            active: body.active,
            fallback: body.fallback.map(FallbackInput::from),
        }
    }
}

/// An event type as an agent offers it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentEventTypeBody {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub duration_min: u32,
    pub active: bool,
    /// A secret event type is never offered by an agent.
    pub secret: bool,
}

impl From<EventType> for AgentEventTypeBody {
    fn from(event_type: EventType) -> AgentEventTypeBody {
        AgentEventTypeBody {
            id: event_type.id.into_string(),
            slug: event_type.slug,
            name: event_type.name,
            duration_min: event_type.duration_min,
            active: event_type.active,
            secret: event_type.secret,
        }
    }
}

/// The event types an agent offers, replaced whole.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventTypeIdsBody {
    /// Event types of the account. An empty list: the agent offers every active, non-secret
    /// event type of the account.
    pub event_type_ids: Vec<String>,
}

/// The event types linked to an agent, and what it offers callers now.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentEventTypesBody {
    /// Chosen for the agent; empty means it offers all of them.
    pub linked: Vec<AgentEventTypeBody>,
    /// Offered to callers now: the linked ones (or, with none linked, all of the account's)
    /// that are active and not secret.
    pub offered: Vec<AgentEventTypeBody>,
}

/// One range of the week: `{"day": "monday", "start": "09:00", "end": "17:00"}`. An end at or
/// before the start runs past midnight into the next day; `24:00` is the end of the day.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayRangeBody {
    /// `monday` to `sunday`.
    #[schema(example = "monday")]
    pub day: String,
    /// `HH:MM`, 24-hour.
    #[schema(example = "09:00")]
    pub start: String,
    /// `HH:MM`, 24-hour, up to `24:00`.
    #[schema(example = "17:00")]
    pub end: String,
}

/// What a caller gets outside the agent's active hours (its `afterHoursBehavior`): a voicemail
/// greeting and a recording; the agent's message, then the call ends; where to book online
/// (the account's booking page), then the call ends; or a transfer to the agent's escalation
/// number (`fallback.number`; a voicemail without one).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(
    dead_code,
    reason = "the document's enum; the field is read as text to name it when refused"
)]
pub enum AfterHoursBehavior {
    Voicemail,
    Message,
    Redirect,
    Transfer,
}

/// An agent's active hours, read in its time zone.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActiveHoursBody {
    /// When false the agent answers at any time.
    pub enabled: bool,
    /// The agent's IANA time zone.
    pub timezone: String,
    #[schema(value_type = AfterHoursBehavior, inline)]
    pub after_hours_behavior: String,
    pub after_hours_message: Option<String>,
    /// Kept as given; no behavior dials it (a transfer goes to the agent's escalation number).
    pub redirect_number: Option<String>,
    /// By day, Monday first.
    pub schedule: Vec<DayRangeBody>,
}

impl From<ActiveHours> for ActiveHoursBody {
    fn from(hours: ActiveHours) -> ActiveHoursBody {
        ActiveHoursBody {
            enabled: hours.enabled,
            after_hours_behavior: hours.after_hours.as_str().to_owned(),
            after_hours_message: hours.message,
            redirect_number: hours.redirect_number,
            schedule: hours
                .schedule
                .iter()
                .map(|range| DayRangeBody {
                    day: day_name(range.day).to_owned(),
                    start: time_text(range.start_minute),
                    end: time_text(range.end_minute),
                })
                .collect(),
            timezone: hours.timezone_name,
        }
    }
}

/// Changes to active hours; a field left out stays as it is, `schedule` replaces the week.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ActiveHoursPatchBody {
    pub enabled: Option<bool>,
    /// Sets the agent's time zone.
    pub timezone: Option<String>,
    #[schema(value_type = Option<AfterHoursBehavior>, inline)]
    pub after_hours_behavior: Option<String>,
    /// What `message` says, at most 500 characters; null for the default sentence.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub after_hours_message: Option<Option<String>>,
    /// E.164; kept, dialled by no behavior.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub redirect_number: Option<Option<String>>,
    /// At most 70 ranges.
    pub schedule: Option<Vec<DayRangeBody>>,
}

impl From<ActiveHoursPatchBody> for HoursPatch {
    fn from(body: ActiveHoursPatchBody) -> HoursPatch {
        HoursPatch {
            enabled: body.enabled,
            timezone: body.timezone,
            after_hours_behavior: body.after_hours_behavior,
            after_hours_message: body.after_hours_message,
            redirect_number: body.redirect_number,
            schedule: body.schedule.map(|ranges| {
                ranges
                    .into_iter()
                    .map(|range| RangeInput {
                        day: range.day,
                        start: range.start,
                        end: range.end,
                    })
                    .collect()
            }),
        }
    }
}

/// One agent with what it offers and when it answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentDetailBody {
    pub agent: AgentBody,
    pub event_types: AgentEventTypesBody,
    pub active_hours: ActiveHoursBody,
}

impl From<AgentDetail> for AgentDetailBody {
    fn from(detail: AgentDetail) -> AgentDetailBody {
        AgentDetailBody {
            agent: detail.agent.into(),
            event_types: AgentEventTypesBody {
                linked: detail.linked_event_types.into_iter().map(Into::into).collect(),
                offered: detail.offered_event_types.into_iter().map(Into::into).collect(),
            },
            active_hours: detail.active_hours.into(),
        }
    }
}

/// How much of the plan the account uses: its agents, and the minutes of the current billing
/// period, which all its agents share.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentUsageBody {
    /// The account's agents, on every page.
    pub agents: u32,
    /// The plan's maximum.
    pub max_agents: u32,
    /// The billing period `[period_start, period_end)`.
    #[schema(format = DateTime)]
    pub period_start: String,
    #[schema(format = DateTime)]
    pub period_end: String,
    /// Billed minutes of the period's calls, all agents together.
    pub minutes_used: u64,
    /// The plan's minutes per period; null for unlimited.
    pub minute_limit: Option<u32>,
    /// What is left of them (never below zero); null for unlimited.
    pub minutes_remaining: Option<u64>,
}

impl From<&AgentList> for AgentUsageBody {
    fn from(list: &AgentList) -> AgentUsageBody {
        AgentUsageBody {
            agents: list.agent_count,
            max_agents: list.plan.max_agents,
            period_start: rfc3339(list.usage.period_start),
            period_end: rfc3339(list.usage.period_end),
            minutes_used: list.usage.minutes_used,
            minute_limit: list.usage.minute_limit,
            minutes_remaining: list.usage.remaining,
        }
    }
}

/// A page of the account's agents, with the plan they share.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentPageBody {
    pub data: Vec<AgentBody>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    pub plan: PlanBody,
    pub usage: AgentUsageBody,
}
