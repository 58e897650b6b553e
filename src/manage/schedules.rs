//! A host's schedule as the API writes it: weekly hours (replaced whole), date overrides (a
//! date's own ranges, or closed) and blackout dates, all in the host's time zone. Times are
//! `HH:MM`, days `monday`..`sunday`, dates `YYYY-MM-DD`; a range whose end is before its start
//! runs past midnight (`22:00`-`02:00`). Ranges that overlap, or have no length, are refused
//! naming the range (`ranges[2]`).
//!
//! What the booking tools offer is computed from these same rows (`booking::open_starts`), so
//! a change here is what the next caller hears.

use jiff::civil::Date;

use crate::store::{
    self, Blackout, DateOverride, HostId, MinuteRange, RangeProblem, Store, WeeklyRange, clock_time,
    weekday_name,
};

use super::Scope;
use super::calendar_input::{self, Edge, MAX_TEXT_CHARS, required};
use super::error::{ManageError, ManageResult};

/// The earliest and latest dates a listing covers when the client gives no bounds.
const FIRST_DATE: Date = jiff::civil::date(1, 1, 1);
const LAST_DATE: Date = jiff::civil::date(9999, 12, 31);

/// An opening range on a day of the week.
#[derive(Debug, Clone, Default)]
pub struct WeeklyRangeInput {
    pub day: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}

/// All of a host's weekly hours. Writing them replaces what was there; an empty list closes
/// every day (date overrides can still open single dates).
#[derive(Debug, Clone, Default)]
pub struct WeeklyHoursInput {
    pub ranges: Option<Vec<WeeklyRangeInput>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyRangeView {
    /// `monday` .. `sunday`.
    pub day: String,
    /// `HH:MM`, host-local.
    pub start: String,
    /// `HH:MM`, host-local; before `start` when the range runs past midnight; `24:00` is the
    /// day's end.
    pub end: String,
}

/// Monday first, each day's ranges by start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyHoursView {
    pub ranges: Vec<WeeklyRangeView>,
}

/// A range of one date.
#[derive(Debug, Clone, Default)]
pub struct RangeInput {
    pub start: Option<String>,
    pub end: Option<String>,
}

