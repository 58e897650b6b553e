//! Provisioning of the agents at ElevenLabs, from the configuration: on when a key is set and
//! `[elevenlabs] provision_agents` is not switched off; and of their numbers at Twilio, on when
//! `[twilio] account_sid` and `auth_token` are set.

use crate::config::Config;
use crate::manage::Agents;
use crate::manage::agent_provisioning::AgentProvisioning;
use crate::manage::phone::Phones;
use crate::provision::agent_config::AgentSettings;
use crate::provision::elevenlabs_agents::ElevenLabsAgents;
use crate::provision::elevenlabs_undo::with_elevenlabs_undos;
use crate::provision::numbers::TwilioNumbers;
use crate::provision::{Provisioner, Undoers};
use crate::store::Store;
use crate::vendor_api::elevenlabs::ElevenLabsApi;
use crate::vendor_api::twilio::TwilioClient;

/// The longest conversation an ElevenLabs agent allows when the bridge sets no limit
/// (`[call] max_call_secs = 0`).
pub const UNLIMITED_CALL_SECS: u64 = 3600;

/// The ElevenLabs REST client, when a key is configured.
pub fn elevenlabs_api(config: &Config) -> Option<ElevenLabsApi> {
    let key = config.elevenlabs.api_key.as_ref().filter(|key| !key.is_empty())?;
    Some(ElevenLabsApi::new(&config.elevenlabs.api_base, key))
}

/// The ElevenLabs side of provisioning agents; `None` when it is off.
pub fn elevenlabs_agents(config: &Config, store: &Store) -> Option<ElevenLabsAgents> {
    let chosen = &config.elevenlabs.provisioning;
    if !chosen.provision_agents {
        return None;
    }
    Some(ElevenLabsAgents {
        api: elevenlabs_api(config)?,
        store: store.clone(),
        settings: AgentSettings {
            bursting: chosen.bursting,
            record_voice: chosen.record_voice,
            retention_days: chosen.retention_days,
            max_duration_secs: config
                .call
                .max_call()
                .map_or(UNLIMITED_CALL_SECS, |longest| longest.as_secs()),
        },
    })
}

/// `undoers` with the ElevenLabs undos, when a key is configured (runs recorded while
/// provisioning was on are still undone after it is switched off).
pub fn with_vendor_undos(undoers: Undoers, config: &Config, store: &Store) -> Undoers {
    let undoers = match twilio_numbers(config, store) {
        Some(numbers) => numbers.register(undoers),
        None => undoers,
    };
    match elevenlabs_api(config) {
        Some(api) => with_elevenlabs_undos(undoers, api, store.clone()),
        None => undoers,
    }
}

/// The Twilio side of the agents' numbers, when Twilio credentials are configured; their
/// calls are sent to `public_url`.
pub fn twilio_numbers(config: &Config, store: &Store) -> Option<TwilioNumbers> {
    let twilio = TwilioClient::from_config(&config.twilio)?;
    Some(TwilioNumbers::new(twilio, store.clone(), &config.public_url))
}

/// The agents' numbers over `store`, provisioned at Twilio through `provisioner` when it is
/// configured.
pub fn phones(config: &Config, store: &Store, provisioner: &Provisioner) -> Phones {
    let phones = Phones::new(store.clone());
    match twilio_numbers(config, store) {
        Some(numbers) => phones.with_twilio(provisioner.clone(), numbers),
        None => phones,
    }
}

/// The agents' use cases over `store`, provisioning through `provisioner` when that is on.
pub fn agents(config: &Config, store: &Store, provisioner: &Provisioner) -> Agents {
    let agents = Agents::new(store.clone());
    match elevenlabs_agents(config, store) {
        Some(elevenlabs) => agents.provisioning(AgentProvisioning {
            provisioner: provisioner.clone(),
            elevenlabs,
        }),
        None => agents,
    }
}
