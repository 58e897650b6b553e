//! Calls and usage over HTTP: the call log filtered and paged newest first, one call with its
//! timeline, the period's minutes against the plan, fields named in every refusal, and another
//! account's key finding nothing.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use switchboard::store::{CallDirection, CallEventKind, NewCallEvent, NewCallRecord, Store};

use crate::business::{Business, business};
use crate::support::on_each_backend;

/// A call of the business's agent answered at `started_at`, ended after `seconds` with `reason`
/// (still running when `None`).
async fn call(
    store: &Store,
    business: &Business,
    sid: &str,
    started_at: Timestamp,
    ended: Option<(&str, u64)>,
) -> String {
    let direction = if sid.ends_with("out") {
        CallDirection::Outbound
    } else {
        CallDirection::Inbound
    };
    let record = store
        .insert_call(
            &business.demo.account_id,
            NewCallRecord {
                agent_id: business.demo.agent_id.clone(),
                call_sid: sid.into(),
                direction,
                from_number: "+4930111111".into(),
                to_number: "+14155550100".into(),
                started_at,
            },
        )
        .await
        .unwrap()
        .unwrap();
    if let Some((reason, seconds)) = ended {
        let duration = Duration::from_secs(seconds);
        store
            .finish_call(sid, started_at + duration, reason, duration)
            .await
            .unwrap();
    }
    record.id.into_string()
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A CallSid unique to this test's business.
fn sid(business: &Business, name: &str) -> String {
    format!("CA{}{name}", business.demo.agent_id.as_str().replace('-', ""))
}

#[tokio::test]
async fn calls_are_listed_newest_first_filtered_and_read_with_their_timeline() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        let store = api.store.store();
        let key = &business.key;
        let start: Timestamp = "2026-03-02T08:00:00Z".parse().unwrap();
        let hours = |h: i64| start + SignedDuration::from_hours(h);
        let first = call(
            &store,
            &business,
            &sid(&business, "a"),
            hours(0),
            Some(("caller_hung_up", 61)),
        )
        .await;
        let second = call(
            &store,
            &business,
            &sid(&business, "bout"),
            hours(1),
            Some(("agent_ended", 30)),
        )
        .await;
        let third = call(
            &store,
            &business,
            &sid(&business, "c"),
            hours(2),
            Some(("caller_hung_up", 90)),
        )
        .await;

        let page = api.get("/calls?limit=2", key).await.expect(200);
        assert_eq!(ids(&page), [third.clone(), second.clone()]);
        let cursor = page["next_cursor"].as_str().unwrap();
        let rest = api
            .get(&format!("/calls?limit=2&cursor={cursor}"), key)
            .await
            .expect(200);
        assert_eq!(ids(&rest), std::slice::from_ref(&first));
        let row = &rest["data"][0];
        assert_eq!(row["direction"], "inbound");
        assert_eq!(row["end_reason"], "caller_hung_up");
        assert_eq!(row["duration_seconds"], 61);
        assert_eq!(row["started_at"], "2026-03-02T08:00:00Z");

        let filtered = |query: String| {
            let api = &api;
            async move { api.get(&format!("/calls?{query}"), key).await }
        };
        assert_eq!(
            ids(&filtered("end_reason=caller_hung_up".into()).await.expect(200)),
            [third.clone(), first.clone()]
        );
        assert_eq!(
            ids(&filtered("direction=outbound".into()).await.expect(200)),
            std::slice::from_ref(&second)
        );
        let window = format!(
            "started_from=2026-03-02T09:00:00Z&started_to=2026-03-02T11:00:00%2B01:00&agent_id={}",
            business.demo.agent_id
        );
        assert_eq!(
            ids(&filtered(window).await.expect(200)),
            std::slice::from_ref(&second)
        );
        assert!(ids(&filtered("agent_id=someone".into()).await.expect(200)).is_empty());
        for (query, field) in [
            ("direction=sideways", "direction"),
            ("end_reason=hung_up", "end_reason"),
            ("started_from=yesterday", "started_from"),
            (
                "started_from=2026-03-03T00:00:00Z&started_to=2026-03-02T00:00:00Z",
                "started_to",
            ),
            ("limit=500", "limit"),
        ] {
            let refused = api.get(&format!("/calls?{query}"), key).await;
            assert!(refused.status.is_client_error(), "{query}: {}", refused.status);
            assert_eq!(refused.body["error"]["field"], field, "{query}: {}", refused.body);
        }

        // The timeline: the row's answer and end, the recorder's events between, Twilio's length.
        let sid_a = sid(&business, "a");
        for (second_in, kind, detail) in [
            (1, CallEventKind::StreamStarted, json!({ "stream_sid": "MZ1" })),
            (
                2,
                CallEventKind::AgentConnected,
                json!({ "conversation_id": "conv_1" }),
            ),
            (
                20,
                CallEventKind::ToolCall,
                json!({ "name": "create_booking", "outcome": "ok", "elapsed_ms": 80 }),
            ),
        ] {
            let event = NewCallEvent {
                at: start + SignedDuration::from_secs(second_in),
                kind,
                detail,
            };
            assert!(store.insert_call_event(&sid_a, &event).await.unwrap());
        }
        store
            .record_carrier_duration(
                &sid_a,
                start + SignedDuration::from_secs(65),
                Duration::from_secs(64),
            )
            .await
            .unwrap();
        let detail = api.get(&format!("/calls/{first}"), key).await.expect(200);
        assert_eq!(detail["call"]["id"], first.as_str());
        assert_eq!(detail["call"]["twilio_duration_seconds"], 64);
        let kinds: Vec<&str> = detail["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "answered",
                "stream_started",
                "agent_connected",
                "tool_call",
                "ended",
                "twilio_duration"
            ]
        );
        let events = &detail["events"];
        assert_eq!(events[0]["at"], "2026-03-02T08:00:00Z");
        assert_eq!(events[2]["detail"]["conversation_id"], "conv_1");
        assert_eq!(events[3]["detail"]["outcome"], "ok");
        assert_eq!(
            events[4]["detail"],
            json!({ "reason": "caller_hung_up", "duration_seconds": 61 })
        );
        assert_eq!(events[5]["detail"], json!({ "seconds": 64 }));

        let other = api.account("Someone else", "pro").await;
        api.get(&format!("/calls/{first}"), &other.key).await.error(404);
        let theirs = api.get("/calls", &other.key).await.expect(200);
        assert_eq!(theirs, json!({ "data": [], "next_cursor": null }));
        let theirs = api
            .get("/calls?end_reason=caller_hung_up", &other.key)
            .await
            .expect(200);
        assert_eq!(theirs["data"], json!([]));
    })
    .await;
}

