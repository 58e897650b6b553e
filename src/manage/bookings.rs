//! An account's bookings: listed with filters, read one by one, and made, moved and cancelled
//! through the very use cases the voice agent's tools run (`crate::booking`), acting as the
//! account's team (`booking::Scope::team`: any of its meeting types, secret ones included), so
//! a booking made here is one the agent can find by its reference, and the reverse.
//!
//! Idempotency follows the tools' rule: a booking is stored with the key of the request that
//! made it, and a request with a key that already made a booking gets that booking back and
//! writes nothing (the tools use the ElevenLabs tool call id). Here the key is the client's
//! `Idempotency-Key`, stored as `api:create:<key>` or `api:reschedule:<booking id>:<key>`:
//! prefixed so that it can never equal a tool call id, and one key reused on another operation
//! or booking does not answer with the wrong booking. Without a key each request is new.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::booking::{
    self, Appointment, BookingError, BookingListeners, BookingRequest, Cancelled, Invitee, Placed,
    RescheduleRequest, StartTime,
};
use crate::store::{
    BookingFilter, BookingId, BookingStatus, ContactId, EventType, EventTypeId, HostId, Page, PageRequest,
    Store,
};

use super::Scope;
use super::error::{ManageError, ManageResult};
use super::input;

/// The longest `Idempotency-Key` taken.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// The list's filters as the client sends them (all optional; instants RFC 3339).
#[derive(Debug, Clone, Default)]
pub struct BookingQuery {
    pub status: Option<String>,
    pub host_id: Option<String>,
    pub event_type_id: Option<String>,
    pub contact_id: Option<String>,
    pub start_from: Option<String>,
    pub start_to: Option<String>,
}

/// A booking to make.
#[derive(Debug, Clone, Default)]
pub struct NewBookingInput {
    /// The meeting type's id (its slug is taken too).
    pub event_type_id: Option<String>,
    /// RFC 3339 with offset.
    pub start: Option<String>,
    /// The invitee's IANA zone, kept on the booking; the host's when absent.
    pub timezone: Option<String>,
    pub invitee_name: Option<String>,
    pub invitee_email: Option<String>,
    /// E.164; the booking is filed under the account's contact with this number (created or
    /// updated with the name and email), as the agent's bookings are.
    pub invitee_phone: Option<String>,
    pub notes: Option<String>,
    pub idempotency_key: Option<String>,
}

/// A new time for a booking.
#[derive(Debug, Clone, Default)]
pub struct RescheduleInput {
    /// RFC 3339 with offset.
    pub start: Option<String>,
    /// The zone the booking keeps from now on; its own when absent.
    pub timezone: Option<String>,
    pub idempotency_key: Option<String>,
}

/// A page of the account's bookings, the most recently made first.
pub async fn list(
    store: &Store,
    scope: &Scope,
    query: &BookingQuery,
    page: &PageRequest,
) -> ManageResult<Page<Appointment>> {
    let status = query.status.as_deref().map(status).transpose()?;
    let start_from = input::opt_instant("start_from", query.start_from.as_deref())?;
    let start_to = input::opt_instant("start_to", query.start_to.as_deref())?;
    input::ordered("start_from", start_from, "start_to", start_to)?;
    let filter = BookingFilter {
        status,
        host_id: query.host_id.as_deref().map(HostId::from),
        event_type_id: query.event_type_id.as_deref().map(EventTypeId::from),
        contact_id: query.contact_id.as_deref().map(ContactId::from),
        start_from,
        start_to,
    };
    let bookings = store.bookings(&scope.account_id, &filter, page).await?;
    // A page names a handful of event types; each is read once.
    let mut event_types: HashMap<EventTypeId, EventType> = HashMap::new();
    let mut appointments = Vec::with_capacity(bookings.items.len());
    for booking in bookings.items {
        let event_type = match event_types.get(&booking.event_type_id) {
            Some(known) => known.clone(),
            None => {
                let read = store
                    .event_type(&scope.account_id, &booking.event_type_id)
                    .await?;
                event_types.insert(read.id.clone(), read.clone());
                read
            }
        };
        appointments.push(Appointment { booking, event_type });
    }
    Ok(Page {
        items: appointments,
        next: bookings.next,
    })
}

