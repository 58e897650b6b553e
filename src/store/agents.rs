//! Agents: the ElevenLabs voice agents of an account, one per phone number, and the event
//! types each one offers.

use jiff::Timestamp;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::error::{StoreError, StoreResult};
use super::ids::{AccountId, AgentId, EventTypeId};
use super::page::{Page, PageRequest};
use super::row::{self, StoredWord};
use super::{Store, validate};

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
    /// The Twilio number (E.164) that reaches this agent, unique among the agents not
    /// deleted; `None` for an agent without a number (a plan without numbers, the web only).
    pub phone_number: Option<String>,
    pub elevenlabs_agent_id: String,
    /// IANA zone in which the agent's active hours are read.
    pub timezone: String,
    /// Overrides the ElevenLabs agent's configured first message when set (the API's
    /// `greeting`).
    pub first_message: Option<String>,
    pub fallback_mode: FallbackMode,
    /// E.164; required when `fallback_mode` is `Dial`.
    pub fallback_number: Option<String>,
    /// The ElevenLabs voice; `None` keeps the ElevenLabs agent's own.
    pub voice_id: Option<String>,
    /// The agent's language tag (`en`, `de`, `pt-BR`).
    pub language: String,
    /// What the agent is told about the business.
    pub business_context: Option<String>,
    /// The operator's switch to take the agent off its line without deleting it; the call
    /// path does not read it yet (it will, with the active hours).
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Set once the agent is deleted (see [`Store::delete_agent`]).
    pub deleted_at: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct NewAgent {
    pub name: String,
    pub phone_number: Option<String>,
    pub elevenlabs_agent_id: String,
    pub timezone: String,
    pub first_message: Option<String>,
    pub fallback_mode: FallbackMode,
    pub fallback_number: Option<String>,
    pub voice_id: Option<String>,
    pub language: String,
    pub business_context: Option<String>,
    pub active: bool,
}

impl Default for NewAgent {
    /// An active English agent in UTC whose callers leave a voicemail when it cannot answer;
    /// name, number and ElevenLabs agent are left empty for the caller to fill in.
    fn default() -> Self {
        NewAgent {
            name: String::new(),
            phone_number: None,
            elevenlabs_agent_id: String::new(),
            timezone: "UTC".into(),
            first_message: None,
            fallback_mode: FallbackMode::Voicemail,
            fallback_number: None,
            voice_id: None,
            language: "en".into(),
            business_context: None,
            active: true,
        }
    }
}

macro_rules! agent_columns {
    () => {
        "id, account_id, name, phone_number, elevenlabs_agent_id, timezone, first_message, \
         fallback_mode, fallback_number, voice_id, language, business_context, active, created_at, \
         updated_at, deleted_at"
    };
}
pub(super) use agent_columns;

impl Agent {
    pub(super) fn from_row(row: &AnyRow) -> StoreResult<Agent> {
        Ok(Agent {
            id: row::text(row, "id")?.into(),
            account_id: row::text(row, "account_id")?.into(),
            name: row::text(row, "name")?,
            phone_number: row::opt_text(row, "phone_number")?,
            elevenlabs_agent_id: row::text(row, "elevenlabs_agent_id")?,
            timezone: row::text(row, "timezone")?,
            first_message: row::opt_text(row, "first_message")?,
            fallback_mode: row::word(row, "fallback_mode")?,
            fallback_number: row::opt_text(row, "fallback_number")?,
            voice_id: row::opt_text(row, "voice_id")?,
            language: row::text(row, "language")?,
            business_context: row::opt_text(row, "business_context")?,
            active: row::flag(row, "active")?,
            created_at: row::instant(row, "created_at")?,
            updated_at: row::instant(row, "updated_at")?,
            deleted_at: row::opt_instant(row, "deleted_at")?,
        })
    }

    /// The storage rules every agent row keeps, checked before it is written.
    pub(super) fn validate(&self) -> StoreResult<()> {
        validate::not_blank("agent name", &self.name)?;
        if let Some(number) = &self.phone_number {
            validate::e164("phone number", number)?;
        }
        validate::not_blank("ElevenLabs agent id", &self.elevenlabs_agent_id)?;
        validate::timezone(&self.timezone)?;
        validate::not_blank("language", &self.language)?;
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

    /// Binds the row's columns, in `agent_columns!` order, to `query`.
    pub(super) fn bind_all<'q>(
        &'q self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        query
            .bind(self.id.as_str())
            .bind(self.account_id.as_str())
            .bind(&self.name)
            .bind(self.phone_number.as_deref())
            .bind(&self.elevenlabs_agent_id)
            .bind(&self.timezone)
            .bind(self.first_message.as_deref())
            .bind(self.fallback_mode.as_stored())
            .bind(self.fallback_number.as_deref())
            .bind(self.voice_id.as_deref())
            .bind(&self.language)
            .bind(self.business_context.as_deref())
            .bind(i64::from(self.active))
            .bind(row::millis(self.created_at))
            .bind(row::millis(self.updated_at))
            .bind(self.deleted_at.map(row::millis))
    }
}

impl NewAgent {
    /// The row this agent would be in `account_id`, created now.
    fn into_agent(self, account_id: &AccountId) -> Agent {
        let now = row::now();
        Agent {
            id: AgentId::generate(),
            account_id: account_id.clone(),
            name: self.name,
            phone_number: self.phone_number,
            elevenlabs_agent_id: self.elevenlabs_agent_id,
            timezone: self.timezone,
            first_message: self.first_message,
            fallback_mode: self.fallback_mode,
            fallback_number: self.fallback_number,
            voice_id: self.voice_id,
            language: self.language,
            business_context: self.business_context,
            active: self.active,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        }
    }
}

