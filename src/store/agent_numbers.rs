//! The Twilio side of an agent's number (`agent_numbers`): which Twilio number it is, whether
//! switchboard bought it or the business brought it, and where a brought number's calls went
//! before (so it can be put back). Written in the same transaction as the agent's
//! `phone_number`, so the two never disagree.
//!
//! Giving a number up moves this row into a hold (`number_holds`, see `number_holds.rs`): the
//! agent loses the number at once, and the number stays the account's for the hold.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::agents::lock_agent;
use super::error::{Constraint, StoreError, StoreResult};
use super::ids::{AccountId, AgentId};
use super::number_holds::{self, NumberHold};
use super::row;
use super::twilio_numbers::{AgentNumber, NumberHooks};
use super::validate;

/// A number to give an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgentNumber {
    pub agent_id: AgentId,
    pub phone_number: String,
    pub twilio_sid: String,
    pub bought: bool,
    pub previous: NumberHooks,
}

/// A number taken off its agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenUp {
    /// The number the agent had.
    pub phone_number: String,
    /// Its hold, when switchboard knew the number at Twilio (a number only typed into the
    /// agent's `phone_number` has none).
    pub hold: Option<NumberHold>,
}

macro_rules! number_columns {
    () => {
        "account_id, agent_id, phone_number, twilio_sid, bought, previous_voice_url, \
     previous_voice_method, previous_status_callback, previous_status_callback_method, attached_at, previous_sms_url, previous_sms_method"
    };
}

fn from_row(row: &AnyRow) -> StoreResult<AgentNumber> {
    Ok(AgentNumber {
        account_id: AccountId::from(row::text(row, "account_id")?),
        agent_id: AgentId::from(row::text(row, "agent_id")?),
        phone_number: row::text(row, "phone_number")?,
        twilio_sid: row::text(row, "twilio_sid")?,
        bought: row::flag(row, "bought")?,
        previous: NumberHooks::from_row(row)?,
        attached_at: row::instant(row, "attached_at")?,
    })
}

/// Inside an agent's write: `Conflict(AgentHasNumber)` when its number was given through
/// Twilio (it is given up with `give_up_agent_number`, never simply changed).
pub(super) async fn refuse_twilio_number(
    conn: &mut sqlx::AnyConnection,
    account_id: &AccountId,
    agent_id: &AgentId,
) -> StoreResult<()> {
    let known: Option<String> =
        sqlx::query_scalar("SELECT phone_number FROM agent_numbers WHERE account_id = $1 AND agent_id = $2")
            .bind(account_id.as_str())
            .bind(agent_id.as_str())
            .fetch_optional(conn)
            .await?;
    match known {
        Some(_) => Err(StoreError::Conflict {
            constraint: Constraint::AgentHasNumber,
        }),
        None => Ok(()),
    }
}

