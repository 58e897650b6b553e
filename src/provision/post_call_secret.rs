//! The secret of the workspace webhook provisioning keeps ([`super::elevenlabs_webhook`]), as
//! the post-call webhook receiver reads it: held in memory, set at once when this instance
//! creates a webhook, read from the store the first time it is asked for, again when it is
//! older than [`REFRESH_EVERY`] (another instance may have created a new webhook), and on a
//! delivery no secret matches, at most once per [`RELOAD_AFTER_MISMATCH`]. So a delivery
//! costs no database read, and a forged one at most one read per few seconds.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use std::time::Instant;

use crate::config::Secret;
use crate::store::{Store, StoreResult};

/// How long a secret read from the store is used before it is read again.
pub const REFRESH_EVERY: Duration = Duration::from_secs(60);
/// The least time between two reads caused by deliveries no secret matched.
pub const RELOAD_AFTER_MISMATCH: Duration = Duration::from_secs(5);

/// The kept webhook's secret for one delivery URL; cheap to clone, shared by provisioning and
/// the receiver.
#[derive(Clone)]
pub struct PostCallSecret {
    store: Store,
    webhook_url: Arc<str>,
    held: Arc<RwLock<Held>>,
    /// Held while a run ensures the webhook, so runs on this instance never race to create it.
    ensuring: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Default)]
struct Held {
    secret: Option<Secret>,
    read_at: Option<Instant>,
}

impl std::fmt::Debug for PostCallSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostCallSecret")
            .field("webhook_url", &self.webhook_url)
            .finish_non_exhaustive()
    }
}

impl PostCallSecret {
    /// The secret of the webhook kept for `webhook_url` (`{public_url}/webhooks/elevenlabs`).
    pub fn new(store: Store, webhook_url: &str) -> PostCallSecret {
        PostCallSecret {
            store,
            webhook_url: Arc::from(webhook_url),
            held: Arc::default(),
            ensuring: Arc::default(),
        }
    }

    pub fn webhook_url(&self) -> &str {
        &self.webhook_url
    }

