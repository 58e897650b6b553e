//! The undos of the ElevenLabs steps, by kind. Each is idempotent: what is already gone (a
//! 404) counts as done.
//!
//! | kind | data | what it does |
//! |---|---|---|
//! | `elevenlabs.delete_agent` | `{agent_id}` | deletes the agent |
//! | `elevenlabs.delete_agents_tagged` | `{marker, name}` | deletes every agent named `name` that carries the tag `marker` (a creation whose answer was never recorded) |
//! | `elevenlabs.restore_agent` | `{agent_id, patch}` | PATCHes back what the agent held |
//! | `elevenlabs.delete_tool` | `{account_id, tool_name, tool_id}` | deletes the tool, forgets its id if still kept |
//! | `elevenlabs.delete_webhook` | `{webhook_url, webhook_id}` | deletes the workspace webhook, forgets it if still kept |
//! | `elevenlabs.delete_webhooks_named` | `{name, webhook_url}` | deletes every workspace webhook named `name` delivering to `webhook_url` (a creation whose answer was never recorded) |

use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::Value;

use crate::store::{AccountId, Store};
use crate::vendor_api::elevenlabs::{ElevenLabsApi, ElevenLabsError};

use super::{UndoAction, Undoers};

pub const DELETE_AGENT: &str = "elevenlabs.delete_agent";
pub const DELETE_AGENTS_TAGGED: &str = "elevenlabs.delete_agents_tagged";
pub const RESTORE_AGENT: &str = "elevenlabs.restore_agent";
pub const DELETE_TOOL: &str = "elevenlabs.delete_tool";
pub const DELETE_WEBHOOK: &str = "elevenlabs.delete_webhook";
pub const DELETE_WEBHOOKS_NAMED: &str = "elevenlabs.delete_webhooks_named";

/// `undoers` with the ElevenLabs undos added.
pub fn with_elevenlabs_undos(undoers: Undoers, api: ElevenLabsApi, store: Store) -> Undoers {
    let undo = |kind: Kind| -> Arc<dyn UndoAction> {
        Arc::new(ElevenLabsUndo {
            kind,
            api: api.clone(),
            store: store.clone(),
        })
    };
    undoers
        .with(DELETE_AGENT, undo(Kind::DeleteAgent))
        .with(DELETE_AGENTS_TAGGED, undo(Kind::DeleteAgentsTagged))
        .with(RESTORE_AGENT, undo(Kind::RestoreAgent))
        .with(DELETE_TOOL, undo(Kind::DeleteTool))
        .with(DELETE_WEBHOOK, undo(Kind::DeleteWebhook))
        .with(DELETE_WEBHOOKS_NAMED, undo(Kind::DeleteWebhooksNamed))
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    DeleteAgent,
    DeleteAgentsTagged,
    RestoreAgent,
    DeleteTool,
    DeleteWebhook,
    DeleteWebhooksNamed,
}

struct ElevenLabsUndo {
    kind: Kind,
    api: ElevenLabsApi,
    store: Store,
}

impl UndoAction for ElevenLabsUndo {
    fn undo<'a>(&'a self, data: &'a Value) -> BoxFuture<'a, Result<(), String>> {
        async move {
            match self.kind {
                Kind::DeleteAgent => gone_is_done(self.api.delete_agent(text(data, "agent_id")?).await),
                Kind::DeleteAgentsTagged => {
                    self.delete_tagged(text(data, "marker")?, text(data, "name")?)
                        .await
                }
                Kind::RestoreAgent => {
                    let patch = data.get("patch").ok_or("the undo has no patch")?;
                    gone_is_done(
                        self.api
                            .patch_agent(text(data, "agent_id")?, patch)
                            .await
                            .map(drop),
                    )
                }
                Kind::DeleteTool => self.delete_tool(data).await,
                Kind::DeleteWebhook => self.delete_webhook(data).await,
                Kind::DeleteWebhooksNamed => {
                    self.delete_webhooks_named(text(data, "name")?, text(data, "webhook_url")?)
                        .await
                }
            }
        }
        .boxed()
    }
}

impl ElevenLabsUndo {
    async fn delete_tagged(&self, marker: &str, name: &str) -> Result<(), String> {
        let agents = self
            .api
            .list_agents(Some(name))
            .await
            .map_err(|e| e.to_string())?;
        for agent in agents.iter().filter(|a| a.tags.iter().any(|tag| tag == marker)) {
            gone_is_done(self.api.delete_agent(&agent.agent_id).await)?;
        }
        Ok(())
    }

    async fn delete_tool(&self, data: &Value) -> Result<(), String> {
        let tool_id = text(data, "tool_id")?;
        gone_is_done(self.api.delete_tool(tool_id).await)?;
        self.store
            .forget_elevenlabs_tool(
                &AccountId::from(text(data, "account_id")?),
                text(data, "tool_name")?,
                tool_id,
            )
            .await
            .map(drop)
            .map_err(|e| format!("forget the tool's id: {e}"))
    }
}

impl ElevenLabsUndo {
    async fn delete_webhook(&self, data: &Value) -> Result<(), String> {
        let webhook_id = text(data, "webhook_id")?;
        gone_is_done(self.api.delete_workspace_webhook(webhook_id).await)?;
        self.store
            .forget_elevenlabs_webhook(text(data, "webhook_url")?, webhook_id)
            .await
            .map(drop)
            .map_err(|e| format!("forget the workspace webhook: {e}"))
    }

    async fn delete_webhooks_named(&self, name: &str, webhook_url: &str) -> Result<(), String> {
        let webhooks = self
            .api
            .list_workspace_webhooks()
            .await
            .map_err(|e| e.to_string())?;
        for webhook in webhooks
            .iter()
            .filter(|w| w.name == name && w.webhook_url == webhook_url)
        {
            gone_is_done(self.api.delete_workspace_webhook(&webhook.webhook_id).await)?;
        }
        Ok(())
    }
}

fn text<'a>(data: &'a Value, key: &str) -> Result<&'a str, String> {
    data[key]
        .as_str()
        .ok_or_else(|| format!("the undo's data has no {key}"))
}

/// A refusal as the undo's error; a 404 (already gone) is success.
fn gone_is_done(result: Result<(), ElevenLabsError>) -> Result<(), String> {
    match result {
        Err(error) if !error.is_not_found() => Err(error.to_string()),
        _ => Ok(()),
    }
}
