//! The ElevenLabs workspace webhook post-call reports come to, ensured within a run: exactly
//! one per delivery URL (`{public_url}/webhooks/elevenlabs`), created with HMAC on the first
//! provisioned agent, its id and secret kept (`store::elevenlabs_webhooks`) and handed to the
//! receiver ([`PostCallSecret`]); found again by id in ElevenLabs' list on every later run (so
//! a restart creates none), and created again, its row replaced, when ElevenLabs no longer
//! lists it. Every agent names it in `workspace_overrides` (`agent_config`).
//!
//! Runs on one instance ensure it one at a time; runs on two instances racing may both create
//! one, and the store keeps the first (`keep_elevenlabs_webhook`): the loser deletes its own
//! and uses the winner's, so every agent names the webhook whose secret is kept.
//!
//! The creation's undo deletes the webhook and forgets it; a run interrupted before the answer
//! was recorded deletes the webhooks carrying its marker in their name (the secret of such a
//! webhook was never kept, so it could not be used anyway).

use serde_json::json;

use crate::store::KeptWebhook;
use crate::vendor_api::elevenlabs::ElevenLabsApi;

use super::elevenlabs_undo::{DELETE_WEBHOOK, DELETE_WEBHOOKS_NAMED};
use super::post_call_secret::PostCallSecret;
use super::{ProvisionError, Run, Step, Undo};

/// The name of a webhook a run creates: switchboard's, with the run's marker.
pub fn webhook_name(marker: &str) -> String {
    format!("switchboard post-call ({marker})")
}

/// The id of the workspace webhook for `secret`'s URL: the kept one while ElevenLabs lists
/// it, else one created now.
pub async fn ensure_webhook(
    api: &ElevenLabsApi,
    secret: &PostCallSecret,
    store: &crate::store::Store,
    run: &mut Run,
) -> Result<String, ProvisionError> {
    let url = secret.webhook_url().to_owned();
    let _one_at_a_time = secret.provisioning_lock().await;
    let kept = run
        .step(
            Step::new(format!("read the workspace webhook kept for {url}")),
            store.elevenlabs_webhook(&url),
            |_| None,
        )
        .await?;
    let lost = match kept {
        None => None,
        Some(kept) => {
            let listed = run
                .step(
                    Step::new(format!(
                        "look up workspace webhook {} at ElevenLabs",
                        kept.webhook_id
                    )),
                    api.list_workspace_webhooks(),
                    |_| None,
                )
                .await?;
            if listed
                .iter()
                .any(|webhook| webhook.webhook_id == kept.webhook_id && webhook.webhook_url == url)
            {
                return Ok(kept.webhook_id);
            }
            tracing::warn!(
                webhook_id = %kept.webhook_id,
                %url,
                "ElevenLabs no longer lists the kept workspace webhook; creating it again"
            );
            Some(kept.webhook_id)
        }
    };
    let name = webhook_name(&run.marker());
    let created = run
        .step(
            Step::new(format!("create the workspace webhook for {url} at ElevenLabs")).if_interrupted(
                Undo::new(DELETE_WEBHOOKS_NAMED, json!({"name": name, "webhook_url": url})),
            ),
            async {
                let created = api
                    .create_workspace_webhook(&name, &url)
                    .await
                    .map_err(|error| error.to_string())?;
                match created.webhook_secret {
                    Some(webhook_secret) if !webhook_secret.is_empty() => Ok(KeptWebhook {
                        webhook_id: created.webhook_id,
                        webhook_secret,
                    }),
                    _ => Err(format!(
                        "ElevenLabs created workspace webhook {} without a signing secret",
                        created.webhook_id
                    )),
                }
            },
            |webhook| Some(delete_webhook(&url, &webhook.webhook_id)),
        )
        .await?;
    let kept = run
        .step(
            Step::new("keep the workspace webhook's id and secret"),
            store.keep_elevenlabs_webhook(&url, &created, lost.as_deref()),
            |_| None,
        )
        .await?;
    if kept.webhook_id != created.webhook_id {
        // Another instance kept one first: ours is never used.
        tracing::info!(
            webhook_id = %created.webhook_id,
            kept = %kept.webhook_id,
            "another instance registered the workspace webhook first; deleting this one"
        );
        if let Err(error) = api.delete_workspace_webhook(&created.webhook_id).await {
            tracing::warn!(%error, webhook_id = %created.webhook_id, "could not delete an unused workspace webhook");
        }
    }
    secret.set(kept.webhook_secret);
    Ok(kept.webhook_id)
}

/// The undo of a webhook's creation: the webhook deleted, forgotten if still kept.
pub fn delete_webhook(webhook_url: &str, webhook_id: &str) -> Undo {
    Undo::new(
        DELETE_WEBHOOK,
        json!({"webhook_url": webhook_url, "webhook_id": webhook_id}),
    )
}
