//! Scheduling rules: event types, weekly hours, overrides and the availability engine (pure, no IO).
//!
//! The engine works on UTC instants ([`jiff::Timestamp`]) and reads all opening hours on the
//! host's wall clock in the host's IANA timezone; a caller's timezone only matters for which
//! dates a query covers and for labels. Nothing here reads a clock: `now` is an argument.
//!
//! ```
//! use jiff::civil::{Weekday, date, time};
//! use jiff::{SignedDuration, Timestamp};
//! use switchboard::availability::{Availability, EventType, Schedule, SlotQuery, TimeRange, time_label};
//!
//! let mut schedule = Schedule::for_iana_zone("America/New_York")?;
//! schedule.add_weekly(Weekday::Tuesday, TimeRange::new(time(9, 0, 0, 0), time(12, 0, 0, 0)));
//! let consult = EventType::new("consult", "Consultation", SignedDuration::from_mins(60));
//! let availability = Availability::new(&schedule, &consult, &[])?;
//!
//! let now: Timestamp = "2026-03-09T12:00:00Z".parse()?;
//! let query = SlotQuery::day(date(2026, 3, 10), schedule.timezone().clone())?;
//! let slots = availability.slots(&query, now);
//! let labels: Vec<_> = slots.iter().map(|&at| time_label(at, schedule.timezone())).collect();
//! assert_eq!(labels, ["9:00 AM", "10:00 AM", "11:00 AM"]);
//! assert!(availability.check(slots[0], now).is_ok());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod blocks;
mod busy;
mod engine;
mod event_type;
mod grid;
mod label;
mod open_range;
mod query;
mod refusal;
mod schedule;

use jiff::{SignedDuration, Timestamp};

pub use busy::ExistingBooking;
pub use engine::{Availability, Slot};
pub use event_type::{EventType, EventTypeError, MAX_DAYS_AHEAD, MAX_NOTICE, MAX_SLUG_LEN, MAX_SPAN};
pub use label::{civil_date_label, date_label, date_time_label, time_label, utc_label};
pub use open_range::OpenRange;
pub use query::{MAX_QUERY_DAYS, QueryError, SlotQuery};
pub use refusal::Refusal;
pub use schedule::{Schedule, ScheduleError, TimeRange};

/// `at + by`, clamped to the representable range: the engine compares against these bounds,
/// so saturating keeps far-future inputs well ordered instead of failing.
fn later(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.checked_add(by).unwrap_or(if by.is_negative() {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}
