//! The booking tools over HTTP, as ElevenLabs webhook tools call them: the shared secret, agent
//! lookup by either id, body limits, the idempotency header, and tool errors as
//! `{"error": sentence}` with a status a webhook caller can act on.

use crate::support::{Demo, at, demo};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use switchboard::http::tools::{MAX_BODY_BYTES, ToolsState, router};
use switchboard::store::testing::{self, unique_phone_number};
use switchboard::store::{FallbackMode, NewAgent};
use switchboard::tools::{FixedClock, Toolbox};
use tower::ServiceExt;

const SECRET: &str = "correct horse battery staple";

fn app(demo: &Demo, secret: Option<&str>) -> Router {
    let toolbox = Toolbox::with_clock(demo.store.clone(), FixedClock(at(crate::support::NOW)));
    router(ToolsState::new(toolbox, secret))
}

struct Reply {
    status: StatusCode,
    body: Value,
}

async fn post(app: &Router, tool: &str, headers: &[(&str, &str)], body: impl Into<Body>) -> Reply {
    let mut request = Request::post(format!("/tools/{tool}")).header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(body.into()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes)));
    Reply { status, body }
}

fn authed<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut headers = vec![("x-voice-secret", SECRET)];
    headers.extend_from_slice(extra);
    headers
}