const INSERT_AGENT: &str = concat!(
    "INSERT INTO agents (",
    agent_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
);

impl Store {
    /// Fails with `Conflict(AgentPhoneNumber)` when another agent already has the number.
    pub async fn create_agent(&self, account_id: &AccountId, new: NewAgent) -> StoreResult<Agent> {
        let agent = new.into_agent(account_id);
        agent.validate()?;
        let mut tx = self.begin_write().await?;
        if let Some(number) = &agent.phone_number {
            super::menus::refuse_menu_number(&mut tx, self.backend(), number).await?;
        }
        agent
            .bind_all(sqlx::query(INSERT_AGENT))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.agents_changed();
        Ok(agent)
    }

    /// Creates the agent unless the account already has `max_agents` agents (deleted ones do
    /// not count): `None` then, and nothing is written. The count and the insert are one
    /// transaction that first writes the account's row, so two requests at once cannot both
    /// take the last place (the write is PostgreSQL's row lock; SQLite's `BEGIN IMMEDIATE`
    /// already serializes writers).
    pub async fn create_agent_within(
        &self,
        account_id: &AccountId,
        new: NewAgent,
        max_agents: u32,
    ) -> StoreResult<Option<Agent>> {
        let agent = new.into_agent(account_id);
        agent.validate()?;
        let mut tx = self.begin_write().await?;
        let locked = sqlx::query("UPDATE accounts SET plan = plan WHERE id = $1")
            .bind(account_id.as_str())
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "account" });
        }
        let live: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM agents WHERE account_id = $1 AND deleted_at IS NULL")
                .bind(account_id.as_str())
                .fetch_one(&mut *tx)
                .await?;
        if live >= i64::from(max_agents) {
            return Ok(None);
        }
        if let Some(number) = &agent.phone_number {
            super::menus::refuse_menu_number(&mut tx, self.backend(), number).await?;
        }
        agent
            .bind_all(sqlx::query(INSERT_AGENT))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.agents_changed();
        Ok(Some(agent))
    }

    /// How many agents the account has (deleted ones left out).
    pub async fn count_agents(&self, account_id: &AccountId) -> StoreResult<u32> {
        let live: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM agents WHERE account_id = $1 AND deleted_at IS NULL")
                .bind(account_id.as_str())
                .fetch_one(&self.pool)
                .await?;
        Ok(u32::try_from(live).unwrap_or(u32::MAX))
    }

    pub async fn agent(&self, account_id: &AccountId, id: &AgentId) -> StoreResult<Agent> {
        let row = sqlx::query(concat!(
            "SELECT ",
            agent_columns!(),
            " FROM agents WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL"
        ))
        .bind(account_id.as_str())
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row::required(row, "agent", Agent::from_row)
    }

    /// The agent answering a dialled number: the first lookup of every inbound call, one probe
    /// of the unique index on `phone_number` (which covers the agents not deleted). Not
    /// account-scoped because the number is what identifies the account. A deleted agent
    /// answers no number.
    pub async fn agent_by_phone_number(&self, phone_number: &str) -> StoreResult<Option<Agent>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            agent_columns!(),
            " FROM agents WHERE phone_number = $1 AND deleted_at IS NULL"
        ))
        .bind(phone_number)
        .fetch_optional(&self.pool)
        .await?;
        row::optional(row, Agent::from_row)
    }

    /// The most recently deleted agent that had this number, if any (whichever the account).
    pub async fn deleted_agent_by_phone_number(&self, phone_number: &str) -> StoreResult<Option<Agent>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            agent_columns!(),
            " FROM agents WHERE phone_number = $1 AND deleted_at IS NOT NULL ORDER BY deleted_at DESC LIMIT 1"
        ))
        .bind(phone_number)
        .fetch_optional(&self.pool)
        .await?;
        row::optional(row, Agent::from_row)
    }

    /// The agent with this id, in whichever account it is. For callers that hold an
    /// authenticated agent id but no account yet (a webhook naming its agent, a media
    /// stream's signed token); every other read is account-scoped. A deleted agent is still
    /// found here (with its `deleted_at`): a call it answered before its deletion, whose
    /// stream or tools come after, finishes as it began.
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
            " FROM agents WHERE elevenlabs_agent_id = $1 AND deleted_at IS NULL ORDER BY id"
        ))
        .bind(elevenlabs_agent_id)
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, Agent::from_row)
    }

    /// The account's agents, oldest first (deleted ones left out).
    pub async fn agents(&self, account_id: &AccountId) -> StoreResult<Vec<Agent>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            agent_columns!(),
            " FROM agents WHERE account_id = $1 AND deleted_at IS NULL ORDER BY id"
        ))
        .bind(account_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, Agent::from_row)
    }

    /// One page of the account's agents, oldest first (deleted ones left out).
    pub async fn agents_page(&self, account_id: &AccountId, page: &PageRequest) -> StoreResult<Page<Agent>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            agent_columns!(),
            " FROM agents WHERE account_id = $1 AND deleted_at IS NULL AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(account_id.as_str())
        .bind(page.after.as_deref().unwrap_or(""))
        .bind(page.fetch_limit())
        .fetch_all(&self.pool)
        .await?;
        let agents = row::all(rows, Agent::from_row)?;
        Ok(Page::from_fetched(agents, page, |agent| agent.id.as_str()))
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

/// Writes the agent's row unchanged inside the caller's transaction: `NotFound` when the
/// agent is not the account's or is deleted, and the row's lock on PostgreSQL.
pub(super) async fn lock_agent(
    conn: &mut AnyConnection,
    account_id: &AccountId,
    id: &AgentId,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE agents SET updated_at = updated_at WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL",
    )
    .bind(account_id.as_str())
    .bind(id.as_str())
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound { what: "agent" });
    }
    Ok(())
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
