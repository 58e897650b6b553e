//! `get_available_slots`: open start times of one meeting type on a date or a run of dates,
//! read on the caller's wall clock, capped to what an agent can read aloud.
//!
//! Reply for one `date`:
//! `{"event_type", "timezone", "date", "label", "slots": [{"time", "start_time"}], "more_slots",
//! "next_available"?}` where `next_available` (a dated slot) is there when the date has none.
//!
//! Reply for `date_from` + `date_to` (at most [`MAX_RANGE_DAYS`] dates):
//! `{"event_type", "timezone", "date_from", "date_to", "total_slots", "slots": [first few, dated],
//! "days": [{"date", "label", "slots": [...], "more_slots"}]}` listing only dates with openings.
//! `slots` holds the earliest [`FLAT_SLOTS`] across the range, for "the next opening is …".
//!
//! A day with more openings than [`SLOTS_PER_DAY`] lists that many spread over the day (so
//! the caller hears morning and afternoon options) and says how many more there are.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::availability::{SlotQuery, civil_date_label};
use crate::booking::{self, Scope, add_days};
use crate::store::{EventType, Host, Store};

use super::definition::{self, Definition, parameters_of};
use super::error::{ToolError, ToolResult};
use super::params;
use super::view::{self, DatedSlotView, SlotView};

/// Openings listed per date.
pub const SLOTS_PER_DAY: usize = 8;
/// Openings listed across a range in the flat `slots` list.
pub const FLAT_SLOTS: usize = 5;
/// The longest run of dates one call may ask for.
pub const MAX_RANGE_DAYS: i64 = 14;
/// How far past an empty date `next_available` looks.
const NEXT_AVAILABLE_DAYS: i64 = 14;

pub(crate) const GET_AVAILABLE_SLOTS: Definition = Definition {
    name: "get_available_slots",
    description: "Finds open start times for one meeting type on a date, or across date_from to date_to \
                  (at most 14 days). Times are in the caller's timezone; pass a slot's start_time to \
                  create_booking unchanged.",
    parameters: parameters_of::<Params>,
};

#[derive(Debug, Deserialize, JsonSchema)]
struct Params {
    #[schemars(required, description = definition::SLUG)]
    event_type_slug: Option<String>,
    /// One date as YYYY-MM-DD, or today or tomorrow.
    date: Option<String>,
    /// First date of a range, YYYY-MM-DD.
    date_from: Option<String>,
    /// Last date of a range, YYYY-MM-DD.
    date_to: Option<String>,
    #[schemars(description = definition::TIMEZONE)]
    timezone: Option<String>,
}

/// The reply: one date, or a range of dates.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum SlotsReply {
    Day(DaySlots),
    Range(RangeSlots),
}

#[derive(Debug, Serialize)]
pub struct DaySlots {
    pub event_type: String,
    pub timezone: String,
    pub date: String,
    pub label: String,
    pub slots: Vec<SlotView>,
    pub more_slots: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_available: Option<DatedSlotView>,
}

#[derive(Debug, Serialize)]
pub struct RangeSlots {
    pub event_type: String,
    pub timezone: String,
    pub date_from: String,
    pub date_to: String,
    pub total_slots: usize,
    pub slots: Vec<DatedSlotView>,
    pub days: Vec<DayEntry>,
}

#[derive(Debug, Serialize)]
pub struct DayEntry {
    pub date: String,
    pub label: String,
    pub slots: Vec<SlotView>,
    pub more_slots: usize,
}

/// The dates asked for.
enum Dates {
    One(Date),
    Range(Date, Date),
}

pub(crate) async fn get_available_slots(
    store: &Store,
    scope: &Scope,
    parameters: &Value,
    now: Timestamp,
) -> ToolResult<SlotsReply> {
    let params: Params = params::parse(parameters)?;
    let slug = params::required(&params.event_type_slug, "the meeting type")?;
    let event_type = scope.offered_event_type(store, slug).await?;
    let host = store.host(&scope.account_id, &event_type.host_id).await?;
    let caller_zone = params::timezone(&params.timezone, &host.timezone)?;
    let (timezone_name, timezone) = (caller_zone.name, caller_zone.zone);
    let today = timezone.to_datetime(now).date();
    let dates = dates(&params, today)?;
    let source = Source {
        store,
        scope,
        event_type: &event_type,
        host: &host,
        now,
    };

    Ok(match dates {
        Dates::One(date) => {
            let on_date = source.open(&day_query(date, date, &timezone)?).await?;
            // Only an empty date pays for the look further ahead.
            let next_available = if on_date.is_empty() {
                let (first, last) = (add_days(date, 1), add_days(date, NEXT_AVAILABLE_DAYS));
                let later = source.open(&day_query(first, last, &timezone)?).await?;
                later.first().map(|&at| view::dated_slot(at, &timezone))
            } else {
                None
            };
            let (slots, more_slots) = spread(&on_date, SLOTS_PER_DAY, &timezone);
            SlotsReply::Day(DaySlots {
                event_type: event_type.slug.clone(),
                timezone: timezone_name,
                date: date.to_string(),
                label: civil_date_label(date),
                slots,
                more_slots,
                next_available,
            })
        }
        Dates::Range(first, last) => {
            let found = source.open(&day_query(first, last, &timezone)?).await?;
            SlotsReply::Range(RangeSlots {
                event_type: event_type.slug.clone(),
                timezone: timezone_name,
                date_from: first.to_string(),
                date_to: last.to_string(),
                total_slots: found.len(),
                slots: found
                    .iter()
                    .take(FLAT_SLOTS)
                    .map(|&at| view::dated_slot(at, &timezone))
                    .collect(),
                days: by_date(&found, &timezone),
            })
        }
    })
}

