//! The texts after a call, wired in: with Twilio credentials configured, each call whose record
//! is written is handed to `messaging::FollowUps` (on a task of the workers, so the recorder's
//! worker never waits on it), and the outbox's worker sends what is due every
//! [`ROUND_EVERY`], and at once after a text is enqueued. Without credentials nothing is sent
//! and nothing is enqueued.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::Notify;

use crate::config::Config;
use crate::messaging::FollowUps;
use crate::messaging::retry::TEXT_BACKOFF;
use crate::messaging::sender::{Attempted, Sender};
use crate::shutdown::Shutdown;
use crate::store::Store;
use crate::telephony::{AfterCall, CallRecorder, RecordedCall};
use crate::vendor_api::twilio::TwilioClient;

/// How often the outbox is looked at when nothing was enqueued: retries come due on their own.
pub const ROUND_EVERY: Duration = Duration::from_secs(10);

/// Starts the follow-ups when Twilio credentials are configured; says whether it did.
pub fn start(config: &Config, store: &Store, recorder: &CallRecorder, workers: &Shutdown) -> bool {
    let Some(twilio) = TwilioClient::from_config(&config.twilio) else {
        return false;
    };
    let sender = Sender::new(store.clone(), twilio, &config.public_url, TEXT_BACKOFF);
    let due = Arc::new(Notify::new());
    recorder.after_call().register(Arc::new(EnqueueFollowUp {
        follow_ups: FollowUps::new(store.clone()),
        due: due.clone(),
        workers: workers.clone(),
    }));
    let stopping = workers.clone();
    workers.spawn(async move {
        loop {
            tokio::select! {
                biased;
                () = stopping.stopping() => return,
                () = due.notified() => {}
                () = tokio::time::sleep(ROUND_EVERY) => {}
            }
            send_due(&sender).await;
        }
    });
    true
}

async fn send_due(sender: &Sender) {
    match sender.run_due(Timestamp::now()).await {
        Ok(attempts) => {
            for (job, attempted) in attempts {
                match attempted {
                    Attempted::Sent { message_sid, found } => {
                        tracing::info!(job, message_sid, found, "follow-up text sent");
                    }
                    Attempted::OptedOut => {
                        tracing::info!(job, "follow-up text not sent: the caller opted out")
                    }
                    Attempted::Retrying { at } => {
                        tracing::warn!(job, retry_at = %at, "follow-up text failed; it is tried again");
                    }
                    Attempted::GaveUp => tracing::warn!(job, "follow-up text failed for good"),
                }
            }
        }
        Err(error) => tracing::warn!(%error, "the SMS outbox could not be read; the next round tries again"),
    }
}

/// Enqueues a recorded call's follow-up text, then wakes the sender.
struct EnqueueFollowUp {
    follow_ups: FollowUps,
    due: Arc<Notify>,
    workers: Shutdown,
}

impl AfterCall for EnqueueFollowUp {
    fn call_recorded(&self, recorded: &RecordedCall) {
        let (follow_ups, due, call) = (self.follow_ups.clone(), self.due.clone(), recorded.call.clone());
        self.workers.spawn(async move {
            match follow_ups.call_ended(&call).await {
                Ok(Some(_)) => due.notify_one(),
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(call_id = %call.id, %error, "the call's follow-up text could not be enqueued");
                }
            }
        });
    }
}
