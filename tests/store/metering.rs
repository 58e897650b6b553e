//! The minute pool's metering on SQLite and PostgreSQL: a running call's progress only moves
//! forward (a late, replayed or second instance's write cannot lower it), a call's end never
//! records less than its last progress, and the pool (`Store::usage`) adds up the media time
//! of 200 concurrent calls exactly, each call written through the call recorder's worker
//! (batches, progress interleaved with ends, stale progress replayed), also with two instances
//! sharing one PostgreSQL database.

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use switchboard::call::driver::CallObserver;
use switchboard::call::{EndReason, Event, SessionStats};
use switchboard::shutdown::Shutdown;
use switchboard::store::testing::{self, on_each_backend, on_each_backend_with, seed_business};
use switchboard::store::{
    Agent, CallDirection, CallProgress, CallRecord, NewCallRecord, Store, StoreOptions,
};
use switchboard::telephony::{CallRecorder, ErrorKind, Metrics};

const T0: &str = "2026-03-10T14:00:00Z";
/// The metering interval the calls below are driven with.
const TICK_SECS: u64 = 5;
const CALLS: usize = 200;

fn at(secs: i64) -> Timestamp {
    T0.parse::<Timestamp>().unwrap() + SignedDuration::from_secs(secs)
}

fn new_call(agent: &Agent, call_sid: &str, started_at: Timestamp) -> NewCallRecord {
    NewCallRecord {
        agent_id: agent.id.clone(),
        call_sid: call_sid.into(),
        direction: CallDirection::Inbound,
        from_number: "+4930123456".into(),
        to_number: agent.phone_number.clone().unwrap(),
        started_at,
    }
}

