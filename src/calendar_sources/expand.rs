//! One iCalendar text read as busy time within a window `[from, to)`.
//!
//! Parsing and recurrence (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides, the feed's VTIMEZONEs
//! and Windows zone names) are the `calcard` crate's. What is decided here:
//! - only VEVENTs count; `STATUS:CANCELLED` and `TRANSP:TRANSPARENT` ones are skipped;
//! - floating times are read on the host's wall clock;
//! - an all-day (`VALUE=DATE`) event is busy from the host's midnight of its first day to the
//!   host's midnight after its last day, whatever the length of those days;
//! - an event whose `TZID` names no zone the feed or the zone database knows is reported by
//!   itself ([`EventProblem`]) and the rest of the feed is kept;
//! - each recurring event is expanded on its own, at most `per_event` instances counted from its
//!   first one, and the whole feed at most `per_feed`, so a hostile feed cannot take the memory.

use std::collections::{BTreeMap, HashSet};

use calcard::common::timezone::Tz;
use calcard::icalendar::dates::{CalendarEvent, TimeOrDelta};
use calcard::icalendar::{
    ICalendar, ICalendarComponentType, ICalendarParameter, ICalendarProperty, ICalendarStatus,
    ICalendarTransparency, ICalendarValue,
};
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Instances one recurring event may expand to, counted from its first: a daily event keeps
/// its place for 50 years, an hourly one for two.
pub const MAX_INSTANCES_PER_EVENT: usize = 20_000;
/// Instances all of a feed's recurring events may expand to together.
pub const MAX_INSTANCES_PER_FEED: usize = 200_000;

/// A stretch of time the host is busy, `start` inclusive, `end` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct BusyInterval {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// One event of the feed that could not be read; the others are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventProblem {
    /// The event's UID, when it has one.
    pub uid: Option<String>,
    pub reason: String,
}

/// The feed's busy time within the window, sorted, and the events left out with why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expanded {
    pub busy: Vec<BusyInterval>,
    pub problems: Vec<EventProblem>,
}

/// A text that is not an iCalendar object at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error("the calendar is not iCalendar text: {0}")]
    NotICalendar(String),
    #[error("the host's time zone {0:?} is unknown to the calendar parser")]
    HostZone(String),
}

/// How far recurrences are expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpandLimits {
    pub per_event: usize,
    pub per_feed: usize,
}

impl Default for ExpandLimits {
    fn default() -> Self {
        Self {
            per_event: MAX_INSTANCES_PER_EVENT,
            per_feed: MAX_INSTANCES_PER_FEED,
        }
    }
}

/// The busy intervals of the calendar `text` overlapping `[from, to)`, read for a host whose
/// zone is `host_zone`. Events whose UID `is_own` says are ours (written back by us) are
/// skipped, so a booking never blocks itself.
pub fn busy_intervals(
    text: &str,
    host_zone: &TimeZone,
    from: Timestamp,
    to: Timestamp,
    limits: ExpandLimits,
    is_own: &dyn Fn(&str) -> bool,
) -> Result<Expanded, FeedError> {
    let zone_name = host_zone.iana_name().unwrap_or("UTC");
    let default_tz: Tz = zone_name
        .parse()
        .map_err(|()| FeedError::HostZone(zone_name.to_owned()))?;
    let mut calendar = ICalendar::parse(text).map_err(|entry| FeedError::NotICalendar(describe(&entry)))?;
    pin_utc_starts(&mut calendar);
    let mut expanded = Expanded::default();

    let original: Vec<ICalendarComponentType> = calendar
        .components
        .iter()
        .map(|c| c.component_type.clone())
        .collect();
    let unknown_zones = unknown_zones(&calendar);
    // Events grouped by UID (a master with its overrides); a UID-less event is its own group.
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, component) in calendar.components.iter().enumerate() {
        if component.component_type != ICalendarComponentType::VEvent {
            continue;
        }
        let uid = component.uid().map(str::to_owned);
        if let Some(zone) = unknown_zones.get(&index) {
            expanded.problems.push(EventProblem {
                uid,
                reason: format!("unknown time zone {zone:?}"),
            });
            continue;
        }
        if uid.as_deref().is_some_and(is_own) {
            continue;
        }
        groups
            .entry(uid.unwrap_or_else(|| format!("\0{index}")))
            .or_default()
            .push(index);
    }
    let recurring = |indices: &Vec<usize>| {
        indices
            .iter()
            .any(|&i| calendar.components[i].has_property(&ICalendarProperty::Rrule))
    };
    let (repeating, single): (Vec<_>, Vec<_>) = groups.into_values().partition(recurring);

    let mut passes: Vec<Vec<usize>> = vec![single.into_iter().flatten().collect()];
    passes.extend(repeating);
    let mut budget = limits.per_feed;
    for (pass, visible) in passes.into_iter().enumerate() {
        if visible.is_empty() {
            continue;
        }
        let is_recurring = pass > 0;
        if is_recurring && budget == 0 {
            expanded.problems.push(EventProblem {
                uid: calendar.components[visible[0]].uid().map(str::to_owned),
                reason: format!("the feed expands to more than {} instances", limits.per_feed),
            });
            continue;
        }
        show_only(&mut calendar, &original, &visible);
        let limit = if is_recurring {
            limits.per_event.min(budget)
        } else {
            0
        };
        let result = calendar.expand_dates(default_tz, limit);
        budget = budget.saturating_sub(if is_recurring { result.events.len() } else { 0 });
        for error in result.errors {
            expanded.problems.push(EventProblem {
                uid: uid_of(&calendar, error.comp_id as usize),
                reason: format!("{:?}", error.error),
            });
        }
        for event in result.events {
            if let Some(interval) = busy_instance(&calendar, &event, host_zone)
                && interval.start < to
                && interval.end > from
            {
                expanded.busy.push(interval);
            }
        }
    }
    expanded.busy.sort_unstable();
    expanded.busy.dedup();
    Ok(expanded)
}