/// What a date has instead of its weekly hours: `ranges`, or `"closed": true`.
#[derive(Debug, Clone, Default)]
pub struct DateOverrideInput {
    pub ranges: Option<Vec<RangeInput>>,
    pub closed: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeView {
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateOverrideView {
    /// `YYYY-MM-DD`, host-local.
    pub date: String,
    /// True when the date has no opening at all.
    pub closed: bool,
    /// The date's ranges by start; empty when closed.
    pub ranges: Vec<RangeView>,
}

/// Why a date is blacked out; optional.
#[derive(Debug, Clone, Default)]
pub struct BlackoutInput {
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlackoutView {
    /// `YYYY-MM-DD`, host-local.
    pub date: String,
    pub reason: Option<String>,
}

fn range_view(range: MinuteRange) -> RangeView {
    RangeView {
        start: clock_time(range.start_minute),
        end: clock_time(range.end_minute),
    }
}

fn override_view(date_override: DateOverride) -> DateOverrideView {
    DateOverrideView {
        date: date_override.date.to_string(),
        closed: date_override.is_closed(),
        ranges: date_override.ranges.into_iter().map(range_view).collect(),
    }
}

fn blackout_view(blackout: Blackout) -> BlackoutView {
    BlackoutView {
        date: blackout.date.to_string(),
        reason: blackout.reason,
    }
}

/// The host, checked to be the scope's: a host of another account is not found.
async fn host(store: &Store, scope: &Scope, id: &str) -> ManageResult<HostId> {
    let id = HostId::from(id);
    store.host(&scope.account_id, &id).await?;
    Ok(id)
}

fn minute_range(field: &str, start: Option<String>, end: Option<String>) -> ManageResult<MinuteRange> {
    let start_field = format!("{field}.start");
    let end_field = format!("{field}.end");
    Ok(MinuteRange {
        start_minute: calendar_input::time_of_day(
            &start_field,
            &required(&start_field, start)?,
            Edge::Start,
        )?,
        end_minute: calendar_input::time_of_day(&end_field, &required(&end_field, end)?, Edge::End)?,
    })
}

/// A refused set of ranges, naming the one at fault by its place in the client's list.
fn refused(problem: RangeProblem) -> ManageError {
    ManageError::invalid(format!("ranges[{}]", problem.index), problem.message)
}

/// An optional `from`/`to` bound of a listing.
fn bound(field: &str, value: Option<&str>, default: Date) -> ManageResult<Date> {
    value.map_or(Ok(default), |value| calendar_input::date(field, value))
}

fn window(from: Option<&str>, to: Option<&str>) -> ManageResult<(Date, Date)> {
    let (from, to) = (bound("from", from, FIRST_DATE)?, bound("to", to, LAST_DATE)?);
    if to < from {
        return Err(ManageError::invalid(
            "to",
            format!("{to} is before from ({from})"),
        ));
    }
    Ok((from, to))
}

pub async fn weekly_hours(store: &Store, scope: &Scope, host_id: &str) -> ManageResult<WeeklyHoursView> {
    let host_id = host(store, scope, host_id).await?;
    let ranges = store.weekly_hours(&scope.account_id, &host_id).await?;
    Ok(WeeklyHoursView {
        ranges: ranges
            .into_iter()
            .map(|weekly| {
                let RangeView { start, end } = range_view(weekly.range);
                WeeklyRangeView {
                    day: weekday_name(weekly.weekday).to_owned(),
                    start,
                    end,
                }
            })
            .collect(),
    })
}

/// Replaces the host's weekly hours with `input.ranges`.
pub async fn set_weekly_hours(
    store: &Store,
    scope: &Scope,
    host_id: &str,
    input: WeeklyHoursInput,
) -> ManageResult<WeeklyHoursView> {
    let host_id = host(store, scope, host_id).await?;
    let ranges = required("ranges", input.ranges)?
        .into_iter()
        .enumerate()
        .map(|(index, range)| {
            let field = format!("ranges[{index}]");
            let day_field = format!("{field}.day");
            Ok(WeeklyRange {
                weekday: calendar_input::weekday(&day_field, &required(&day_field, range.day)?)?,
                range: minute_range(&field, range.start, range.end)?,
            })
        })
        .collect::<ManageResult<Vec<_>>>()?;
    store::check_weekly_ranges(&ranges).map_err(refused)?;
    store
        .set_weekly_hours(&scope.account_id, &host_id, &ranges)
        .await?;
    weekly_hours(store, scope, host_id.as_str()).await
}

/// The host's date overrides between `from` and `to` (both `YYYY-MM-DD`, inclusive, each
/// optional), by date.
pub async fn date_overrides(
    store: &Store,
    scope: &Scope,
    host_id: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> ManageResult<Vec<DateOverrideView>> {
    let host_id = host(store, scope, host_id).await?;
    let (from, to) = window(from, to)?;
    let overrides = store
        .date_overrides(&scope.account_id, &host_id, from, to)
        .await?;
    Ok(overrides.into_iter().map(override_view).collect())
}

/// Sets the date's override, replacing any there was: its own ranges, or closed.
pub async fn set_date_override(
    store: &Store,
    scope: &Scope,
    host_id: &str,
    date: &str,
    input: DateOverrideInput,
) -> ManageResult<DateOverrideView> {
    let host_id = host(store, scope, host_id).await?;
    let date = calendar_input::date("date", date)?;
    let ranges = match (input.closed, input.ranges) {
        (Some(true), Some(ranges)) if !ranges.is_empty() => {
            return Err(ManageError::invalid(
                "closed",
                "a closed date has no ranges: send either \"ranges\" or \"closed\": true",
            ));
        }
        (Some(true), _) => Vec::new(),
        (_, Some(ranges)) if !ranges.is_empty() => ranges,
        _ => {
            return Err(ManageError::invalid(
                "ranges",
                "give the date's opening ranges, or \"closed\": true to close it",
            ));
        }
    };
    let ranges = ranges
        .into_iter()
        .enumerate()
        .map(|(index, range)| minute_range(&format!("ranges[{index}]"), range.start, range.end))
        .collect::<ManageResult<Vec<_>>>()?;
    store::check_day_ranges(&ranges).map_err(refused)?;
    let date_override = DateOverride { date, ranges };
    store
        .set_date_override(&scope.account_id, &host_id, &date_override)
        .await?;
    let stored = store
        .date_overrides(&scope.account_id, &host_id, date, date)
        .await?
        .into_iter()
        .next()
        .ok_or(ManageError::NotFound {
            what: "date override",
        })?;
    Ok(override_view(stored))
}

/// Removes the date's override: the date follows the weekly hours again.
pub async fn remove_date_override(
    store: &Store,
    scope: &Scope,
    host_id: &str,
    date: &str,
) -> ManageResult<()> {
    let host_id = host(store, scope, host_id).await?;
    let date = calendar_input::date("date", date)?;
    if store
        .remove_date_override(&scope.account_id, &host_id, date)
        .await?
    {
        Ok(())
    } else {
        Err(ManageError::NotFound {
            what: "date override",
        })
    }
}

/// The host's blackout dates between `from` and `to` (inclusive, each optional), by date.
pub async fn blackouts(
    store: &Store,
    scope: &Scope,
    host_id: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> ManageResult<Vec<BlackoutView>> {
    let host_id = host(store, scope, host_id).await?;
    let (from, to) = window(from, to)?;
    let blackouts = store.blackouts(&scope.account_id, &host_id, from, to).await?;
    Ok(blackouts.into_iter().map(blackout_view).collect())
}

/// Blacks the date out (again: a second call replaces the reason).
pub async fn set_blackout(
    store: &Store,
    scope: &Scope,
    host_id: &str,
    date: &str,
    input: BlackoutInput,
) -> ManageResult<BlackoutView> {
    let host_id = host(store, scope, host_id).await?;
    let date = calendar_input::date("date", date)?;
    let reason = input
        .reason
        .map(|reason| calendar_input::text("reason", reason.trim(), MAX_TEXT_CHARS))
        .transpose()?
        .filter(|reason| !reason.is_empty());
    let blackout = Blackout { date, reason };
    store.add_blackout(&scope.account_id, &host_id, &blackout).await?;
    Ok(blackout_view(blackout))
}

/// Lifts the blackout: the date follows its override or the weekly hours again.
pub async fn remove_blackout(store: &Store, scope: &Scope, host_id: &str, date: &str) -> ManageResult<()> {
    let host_id = host(store, scope, host_id).await?;
    let date = calendar_input::date("date", date)?;
    if store.remove_blackout(&scope.account_id, &host_id, date).await? {
        Ok(())
    } else {
        Err(ManageError::NotFound {
            what: "blackout date",
        })
    }
}
