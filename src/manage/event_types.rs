//! Event types: the kinds of meeting an account offers and the rules their slots follow. Create,
//! list, read, change (any field on its own) and delete them within the scope's account.
//!
//! Values are checked against what the availability engine can use (`availability::EventType`):
//! durations, buffers and slot intervals up to a day, notice up to a year, a booking window up
//! to two years, so an event type saved here always yields slots. An event type with bookings
//! is kept for their history (deactivate it instead), and one an agent offers by link must be
//! unlinked first.

use crate::availability::{MAX_DAYS_AHEAD, MAX_NOTICE, MAX_SLUG_LEN, MAX_SPAN};
use crate::store::{
    self, Deletion, EventTypeId, EventTypeUpdate, HostId, InUse, NewEventType, Page, PageRequest, Store,
};

use super::Scope;
use super::calendar_input::{self, MAX_TEXT_CHARS, bounded, required};
use super::error::{ManageError, ManageResult};

/// How far ahead bookings are taken when a new event type does not say.
pub const DEFAULT_MAX_DAYS_AHEAD: u32 = 60;
/// The most bookings of one event type a day may be limited to (a limit above is no limit).
const MAX_PER_DAY_LIMIT: u32 = 1000;

/// An event type as the API shows it. Durations are whole minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTypeView {
    pub id: String,
    /// The host whose calendar it is booked on.
    pub host_id: String,
    /// Unique in the account: lowercase letters, digits and single hyphens.
    pub slug: String,
    pub name: String,
    pub description: String,
    pub duration_minutes: u32,
    pub buffer_before_minutes: u32,
    pub buffer_after_minutes: u32,
    /// A booking must start at least this long after the moment it is made.
    pub minimum_notice_minutes: u32,
    /// Spacing of offered starts; `null` means the duration.
    pub slot_interval_minutes: Option<u32>,
    /// The last bookable day is today (in the host's zone) plus this many days.
    pub max_days_ahead: u32,
    /// At most this many bookings of this event type start on one day; `null` for no limit.
    pub per_day_limit: Option<u32>,
    /// An inactive event type offers no slots and takes no bookings.
    pub active: bool,
    /// A secret event type is never offered by an agent.
    pub secret: bool,
    /// RFC 3339, UTC.
    pub created_at: String,
}

impl From<store::EventType> for EventTypeView {
    fn from(event_type: store::EventType) -> EventTypeView {
        EventTypeView {
            id: event_type.id.into_string(),
            host_id: event_type.host_id.into_string(),
            slug: event_type.slug,
            name: event_type.name,
            description: event_type.description,
            duration_minutes: event_type.duration_min,
            buffer_before_minutes: event_type.buffer_before_min,
            buffer_after_minutes: event_type.buffer_after_min,
            minimum_notice_minutes: event_type.min_notice_min,
            slot_interval_minutes: event_type.slot_interval_min,
            max_days_ahead: event_type.max_days_ahead,
            per_day_limit: event_type.per_day_limit,
            active: event_type.active,
            secret: event_type.secret,
            created_at: event_type.created_at.to_string(),
        }
    }
}

/// A new event type: `host_id`, `slug`, `name` and `duration_minutes` are required; the rest
/// default to no description, no buffers or notice, starts spaced by the duration, 60 days
/// ahead, no daily limit, active and not secret.
#[derive(Debug, Clone, Default)]
pub struct NewEventTypeInput {
    pub host_id: Option<String>,
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub duration_minutes: Option<i64>,
    pub buffer_before_minutes: Option<i64>,
    pub buffer_after_minutes: Option<i64>,
    pub minimum_notice_minutes: Option<i64>,
    pub slot_interval_minutes: Option<i64>,
    pub max_days_ahead: Option<i64>,
    pub per_day_limit: Option<i64>,
    pub active: Option<bool>,
    pub secret: Option<bool>,
}

/// A change to an event type: `None` fields stay as they are; `Some(None)` clears
/// `slot_interval_minutes` (back to the duration) and `per_day_limit` (no limit).
#[derive(Debug, Clone, Default)]
pub struct EventTypePatch {
    pub host_id: Option<String>,
    pub slug: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub duration_minutes: Option<i64>,
    pub buffer_before_minutes: Option<i64>,
    pub buffer_after_minutes: Option<i64>,
    pub minimum_notice_minutes: Option<i64>,
    pub slot_interval_minutes: Option<Option<i64>>,
    pub max_days_ahead: Option<i64>,
    pub per_day_limit: Option<Option<i64>>,
    pub active: Option<bool>,
    pub secret: Option<bool>,
}

