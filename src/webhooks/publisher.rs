//! An event published: one delivery enqueued per endpoint of the account that takes its type
//! (enabled and subscribed), each exactly once per (event, endpoint), then the worker woken.

use std::sync::Arc;

use jiff::Timestamp;
use tokio::sync::Notify;

use super::events::Event;
use crate::store::{NewDelivery, Store, StoreResult};

/// Publishes events. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Publisher {
    store: Store,
    due: Arc<Notify>,
}

impl Publisher {
    pub fn new(store: Store) -> Publisher {
        Publisher {
            store,
            due: Arc::new(Notify::new()),
        }
    }

    /// Notified after an enqueue: the worker waits on it to send at once.
    pub fn due(&self) -> Arc<Notify> {
        self.due.clone()
    }

    /// Enqueues `event` for each endpoint taking it, at `now`; how many deliveries were new.
    pub async fn publish(&self, event: &Event, now: Timestamp) -> StoreResult<usize> {
        let endpoints = self
            .store
            .webhook_endpoints_taking(&event.account_id, event.kind.as_str())
            .await?;
        if endpoints.is_empty() {
            return Ok(0);
        }
        let payload = event.payload();
        let deliveries: Vec<NewDelivery> = endpoints
            .into_iter()
            .map(|endpoint| NewDelivery {
                account_id: event.account_id.clone(),
                endpoint_id: endpoint.id,
                event_id: event.id.clone(),
                event_type: event.kind.as_str().to_owned(),
                payload: payload.clone(),
            })
            .collect();
        let written = self.store.enqueue_webhook_deliveries(&deliveries, now).await?;
        if written > 0 {
            self.due.notify_one();
        }
        Ok(written)
    }

    /// Publishes `event` now, logging (never returning) a failure: for listeners whose change
    /// already stands.
    pub async fn publish_logged(&self, event: &Event) {
        if let Err(error) = self.publish(event, Timestamp::now()).await {
            tracing::warn!(event = %event.id, kind = event.kind.as_str(), %error, "a webhook event could not be enqueued");
        }
    }
}
