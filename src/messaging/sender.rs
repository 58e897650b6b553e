//! The outbox worker's round: claim the due jobs, and for each one check the recipient may be
//! texted, send it through Twilio's Messages API, and write what came of it.
//!
//! A send whose answer never came (a timeout, a dropped connection) may have been accepted by
//! Twilio. Before trying it again the worker lists the messages from the same number to the
//! same recipient sent since the job was written (`GET /Messages.json?To=&From=&DateSent>=`)
//! and, when one has the job's body, takes that message as the job's and sends nothing: a
//! retry never texts anyone twice. A refusal with 21610 (the recipient texted STOP to that
//! number at Twilio) marks the number opted out for the account and ends the job.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::opt_outs::OptOuts;
use super::retry::{self, Backoff, SendFailure, Verdict};
use crate::store::{SmsJob, SmsStatus, Store, StoreResult};
use crate::vendor_api::twilio::{OutgoingMessage, TwilioClient, TwilioError};

/// Jobs claimed per round.
const ROUND_SIZE: u32 = 20;

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempted {
    /// Twilio has the message (sent now, or found after an unanswered attempt).
    Sent { message_sid: String, found: bool },
    /// Not sent: the recipient opted out (here, or at Twilio: 21610).
    OptedOut,
    /// Failed; tried again later.
    Retrying { at: Timestamp },
    /// Failed for good.
    GaveUp,
}

/// Sends the outbox's due jobs.
#[derive(Debug, Clone)]
pub struct Sender {
    store: Store,
    twilio: TwilioClient,
    opt_outs: OptOuts,
    status_callback: String,
    backoff: Backoff,
    /// How long a claim holds before another worker may take the job again.
    lease: Duration,
}

/// How a failed request reads for the retry rules. No answer at all may still have been
/// accepted, so it is read as a timeout: the next attempt looks before it sends.
pub fn failure_of(error: &TwilioError) -> SendFailure {
    match error {
        TwilioError::Api { status, code, .. } => SendFailure::Refused {
            status: *status,
            code: *code,
        },
        TwilioError::Transport(_) | TwilioError::Unreadable(_) => SendFailure::TimedOut,
    }
}

impl Sender {
    /// A sender whose messages report their status to `{public_url}/twilio/sms-status`, each
    /// with its job's id in the query (see [`status_callback_for`](Sender::status_callback_for)).
    pub fn new(store: Store, twilio: TwilioClient, public_url: &str, backoff: Backoff) -> Sender {
        Sender {
            opt_outs: OptOuts::new(store.clone()),
            store,
            twilio,
            status_callback: format!("{}/twilio/sms-status", public_url.trim_end_matches('/')),
            backoff,
            lease: Duration::from_secs(120),
        }
    }

    /// One round at `now`: every claimed job attempted once, with what came of it.
    pub async fn run_due(&self, now: Timestamp) -> StoreResult<Vec<(String, Attempted)>> {
        let lease_until = now.saturating_add(SignedDuration::try_from(self.lease).unwrap_or_default());
        let jobs = self
            .store
            .claim_due_sms(now, lease_until.unwrap_or(now), ROUND_SIZE)
            .await?;
        let mut done = Vec::with_capacity(jobs.len());
        for job in jobs {
            let attempted = self.attempt(&job, now).await?;
            done.push((job.id, attempted));
        }
        Ok(done)
    }

    async fn attempt(&self, job: &SmsJob, now: Timestamp) -> StoreResult<Attempted> {
        if !self.opt_outs.may_contact(&job.account_id, &job.to_number).await? {
            self.store
                .finish_sms_unsent(&job.id, SmsStatus::Skipped, "the recipient opted out", None, now)
                .await?;
            return Ok(Attempted::OptedOut);
        }
        if job.look_first {
            match self.already_sent(job).await {
                Ok(Some((sid, status))) => {
                    self.store.mark_sms_sent(&job.id, &sid, &status, now).await?;
                    return Ok(Attempted::Sent {
                        message_sid: sid,
                        found: true,
                    });
                }
                Ok(None) => {}
                Err(error) => return self.failed(job, &error, now).await,
            }
        }
        let status_callback = self.status_callback_for(&job.id);
        let message = OutgoingMessage {
            to: &job.to_number,
            from: &job.from_number,
            body: &job.body,
            status_callback: &status_callback,
        };
        match self.twilio.send_message(&message).await {
            Ok(sent) => {
                self.store
                    .mark_sms_sent(&job.id, &sent.sid, &sent.status, now)
                    .await?;
                Ok(Attempted::Sent {
                    message_sid: sent.sid,
                    found: false,
                })
            }
            Err(error) => self.failed(job, &error, now).await,
        }
    }

    /// The status callback for `job_id`'s message. Twilio may post the first status before its
    /// answer to the send is read and the message's sid kept on the job, so the callback names
    /// the job itself and a status that comes early is kept, not dropped as unknown.
    pub fn status_callback_for(&self, job_id: &str) -> String {
        let job: String = url::form_urlencoded::byte_serialize(job_id.as_bytes()).collect();
        format!("{}?job={job}", self.status_callback)
    }

    /// The message Twilio already has for `job`, if an earlier attempt's went through.
    async fn already_sent(&self, job: &SmsJob) -> Result<Option<(String, String)>, TwilioError> {
        let messages = self
            .twilio
            .messages_between(&job.from_number, &job.to_number, job.created_at)
            .await?;
        Ok(messages
            .into_iter()
            .find(|m| m.body.as_deref() == Some(job.body.as_str()))
            .map(|m| (m.sid, m.status)))
    }

    async fn failed(&self, job: &SmsJob, error: &TwilioError, now: Timestamp) -> StoreResult<Attempted> {
        let failure = failure_of(error);
        let why = error.to_string();
        let code = error.code().map(|c| c.to_string());
        if failure.is_opt_out() {
            self.opt_outs
                .refused_by_twilio(&job.account_id, &job.to_number, now)
                .await?;
            self.store
                .finish_sms_unsent(&job.id, SmsStatus::Failed, &why, code.as_deref(), now)
                .await?;
            return Ok(Attempted::OptedOut);
        }
        match retry::after_failure(&self.backoff, job.attempts, &failure, now) {
            Verdict::RetryAt(at) | Verdict::LookBeforeResend(at) => {
                let look_first = job.look_first || matches!(failure, SendFailure::TimedOut);
                self.store
                    .retry_sms_at(&job.id, at, look_first, &why, now)
                    .await?;
                Ok(Attempted::Retrying { at })
            }
            Verdict::GiveUp => {
                self.store
                    .finish_sms_unsent(&job.id, SmsStatus::Failed, &why, code.as_deref(), now)
                    .await?;
                Ok(Attempted::GaveUp)
            }
        }
    }
}