async fn row(store: &Store, call_sid: &str) -> CallRecord {
    store.call_by_sid(call_sid).await.unwrap().unwrap()
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[tokio::test]
async fn progress_only_moves_forward_and_an_end_keeps_at_least_the_last_progress() {
    on_each_backend(|store| async move {
        let business = seed_business(&store).await;
        let account = &business.account.id;
        for sid in ["CAmeter", "CAshort"] {
            store
                .insert_call(account, new_call(&business.agent, sid, at(0)))
                .await
                .unwrap()
                .unwrap();
        }
        store
            .record_call_progress("CAmeter", at(20), secs(20))
            .await
            .unwrap();
        // A write delayed behind a newer one, and a replay of an older one: nothing moves back.
        store
            .record_call_progress("CAmeter", at(10), secs(10))
            .await
            .unwrap();
        store
            .record_call_progress("CAmeter", at(15), secs(20))
            .await
            .unwrap();
        let call = row(&store, "CAmeter").await;
        assert_eq!((call.progress, call.progress_at), (Some(secs(20)), Some(at(20))));
        // A batch from another instance, with a stale total and a newer one for the same call.
        let batch = [
            CallProgress {
                call_sid: "CAmeter".into(),
                at: at(30),
                connected: secs(30),
            },
            CallProgress {
                call_sid: "CAmeter".into(),
                at: at(40),
                connected: secs(5),
            },
            CallProgress {
                call_sid: "CAshort".into(),
                at: at(12),
                connected: secs(12),
            },
            CallProgress {
                call_sid: "CAunknown".into(),
                at: at(12),
                connected: secs(12),
            },
        ];
        assert_eq!(store.record_calls_progress(&batch).await.unwrap(), 2);
        let stale = [CallProgress {
            call_sid: "CAmeter".into(),
            at: at(50),
            connected: secs(25),
        }];
        assert_eq!(store.record_calls_progress(&stale).await.unwrap(), 0);
        let call = row(&store, "CAmeter").await;
        assert_eq!((call.progress, call.progress_at), (Some(secs(30)), Some(at(30))));

        // An end that metered less than the progress already written keeps the progress.
        let ended = store
            .finish_call("CAmeter", at(31), "caller_hung_up", Duration::from_millis(29_500))
            .await
            .unwrap();
        assert_eq!(ended.duration, Some(secs(30)));
        // One that metered more records its own; progress after an end changes nothing.
        let ended = store
            .finish_call("CAshort", at(14), "caller_hung_up", Duration::from_millis(13_700))
            .await
            .unwrap();
        assert_eq!(ended.duration, Some(Duration::from_millis(13_700)));
        store
            .record_call_progress("CAshort", at(15), secs(15))
            .await
            .unwrap();
        let call = row(&store, "CAshort").await;
        assert_eq!(
            (call.progress, call.duration),
            (Some(secs(12)), Some(Duration::from_millis(13_700)))
        );

        let usage = store.usage(account, at(-60), at(3600)).await.unwrap();
        assert_eq!((usage.calls, usage.seconds, usage.minutes), (2, 30 + 13, 1 + 1));
    })
    .await;
}

/// How one simulated call goes, and the seconds the pool must count for it.
#[derive(Debug, Clone)]
struct Plan {
    call_sid: String,
    /// The media time the bridge metered, to the millisecond.
    media: Duration,
    /// How the call stands when the pool is read.
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Ended by the bridge.
    Ended,
    /// Still running: its latest progress is its media time so far.
    Running,
    /// Ended by the bridge, then Twilio's `CallDuration` came (what Twilio bills).
    Carrier { seconds: u64 },
    /// Ended by the bridge; an earlier progress write is replayed after the end.
    ReplayedAfterEnd,
}

impl Plan {
    fn new(instance_tag: &str, i: usize) -> Plan {
        let media = Duration::from_millis(1_000 + (i as u64 * 7_919) % 600_000);
        let kind = match i % 4 {
            0 => Kind::Ended,
            1 => Kind::Running,
            2 => Kind::Carrier {
                seconds: media.as_secs() + 2,
            },
            _ => Kind::ReplayedAfterEnd,
        };
        Plan {
            call_sid: format!("CA{instance_tag}{i:04}"),
            media,
            kind,
        }
    }

    /// The whole seconds the pool counts for this call.
    fn seconds(&self) -> u64 {
        match self.kind {
            Kind::Carrier { seconds } => seconds,
            _ => self.media.as_secs(),
        }
    }

    /// The session's events as the recorder sees them: a metering tick every interval (some
    /// replayed late), then the end, unless the call still runs.
    fn events(&self, i: usize) -> Vec<Event> {
        let whole = self.media.as_secs();
        let mut events = Vec::new();
        for tick in 1..=whole / TICK_SECS {
            events.push(Event::Metered {
                seconds: tick * TICK_SECS,
            });
            if tick >= 2 && (tick as usize + i).is_multiple_of(3) {
                events.push(Event::Metered {
                    seconds: (tick - 1) * TICK_SECS,
                });
            }
        }
        match self.kind {
            Kind::Running => {
                events.push(Event::Metered { seconds: whole });
                events.push(Event::Metered {
                    seconds: TICK_SECS.min(whole),
                });
            }
            Kind::ReplayedAfterEnd => {
                events.push(ended(self.media));
                events.push(Event::Metered {
                    seconds: whole.saturating_sub(1),
                });
            }
            Kind::Ended | Kind::Carrier { .. } => events.push(ended(self.media)),
        }
        events
    }
}

fn ended(duration: Duration) -> Event {
    Event::Ended {
        reason: EndReason::CallerHungUp,
        duration,
        stats: SessionStats::default(),
    }
}

/// One running instance's writer of call records.
struct Instance {
    store: Store,
    recorder: Arc<CallRecorder>,
    metrics: Arc<Metrics>,
    workers: Shutdown,
}

impl Instance {
    fn start(store: Store) -> Instance {
        let metrics = Arc::new(Metrics::new());
        let workers = Shutdown::new();
        let recorder = CallRecorder::start(store.clone(), metrics.clone(), &workers);
        Instance {
            store,
            recorder,
            metrics,
            workers,
        }
    }

    async fn stop(self) {
        self.recorder.written().await;
        assert_eq!(self.metrics.error_count(ErrorKind::Store), 0, "no write failed");
        self.workers.stop();
        self.workers.finished().await;
    }
}

/// Runs every call at once: each answered through `instances[i % n]`, its events fed to that
/// instance's recorder with a yield between them (so the calls' writes interleave in the
/// worker's batches), and a stale progress of it sent through the next instance too. Then
/// Twilio's durations, concurrently; returns once every write has landed.
async fn run_calls(instances: &[Arc<Instance>], business: &testing::Business, plans: &[Plan]) {
    let started_at = Timestamp::now();
    let mut calls = Vec::new();
    for (i, plan) in plans.iter().cloned().enumerate() {
        let instance = instances[i % instances.len()].clone();
        let other = instances[(i + 1) % instances.len()].clone();
        let account = business.account.id.clone();
        let agent = business.agent.clone();
        calls.push(tokio::spawn(async move {
            let answered = instance
                .recorder
                .call_answered(&account, new_call(&agent, &plan.call_sid, started_at))
                .await
                .unwrap();
            assert!(answered.is_some(), "{} answered once", plan.call_sid);
            for event in plan.events(i) {
                instance.recorder.on_event(Some(&plan.call_sid), &event);
                tokio::task::yield_now().await;
            }
            other
                .recorder
                .on_event(Some(&plan.call_sid), &Event::Metered { seconds: 1 });
        }));
    }
    for call in calls {
        call.await.unwrap();
    }
    for instance in instances {
        instance.recorder.written().await;
    }
    let mut carrier = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
        if let Kind::Carrier { seconds } = plan.kind {
            let store = instances[i % instances.len()].store.clone();
            let call_sid = plan.call_sid.clone();
            carrier.push(tokio::spawn(async move {
                store
                    .record_carrier_duration(&call_sid, Timestamp::now(), secs(seconds))
                    .await
                    .unwrap()
            }));
        }
    }
    for write in carrier {
        write.await.unwrap();
    }
}

