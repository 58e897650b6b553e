//! The call records: a row per call, written (once) when the voice webhook answers, its
//! connected time written at every metering tick, and finished when the call ends; and how
//! each call's stream ended, kept for the connect-action request that follows it.
//!
//! As an observer the recorder is called synchronously by the driver for every session event,
//! so it never waits on the database there: its writes go, in order, to one worker task, which
//! the workers' shutdown stops only after everything queued is written. A call's end is written
//! again after a failure (bounded, with backoff); a lost progress write is superseded by the
//! next. The worker takes what is queued in batches: a batch's progress writes (the newest per
//! call) go first, in one transaction, then its other writes in order. Moving progress first
//! changes no outcome: it touches only its own two columns, never goes back, and a call's end
//! never records less than its progress (`store::call_progress`); a timeline's entries and the
//! call's end keep their order. [`CallRecorder::written`] waits for what was queued before it.
//! The end of a call is also kept in memory before the driver closes the caller's socket,
//! because Twilio requests the `<Connect action>` URL as soon as the socket closes and the
//! answer depends on it.
//!
//! It also logs the call's timeline (`store::CallEvent`): the stream starting, the agent
//! connecting, each tool call's outcome, agent errors; a handful of rows per call, through the
//! same worker, never for an audio frame. A lost timeline entry is logged and not retried: the
//! call's row, not its timeline, is what its minutes are counted from.
//!
//! At the call's end it writes the call's record (`telephony::call_end`): the transcript it
//! kept from the call's utterances and tool calls (`telephony::transcript`), the outcome, the
//! contact and the CRM activity; then tells the [`AfterCallListeners`] registered with it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use tokio::sync::{Notify, mpsc, oneshot};

use crate::call::driver::CallObserver;
use crate::call::{EndReason, Event};
use crate::shutdown::Shutdown;
use crate::store::{
    AccountId, CallEventKind, CallProgress, CallRecord, NewCallEvent, NewCallRecord, Store, StoreError,
    StoreResult,
};

use super::call_end::{self, AfterCallListeners};
use super::metrics::{ErrorKind, Metrics};
use super::transcript::{Draft, Transcripts};

/// How long an ended call's outcome is kept for its connect-action request.
const OUTCOME_TTL: Duration = Duration::from_secs(600);
/// How often a call's end is written before it is given up (and left to the recovery).
const FINISH_ATTEMPTS: u32 = 6;
/// The wait after the first failed attempt; doubled after each further one (0.1 s … 3.2 s).
const FIRST_RETRY: Duration = Duration::from_millis(100);
/// The most writes the worker takes from its queue at once.
const BATCH: usize = 256;
/// The most characters of a message (a tool's refusal, an agent's error) a timeline entry keeps.
const EVENT_MESSAGE_CHARS: usize = 500;

/// A write for the worker.
#[derive(Debug)]
enum Write {
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
        let writer = Writer {
            store: store.for_records(),
            metrics: metrics.clone(),
            after_call: after_call.clone(),
        };
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

/// The entry of the call's timeline an event makes, if any (see `store::call_events`).
fn timeline_entry(event: &Event) -> Option<NewCallEvent> {
    let (kind, detail) = match event {
        Event::Started(started) => (
            CallEventKind::StreamStarted,
            serde_json::json!({ "stream_sid": started.stream_sid }),
        ),
        Event::ConversationStarted { conversation_id, .. } => (
            CallEventKind::AgentConnected,
            serde_json::json!({ "conversation_id": conversation_id }),
        ),
        Event::ToolFinished {
            id,
            name,
            result,
            is_error,
            timed_out,
            elapsed,
        } => {
            let outcome = match (*timed_out, *is_error) {
                (true, _) => "timed_out",
                (false, true) => "error",
                (false, false) => "ok",
            };
            let mut detail = serde_json::json!({
                "tool_call_id": id,
                "name": name,
                "outcome": outcome,
                "elapsed_ms": u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            });
            // A refusal is what the agent was told; a success's reply is the agent's to read
            // (the bookings and contacts it made are in the CRM log).
            if *is_error {
                detail["message"] = shortened(result).into();
            }
            (CallEventKind::ToolCall, detail)
        }
        Event::AgentError { code, message } => (
            CallEventKind::AgentError,
            serde_json::json!({ "code": code, "message": shortened(message) }),
        ),
        _ => return None,
    };
    Some(NewCallEvent {
        at: Timestamp::now(),
        kind,
        detail,
    })
}

/// At most [`EVENT_MESSAGE_CHARS`] characters of `message`.
fn shortened(message: &str) -> String {
    match message.char_indices().nth(EVENT_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_owned(),
    }
}

/// The worker's side: the store, and where it counts failed writes.
struct Writer {
    store: Store,
    metrics: Arc<Metrics>,
    after_call: Arc<AfterCallListeners>,
}

impl Writer {
    /// Applies writes in the order the calls made them, a batch at a time; once the workers
    /// stop, it writes what is still queued and ends.
    async fn write_in_order(self, mut queue: mpsc::UnboundedReceiver<Write>, workers: Shutdown) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::SessionStats;
    use crate::store::testing::{self, seed_business};
    use crate::store::{ActivityKind, CallDirection, CallOutcome, CallTurn, TurnRole};

