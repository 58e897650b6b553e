//! The calendar write-back, wired in: booking changes from the agent's tools and the API (the
//! booking listeners both share) are enqueued for the host's writable CalDAV calendars, and the
//! worker writes what is due every few seconds, and at once after an enqueue.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use crate::calendar_sources::writeback::WRITE_BACKOFF;
use crate::calendar_sources::{CalendarSources, CalendarWriter, WriteBookingChanges, Written};
use crate::shutdown::Shutdown;
use crate::store::Store;
use crate::tools::Toolbox;

/// How often the worker looks for due writes when nothing woke it.
const WRITE_EVERY: Duration = Duration::from_secs(5);

/// Registers the listener and starts the worker.
pub fn start(
    store: &Store,
    calendars: &CalendarSources,
    toolbox: &Toolbox,
    workers: &Shutdown,
) -> CalendarWriter {
    let writer = CalendarWriter::new(
        store.clone(),
        calendars.secrets().clone(),
        WRITE_BACKOFF,
        calendars.settings().fetch_timeout,
    );
    toolbox
        .booking_listeners()
        .register(Arc::new(WriteBookingChanges(writer.clone())));
    let due = writer.due();
    let stopping = workers.clone();
    let worker = writer.clone();
    workers.spawn(async move {
        loop {
            write_due(&worker).await;
            tokio::select! {
                biased;
                () = stopping.stopping() => return,
                () = due.notified() => {}
                () = tokio::time::sleep(WRITE_EVERY) => {}
            }
        }
    });
    writer
}

async fn write_due(writer: &CalendarWriter) {
    match writer.run_due(Timestamp::now()).await {
        Ok(attempts) => {
            for (job, written) in attempts {
                match written {
                    Written::Done { status, note } => {
                        tracing::info!(job, status, note, "booking written to the host's calendar")
                    }
                    Written::Retrying { at, reason } => {
                        tracing::warn!(job, retry_at = %at, reason, "calendar write-back failed; it is tried again")
                    }
                    Written::Failed { reason } => {
                        tracing::warn!(job, reason, "calendar write-back failed for good")
                    }
                }
            }
        }
        Err(error) => {
            tracing::warn!(%error, "the calendar writes could not be read; the next round tries again")
        }
    }
}
