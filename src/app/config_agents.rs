//! Agents listed in the config file: created in the store at start if their number is new.

use std::collections::HashMap;

use crate::config::{AgentConfig, AgentFallback};
use crate::store::{AccountId, FallbackMode, NewAccount, NewAgent, Store, StoreError};

/// Creates the agents of the config file that the store doesn't know yet (by number), with an
/// account per business. Returns how many were created.
pub async fn sync_config_agents(store: &Store, agents: &[AgentConfig]) -> Result<usize, StoreError> {
    let mut accounts: HashMap<String, AccountId> = HashMap::new();
    let mut missing = Vec::new();
    for agent in agents {
        match store.agent_by_phone_number(&agent.phone_number).await? {
            Some(existing) => {
                accounts
                    .entry(agent.business.clone())
                    .or_insert(existing.account_id);
            }
            None => missing.push(agent),
        }
    }
    for agent in &missing {
        let account_id = match accounts.get(&agent.business) {
            Some(id) => id.clone(),
            None => {
                let account = store
                    .create_account(NewAccount {
                        name: agent.business.clone(),
                        plan: "pro".into(),
                    })
                    .await?;
                accounts.insert(agent.business.clone(), account.id.clone());
                account.id
            }
        };
        store
            .create_agent(
                &account_id,
                NewAgent {
                    name: agent.name.clone(),
                    phone_number: agent.phone_number.clone(),
                    elevenlabs_agent_id: agent.elevenlabs_agent_id.clone(),
                    timezone: agent.timezone.clone(),
                    first_message: agent.first_message.clone(),
                    fallback_mode: fallback_mode(agent.fallback),
                    fallback_number: agent.fallback_number.clone(),
                },
            )
            .await?;
        tracing::info!(number = %agent.phone_number, agent = %agent.name, "agent from the config file added");
    }
    Ok(missing.len())
}

fn fallback_mode(fallback: AgentFallback) -> FallbackMode {
    match fallback {
        AgentFallback::Message => FallbackMode::Message,
        AgentFallback::Voicemail => FallbackMode::Voicemail,
        AgentFallback::Dial => FallbackMode::Dial,
    }
}
