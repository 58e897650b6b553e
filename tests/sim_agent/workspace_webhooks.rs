//! Workspace webhooks over the REST API (`/v1/workspace/webhooks…`) and the agent setting
//! that points post-call events at one.

use serde_json::{Value, json};

use super::client::Sim;
use super::rest::{KEY, call, private};

fn settings(name: &str, url: &str) -> Value {
    json!({"settings": {"auth_type": "hmac", "name": name, "webhook_url": url,
        "request_headers": {"X-Team": "calls"}}})
}

#[tokio::test]
async fn a_webhook_is_created_listed_patched_and_deleted_with_its_secret_shown_once() {
    let sim = Sim::start(private()).await;
    let (status, created) = call(
        &sim,
        "POST",
        "/v1/workspace/webhooks",
        Some(settings("calls", "https://example.com/el")),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["webhook_id"].as_str().unwrap().to_owned();
    let secret = created["webhook_secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 16, "{secret}");
    assert_eq!(created.as_object().unwrap().len(), 2, "{created}");

    let (status, listed) = call(&sim, "GET", "/v1/workspace/webhooks", None).await;
    assert_eq!(status, 200);
    let webhook = &listed["webhooks"][0];
    assert_eq!(webhook["webhook_id"], id.as_str());
    assert_eq!(webhook["name"], "calls");
    assert_eq!(webhook["webhook_url"], "https://example.com/el");
    assert_eq!(webhook["auth_type"], "hmac");
    assert_eq!(
        (
            webhook["is_disabled"].as_bool(),
            webhook["is_auto_disabled"].as_bool()
        ),
        (Some(false), Some(false))
    );
    assert!(webhook["created_at_unix"].is_i64());
    assert!(webhook["most_recent_failure_error_code"].is_null());
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is never listed: {listed}"
    );
    assert!(webhook.get("usage").is_none(), "usage only when asked for");

    let agent = json!({"conversation_config": {}, "platform_settings": {"workspace_overrides": {"webhooks":
        {"post_call_webhook_id": id, "events": ["transcript"], "transcript_format": "json"}}}});
    let (status, made) = call(&sim, "POST", "/v1/convai/agents/create", Some(agent)).await;
    assert_eq!(status, 200, "{made}");
    let agent_id = made["agent_id"].as_str().unwrap();
    let (_, read) = call(&sim, "GET", &format!("/v1/convai/agents/{agent_id}"), None).await;
    assert_eq!(
        read["platform_settings"]["workspace_overrides"]["webhooks"],
        json!({"post_call_webhook_id": id, "events": ["transcript"], "transcript_format": "json", "send_audio": null})
    );
    let (_, with_usage) = call(&sim, "GET", "/v1/workspace/webhooks?include_usages=true", None).await;
    assert_eq!(
        with_usage["webhooks"][0]["usage"],
        json!([{"usage_type": "ConvAI Agent Settings"}])
    );

    let patch = json!({"is_disabled": true, "name": "renamed", "retry_enabled": true});
    let (status, answer) = call(
        &sim,
        "PATCH",
        &format!("/v1/workspace/webhooks/{id}"),
        Some(patch),
    )
    .await;
    assert_eq!((status, answer), (200, json!({"status": "ok"})));
    let stored = sim.agent.workspace().webhooks().get(&id).unwrap();
    assert!(stored.is_disabled && stored.retry_enabled);
    assert_eq!(
        (stored.name.as_str(), stored.secret.as_str()),
        ("renamed", secret.as_str())
    );
    assert_eq!(
        stored.request_headers.get("X-Team"),
        Some(&Some("calls".to_owned()))
    );

    let (status, answer) = call(&sim, "DELETE", &format!("/v1/workspace/webhooks/{id}"), None).await;
    assert_eq!((status, answer), (200, json!({"status": "ok"})));
    let (_, listed) = call(&sim, "GET", "/v1/workspace/webhooks", None).await;
    assert_eq!(listed, json!({"webhooks": []}));
}

#[tokio::test]
async fn bad_webhook_requests_get_422s_unknown_ids_404_and_the_key_is_checked() {
    let sim = Sim::start(private()).await;
    let cases = [
        (
            json!({"settings": {"name": "x"}}),
            json!(["body", "settings", "webhook_url"]),
            "missing",
        ),
        (
            json!({"settings": {"name": "x", "webhook_url": "mailto:a@b"}}),
            json!(["body", "settings", "webhook_url"]),
            "url_scheme",
        ),
        (
            json!({"settings": {"name": "x", "webhook_url": "https://h/", "colour": 1}}),
            json!(["body", "settings", "colour"]),
            "extra_forbidden",
        ),
        (
            json!({"settings": {"auth_type": "oauth2", "name": "x", "webhook_url": "https://h/"}}),
            json!(["body", "settings", "auth_type"]),
            "literal_error",
        ),
        (json!({}), json!(["body", "settings"]), "missing"),
    ];
    for (body, loc, kind) in cases {
        let (status, answer) = call(&sim, "POST", "/v1/workspace/webhooks", Some(body.clone())).await;
        assert_eq!(status, 422, "{body} → {answer}");
        assert_eq!(
            (&answer["detail"][0]["loc"], answer["detail"][0]["type"].as_str()),
            (&loc, Some(kind)),
            "{body}"
        );
    }
    let (_, listed) = call(&sim, "GET", "/v1/workspace/webhooks", None).await;
    assert_eq!(listed, json!({"webhooks": []}), "nothing refused was kept");

    let (_, created) = call(
        &sim,
        "POST",
        "/v1/workspace/webhooks",
        Some(settings("calls", "http://127.0.0.1:9/")),
    )
    .await;
    let id = created["webhook_id"].as_str().unwrap();
    let (status, answer) = call(
        &sim,
        "PATCH",
        &format!("/v1/workspace/webhooks/{id}"),
        Some(json!({"is_disabled": true})),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["detail"][0]["loc"], json!(["body", "name"]));
    let bad_event = json!({"is_disabled": false, "name": "x", "events": ["transcript"]});
    let (status, answer) = call(
        &sim,
        "PATCH",
        &format!("/v1/workspace/webhooks/{id}"),
        Some(bad_event),
    )
    .await;
    assert_eq!(
        (status, &answer["detail"][0]["loc"]),
        (422, &json!(["body", "events", 0])),
        "{answer}"
    );
    assert!(
        !sim.agent.workspace().webhooks().get(id).unwrap().is_disabled,
        "a refused patch changes nothing"
    );

    for (method, body) in [
        ("PATCH", Some(json!({"is_disabled": true, "name": "x"}))),
        ("DELETE", None),
    ] {
        let (status, answer) = call(&sim, method, "/v1/workspace/webhooks/0123456789abcdef", body).await;
        assert_eq!(status, 404, "{method}");
        assert_eq!(answer["detail"]["status"], "webhook_not_found", "{answer}");
    }

    let response = reqwest::Client::new()
        .get(sim.http("/v1/workspace/webhooks"))
        .header("xi-api-key", format!("{KEY}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}
