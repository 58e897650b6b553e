//! `switchboard admin agents`: an account's voice agents, listed (with the plan they share),
//! made within the plan, shown with what they offer and when they answer, changed, deleted,
//! and given their event types and active hours.

use clap::{Args, Subcommand};
use jiff::Timestamp;

use crate::http::api::Listed;
use crate::http::api::agent_bodies::{
    ActiveHoursBody, AgentBody, AgentDetailBody, AgentEventTypeBody, AgentPageBody, AgentUsageBody,
};
use crate::manage::agents::{AgentInput, AgentPatch, FallbackInput};
use crate::manage::{Accounts, Agents, HoursPatch};

use super::account_arg::AccountArg;
use super::failure::{OrFlag, UsageError};
use super::list::{ListArgs, more};
use super::output::{Deleted, Output, fields, or_dash, table};
use super::schedule_args::ScheduleArgs;

#[derive(Debug, Subcommand)]
pub enum AgentsCommand {
    /// The account's agents, oldest first, with the plan they share.
    List {
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Makes an agent, within the plan's agents (and numbers).
    Create {
        #[command(flatten)]
        account: AccountArg,
        /// 1 to 100 characters.
        #[arg(long)]
        name: String,
        /// An existing ElevenLabs agent to hold the conversation (made switchboard's when
        /// provisioning is on); left out, one is created.
        #[arg(long, value_name = "ID")]
        elevenlabs_agent_id: Option<String>,
        #[command(flatten)]
        fields: AgentFields,
    },
    /// One agent with the event types it offers and its active hours.
    Show {
        agent_id: String,
        #[command(flatten)]
        account: AccountArg,
    },
    /// Changes the fields given; an empty value clears an optional one (`--greeting ""`).
    Set {
        agent_id: String,
        #[command(flatten)]
        account: AccountArg,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_name = "ID")]
        elevenlabs_agent_id: Option<String>,
        #[command(flatten)]
        fields: AgentFields,
    },
    /// Deletes an agent (its calls and bookings stay).
    Delete {
        agent_id: String,
        #[command(flatten)]
        account: AccountArg,
    },
    /// Sets the event types the agent offers, replacing the list; none offers all of the
    /// account's active, non-secret ones.
    EventTypes {
        agent_id: String,
        #[command(flatten)]
        account: AccountArg,
        /// Event types of the account.
        event_type_ids: Vec<String>,
    },
    /// Shows the agent's active hours, or changes the parts given (`--day`/`--start`/`--end`
    /// replace the whole week).
    Hours {
        agent_id: String,
        #[command(flatten)]
        account: AccountArg,
        /// False: the agent answers at any time.
        #[arg(long, value_name = "true|false")]
        enabled: Option<bool>,
        /// The agent's time zone, in which its hours are read.
        #[arg(long, value_name = "Area/City")]
        timezone: Option<String>,
        /// `voicemail`, `message`, `redirect` (where to book online) or `transfer` (to the
        /// agent's escalation number).
        #[arg(long, value_name = "MODE")]
        after_hours_behavior: Option<String>,
        /// What `message` says; empty for the default sentence.
        #[arg(long, value_name = "TEXT")]
        after_hours_message: Option<String>,
        /// E.164, kept with the hours (no behavior dials it); empty to clear.
        #[arg(long, value_name = "E164")]
        redirect_number: Option<String>,
        #[command(flatten)]
        schedule: ScheduleArgs,
    },
}

/// The agent's optional fields, for `create` and `set`.
#[derive(Debug, Args)]
pub struct AgentFields {
    /// The first thing the agent says (the ElevenLabs agent's own when not set).
    #[arg(long, value_name = "TEXT")]
    greeting: Option<String>,
    /// What the agent should know about the business.
    #[arg(long, value_name = "TEXT")]
    business_context: Option<String>,
    /// The ElevenLabs voice (the ElevenLabs agent's own when not set).
    #[arg(long, value_name = "ID")]
    voice_id: Option<String>,
    /// Language tag (`en`, `de`, `pt-BR`); `en` when made without.
    #[arg(long, value_name = "TAG")]
    language: Option<String>,
    /// IANA time zone; `UTC` when made without.
    #[arg(long, value_name = "Area/City")]
    timezone: Option<String>,
    /// E.164 number the agent answers (a plan with phone numbers only).
    #[arg(long, value_name = "E164")]
    phone_number: Option<String>,
    /// An inactive agent is kept but does not answer.
    #[arg(long, value_name = "true|false")]
    active: Option<bool>,
    /// What a caller gets when the agent cannot answer: `message`, `voicemail` or `dial`.
    #[arg(long, value_name = "MODE")]
    fallback: Option<String>,
    /// The number `dial` forwards to, E.164.
    #[arg(long, value_name = "E164", requires = "fallback")]
    fallback_number: Option<String>,
}

