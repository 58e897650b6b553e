//! A host's own calendars (an ICS address or a CalDAV collection) read as busy time.
//!
//! `expand` is the pure core: one iCalendar text in, the busy intervals it holds within a
//! window out, recurrences expanded with the feed's own time zones (parsing and recurrence by
//! the `calcard` crate), all-day events covering whole host-local days, transparent and
//! cancelled events left out, and a bounded number of instances per event and per feed.

mod expand;

pub use expand::{
    BusyInterval, EventProblem, ExpandLimits, Expanded, FeedError, MAX_INSTANCES_PER_EVENT,
    MAX_INSTANCES_PER_FEED, busy_intervals,
};
