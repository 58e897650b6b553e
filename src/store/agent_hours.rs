//! An agent's active hours as stored: whether they apply, the weekly ranges (in the agent's
//! own timezone, `agents.timezone`), and what a caller gets outside them. What they mean at a
//! given instant is the `hours` module's job; this file only keeps them.

use jiff::Timestamp;

use super::Store;
use super::agents::lock_agent;
use super::error::{StoreError, StoreResult};
use super::ids::{AccountId, AgentId};
use super::opening_ranges::{MinuteRange, WeeklyRange};
use super::row::{self, StoredWord};
use super::schedule::weekday_from_stored;
use super::validate;

/// What a caller gets outside an agent's active hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterHoursMode {
    Voicemail,
    Message,
    /// Told where to book online.
    Redirect,
    /// Handed to the agent's escalation number.
    Transfer,
}

impl StoredWord for AfterHoursMode {
    fn as_stored(&self) -> &'static str {
        match self {
            AfterHoursMode::Voicemail => "voicemail",
            AfterHoursMode::Message => "message",
            AfterHoursMode::Redirect => "redirect",
            AfterHoursMode::Transfer => "transfer",
        }
    }

    fn from_stored(word: &str) -> Option<Self> {
        match word {
            "voicemail" => Some(AfterHoursMode::Voicemail),
            "message" => Some(AfterHoursMode::Message),
            "redirect" => Some(AfterHoursMode::Redirect),
            "transfer" => Some(AfterHoursMode::Transfer),
            _ => None,
        }
    }
}

/// An agent's active hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentHours {
    /// When false the agent answers at any time; the schedule is kept.
    pub enabled: bool,
    pub after_hours: AfterHoursMode,
    pub after_hours_message: Option<String>,
    /// E.164; kept, dialled by no behavior.
    pub redirect_number: Option<String>,
    /// By weekday, then start.
    pub schedule: Vec<WeeklyRange>,
    /// When they were last set (ignored when writing).
    pub updated_at: Timestamp,
}

impl AgentHours {
    fn validate(&self) -> StoreResult<()> {
        if let Some(number) = &self.redirect_number {
            validate::e164("redirect number", number)?;
        }
        for weekly in &self.schedule {
            super::opening_ranges::check_range(weekly.range)
                .map_err(|problem| StoreError::invalid("active hours", problem))?;
        }
        Ok(())
    }
}

impl Store {
    /// The agent's active hours; `None` when they were never set. `NotFound` when the agent is
    /// not the account's (or deleted).
    pub async fn agent_hours(
        &self,
        account_id: &AccountId,
        agent_id: &AgentId,
    ) -> StoreResult<Option<AgentHours>> {
        self.agent(account_id, agent_id).await?;
        let Some(hours) = sqlx::query(
            "SELECT enabled, after_hours_behavior, after_hours_message, redirect_number, updated_at \
             FROM agent_active_hours WHERE account_id = $1 AND agent_id = $2",
        )
        .bind(account_id.as_str())
        .bind(agent_id.as_str())
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let ranges = sqlx::query(
            "SELECT weekday, start_minute, end_minute FROM agent_active_ranges \
             WHERE agent_id = $1 ORDER BY weekday, start_minute, end_minute",
        )
        .bind(agent_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        let schedule = ranges
            .iter()
            .map(|range| {
                Ok(WeeklyRange {
                    weekday: weekday_from_stored(row::int(range, "weekday")?)?,
                    range: MinuteRange {
                        start_minute: row::count(range, "start_minute")?,
                        end_minute: row::count(range, "end_minute")?,
                    },
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some(AgentHours {
            enabled: row::flag(&hours, "enabled")?,
            after_hours: row::word(&hours, "after_hours_behavior")?,
            after_hours_message: row::opt_text(&hours, "after_hours_message")?,
            redirect_number: row::opt_text(&hours, "redirect_number")?,
            schedule,
            updated_at: row::instant(&hours, "updated_at")?,
        }))
    }

    /// Replaces the agent's active hours with `hours` (its schedule whole), and sets the
    /// agent's timezone, in which they are read, when `timezone` is given; one transaction.
    /// Returns them as stored.
    pub async fn set_agent_hours(
        &self,
        account_id: &AccountId,
        agent_id: &AgentId,
        hours: AgentHours,
        timezone: Option<&str>,
    ) -> StoreResult<AgentHours> {
        hours.validate()?;
        if let Some(zone) = timezone {
            validate::timezone(zone)?;
        }
        let mut hours = hours;
        hours.updated_at = row::now();
        hours.schedule.sort_by_key(|weekly| {
            (
                weekly.weekday.to_monday_one_offset(),
                weekly.range.start_minute,
                weekly.range.end_minute,
            )
        });
        hours.schedule.dedup();
        let mut tx = self.begin_write().await?;
        lock_agent(&mut tx, account_id, agent_id).await?;
        if let Some(zone) = timezone {
            sqlx::query("UPDATE agents SET timezone = $3, updated_at = $4 WHERE account_id = $1 AND id = $2")
                .bind(account_id.as_str())
                .bind(agent_id.as_str())
                .bind(zone)
                .bind(row::millis(hours.updated_at))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO agent_active_hours (account_id, agent_id, enabled, after_hours_behavior, \
             after_hours_message, redirect_number, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (agent_id) DO UPDATE SET enabled = excluded.enabled, \
             after_hours_behavior = excluded.after_hours_behavior, \
             after_hours_message = excluded.after_hours_message, \
             redirect_number = excluded.redirect_number, updated_at = excluded.updated_at",
        )
        .bind(account_id.as_str())
        .bind(agent_id.as_str())
        .bind(i64::from(hours.enabled))
        .bind(hours.after_hours.as_stored())
        .bind(hours.after_hours_message.as_deref())
        .bind(hours.redirect_number.as_deref())
        .bind(row::millis(hours.updated_at))
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM agent_active_ranges WHERE agent_id = $1")
            .bind(agent_id.as_str())
            .execute(&mut *tx)
            .await?;
        for weekly in &hours.schedule {
            sqlx::query(
                "INSERT INTO agent_active_ranges (agent_id, weekday, start_minute, end_minute) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(agent_id.as_str())
            .bind(i64::from(weekly.weekday.to_monday_one_offset()))
            .bind(i64::from(weekly.range.start_minute))
            .bind(i64::from(weekly.range.end_minute))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        // The call path keeps each line's hours with its agent: forget them all.
        self.agents_changed();
        Ok(hours)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_hours_modes_round_trip_through_their_stored_words() {
        for mode in [
            AfterHoursMode::Voicemail,
            AfterHoursMode::Message,
            AfterHoursMode::Redirect,
            AfterHoursMode::Transfer,
        ] {
            assert_eq!(AfterHoursMode::from_stored(mode.as_stored()), Some(mode));
        }
    }
}
