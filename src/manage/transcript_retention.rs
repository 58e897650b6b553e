//! Deleting call transcripts past their account's retention (`transcript_retention_days`), as
//! one of the app's workers: at start, then every hour. The call's row, outcome and timeline
//! stay; only its turns and tool calls go.

use std::time::Duration;

use jiff::Timestamp;

use crate::shutdown::Shutdown;
use crate::store::Store;

const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Starts the sweep as one of the `workers`.
pub fn start_purge(store: Store, workers: &Shutdown) {
    workers.spawn_every(SWEEP_EVERY, move || {
        let store = store.clone();
        async move { purge(&store, Timestamp::now()).await }
    });
}

/// Deletes the transcripts past their account's retention at `now`.
pub async fn purge(store: &Store, now: Timestamp) {
    match store.purge_expired_transcripts(now).await {
        Ok(0) => {}
        Ok(removed) => tracing::debug!(removed, "call transcript turns past their retention deleted"),
        Err(error) => tracing::warn!(error = %error, "could not delete expired call transcripts"),
    }
}