/// The account's booking `id`, with its meeting type.
pub async fn get(store: &Store, scope: &Scope, id: &str) -> ManageResult<Appointment> {
    let booking = store.booking(&scope.account_id, &BookingId::from(id)).await?;
    let event_type = store
        .event_type(&scope.account_id, &booking.event_type_id)
        .await?;
    Ok(Appointment { booking, event_type })
}

/// Books `new` as of `now` ([`Placed::Existing`] when its key made a booking before).
pub async fn create(
    store: &Store,
    scope: &Scope,
    new: NewBookingInput,
    now: Timestamp,
) -> ManageResult<Placed> {
    let event_type = input::required_text("event_type_id", new.event_type_id.as_deref(), 200)?;
    let start = input::instant(
        "start",
        &input::required_text("start", new.start.as_deref(), 100)?,
    )?;
    let timezone = checked_zone(new.timezone.as_deref())?;
    let invitee = Invitee {
        name: input::required_text("invitee_name", new.invitee_name.as_deref(), input::MAX_NAME_CHARS)?,
        email: new
            .invitee_email
            .as_deref()
            .map(|email| input::email("invitee_email", email))
            .transpose()?,
        phone: new
            .invitee_phone
            .as_deref()
            .map(|phone| input::phone("invitee_phone", phone))
            .transpose()?,
        notes: input::optional_text("notes", new.notes.as_deref(), input::MAX_NOTES_CHARS)?,
    };
    let key = idempotency_key(new.idempotency_key.as_deref())?;
    let request = BookingRequest {
        event_type,
        start: StartTime::Instant(start),
        timezone,
        invitee,
        caller_phone: None,
        idempotency_key: format!("api:create:{key}"),
    };
    booking::create(store, &team(scope), request, now)
        .await
        .map_err(refusal)
}

/// Moves the account's booking `id` to `change.start` as of `now`: the booking that replaces it
/// (the old one is marked `rescheduled`), or the one the same key made before.
pub async fn reschedule(
    store: &Store,
    scope: &Scope,
    id: &str,
    change: RescheduleInput,
    now: Timestamp,
) -> ManageResult<Placed> {
    let start = input::instant(
        "start",
        &input::required_text("start", change.start.as_deref(), 100)?,
    )?;
    let timezone = checked_zone(change.timezone.as_deref())?;
    let key = idempotency_key(change.idempotency_key.as_deref())?;
    let booking = store.booking(&scope.account_id, &BookingId::from(id)).await?;
    let request = RescheduleRequest {
        reference: booking.reference,
        start: StartTime::Instant(start),
        timezone,
        idempotency_key: format!("api:reschedule:{}:{key}", booking.id),
    };
    booking::reschedule(store, &team(scope), request, now)
        .await
        .map_err(refusal)
}

/// Cancels the account's booking `id` as of `now` ([`Cancelled::Earlier`] if it was already).
pub async fn cancel(store: &Store, scope: &Scope, id: &str, now: Timestamp) -> ManageResult<Cancelled> {
    let booking = store.booking(&scope.account_id, &BookingId::from(id)).await?;
    booking::cancel(store, &team(scope), &booking.reference, now)
        .await
        .map_err(refusal)
}

/// The changing use cases with the listeners told of what each one changed: what the API
/// runs.
#[derive(Debug, Clone)]
pub struct Bookings {
    store: Store,
    listeners: BookingListeners,
}

impl Bookings {
    pub fn new(store: Store, listeners: BookingListeners) -> Bookings {
        Bookings { store, listeners }
    }

    /// [`create`], then the listeners told of a booking it made.
    pub async fn create(&self, scope: &Scope, new: NewBookingInput, now: Timestamp) -> ManageResult<Placed> {
        let placed = create(&self.store, scope, new, now).await?;
        self.listeners.placed(&team(scope), &placed).await;
        Ok(placed)
    }

    /// [`reschedule`], then the listeners told of a booking it moved.
    pub async fn reschedule(
        &self,
        scope: &Scope,
        id: &str,
        change: RescheduleInput,
        now: Timestamp,
    ) -> ManageResult<Placed> {
        let placed = reschedule(&self.store, scope, id, change, now).await?;
        self.listeners.placed(&team(scope), &placed).await;
        Ok(placed)
    }

