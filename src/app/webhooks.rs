//! The outgoing webhooks, wired in: booking changes from the agent's tools and the API (the
//! booking listeners both share), each recorded call (an after-call listener), and texts to
//! the account's numbers (the inbound texts' publisher) are published as events; the delivery
//! worker sends what is due every `[webhooks] deliver_every_secs`, and at once after an
//! enqueue.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use crate::config::WebhooksConfig;
use crate::shutdown::Shutdown;
use crate::store::Store;
use crate::telephony::{AfterCall, CallRecorder, RecordedCall};
use crate::tools::Toolbox;
use crate::webhooks::booking_events::PublishBookingChanges;
use crate::webhooks::{Attempted, DELIVERY_BACKOFF, Event, Publisher, Sender};

/// Registers the publishers and starts the delivery worker (unless switched off).
pub fn start(
    config: &WebhooksConfig,
    store: &Store,
    recorder: &CallRecorder,
    toolbox: &Toolbox,
    workers: &Shutdown,
) -> Publisher {
    let publisher = Publisher::new(store.clone());
    toolbox
        .booking_listeners()
        .register(Arc::new(PublishBookingChanges(publisher.clone())));
    recorder.after_call().register(Arc::new(PublishCallEnded {
        publisher: publisher.clone(),
        workers: workers.clone(),
    }));
    if let Some(every) = config.deliver_every() {
        let sender = Sender::new(store.clone(), DELIVERY_BACKOFF, config.timeout());
        spawn_worker(sender, publisher.clone(), every, workers);
    }
    publisher
}

fn spawn_worker(sender: Sender, publisher: Publisher, every: Duration, workers: &Shutdown) {
    let due = publisher.due();
    let stopping = workers.clone();
    workers.spawn(async move {
        loop {
            send_due(&sender).await;
            tokio::select! {
                biased;
                () = stopping.stopping() => return,
                () = due.notified() => {}
                () = tokio::time::sleep(every) => {}
            }
        }
    });
}

async fn send_due(sender: &Sender) {
    match sender.run_due(Timestamp::now()).await {
        Ok(attempts) => {
            for (delivery, attempted) in attempts {
                match attempted {
                    Attempted::Delivered { status } => tracing::info!(delivery, status, "webhook delivered"),
                    Attempted::Retrying { at, reason } => {
                        tracing::warn!(delivery, retry_at = %at, reason, "webhook delivery failed; it is tried again");
                    }
                    Attempted::Failed { reason } => {
                        tracing::warn!(delivery, reason, "webhook delivery failed for good")
                    }
                }
            }
        }
        Err(error) => {
            tracing::warn!(%error, "the webhook deliveries could not be read; the next round tries again")
        }
    }
}

/// Publishes `call.ended` for each recorded call, on a task of the workers.
struct PublishCallEnded {
    publisher: Publisher,
    workers: Shutdown,
}

impl AfterCall for PublishCallEnded {
    fn call_recorded(&self, recorded: &RecordedCall) {
        let event = Event::call_ended(&recorded.call, Timestamp::now());
        let publisher = self.publisher.clone();
        self.workers
            .spawn(async move { publisher.publish_logged(&event).await });
    }
}
