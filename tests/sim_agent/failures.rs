//! Failure injection: requests the sim is told to fail get ElevenLabs' error body for the
//! status and never reach the workspace.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use switchboard::sim::failures::FailureRule;

use super::client::{Sim, echo_config, http_client};

async fn create_agent(sim: &Sim) -> (u16, Value) {
    let response = http_client()
        .post(sim.http("/v1/convai/agents/create"))
        .json(&json!({"conversation_config": {}}))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_rule_added_in_process_fails_its_requests_then_lets_them_through() {
    let sim = Sim::start(echo_config()).await;
    let rule = FailureRule::new(
        Method::POST,
        "/v1/convai/agents/create",
        2,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .unwrap();
    sim.agent.failures().add(rule);
    for _ in 0..2 {
        let (status, body) = create_agent(&sim).await;
        assert_eq!(status, 503);
        assert_eq!(body, json!({"detail": "Service Unavailable"}));
    }
    let listed = sim.agent.workspace().agents(&Default::default()).unwrap();
    assert!(listed.items.is_empty(), "a failed request made nothing");
    let (status, body) = create_agent(&sim).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sim.agent.failures().pending(), 0);
}

#[tokio::test]
async fn a_rule_posted_at_run_time_matches_any_id_and_answers_500_by_default() {
    let sim = Sim::start(echo_config()).await;
    let (_, created) = create_agent(&sim).await;
    let id = created["agent_id"].as_str().unwrap();
    let response = http_client()
        .post(sim.http("/sim/failures"))
        .json(&json!({"method": "DELETE", "path": "/v1/convai/agents/*"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    let delete = || {
        http_client()
            .delete(sim.http(&format!("/v1/convai/agents/{id}")))
            .send()
    };
    let failed = delete().await.unwrap();
    assert_eq!(failed.status(), 500);
    let body: Value = failed.json().await.unwrap();
    assert_eq!(body, json!({"detail": "Internal Server Error"}));
    assert!(
        sim.agent.workspace().agent(id).is_some(),
        "the agent is still there"
    );
    assert_eq!(delete().await.unwrap().status(), 204);
    assert!(sim.agent.workspace().agent(id).is_none());
}

#[tokio::test]
async fn the_signed_url_can_be_failed_too() {
    let sim = Sim::start(echo_config()).await;
    sim.agent.failures().add(
        "GET /v1/convai/conversation/get-signed-url=1:429"
            .parse()
            .unwrap(),
    );
    let url = sim.http("/v1/convai/conversation/get-signed-url?agent_id=agent_1");
    let response = http_client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 429);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"detail": "Too Many Requests"}));
    assert_eq!(http_client().get(&url).send().await.unwrap().status(), 200);
}