    /// Waits (bounded) until `done` holds.
    async fn until(mut done: impl AsyncFnMut() -> bool) {
        let waited = tokio::time::timeout(Duration::from_secs(30), async {
            while !done().await {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        waited.await.expect("it happened");
    }

    #[tokio::test]
    async fn a_calls_end_is_written_again_after_the_database_failed_it() {
        let store = testing::sqlite().await;
        let business = seed_business(&store).await;
        let new = NewCallRecord {
            agent_id: business.agent.id.clone(),
            call_sid: "CAretry".into(),
            direction: CallDirection::Inbound,
            from_number: "+4930123456".into(),
            to_number: business.agent.phone_number.clone().unwrap(),
            started_at: Timestamp::now(),
        };
        store
            .insert_call(&business.account.id, new)
            .await
            .unwrap()
            .unwrap();
        // Every update of a call fails while `outage` has a row.
        for statement in [
            "CREATE TABLE outage (since BIGINT)",
            "INSERT INTO outage VALUES (0)",
            "CREATE TRIGGER calls_down BEFORE UPDATE ON calls WHEN EXISTS (SELECT 1 FROM outage) \
             BEGIN SELECT RAISE(ABORT, 'database unavailable'); END",
        ] {
            sqlx::query(statement).execute(&store.pool).await.unwrap();
        }
        let metrics = Arc::new(Metrics::new());
        let workers = Shutdown::new();
        let recorder = CallRecorder::start(store.store(), metrics.clone(), &workers);
        let ended = Event::Ended {
            reason: EndReason::CallerHungUp,
            duration: Duration::from_secs(42),
            stats: SessionStats::default(),
        };
        recorder.on_event(Some("CAretry"), &ended);
        until(async || metrics.error_count(ErrorKind::Store) >= 1).await;
        sqlx::query("DELETE FROM outage")
            .execute(&store.pool)
            .await
            .unwrap();
        until(async || {
            let row = store.call_by_sid("CAretry").await.unwrap().unwrap();
            row.duration == Some(Duration::from_secs(42))
        })
        .await;
        workers.stop();
        workers.finished().await;
    }

    #[tokio::test]
    async fn a_calls_timeline_is_logged_from_its_events_and_nothing_from_its_audio() {
        use crate::audio::AudioFormat;
        use crate::call::{Started, ToolCall};
        use crate::store::CallEventKind;

        let store = testing::sqlite().await;
        let business = seed_business(&store).await;
        let new = NewCallRecord {
            agent_id: business.agent.id.clone(),
            call_sid: "CAtimeline".into(),
            direction: CallDirection::Inbound,
            from_number: "+4930123456".into(),
            to_number: business.agent.phone_number.clone().unwrap(),
            started_at: Timestamp::now(),
        };
        let call = store
            .insert_call(&business.account.id, new)
            .await
            .unwrap()
            .unwrap();
        let metrics = Arc::new(Metrics::new());
        let workers = Shutdown::new();
        let recorder = CallRecorder::start(store.store(), metrics.clone(), &workers);
        let refusal = "x".repeat(EVENT_MESSAGE_CHARS + 10);
        let events = [
            Event::Started(Started {
                call_sid: "CAtimeline".into(),
                stream_sid: "MZ1".into(),
                account_sid: "AC1".into(),
                parameters: Default::default(),
            }),
            Event::ConversationStarted {
                conversation_id: "conv_1".into(),
                input: AudioFormat::Ulaw8000,
                output: AudioFormat::Ulaw8000,
            },
            Event::AgentSaid("Hello".into()),
            Event::ToolCall(ToolCall {
                id: "tc1".into(),
                name: "create_booking".into(),
                parameters: serde_json::Value::Null,
            }),
            Event::Metered { seconds: 5 },
            Event::ToolFinished {
                id: "tc1".into(),
                name: "create_booking".into(),
                result: refusal.clone(),
                is_error: true,
                timed_out: false,
                elapsed: Duration::from_millis(120),
            },
            Event::ToolFinished {
                id: "tc2".into(),
                name: "list_event_types".into(),
                result: "{}".into(),
                is_error: false,
                timed_out: true,
                elapsed: Duration::from_secs(10),
            },
            Event::Ended {
                reason: EndReason::AgentEnded,
                duration: Duration::from_secs(42),
                stats: SessionStats::default(),
            },
        ];
        for event in &events {
            recorder.on_event(Some("CAtimeline"), event);
        }
        workers.stop();
        workers.finished().await;

        let timeline = store.call_timeline(&business.account.id, &call.id).await.unwrap();
        let kinds: Vec<_> = timeline.events.iter().map(|event| event.kind.clone()).collect();
        assert_eq!(
            kinds,
            [
                CallEventKind::Answered,
                CallEventKind::StreamStarted,
                CallEventKind::AgentConnected,
                CallEventKind::ToolCall,
                CallEventKind::ToolCall,
                CallEventKind::Ended,
            ]
        );
        assert_eq!(timeline.events[2].detail["conversation_id"], "conv_1");
        let refused = &timeline.events[3].detail;
        assert_eq!(refused["outcome"], "error");
        assert_eq!(refused["elapsed_ms"], 120);
        let message = refused["message"].as_str().unwrap();
        assert_eq!(
            message.chars().count(),
            EVENT_MESSAGE_CHARS + 1,
            "cut, with an ellipsis"
        );
        let timed_out = &timeline.events[4].detail;
        assert_eq!(timed_out["outcome"], "timed_out");
        assert!(timed_out.get("message").is_none(), "a reply is not logged");
        assert_eq!(timeline.events[5].detail["duration_seconds"], 42);
        assert_eq!(metrics.error_count(ErrorKind::Store), 0);
    }

    #[tokio::test]
    async fn a_calls_record_is_written_once_at_its_end_with_its_transcript_outcome_and_crm_activity() {
        use crate::audio::AudioFormat;
        use crate::call::ToolCall;

        let store = testing::sqlite().await;
        let business = seed_business(&store).await;
        let new = NewCallRecord {
            agent_id: business.agent.id.clone(),
            call_sid: "CArecord".into(),
            direction: CallDirection::Inbound,
            from_number: "+4930123456".into(),
            to_number: business.agent.phone_number.clone().unwrap(),
            started_at: Timestamp::now(),
        };
        let call = store
            .insert_call(&business.account.id, new)
            .await
            .unwrap()
            .unwrap();
        let events = [
            Event::ConversationStarted {
                conversation_id: "conv_1".into(),
                input: AudioFormat::Ulaw8000,
                output: AudioFormat::Ulaw8000,
            },
            Event::AgentSaid("Hello, how can I help?".into()),
            Event::CallerSaid("Any time free on Tuesday?".into()),
            Event::ToolCall(ToolCall {
                id: "tc1".into(),
                name: "get_available_slots".into(),
                parameters: serde_json::json!({"date": "2026-03-03"}),
            }),
            Event::ToolFinished {
                id: "tc1".into(),
                name: "get_available_slots".into(),
                result: "{\"slots\":[]}".into(),
                is_error: false,
                timed_out: false,
                elapsed: Duration::from_millis(30),
            },
            Event::Ended {
                reason: EndReason::CallerHungUp,
                duration: Duration::from_secs(61),
                stats: SessionStats::default(),
            },
        ];
        // Two instances see the same call end (a redelivered end): the record is written once.
        for _ in 0..2 {
            let metrics = Arc::new(Metrics::new());
            let workers = Shutdown::new();
            let recorder = CallRecorder::start(store.store(), metrics.clone(), &workers);
            for event in &events {
                recorder.on_event(Some("CArecord"), event);
            }
            workers.stop();
            workers.finished().await;
            assert_eq!(metrics.error_count(ErrorKind::Store), 0);
        }

        let turns = store
            .call_transcript(&business.account.id, &call.id)
            .await
            .unwrap();
        assert_eq!(turns.len(), 3, "{turns:?}");
        assert!(
            matches!(&turns[0], CallTurn::Said { role: TurnRole::Agent, text, .. } if text == "Hello, how can I help?")
        );
        assert!(matches!(
            &turns[1],
            CallTurn::Said {
                role: TurnRole::Caller,
                ..
            }
        ));
        let CallTurn::Tool { call: tool, .. } = &turns[2] else {
            panic!("a tool turn: {turns:?}");
        };
        assert_eq!(tool.name, "get_available_slots");
        assert_eq!(tool.arguments, serde_json::json!({"date": "2026-03-03"}));
        assert_eq!(tool.elapsed_ms, 30);
        let recorded = store.call_by_sid("CArecord").await.unwrap().unwrap();
        assert_eq!(recorded.outcome, Some(CallOutcome::InfoProvided));
        let contact = store
            .contact_by_phone(&business.account.id, "+4930123456")
            .await
            .unwrap()
            .expect("the caller's contact");
        let activities = store
            .activities_for_contact(&business.account.id, &contact.id, 10)
            .await
            .unwrap();
        assert_eq!(activities.len(), 1, "{activities:?}");
        assert_eq!(activities[0].kind, ActivityKind::Call);
        assert_eq!(activities[0].summary, "Asked for open times");
        assert_eq!(
            activities[0].detail.as_ref().unwrap()["disposition"],
            "info_provided"
        );
    }
}
