//! An agent's ElevenLabs agent, as steps of a run: created (tagged with the run's marker),
//! made switchboard's (an adopted agent, or one whose profile changed: PATCHed with the whole
//! configuration and tool list, the undo PATCHing back what it held), deleted.
//!
//! [`ElevenLabsAgents`] holds what these steps need: the REST client, the store (for the
//! account's tools) and the operator's settings; and, when post-call reports are received,
//! the workspace webhook's secret, so that every agent created or changed names the workspace
//! webhook ensured in the same run (`elevenlabs_webhook`).

use serde_json::{Value, json};

use crate::store::{AccountId, Store};
use crate::vendor_api::elevenlabs::{AgentRecord, ElevenLabsApi, ElevenLabsError};

use super::agent_config::{self, AgentProfile, AgentSettings};
use super::elevenlabs_tools;
use super::elevenlabs_undo::{DELETE_AGENT, DELETE_AGENTS_TAGGED, RESTORE_AGENT};
use super::elevenlabs_webhook;
use super::post_call_secret::PostCallSecret;
use super::{ProvisionError, Run, Step, Undo};

/// The ElevenLabs side of provisioning an agent.
#[derive(Debug, Clone)]
pub struct ElevenLabsAgents {
    pub api: ElevenLabsApi,
    pub store: Store,
    pub settings: AgentSettings,
    /// The workspace webhook's secret for `{public_url}/webhooks/elevenlabs`; `None` leaves
    /// the agents' post-call webhooks alone.
    pub post_call: Option<PostCallSecret>,
}

impl ElevenLabsAgents {
    /// The account's tools, ensured within `run` (see `elevenlabs_tools`).
    pub async fn ensure_tools(
        &self,
        run: &mut Run,
        account: &AccountId,
    ) -> Result<Vec<String>, ProvisionError> {
        elevenlabs_tools::ensure_tools(&self.api, &self.store, run, account).await
    }

    /// `body` reporting to the workspace webhook, ensured within `run`; unchanged when
    /// post-call reports are not received.
    async fn reporting_after_calls(&self, run: &mut Run, body: Value) -> Result<Value, ProvisionError> {
        match &self.post_call {
            Some(secret) => {
                let webhook_id =
                    elevenlabs_webhook::ensure_webhook(&self.api, secret, &self.store, run).await?;
                Ok(agent_config::with_post_call_webhook(body, &webhook_id))
            }
            None => Ok(body),
        }
    }

    /// Creates the ElevenLabs agent of `profile` with the tools `tool_ids`; its id. Undone by
    /// deleting it; a run interrupted before the answer was recorded deletes the agents that
    /// carry its marker.
    pub async fn create(
        &self,
        run: &mut Run,
        account: &AccountId,
        profile: &AgentProfile,
        tool_ids: &[String],
    ) -> Result<String, ProvisionError> {
        let marker = run.marker();
        let name = agent_config::display_name(profile);
        let body = agent_config::agent_body(
            profile,
            self.settings,
            tool_ids,
            &agent_config::tags(account.as_str(), &marker),
        );
        let body = self.reporting_after_calls(run, body).await?;
        run.step(
            Step::new(format!("create the ElevenLabs agent {name:?}")).if_interrupted(Undo::new(
                DELETE_AGENTS_TAGGED,
                json!({"marker": marker, "name": name}),
            )),
            self.api.create_agent(&body),
            |agent_id| Some(delete_agent(agent_id)),
        )
        .await
    }

    /// Deletes the ElevenLabs agent; one already gone counts as deleted.
    pub async fn delete(&self, agent_id: &str) -> Result<(), ElevenLabsError> {
        match self.api.delete_agent(agent_id).await {
            Err(error) if error.is_not_found() => Ok(()),
            done => done,
        }
    }

    /// The ElevenLabs agent as it is, read outside any run (nothing changes); `None` when
    /// ElevenLabs does not know it.
    pub async fn find(&self, agent_id: &str) -> Result<Option<AgentRecord>, ElevenLabsError> {
        match self.api.get_agent(agent_id).await {
            Ok(agent) => Ok(Some(agent)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// PATCHes `current` (read just before) to switchboard's configuration of `profile`, with
    /// the whole tool list. Undone, or if interrupted, by PATCHing back what it held where the
    /// PATCH wrote.
    pub async fn reconfigure(
        &self,
        run: &mut Run,
        account: &AccountId,
        current: &AgentRecord,
        profile: &AgentProfile,
        tool_ids: &[String],
    ) -> Result<(), ProvisionError> {
        let body = agent_config::agent_body(
            profile,
            self.settings,
            tool_ids,
            &agent_config::tags(account.as_str(), &run.marker()),
        );
        let body = self.reporting_after_calls(run, body).await?;
        let restore = restore_agent(
            &current.agent_id,
            agent_config::restoring_patch(&as_patch(current), &body),
        );
        let agent_id = current.agent_id.clone();
        run.step(
            Step::new(format!(
                "change ElevenLabs agent {agent_id} to switchboard's configuration"
            ))
            .if_interrupted(restore.clone()),
            self.api.patch_agent(&agent_id, &body),
            move |_| Some(restore),
        )
        .await
        .map(drop)
    }
}

/// An agent as the body of a PATCH: the parts switchboard writes.
fn as_patch(agent: &AgentRecord) -> Value {
    json!({
        "name": agent.name,
        "tags": agent.tags,
        "conversation_config": agent.conversation_config,
        "platform_settings": agent.platform_settings,
    })
}

/// The undo that deletes an agent.
pub fn delete_agent(agent_id: &str) -> Undo {
    Undo::new(DELETE_AGENT, json!({ "agent_id": agent_id }))
}

/// The undo that PATCHes `patch` onto the agent.
pub fn restore_agent(agent_id: &str, patch: Value) -> Undo {
    Undo::new(RESTORE_AGENT, json!({ "agent_id": agent_id, "patch": patch }))
}
