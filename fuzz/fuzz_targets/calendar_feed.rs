//! A host's calendar feed as arbitrary text: reading it as busy time never panics, every
//! interval it gives has a positive length and lies in the window asked for, and no more
//! instances come out than the limits allow.
#![no_main]

use jiff::Timestamp;
use jiff::tz::TimeZone;
use libfuzzer_sys::fuzz_target;
use switchboard::calendar_sources::{ExpandLimits, busy_intervals};

fuzz_target!(|text: &str| {
    let zone = TimeZone::get("America/New_York").expect("a known zone");
    let from: Timestamp = "2026-10-01T00:00:00Z".parse().expect("a valid instant");
    let to: Timestamp = "2026-12-01T00:00:00Z".parse().expect("a valid instant");
    let limits = ExpandLimits {
        per_event: 500,
        per_feed: 2_000,
    };
    if let Ok(expanded) = busy_intervals(text, &zone, from, to, limits, &|_| false) {
        for busy in &expanded.busy {
            assert!(busy.start < busy.end, "an empty or reversed interval: {busy:?}");
            assert!(busy.start < to && busy.end > from, "outside the window: {busy:?}");
        }
    }
});
