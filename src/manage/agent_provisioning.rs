//! An agent's ElevenLabs agent kept in step with it, each change one provisioning run:
//!
//! - create: the account's tools ensured, the ElevenLabs agent created (tagged with the run's
//!   marker), then the row inserted within the plan; a refused row rolls the run back, which
//!   deletes what it created;
//! - adopt (a create given `elevenlabs_agent_id`): the agent read first (unknown: a 4xx naming
//!   the field), then PATCHed to switchboard's configuration (undo: PATCHed back; never
//!   deleted by a rollback), then the row;
//! - update: when a field the ElevenLabs agent carries changes (name, greeting, business
//!   context, voice, language, or which ElevenLabs agent it is), the agent PATCHed with the new
//!   configuration and the whole tool list, then the row;
//! - delete: the row soft-deleted, then the ElevenLabs agent deleted; a failure there is
//!   logged and the deletion left to the run's recovery, which retries it.
//!
//! A run that fails answers `ManageError::ProvisioningFailed` with what failed and whether
//! everything was undone.

use crate::provision::agent_config::AgentProfile;
use crate::provision::elevenlabs_agents::{self, ElevenLabsAgents};
use crate::provision::{ProvisionError, Provisioner, Run, Step};
use crate::store::{Agent, AgentChanges, AgentId, NewAgent, Store};
use crate::vendor_api::elevenlabs::AgentRecord;

use super::agent_fields::{self as fields, AgentAllowance};
use super::{ManageError, ManageResult, Scope};

/// What provisions agents at ElevenLabs: the runs and the ElevenLabs steps.
#[derive(Clone)]
pub struct AgentProvisioning {
    pub provisioner: Provisioner,
    pub elevenlabs: ElevenLabsAgents,
}

impl std::fmt::Debug for AgentProvisioning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentProvisioning").finish_non_exhaustive()
    }
}

/// What of `agent` its ElevenLabs agent carries, for the business `business_name`.
pub fn profile_of(business_name: &str, agent: &Agent) -> AgentProfile {
    AgentProfile {
        business_name: business_name.to_owned(),
        agent_name: agent.name.clone(),
        greeting: agent.first_message.clone(),
        business_context: agent.business_context.clone(),
        voice_id: agent.voice_id.clone(),
        language: agent.language.clone(),
    }
}

fn profile_of_new(business_name: &str, new: &NewAgent) -> AgentProfile {
    AgentProfile {
        business_name: business_name.to_owned(),
        agent_name: new.name.clone(),
        greeting: new.first_message.clone(),
        business_context: new.business_context.clone(),
        voice_id: new.voice_id.clone(),
        language: new.language.clone(),
    }
}

/// A run's failure as the use case's.
fn failed(error: ProvisionError) -> ManageError {
    ManageError::ProvisioningFailed {
        message: error.to_string(),
    }
}

impl AgentProvisioning {
    /// The ElevenLabs agent `id` as it is; unknown to ElevenLabs is a refusal naming `field`,
    /// ending with `what_to_do`.
    async fn known_agent(&self, field: &str, id: &str, what_to_do: &str) -> ManageResult<AgentRecord> {
        match self.elevenlabs.find(id).await {
            Ok(Some(agent)) => Ok(agent),
            Ok(None) => Err(ManageError::invalid(
                field,
                format!("ElevenLabs does not know agent {id:?} in this workspace; {what_to_do}"),
            )),
            Err(error) => Err(ManageError::ProvisioningFailed {
                message: format!("{error}. Nothing was changed."),
            }),
        }
    }

