//! The call records: a row per call, written when the voice webhook answers and finished when
//! the call ends; and how each call's stream ended, kept for the connect-action request that
//! follows it.
//!
//! As an observer the recorder is called synchronously by the driver for every session event,
//! so it never waits on the database there: its writes go, in order, to one worker task, which
//! the workers' shutdown stops only after everything queued is written. The end of a call is
//! also kept in memory before the driver closes the caller's socket, because Twilio requests
//! the `<Connect action>` URL as soon as the socket closes and the answer depends on it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::{Notify, mpsc};

use crate::call::driver::CallObserver;
use crate::call::{EndReason, Event};
use crate::shutdown::Shutdown;
use crate::store::{AccountId, CallRecord, NewCallRecord, Store, StoreResult};

/// How long an ended call's outcome is kept for its connect-action request.
const OUTCOME_TTL: Duration = Duration::from_secs(600);

/// A write for the worker.
#[derive(Debug)]
enum Write {
    ConversationId {
        call_sid: String,
        conversation_id: String,
    },
    Finished {
        call_sid: String,
        at: Timestamp,
        reason: &'static str,
        duration: Duration,
    },
}

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
    writes: mpsc::UnboundedSender<Write>,
    outcomes: Mutex<HashMap<String, Outcome>>,
    /// Notified when a connect action is answered.
    answered: Notify,
}

impl CallRecorder {
    /// A recorder whose writer runs as one of the `workers`.
    pub fn start(store: Store, workers: &Shutdown) -> Arc<CallRecorder> {
        // Unbounded: an observer must not block the call's driver, and dropping a write would
        // lose a call's end. Two writes per call keep it small.
        let (writes, queue) = mpsc::unbounded_channel();
        // The worker writes through the records' own pool: a backlog of its writes never
        // holds a connection the call path needs (the answer's row, above, uses the main one).
        workers.spawn(write_in_order(store.for_records(), queue, workers.clone()));
        Arc::new(CallRecorder {
            store,
            writes,
            outcomes: Mutex::new(HashMap::new()),
            answered: Notify::new(),
        })
    }

    /// Writes the row of a call being answered. Awaited before Twilio hears the answer, so
    /// every later write of the call (its conversation id, its end) finds it.
    pub async fn call_answered(&self, account_id: &AccountId, new: NewCallRecord) -> StoreResult<CallRecord> {
        self.store.insert_call(account_id, new).await
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
        match event {
            Event::ConversationStarted { conversation_id, .. } => self.write(Write::ConversationId {
                call_sid: call_sid.to_owned(),
                conversation_id: conversation_id.clone(),
            }),
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
    }
}

/// The worker: applies writes in the order the calls made them; once the workers stop, it
/// writes what is still queued and ends.
async fn write_in_order(store: Store, mut queue: mpsc::UnboundedReceiver<Write>, workers: Shutdown) {
    loop {
        tokio::select! {
            biased;
            write = queue.recv() => match write {
                Some(write) => apply(&store, write).await,
                None => return,
            },
            () = workers.stopping() => break,
        }
    }
    while let Ok(write) = queue.try_recv() {
        apply(&store, write).await;
    }
}

async fn apply(store: &Store, write: Write) {
    match write {
        Write::ConversationId {
            call_sid,
            conversation_id,
        } => {
            if let Err(e) = store.set_call_conversation_id(&call_sid, &conversation_id).await {
                tracing::warn!(error = %e, %call_sid, "could not record the conversation id");
            }
        }
        Write::Finished {
            call_sid,
            at,
            reason,
            duration,
        } => {
            if let Err(e) = store.finish_call(&call_sid, at, reason, duration).await {
                tracing::warn!(error = %e, %call_sid, "could not record the call's end");
            }
        }
    }
}
