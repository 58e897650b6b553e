//! Closing the records of calls whose instance stopped without finishing them (a crash, a
//! `kill -9`, a lost machine): each is closed at its last progress, with the connected time
//! metered then, so at most one metering interval of it is lost.
//!
//! A call counts as lost once nothing was heard of it for longer than a running call can stay
//! silent: its progress is written every interval, so a call of any running instance (this
//! one or another sharing the database) is never closed. The sweep runs at start and then
//! once an interval, as one of the workers.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use std::sync::Arc;

use crate::shutdown::Shutdown;
use crate::store::Store;

use super::metrics::Metrics;

/// The slack beyond the progress interval a call may take before its first progress: Twilio
/// opening the media stream after the answer, the agent connecting.
const START_ALLOWANCE: Duration = Duration::from_secs(10);

/// How long a running call can go without writing its progress: three intervals (one late
/// tick, one failed write), plus its start (`upstream_timeout` bounds the agent's connect).
pub fn silent_limit(progress_every: Duration, upstream_timeout: Duration) -> Duration {
    progress_every * 3 + START_ALLOWANCE + upstream_timeout
}

/// Starts the sweep as one of the `workers`: now, then every `every`.
pub fn start(
    store: Store,
    metrics: Arc<Metrics>,
    silent_limit: Duration,
    every: Duration,
    workers: &Shutdown,
) {
    let mut first = true;
    workers.spawn_every(every, move || {
        let (store, metrics) = (store.clone(), metrics.clone());
        let at_start = std::mem::replace(&mut first, false);
        async move { sweep(&store, &metrics, silent_limit, at_start).await }
    });
}

/// Closes the calls silent for longer than `silent_limit`; the first sweep of a start logs
/// its count even when it is zero.
async fn sweep(store: &Store, metrics: &Metrics, silent_limit: Duration, at_start: bool) {
    let limit = SignedDuration::try_from(silent_limit).unwrap_or(SignedDuration::MAX);
    let silent_since = Timestamp::now().checked_sub(limit).unwrap_or(Timestamp::MIN);
    match store.close_lost_calls(silent_since).await {
        Ok(lost) if lost.calls > 0 || at_start => {
            metrics.calls_recovered(lost.calls);
            let minutes = lost.metered.as_secs_f64() / 60.0;
            tracing::info!(
                calls = lost.calls,
                minutes = format!("{minutes:.1}"),
                "closed the records of calls left open by a stopped instance, from their last progress"
            );
        }
        Ok(_) => {}
        // Not a failure on a call's path: logged, and tried again at the next sweep.
        Err(e) => tracing::warn!(error = %e, "could not close the records of lost calls"),
    }
}