    /// Creates the agent `new` (its `elevenlabs_agent_id` is set here): a new ElevenLabs agent,
    /// or `adopt`'s, made switchboard's.
    pub async fn create(
        &self,
        store: &Store,
        scope: &Scope,
        mut new: NewAgent,
        adopt: Option<String>,
        allowance: &AgentAllowance,
    ) -> ManageResult<Agent> {
        let account = store.account(&scope.account_id).await?;
        let profile = profile_of_new(&account.name, &new);
        let adopted = match adopt {
            Some(id) => Some(
                self.known_agent(
                    "elevenlabs_agent_id",
                    &id,
                    "give the id of an existing agent, or leave the field out to have one created",
                )
                .await?,
            ),
            None => None,
        };
        let purpose = match &adopted {
            Some(agent) => format!(
                "adopt ElevenLabs agent {} as agent {:?}",
                agent.agent_id, new.name
            ),
            None => format!("create agent {:?}", new.name),
        };
        let mut run = self
            .provisioner
            .begin(&scope.account_id, &purpose)
            .await
            .map_err(failed)?;
        let tool_ids = self
            .elevenlabs
            .ensure_tools(&mut run, &scope.account_id)
            .await
            .map_err(failed)?;
        new.elevenlabs_agent_id = match &adopted {
            Some(current) => {
                self.elevenlabs
                    .reconfigure(&mut run, &scope.account_id, current, &profile, &tool_ids)
                    .await
                    .map_err(failed)?;
                current.agent_id.clone()
            }
            None => self
                .elevenlabs
                .create(&mut run, &scope.account_id, &profile, &tool_ids)
                .await
                .map_err(failed)?,
        };
        let inserted = store
            .create_agent_within(&scope.account_id, new, allowance.max_agents)
            .await
            .map_err(ManageError::from)
            .and_then(|agent| agent.ok_or_else(|| fields::agent_limit_reached(allowance)));
        match inserted {
            Ok(agent) => {
                run.finish().await.map_err(failed)?;
                Ok(agent)
            }
            Err(refusal) => Err(refused_after(run, "insert the agent", refusal).await),
        }
    }

    /// Makes `changes` to the agent; its ElevenLabs agent first when they touch what it carries.
    pub async fn update(
        &self,
        store: &Store,
        scope: &Scope,
        id: &AgentId,
        changes: AgentChanges,
    ) -> ManageResult<Agent> {
        let before = store.agent(&scope.account_id, id).await?;
        let after = changes.clone().apply_to(before.clone());
        let account = store.account(&scope.account_id).await?;
        let profile = profile_of(&account.name, &after);
        let moved = after.elevenlabs_agent_id != before.elevenlabs_agent_id;
        if !moved && profile == profile_of(&account.name, &before) {
            return Ok(store.update_agent(&scope.account_id, id, changes).await?);
        }
        let current = self
            .known_agent(
                "elevenlabs_agent_id",
                &after.elevenlabs_agent_id,
                "give the id of an existing agent in elevenlabs_agent_id",
            )
            .await?;
        let mut run = self
            .provisioner
            .begin(&scope.account_id, &format!("change agent {:?}", before.name))
            .await
            .map_err(failed)?;
        let tool_ids = self
            .elevenlabs
            .ensure_tools(&mut run, &scope.account_id)
            .await
            .map_err(failed)?;
        self.elevenlabs
            .reconfigure(&mut run, &scope.account_id, &current, &profile, &tool_ids)
            .await
            .map_err(failed)?;
        match store.update_agent(&scope.account_id, id, changes).await {
            Ok(agent) => {
                run.finish().await.map_err(failed)?;
                Ok(agent)
            }
            Err(error) => Err(refused_after(run, "change the agent", ManageError::from(error)).await),
        }
    }

    /// Deletes the agent, then its ElevenLabs agent. When ElevenLabs fails, the row stays
    /// deleted and the failure is logged: the step's "if interrupted" undo (the same deletion)
    /// is tried at once, and retried by the run's recovery while it fails.
    pub async fn delete(&self, store: &Store, scope: &Scope, id: &AgentId) -> ManageResult<()> {
        let agent = store.agent(&scope.account_id, id).await?;
        super::phone::give_up(store, scope, id, jiff::Timestamp::now()).await?; // its number held 30 days
        store.delete_agent(&scope.account_id, id).await?;
        let elevenlabs_id = agent.elevenlabs_agent_id;
        let outcome = async {
            let mut run = self
                .provisioner
                .begin(&scope.account_id, &format!("delete agent {:?}", agent.name))
                .await?;
            run.step(
                Step::new(format!("delete ElevenLabs agent {elevenlabs_id}"))
                    .if_interrupted(elevenlabs_agents::delete_agent(&elevenlabs_id)),
                self.elevenlabs.delete(&elevenlabs_id),
                |_| None,
            )
            .await?;
            run.finish().await
        }
        .await;
        if let Err(error) = outcome {
            tracing::warn!(
                agent = %id,
                %error,
                "the agent is deleted; deleting its ElevenLabs agent is left to the provisioning recovery"
            );
        }
        Ok(())
    }
}

/// A refusal after the run's ElevenLabs steps: the run rolled back. The refusal stands when
/// the rollback undid everything; otherwise the run's failure says what is left.
async fn refused_after(run: Run, step: &str, refusal: ManageError) -> ManageError {
    match run.fail(step, &refusal).await {
        ProvisionError::Failed { rollback, .. } if rollback.is_complete() => refusal,
        failure => failed(failure),
    }
}
