//! An agent's active hours: when it answers calls, and what a caller hears outside them.
//!
//! Pure rules, no IO: [`ActiveHours::parse`] checks a schedule as a client writes it (days by
//! name, times as `HH:MM`), and [`ActiveHours::is_open`] says whether an instant falls inside
//! it, read on the wall clock of the agent's time zone. A range whose end is at or before its
//! start runs past midnight into the next day (Friday 22:00–02:00 is open early on Saturday).
//! Wall-clock reading makes daylight saving time come out as a person expects: 09:00–17:00 is
//! 09:00–17:00 local time in summer and in winter; on the night the clocks skip an hour, the
//! skipped times are simply never reached, and when they fall back, an hour that happens
//! twice is open (or closed) both times.

mod open;
mod schedule;

pub use schedule::{
    ActiveHours, AfterHours, DAY_NAMES, DayRange, HoursError, HoursInput, MAX_RANGES, RangeInput, day_name,
    time_text,
};
