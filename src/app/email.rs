//! Email, wired in: with `[email]` configured, each booking change from the agent's tools and
//! the API (the booking listeners both share) enqueues its emails, each recorded call its
//! summary (an after-call listener, on a task of the workers), and the outbox's worker
//! sends what is due every `[email] send_every_secs`, and at once after an enqueue. Without
//! it, nothing is enqueued, and a line at start says so.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::Notify;

use crate::config::EmailConfig;
use crate::email::invitation::Party;
use crate::email::retry::EMAIL_BACKOFF;
use crate::email::{Attempted, BookingMail, CallSummaries, Mailer, MailerError, Sender};
use crate::shutdown::Shutdown;
use crate::store::Store;
use crate::telephony::{AfterCall, CallRecorder, RecordedCall};
use crate::tools::Toolbox;

/// Registers the booking listener and starts the worker; says whether email is on.
pub fn start(
    config: &EmailConfig,
    store: &Store,
    toolbox: &Toolbox,
    recorder: &CallRecorder,
    workers: &Shutdown,
) -> bool {
    let mailer = match Mailer::from_config(config) {
        Ok(mailer) => mailer,
        Err(MailerError::Off) => {
            tracing::info!("email is off: set [email] host and from to send booking confirmations");
            return false;
        }
        Err(error) => {
            tracing::error!(%error, "email is off: its configuration is not usable");
            return false;
        }
    };
    let due = Arc::new(Notify::new());
    let organizer = Party {
        name: mailer.from().name.clone().unwrap_or_default(),
        email: mailer.from().email.to_string(),
    };
    toolbox
        .booking_listeners()
        .register(Arc::new(BookingMail::new(store.clone(), organizer, due.clone())));
    recorder.after_call().register(Arc::new(EnqueueSummary {
        summaries: CallSummaries::new(store.clone(), due.clone()),
        workers: workers.clone(),
    }));
    tracing::info!(
        host = config.host.as_deref().unwrap_or_default(),
        port = config.port(),
        tls = ?config.tls,
        "email is on"
    );
    if let Some(every) = config.send_every() {
        spawn_worker(
            Sender::new(store.clone(), mailer, EMAIL_BACKOFF),
            due,
            every,
            workers,
        );
    }
    true
}

fn spawn_worker(sender: Sender, due: Arc<Notify>, every: Duration, workers: &Shutdown) {
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
            for (job, attempted) in attempts {
                let (id, kind) = (job.id.as_str(), job.kind.as_str());
                match attempted {
                    Attempted::Sent => tracing::info!(job = id, kind, "email sent"),
                    Attempted::Retrying { at, reason } => {
                        tracing::warn!(job = id, kind, retry_at = %at, reason, "email failed; it is tried again");
                    }
                    Attempted::Failed { reason } => {
                        tracing::warn!(job = id, kind, reason, "email failed for good");
                    }
                }
            }
        }
        Err(error) => {
            tracing::warn!(%error, "the email outbox could not be read; the next round tries again")
        }
    }
}

/// Enqueues a recorded call's summary, on a task of the workers.
struct EnqueueSummary {
    summaries: CallSummaries,
    workers: Shutdown,
}

impl AfterCall for EnqueueSummary {
    fn call_recorded(&self, recorded: &RecordedCall) {
        let summaries = self.summaries.clone();
        let recorded = recorded.clone();
        self.workers.spawn(async move {
            let done = summaries
                .call_ended(
                    &recorded.call,
                    &recorded.summary,
                    &recorded.transcript,
                    recorded.booking.as_ref(),
                    Timestamp::now(),
                )
                .await;
            if let Err(error) = done {
                tracing::warn!(call_id = %recorded.call.id, %error, "the call's summary email could not be enqueued");
            }
        });
    }
}
