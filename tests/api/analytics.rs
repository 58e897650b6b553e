//! `GET /analytics` over HTTP: the calls of a range counted with their outcomes, the rates that
//! follow, minutes by agent, one agent's share, the default range, and refusals that name
//! their field.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use switchboard::store::{CallDirection, CallOutcome, NewCallRecord, NewSms, OptOutSource, SmsStatus, Store};

use crate::business::{Business, business};
use crate::support::on_each_backend;

/// A call answered at `at`; when `taken`, its agent's conversation opened; ended after
/// `seconds` with `outcome`.
async fn call(
    store: &Store,
    business: &Business,
    name: &str,
    at: Timestamp,
    taken: bool,
    seconds: u64,
    outcome: CallOutcome,
) {
    let sid = format!("CA{}{name}", business.demo.agent_id.as_str().replace('-', ""));
    let record = store
        .insert_call(
            &business.demo.account_id,
            NewCallRecord {
                agent_id: business.demo.agent_id.clone(),
                call_sid: sid.clone(),
                direction: CallDirection::Inbound,
                from_number: "+4930111111".into(),
                to_number: "+14155550100".into(),
                started_at: at,
            },
        )
        .await
        .unwrap()
        .unwrap();
    if taken {
        store
            .set_call_conversation_id(&sid, &format!("conv_{name}"))
            .await
            .unwrap();
    }
    let duration = Duration::from_secs(seconds);
    store
        .finish_call(&sid, at + duration, "caller_hung_up", duration)
        .await
        .unwrap();
    store
        .set_call_outcome(&business.demo.account_id, &record.id, outcome, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_range_reports_its_calls_rates_outcomes_and_minutes_by_agent() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        let store = api.store.store();
        let key = &business.key;
        let start: Timestamp = "2026-03-02T08:00:00Z".parse().unwrap();
        let at = |h: i64| start + SignedDuration::from_hours(h);
        call(
            &store,
            &business,
            "a",
            at(0),
            true,
            61,
            CallOutcome::BookingCreated,
        )
        .await;
        call(
            &store,
            &business,
            "b",
            at(1),
            true,
            119,
            CallOutcome::BookingCreated,
        )
        .await;
        call(&store, &business, "c", at(2), true, 30, CallOutcome::InfoProvided).await;
        call(&store, &business, "d", at(3), true, 10, CallOutcome::Transferred).await;
        call(&store, &business, "e", at(4), false, 20, CallOutcome::Voicemail).await;
        // Outside the range asked for.
        call(&store, &business, "f", at(48), true, 600, CallOutcome::NoAction).await;

        let range = "from=2026-03-02T00:00:00Z&to=2026-03-03T00:00:00Z";
        let report = api.get(&format!("/analytics?{range}"), key).await.expect(200);
        assert_eq!(report["calls"], 5);
        assert_eq!(report["answered"], 4);
        assert_eq!(report["answer_rate"], 0.8);
        assert_eq!(report["avg_duration_seconds"], 55, "(61 + 119 + 30 + 10) / 4");
        assert_eq!(
            report["booking_conversion"], 0.5,
            "2 bookings of 4 answered calls"
        );
        assert_eq!(report["transfer_rate"], 0.2);
        assert_eq!(report["voicemail_rate"], 0.2);
        assert_eq!(
            report["outcomes"],
            json!({"booking_created": 2, "booking_changed": 0, "info_provided": 1, "voicemail": 1,
                   "transferred": 1, "no_action": 0, "failed": 0})
        );
        assert_eq!(
            report["minutes_by_agent"],
            json!([{"agent_id": business.demo.agent_id.to_string(), "minutes": 7, "calls": 5}]),
            "2 + 2 + 1 + 1 + 1 started minutes"
        );
        assert_eq!(report["from"], "2026-03-02T00:00:00Z");
        assert_eq!(
            report["texts"],
            json!({"sent": 0, "delivered": 0, "failed": 0, "delivery_rate": null, "opt_outs": 0})
        );

        // Follow-up texts: two sent (one delivered, one undelivered), one given up, one still
        // waiting, one outside the range; a caller who opted out in the range.
        let account = &business.demo.account_id;
        let text = |name: &str, at: Timestamp| {
            let store = store.clone();
            let new = NewSms {
                account_id: account.clone(),
                idempotency_key: format!("analytics:{name}:{}", business.demo.agent_id),
                to_number: "+4930111111".into(),
                from_number: "+14155550100".into(),
                body: "Thanks for calling.".into(),
            };
            async move { store.enqueue_sms(new, at).await.unwrap().0 }
        };
        let delivered = text("delivered", at(1)).await;
        store
            .mark_sms_sent(&delivered.id, "SM1", "queued", at(1))
            .await
            .unwrap();
        assert!(
            store
                .set_sms_message_status(&delivered.id, Some("queued"), "delivered", None)
                .await
                .unwrap()
        );
        let undelivered = text("undelivered", at(2)).await;
        store
            .mark_sms_sent(&undelivered.id, "SM2", "queued", at(2))
            .await
            .unwrap();
        assert!(
            store
                .set_sms_message_status(&undelivered.id, Some("queued"), "undelivered", Some("30003"))
                .await
                .unwrap()
        );
        let given_up = text("given_up", at(3)).await;
        store
            .finish_sms_unsent(&given_up.id, SmsStatus::Failed, "refused", Some("21211"), at(3))
            .await
            .unwrap();
        text("waiting", at(4)).await;
        text("later", at(48)).await;
        store
            .set_opt_out(account, "+4930111111", true, OptOutSource::Keyword, at(5))
            .await
            .unwrap();
        let report = api.get(&format!("/analytics?{range}"), key).await.expect(200);
        assert_eq!(
            report["texts"],
            json!({"sent": 2, "delivered": 1, "failed": 2, "delivery_rate": 0.5, "opt_outs": 1})
        );

        // One agent: the same calls; another account's agent is not found.
        let agent = business.demo.agent_id.to_string();
        let one = api
            .get(&format!("/analytics?{range}&agent={agent}"), key)
            .await
            .expect(200);
        assert_eq!(
            (one["calls"].clone(), one["agent_id"].clone()),
            (json!(5), json!(agent))
        );
        let other = crate::business::business(&api).await;
        api.get(&format!("/analytics?{range}&agent={agent}"), &other.key)
            .await
            .expect(404);
        let empty = api
            .get(&format!("/analytics?{range}"), &other.key)
            .await
            .expect(200);
        assert_eq!(
            (empty["calls"].clone(), empty["answer_rate"].clone()),
            (json!(0), json!(null))
        );

        // The default range is the current billing period, which holds none of these calls.
        let current = api.get("/analytics", key).await.expect(200);
        assert_eq!(current["calls"], 0);
        assert!(current["from"].as_str().unwrap() < current["to"].as_str().unwrap());
    })
    .await;
}

#[tokio::test]
async fn a_bad_range_is_refused_naming_its_field() {
    on_each_backend(|api| async move {
        let business = business(&api).await;
        let key = &business.key;
        for (query, field) in [
            ("from=yesterday", "from"),
            ("from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "to"),
            ("from=2025-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "to"),
        ] {
            let refused = api.get(&format!("/analytics?{query}"), key).await.expect(422);
            assert_eq!(refused["error"]["field"], field, "{query}: {refused}");
        }
        api.get("/analytics?since=2026-01-01", key).await.expect(400);
    })
    .await;
}