    /// [`cancel`], then the listeners told of a booking it cancelled.
    pub async fn cancel(&self, scope: &Scope, id: &str, now: Timestamp) -> ManageResult<Cancelled> {
        let cancelled = cancel(&self.store, scope, id, now).await?;
        self.listeners.cancelled(&team(scope), &cancelled).await;
        Ok(cancelled)
    }
}

fn team(scope: &Scope) -> booking::Scope {
    booking::Scope::team(scope.account_id.clone())
}

fn status(text: &str) -> ManageResult<BookingStatus> {
    match text.trim() {
        "confirmed" => Ok(BookingStatus::Confirmed),
        "cancelled" => Ok(BookingStatus::Cancelled),
        "rescheduled" => Ok(BookingStatus::Rescheduled),
        other => Err(ManageError::invalid(
            "status",
            format!("{other:?} is not one of confirmed, cancelled, rescheduled"),
        )),
    }
}

/// The zone named, checked here so a wrong name is refused with the one likely meant.
fn checked_zone(name: Option<&str>) -> ManageResult<Option<String>> {
    name.map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| input::zone("timezone", name).map(|_| name.to_owned()))
        .transpose()
}

/// The client's key, or a fresh one: without a key every request is a new one.
fn idempotency_key(given: Option<&str>) -> ManageResult<String> {
    match given {
        Some(key) => input::required_text("Idempotency-Key", Some(key), MAX_IDEMPOTENCY_KEY_CHARS),
        None => Ok(uuid::Uuid::now_v7().to_string()),
    }
}

/// What a booking use case's refusal means to a client of the API.
fn refusal(error: BookingError) -> ManageError {
    match error {
        BookingError::Refused {
            refusal,
            alternatives,
            timezone,
            ..
        } => ManageError::Refused {
            code: refusal_code(&refusal),
            message: refusal.to_string(),
            alternatives: alternatives
                .into_iter()
                .map(|start| start.to_zoned(timezone.clone()))
                .collect(),
        },
        BookingError::NotOffered { named, .. } => ManageError::invalid(
            "event_type_id",
            format!("the account has no event type {named:?}"),
        ),
        BookingError::NotFound { .. } => ManageError::NotFound { what: "booking" },
        BookingError::MoveNotOffered => ManageError::Forbidden {
            message: "This booking's event type cannot be changed here.".into(),
        },
        BookingError::AlreadyMoved => ManageError::conflict(
            "already_rescheduled",
            "The booking was moved before; change the booking that replaced it.",
        ),
        BookingError::AlreadyCancelled => {
            ManageError::conflict("already_cancelled", "The booking is cancelled.")
        }
        BookingError::AlreadyStarted => ManageError::conflict(
            "already_started",
            "The booking's start has passed, so it can no longer be changed.",
        ),
        BookingError::ChangedMeanwhile => ManageError::conflict(
            "changed_meanwhile",
            "The booking was cancelled or moved by another request meanwhile.",
        ),
        BookingError::UnknownTimezone { name } => {
            ManageError::invalid("timezone", format!("{name:?} is not an IANA time zone name"))
        }
        BookingError::DateOutOfRange => ManageError::invalid("start", "is out of the supported range"),
        BookingError::Store(error) => error.into(),
        BookingError::Internal(message) => ManageError::Internal(message),
    }
}

/// A stable code for each reason the rules refuse a start.
fn refusal_code(refusal: &crate::availability::Refusal) -> &'static str {
    use crate::availability::Refusal;
    match refusal {
        Refusal::Inactive => "event_type_inactive",
        Refusal::InThePast => "in_the_past",
        Refusal::TooSoon { .. } => "too_soon",
        Refusal::TooFarAhead { .. } => "too_far_ahead",
        Refusal::NonexistentLocalTime | Refusal::AmbiguousLocalTime => "unclear_local_time",
        Refusal::ClosedThatDay => "closed_that_day",
        Refusal::OutsideOpeningHours => "outside_opening_hours",
        Refusal::RunsPastClosing => "runs_past_closing",
        Refusal::NotAStartTime => "not_a_start_time",
        Refusal::DayFullyBooked => "day_fully_booked",
        Refusal::Taken => "slot_taken",
    }
}
