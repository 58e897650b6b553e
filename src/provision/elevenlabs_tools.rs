//! The account's ElevenLabs workspace tools, ensured within a run: the booking tools (with
//! `end_call` and `transfer_call`) as client tools that block the conversation until the call
//! answers (`tools::schema::client_tools`, the same schemas the tools read their parameters
//! with), created on the account's first provisioned agent and kept by id
//! (`store::elevenlabs_tools`); a kept tool ElevenLabs no longer knows (404) is created again.
//!
//! Each creation is a step whose undo deletes the tool and forgets its id, so a run that fails
//! leaves no tool it made behind; tools made by a run that finished stay for the account's
//! other agents.

use serde_json::{Value, json};

use crate::store::{AccountId, Store};
use crate::tools::schema;
use crate::vendor_api::elevenlabs::{ElevenLabsApi, ElevenLabsError};

use super::elevenlabs_undo::DELETE_TOOL;
use super::{ProvisionError, Run, Step, Undo};

/// The tool configurations an account's agents use, in the order their ids are listed.
pub fn tool_configs() -> Vec<Value> {
    schema::client_tools()
}

/// The ids of the account's tools, in [`tool_configs`]' order: each kept one that ElevenLabs
/// still knows, the others created now.
pub async fn ensure_tools(
    api: &ElevenLabsApi,
    store: &Store,
    run: &mut Run,
    account: &AccountId,
) -> Result<Vec<String>, ProvisionError> {
    let kept = run
        .step(
            plain_step("read the account's ElevenLabs tools"),
            store.elevenlabs_tools(account),
            |_| None,
        )
        .await?;
    let mut ids = Vec::new();
    for config in tool_configs() {
        let name = config["name"].as_str().unwrap_or_default().to_owned();
        if let Some(id) = kept.get(&name) {
            let known = run
                .step(
                    plain_step(format!("look up the tool {name} ({id}) at ElevenLabs")),
                    still_known(api, id),
                    |_| None,
                )
                .await?;
            if known {
                ids.push(id.clone());
                continue;
            }
        }
        let created = run
            .step(
                plain_step(format!("create the tool {name} at ElevenLabs")),
                api.create_tool(&config),
                |tool| Some(delete_tool(account, &name, &tool.id)),
            )
            .await?;
        run.step(
            plain_step(format!("keep the id of the tool {name}")),
            store.set_elevenlabs_tool(account, &name, &created.id),
            |_| None,
        )
        .await?;
        ids.push(created.id);
    }
    Ok(ids)
}

/// Whether ElevenLabs still has the tool (a 404 is no, any other refusal an error).
async fn still_known(api: &ElevenLabsApi, id: &str) -> Result<bool, ElevenLabsError> {
    match api.get_tool(id).await {
        Ok(_) => Ok(true),
        Err(error) if error.is_not_found() => Ok(false),
        Err(error) => Err(error),
    }
}

fn plain_step(name: impl Into<String>) -> Step {
    Step::new(name)
}

/// The undo of a tool's creation: the tool deleted, its id forgotten if still kept.
pub fn delete_tool(account: &AccountId, name: &str, tool_id: &str) -> Undo {
    Undo::new(
        DELETE_TOOL,
        json!({"account_id": account.as_str(), "tool_name": name, "tool_id": tool_id}),
    )
}
