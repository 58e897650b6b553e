//! Agents listed in the config file: created in the store at start if their number is new.
//!
//! The database is the agents' record once they exist (it may have been changed with SQL or
//! the API since), so an entry edited in the file later does not overwrite it: each difference
//! is named in a warning at start, with how to apply it, instead of being ignored silently. For
//! the same reason an agent deleted (through the API) is not made again from the file at the
//! next start: that is named in a warning too.

use std::collections::HashMap;

use crate::config::{AgentConfig, AgentFallback};
use crate::store::{AccountId, Agent, FallbackMode, NewAccount, NewAgent, Store, StoreError};

/// What [`sync_config_agents`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncedAgents {
    /// Agents created from the file.
    pub added: usize,
    /// Agents already in the database whose entry in the file says otherwise: the number and
    /// the keys that differ.
    pub differing: Vec<(String, Vec<&'static str>)>,
    /// The numbers of entries whose agent was deleted, which are not made again.
    pub deleted: Vec<String>,
}

/// Creates the agents of the config file that the store doesn't know yet (by number), with an
/// account per business, and warns about the ones whose stored row differs from the file.
pub async fn sync_config_agents(store: &Store, agents: &[AgentConfig]) -> Result<SyncedAgents, StoreError> {
    let mut accounts: HashMap<String, AccountId> = HashMap::new();
    let mut missing = Vec::new();
    let mut differing = Vec::new();
    let mut deleted = Vec::new();
    for agent in agents {
        match store.agent_by_phone_number(&agent.phone_number).await? {
            Some(existing) => {
                let business = store.account(&existing.account_id).await?.name;
                let keys = differences(agent, &existing, &business);
                if !keys.is_empty() {
                    tracing::warn!(
                        number = %agent.phone_number,
                        keys = %keys.join(", "),
                        "this agent's entry in the config file differs from the database, which is kept; \
                         change the agents row to apply it (or delete the row to have it created anew)"
                    );
                    differing.push((agent.phone_number.clone(), keys));
                }
                accounts
                    .entry(agent.business.clone())
                    .or_insert(existing.account_id);
            }
            None => match store.deleted_agent_by_phone_number(&agent.phone_number).await? {
                Some(_) => {
                    tracing::warn!(
                        number = %agent.phone_number,
                        "this agent of the config file was deleted and is not made again; \
                         remove its entry from the file"
                    );
                    deleted.push(agent.phone_number.clone());
                }
                None => missing.push(agent),
            },
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
                    phone_number: Some(agent.phone_number.clone()),
                    elevenlabs_agent_id: agent.elevenlabs_agent_id.clone(),
                    timezone: agent.timezone.clone(),
                    first_message: agent.first_message.clone(),
                    fallback_mode: fallback_mode(agent.fallback),
                    fallback_number: agent.fallback_number.clone(),
                    ..NewAgent::default()
                },
            )
            .await?;
        tracing::info!(number = %agent.phone_number, agent = %agent.name, "agent from the config file added");
    }
    Ok(SyncedAgents {
        added: missing.len(),
        differing,
        deleted,
    })
}

/// The file's keys whose value differs from the stored agent (of the business `business`).
fn differences(file: &AgentConfig, stored: &Agent, business: &str) -> Vec<&'static str> {
    [
        ("business", file.business == business),
        ("name", file.name == stored.name),
        (
            "elevenlabs_agent_id",
            file.elevenlabs_agent_id == stored.elevenlabs_agent_id,
        ),
        ("timezone", file.timezone == stored.timezone),
        ("first_message", file.first_message == stored.first_message),
        ("fallback", fallback_mode(file.fallback) == stored.fallback_mode),
        ("fallback_number", file.fallback_number == stored.fallback_number),
    ]
    .into_iter()
    .filter(|(_, same)| !same)
    .map(|(key, _)| key)
    .collect()
}

fn fallback_mode(fallback: AgentFallback) -> FallbackMode {
    match fallback {
        AgentFallback::Message => FallbackMode::Message,
        AgentFallback::Voicemail => FallbackMode::Voicemail,
        AgentFallback::Dial => FallbackMode::Dial,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> AgentConfig {
        AgentConfig {
            business: "Harbor Dental".into(),
            name: "Ava".into(),
            phone_number: "+15551230000".into(),
            elevenlabs_agent_id: "agent_1".into(),
            timezone: "America/New_York".into(),
            first_message: None,
            fallback: AgentFallback::Voicemail,
            fallback_number: None,
        }
    }

    #[tokio::test]
    async fn an_edited_entry_is_named_not_applied_and_an_unchanged_one_is_quiet() {
        let store = crate::store::testing::sqlite().await;
        let store = store.store();
        let first = sync_config_agents(&store, &[entry()]).await.unwrap();
        assert_eq!(first.added, 1);
        assert!(first.differing.is_empty());

        let again = sync_config_agents(&store, &[entry()]).await.unwrap();
        assert_eq!(again, SyncedAgents::default(), "nothing changed, nothing said");

        let mut edited = entry();
        edited.timezone = "America/Chicago".into();
        edited.first_message = Some("Hello from Ava.".into());
        let synced = sync_config_agents(&store, &[edited]).await.unwrap();
        assert_eq!(synced.added, 0);
        assert_eq!(
            synced.differing,
            vec![("+15551230000".to_string(), vec!["timezone", "first_message"])]
        );
        let kept = store
            .agent_by_phone_number("+15551230000")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kept.timezone, "America/New_York", "the database is kept");
    }

    #[tokio::test]
    async fn an_agent_deleted_since_is_not_made_again_and_a_new_one_has_the_profiles_defaults() {
        let store = crate::store::testing::sqlite().await;
        let store = store.store();
        sync_config_agents(&store, &[entry()]).await.unwrap();
        let made = store
            .agent_by_phone_number("+15551230000")
            .await
            .unwrap()
            .unwrap();
        assert_eq!((made.language.as_str(), made.active), ("en", true));
        assert_eq!((made.voice_id, made.business_context), (None, None));

        store.delete_agent(&made.account_id, &made.id).await.unwrap();
        let synced = sync_config_agents(&store, &[entry()]).await.unwrap();
        assert_eq!(synced.added, 0);
        assert_eq!(synced.deleted, ["+15551230000"]);
        assert_eq!(store.agent_by_phone_number("+15551230000").await.unwrap(), None);
    }
}
