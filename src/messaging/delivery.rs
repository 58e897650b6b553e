//! What Twilio tells of a text after it was sent: its status callbacks (`MessageStatus`,
//! `ErrorCode`), kept on the outbox's job. Callbacks can arrive out of order, so a status
//! never moves back: a later one is kept only when it is as far along (`progress`).

use crate::store::{Store, StoreResult};

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

/// Keeps a status callback on the job of `message_sid`; whether the job is ours and the status
/// was kept.
pub async fn status_reported(
    store: &Store,
    message_sid: &str,
    status: &str,
    error_code: Option<&str>,
) -> StoreResult<bool> {
    let Some(job) = store.sms_job_by_message_sid(message_sid).await? else {
        return Ok(false);
    };
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