fn span_minutes() -> u32 {
    (MAX_SPAN.as_secs() / 60) as u32
}

fn notice_minutes() -> u32 {
    (MAX_NOTICE.as_secs() / 60) as u32
}

/// The checks of each field, shared by create and change.
mod field {
    use super::*;

    pub(super) fn slug(value: &str) -> ManageResult<String> {
        let ok = !value.is_empty()
            && value.len() <= MAX_SLUG_LEN
            && !value.starts_with('-')
            && !value.ends_with('-')
            && !value.contains("--")
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(value.to_owned())
        } else {
            Err(ManageError::invalid(
                "slug",
                format!(
                    "{value:?} is not a slug: use 1 to {MAX_SLUG_LEN} lowercase letters, digits and single hyphens, like intro-call"
                ),
            ))
        }
    }

    pub(super) fn duration(value: i64) -> ManageResult<u32> {
        bounded("duration_minutes", value, 1, span_minutes())
    }

    pub(super) fn buffer(name: &str, value: i64) -> ManageResult<u32> {
        bounded(name, value, 0, span_minutes())
    }

    pub(super) fn notice(value: i64) -> ManageResult<u32> {
        bounded("minimum_notice_minutes", value, 0, notice_minutes())
    }

    pub(super) fn slot_interval(value: i64) -> ManageResult<u32> {
        bounded("slot_interval_minutes", value, 1, span_minutes())
    }

    pub(super) fn days_ahead(value: i64) -> ManageResult<u32> {
        bounded("max_days_ahead", value, 1, MAX_DAYS_AHEAD)
    }

    pub(super) fn per_day_limit(value: i64) -> ManageResult<u32> {
        bounded("per_day_limit", value, 1, MAX_PER_DAY_LIMIT)
    }

    pub(super) fn description(value: &str) -> ManageResult<String> {
        calendar_input::text("description", value, MAX_TEXT_CHARS)
    }

    /// A host of the scope's account; any other id is a bad value of this field.
    pub(super) async fn host(store: &Store, scope: &Scope, value: &str) -> ManageResult<HostId> {
        let id = HostId::from(value);
        match store.host(&scope.account_id, &id).await {
            Ok(_) => Ok(id),
            Err(store::StoreError::NotFound { .. }) => Err(ManageError::invalid(
                "host_id",
                format!("no host with id {value:?} in this account"),
            )),
            Err(error) => Err(error.into()),
        }
    }
}

fn map<T, U>(value: Option<T>, check: impl FnOnce(T) -> ManageResult<U>) -> ManageResult<Option<U>> {
    value.map(check).transpose()
}

pub async fn create(store: &Store, scope: &Scope, input: NewEventTypeInput) -> ManageResult<EventTypeView> {
    let new = NewEventType {
        host_id: field::host(store, scope, &required("host_id", input.host_id)?).await?,
        slug: field::slug(&required("slug", input.slug)?)?,
        name: calendar_input::name("name", &required("name", input.name)?)?,
        description: map(input.description, |d| field::description(&d))?.unwrap_or_default(),
        duration_min: field::duration(required("duration_minutes", input.duration_minutes)?)?,
        buffer_before_min: map(input.buffer_before_minutes, |v| {
            field::buffer("buffer_before_minutes", v)
        })?
        .unwrap_or(0),
        buffer_after_min: map(input.buffer_after_minutes, |v| {
            field::buffer("buffer_after_minutes", v)
        })?
        .unwrap_or(0),
        min_notice_min: map(input.minimum_notice_minutes, field::notice)?.unwrap_or(0),
        slot_interval_min: map(input.slot_interval_minutes, field::slot_interval)?,
        max_days_ahead: map(input.max_days_ahead, field::days_ahead)?.unwrap_or(DEFAULT_MAX_DAYS_AHEAD),
        per_day_limit: map(input.per_day_limit, field::per_day_limit)?,
        active: input.active.unwrap_or(true),
        secret: input.secret.unwrap_or(false),
    };
    Ok(store.create_event_type(&scope.account_id, new).await?.into())
}

