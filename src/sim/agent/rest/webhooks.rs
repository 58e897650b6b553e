//! Workspace webhooks (`/v1/workspace/webhooks`): the HMAC-signed endpoints ElevenLabs posts
//! post-call events to. Shapes from the Python SDK's `WebhookHmacSettings`,
//! `WorkspaceCreateWebhookResponseModel`, `WorkspaceWebhookResponseModel` and
//! `webhooks.update(webhook_id, is_disabled, name, retry_enabled?, request_headers?, events?)`.
//! The secret is generated here and shown only in the answer to its creation.
//!
//! Only `auth_type: "hmac"` is kept: OAuth2 and mTLS webhooks are refused with pydantic's
//! literal error. `webhook_url` may be `http` as well as `https`, so a test can receive on
//! loopback.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Deserialize;
use serde_json::{Value, json};

use super::ids;
use super::validation::{FieldError, read};
use super::workspace::Refusal;

/// The events a workspace webhook itself subscribes to (`WorkspaceWebhookEventType`); the
/// post-call events are chosen per agent instead.
const WORKSPACE_EVENTS: [&str; 4] = [
    "voice_library_removal_notice",
    "speech_to_text",
    "agent_qa",
    "flows",
];

/// A workspace webhook as the stand-in keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookRecord {
    pub webhook_id: String,
    pub name: String,
    pub webhook_url: String,
    pub request_headers: BTreeMap<String, Option<String>>,
    pub secret: String,
    pub is_disabled: bool,
    pub retry_enabled: bool,
    pub events: Vec<String>,
    pub created_at_unix: i64,
    pub most_recent_failure_error_code: Option<i64>,
    pub most_recent_failure_timestamp: Option<i64>,
    /// Deliveries the receiver answered with a 200: the stand-in's own count, which
    /// ElevenLabs does not show, so a test can wait for a delivery instead of sleeping.
    pub delivered: u64,
    order: u64,
}

/// `POST /v1/workspace/webhooks`'s body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateWebhook {
    settings: HmacSettings,
}

/// `WebhookHmacSettings`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HmacSettings {
    #[serde(default = "hmac")]
    auth_type: String,
    name: String,
    webhook_url: String,
    #[serde(default)]
    request_headers: Option<BTreeMap<String, Option<String>>>,
}

fn hmac() -> String {
    "hmac".to_owned()
}

/// `PATCH /v1/workspace/webhooks/{id}`'s body: `is_disabled` and `name` are required.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateWebhook {
    is_disabled: bool,
    name: String,
    #[serde(default)]
    retry_enabled: Option<bool>,
    #[serde(default)]
    request_headers: Option<BTreeMap<String, Option<String>>>,
    #[serde(default)]
    events: Option<Vec<String>>,
}

/// The workspace's webhooks, shared by the REST routes and the post-call delivery.
#[derive(Debug, Clone, Default)]
pub struct WebhookRegistry {
    state: Arc<Mutex<RegistryState>>,
}

#[derive(Debug, Default)]
struct RegistryState {
    webhooks: HashMap<String, WebhookRecord>,
    next_order: u64,
}

impl WebhookRegistry {
    fn lock(&self) -> MutexGuard<'_, RegistryState> {
        // Records are replaced whole, so a poisoned lock still guards consistent data.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Creates a webhook; returns it with its new secret.
    pub fn create(&self, body: &Value, now_unix: i64) -> Result<WebhookRecord, Refusal> {
        let create: CreateWebhook = read(body, &[json!("body")]).map_err(Refusal::Invalid)?;
        let settings = create.settings;
        let at = |field: &str| vec![json!("body"), json!("settings"), json!(field)];
        if settings.auth_type != "hmac" {
            return Err(Refusal::Invalid(FieldError::new(
                "literal_error",
                at("auth_type"),
                "Input should be 'hmac'",
                json!(settings.auth_type),
            )));
        }
        check_url(&settings.webhook_url, at("webhook_url"))?;
        let mut state = self.lock();
        state.next_order += 1;
        let record = WebhookRecord {
            webhook_id: ids::webhook_id(),
            name: settings.name,
            webhook_url: settings.webhook_url,
            request_headers: settings.request_headers.unwrap_or_default(),
            secret: ids::webhook_secret(),
            is_disabled: false,
            retry_enabled: false,
            events: Vec::new(),
            created_at_unix: now_unix,
            most_recent_failure_error_code: None,
            most_recent_failure_timestamp: None,
            delivered: 0,
            order: state.next_order,
        };
        state.webhooks.insert(record.webhook_id.clone(), record.clone());
        Ok(record)
    }

    pub fn get(&self, webhook_id: &str) -> Option<WebhookRecord> {
        self.lock().webhooks.get(webhook_id).cloned()
    }

    /// Every webhook, oldest first.
    pub fn list(&self) -> Vec<WebhookRecord> {
        let mut webhooks: Vec<WebhookRecord> = self.lock().webhooks.values().cloned().collect();
        webhooks.sort_by_key(|webhook| webhook.order);
        webhooks
    }

    pub fn update(&self, webhook_id: &str, body: &Value) -> Result<(), Refusal> {
        let update: UpdateWebhook = read(body, &[json!("body")]).map_err(Refusal::Invalid)?;
        if let Some(events) = &update.events
            && let Some((index, event)) = events
                .iter()
                .enumerate()
                .find(|(_, event)| !WORKSPACE_EVENTS.contains(&event.as_str()))
        {
            return Err(Refusal::Invalid(FieldError::new(
                "enum",
                vec![json!("body"), json!("events"), json!(index)],
                "Input should be 'voice_library_removal_notice', 'speech_to_text', 'agent_qa' or 'flows'",
                json!(event),
            )));
        }
        let mut state = self.lock();
        let record = state
            .webhooks
            .get_mut(webhook_id)
            .ok_or_else(|| not_found(webhook_id))?;
        record.is_disabled = update.is_disabled;
        record.name = update.name;
        if let Some(retry_enabled) = update.retry_enabled {
            record.retry_enabled = retry_enabled;
        }
        if let Some(headers) = update.request_headers {
            record.request_headers = headers;
        }
        if let Some(events) = update.events {
            record.events = events;
        }
        Ok(())
    }