#[tokio::test]
async fn the_secret_is_required_and_an_unset_secret_closes_the_endpoint() {
    let store = testing::sqlite().await;
    let demo = demo(&store).await;
    let body = json!({"agent_id": demo.ctx.agent_id}).to_string();

    let closed = post(&app(&demo, None), "list_event_types", &authed(&[]), body.clone()).await;
    assert_eq!(closed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        closed.body["error"]
            .as_str()
            .unwrap()
            .contains("SWITCHBOARD_TOOL_SECRET")
    );
    let blank = post(
        &app(&demo, Some("  ")),
        "list_event_types",
        &authed(&[]),
        body.clone(),
    )
    .await;
    assert_eq!(blank.status, StatusCode::SERVICE_UNAVAILABLE);

    let app = app(&demo, Some(SECRET));
    let missing = post(&app, "list_event_types", &[], body.clone()).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.body["error"], "Missing or wrong X-Voice-Secret header.");
    for wrong in ["correct horse battery stapler", "", "correct horse battery stapl"] {
        let refused = post(
            &app,
            "list_event_types",
            &[("x-voice-secret", wrong)],
            body.clone(),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{wrong:?}");
    }
    let ok = post(&app, "list_event_types", &authed(&[]), body).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["event_types"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn agents_are_found_by_either_id_and_unknown_or_ambiguous_ones_are_refused() {
    let store = testing::sqlite().await;
    let demo = demo(&store).await;
    let app = app(&demo, Some(SECRET));
    let by_elevenlabs_id = post(
        &app,
        "list_event_types",
        &authed(&[]),
        json!({"agent_id": "agent_demo"}).to_string(),
    )
    .await;
    assert_eq!(
        by_elevenlabs_id.status,
        StatusCode::OK,
        "{}",
        by_elevenlabs_id.body
    );

    let unknown = post(
        &app,
        "list_event_types",
        &authed(&[]),
        json!({"agent_id": "agent_nobody"}).to_string(),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["error"], "No agent is known as agent_nobody.");
    let missing = post(&app, "list_event_types", &authed(&[]), json!({}).to_string()).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A second line on the same ElevenLabs agent: the dialled number tells them apart.
    let second = store
        .create_agent(
            &demo.business.account_id,
            NewAgent {
                name: "Second line".into(),
                phone_number: Some(unique_phone_number()),
                elevenlabs_agent_id: "agent_demo".into(),
                timezone: crate::support::HOST_ZONE.into(),
                first_message: None,
                fallback_mode: FallbackMode::Voicemail,
                fallback_number: None,
                ..NewAgent::default()
            },
        )
        .await
        .unwrap();
    store
        .link_event_type(&demo.business.account_id, &second.id, &demo.business.cleaning_id)
        .await
        .unwrap();
    let ambiguous = post(
        &app,
        "list_event_types",
        &authed(&[]),
        json!({"agent_id": "agent_demo"}).to_string(),
    )
    .await;
    assert_eq!(ambiguous.status, StatusCode::CONFLICT);
    let picked = post(
        &app,
        "list_event_types",
        &authed(&[]),
        json!({"agent_id": "agent_demo", "called_number": second.phone_number}).to_string(),
    )
    .await;
    assert_eq!(picked.status, StatusCode::OK);
    // The second line offers only cleanings, unlike Ava: the reply is the second line's.
    let slugs: Vec<&str> = picked.body["event_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["cleaning"]);
}

#[tokio::test]
async fn bodies_must_be_small_json_objects_and_tools_must_exist() {
    let store = testing::sqlite().await;
    let demo = demo(&store).await;
    let app = app(&demo, Some(SECRET));
    let huge = json!({"agent_id": demo.ctx.agent_id, "notes": "x".repeat(MAX_BODY_BYTES)}).to_string();
    let too_big = post(&app, "create_booking", &authed(&[]), huge).await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_big.body["error"], "The request body is larger than 64 KiB.");

    let not_json = post(&app, "list_event_types", &authed(&[]), "agent_id=1").await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    let not_object = post(&app, "list_event_types", &authed(&[]), "[1]").await;
    assert_eq!(not_object.status, StatusCode::BAD_REQUEST);
    let unknown = post(
        &app,
        "end_call",
        &authed(&[]),
        json!({"agent_id": demo.ctx.agent_id}).to_string(),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.body["error"],
        "The tool `end_call` is not available on this line."
    );
}

#[tokio::test]
async fn the_idempotency_header_makes_a_retried_webhook_one_booking() {
    let store = testing::sqlite().await;
    let demo = demo(&store).await;
    let app = app(&demo, Some(SECRET));
    let booking = |start: &str| {
        json!({
            "agent_id": "agent_demo",
            "caller_number": "+14155550199",
            "call_sid": "CA123",
            "event_type_slug": "cleaning",
            "start_time": start,
            "invitee_name": "Ana Diaz",
        })
        .to_string()
    };
    let first = post(
        &app,
        "create_booking",
        &authed(&[("idempotency-key", "el-retry-1")]),
        booking("2026-02-10T15:00:00Z"),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let retried = post(
        &app,
        "create_booking",
        &authed(&[("idempotency-key", "el-retry-1")]),
        booking("2026-02-10T15:00:00Z"),
    )
    .await;
    assert_eq!(retried.status, StatusCode::OK);
    assert_eq!(retried.body["booking_id"], first.body["booking_id"]);
    assert_eq!(
        demo.confirmed("2026-02-10T00:00:00Z", "2026-02-11T00:00:00Z")
            .await
            .len(),
        1
    );
    let stored = demo.booking(first.body["booking_id"].as_str().unwrap()).await;
    assert_eq!(
        stored.invitee_phone.as_deref(),
        Some("+14155550199"),
        "caller_number reached the tool"
    );

    // Without the header every request is new: the same slot is now refused, with a reason.
    let taken = post(
        &app,
        "create_booking",
        &authed(&[]),
        booking("2026-02-10T15:00:00Z"),
    )
    .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(
        taken.body["error"],
        "That time was just taken; the next free times are 10:45 AM and 11:00 AM."
    );
    let other = post(
        &app,
        "create_booking",
        &authed(&[]),
        booking("2026-02-10T16:00:00Z"),
    )
    .await;
    assert_eq!(other.status, StatusCode::OK);
    assert_ne!(other.body["booking_id"], first.body["booking_id"]);

    let bad_key = post(
        &app,
        "create_booking",
        &authed(&[("idempotency-key", " ")]),
        booking("2026-02-10T17:00:00Z"),
    )
    .await;
    assert_eq!(bad_key.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn tool_errors_are_sentences_with_matching_statuses() {
    let store = testing::sqlite().await;
    let demo = demo(&store).await;
    let app = app(&demo, Some(SECRET));
    let agent = demo.ctx.agent_id.clone();
    let missing = post(
        &app,
        "create_booking",
        &authed(&[]),
        json!({"agent_id": agent}).to_string(),
    )
    .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.body["error"], "I need the meeting type.");
    let not_found = post(
        &app,
        "get_booking_details",
        &authed(&[]),
        json!({"agent_id": agent, "booking_id": "ZZZZZZ"}).to_string(),
    )
    .await;
    assert_eq!(not_found.status, StatusCode::NOT_FOUND);
    let slots = post(
        &app,
        "get_available_slots",
        &authed(&[]),
        json!({"agent_id": agent, "event_type_slug": "cleaning", "date": "2026-02-10"}).to_string(),
    )
    .await;
    assert_eq!(slots.status, StatusCode::OK);
    assert_eq!(slots.body["slots"][0]["time"], "8:00 AM");
}
