//! The email outbox worker's round: claim the due jobs, send each through the SMTP server,
//! and write what came of it (`email::retry` decides between another attempt and the end).
//!
//! SMTP has no way to ask a server whether it took a message, so a reply lost after the
//! server accepted the data can, rarely, mean the message is sent again; the job's fixed
//! `Message-ID` lets the recipient's mail system recognise it.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::retry::{Backoff, Verdict, after_failure};
use super::smtp::Mailer;
use crate::store::{EmailJob, Store, StoreResult};

/// Jobs claimed per round.
const ROUND_SIZE: u32 = 20;

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempted {
    /// The server accepted it.
    Sent,
    /// Failed; tried again at `at`.
    Retrying { at: Timestamp, reason: String },
    /// Failed for good.
    Failed { reason: String },
}

/// Sends the outbox's due jobs.
#[derive(Debug, Clone)]
pub struct Sender {
    store: Store,
    mailer: Mailer,
    backoff: Backoff,
    /// How long a claim holds before another worker may take the job again.
    lease: Duration,
}

impl Sender {
    pub fn new(store: Store, mailer: Mailer, backoff: Backoff) -> Sender {
        Sender {
            store,
            mailer,
            backoff,
            lease: Duration::from_secs(300),
        }
    }

    /// One round at `now`: every claimed job attempted once, with what came of it.
    pub async fn run_due(&self, now: Timestamp) -> StoreResult<Vec<(EmailJob, Attempted)>> {
        let lease = SignedDuration::try_from(self.lease).unwrap_or_default();
        let lease_until = now.saturating_add(lease).unwrap_or(now);
        let jobs = self.store.claim_due_emails(now, lease_until, ROUND_SIZE).await?;
        let mut done = Vec::with_capacity(jobs.len());
        for job in jobs {
            let attempted = self.attempt(&job, now).await?;
            done.push((job, attempted));
        }
        Ok(done)
    }

    async fn attempt(&self, job: &EmailJob, now: Timestamp) -> StoreResult<Attempted> {
        let Err(error) = self.mailer.send(job).await else {
            self.store.mark_email_sent(&job.id, now).await?;
            return Ok(Attempted::Sent);
        };
        let code = error.failure.code();
        match after_failure(&self.backoff, job.attempts, error.failure, now) {
            Verdict::RetryAt(at) => {
                self.store
                    .retry_email_at(&job.id, at, &error.reason, code, now)
                    .await?;
                Ok(Attempted::Retrying {
                    at,
                    reason: error.reason,
                })
            }
            Verdict::GiveUp => {
                self.store.fail_email(&job.id, &error.reason, code, now).await?;
                Ok(Attempted::Failed { reason: error.reason })
            }
        }
    }
}