/// Where open times come from: one event type on its host's calendar, as of `now`.
struct Source<'a> {
    store: &'a Store,
    scope: &'a Scope,
    event_type: &'a EventType,
    host: &'a Host,
    now: Timestamp,
}

impl Source<'_> {
    /// The open starts within `query`.
    async fn open(&self, query: &SlotQuery) -> ToolResult<Vec<Timestamp>> {
        let account_id = &self.scope.account_id;
        Ok(booking::open_starts(
            self.store,
            account_id,
            self.event_type,
            self.host,
            query,
            self.now,
        )
        .await?)
    }
}

fn dates(params: &Params, today: Date) -> ToolResult<Dates> {
    let from = params::given(&params.date_from);
    let to = params::given(&params.date_to);
    match (params::given(&params.date), from, to) {
        (Some(date), None, None) => Ok(Dates::One(params::date(date, today)?)),
        (None, Some(from), Some(to)) => {
            let (first, last) = (params::date(from, today)?, params::date(to, today)?);
            if last < first {
                return Err(ToolError::bad_input("date_to must not be before date_from."));
            }
            if add_days(first, MAX_RANGE_DAYS - 1) < last {
                return Err(ToolError::bad_input(format!(
                    "I can look at most {MAX_RANGE_DAYS} days at once; please ask for a shorter range."
                )));
            }
            Ok(Dates::Range(first, last))
        }
        (None, Some(_), None) | (None, None, Some(_)) => Err(ToolError::bad_input(
            "I need both date_from and date_to for a range of dates.",
        )),
        (None, None, None) => Err(ToolError::bad_input(
            "I need the date (YYYY-MM-DD), or date_from and date_to for a range.",
        )),
        (Some(_), _, _) => Err(ToolError::bad_input(
            "Give either one date or date_from and date_to, not both.",
        )),
    }
}

fn day_query(first: Date, last: Date, timezone: &TimeZone) -> ToolResult<SlotQuery> {
    SlotQuery::days(first, last, timezone.clone())
        .map_err(|error| ToolError::bad_input(format!("I can't look up those dates: {error}.")))
}

/// Groups slots by caller-local date, each date capped and spread.
fn by_date(found: &[Timestamp], timezone: &TimeZone) -> Vec<DayEntry> {
    found
        .chunk_by(|a, b| timezone.to_datetime(*a).date() == timezone.to_datetime(*b).date())
        .map(|same_day| {
            let date = timezone.to_datetime(same_day[0]).date();
            let (slots, more_slots) = spread(same_day, SLOTS_PER_DAY, timezone);
            DayEntry {
                date: date.to_string(),
                label: civil_date_label(date),
                slots,
                more_slots,
            }
        })
        .collect()
}

/// At most `cap` of `slots`, evenly spread from the first, and how many were left out.
fn spread(slots: &[Timestamp], cap: usize, timezone: &TimeZone) -> (Vec<SlotView>, usize) {
    let picked = spread_indices(slots.len(), cap)
        .map(|index| view::slot(slots[index], timezone))
        .collect::<Vec<_>>();
    let left_out = slots.len() - picked.len();
    (picked, left_out)
}

/// `cap` indices into `0..len`, increasing, starting at 0, evenly spaced; all of them when
/// `len <= cap`.
fn spread_indices(len: usize, cap: usize) -> impl Iterator<Item = usize> {
    let count = len.min(cap);
    (0..count).map(move |i| i * len / count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_days_are_listed_whole() {
        assert_eq!(spread_indices(3, 8).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(spread_indices(0, 8).count(), 0);
    }

    #[test]
    fn long_days_are_sampled_from_morning_to_evening() {
        assert_eq!(
            spread_indices(32, 8).collect::<Vec<_>>(),
            [0, 4, 8, 12, 16, 20, 24, 28]
        );
    }

    proptest! {
        #[test]
        fn spread_is_strictly_increasing_within_bounds_and_capped(len in 0usize..500, cap in 1usize..20) {
            let picked: Vec<usize> = spread_indices(len, cap).collect();
            prop_assert_eq!(picked.len(), len.min(cap));
            prop_assert!(picked.windows(2).all(|pair| pair[0] < pair[1]));
            prop_assert!(picked.iter().all(|&index| index < len));
            if len > 0 {
                prop_assert_eq!(picked[0], 0);
            }
        }
    }
}
