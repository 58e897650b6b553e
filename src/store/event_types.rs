//! Event types: the kinds of meeting an account offers, with the rules the availability engine
//! applies to them, and which of them each agent offers.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::{StoreError, StoreResult};
use super::ids::{AccountId, AgentId, EventTypeId, HostId};
use super::row;
use super::validate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventType {
    pub id: EventTypeId,
    pub account_id: AccountId,
    pub host_id: HostId,
    /// Unique within the account; what tools and links name the event type by.
    pub slug: String,
    pub name: String,
    pub description: String,
    pub duration_min: u32,
    pub buffer_before_min: u32,
    pub buffer_after_min: u32,
    pub min_notice_min: u32,
    /// Spacing of offered starts; `None` means the duration.
    pub slot_interval_min: Option<u32>,
    pub max_days_ahead: u32,
    pub per_day_limit: Option<u32>,
    pub active: bool,
    /// Never offered by an agent.
    pub secret: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewEventType {
    pub host_id: HostId,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub duration_min: u32,
    pub buffer_before_min: u32,
    pub buffer_after_min: u32,
    pub min_notice_min: u32,
    pub slot_interval_min: Option<u32>,
    pub max_days_ahead: u32,
    pub per_day_limit: Option<u32>,
    pub active: bool,
    pub secret: bool,
}

impl NewEventType {
    /// The storage-level rules (the same as the table's CHECKs); the booking module validates
    /// the scheduling sense of a definition.
    fn validate(&self) -> StoreResult<()> {
        validate::not_blank("event type name", &self.name)?;
        let slug_ok = !self.slug.is_empty()
            && self
                .slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !slug_ok {
            return Err(StoreError::invalid(
                "slug",
                format!("{:?} is not lowercase letters, digits, '-' and '_'", self.slug),
            ));
        }
        let positive = [
            ("duration", Some(self.duration_min)),
            ("slot interval", self.slot_interval_min),
            ("max days ahead", Some(self.max_days_ahead)),
            ("per-day limit", self.per_day_limit),
        ];
        for (what, value) in positive {
            if value == Some(0) {
                return Err(StoreError::invalid(
                    "event type",
                    format!("{what} must be positive"),
                ));
            }
        }
        Ok(())
    }
}

macro_rules! event_type_columns {
    () => {
        "id, account_id, host_id, slug, name, description, duration_min, buffer_before_min, \
         buffer_after_min, min_notice_min, slot_interval_min, max_days_ahead, per_day_limit, active, \
         secret, created_at"
    };
}

impl EventType {
    fn from_row(row: &AnyRow) -> StoreResult<EventType> {
        Ok(EventType {
            id: row::text(row, "id")?.into(),
            account_id: row::text(row, "account_id")?.into(),
            host_id: row::text(row, "host_id")?.into(),
            slug: row::text(row, "slug")?,
            name: row::text(row, "name")?,
            description: row::text(row, "description")?,
            duration_min: row::count(row, "duration_min")?,
            buffer_before_min: row::count(row, "buffer_before_min")?,
            buffer_after_min: row::count(row, "buffer_after_min")?,
            min_notice_min: row::count(row, "min_notice_min")?,
            slot_interval_min: row::opt_count(row, "slot_interval_min")?,
            max_days_ahead: row::count(row, "max_days_ahead")?,
            per_day_limit: row::opt_count(row, "per_day_limit")?,
            active: row::flag(row, "active")?,
            secret: row::flag(row, "secret")?,
            created_at: row::instant(row, "created_at")?,
        })
    }
}

impl Store {
    /// Fails with `Conflict(EventTypeSlug)` when the account already uses the slug, and with
    /// `Conflict(ForeignKey)` when the host is not the account's.
    pub async fn create_event_type(
        &self,
        account_id: &AccountId,
        new: NewEventType,
    ) -> StoreResult<EventType> {
        new.validate()?;
        let event_type = EventType {
            id: EventTypeId::generate(),
            account_id: account_id.clone(),
            host_id: new.host_id,
            slug: new.slug,
            name: new.name,
            description: new.description,
            duration_min: new.duration_min,
            buffer_before_min: new.buffer_before_min,
            buffer_after_min: new.buffer_after_min,
            min_notice_min: new.min_notice_min,
            slot_interval_min: new.slot_interval_min,
            max_days_ahead: new.max_days_ahead,
            per_day_limit: new.per_day_limit,
            active: new.active,
            secret: new.secret,
            created_at: row::now(),
        };
        sqlx::query(concat!(
            "INSERT INTO event_types (",
            event_type_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        ))
        .bind(event_type.id.as_str())
        .bind(event_type.account_id.as_str())
        .bind(event_type.host_id.as_str())
        .bind(&event_type.slug)
        .bind(&event_type.name)
        .bind(&event_type.description)
        .bind(i64::from(event_type.duration_min))
        .bind(i64::from(event_type.buffer_before_min))
        .bind(i64::from(event_type.buffer_after_min))
        .bind(i64::from(event_type.min_notice_min))
        .bind(event_type.slot_interval_min.map(i64::from))
        .bind(i64::from(event_type.max_days_ahead))
        .bind(event_type.per_day_limit.map(i64::from))
        .bind(i64::from(event_type.active))
        .bind(i64::from(event_type.secret))
        .bind(row::millis(event_type.created_at))
        .execute(&self.pool)
        .await?;
        Ok(event_type)
    }

    pub async fn event_type(&self, account_id: &AccountId, id: &EventTypeId) -> StoreResult<EventType> {
        let row = sqlx::query(concat!(
            "SELECT ",
            event_type_columns!(),
            " FROM event_types WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id.as_str())
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row::required(row, "event type", EventType::from_row)
    }

    pub async fn event_type_by_slug(
        &self,
        account_id: &AccountId,
        slug: &str,
    ) -> StoreResult<Option<EventType>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            event_type_columns!(),
            " FROM event_types WHERE account_id = $1 AND slug = $2"
        ))
        .bind(account_id.as_str())
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?;
        row::optional(row, EventType::from_row)
    }

    /// All of the account's event types, active or not, by slug.
    pub async fn event_types(&self, account_id: &AccountId) -> StoreResult<Vec<EventType>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            event_type_columns!(),
            " FROM event_types WHERE account_id = $1 ORDER BY slug"
        ))
        .bind(account_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, EventType::from_row)
    }

    /// The event types linked to the agent, whatever their state, by slug.
    pub async fn linked_event_types(
        &self,
        account_id: &AccountId,
        agent_id: &AgentId,
    ) -> StoreResult<Vec<EventType>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            event_type_columns!(),
            " FROM event_types WHERE account_id = $1 AND id IN \
               (SELECT event_type_id FROM agent_event_types WHERE account_id = $1 AND agent_id = $2) \
             ORDER BY slug"
        ))
        .bind(account_id.as_str())
        .bind(agent_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, EventType::from_row)
    }

    /// What the agent offers callers, by slug: its linked event types that are active and not
    /// secret; an agent with no links at all offers every active, non-secret event type of the
    /// account. (An agent whose links are all inactive offers nothing: linking is a choice.)
    pub async fn event_types_for_agent(
        &self,
        account_id: &AccountId,
        agent_id: &AgentId,
    ) -> StoreResult<Vec<EventType>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            event_type_columns!(),
            " FROM event_types e WHERE e.account_id = $1 AND e.active = 1 AND e.secret = 0 AND ( \
               EXISTS (SELECT 1 FROM agent_event_types l \
                       WHERE l.account_id = $1 AND l.agent_id = $2 AND l.event_type_id = e.id) \
               OR NOT EXISTS (SELECT 1 FROM agent_event_types l WHERE l.account_id = $1 AND l.agent_id = $2)) \
             ORDER BY e.slug"
        ))
        .bind(account_id.as_str())
        .bind(agent_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, EventType::from_row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition() -> NewEventType {
        NewEventType {
            host_id: HostId::from("h"),
            slug: "intro-call-30".into(),
            name: "Intro call".into(),
            description: String::new(),
            duration_min: 30,
            buffer_before_min: 0,
            buffer_after_min: 0,
            min_notice_min: 0,
            slot_interval_min: None,
            max_days_ahead: 60,
            per_day_limit: None,
            active: true,
            secret: false,
        }
    }

    #[test]
    fn slugs_are_url_safe_words() {
        assert!(definition().validate().is_ok());
        for bad in ["", "Intro", "intro call", "intro/call", "intro.call"] {
            let new = NewEventType {
                slug: bad.into(),
                ..definition()
            };
            assert!(new.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn zero_lengths_and_limits_are_refused() {
        assert!(
            NewEventType {
                duration_min: 0,
                ..definition()
            }
            .validate()
            .is_err()
        );
        assert!(
            NewEventType {
                slot_interval_min: Some(0),
                ..definition()
            }
            .validate()
            .is_err()
        );
        assert!(
            NewEventType {
                per_day_limit: Some(0),
                ..definition()
            }
            .validate()
            .is_err()
        );
        assert!(
            NewEventType {
                max_days_ahead: 0,
                ..definition()
            }
            .validate()
            .is_err()
        );
    }
}
