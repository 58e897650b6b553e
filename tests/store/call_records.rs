//! A call's record beyond its start: its progress while it runs, the recovery of calls whose
//! instance stopped, Twilio's length as a second source, and the voicemail kept once. On
//! SQLite and PostgreSQL.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use switchboard::store::testing::{on_each_backend, seed_business};
use switchboard::store::{
    ActivityKind, Agent, CARRIER_END_REASON, CallDirection, CallRecord, CallUpdate, LOST_END_REASON,
    LostCalls, NewCallRecord, Store,
};

const T0: &str = "2026-03-10T14:00:00Z";

fn at(secs: i64) -> Timestamp {
    T0.parse::<Timestamp>().unwrap() + SignedDuration::from_secs(secs)
}

async fn open_call(store: &Store, agent: &Agent, call_sid: &str, started_at: Timestamp) -> CallRecord {
    let new = NewCallRecord {
        agent_id: agent.id.clone(),
        call_sid: call_sid.into(),
        direction: CallDirection::Inbound,
        from_number: "+4930123456".into(),
        to_number: agent.phone_number.clone().unwrap(),
        started_at,
    };
    store
        .insert_call(&agent.account_id, new)
        .await
        .unwrap()
        .expect("a new call")
}

async fn row(store: &Store, call_sid: &str) -> CallRecord {
    store.call_by_sid(call_sid).await.unwrap().unwrap()
}

#[tokio::test]
async fn lost_calls_are_closed_from_their_last_progress_and_live_ones_left_alone() {
    on_each_backend(|store| async move {
        let agent = seed_business(&store).await.agent;
        for sid in ["CAlost", "CAsilent", "CAlive", "CAdone"] {
            open_call(&store, &agent, sid, at(0)).await;
        }
        // CAlost: 95 s metered, then its instance died; CAsilent: never got a progress.
        store
            .record_call_progress("CAlost", at(60), Duration::from_secs(55))
            .await
            .unwrap();
        store
            .record_call_progress("CAlost", at(100), Duration::from_secs(95))
            .await
            .unwrap();
        // Progress never goes back.
        store
            .record_call_progress("CAlost", at(99), Duration::from_secs(94))
            .await
            .unwrap();
        store
            .record_call_progress("CAlive", at(300), Duration::from_secs(295))
            .await
            .unwrap();
        store
            .finish_call("CAdone", at(50), "agent_ended", Duration::from_secs(45))
            .await
            .unwrap();
        let done = row(&store, "CAdone").await;

        let lost = store.close_lost_calls(at(200)).await.unwrap();
        assert_eq!(
            lost,
            LostCalls {
                calls: 2,
                metered: Duration::from_secs(95)
            }
        );
        let closed = row(&store, "CAlost").await;
        assert_eq!(closed.ended_at, Some(at(100)));
        assert_eq!(closed.duration, Some(Duration::from_secs(95)));
        assert_eq!(closed.end_reason.as_deref(), Some(LOST_END_REASON));
        let silent = row(&store, "CAsilent").await;
        assert_eq!(
            (silent.ended_at, silent.duration),
            (Some(at(0)), Some(Duration::ZERO))
        );
        assert_eq!(
            row(&store, "CAlive").await.ended_at,
            None,
            "heard of after the limit"
        );
        assert_eq!(
            row(&store, "CAdone").await,
            done,
            "finished calls are not touched"
        );
        assert_eq!(
            store.close_lost_calls(at(200)).await.unwrap(),
            LostCalls::default()
        );

        // The instance was alive after all: its own finish corrects the estimate.
        let finished = store
            .finish_call("CAlost", at(130), "caller_hung_up", Duration::from_secs(125))
            .await
            .unwrap();
        assert_eq!(finished.duration, Some(Duration::from_secs(125)));
        assert_eq!(finished.end_reason.as_deref(), Some("caller_hung_up"));
        // … and progress of a closed call is not written.
        store
            .record_call_progress("CAlost", at(140), Duration::from_secs(135))
            .await
            .unwrap();
        assert_eq!(
            row(&store, "CAlost").await.progress,
            Some(Duration::from_secs(95))
        );
    })
    .await;
}

