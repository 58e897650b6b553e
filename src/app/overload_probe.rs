//! The overload probes, wired in: two tasks of the workers, one waking every
//! [`PROBE_EVERY`] to report how late it woke, one asking the database for a round trip every
//! [`DATABASE_PROBE_EVERY`] to report how long it took; each feeds its own
//! [`OverloadRule`](crate::telephony::overload::OverloadRule), which opens or closes the
//! admission of new calls for its cause, with one log line for each change. Calls in flight
//! are never touched: only new ones are turned away.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};

use crate::config::CallConfig;
use crate::shutdown::Shutdown;
use crate::store::{Store, StoreResult};
use crate::telephony::overload::{Change, DATABASE_PROBE_EVERY, OverloadRule, PROBE_EVERY, WINDOW};
use crate::telephony::{Admission, Overload};

/// Starts the probes that `call` switches on (`overload_lateness_ms`, `overload_database_ms`).
pub fn start(call: &CallConfig, store: &Store, admission: Arc<Admission>, workers: &Shutdown) {
    match call.overload_lateness() {
        Some(limit) => {
            workers.spawn(scheduler_probe(limit, admission.clone(), workers.clone()));
        }
        None => tracing::info!("the scheduler's overload check is off (call.overload_lateness_ms = 0)"),
    }
    match call.overload_database() {
        Some(limit) => {
            let store = store.clone();
            let ping = move || {
                let store = store.clone();
                async move { store.ping().await }
            };
            workers.spawn(database_probe(limit, ping, admission, workers.clone()));
        }
        None => tracing::info!("the database's overload check is off (call.overload_database_ms = 0)"),
    }
}

/// Reports how late each wake-up comes until the workers stop.
async fn scheduler_probe(limit: Duration, admission: Arc<Admission>, stopping: Shutdown) {
    let mut rule = OverloadRule::new(limit);
    let mut ticks = tokio::time::interval(PROBE_EVERY);
    // A late tick moves the next one, so each report is one wake-up's own lateness.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let due = tokio::select! {
            biased;
            () = stopping.stopping() => return,
            due = ticks.tick() => due,
        };
        let now = Instant::now();
        let change = rule.on_report(now.into_std(), now.saturating_duration_since(due));
        apply(change, Overload::SchedulerLate, limit, &admission);
    }
}

/// Reports how long each of `ping`'s round trips takes until the workers stop: a round trip
/// not answered within a [`WINDOW`] is reported as that long and given up. A round trip that
/// fails is not reported: a database that refuses is readiness's concern, and the call path
/// answers it with an apology. Generic over `ping` so that a test can hand it a database of
/// the speed it needs.
pub async fn database_probe<P, F>(limit: Duration, ping: P, admission: Arc<Admission>, stopping: Shutdown)
where
    P: Fn() -> F,
    F: Future<Output = StoreResult<()>>,
{
    let mut rule = OverloadRule::new(limit);
    let mut ticks = tokio::time::interval(DATABASE_PROBE_EVERY);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = stopping.stopping() => return,
            _ = ticks.tick() => {}
        }
        let began = Instant::now();
        let answered = tokio::select! {
            biased;
            () = stopping.stopping() => return,
            answered = tokio::time::timeout(WINDOW, ping()) => answered,
        };
        if let Ok(Err(e)) = answered {
            tracing::debug!(error = %e, "the database's overload probe failed; not counted");
            continue;
        }
        let now = Instant::now();
        let change = rule.on_report(now.into_std(), now.saturating_duration_since(began));
        apply(change, Overload::DatabaseSlow, limit, &admission);
    }
}

/// Opens or closes the admission for `cause` as `change` says, with its log line.
fn apply(change: Option<Change>, cause: Overload, limit: Duration, admission: &Admission) {
    let what = cause.symptom();
    match change {
        Some(Change::Overloaded(judged)) => {
            admission.set_overloaded(cause, true);
            tracing::warn!(
                over_limit = judged.later_than_limit,
                reports = judged.reports,
                worst_ms = judged.worst.as_millis() as u64,
                limit_ms = limit.as_millis() as u64,
                "the server is overloaded: {what}, for most of the last second; new calls are turned away until it catches up"
            );
        }
        Some(Change::Recovered(judged)) => {
            admission.set_overloaded(cause, false);
            tracing::info!(
                reports = judged.reports,
                worst_ms = judged.worst.as_millis() as u64,
                "the server caught up (it was overloaded: {what}); new calls are taken again"
            );
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

    use super::*;

    /// A database whose round trips take `delay_ms` (on tokio's clock, paused in these tests,
    /// so the whole run is exact and instant).
    fn database(
        delay_ms: Arc<AtomicU64>,
    ) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = StoreResult<()>> + Send>> {
        move || {
            let delay = Duration::from_millis(delay_ms.load(Relaxed));
            Box::pin(async move {
                tokio::time::sleep(delay).await;
                Ok(())
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_database_closes_the_admission_and_a_quick_one_opens_it_again() {
        let admission = Arc::new(Admission::default());
        let delay_ms = Arc::new(AtomicU64::new(2));
        let workers = Shutdown::new();
        let limit = Duration::from_millis(250);
        workers.spawn(database_probe(
            limit,
            database(delay_ms.clone()),
            admission.clone(),
            workers.clone(),
        ));

        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(admission.overload(), None, "2 ms round trips");

        // Round trips of 400 ms: over the limit, every one.
        delay_ms.store(400, Relaxed);
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(admission.overload(), Some(Overload::DatabaseSlow));

        // A database that does not answer at all is given up on after a window, still slow.
        delay_ms.store(60_000, Relaxed);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(admission.overload(), Some(Overload::DatabaseSlow));

        // 200 ms: under the limit but over half of it; the admission stays closed.
        delay_ms.store(200, Relaxed);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(admission.overload(), Some(Overload::DatabaseSlow));

        delay_ms.store(5, Relaxed);
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(admission.overload(), None);

        workers.stop();
        workers.finished().await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_failing_database_is_not_counted_as_slow() {
        let admission = Arc::new(Admission::default());
        let workers = Shutdown::new();
        let fails = || async {
            Err(crate::store::StoreError::Unavailable {
                reason: "down".into(),
            })
        };
        workers.spawn(database_probe(
            Duration::from_millis(1),
            fails,
            admission.clone(),
            workers.clone(),
        ));
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(admission.overload(), None);
        workers.stop();
        workers.finished().await;
    }
}
