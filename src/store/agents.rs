//! Agents: the ElevenLabs voice agents of an account, one per phone number, and the event
//! types each one offers.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::{StoreError, StoreResult};
use super::ids::{AccountId, AgentId, EventTypeId};
use super::row::{self, StoredWord};
use super::validate;

/// What a caller gets when the agent cannot take the call (outside active hours, no minutes
/// left, the agent unreachable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FallbackMode {
    /// Say the agent's message and hang up.
    Message,
    /// Record a voicemail.
    Voicemail,
    /// Forward the call to `fallback_number`.
    Dial,
}

impl StoredWord for FallbackMode {
    fn as_stored(&self) -> &'static str {
        match self {
            FallbackMode::Message => "message",
            FallbackMode::Voicemail => "voicemail",
            FallbackMode::Dial => "dial",
        }
    }

    fn from_stored(word: &str) -> Option<Self> {
        match word {
            "message" => Some(FallbackMode::Message),
            "voicemail" => Some(FallbackMode::Voicemail),
            "dial" => Some(FallbackMode::Dial),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub id: AgentId,
    pub account_id: AccountId,
    pub name: String,
    /// The Twilio number (E.164) that reaches this agent; unique across all accounts.
    pub phone_number: String,
    pub elevenlabs_agent_id: String,
    /// IANA zone in which the agent's active hours are read.
    pub timezone: String,
    /// Overrides the ElevenLabs agent's configured first message when set.
    pub first_message: Option<String>,
    pub fallback_mode: FallbackMode,
    /// E.164; required when `fallback_mode` is `Dial`.
    pub fallback_number: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewAgent {
    pub name: String,
    pub phone_number: String,
    pub elevenlabs_agent_id: String,
    pub timezone: String,
    pub first_message: Option<String>,
    pub fallback_mode: FallbackMode,
    pub fallback_number: Option<String>,
}

macro_rules! agent_columns {
    () => {
        "id, account_id, name, phone_number, elevenlabs_agent_id, timezone, first_message, \
         fallback_mode, fallback_number, created_at"
    };
}

impl Agent {
    fn from_row(row: &AnyRow) -> StoreResult<Agent> {
        Ok(Agent {
            id: row::text(row, "id")?.into(),
            account_id: row::text(row, "account_id")?.into(),
            name: row::text(row, "name")?,
            phone_number: row::text(row, "phone_number")?,
            elevenlabs_agent_id: row::text(row, "elevenlabs_agent_id")?,
            timezone: row::text(row, "timezone")?,
            first_message: row::opt_text(row, "first_message")?,
            fallback_mode: row::word(row, "fallback_mode")?,
            fallback_number: row::opt_text(row, "fallback_number")?,
            created_at: row::instant(row, "created_at")?,
        })
    }
}

impl NewAgent {
    fn validate(&self) -> StoreResult<()> {
        validate::not_blank("agent name", &self.name)?;
        validate::e164("phone number", &self.phone_number)?;
        validate::not_blank("ElevenLabs agent id", &self.elevenlabs_agent_id)?;
        validate::timezone(&self.timezone)?;
        if let Some(number) = &self.fallback_number {
            validate::e164("fallback number", number)?;
        }
        if self.fallback_mode == FallbackMode::Dial && self.fallback_number.is_none() {
            return Err(StoreError::invalid(
                "fallback number",
                "required when the fallback is to dial",
            ));
        }
        Ok(())
    }
}

impl Store {
    /// Fails with `Conflict(AgentPhoneNumber)` when another agent already has the number.
    pub async fn create_agent(&self, account_id: &AccountId, new: NewAgent) -> StoreResult<Agent> {
        new.validate()?;
        let agent = Agent {
            id: AgentId::generate(),
            account_id: account_id.clone(),
            name: new.name,
            phone_number: new.phone_number,
            elevenlabs_agent_id: new.elevenlabs_agent_id,
            timezone: new.timezone,
            first_message: new.first_message,
            fallback_mode: new.fallback_mode,
            fallback_number: new.fallback_number,
            created_at: row::now(),
        };
        sqlx::query(concat!(
            "INSERT INTO agents (",
            agent_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(agent.id.as_str())
        .bind(agent.account_id.as_str())
        .bind(&agent.name)
        .bind(&agent.phone_number)
        .bind(&agent.elevenlabs_agent_id)
        .bind(&agent.timezone)
        .bind(agent.first_message.as_deref())
        .bind(agent.fallback_mode.as_stored())
        .bind(agent.fallback_number.as_deref())
        .bind(row::millis(agent.created_at))
        .execute(&self.pool)
        .await?;
        self.agents_changed();
        Ok(agent)
    }

    pub async fn agent(&self, account_id: &AccountId, id: &AgentId) -> StoreResult<Agent> {
        let row = sqlx::query(concat!(
            "SELECT ",
            agent_columns!(),
            " FROM agents WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id.as_str())
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row::required(row, "agent", Agent::from_row)
    }

    /// The agent answering a dialled number: the first lookup of every inbound call, one probe
    /// of the unique index on `phone_number`. Not account-scoped because the number is what
    /// identifies the account.
    pub async fn agent_by_phone_number(&self, phone_number: &str) -> StoreResult<Option<Agent>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            agent_columns!(),
            " FROM agents WHERE phone_number = $1"
        ))
        .bind(phone_number)
        .fetch_optional(&self.pool)
        .await?;
        row::optional(row, Agent::from_row)
    }

    /// The agent with this id, in whichever account it is. For callers that hold an
    /// authenticated agent id but no account yet (a webhook naming its agent, a media
    /// stream's signed token); every other read is account-scoped.
    pub async fn agent_by_id(&self, id: &AgentId) -> StoreResult<Option<Agent>> {
        let row = sqlx::query(concat!("SELECT ", agent_columns!(), " FROM agents WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row::optional(row, Agent::from_row)
    }

    /// The agents (of any account) answering through this ElevenLabs agent, oldest first. One
    /// ElevenLabs agent may serve several numbers, so there can be more than one.
    pub async fn agents_by_elevenlabs_id(&self, elevenlabs_agent_id: &str) -> StoreResult<Vec<Agent>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            agent_columns!(),
            " FROM agents WHERE elevenlabs_agent_id = $1 ORDER BY id"
        ))
        .bind(elevenlabs_agent_id)
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, Agent::from_row)
    }

    /// The account's agents, oldest first.
    pub async fn agents(&self, account_id: &AccountId) -> StoreResult<Vec<Agent>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            agent_columns!(),
            " FROM agents WHERE account_id = $1 ORDER BY id"
        ))
        .bind(account_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, Agent::from_row)
    }

    /// Lets the agent offer the event type. Linking twice is a no-op; an agent or event type of
    /// another account is refused with `Conflict(ForeignKey)`.
    pub async fn link_event_type(
        &self,
        account_id: &AccountId,
        agent_id: &AgentId,
        event_type_id: &EventTypeId,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO agent_event_types (account_id, agent_id, event_type_id) VALUES ($1, $2, $3) \
             ON CONFLICT (agent_id, event_type_id) DO NOTHING",
        )
        .bind(account_id.as_str())
        .bind(agent_id.as_str())
        .bind(event_type_id.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Returns whether a link existed.
    pub async fn unlink_event_type(
        &self,
        account_id: &AccountId,
        agent_id: &AgentId,
        event_type_id: &EventTypeId,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "DELETE FROM agent_event_types WHERE account_id = $1 AND agent_id = $2 AND event_type_id = $3",
        )
        .bind(account_id.as_str())
        .bind(agent_id.as_str())
        .bind(event_type_id.as_str())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_modes_round_trip_through_their_stored_words() {
        for mode in [FallbackMode::Message, FallbackMode::Voicemail, FallbackMode::Dial] {
            assert_eq!(FallbackMode::from_stored(mode.as_stored()), Some(mode));
        }
        assert_eq!(FallbackMode::from_stored("Dial"), None);
    }
}