#[tokio::test]
async fn twilios_length_closes_an_open_call_corrects_a_lost_one_and_is_kept_once() {
    on_each_backend(|store| async move {
        let agent = seed_business(&store).await.agent;
        for sid in ["CAlost", "CAfinished"] {
            open_call(&store, &agent, sid, at(0)).await;
        }
        // Started after the lost calls' limit: still open after the sweep.
        open_call(&store, &agent, "CAopen", at(100)).await;
        store
            .record_call_progress("CAlost", at(30), Duration::from_secs(29))
            .await
            .unwrap();
        store.close_lost_calls(at(100)).await.unwrap();
        store
            .finish_call("CAfinished", at(40), "agent_ended", Duration::from_secs(38))
            .await
            .unwrap();

        let CallUpdate::New(open) = store
            .record_carrier_duration("CAopen", at(161), Duration::from_secs(60))
            .await
            .unwrap()
        else {
            panic!("first report")
        };
        assert_eq!(open.ended_at, Some(at(161)));
        assert_eq!(open.end_reason.as_deref(), Some(CARRIER_END_REASON));
        assert_eq!(open.duration, Some(Duration::from_secs(60)));
        assert_eq!(open.carrier_duration, Some(Duration::from_secs(60)));

        let CallUpdate::New(lost) = store
            .record_carrier_duration("CAlost", at(120), Duration::from_secs(33))
            .await
            .unwrap()
        else {
            panic!("first report")
        };
        assert_eq!(
            lost.duration,
            Some(Duration::from_secs(33)),
            "the estimate is corrected"
        );
        assert_eq!(lost.end_reason.as_deref(), Some(LOST_END_REASON));
        assert_eq!(lost.ended_at, Some(at(30)));

        let CallUpdate::New(finished) = store
            .record_carrier_duration("CAfinished", at(50), Duration::from_secs(41))
            .await
            .unwrap()
        else {
            panic!("first report")
        };
        assert_eq!(
            finished.duration,
            Some(Duration::from_secs(38)),
            "the bridge's own time stays"
        );
        assert_eq!(finished.carrier_duration, Some(Duration::from_secs(41)));

        assert_eq!(
            store
                .record_carrier_duration("CAopen", at(70), Duration::from_secs(5))
                .await
                .unwrap(),
            CallUpdate::Repeat
        );
        assert_eq!(row(&store, "CAopen").await, open);
        assert_eq!(
            store
                .record_carrier_duration("CAnone", at(70), Duration::from_secs(5))
                .await
                .unwrap(),
            CallUpdate::UnknownCall
        );
        // The bridge finishing after Twilio: its own reason and time replace Twilio's.
        let late = store
            .finish_call("CAopen", at(162), "caller_hung_up", Duration::from_secs(58))
            .await
            .unwrap();
        assert_eq!(late.end_reason.as_deref(), Some("caller_hung_up"));
        assert_eq!(late.carrier_duration, Some(Duration::from_secs(60)));
    })
    .await;
}

#[tokio::test]
async fn a_voicemail_is_kept_once() {
    on_each_backend(|store| async move {
        let agent = seed_business(&store).await.agent;
        let call = open_call(&store, &agent, "CAvm", at(0)).await;
        let url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1";
        let CallUpdate::New(activity) = store
            .record_voicemail("CAvm", url, Duration::from_secs(12))
            .await
            .unwrap()
        else {
            panic!("first voicemail")
        };
        assert_eq!(activity.account_id, call.account_id);
        assert_eq!(activity.kind, ActivityKind::Other("voicemail".into()));
        assert_eq!(activity.summary, "Voicemail from +4930123456 (12 s)");
        assert_eq!(
            store
                .record_voicemail("CAvm", "https://api.twilio.com/other", Duration::from_secs(1))
                .await
                .unwrap(),
            CallUpdate::Repeat
        );
        assert_eq!(row(&store, "CAvm").await.voicemail_url.as_deref(), Some(url));
        assert_eq!(
            store
                .record_voicemail("CAnone", url, Duration::ZERO)
                .await
                .unwrap(),
            CallUpdate::UnknownCall
        );
    })
    .await;
}
