//! A running call's progress: how long it has been connected as of an instant, the figure its
//! minutes are counted from while it runs and what a recovery closes it with if its instance
//! stops.
//!
//! Progress only goes forward. A write carries the call's running total, so a write that
//! comes late (a backlog, a retry, a second instance writing the same call, a replay) and
//! carries less than the row already holds changes nothing: the guard is in the UPDATE itself,
//! `progress_ms <= $3`, which PostgreSQL evaluates again on the newest row version after
//! waiting for a concurrent writer, and SQLite under its single write lock. The instant moves
//! forward only as well. An ended call takes no more progress.
//!
//! The call recorder writes a batch of them (one per call, the newest) in one transaction, in
//! the order of their CallSids, so two instances writing overlapping batches lock the rows in
//! the same order and never deadlock.

use std::time::Duration;

use jiff::Timestamp;

use super::Store;
use super::error::StoreResult;
use super::row;

/// One call's connected time as of `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallProgress {
    pub call_sid: String,
    pub at: Timestamp,
    pub connected: Duration,
}

/// `$1` the CallSid, `$2` the instant (epoch ms), `$3` the connected time (ms).
pub(super) const RECORD_PROGRESS: &str = "UPDATE calls SET progress_ms = $3, \
     progress_at = CASE WHEN progress_at IS NULL OR progress_at < $2 THEN $2 ELSE progress_at END \
     WHERE call_sid = $1 AND ended_at IS NULL AND (progress_ms IS NULL OR progress_ms <= $3)";

impl Store {
    /// Writes the progress of many calls in one transaction: per call the highest connected
    /// time given (with its instant). Returns how many rows moved forward; a write that
    /// carried no news (an older total, an ended call, an unknown CallSid) counts none.
    pub async fn record_calls_progress(&self, progress: &[CallProgress]) -> StoreResult<u64> {
        let newest = newest_per_call(progress);
        if newest.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let mut written = 0;
        for call in newest {
            let done = sqlx::query(RECORD_PROGRESS)
                .bind(&call.call_sid)
                .bind(row::millis(call.at))
                .bind(row::duration_ms(call.connected))
                .execute(&mut *tx)
                .await?;
            written += done.rows_affected();
        }
        tx.commit().await?;
        Ok(written)
    }
}

/// One entry per call, the one with the highest connected time (the latest instant among
/// equals), in the order of the CallSids.
fn newest_per_call(progress: &[CallProgress]) -> Vec<&CallProgress> {
    let mut sorted: Vec<&CallProgress> = progress.iter().collect();
    sorted.sort_by(|a, b| {
        a.call_sid
            .cmp(&b.call_sid)
            .then(b.connected.cmp(&a.connected))
            .then(b.at.cmp(&a.at))
    });
    sorted.dedup_by(|later, kept| later.call_sid == kept.call_sid);
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(call_sid: &str, secs: i64, connected: u64) -> CallProgress {
        CallProgress {
            call_sid: call_sid.into(),
            at: Timestamp::from_second(1_800_000_000 + secs).unwrap(),
            connected: Duration::from_secs(connected),
        }
    }

    #[test]
    fn a_batch_keeps_each_calls_highest_total_in_callsid_order() {
        let batch = [
            progress("CAb", 10, 10),
            progress("CAa", 5, 5),
            progress("CAb", 20, 20),
            progress("CAb", 30, 15),
            progress("CAa", 9, 5),
        ];
        let newest: Vec<_> = newest_per_call(&batch).into_iter().cloned().collect();
        assert_eq!(newest, [progress("CAa", 9, 5), progress("CAb", 20, 20)]);
    }
}
