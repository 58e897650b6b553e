//! The overload probe, wired in: a task of the workers wakes every
//! [`PROBE_EVERY`](crate::telephony::overload::PROBE_EVERY), tells the overload rule how late
//! it woke, and opens or closes the admission of new calls as the rule decides, with one log
//! line for each change. Calls in flight are never touched: only new ones are turned away.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::time::MissedTickBehavior;

use crate::shutdown::Shutdown;
use crate::telephony::Admission;
use crate::telephony::overload::{Change, OverloadRule, PROBE_EVERY};

/// Starts the probe when `limit` is set (`call.overload_lateness_ms` above 0).
pub fn start(limit: Option<Duration>, admission: Arc<Admission>, workers: &Shutdown) {
    let Some(limit) = limit else {
        tracing::info!("the overload check is off (call.overload_lateness_ms = 0)");
        return;
    };
    let stopping = workers.clone();
    workers.spawn(async move {
        let mut rule = OverloadRule::new(limit);
        let mut ticks = tokio::time::interval(PROBE_EVERY);
        // A late tick moves the next one, so each report is one wake-up's own lateness.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let due = tokio::select! {
                biased;
                () = stopping.stopping() => return,
                due = ticks.tick() => due.into_std(),
            };
            let now = Instant::now();
            match rule.on_wakeup(now, now.saturating_duration_since(due)) {
                Some(Change::Overloaded(judged)) => {
                    admission.set_overloaded(true);
                    tracing::warn!(
                        late_wakeups = judged.later_than_limit,
                        wakeups = judged.wakeups,
                        worst_ms = judged.worst.as_millis() as u64,
                        limit_ms = limit.as_millis() as u64,
                        "the server is overloaded: its scheduler ran late for most of the last second; new calls are turned away until it catches up"
                    );
                }
                Some(Change::Recovered(judged)) => {
                    admission.set_overloaded(false);
                    tracing::info!(
                        wakeups = judged.wakeups,
                        worst_ms = judged.worst.as_millis() as u64,
                        "the server caught up; new calls are taken again"
                    );
                }
                None => {}
            }
        }
    });
}
