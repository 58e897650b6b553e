//! ElevenLabs' post-call reports beyond the webhook: the workspace webhook provisioning keeps
//! (its id and secret per delivery URL) and the reports still missing, with the reconciler's
//! attempts at fetching them. On SQLite and PostgreSQL.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use switchboard::config::Secret;
use switchboard::store::testing::{on_each_backend, seed_business};
use switchboard::store::{
    Agent, CallDirection, KeptWebhook, MissingReportQuery, NewCallRecord, PostCallAnalysis, Store,
};

const URL: &str = "https://sb.example/webhooks/elevenlabs";
const T0: &str = "2026-03-10T14:00:00Z";

fn at(minutes: i64) -> Timestamp {
    T0.parse::<Timestamp>().unwrap() + SignedDuration::from_mins(minutes)
}

fn kept(id: &str, secret: &str) -> KeptWebhook {
    KeptWebhook {
        webhook_id: id.into(),
        webhook_secret: Secret::new(secret),
    }
}

#[tokio::test]
async fn the_workspace_webhook_is_kept_per_url_replaced_and_forgotten_only_while_it_is_the_same() {
    on_each_backend(|store| async move {
        assert_eq!(store.elevenlabs_webhook(URL).await.unwrap(), None);
        store
            .set_elevenlabs_webhook(URL, &kept("wh_1", "first"))
            .await
            .unwrap();
        store
            .set_elevenlabs_webhook(
                "https://other.example/webhooks/elevenlabs",
                &kept("wh_9", "other"),
            )
            .await
            .unwrap();
        assert_eq!(
            store.elevenlabs_webhook(URL).await.unwrap(),
            Some(kept("wh_1", "first"))
        );
        store
            .set_elevenlabs_webhook(URL, &kept("wh_2", "second"))
            .await
            .unwrap();
        assert_eq!(
            store.elevenlabs_webhook(URL).await.unwrap(),
            Some(kept("wh_2", "second")),
            "created again: the row replaced"
        );
        assert!(
            !store.forget_elevenlabs_webhook(URL, "wh_1").await.unwrap(),
            "a replaced webhook is not the kept one"
        );
        assert!(store.forget_elevenlabs_webhook(URL, "wh_2").await.unwrap());
        assert_eq!(store.elevenlabs_webhook(URL).await.unwrap(), None);
        assert!(
            store
                .elevenlabs_webhook("https://other.example/webhooks/elevenlabs")
                .await
                .unwrap()
                .is_some()
        );
        let shown = format!("{:?}", kept("wh_3", "do-not-print"));
        assert!(!shown.contains("do-not-print"), "{shown}");
    })
    .await;
}

#[tokio::test]
async fn the_first_webhook_kept_wins_a_race_and_a_lost_one_is_replaced_once() {
    on_each_backend(|store| async move {
        let first = store
            .keep_elevenlabs_webhook(URL, &kept("wh_a", "a"), None)
            .await
            .unwrap();
        assert_eq!(first, kept("wh_a", "a"));
        let racing = store
            .keep_elevenlabs_webhook(URL, &kept("wh_b", "b"), None)
            .await
            .unwrap();
        assert_eq!(racing, kept("wh_a", "a"), "the first one kept stays");
        // wh_a is lost at ElevenLabs: two runs each create a new one to replace it.
        let replaced = store
            .keep_elevenlabs_webhook(URL, &kept("wh_c", "c"), Some("wh_a"))
            .await
            .unwrap();
        assert_eq!(replaced, kept("wh_c", "c"));
        let late = store
            .keep_elevenlabs_webhook(URL, &kept("wh_d", "d"), Some("wh_a"))
            .await
            .unwrap();
        assert_eq!(late, kept("wh_c", "c"), "only the first replacement is kept");
        // Forgotten meanwhile (its creation undone): a replacement is kept anew.
        store.forget_elevenlabs_webhook(URL, "wh_c").await.unwrap();
        let anew = store
            .keep_elevenlabs_webhook(URL, &kept("wh_e", "e"), Some("wh_c"))
            .await
            .unwrap();
        assert_eq!(anew, kept("wh_e", "e"));
    })
    .await;
}