#[tokio::test]
async fn usage_counts_the_periods_started_minutes_against_the_plan() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        let store = api.store.store();
        let key = &business.key;
        let empty = api.get("/usage", key).await.expect(200);
        assert_eq!(empty["minutes_used"], 0);
        assert_eq!(empty["seconds_used"], 0);
        assert_eq!(empty["calls_this_period"], 0);
        assert_eq!(empty["avg_duration_seconds"], Value::Null);
        assert_eq!(empty["minute_limit"], 60, "pro");
        assert_eq!(empty["remaining"], 60);
        assert_eq!(empty["top_outcomes"], json!([]));
        let period_start: Timestamp = empty["period_start"].as_str().unwrap().parse().unwrap();
        let period_end: Timestamp = empty["period_end"].as_str().unwrap().parse().unwrap();
        let now = Timestamp::now();
        assert!(period_start <= now && now < period_end);

        // 61 s is 2 minutes, 60 s one, 1 s one; one call before the period does not count.
        call(&store, &business, &sid(&business, "a"), period_start, Some(("caller_hung_up", 61))).await;
        call(&store, &business, &sid(&business, "b"), now, Some(("agent_ended", 60))).await;
        call(&store, &business, &sid(&business, "c"), now, Some(("caller_hung_up", 1))).await;
        let before = period_start - SignedDuration::from_secs(1);
        call(&store, &business, &sid(&business, "d"), before, Some(("caller_hung_up", 600))).await;
        let usage = api.get("/usage", key).await.expect(200);
        assert_eq!(usage["minutes_used"], 4);
        assert_eq!(usage["seconds_used"], 61 + 60 + 1);
        assert_eq!(usage["remaining"], 56);
        assert_eq!(usage["calls_this_period"], 3);
        assert_eq!(usage["avg_duration_seconds"], 41, "122 s / 3");
        assert_eq!(
            usage["top_outcomes"],
            json!([{ "end_reason": "caller_hung_up", "calls": 2 }, { "end_reason": "agent_ended", "calls": 1 }])
        );

        // Over the limit, nothing remains; on an unlimited plan there is no limit.
        call(&store, &business, &sid(&business, "e"), now, Some(("caller_hung_up", 3600))).await;
        let over = api.get("/usage", key).await.expect(200);
        assert_eq!(over["minutes_used"], 64);
        assert_eq!(over["remaining"], 0);
        let account = business.demo.account_id.to_string();
        api.patch(&format!("/accounts/{account}"), &api.operator, json!({ "plan": "business" }))
            .await
            .expect(200);
        let unlimited = api.get("/usage", key).await.expect(200);
        assert_eq!(unlimited["minute_limit"], Value::Null);
        assert_eq!(unlimited["remaining"], Value::Null);
        assert_eq!(unlimited["minutes_used"], 64);

        let other = api.account("Someone else", "free").await;
        let theirs = api.get("/usage", &other.key).await.expect(200);
        assert_eq!(theirs["minutes_used"], 0);
        assert_eq!(theirs["calls_this_period"], 0);
        assert_eq!(theirs["minute_limit"], 5, "free");
        assert_eq!(api.get("/usage", &api.operator).await.status, 403, "an operator's key has no account");
    })
    .await;
}
