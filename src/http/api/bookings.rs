//! `/bookings`: list with filters, read, make, move and cancel an account's bookings, through
//! the booking use cases the agent's tools run (`manage::bookings`). A refused time is 409 with
//! the next free starts in `error.alternatives`; a POST's `Idempotency-Key` is also the
//! booking's own key, so a retry never makes a second booking.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::AccountKey;
use super::idempotency::HEADER as IDEMPOTENCY_HEADER;
use super::{ApiFailure, ApiJson, ApiQuery, ApiResult, ApiState, ListQuery, Listed, rfc3339, rfc3339_zoned};
use crate::booking::{Appointment, Cancelled, Placed};
use crate::manage::bookings::{self, BookingQuery, NewBookingInput, RescheduleInput};
use crate::store::BookingStatus;

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingBody {
    pub id: String,
    /// The short code a caller quotes to the agent.
    pub reference: String,
    /// `confirmed`, `cancelled`, or `rescheduled` (replaced by the booking whose
    /// `rescheduled_from` is this one).
    pub status: String,
    pub event_type_id: String,
    pub event_type_name: String,
    pub host_id: String,
    pub contact_id: Option<String>,
    /// RFC 3339 with the offset of the booking's `timezone`.
    #[schema(format = DateTime)]
    pub start: String,
    #[schema(format = DateTime)]
    pub end: String,
    /// The invitee's IANA time zone.
    pub timezone: String,
    pub invitee_name: String,
    pub invitee_email: Option<String>,
    pub invitee_phone: Option<String>,
    pub notes: Option<String>,
    pub rescheduled_from: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<Appointment> for BookingBody {
    fn from(Appointment { booking, event_type }: Appointment) -> BookingBody {
        let zone = TimeZone::get(&booking.timezone).unwrap_or(TimeZone::UTC);
        BookingBody {
            id: booking.id.into_string(),
            reference: booking.reference,
            status: status_word(booking.status).to_owned(),
            event_type_id: event_type.id.into_string(),
            event_type_name: event_type.name,
            host_id: booking.host_id.into_string(),
            contact_id: booking.contact_id.map(|id| id.into_string()),
            start: rfc3339_zoned(&booking.start_at.to_zoned(zone.clone())),
            end: rfc3339_zoned(&booking.end_at.to_zoned(zone)),
            timezone: booking.timezone,
            invitee_name: booking.invitee_name,
            invitee_email: booking.invitee_email,
            invitee_phone: booking.invitee_phone,
            notes: booking.notes,
            rescheduled_from: booking.rescheduled_from.map(|id| id.into_string()),
            created_at: rfc3339(booking.created_at),
            updated_at: rfc3339(booking.updated_at),
        }
    }
}

fn status_word(status: BookingStatus) -> &'static str {
    match status {
        BookingStatus::Confirmed => "confirmed",
        BookingStatus::Cancelled => "cancelled",
        BookingStatus::Rescheduled => "rescheduled",
    }
}

/// The list's filters and page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BookingListParams {
    /// Rows per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(min_length = 1)]
    pub cursor: Option<String>,
    /// `confirmed`, `cancelled` or `rescheduled`.
    pub status: Option<String>,
    pub host_id: Option<String>,
    pub event_type_id: Option<String>,
    pub contact_id: Option<String>,
    /// Bookings starting at or after this instant (RFC 3339 with offset).
    pub start_from: Option<String>,
    /// Bookings starting before this instant (RFC 3339 with offset).
    pub start_to: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBookingBody {
    /// The event type's id.
    #[schema(required = true)]
    pub event_type_id: Option<String>,
    /// RFC 3339 with offset: one of the event type's open starts.
    #[schema(required = true, format = DateTime)]
    pub start: Option<String>,
    /// The invitee's IANA time zone, kept on the booking; the host's when left out.
    pub timezone: Option<String>,
    #[schema(required = true, max_length = 200)]
    pub invitee_name: Option<String>,
    pub invitee_email: Option<String>,
    /// E.164; the booking is filed under the account's contact with this number.
    pub invitee_phone: Option<String>,
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    /// The new start, RFC 3339 with offset.
    #[schema(required = true, format = DateTime)]
    pub start: Option<String>,
    /// The zone the booking keeps from now on; its own when left out.
    pub timezone: Option<String>,
}

pub(super) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(list_bookings, create_booking))
        .routes(routes!(get_booking))
        .routes(routes!(reschedule_booking))
        .routes(routes!(cancel_booking))
}

/// The account's bookings, the most recently made first.
#[utoipa::path(get, path = "/bookings", tag = "bookings", operation_id = "list_bookings",
    params(BookingListParams),
    responses((status = 200, description = "A page of bookings", body = Listed<BookingBody>)))]
