//! Event types: the kinds of meeting an account offers, with the rules the availability engine
//! applies to them, and which of them each agent offers.
//!
//! An event type with bookings is never deleted (its bookings keep saying what they were made
//! as; deactivating it stops new ones), nor one an agent offers by link: dropping the last link
//! would turn that agent into one offering every active event type of the account.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::{StoreError, StoreResult};
use super::ids::{AccountId, AgentId, EventTypeId, HostId};
use super::in_use::{Deletion, InUse};
use super::page::{Page, PageRequest};
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

/// A change to an event type: `None` leaves a field as it is; for the optional settings
/// (`slot_interval_min`, `per_day_limit`) `Some(None)` clears them.
#[derive(Debug, Clone, Default)]
pub struct EventTypeUpdate {
    pub host_id: Option<HostId>,
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub duration_min: Option<u32>,
    pub buffer_before_min: Option<u32>,
    pub buffer_after_min: Option<u32>,
    pub min_notice_min: Option<u32>,
    pub slot_interval_min: Option<Option<u32>>,
    pub max_days_ahead: Option<u32>,
    pub per_day_limit: Option<Option<u32>>,
    pub active: Option<bool>,
    pub secret: Option<bool>,
}

impl EventTypeUpdate {
    fn apply(self, to: &mut EventType) {
        fn set<T>(field: &mut T, value: Option<T>) {
            if let Some(value) = value {
                *field = value;
            }
        }
        set(&mut to.host_id, self.host_id);
        set(&mut to.slug, self.slug);
        set(&mut to.name, self.name);
        set(&mut to.description, self.description);
        set(&mut to.duration_min, self.duration_min);
        set(&mut to.buffer_before_min, self.buffer_before_min);
        set(&mut to.buffer_after_min, self.buffer_after_min);
        set(&mut to.min_notice_min, self.min_notice_min);
        set(&mut to.slot_interval_min, self.slot_interval_min);
        set(&mut to.max_days_ahead, self.max_days_ahead);
        set(&mut to.per_day_limit, self.per_day_limit);
        set(&mut to.active, self.active);
        set(&mut to.secret, self.secret);
    }
}

impl From<&EventType> for NewEventType {
    fn from(stored: &EventType) -> NewEventType {
        NewEventType {
            host_id: stored.host_id.clone(),
            slug: stored.slug.clone(),
            name: stored.name.clone(),
            description: stored.description.clone(),
            duration_min: stored.duration_min,
            buffer_before_min: stored.buffer_before_min,
            buffer_after_min: stored.buffer_after_min,
            min_notice_min: stored.min_notice_min,
            slot_interval_min: stored.slot_interval_min,
            max_days_ahead: stored.max_days_ahead,
            per_day_limit: stored.per_day_limit,
            active: stored.active,
            secret: stored.secret,
        }
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

    /// One page of the account's event types, oldest first.
    pub async fn event_types_page(
        &self,
        account_id: &AccountId,
        page: &PageRequest,
    ) -> StoreResult<Page<EventType>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            event_type_columns!(),
            " FROM event_types WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3"
        ))
        .bind(account_id.as_str())
        .bind(page.after.as_deref().unwrap_or(""))
        .bind(page.fetch_limit())
        .fetch_all(&self.pool)
        .await?;
        let event_types = row::all(rows, EventType::from_row)?;
        Ok(Page::from_fetched(event_types, page, |event_type| {
            event_type.id.as_str()
        }))
    }

    /// Applies `update` and returns the event type as stored. Fails like `create_event_type`
    /// on a slug already used or a host not of the account. The read and the write are one
    /// transaction that first writes the row, so concurrent updates of different fields both
    /// land. Bookings already made keep their times and buffers.
    pub async fn update_event_type(
        &self,
        account_id: &AccountId,
        id: &EventTypeId,
        update: EventTypeUpdate,
    ) -> StoreResult<EventType> {
        let mut tx = self.begin_write().await?;
        let locked = sqlx::query("UPDATE event_types SET active = active WHERE account_id = $1 AND id = $2")
            .bind(account_id.as_str())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "event type" });
        }
        let row = sqlx::query(concat!(
            "SELECT ",
            event_type_columns!(),
            " FROM event_types WHERE account_id = $1 AND id = $2"
        ))
        .bind(account_id.as_str())
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let mut event_type = row::required(row, "event type", EventType::from_row)?;
        update.apply(&mut event_type);
        NewEventType::from(&event_type).validate()?;
        sqlx::query(
            "UPDATE event_types SET host_id = $3, slug = $4, name = $5, description = $6, duration_min = $7, \
             buffer_before_min = $8, buffer_after_min = $9, min_notice_min = $10, slot_interval_min = $11, \
             max_days_ahead = $12, per_day_limit = $13, active = $14, secret = $15 \
             WHERE account_id = $1 AND id = $2",
        )
        .bind(account_id.as_str())
        .bind(id.as_str())
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
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(event_type)
    }

    /// Deletes the event type, unless it has bookings or an agent offers it by link; then
    /// nothing changes and the answer says what uses it. A booking made meanwhile cannot slip
    /// through: its reference to the event type refuses the delete (`Conflict`).
    pub async fn delete_event_type(&self, account_id: &AccountId, id: &EventTypeId) -> StoreResult<Deletion> {
        let mut tx = self.begin_write().await?;
        let locked = sqlx::query("UPDATE event_types SET active = active WHERE account_id = $1 AND id = $2")
            .bind(account_id.as_str())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "event type" });
        }
        let agents: Vec<String> = sqlx::query_scalar(
            "SELECT a.name FROM agents a JOIN agent_event_types l ON l.agent_id = a.id \
             WHERE l.account_id = $1 AND l.event_type_id = $2 ORDER BY a.name",
        )
        .bind(account_id.as_str())
        .bind(id.as_str())
        .fetch_all(&mut *tx)
        .await?;
        let bookings: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM bookings WHERE account_id = $1 AND event_type_id = $2")
                .bind(account_id.as_str())
                .bind(id.as_str())
                .fetch_one(&mut *tx)
                .await?;
        let in_use = InUse {
            event_types: Vec::new(),
            agents,
            bookings: u64::try_from(bookings).unwrap_or(0),
        };
        if !in_use.is_empty() {
            return Ok(Deletion::Refused(in_use));
        }
        sqlx::query("DELETE FROM event_types WHERE account_id = $1 AND id = $2")
            .bind(account_id.as_str())
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Deletion::Deleted)
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