    pub fn delete(&self, webhook_id: &str) -> Result<(), Refusal> {
        self.lock()
            .webhooks
            .remove(webhook_id)
            .map(drop)
            .ok_or_else(|| not_found(webhook_id))
    }

    /// Counts a delivery the receiver answered with a 200.
    pub fn record_delivery(&self, webhook_id: &str) {
        if let Some(record) = self.lock().webhooks.get_mut(webhook_id) {
            record.delivered += 1;
        }
    }

    /// Notes a failed delivery: `status` is the answer's HTTP status, 0 when none came.
    pub fn record_failure(&self, webhook_id: &str, status: u16, now_unix: i64) {
        if let Some(record) = self.lock().webhooks.get_mut(webhook_id) {
            record.most_recent_failure_error_code = Some(i64::from(status));
            record.most_recent_failure_timestamp = Some(now_unix);
        }
    }
}

fn not_found(webhook_id: &str) -> Refusal {
    Refusal::NotFound {
        kind: "webhook",
        id: webhook_id.to_owned(),
    }
}

/// pydantic's errors for a URL that is not an absolute `http(s)` one.
fn check_url(url: &str, loc: Vec<Value>) -> Result<(), Refusal> {
    match reqwest::Url::parse(url) {
        Err(error) => Err(Refusal::Invalid(FieldError::new(
            "url_parsing",
            loc,
            format!("Input should be a valid URL, {error}"),
            json!(url),
        ))),
        Ok(parsed) if !matches!(parsed.scheme(), "http" | "https") => Err(Refusal::Invalid(FieldError::new(
            "url_scheme",
            loc,
            "URL scheme should be 'http' or 'https'",
            json!(url),
        ))),
        Ok(_) => Ok(()),
    }
}

/// `WorkspaceWebhookResponseModel`: everything but the secret. `usage` is listed only when
/// asked for (`include_usages`), as the API does.
pub fn render(record: &WebhookRecord, usage: Option<Vec<&str>>) -> Value {
    let mut body = json!({
        "name": record.name,
        "webhook_id": record.webhook_id,
        "webhook_url": record.webhook_url,
        "is_disabled": record.is_disabled,
        "is_auto_disabled": false,
        "created_at_unix": record.created_at_unix,
        "auth_type": "hmac",
        "most_recent_failure_error_code": record.most_recent_failure_error_code,
        "most_recent_failure_timestamp": record.most_recent_failure_timestamp,
    });
    if let Some(usage) = usage {
        body["usage"] = usage.iter().map(|kind| json!({"usage_type": kind})).collect();
        body["events"] = json!(record.events);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created(registry: &WebhookRegistry) -> WebhookRecord {
        let body = json!({"settings": {"auth_type": "hmac", "name": "calls", "webhook_url": "https://example.com/hook"}});
        registry.create(&body, 100).expect("valid")
    }

    #[test]
    fn a_webhook_is_made_with_a_secret_and_updated_in_place() {
        let registry = WebhookRegistry::default();
        let record = created(&registry);
        assert!(record.secret.starts_with("wsec_"), "{}", record.secret);
        assert!(!record.is_disabled && !record.retry_enabled);
        let patch = json!({"is_disabled": true, "name": "renamed", "retry_enabled": true});
        registry.update(&record.webhook_id, &patch).expect("valid");
        let stored = registry.get(&record.webhook_id).expect("kept");
        assert!(stored.is_disabled && stored.retry_enabled);
        assert_eq!(stored.name, "renamed");
        assert_eq!(stored.secret, record.secret);
        assert!(render(&stored, None).get("secret").is_none());
        assert!(render(&stored, None).get("webhook_secret").is_none());
    }

    #[test]
    fn bad_settings_are_refused_where_they_are_wrong() {
        let registry = WebhookRegistry::default();
        let cases = [
            (
                json!({"settings": {"name": "x"}}),
                "missing",
                json!(["body", "settings", "webhook_url"]),
            ),
            (
                json!({"settings": {"name": "x", "webhook_url": "ftp://h/"}}),
                "url_scheme",
                json!(["body", "settings", "webhook_url"]),
            ),
            (
                json!({"settings": {"name": "x", "webhook_url": "nope"}}),
                "url_parsing",
                json!(["body", "settings", "webhook_url"]),
            ),
            (
                json!({"settings": {"auth_type": "mtls", "name": "x", "webhook_url": "https://h/"}}),
                "literal_error",
                json!(["body", "settings", "auth_type"]),
            ),
        ];
        for (body, kind, loc) in cases {
            let Err(Refusal::Invalid(error)) = registry.create(&body, 0) else {
                panic!("{body} accepted");
            };
            assert_eq!((error.kind.as_str(), json!(error.loc)), (kind, loc), "{body}");
        }
        assert!(registry.list().is_empty());
        let record = created(&registry);
        let Err(Refusal::Invalid(error)) = registry.update(&record.webhook_id, &json!({"name": "x"})) else {
            panic!("a patch without is_disabled was accepted");
        };
        assert_eq!(error.loc, vec![json!("body"), json!("is_disabled")]);
        let unknown = registry.update("nope", &json!({"is_disabled": false, "name": "x"}));
        assert!(matches!(unknown, Err(Refusal::NotFound { kind: "webhook", .. })));
    }
}