async fn list_bookings(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    ApiQuery(params): ApiQuery<BookingListParams>,
) -> ApiResult<Json<Listed<BookingBody>>> {
    let page = ListQuery {
        limit: params.limit,
        cursor: params.cursor,
    }
    .page()?;
    let query = BookingQuery {
        status: params.status,
        host_id: params.host_id,
        event_type_id: params.event_type_id,
        contact_id: params.contact_id,
        start_from: params.start_from,
        start_to: params.start_to,
    };
    let bookings = bookings::list(&state.store, &scope, &query, &page).await?;
    Ok(Json(Listed::from_page(bookings, BookingBody::from)))
}

/// Books a meeting: 201 with the booking, or 200 with the one the same `Idempotency-Key` made.
#[utoipa::path(post, path = "/bookings", tag = "bookings", operation_id = "create_booking",
    request_body = NewBookingBody,
    responses(
        (status = 201, description = "The booking made", body = BookingBody),
        (status = 200, description = "The booking this key made before", body = BookingBody),
        (status = 409, description = "The time is not free: `error.alternatives` lists the next free starts",
            body = super::ErrorBody)))]
async fn create_booking(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewBookingBody>,
) -> ApiResult<Response> {
    let new = NewBookingInput {
        event_type_id: body.event_type_id,
        start: body.start,
        timezone: body.timezone,
        invitee_name: body.invitee_name,
        invitee_email: body.invitee_email,
        invitee_phone: body.invitee_phone,
        notes: body.notes,
        idempotency_key: idempotency_key(&headers)?,
    };
    let placed = state.bookings.create(&scope, new, Timestamp::now()).await?;
    Ok(placed_answer(placed))
}

/// One booking.
#[utoipa::path(get, path = "/bookings/{id}", tag = "bookings", operation_id = "get_booking",
    params(("id" = String, Path, description = "The booking's id")),
    responses((status = 200, description = "The booking", body = BookingBody)))]
async fn get_booking(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<BookingBody>> {
    Ok(Json(bookings::get(&state.store, &scope, &id).await?.into()))
}

/// Moves a booking to a new start: 201 with the booking that replaces it (the old one becomes
/// `rescheduled`), or 200 with the one the same `Idempotency-Key` made.
#[utoipa::path(post, path = "/bookings/{id}/reschedule", tag = "bookings", operation_id = "reschedule_booking",
    params(("id" = String, Path, description = "The booking's id")),
    request_body = RescheduleBody,
    responses(
        (status = 201, description = "The booking that replaces it", body = BookingBody),
        (status = 200, description = "The booking this key made before", body = BookingBody),
        (status = 409, description = "The time is not free (`error.alternatives`), or the booking can no longer move",
            body = super::ErrorBody)))]
async fn reschedule_booking(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RescheduleBody>,
) -> ApiResult<Response> {
    let change = RescheduleInput {
        start: body.start,
        timezone: body.timezone,
        idempotency_key: idempotency_key(&headers)?,
    };
    let placed = state
        .bookings
        .reschedule(&scope, &id, change, Timestamp::now())
        .await?;
    Ok(placed_answer(placed))
}

/// Cancels a booking; cancelling a cancelled one changes nothing.
#[utoipa::path(post, path = "/bookings/{id}/cancel", tag = "bookings", operation_id = "cancel_booking",
    params(("id" = String, Path, description = "The booking's id")),
    responses(
        (status = 200, description = "The booking, cancelled", body = BookingBody),
        (status = 409, description = "The booking was moved or has started", body = super::ErrorBody)))]
async fn cancel_booking(
    AccountKey(scope): AccountKey,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> ApiResult<Json<BookingBody>> {
    let cancelled = state.bookings.cancel(&scope, &id, Timestamp::now()).await?;
    let appointment = match cancelled {
        Cancelled::Now(appointment) | Cancelled::Earlier(appointment) => appointment,
    };
    Ok(Json(appointment.into()))
}

fn placed_answer(placed: Placed) -> Response {
    let (status, appointment) = match placed {
        Placed::New(appointment) => (StatusCode::CREATED, appointment),
        Placed::Existing(appointment) => (StatusCode::OK, appointment),
    };
    (status, Json(BookingBody::from(appointment))).into_response()
}

/// The request's `Idempotency-Key` (the idempotency layer has checked its form).
fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    headers
        .get(IDEMPOTENCY_HEADER)
        .map(|value| {
            value.to_str().map(str::to_owned).map_err(|_| {
                ApiFailure::bad_request("bad_idempotency_key", "`Idempotency-Key` must be visible ASCII.")
                    .with_field("Idempotency-Key")
            })
        })
        .transpose()
}
