//! A host's own calendars (an ICS address or a CalDAV collection) read as busy time.
//!
//! `expand` is the pure core: one iCalendar text in, the busy intervals it holds within a
//! window out, recurrences expanded with the feed's own time zones (parsing and recurrence by
//! the `calcard` crate), all-day events covering whole host-local days, transparent and
//! cancelled events left out, and a bounded number of instances per event and per feed.
//! `status` holds the poll rules (backoff, staleness), `caldav` CalDAV's XML, `secrets` the
//! sealing of passwords; `fetch` is the one HTTP request (or two), and `poller` the background
//! service that keeps each source's copy in the store. Nothing on a call's path fetches.
//! `writeback` (rules) and `writer` (IO) write each booking change to the host's writable
//! CalDAV calendars, from a job table, and the poller skips those events when reading back.

pub mod caldav;
mod expand;
pub mod fetch;
pub mod poller;
pub mod secrets;
pub mod status;
pub mod writeback;
pub mod writer;

pub use expand::{
    BusyInterval, EventProblem, ExpandLimits, Expanded, FeedError, MAX_INSTANCES_PER_EVENT,
    MAX_INSTANCES_PER_FEED, busy_intervals,
};
pub use poller::{CalendarSources, Settings};
pub use writer::{CalendarWriter, WriteBookingChanges, Written};