async fn ended_call(
    store: &Store,
    agent: &Agent,
    sid: &str,
    conversation: Option<&str>,
    ended_at: Option<Timestamp>,
) {
    let new = NewCallRecord {
        agent_id: agent.id.clone(),
        call_sid: sid.into(),
        direction: CallDirection::Inbound,
        from_number: "+4930123456".into(),
        to_number: agent.phone_number.clone().unwrap(),
        started_at: at(-100),
    };
    store.insert_call(&agent.account_id, new).await.unwrap().unwrap();
    if let Some(conversation) = conversation {
        store.set_call_conversation_id(sid, conversation).await.unwrap();
    }
    if let Some(ended_at) = ended_at {
        store
            .finish_call(sid, ended_at, "completed", Duration::from_secs(60))
            .await
            .unwrap();
    }
}

fn analysis(conversation_id: &str) -> PostCallAnalysis {
    PostCallAnalysis {
        conversation_id: conversation_id.into(),
        agent_id: "ag_1".into(),
        call_successful: Some("success".into()),
        transcript_summary: None,
        call_summary_title: None,
        evaluation_criteria_results: serde_json::json!({}),
        data_collection_results: serde_json::json!({}),
        call_duration_secs: Some(60),
        cost: None,
        event_timestamp: 1_790_000_000,
    }
}

#[tokio::test]
async fn missing_reports_are_the_ended_calls_with_a_conversation_and_no_analysis_within_the_window() {
    on_each_backend(|store| async move {
        let agent = seed_business(&store).await.agent;
        ended_call(&store, &agent, "CAmissing", Some("conv_missing"), Some(at(0))).await;
        ended_call(&store, &agent, "CAearlier", Some("conv_earlier"), Some(at(-10))).await;
        ended_call(&store, &agent, "CAreported", Some("conv_reported"), Some(at(0))).await;
        ended_call(&store, &agent, "CAlive", Some("conv_live"), None).await;
        ended_call(&store, &agent, "CAnoconv", None, Some(at(0))).await;
        ended_call(&store, &agent, "CAold", Some("conv_old"), Some(at(-1000))).await;
        ended_call(&store, &agent, "CArecent", Some("conv_recent"), Some(at(9))).await;
        store
            .record_post_call_analysis(&analysis("conv_reported"))
            .await
            .unwrap();
        let query = MissingReportQuery {
            ended_after: at(-100),
            ended_before: at(5),
            max_attempts: 3,
            limit: 10,
        };
        let ids = |found: Vec<switchboard::store::MissingReport>| {
            found.into_iter().map(|m| m.conversation_id).collect::<Vec<_>>()
        };
        let found = store.missing_post_call_reports(query).await.unwrap();
        assert_eq!(found[0].ended_at, at(-10));
        assert_eq!((found[0].attempts, found[0].last_attempt_at), (0, None));
        assert_eq!(ids(found), ["conv_earlier", "conv_missing"], "the oldest first");

        // Attempts are counted per conversation; one tried max_attempts times drops out.
        assert_eq!(
            store
                .record_post_call_fetch("conv_missing", "not_final", at(6))
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store
                .record_post_call_fetch("conv_missing", "not_found", at(8))
                .await
                .unwrap(),
            2
        );
        let found = store.missing_post_call_reports(query).await.unwrap();
        let missing = found
            .iter()
            .find(|m| m.conversation_id == "conv_missing")
            .unwrap();
        assert_eq!((missing.attempts, missing.last_attempt_at), (2, Some(at(8))));
        store
            .record_post_call_fetch("conv_missing", "failed", at(10))
            .await
            .unwrap();
        assert_eq!(
            ids(store.missing_post_call_reports(query).await.unwrap()),
            ["conv_earlier"]
        );

        // A report stored meanwhile takes the call out; the limit bounds a round.
        store
            .record_post_call_analysis(&analysis("conv_earlier"))
            .await
            .unwrap();
        assert!(store.missing_post_call_reports(query).await.unwrap().is_empty());
        let wider = MissingReportQuery {
            ended_after: at(-2000),
            ended_before: at(10),
            max_attempts: 3,
            limit: 1,
        };
        assert_eq!(
            ids(store.missing_post_call_reports(wider).await.unwrap()),
            ["conv_old"]
        );
    })
    .await;
}