impl Store {
    /// The Twilio side of the agent's number, if it was given one through Twilio.
    pub async fn agent_number(
        &self,
        account_id: &AccountId,
        agent_id: &AgentId,
    ) -> StoreResult<Option<AgentNumber>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            number_columns!(),
            " FROM agent_numbers WHERE account_id = $1 AND agent_id = $2"
        ))
        .bind(account_id.as_str())
        .bind(agent_id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row::optional(row, from_row)
    }

    /// Gives the agent `new`'s number, at `now`: its `phone_number` and this row, in one
    /// transaction. `Conflict(AgentHasNumber)` when the agent already has a number,
    /// `Conflict(AgentPhoneNumber)` when another agent answers it, `Conflict(MenuPhoneNumber)`
    /// when it has a menu, `Conflict(NumberHeld)` when it is held for another account. A hold
    /// of this account's on the number ends (it may take its number back).
    pub async fn attach_agent_number(
        &self,
        account_id: &AccountId,
        new: NewAgentNumber,
        now: Timestamp,
    ) -> StoreResult<AgentNumber> {
        validate::e164("phone number", &new.phone_number)?;
        validate::not_blank("twilio sid", &new.twilio_sid)?;
        let now = row::stored_precision(now);
        let mut tx = self.begin_write().await?;
        lock_agent(&mut tx, account_id, &new.agent_id).await?;
        let current: Option<String> = sqlx::query_scalar("SELECT phone_number FROM agents WHERE id = $1")
            .bind(new.agent_id.as_str())
            .fetch_one(&mut *tx)
            .await?;
        if current.is_some() {
            return Err(StoreError::Conflict {
                constraint: Constraint::AgentHasNumber,
            });
        }
        super::menus::refuse_menu_number(&mut tx, self.backend(), &new.phone_number).await?;
        number_holds::end_live_hold(&mut tx, account_id, &new.phone_number, now).await?;
        sqlx::query("UPDATE agents SET phone_number = $3, updated_at = $4 WHERE account_id = $1 AND id = $2")
            .bind(account_id.as_str())
            .bind(new.agent_id.as_str())
            .bind(&new.phone_number)
            .bind(row::millis(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(concat!(
            "INSERT INTO agent_numbers (",
            number_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(account_id.as_str())
        .bind(new.agent_id.as_str())
        .bind(&new.phone_number)
        .bind(&new.twilio_sid)
        .bind(i64::from(new.bought))
        .bind(&new.previous.voice_url)
        .bind(&new.previous.voice_method)
        .bind(&new.previous.status_callback)
        .bind(&new.previous.status_callback_method)
        .bind(row::millis(now))
        .bind(&new.previous.sms_url)
        .bind(&new.previous.sms_method)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.agents_changed();
        Ok(AgentNumber {
            account_id: account_id.clone(),
            agent_id: new.agent_id,
            phone_number: new.phone_number,
            twilio_sid: new.twilio_sid,
            bought: new.bought,
            previous: new.previous,
            attached_at: now,
        })
    }

    /// Takes the agent's number off it at `now`: it answers it no more, at once. A number
    /// known at Twilio is held until `now + hold_for` (see `number_holds`); `None` when the
    /// agent has no number. `NotFound` when the agent is not the account's.
    pub async fn give_up_agent_number(
        &self,
        account_id: &AccountId,
        agent_id: &AgentId,
        now: Timestamp,
        hold_for: jiff::SignedDuration,
    ) -> StoreResult<Option<GivenUp>> {
        let now = row::stored_precision(now);
        let mut tx = self.begin_write().await?;
        lock_agent(&mut tx, account_id, agent_id).await?;
        let phone_number: Option<String> =
            sqlx::query_scalar("SELECT phone_number FROM agents WHERE id = $1")
                .bind(agent_id.as_str())
                .fetch_one(&mut *tx)
                .await?;
        let Some(phone_number) = phone_number else {
            return Ok(None);
        };
        let known = sqlx::query(concat!(
            "SELECT ",
            number_columns!(),
            " FROM agent_numbers WHERE account_id = $1 AND agent_id = $2"
        ))
        .bind(account_id.as_str())
        .bind(agent_id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let known = row::optional(known, from_row)?;
        sqlx::query(
            "UPDATE agents SET phone_number = NULL, updated_at = $3 WHERE account_id = $1 AND id = $2",
        )
        .bind(account_id.as_str())
        .bind(agent_id.as_str())
        .bind(row::millis(now))
        .execute(&mut *tx)
        .await?;
        let hold = match known {
            Some(number) => {
                sqlx::query("DELETE FROM agent_numbers WHERE account_id = $1 AND agent_id = $2")
                    .bind(account_id.as_str())
                    .bind(agent_id.as_str())
                    .execute(&mut *tx)
                    .await?;
                Some(number_holds::insert(&mut tx, &number, now, hold_for).await?)
            }
            None => None,
        };
        tx.commit().await?;
        self.agents_changed();
        Ok(Some(GivenUp { phone_number, hold }))
    }
}