impl AgentFields {
    fn fallback(&self) -> Option<FallbackInput> {
        self.fallback.as_ref().map(|mode| FallbackInput {
            mode: mode.clone(),
            number: self.fallback_number.clone(),
        })
    }
}

/// An optional field as `set` reads it: empty clears it.
fn clearable(value: Option<String>) -> Option<Option<String>> {
    value.map(|value| (!value.is_empty()).then_some(value))
}

pub async fn run(
    command: AgentsCommand,
    accounts: &Accounts,
    agents: &Agents,
    out: Output,
) -> anyhow::Result<()> {
    match command {
        AgentsCommand::List { account, list } => {
            let scope = account.scope(accounts).await?;
            let mut request = Some(list.first()?);
            let (mut rows, mut next, mut last) = (Vec::new(), None, None);
            while let Some(asked) = request {
                let page = agents.list(&scope, &asked, Timestamp::now()).await.or_flag()?;
                rows.extend(page.page.items.iter().cloned());
                next = page.page.next.clone();
                request = list.then(&next);
                last = Some(page);
            }
            let last = last.expect("one page is always read");
            let listed = Listed::from_page(crate::store::Page { items: rows, next }, AgentBody::from);
            let body = AgentPageBody {
                data: listed.data,
                next_cursor: listed.next_cursor.clone(),
                usage: AgentUsageBody::from(&last),
                plan: last.plan.into(),
            };
            out.emit(&body, |body| {
                let rows: Vec<Vec<String>> = body
                    .data
                    .iter()
                    .map(|agent| {
                        vec![
                            agent.id.clone(),
                            agent.name.clone(),
                            or_dash(agent.phone_number.as_deref()),
                            agent.active.to_string(),
                            agent.timezone.clone(),
                            agent.elevenlabs_agent_id.clone(),
                        ]
                    })
                    .collect();
                let headers = [
                    "ID",
                    "NAME",
                    "PHONE NUMBER",
                    "ACTIVE",
                    "TIMEZONE",
                    "ELEVENLABS AGENT",
                ];
                let minutes = match body.usage.minute_limit {
                    Some(limit) => format!("{} of {limit} minutes", body.usage.minutes_used),
                    None => format!("{} minutes (unlimited)", body.usage.minutes_used),
                };
                let usage = format!(
                    "{} of {} agents on the {} plan; {minutes} used from {} to {}\n",
                    body.usage.agents,
                    body.usage.max_agents,
                    body.plan.name,
                    body.usage.period_start,
                    body.usage.period_end
                );
                let paging = Listed::<()> {
                    data: Vec::new(),
                    next_cursor: body.next_cursor.clone(),
                };
                format!("{}{}{usage}", table(&headers, &rows, "no agents"), more(&paging))
            })
        }
        AgentsCommand::Create {
            account,
            name,
            elevenlabs_agent_id,
            fields,
        } => {
            let scope = account.scope(accounts).await?;
            let input = AgentInput {
                name,
                elevenlabs_agent_id,
                fallback: fields.fallback(),
                greeting: fields.greeting,
                business_context: fields.business_context,
                voice_id: fields.voice_id,
                language: fields.language,
                timezone: fields.timezone,
                phone_number: fields.phone_number,
                active: fields.active,
            };
            let agent = AgentBody::from(agents.create(&scope, input).await.or_flag()?);
            out.emit(&agent, |agent| self::fields(&agent_pairs(agent)))
        }
        AgentsCommand::Show { agent_id, account } => {
            let scope = account.scope(accounts).await?;
            let detail = AgentDetailBody::from(agents.get(&scope, &agent_id).await.or_flag()?);
            out.emit(&detail, |detail| {
                let mut text = self::fields(&agent_pairs(&detail.agent));
                text.push_str("\nevent types offered:\n");
                text.push_str(&event_type_table(&detail.event_types.offered));
                if !detail.event_types.linked.is_empty() {
                    text.push_str("\nevent types chosen:\n");
                    text.push_str(&event_type_table(&detail.event_types.linked));
                }
                text.push_str("\nactive hours:\n");
                text.push_str(&hours_text(&detail.active_hours));
                text
            })
        }
        AgentsCommand::Set {
            agent_id,
            account,
            name,
            elevenlabs_agent_id,
            fields,
        } => {
            let scope = account.scope(accounts).await?;
            let patch = AgentPatch {
                name,
                elevenlabs_agent_id,
                fallback: fields.fallback(),
                greeting: clearable(fields.greeting),
                business_context: clearable(fields.business_context),
                voice_id: clearable(fields.voice_id),
                language: fields.language,
                timezone: fields.timezone,
                phone_number: clearable(fields.phone_number),
                active: fields.active,
            };
            if patch == AgentPatch::default() {
                return Err(
                    UsageError("nothing to change: give at least one field (see --help)".into()).into(),
                );
            }
            let agent = AgentBody::from(agents.update(&scope, &agent_id, patch).await.or_flag()?);
            out.emit(&agent, |agent| self::fields(&agent_pairs(agent)))
        }
        AgentsCommand::Delete { agent_id, account } => {
            let scope = account.scope(accounts).await?;
            agents.delete(&scope, &agent_id).await.or_flag()?;
            Deleted::emit(out, "agent", agent_id)
        }
        AgentsCommand::EventTypes {
            agent_id,
            account,
            event_type_ids,
        } => {
            let scope = account.scope(accounts).await?;
            let linked: Vec<AgentEventTypeBody> = agents
                .set_event_types(&scope, &agent_id, &event_type_ids)
                .await
                .or_flag()?
                .into_iter()
                .map(Into::into)
                .collect();
            out.emit(&linked, |linked| {
                if linked.is_empty() {
                    "none chosen: the agent offers every active, non-secret event type\n".to_owned()
                } else {
                    event_type_table(linked)
                }
            })
        }
        AgentsCommand::Hours {
            agent_id,
            account,
            enabled,
            timezone,
            after_hours_behavior,
            after_hours_message,
            redirect_number,
            schedule,
        } => {
            let scope = account.scope(accounts).await?;
            let patch = HoursPatch {
                enabled,
                timezone,
                after_hours_behavior,
                after_hours_message: clearable(after_hours_message),
                redirect_number: clearable(redirect_number),
                schedule: schedule.ranges()?,
            };
            let hours = if patch == HoursPatch::default() {
                agents.active_hours(&scope, &agent_id).await.or_flag()?
            } else {
                agents
                    .set_active_hours(&scope, &agent_id, patch)
                    .await
                    .or_flag()?
            };
            let hours = ActiveHoursBody::from(hours);
            out.emit(&hours, hours_text)
        }
    }
}

