//! One path to the data: the schedule and event types written through the API are what the
//! agent's booking tools offer callers, and the agent's bookings keep them from being deleted.

use serde_json::{Value, json};

use crate::calendar::id;
use crate::support::on_each_backend;
use switchboard::call::{ToolCall, ToolContext, ToolRegistry};
use switchboard::store::testing::unique_phone_number;
use switchboard::store::{AccountId, FallbackMode, NewAgent};
use switchboard::tools::{FixedClock, Toolbox};

/// The agent's `get_available_slots` for one date: the offered starts, as UTC instants.
async fn offered(toolbox: &Toolbox, ctx: &ToolContext, date: &str) -> Vec<String> {
    let call = ToolCall {
        id: uuid::Uuid::new_v4().to_string(),
        name: "get_available_slots".into(),
        parameters: json!({"event_type_slug": "consultation", "date": date}),
    };
    let outcome = toolbox.call(ctx, call).await;
    assert!(!outcome.is_error, "{}", outcome.result);
    let reply: Value = serde_json::from_str(&outcome.result).unwrap();
    reply["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|slot| slot["start_time"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_schedule_written_through_the_api_is_what_the_agent_offers() {
    on_each_backend(|api| async move {
        let account = api.account("Harbor Dental", "pro").await;
        let key = account.key.as_str();
        let room = api
            .post("/hosts", key, json!({"name": "Room 1", "timezone": "UTC"}))
            .await
            .expect(201);
        let base = format!("/hosts/{}", id(&room));
        let consultation = api
            .post(
                "/event-types",
                key,
                json!({"host_id": id(&room), "slug": "consultation", "name": "Consultation",
                       "duration_minutes": 60}),
            )
            .await
            .expect(201);
        let agent = api
            .store
            .create_agent(
                &AccountId::from(account.id.as_str()),
                NewAgent {
                    name: "Ava".into(),
                    phone_number: Some(unique_phone_number()),
                    elevenlabs_agent_id: "agent_ava".into(),
                    fallback_mode: FallbackMode::Voicemail,
                    ..NewAgent::default()
                },
            )
            .await
            .unwrap();
        let ctx = ToolContext {
            account_id: account.id.clone(),
            agent_id: agent.id.to_string(),
            call_sid: "CA00000000000000000000000000000042".into(),
            caller_number: Some("+14155550123".into()),
            called_number: agent.phone_number.clone(),
        };
        // Monday, December 7, 2026, early morning; the day asked for is the Tuesday after.
        let toolbox = Toolbox::with_clock(
            api.store.store(),
            FixedClock("2026-12-07T06:00:00Z".parse().unwrap()),
        );
        let tuesday = "2026-12-08";
        assert!(offered(&toolbox, &ctx, tuesday).await.is_empty(), "no hours yet");

        api.put(
            &format!("{base}/weekly-hours"),
            key,
            json!({"ranges": [{"day": "tuesday", "start": "09:00", "end": "11:00"}]}),
        )
        .await
        .expect(200);
        assert_eq!(
            offered(&toolbox, &ctx, tuesday).await,
            ["2026-12-08T09:00:00Z", "2026-12-08T10:00:00Z"]
        );

        api.patch(
            &format!("/event-types/{}", id(&consultation)),
            key,
            json!({"slot_interval_minutes": 30}),
        )
        .await
        .expect(200);
        assert_eq!(
            offered(&toolbox, &ctx, tuesday).await,
            [
                "2026-12-08T09:00:00Z",
                "2026-12-08T09:30:00Z",
                "2026-12-08T10:00:00Z"
            ]
        );

        api.put(
            &format!("{base}/date-overrides/{tuesday}"),
            key,
            json!({"ranges": [{"start": "14:00", "end": "15:00"}]}),
        )
        .await
        .expect(200);
        assert_eq!(offered(&toolbox, &ctx, tuesday).await, ["2026-12-08T14:00:00Z"]);

        api.put(&format!("{base}/blackout-dates/{tuesday}"), key, json!({}))
            .await
            .expect(200);
        assert!(offered(&toolbox, &ctx, tuesday).await.is_empty(), "blacked out");
        api.delete(&format!("{base}/blackout-dates/{tuesday}"), key)
            .await
            .expect(204);
        api.delete(&format!("{base}/date-overrides/{tuesday}"), key)
            .await
            .expect(204);
        assert_eq!(
            offered(&toolbox, &ctx, tuesday).await.len(),
            3,
            "the weekly hours again"
        );

        // A booking made by the agent keeps its event type and host from being deleted.
        let booked = toolbox
            .call(
                &ctx,
                ToolCall {
                    id: uuid::Uuid::new_v4().to_string(),
                    name: "create_booking".into(),
                    parameters: json!({"event_type_slug": "consultation",
                                       "start_time": "2026-12-08T09:00:00Z", "invitee_name": "Ana Diaz"}),
                },
            )
            .await;
        assert!(!booked.is_error, "{}", booked.result);
        assert_eq!(
            offered(&toolbox, &ctx, tuesday).await,
            ["2026-12-08T10:00:00Z"],
            "the booked hour is gone"
        );
        let kept = api
            .delete(&format!("/event-types/{}", id(&consultation)), key)
            .await
            .error(409);
        assert_eq!(kept["code"], "event_type_in_use");
        assert!(
            kept["message"].as_str().unwrap().contains("\"active\": false"),
            "{kept}"
        );
        let kept = api.delete(&base, key).await.error(409);
        assert_eq!(kept["code"], "host_in_use");

        // Deactivated through the API, the agent no longer offers it.
        api.patch(
            &format!("/event-types/{}", id(&consultation)),
            key,
            json!({"active": false}),
        )
        .await
        .expect(200);
        let refused = toolbox
            .call(
                &ctx,
                ToolCall {
                    id: uuid::Uuid::new_v4().to_string(),
                    name: "get_available_slots".into(),
                    parameters: json!({"event_type_slug": "consultation", "date": tuesday}),
                },
            )
            .await;
        assert!(refused.is_error, "{}", refused.result);
    })
    .await;
}
