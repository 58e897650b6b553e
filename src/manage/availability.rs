//! The open times of one of the account's meeting types over a run of dates, read on a clock the
//! client names: the same use case (`booking::open_starts`) and rules the agent's
//! `get_available_slots` tool runs, without the tool's cap on how many slots are read aloud.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, Zoned};

use crate::availability::{QueryError, SlotQuery};
use crate::booking::{self, BookingError};
use crate::store::{EventType, EventTypeId, Store};

use super::Scope;
use super::error::{ManageError, ManageResult};
use super::input;

/// The most dates one request may span (`from` and `to` included).
pub const MAX_AVAILABILITY_DAYS: i32 = 62;

/// What is asked: `from` and `to` as `YYYY-MM-DD` (both included), on the clock of `timezone`
/// (an IANA name; the host's when absent).
#[derive(Debug, Clone, Default)]
pub struct AvailabilityQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub timezone: Option<String>,
}

/// The open starts, each with its end, on the clock asked for.
#[derive(Debug, Clone)]
pub struct OpenTimes {
    pub event_type: EventType,
    /// The IANA name of the zone the times are shown in.
    pub timezone: String,
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    pub slots: Vec<OpenSlot>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OpenSlot {
    pub start: Zoned,
    pub end: Zoned,
}

/// The open times of the account's event type `id` as of `now`.
pub async fn open_times(
    store: &Store,
    scope: &Scope,
    id: &str,
    query: &AvailabilityQuery,
    now: Timestamp,
) -> ManageResult<OpenTimes> {
    let from = input::date("from", &input::required_text("from", query.from.as_deref(), 10)?)?;
    let to = input::date("to", &input::required_text("to", query.to.as_deref(), 10)?)?;
    let event_type = store
        .event_type(&scope.account_id, &EventTypeId::from(id))
        .await?;
    let host = store.host(&scope.account_id, &event_type.host_id).await?;
    let timezone_name = match query.timezone.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => host.timezone.clone(),
    };
    let timezone = input::zone("timezone", &timezone_name)?;
    let slot_query = slot_query(from, to, &timezone)?;
    let starts = booking::open_starts(store, &scope.account_id, &event_type, &host, &slot_query, now)
        .await
        .map_err(|error| match error {
            BookingError::Store(error) => error.into(),
            other => ManageError::Internal(other.to_string()),
        })?;
    let length = SignedDuration::from_mins(i64::from(event_type.duration_min));
    let slots = starts
        .into_iter()
        .map(|start| OpenSlot {
            start: start.to_zoned(timezone.clone()),
            end: (start + length).to_zoned(timezone.clone()),
        })
        .collect();
    Ok(OpenTimes {
        event_type,
        timezone: timezone_name,
        from,
        to,
        slots,
    })
}

fn slot_query(
    from: jiff::civil::Date,
    to: jiff::civil::Date,
    timezone: &TimeZone,
) -> ManageResult<SlotQuery> {
    if to < from {
        return Err(ManageError::invalid(
            "to",
            format!("{to} is before from ({from})"),
        ));
    }
    let days = from.until(to).map(|span| span.get_days() + 1).unwrap_or(i32::MAX);
    if days > MAX_AVAILABILITY_DAYS {
        return Err(ManageError::invalid(
            "to",
            format!("the range spans {days} days; at most {MAX_AVAILABILITY_DAYS} may be asked at once"),
        ));
    }
    SlotQuery::days(from, to, timezone.clone()).map_err(|error| match error {
        QueryError::OutOfRange => ManageError::invalid("to", "is at the edge of the supported calendar"),
        other => ManageError::invalid("to", other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn a_range_runs_forwards_and_is_bounded() {
        let zone = TimeZone::UTC;
        assert!(slot_query(date(2026, 3, 1), date(2026, 3, 1), &zone).is_ok());
        let last = date(2026, 3, 1) + jiff::Span::new().days(i64::from(MAX_AVAILABILITY_DAYS - 1));
        assert!(slot_query(date(2026, 3, 1), last, &zone).is_ok());
        for (from, to) in [
            (date(2026, 3, 2), date(2026, 3, 1)),
            (date(2026, 3, 1), last.tomorrow().unwrap()),
        ] {
            let refused = slot_query(from, to, &zone).unwrap_err();
            assert!(
                matches!(refused, ManageError::Invalid { ref field, .. } if field == "to"),
                "{refused:?}"
            );
        }
    }
}
