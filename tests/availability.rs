//! Behaviour of the availability engine through its public API: DST changes in several
//! zones, hours crossing midnight, callers in other timezones, the booking rules, and
//! property tests of its invariants.

mod availability {
    pub mod dst;
    pub mod properties;
    pub mod rules;
    pub mod support;
}
