//! The call records as the calls go: a row per call, written (once) when the voice webhook
//! answers, its connected time written at every metering tick, and finished when the call
//! ends; and how each call's stream ended, kept for the connect-action request that follows it.
//!
//! As an observer the recorder is called synchronously by the driver for every session event,
//! so it never waits on the database there: it turns each event into writes queued, in order,
//! for one worker task (`telephony::record_writer`), which the workers' shutdown stops only
//! after everything queued is written. [`CallRecorder::written`] waits for what was queued
//! before it. The end of a call is also kept in memory before the driver closes the caller's
//! socket, because Twilio requests the `<Connect action>` URL as soon as the socket closes and
//! the answer depends on it.
//!
//! It also logs the call's timeline (`store::CallEvent`, the entries made by
//! `telephony::timeline_entries`): the stream starting, the agent connecting, each tool call's
//! outcome, agent errors; a handful of rows per call, through the same worker, never for an
//! audio frame.
//!
//! At the call's end it has the call's record written (`telephony::call_end`): the transcript
//! it kept from the call's utterances and tool calls (`telephony::transcript`), the outcome,
//! the contact and the CRM activity; then the [`AfterCallListeners`] registered with it are
//! told.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::{Notify, mpsc, oneshot};

use crate::call::driver::CallObserver;
use crate::call::{EndReason, Event};
use crate::shutdown::Shutdown;
use crate::store::{AccountId, CallProgress, CallRecord, NewCallRecord, Store, StoreResult};

use super::call_end::AfterCallListeners;
use super::metrics::{ErrorKind, Metrics};
use super::record_writer::{Write, Writer};
use super::timeline_entries::timeline_entry;
use super::transcript::Transcripts;

/// How long an ended call's outcome is kept for its connect-action request.
const OUTCOME_TTL: Duration = Duration::from_secs(600);

struct Outcome {
    reason: EndReason,
    at: Instant,
    /// The bridge ended the stream, so Twilio will ask the connect action what to do next;
    /// it has not asked yet.
    awaiting_action: bool,
}

/// Writes the call records and remembers how recent calls ended.
pub struct CallRecorder {
    store: Store,
    metrics: Arc<Metrics>,
    writes: mpsc::UnboundedSender<Write>,
    outcomes: Mutex<HashMap<String, Outcome>>,
    /// Notified when a connect action is answered.
    answered: Notify,
    /// The running calls' transcripts.
    transcripts: Transcripts,
    after_call: Arc<AfterCallListeners>,
}

impl CallRecorder {
    /// A recorder whose writer runs as one of the `workers`.
    pub fn start(store: Store, metrics: Arc<Metrics>, workers: &Shutdown) -> Arc<CallRecorder> {
        // Unbounded: an observer must not block the call's driver, and dropping a write would
        // lose a call's end. A few writes per call and one per metering tick keep it small.
        let (writes, queue) = mpsc::unbounded_channel();
        // The worker writes through the records' own pool: a backlog of its writes never
        // holds a connection the call path needs (the answer's row uses the main one).
        let after_call = Arc::new(AfterCallListeners::default());
        let writer = Writer::new(store.for_records(), metrics.clone(), after_call.clone());
        workers.spawn(writer.write_in_order(queue, workers.clone()));
        Arc::new(CallRecorder {
            store,
            metrics,
            writes,
            outcomes: Mutex::new(HashMap::new()),
            answered: Notify::new(),
            transcripts: Transcripts::default(),
            after_call,
        })
    }

    /// Who hears of each call once its record is written: register listeners here.
    pub fn after_call(&self) -> &AfterCallListeners {
        &self.after_call
    }

    /// Writes the row of a call being answered; `None` when the call already has one (a
    /// repeated webhook). Awaited before anything else is done for the call, so every later
    /// write of the call (its conversation id, its progress, its end) finds it.
    pub async fn call_answered(
        &self,
        account_id: &AccountId,
        new: NewCallRecord,
    ) -> StoreResult<Option<CallRecord>> {
        let inserted = self.store.insert_call(account_id, new).await;
        if inserted.is_err() {
            self.metrics.error(ErrorKind::Store);
        }
        inserted
    }

