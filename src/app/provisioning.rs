//! Provisioning of the agents at ElevenLabs, from the configuration: on when a key is set and
//! `[elevenlabs] provision_agents` is not switched off; and of their numbers at Twilio, on when
//! `[twilio] account_sid` and `auth_token` are set. With provisioning, the workspace webhook
//! for `{public_url}/webhooks/elevenlabs` is ensured too (unless `[elevenlabs]
//! register_webhook` is off); with a key, the reports it never delivered are fetched every
//! `[elevenlabs] reconcile_every_secs`.

use std::time::Duration;

use crate::config::Config;
use crate::manage::Agents;
use crate::manage::agent_provisioning::AgentProvisioning;
use crate::manage::phone::Phones;
use crate::provision::agent_config::AgentSettings;
use crate::provision::elevenlabs_agents::ElevenLabsAgents;
use crate::provision::elevenlabs_undo::with_elevenlabs_undos;
use crate::provision::numbers::TwilioNumbers;
use crate::provision::post_call_secret::PostCallSecret;
use crate::provision::{Provisioner, Undoers};
use crate::store::Store;
use crate::telephony::post_call::PostCallWebhooks;
use crate::telephony::post_call_reconciler::{FetchRules, Reconciler};
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

/// Where ElevenLabs delivers post-call reports: `{public_url}/webhooks/elevenlabs`.
pub fn post_call_webhook_url(config: &Config) -> String {
    format!("{}/webhooks/elevenlabs", config.public_url.trim_end_matches('/'))
}

/// The secret of the workspace webhook kept for this server's URL.
pub fn post_call_secret(config: &Config, store: &Store) -> PostCallSecret {
    PostCallSecret::new(store.clone(), &post_call_webhook_url(config))
}

/// The post-call reports fetched when their webhook never came: with a key and a period.
pub fn reconciler(
    config: &Config,
    store: &Store,
    webhooks: PostCallWebhooks,
) -> Option<(Reconciler, Duration)> {
    let every = config.elevenlabs.provisioning.reconcile_every_secs;
    if every == 0 {
        return None;
    }
    let reconciler = Reconciler {
        store: store.clone(),
        api: elevenlabs_api(config)?,
        webhooks,
        rules: FetchRules::default(),
    };
    Some((reconciler, Duration::from_secs(every)))
}

/// The ElevenLabs side of provisioning agents, their webhook's secret kept in `post_call`;
/// `None` when it is off.
pub fn elevenlabs_agents(
    config: &Config,
    store: &Store,
    post_call: &PostCallSecret,
) -> Option<ElevenLabsAgents> {
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
        post_call: chosen.register_webhook.then(|| post_call.clone()),
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
    agents_reporting_to(config, store, provisioner, &post_call_secret(config, store))
}

/// [`agents`], a workspace webhook they create handing its secret to `post_call` (the
/// receiver's).
pub fn agents_reporting_to(
    config: &Config,
    store: &Store,
    provisioner: &Provisioner,
    post_call: &PostCallSecret,
) -> Agents {
    let agents = Agents::new(store.clone());
    match elevenlabs_agents(config, store, post_call) {
        Some(elevenlabs) => agents.provisioning(AgentProvisioning {
            provisioner: provisioner.clone(),
            elevenlabs,
        }),
        None => agents,
    }
}
