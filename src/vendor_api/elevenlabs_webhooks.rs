//! ElevenLabs' workspace webhooks and its conversation API: what switchboard needs to receive
//! post-call reports (a webhook created once, its HMAC secret kept) and to fetch a report that
//! never came.
//!
//! Paths and shapes (the official Python SDK, `webhooks/raw_client.py`,
//! `types/workspace_create_webhook_response_model.py`,
//! `types/workspace_webhook_response_model.py`, `types/get_conversation_response_model.py`):
//! - `POST /v1/workspace/webhooks {"settings": {"auth_type": "hmac", "name", "webhook_url"}}`
//!   → `{webhook_id, webhook_secret}` (the secret is only ever shown here);
//! - `GET /v1/workspace/webhooks` → `{webhooks: [{webhook_id, name, webhook_url, is_disabled,
//!   is_auto_disabled, auth_type, created_at_unix, …}]}` (no paging);
//! - `DELETE /v1/workspace/webhooks/{id}` → `{status: "ok"}`;
//! - `GET /v1/convai/conversations/{id}` → `GetConversationResponseModel`, the same body as the
//!   post-call webhook's `data`.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::Secret;
use crate::wire::elevenlabs::webhook::ConversationReport;

use super::elevenlabs::{ElevenLabsApi, ElevenLabsError, segment};

/// A webhook just created: its id and the secret its deliveries are signed with.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedWebhook {
    pub webhook_id: String,
    /// `None` only when ElevenLabs sends none (never for `hmac`).
    #[serde(default)]
    pub webhook_secret: Option<Secret>,
}

/// One workspace webhook of the list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WorkspaceWebhook {
    pub webhook_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub webhook_url: String,
    #[serde(default)]
    pub is_disabled: bool,
    #[serde(default)]
    pub is_auto_disabled: bool,
}

#[derive(Deserialize)]
struct WebhookList {
    webhooks: Vec<WorkspaceWebhook>,
}

/// A conversation as `GET /v1/convai/conversations/{id}` answers it: the report the post-call
/// webhook carries (status, metadata, analysis), and the transcript's turns as sent. Fields
/// this client does not know are ignored.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Conversation {
    #[serde(flatten)]
    pub report: ConversationReport,
    #[serde(default)]
    pub transcript: Vec<Value>,
}

impl Conversation {
    /// ElevenLabs has finished with the conversation: `done` or `failed`. Before that
    /// (`initiated`, `in-progress`, `processing`) its analysis is not final.
    pub fn is_final(&self) -> bool {
        matches!(self.report.status.as_deref(), Some("done" | "failed"))
    }
}

impl ElevenLabsApi {
    /// Creates an HMAC-signed workspace webhook named `name` that delivers to `url`.
    pub async fn create_workspace_webhook(
        &self,
        name: &str,
        url: &str,
    ) -> Result<CreatedWebhook, ElevenLabsError> {
        self.send(
            "create the workspace webhook",
            Method::POST,
            "/v1/workspace/webhooks",
            &[],
            Some(&json!({"settings": {"auth_type": "hmac", "name": name, "webhook_url": url}})),
        )
        .await
    }

    /// Every webhook of the workspace.
    pub async fn list_workspace_webhooks(&self) -> Result<Vec<WorkspaceWebhook>, ElevenLabsError> {
        let list: WebhookList = self
            .send(
                "list the workspace webhooks",
                Method::GET,
                "/v1/workspace/webhooks",
                &[],
                None,
            )
            .await?;
        Ok(list.webhooks)
    }

    pub async fn delete_workspace_webhook(&self, webhook_id: &str) -> Result<(), ElevenLabsError> {
        self.send_for_nothing(
            &format!("delete workspace webhook {webhook_id}"),
            Method::DELETE,
            &format!("/v1/workspace/webhooks/{}", segment(webhook_id)),
            &[],
        )
        .await
    }

    /// The conversation, with its analysis once ElevenLabs has made it.
    pub async fn get_conversation(&self, conversation_id: &str) -> Result<Conversation, ElevenLabsError> {
        self.send(
            &format!("read conversation {conversation_id}"),
            Method::GET,
            &format!("/v1/convai/conversations/{}", segment(conversation_id)),
            &[],
            None,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_webhook_keeps_its_secret_out_of_debug() {
        let created: CreatedWebhook =
            serde_json::from_str(r#"{"webhook_id":"wh_1","webhook_secret":"wsec_very_secret"}"#).unwrap();
        assert_eq!(created.webhook_id, "wh_1");
        assert_eq!(
            created.webhook_secret.as_ref().map(Secret::expose),
            Some("wsec_very_secret")
        );
        let shown = format!("{created:?}");
        assert!(!shown.contains("wsec_very_secret"), "{shown}");
        let without: CreatedWebhook = serde_json::from_str(r#"{"webhook_id":"wh_2"}"#).unwrap();
        assert_eq!(without.webhook_secret, None);
    }

    #[test]
    fn the_list_reads_the_sdks_shape_and_ignores_the_rest() {
        let list: WebhookList = serde_json::from_value(json!({"webhooks": [{
            "name": "switchboard post-call", "webhook_id": "wh_1",
            "webhook_url": "https://sb.example/webhooks/elevenlabs", "is_disabled": false,
            "is_auto_disabled": true, "created_at_unix": 1790000000, "auth_type": "hmac",
            "usage": [{"usage_type": "ConvAI Agent Settings"}], "most_recent_failure_error_code": 500
        }]}))
        .unwrap();
        assert_eq!(list.webhooks.len(), 1);
        assert_eq!(
            list.webhooks[0].webhook_url,
            "https://sb.example/webhooks/elevenlabs"
        );
        assert!(list.webhooks[0].is_auto_disabled);
    }

    #[test]
    fn a_conversation_reads_its_report_and_transcript_and_says_when_it_is_final() {
        let body = json!({
            "agent_id": "ag_1", "conversation_id": "conv_1", "status": "done",
            "has_audio": false, "has_user_audio": false, "has_response_audio": false,
            "transcript": [{"role": "agent", "message": "Hello", "time_in_call_secs": 0}],
            "metadata": {"start_time_unix_secs": 1789999900, "call_duration_secs": 42, "cost": 7,
                         "cost_fiat": 0.01, "phone_call": null},
            "analysis": {"call_successful": "success", "transcript_summary": "Booked.",
                         "evaluation_criteria_results": {}, "data_collection_results": {}},
            "something_new": {"x": 1}
        });
        let conversation: Conversation = serde_json::from_value(body).unwrap();
        assert!(conversation.is_final());
        assert_eq!(conversation.report.conversation_id, "conv_1");
        assert_eq!(conversation.transcript.len(), 1);
        assert_eq!(
            conversation.report.metadata.as_ref().unwrap().call_duration_secs,
            Some(42)
        );
        for status in ["initiated", "in-progress", "processing"] {
            let later: Conversation = serde_json::from_value(json!({
                "agent_id": "ag_1", "conversation_id": "conv_1", "status": status, "transcript": []
            }))
            .unwrap();
            assert!(!later.is_final(), "{status}");
        }
    }
}
