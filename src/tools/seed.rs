//! The demo business: a dental practice with one dentist, three kinds of appointment and a
//! receptionist agent, so `switchboard demo` and tests have something real to book against.
//!
//! Seeding is idempotent: the agent's phone number identifies the business, and every step
//! creates only what is missing, so running it twice (or again after a partial run) is harmless.

use jiff::civil::Weekday;

use crate::store::{
    AccountId, Agent, AgentId, EventType, EventTypeId, FallbackMode, HostId, MinuteRange, NewAccount,
    NewAgent, NewEventType, NewHost, Store, StoreResult, WeeklyRange,
};

pub const ACCOUNT_NAME: &str = "Harbor Dental";
pub const HOST_NAME: &str = "Dr. Maya Chen";
pub const AGENT_NAME: &str = "Ava";

/// The ids of what [`seed_demo_business`] made (or found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoBusiness {
    pub account_id: AccountId,
    pub agent_id: AgentId,
    pub host_id: HostId,
    pub cleaning_id: EventTypeId,
    pub consultation_id: EventTypeId,
    pub emergency_id: EventTypeId,
}

/// Seeds (or completes) Harbor Dental: host Dr. Maya Chen in `timezone`, open Mon–Fri
/// 08:00–12:00 and 13:00–17:00 and Sat 09:00–13:00; `cleaning`, `consultation` and a secret
/// `emergency`; agent Ava on `phone_number` offering cleaning and consultation.
pub async fn seed_demo_business(
    store: &Store,
    phone_number: &str,
    elevenlabs_agent_id: &str,
    timezone: &str,
) -> StoreResult<DemoBusiness> {
    let agent = ensure_agent(store, phone_number, elevenlabs_agent_id, timezone).await?;
    let account_id = agent.account_id.clone();
    let host_id = match store
        .hosts(&account_id)
        .await?
        .into_iter()
        .find(|host| host.name == HOST_NAME)
    {
        Some(host) => host.id,
        None => {
            store
                .create_host(
                    &account_id,
                    NewHost {
                        name: HOST_NAME.into(),
                        email: None,
                        timezone: timezone.into(),
                    },
                )
                .await?
                .id
        }
    };
    store
        .set_weekly_hours(&account_id, &host_id, &opening_hours())
        .await?;
    let cleaning = ensure_event_type(store, &account_id, cleaning(&host_id)).await?;
    let consultation = ensure_event_type(store, &account_id, consultation(&host_id)).await?;
    let emergency = ensure_event_type(store, &account_id, emergency(&host_id)).await?;
    for offered in [&cleaning, &consultation] {
        store.link_event_type(&account_id, &agent.id, &offered.id).await?;
    }
    Ok(DemoBusiness {
        account_id,
        agent_id: agent.id,
        host_id,
        cleaning_id: cleaning.id,
        consultation_id: consultation.id,
        emergency_id: emergency.id,
    })
}

/// The agent on `phone_number`, creating the account and agent when the number is free. The
/// agent is made right after the account: it is what claims the number, so a second run finds
/// the business.
async fn ensure_agent(
    store: &Store,
    phone_number: &str,
    elevenlabs_agent_id: &str,
    timezone: &str,
) -> StoreResult<Agent> {
    if let Some(agent) = store.agent_by_phone_number(phone_number).await? {
        return Ok(agent);
    }
    let account = store
        .create_account(NewAccount {
            name: ACCOUNT_NAME.into(),
            plan: "pro".into(),
        })
        .await?;
    let created = store
        .create_agent(
            &account.id,
            NewAgent {
                name: AGENT_NAME.into(),
                phone_number: Some(phone_number.into()),
                elevenlabs_agent_id: elevenlabs_agent_id.into(),
                timezone: timezone.into(),
                first_message: Some(
                    "Thank you for calling Harbor Dental, this is Ava. How can I help you today?".into(),
                ),
                fallback_mode: FallbackMode::Voicemail,
                fallback_number: None,
                ..NewAgent::default()
            },
        )
        .await;
    match created {
        Ok(agent) => Ok(agent),
        // Another seeding run claimed the number first: use its business.
        Err(crate::store::StoreError::Conflict {
            constraint: crate::store::Constraint::AgentPhoneNumber,
        }) => store
            .agent_by_phone_number(phone_number)
            .await?
            .ok_or(crate::store::StoreError::NotFound { what: "agent" }),
        Err(error) => Err(error),
    }
}

async fn ensure_event_type(
    store: &Store,
    account_id: &AccountId,
    new: NewEventType,
) -> StoreResult<EventType> {
    match store.event_type_by_slug(account_id, &new.slug).await? {
        Some(existing) => Ok(existing),
        None => store.create_event_type(account_id, new).await,
    }
}

fn opening_hours() -> Vec<WeeklyRange> {
    let range = |start_hour: u16, end_hour: u16| MinuteRange {
        start_minute: start_hour * 60,
        end_minute: end_hour * 60,
    };
    let weekdays = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ];
    let mut hours: Vec<WeeklyRange> = weekdays
        .into_iter()
        .flat_map(|weekday| {
            [range(8, 12), range(13, 17)]
                .into_iter()
                .map(move |range| WeeklyRange { weekday, range })
        })
        .collect();
    hours.push(WeeklyRange {
        weekday: Weekday::Saturday,
        range: range(9, 13),
    });
    hours
}

fn cleaning(host_id: &HostId) -> NewEventType {
    NewEventType {
        host_id: host_id.clone(),
        slug: "cleaning".into(),
        name: "Cleaning".into(),
        description: "A routine dental cleaning and check-up.".into(),
        duration_min: 30,
        buffer_before_min: 0,
        buffer_after_min: 10,
        min_notice_min: 120,
        slot_interval_min: Some(15),
        max_days_ahead: 30,
        per_day_limit: Some(8),
        active: true,
        secret: false,
    }
}

fn consultation(host_id: &HostId) -> NewEventType {
    NewEventType {
        host_id: host_id.clone(),
        slug: "consultation".into(),
        name: "Consultation".into(),
        description: "A one-hour consultation with Dr. Chen about a treatment plan.".into(),
        duration_min: 60,
        buffer_before_min: 0,
        buffer_after_min: 0,
        min_notice_min: 24 * 60,
        slot_interval_min: Some(30),
        max_days_ahead: 60,
        per_day_limit: None,
        active: true,
        secret: false,
    }
}

fn emergency(host_id: &HostId) -> NewEventType {
    NewEventType {
        host_id: host_id.clone(),
        slug: "emergency".into(),
        name: "Emergency visit".into(),
        description: "Same-day emergency slot, booked by the practice staff only.".into(),
        duration_min: 20,
        buffer_before_min: 0,
        buffer_after_min: 0,
        min_notice_min: 0,
        slot_interval_min: None,
        max_days_ahead: 7,
        per_day_limit: None,
        active: true,
        secret: true,
    }
}
