//! What Twilio tells of a text after it was sent: its status callbacks (`MessageStatus`,
//! `ErrorCode`), kept on the outbox's job. Callbacks can arrive out of order, so a status
//! never moves back: a later one is kept only when it is as far along (`progress`). They can
//! also arrive before the sender has kept the message's sid (Twilio posts `sent` as soon as
//! it hands the text on), so the callback URL names the job, and such a status is kept on it;
//! recording the send later keeps the status that is already there.

use crate::store::{Store, StoreError, StoreResult};

/// How far along a message is, by Twilio's `message_enum_status`; a final status (delivered,
/// undelivered, failed, read, canceled) outranks every passing one. Unknown words (Twilio adds
/// statuses without notice) rank with `sent`, so they are kept but never undo a final one.
pub fn progress(status: &str) -> u8 {
    match status {
        "accepted" | "scheduled" | "queued" => 1,
        "sending" => 2,
        "sent" => 3,
        "partially_delivered" => 4,
        "delivered" | "undelivered" | "failed" | "canceled" => 5,
        "read" => 6,
        _ => 3,
    }
}

/// Keeps a status callback for `message_sid` on its job: the job `job_id` the callback URL
/// names, or for a message sent before URLs named their job, the one that kept that sid.
/// Whether the job is ours and the status was kept. A status for another message than the
/// one the job kept (an earlier attempt's, say) is not kept.
pub async fn status_reported(
    store: &Store,
    job_id: Option<&str>,
    message_sid: &str,
    status: &str,
    error_code: Option<&str>,
) -> StoreResult<bool> {
    let job = match job_id {
        Some(id) => match store.sms_job(id).await {
            Ok(job) => Some(job),
            Err(StoreError::NotFound { .. }) => None,
            Err(error) => return Err(error),
        },
        None => store.sms_job_by_message_sid(message_sid).await?,
    };
    let Some(job) = job else {
        return Ok(false);
    };
    if job.message_sid.as_deref().is_some_and(|kept| kept != message_sid) {
        return Ok(false);
    }
    if job
        .message_status
        .as_deref()
        .is_some_and(|known| progress(known) > progress(status))
    {
        return Ok(false);
    }
    store
        .set_sms_message_status(&job.id, job.message_status.as_deref(), status, error_code)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_final_status_is_never_undone_by_a_late_passing_one() {
        for final_status in ["delivered", "undelivered", "failed", "canceled"] {
            for passing in ["queued", "sending", "sent", "accepted", "something_new"] {
                assert!(
                    progress(final_status) > progress(passing),
                    "{final_status} over {passing}"
                );
            }
        }
        assert!(progress("sent") > progress("sending") && progress("sending") > progress("queued"));
        assert!(progress("read") > progress("delivered"));
    }
}