fn agent_pairs(agent: &AgentBody) -> Vec<(&'static str, String)> {
    vec![
        ("id", agent.id.clone()),
        ("name", agent.name.clone()),
        ("phone_number", or_dash(agent.phone_number.as_deref())),
        ("active", agent.active.to_string()),
        ("elevenlabs_agent_id", agent.elevenlabs_agent_id.clone()),
        ("greeting", or_dash(agent.greeting.as_deref())),
        ("business_context", or_dash(agent.business_context.as_deref())),
        ("voice_id", or_dash(agent.voice_id.as_deref())),
        ("language", agent.language.clone()),
        ("timezone", agent.timezone.clone()),
        ("fallback", agent.fallback.mode.clone()),
        ("fallback_number", or_dash(agent.fallback.number.as_deref())),
        ("created_at", agent.created_at.clone()),
        ("updated_at", agent.updated_at.clone()),
    ]
}

fn event_type_table(event_types: &[AgentEventTypeBody]) -> String {
    let rows: Vec<Vec<String>> = event_types
        .iter()
        .map(|event_type| {
            vec![
                event_type.id.clone(),
                event_type.slug.clone(),
                event_type.name.clone(),
                event_type.duration_min.to_string(),
                event_type.active.to_string(),
                event_type.secret.to_string(),
            ]
        })
        .collect();
    table(
        &["ID", "SLUG", "NAME", "MINUTES", "ACTIVE", "SECRET"],
        &rows,
        "none",
    )
}

fn hours_text(hours: &ActiveHoursBody) -> String {
    let mut pairs = vec![
        ("enabled", hours.enabled.to_string()),
        ("timezone", hours.timezone.clone()),
        ("after_hours_behavior", hours.after_hours_behavior.clone()),
        (
            "after_hours_message",
            or_dash(hours.after_hours_message.as_deref()),
        ),
        ("redirect_number", or_dash(hours.redirect_number.as_deref())),
    ];
    let week: Vec<String> = hours
        .schedule
        .iter()
        .map(|range| format!("{} {}-{}", range.day, range.start, range.end))
        .collect();
    pairs.push((
        "schedule",
        if week.is_empty() {
            "-".into()
        } else {
            week.join(", ")
        },
    ));
    fields(&pairs)
}