/// Makes only the events at `visible` take part in the next expansion.
fn show_only(calendar: &mut ICalendar, original: &[ICalendarComponentType], visible: &[usize]) {
    let visible: HashSet<usize> = visible.iter().copied().collect();
    for (index, component) in calendar.components.iter_mut().enumerate() {
        component.component_type = if !original[index].has_time_ranges() || visible.contains(&index) {
            original[index].clone()
        } else {
            ICalendarComponentType::Other("X-SWITCHBOARD-HIDDEN".into())
        };
    }
}

/// Gives each UTC `DTSTART` (`…Z`, no `TZID`) an explicit `TZID=UTC`: calcard expands a
/// recurrence on the wall clock of the start's `TZID`, and without one it would use the host's
/// zone and move every instance by the host's offset.
fn pin_utc_starts(calendar: &mut ICalendar) {
    for component in &mut calendar.components {
        for entry in &mut component.entries {
            let utc = matches!(
                entry.values.first(),
                Some(ICalendarValue::PartialDateTime(dt))
                    if dt.to_date_time().and_then(|d| d.offset).is_some_and(|o| o.local_minus_utc() == 0)
            );
            if entry.name == ICalendarProperty::Dtstart && utc && entry.tz_id().is_none() {
                entry.params.push(ICalendarParameter::tzid("UTC".to_owned()));
            }
        }
    }
}

/// The events (by index) whose dates name a `TZID` neither the feed nor the zone database
/// knows, with that name.
fn unknown_zones(calendar: &ICalendar) -> BTreeMap<usize, String> {
    let resolver = calendar.build_tz_resolver();
    let mut unknown = BTreeMap::new();
    for (index, component) in calendar.components.iter().enumerate() {
        for entry in &component.entries {
            let dated = matches!(
                entry.name,
                ICalendarProperty::Dtstart
                    | ICalendarProperty::Dtend
                    | ICalendarProperty::RecurrenceId
                    | ICalendarProperty::Exdate
                    | ICalendarProperty::Rdate
            );
            if let Some(zone) = entry.tz_id().filter(|_| dated)
                && resolver.resolve(zone).is_none()
            {
                unknown.insert(index, zone.to_owned());
            }
        }
    }
    unknown
}

/// The busy interval of one expanded instance, or none when its event does not make the host
/// busy (cancelled, transparent, of no length).
fn busy_instance(
    calendar: &ICalendar,
    event: &CalendarEvent<DateTime<Tz>, TimeOrDelta<DateTime<Tz>, TimeDelta>>,
    host_zone: &TimeZone,
) -> Option<BusyInterval> {
    let component = calendar.components.get(event.comp_id as usize)?;
    if component.status() == Some(&ICalendarStatus::Cancelled)
        || component.transparency() == Some(&ICalendarTransparency::Transparent)
    {
        return None;
    }
    let timed_without_end = !is_all_day(calendar, event.comp_id as usize)
        && !component.has_property(&ICalendarProperty::Dtend)
        && !component.has_property(&ICalendarProperty::Duration);
    if timed_without_end {
        // RFC 5545 §3.6.1: such an event takes no time (a reminder), so it blocks nothing.
        return None;
    }
    let end = match &event.end {
        TimeOrDelta::Time(end) => *end,
        TimeOrDelta::Delta(length) => event.start.checked_add_signed(*length)?,
    };
    let interval = if is_all_day(calendar, event.comp_id as usize) {
        let first = event.start.naive_local().date();
        let after_last = end.naive_local().date().max(first.succ_opt()?);
        BusyInterval {
            start: host_midnight(first, host_zone)?,
            end: host_midnight(after_last, host_zone)?,
        }
    } else {
        BusyInterval {
            start: timestamp(&event.start)?,
            end: timestamp(&end)?,
        }
    };
    (interval.end > interval.start).then_some(interval)
}

/// Whether the event's `DTSTART` is a date without a time.
fn is_all_day(calendar: &ICalendar, index: usize) -> bool {
    calendar.components[index]
        .property(&ICalendarProperty::Dtstart)
        .and_then(|entry| entry.values.first())
        .is_some_and(|value| matches!(value, ICalendarValue::PartialDateTime(dt) if !dt.has_time()))
}

fn host_midnight(date: NaiveDate, host_zone: &TimeZone) -> Option<Timestamp> {
    let date = Date::new(
        i16::try_from(date.year()).ok()?,
        i8::try_from(date.month()).ok()?,
        i8::try_from(date.day()).ok()?,
    )
    .ok()?;
    Some(
        date.to_zoned(host_zone.clone())
            .ok()?
            .start_of_day()
            .ok()?
            .timestamp(),
    )
}

fn timestamp(at: &DateTime<Tz>) -> Option<Timestamp> {
    Timestamp::new(at.timestamp(), i32::try_from(at.timestamp_subsec_nanos()).ok()?).ok()
}

fn uid_of(calendar: &ICalendar, index: usize) -> Option<String> {
    calendar.components.get(index)?.uid().map(str::to_owned)
}

fn describe(entry: &calcard::Entry) -> String {
    match entry {
        calcard::Entry::InvalidLine(line) => {
            format!("invalid line {:?}", line.chars().take(80).collect::<String>())
        }
        calcard::Entry::Eof => "no VCALENDAR found".to_owned(),
        calcard::Entry::VCard(_) => "a vCard, not a calendar".to_owned(),
        other => format!("{other:?}").chars().take(120).collect(),
    }
}

#[cfg(test)]
#[path = "expand_tests.rs"]
mod tests;