/// The pool's figures against the plans', call by call and in total.
async fn assert_pool_counts(store: &Store, business: &testing::Business, plans: &[Plan]) {
    for plan in plans {
        let call = row(store, &plan.call_sid).await;
        let recorded = call
            .carrier_duration
            .or(call.duration)
            .or(call.progress)
            .unwrap_or_default();
        assert_eq!(recorded.as_secs(), plan.seconds(), "{plan:?}: {call:?}");
        assert_eq!(
            call.ended_at.is_none(),
            plan.kind == Kind::Running,
            "{plan:?}: {call:?}"
        );
    }
    let now = Timestamp::now();
    let usage = store
        .usage(
            &business.account.id,
            now - SignedDuration::from_hours(1),
            now + SignedDuration::from_hours(1),
        )
        .await
        .unwrap();
    let seconds: u64 = plans.iter().map(Plan::seconds).sum();
    let minutes: u64 = plans.iter().map(|plan| plan.seconds().div_ceil(60)).sum();
    assert_eq!(usage.calls, plans.len() as u64);
    assert_eq!(
        usage.seconds, seconds,
        "the pool's seconds are the calls' seconds"
    );
    assert_eq!(usage.minutes, minutes, "each call's started minutes");
}

fn patient() -> StoreOptions {
    // 200 calls answered at once queue for a few connections; a busy machine is slow, not wrong.
    StoreOptions {
        acquire_timeout: Duration::from_secs(120),
        sqlite_busy_timeout: Duration::from_secs(60),
        ..testing::test_options()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_adds_up_200_concurrent_calls_to_the_second() {
    on_each_backend_with(patient(), |store| async move {
        let business = seed_business(&store).await;
        let plans: Vec<Plan> = (0..CALLS).map(|i| Plan::new("one", i)).collect();
        let instance = Arc::new(Instance::start(store.clone()));
        run_calls(std::slice::from_ref(&instance), &business, &plans).await;
        assert_pool_counts(&store, &business, &plans).await;
        Arc::into_inner(instance)
            .expect("the calls are done")
            .stop()
            .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_database_share_the_pool_exactly() {
    let Some(database) = testing::postgres_with(patient()).await else {
        return;
    };
    let business = seed_business(&database).await;
    let second = Store::connect_with(&database.url(), patient()).await.unwrap();
    let instances = [
        Arc::new(Instance::start(database.store())),
        Arc::new(Instance::start(second.clone())),
    ];
    let plans: Vec<Plan> = (0..CALLS).map(|i| Plan::new("two", i)).collect();
    run_calls(&instances, &business, &plans).await;
    assert_pool_counts(&database, &business, &plans).await;
    assert_pool_counts(&second, &business, &plans).await;
    for instance in instances {
        Arc::into_inner(instance)
            .expect("the calls are done")
            .stop()
            .await;
    }
}
