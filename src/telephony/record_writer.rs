//! The call recorder's worker: the call records' writes applied in the order the calls made
//! them, by one task on the records' own pool, which the workers' shutdown stops only after
//! everything queued is written.
//!
//! A call's end is written again after a failure (bounded, with backoff); a lost progress
//! write is superseded by the next. The worker takes what is queued in batches: a batch's
//! progress writes (the newest per call) go first, in one transaction, then its other writes
//! in order. Moving progress first changes no outcome: it touches only its own two columns,
//! never goes back, and a call's end never records less than its progress
//! (`store::call_progress`); a timeline's entries and the call's end keep their order. A lost
//! timeline entry is logged and not retried: the call's row, not its timeline, is what its
//! minutes are counted from.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{mpsc, oneshot};

use crate::shutdown::Shutdown;
use crate::store::{CallProgress, NewCallEvent, Store, StoreError};

use super::call_end::{self, AfterCallListeners};
use super::metrics::{ErrorKind, Metrics};
use super::transcript::Draft;

/// How often a call's end is written before it is given up (and left to the recovery).
const FINISH_ATTEMPTS: u32 = 6;
/// The wait after the first failed attempt; doubled after each further one (0.1 s … 3.2 s).
const FIRST_RETRY: Duration = Duration::from_millis(100);
/// The most writes the worker takes from its queue at once.
const BATCH: usize = 256;

/// A write for the worker.
#[derive(Debug)]
pub(super) enum Write {
    ConversationId {
        call_sid: String,
        conversation_id: String,
    },
    Progress(CallProgress),
    Finished {
        call_sid: String,
        at: Timestamp,
        reason: &'static str,
        duration: Duration,
    },
    Event {
        call_sid: String,
        event: NewCallEvent,
    },
    /// The call's record at its end, after its `Finished`.
    Record {
        call_sid: String,
        draft: Box<Draft>,
        end_reason: &'static str,
    },
    /// Answered once every write queued before it is done.
    Written(oneshot::Sender<()>),
}

/// The worker's side: the store, and where it counts failed writes.
pub(super) struct Writer {
    store: Store,
    metrics: Arc<Metrics>,
    after_call: Arc<AfterCallListeners>,
}

impl Writer {
    /// A worker writing to `store` (the records' own pool), counting failures in `metrics`,
    /// telling `after_call` of each call's record.
    pub(super) fn new(store: Store, metrics: Arc<Metrics>, after_call: Arc<AfterCallListeners>) -> Self {
        Writer {
            store,
            metrics,
            after_call,
        }
    }

    /// Applies writes in the order the calls made them, a batch at a time; once the workers
    /// stop, it writes what is still queued and ends.
    pub(super) async fn write_in_order(self, mut queue: mpsc::UnboundedReceiver<Write>, workers: Shutdown) {
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            tokio::select! {
                biased;
                taken = queue.recv_many(&mut batch, BATCH) => match taken {
                    0 => return,
                    _ => self.apply_batch(&mut batch).await,
                },
                () = workers.stopping() => break,
            }
        }
        while let Ok(write) = queue.try_recv() {
            batch.push(write);
            if batch.len() == BATCH {
                self.apply_batch(&mut batch).await;
            }
        }
        self.apply_batch(&mut batch).await;
    }

    /// Writes the batch's progress in one transaction, then the rest in order; empties it.
    async fn apply_batch(&self, batch: &mut Vec<Write>) {
        let mut progress = Vec::new();
        let mut rest = Vec::with_capacity(batch.len());
        for write in batch.drain(..) {
            match write {
                Write::Progress(call) => progress.push(call),
                other => rest.push(other),
            }
        }
        self.record_progress(&progress).await;
        for write in rest {
            self.apply(write).await;
        }
    }

    async fn apply(&self, write: Write) {
        match write {
            Write::ConversationId {
                call_sid,
                conversation_id,
            } => {
                if let Err(e) = self
                    .store
                    .set_call_conversation_id(&call_sid, &conversation_id)
                    .await
                {
                    self.metrics.error(ErrorKind::Store);
                    tracing::warn!(error = %e, %call_sid, "could not record the conversation id");
                }
            }
            Write::Progress(call) => self.record_progress(std::slice::from_ref(&call)).await,
            Write::Written(done) => {
                let _ = done.send(());
            }
            Write::Finished {
                call_sid,
                at,
                reason,
                duration,
            } => self.finish(&call_sid, at, reason, duration).await,
            Write::Record {
                call_sid,
                draft,
                end_reason,
            } => {
                let written = call_end::write_record(
                    &self.store,
                    &self.after_call,
                    &call_sid,
                    *draft,
                    end_reason,
                    Timestamp::now(),
                )
                .await;
                if let Err(e) = written {
                    self.metrics.error(ErrorKind::Store);
                    tracing::warn!(error = %e, %call_sid, "could not write the call's record");
                }
            }
            Write::Event { call_sid, event } => {
                if let Err(e) = self.store.insert_call_event(&call_sid, &event).await {
                    self.metrics.error(ErrorKind::Store);
                    tracing::warn!(error = %e, %call_sid, kind = event.kind.as_str(), "could not log the call's event");
                }
            }
        }
    }

    /// Writes calls' progress in one transaction; a failure is counted and left to the next
    /// tick, which carries the running total.
    async fn record_progress(&self, progress: &[CallProgress]) {
        if progress.is_empty() {
            return;
        }
        if let Err(e) = self.store.record_calls_progress(progress).await {
            self.metrics.error(ErrorKind::Store);
            tracing::warn!(error = %e, calls = progress.len(), "could not record the calls' progress");
        }
    }

    /// Writes a call's end, trying again after a failure (with backoff, bounded): a call's
    /// end is what its minutes are counted from.
    async fn finish(&self, call_sid: &str, at: Timestamp, reason: &str, duration: Duration) {
        let mut wait = FIRST_RETRY;
        for attempt in 1..=FINISH_ATTEMPTS {
            let Err(e) = self.store.finish_call(call_sid, at, reason, duration).await else {
                if attempt > 1 {
                    tracing::info!(%call_sid, attempt, "the call's end is recorded");
                }
                return;
            };
            self.metrics.error(ErrorKind::Store);
            if matches!(e, StoreError::NotFound { .. }) {
                tracing::warn!(%call_sid, "the call's end has no record to go to");
                return;
            }
            if attempt == FINISH_ATTEMPTS {
                tracing::error!(error = %e, %call_sid, attempt, "could not record the call's end; giving up (its last progress stays)");
                return;
            }
            tracing::warn!(error = %e, %call_sid, attempt, retry_in_ms = wait.as_millis() as u64, "could not record the call's end; trying again");
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    }
}
