//! Behaviour of the availability engine through its public API: DST changes in several
//! zones, hours crossing midnight, callers in other timezones, the booking rules, and
//! property tests of its invariants.

mod dst;
mod properties;
mod rules;
mod support;