/// One page of the account's event types, oldest first.
pub async fn list(store: &Store, scope: &Scope, page: &PageRequest) -> ManageResult<Page<EventTypeView>> {
    Ok(store
        .event_types_page(&scope.account_id, page)
        .await?
        .map(EventTypeView::from))
}

pub async fn get(store: &Store, scope: &Scope, id: &str) -> ManageResult<EventTypeView> {
    Ok(store
        .event_type(&scope.account_id, &EventTypeId::from(id))
        .await?
        .into())
}

pub async fn update(
    store: &Store,
    scope: &Scope,
    id: &str,
    patch: EventTypePatch,
) -> ManageResult<EventTypeView> {
    let id = EventTypeId::from(id);
    // An event type of another account is not found, before any field is looked at.
    store.event_type(&scope.account_id, &id).await?;
    let host_id = match patch.host_id {
        Some(host) => Some(field::host(store, scope, &host).await?),
        None => None,
    };
    let update = EventTypeUpdate {
        host_id,
        slug: map(patch.slug, |slug| field::slug(&slug))?,
        name: map(patch.name, |name| calendar_input::name("name", &name))?,
        description: map(patch.description, |d| field::description(&d))?,
        duration_min: map(patch.duration_minutes, field::duration)?,
        buffer_before_min: map(patch.buffer_before_minutes, |v| {
            field::buffer("buffer_before_minutes", v)
        })?,
        buffer_after_min: map(patch.buffer_after_minutes, |v| {
            field::buffer("buffer_after_minutes", v)
        })?,
        min_notice_min: map(patch.minimum_notice_minutes, field::notice)?,
        slot_interval_min: map(patch.slot_interval_minutes, |v| map(v, field::slot_interval))?,
        max_days_ahead: map(patch.max_days_ahead, field::days_ahead)?,
        per_day_limit: map(patch.per_day_limit, |v| map(v, field::per_day_limit))?,
        active: patch.active,
        secret: patch.secret,
    };
    Ok(store
        .update_event_type(&scope.account_id, &id, update)
        .await?
        .into())
}

/// Deletes the event type (and the agents' links to it). One with bookings is refused with
/// `Conflict { code: "event_type_in_use" }`, suggesting to deactivate it: its bookings keep
/// saying what they were made as. One an agent offers by link is refused too: removing an
/// agent's last link would make that agent offer every active event type.
pub async fn delete(store: &Store, scope: &Scope, id: &str) -> ManageResult<()> {
    match store
        .delete_event_type(&scope.account_id, &EventTypeId::from(id))
        .await
    {
        Ok(Deletion::Deleted) => Ok(()),
        Ok(Deletion::Refused(in_use)) => Err(ManageError::conflict(
            "event_type_in_use",
            event_type_in_use(&in_use),
        )),
        Err(store::StoreError::Conflict {
            constraint: store::Constraint::ForeignKey(_),
        }) => Err(ManageError::conflict(
            "event_type_in_use",
            "This event type was just booked, so it is kept for that booking: set \"active\": false to stop new bookings.",
        )),
        Err(error) => Err(error.into()),
    }
}

fn event_type_in_use(in_use: &InUse) -> String {
    let mut reasons = Vec::new();
    if in_use.bookings > 0 {
        reasons.push(format!(
            "it has {} booking{}, kept with it as the account's history; set \"active\": false to stop new bookings instead",
            in_use.bookings,
            if in_use.bookings == 1 { "" } else { "s" }
        ));
    }
    if !in_use.agents.is_empty() {
        reasons.push(format!(
            "agents offer it ({}): unlink it from them first",
            in_use.agents.join(", ")
        ));
    }
    format!("This event type cannot be deleted: {}.", reasons.join("; and "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_the_availability_engine() {
        assert_eq!(span_minutes(), 1440);
        assert_eq!(notice_minutes(), 525_600);
        assert!(field::slug("intro-call-30").is_ok());
        for bad in ["", "Intro", "intro_call", "-intro", "intro--call", "intro call"] {
            assert!(field::slug(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_refusal_suggests_deactivating() {
        let message = event_type_in_use(&InUse {
            event_types: vec![],
            agents: vec!["Ava".into()],
            bookings: 2,
        });
        assert_eq!(
            message,
            "This event type cannot be deleted: it has 2 bookings, kept with it as the account's history; \
             set \"active\": false to stop new bookings instead; and agents offer it (Ava): unlink it from them first."
        );
    }
}