    /// How the call's stream ended, if it ended on this instance recently. Asking counts as
    /// the call's connect action being answered.
    pub fn outcome(&self, call_sid: &str) -> Option<EndReason> {
        let mut outcomes = self.outcomes.lock().expect("outcomes");
        let outcome = outcomes.get_mut(call_sid)?;
        if std::mem::take(&mut outcome.awaiting_action) {
            self.answered.notify_waiters();
        }
        Some(outcome.reason.clone())
    }

    /// Calls the bridge ended whose connect action Twilio has not asked for yet.
    pub fn awaiting_connect_actions(&self) -> usize {
        let outcomes = self.outcomes.lock().expect("outcomes");
        outcomes.values().filter(|o| o.awaiting_action).count()
    }

    /// Resolves once no call the bridge ended waits for its connect action: while draining,
    /// the server keeps answering until then (bounded by its caller).
    pub async fn connect_actions_answered(&self) {
        loop {
            let answered = self.answered.notified();
            let mut answered = std::pin::pin!(answered);
            answered.as_mut().enable();
            if self.awaiting_connect_actions() == 0 {
                return;
            }
            answered.await;
        }
    }

    /// Resolves once every write queued before this call is written (or given up after its
    /// retries): what a test, or a caller about to read the records, waits for.
    pub async fn written(&self) {
        let (done, written) = oneshot::channel();
        // Either error means the worker has stopped, after writing what it had.
        if self.writes.send(Write::Written(done)).is_ok() {
            let _ = written.await;
        }
    }

    fn record_outcome(&self, call_sid: &str, reason: &EndReason) {
        let now = Instant::now();
        let mut outcomes = self.outcomes.lock().expect("outcomes");
        outcomes.retain(|_, outcome| now.duration_since(outcome.at) < OUTCOME_TTL);
        let outcome = Outcome {
            reason: reason.clone(),
            at: now,
            awaiting_action: *reason != EndReason::CallerHungUp,
        };
        outcomes.insert(call_sid.to_owned(), outcome);
    }

    fn write(&self, write: Write) {
        if self.writes.send(write).is_err() {
            tracing::warn!("the call recorder has stopped; a call record write is lost");
        }
    }
}

impl CallObserver for CallRecorder {
    fn on_event(&self, call_sid: Option<&str>, event: &Event) {
        let Some(call_sid) = call_sid else {
            return;
        };
        // The timeline's entry goes first: a call's end comes after everything in it.
        if let Some(entry) = timeline_entry(event) {
            self.write(Write::Event {
                call_sid: call_sid.to_owned(),
                event: entry,
            });
        }
        match event {
            Event::ConversationStarted { conversation_id, .. } => self.write(Write::ConversationId {
                call_sid: call_sid.to_owned(),
                conversation_id: conversation_id.clone(),
            }),
            Event::Metered { seconds } => self.write(Write::Progress(CallProgress {
                call_sid: call_sid.to_owned(),
                at: Timestamp::now(),
                connected: Duration::from_secs(*seconds),
            })),
            Event::Ended { reason, duration, .. } => {
                self.record_outcome(call_sid, reason);
                self.write(Write::Finished {
                    call_sid: call_sid.to_owned(),
                    at: Timestamp::now(),
                    reason: reason.label(),
                    duration: *duration,
                });
            }
            _ => {}
        }
        if let Some(draft) = self.transcripts.note(call_sid, event, Instant::now()) {
            let Event::Ended { reason, .. } = event else {
                return;
            };
            self.write(Write::Record {
                call_sid: call_sid.to_owned(),
                draft: Box::new(draft),
                end_reason: reason.label(),
            });
        }
    }
}

#[cfg(test)]
#[path = "recorder_tests.rs"]
mod tests;
