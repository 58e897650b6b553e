//! The post-call reports still missing: ended calls with an ElevenLabs conversation and no
//! stored analysis, with the reconciler's attempts at fetching each (`post_call_fetches`, one
//! row per conversation tried). Which of them is due is decided by
//! `telephony::post_call_reconciler`'s pure rule; the query only narrows the rows.

use jiff::Timestamp;

use super::Store;
use super::error::StoreResult;
use super::row;

/// An ended call whose conversation has no analysis yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingReport {
    pub conversation_id: String,
    pub ended_at: Timestamp,
    /// Fetches tried so far.
    pub attempts: i64,
    pub last_attempt_at: Option<Timestamp>,
}

/// Which calls to look at: ended in `[ended_after, ended_before]`, tried fewer than
/// `max_attempts` times; at most `limit`, the oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingReportQuery {
    pub ended_after: Timestamp,
    pub ended_before: Timestamp,
    pub max_attempts: i64,
    pub limit: i64,
}

impl Store {
    /// Ended calls with a conversation and no stored analysis (see [`MissingReportQuery`]).
    pub async fn missing_post_call_reports(
        &self,
        query: MissingReportQuery,
    ) -> StoreResult<Vec<MissingReport>> {
        let rows = sqlx::query(
            "SELECT c.conversation_id, MAX(c.ended_at) AS ended_at, \
                    MAX(f.attempts) AS attempts, MAX(f.last_attempt_at) AS last_attempt_at \
             FROM calls c LEFT JOIN post_call_fetches f ON f.conversation_id = c.conversation_id \
             WHERE c.conversation_id IS NOT NULL AND c.conversation_id <> '' \
               AND c.ended_at IS NOT NULL AND c.ended_at >= $1 AND c.ended_at <= $2 \
               AND (f.attempts IS NULL OR f.attempts < $3) \
               AND NOT EXISTS (SELECT 1 FROM post_call_analyses a \
                               WHERE a.conversation_id = c.conversation_id) \
             GROUP BY c.conversation_id ORDER BY MAX(c.ended_at), c.conversation_id LIMIT $4",
        )
        .bind(row::millis(query.ended_after))
        .bind(row::millis(query.ended_before))
        .bind(query.max_attempts)
        .bind(query.limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MissingReport {
                    conversation_id: row::text(r, "conversation_id")?,
                    ended_at: row::instant(r, "ended_at")?,
                    attempts: row::opt_int(r, "attempts")?.unwrap_or(0),
                    last_attempt_at: row::opt_instant(r, "last_attempt_at")?,
                })
            })
            .collect()
    }

    /// Counts one more fetch of the conversation's report at `at`, with what it found
    /// (`not_final`, `not_found`, `failed`); the attempts after it.
    pub async fn record_post_call_fetch(
        &self,
        conversation_id: &str,
        result: &str,
        at: Timestamp,
    ) -> StoreResult<i64> {
        let attempts: i64 = sqlx::query_scalar(
            "INSERT INTO post_call_fetches (conversation_id, attempts, last_attempt_at, last_result) \
             VALUES ($1, 1, $2, $3) ON CONFLICT (conversation_id) DO UPDATE \
             SET attempts = post_call_fetches.attempts + 1, last_attempt_at = $2, last_result = $3 \
             RETURNING attempts",
        )
        .bind(conversation_id)
        .bind(row::millis(at))
        .bind(result)
        .fetch_one(&self.pool)
        .await?;
        Ok(attempts)
    }
}
