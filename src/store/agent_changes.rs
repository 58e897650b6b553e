//! Changing an agent after its creation: a partial update, its deletion, and the set of event
//! types it offers.
//!
//! Each change is one write transaction that first writes the agent's row, as the schedule
//! writes do with the host's (schedule.rs): that checks the agent is the account's and not
//! deleted, and on PostgreSQL it takes the row's lock, so two changes at once apply one after
//! the other instead of one undoing the other (SQLite's `BEGIN IMMEDIATE` serializes them).

use super::Store;
use super::agents::{Agent, FallbackMode, agent_columns, lock_agent};
use super::error::{StoreError, StoreResult};
use super::ids::{AccountId, AgentId, EventTypeId};
use super::row::{self, StoredWord};

/// What to change in an agent; `None` leaves a field as it is. The optional fields take
/// `Some(None)` to clear them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentChanges {
    pub name: Option<String>,
    pub phone_number: Option<Option<String>>,
    pub elevenlabs_agent_id: Option<String>,
    pub timezone: Option<String>,
    pub first_message: Option<Option<String>>,
    pub fallback_mode: Option<FallbackMode>,
    pub fallback_number: Option<Option<String>>,
    pub voice_id: Option<Option<String>>,
    pub language: Option<String>,
    pub business_context: Option<Option<String>>,
    pub active: Option<bool>,
}

impl AgentChanges {
    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        *self == AgentChanges::default()
    }

    /// The agent with these changes made.
    pub fn apply_to(self, mut agent: Agent) -> Agent {
        fn set<T>(field: &mut T, value: Option<T>) {
            if let Some(value) = value {
                *field = value;
            }
        }
        set(&mut agent.name, self.name);
        set(&mut agent.phone_number, self.phone_number);
        set(&mut agent.elevenlabs_agent_id, self.elevenlabs_agent_id);
        set(&mut agent.timezone, self.timezone);
        set(&mut agent.first_message, self.first_message);
        set(&mut agent.fallback_mode, self.fallback_mode);
        set(&mut agent.fallback_number, self.fallback_number);
        set(&mut agent.voice_id, self.voice_id);
        set(&mut agent.language, self.language);
        set(&mut agent.business_context, self.business_context);
        set(&mut agent.active, self.active);
        agent
    }
}

impl Store {
    /// Makes `changes` to the agent and returns it as stored. The result must keep every rule
    /// of a new agent (a dialled fallback needs its number, ...): `Invalid` otherwise, and
    /// `Conflict(AgentPhoneNumber)` for a number another agent answers. A number given through
    /// Twilio is not changed here (`Conflict(AgentHasNumber)`): it is given up into its hold.
    pub async fn update_agent(
        &self,
        account_id: &AccountId,
        id: &AgentId,
        changes: AgentChanges,
    ) -> StoreResult<Agent> {
        let mut tx = self.begin_write().await?;
        lock_agent(&mut tx, account_id, id).await?;
        let row = sqlx::query(concat!(
            "SELECT ",
            agent_columns!(),
            " FROM agents WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id.as_str())
        .bind(id.as_str())
        .fetch_one(&mut *tx)
        .await?;
        let before = Agent::from_row(&row)?;
        let mut agent = changes.apply_to(before.clone());
        if agent == before {
            return Ok(before);
        }
        agent.validate()?;
        if agent.phone_number != before.phone_number {
            super::agent_numbers::refuse_twilio_number(&mut tx, account_id, id).await?;
        }
        if let Some(number) = agent
            .phone_number
            .as_deref()
            .filter(|_| agent.phone_number != before.phone_number)
        {
            super::menus::refuse_menu_number(&mut tx, self.backend(), number).await?;
        }
        agent.updated_at = row::now().max(before.updated_at);
        sqlx::query(
            "UPDATE agents SET name = $3, phone_number = $4, elevenlabs_agent_id = $5, timezone = $6, \
             first_message = $7, fallback_mode = $8, fallback_number = $9, voice_id = $10, language = $11, \
             business_context = $12, active = $13, updated_at = $14 WHERE account_id = $1 AND id = $2",
        )
        .bind(account_id.as_str())
        .bind(id.as_str())
        .bind(&agent.name)
        .bind(agent.phone_number.as_deref())
        .bind(&agent.elevenlabs_agent_id)
        .bind(&agent.timezone)
        .bind(agent.first_message.as_deref())
        .bind(agent.fallback_mode.as_stored())
        .bind(agent.fallback_number.as_deref())
        .bind(agent.voice_id.as_deref())
        .bind(&agent.language)
        .bind(agent.business_context.as_deref())
        .bind(i64::from(agent.active))
        .bind(row::millis(agent.updated_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.agents_changed();
        Ok(agent)
    }

    /// Deletes the agent: `NotFound` when it is not the account's or already deleted.
    ///
    /// The row is kept with its `deleted_at` rather than removed, because the calls it
    /// answered refer to it and their history should still say who took them. What a user
    /// expects of a deletion holds all the same: the agent is gone from every list and read of
    /// the account, it answers no number (`agent_by_phone_number` leaves it out), and its
    /// number is free for another agent at once (the unique index covers the agents not
    /// deleted). It also stops counting toward the plan's agents.
    pub async fn delete_agent(&self, account_id: &AccountId, id: &AgentId) -> StoreResult<()> {
        let now = row::millis(row::now());
        let done = sqlx::query(
            "UPDATE agents SET deleted_at = $3, updated_at = $3 \
             WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL",
        )
        .bind(account_id.as_str())
        .bind(id.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "agent" });
        }
        self.agents_changed();
        Ok(())
    }

    /// Replaces the event types the agent offers with `event_type_ids` (a repeated id counts
    /// once). Each must be an event type of the account: `Invalid` naming the first that is
    /// not, and nothing changes. An empty list removes every link, which means the agent
    /// offers all of the account's active, non-secret event types (see
    /// `event_types_for_agent`).
    pub async fn set_agent_event_types(
        &self,
        account_id: &AccountId,
        agent_id: &AgentId,
        event_type_ids: &[EventTypeId],
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        lock_agent(&mut tx, account_id, agent_id).await?;
        let mut unique: Vec<&EventTypeId> = Vec::with_capacity(event_type_ids.len());
        for id in event_type_ids {
            if unique.contains(&id) {
                continue;
            }
            let known: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM event_types WHERE account_id = $1 AND id = $2")
                    .bind(account_id.as_str())
                    .bind(id.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
            if known.is_none() {
                return Err(StoreError::invalid(
                    "event type ids",
                    format!("{id} is not an event type of this account"),
                ));
            }
            unique.push(id);
        }
        sqlx::query("DELETE FROM agent_event_types WHERE account_id = $1 AND agent_id = $2")
            .bind(account_id.as_str())
            .bind(agent_id.as_str())
            .execute(&mut *tx)
            .await?;
        for id in unique {
            sqlx::query(
                "INSERT INTO agent_event_types (account_id, agent_id, event_type_id) VALUES ($1, $2, $3)",
            )
            .bind(account_id.as_str())
            .bind(agent_id.as_str())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
