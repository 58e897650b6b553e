//! What the agent is told about a call as its conversation opens
//! (`conversation_initiation_client_data`).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::Value;

use crate::store::{Account, Agent};
use crate::wire::elevenlabs::InitiationClientData;

/// Dynamic variables the agent's prompt can use, and the agent's first message if switchboard
/// overrides it (the override must be enabled in the ElevenLabs agent's security settings,
/// or ElevenLabs refuses the call). `today` is read on the agent's wall clock at `now`.
pub fn initiation_data(
    agent: &Agent,
    account: &Account,
    call_sid: &str,
    from: &str,
    to: &str,
    now: Timestamp,
) -> InitiationClientData {
    let today = jiff::tz::TimeZone::get(&agent.timezone)
        .map(|tz| now.to_zoned(tz).date().to_string())
        .unwrap_or_else(|_| now.to_string()[..10].to_owned());
    let variables: BTreeMap<String, Value> = [
        ("caller_number", from),
        ("called_number", to),
        ("call_sid", call_sid),
        ("agent_name", agent.name.as_str()),
        ("business_name", account.name.as_str()),
        ("timezone", agent.timezone.as_str()),
        ("today", today.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
    .collect();
    let conversation_config_override = agent
        .first_message
        .as_ref()
        .map(|first| serde_json::json!({ "agent": { "first_message": first } }));
    InitiationClientData {
        conversation_config_override,
        dynamic_variables: variables,
        ..Default::default()
    }
}