    /// Held by a run while it ensures the webhook (one run at a time on this instance).
    pub async fn provisioning_lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.ensuring.lock().await
    }

    /// The secret just kept by provisioning on this instance.
    pub fn set(&self, secret: Secret) {
        let mut held = self.held.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        held.secret = Some(secret);
        held.read_at = Some(Instant::now());
    }

    /// The secret, read from the store when never read or older than [`REFRESH_EVERY`].
    pub async fn current(&self) -> StoreResult<Option<Secret>> {
        self.current_at(Instant::now()).await
    }

    /// [`Self::current`] at `now`.
    pub async fn current_at(&self, now: Instant) -> StoreResult<Option<Secret>> {
        match self.held_if_read_within(REFRESH_EVERY, now) {
            Some(held) => Ok(held),
            None => self.read(now).await,
        }
    }

    /// After a delivery no secret matched: the secret read again if the last read is older
    /// than [`RELOAD_AFTER_MISMATCH`] and it changed; `None` when nothing new is known.
    pub async fn reread_after_mismatch(&self) -> StoreResult<Option<Secret>> {
        self.reread_after_mismatch_at(Instant::now()).await
    }

    /// [`Self::reread_after_mismatch`] at `now`.
    pub async fn reread_after_mismatch_at(&self, now: Instant) -> StoreResult<Option<Secret>> {
        let before = match self.held_if_read_within(RELOAD_AFTER_MISMATCH, now) {
            Some(_) => return Ok(None),
            None => self.held.read().unwrap_or_else(|p| p.into_inner()).secret.clone(),
        };
        let read = self.read(now).await?;
        Ok(read.filter(|secret| Some(secret) != before.as_ref()))
    }

    /// The held secret when it was read within `fresh` of `now`; `None` (outer) when it must
    /// be read.
    fn held_if_read_within(&self, fresh: Duration, now: Instant) -> Option<Option<Secret>> {
        let held = self.held.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let read_at = held.read_at?;
        (now.saturating_duration_since(read_at) < fresh).then(|| held.secret.clone())
    }

    async fn read(&self, now: Instant) -> StoreResult<Option<Secret>> {
        let kept = self.store.elevenlabs_webhook(&self.webhook_url).await?;
        let secret = kept.map(|kept| kept.webhook_secret);
        let mut held = self.held.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        held.secret = secret.clone();
        held.read_at = Some(now);
        Ok(secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{KeptWebhook, testing};

    const URL: &str = "https://sb.example/webhooks/elevenlabs";

    fn kept(id: &str, secret: &str) -> KeptWebhook {
        KeptWebhook {
            webhook_id: id.into(),
            webhook_secret: Secret::new(secret),
        }
    }

    #[tokio::test]
    async fn the_secret_is_read_once_then_again_when_old_or_after_a_mismatch() {
        let test_store = testing::sqlite().await;
        let store = test_store.store();
        let secret = PostCallSecret::new(store.clone(), URL);
        let t0 = Instant::now();
        let at = |elapsed: Duration| t0 + elapsed;
        assert_eq!(secret.current_at(t0).await.unwrap(), None, "nothing kept yet");
        store
            .set_elevenlabs_webhook(URL, &kept("wh_1", "first"))
            .await
            .unwrap();
        assert_eq!(
            secret.current_at(at(Duration::from_secs(1))).await.unwrap(),
            None,
            "what was read is used until it is old"
        );
        assert_eq!(
            secret
                .reread_after_mismatch_at(at(Duration::from_secs(1)))
                .await
                .unwrap(),
            None,
            "a mismatch right after a read reads nothing"
        );
        let t1 = at(RELOAD_AFTER_MISMATCH);
        assert_eq!(
            secret.reread_after_mismatch_at(t1).await.unwrap(),
            Some(Secret::new("first"))
        );
        assert_eq!(secret.current_at(t1).await.unwrap(), Some(Secret::new("first")));
        // Another instance replaces the webhook: seen once the held secret is old.
        store
            .set_elevenlabs_webhook(URL, &kept("wh_2", "second"))
            .await
            .unwrap();
        assert_eq!(
            secret.current_at(t1 + Duration::from_secs(1)).await.unwrap(),
            Some(Secret::new("first"))
        );
        let t2 = t1 + REFRESH_EVERY;
        assert_eq!(secret.current_at(t2).await.unwrap(), Some(Secret::new("second")));
        assert_eq!(
            secret
                .reread_after_mismatch_at(t2 + RELOAD_AFTER_MISMATCH)
                .await
                .unwrap(),
            None,
            "nothing changed"
        );
        // This instance's provisioning sets it at once.
        secret.set(Secret::new("third"));
        assert_eq!(secret.current().await.unwrap(), Some(Secret::new("third")));
        let shown = format!("{secret:?}");
        assert!(!shown.contains("third"), "{shown}");
    }

    fn report(conversation_id: &str) -> Vec<u8> {
        serde_json::json!({"type": "post_call_transcription", "event_timestamp": NOW, "data": {
            "agent_id": "ag_1", "conversation_id": conversation_id, "status": "done",
            "transcript": [], "analysis": {"call_successful": "success"}}})
        .to_string()
        .into_bytes()
    }

    const NOW: i64 = 1_790_000_000;

    #[tokio::test]
    async fn the_receiver_accepts_the_kept_secret_and_refuses_the_one_it_replaced() {
        use crate::telephony::post_call::{PostCallError, PostCallWebhooks, Received};
        use crate::wire::elevenlabs::webhook_signature::{SignatureError, sign};
        let test_store = testing::sqlite().await;
        let store = test_store.store();
        store
            .set_elevenlabs_webhook(URL, &kept("wh_1", "old"))
            .await
            .unwrap();
        let secret = PostCallSecret::new(store.clone(), URL);
        let receiver = PostCallWebhooks::new(store.clone(), ["configured".to_owned()])
            .with_provisioned_secret(secret.clone());
        let body = report("conv_1");
        let accepted = receiver
            .receive(Some(&sign(b"old", NOW, &body)), &body, NOW)
            .await
            .unwrap();
        assert_eq!(accepted, Received::Merged, "signed with the kept secret");
        let body = report("conv_2");
        assert_eq!(
            receiver
                .receive(Some(&sign(b"configured", NOW, &body)), &body, NOW)
                .await
                .unwrap(),
            Received::Merged,
            "the configured secret still counts"
        );

        // Provisioning creates the webhook again: the old secret is refused from then on.
        store
            .set_elevenlabs_webhook(URL, &kept("wh_2", "new"))
            .await
            .unwrap();
        secret.set(Secret::new("new"));
        let body = report("conv_3");
        let refused = receiver
            .receive(Some(&sign(b"old", NOW, &body)), &body, NOW)
            .await
            .unwrap_err();
        assert!(
            matches!(refused, PostCallError::Signature(SignatureError::Mismatch)),
            "{refused}"
        );
        assert_eq!(store.post_call_analysis_count("conv_3").await.unwrap(), 0);
        assert_eq!(
            receiver
                .receive(Some(&sign(b"new", NOW, &body)), &body, NOW)
                .await
                .unwrap(),
            Received::Merged
        );

        // Another instance, which never held the old secret, reads the new one.
        let elsewhere = PostCallWebhooks::new(store.clone(), Vec::<String>::new())
            .with_provisioned_secret(PostCallSecret::new(store.clone(), URL));
        let body = report("conv_4");
        assert!(
            elsewhere
                .receive(Some(&sign(b"old", NOW, &body)), &body, NOW)
                .await
                .is_err()
        );
        assert_eq!(
            elsewhere
                .receive(Some(&sign(b"new", NOW, &body)), &body, NOW)
                .await
                .unwrap(),
            Received::Merged
        );
    }
}
