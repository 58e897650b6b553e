//! What ElevenLabs reports after a conversation (its post-call webhook or its conversation
//! API): the summary, whether the call succeeded, its evaluations and collected data, its
//! duration and cost. Stored per ElevenLabs conversation; the first report wins.

use sqlx::any::AnyRow;

use super::Store;
use super::error::StoreResult;
use super::row;

/// One conversation's analysis. The two result maps are JSON objects as ElevenLabs sent them.
#[derive(Debug, Clone, PartialEq)]
pub struct PostCallAnalysis {
    pub conversation_id: String,
    pub agent_id: String,
    /// `success`, `failure` or `unknown`.
    pub call_successful: Option<String>,
    pub transcript_summary: Option<String>,
    pub call_summary_title: Option<String>,
    pub evaluation_criteria_results: serde_json::Value,
    pub data_collection_results: serde_json::Value,
    pub call_duration_secs: Option<i64>,
    /// ElevenLabs credits.
    pub cost: Option<i64>,
    /// The report's `event_timestamp`, unix seconds.
    pub event_timestamp: i64,
}

macro_rules! columns {
    () => {
        "conversation_id, agent_id, call_successful, transcript_summary, call_summary_title, \
         evaluation_criteria_results, data_collection_results, call_duration_secs, cost, event_timestamp"
    };
}

fn decode(row: &AnyRow) -> StoreResult<PostCallAnalysis> {
    let json = |column: &'static str| -> StoreResult<serde_json::Value> {
        let text = row::text(row, column)?;
        Ok(serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    };
    Ok(PostCallAnalysis {
        conversation_id: row::text(row, "conversation_id")?,
        agent_id: row::text(row, "agent_id")?,
        call_successful: row::opt_text(row, "call_successful")?,
        transcript_summary: row::opt_text(row, "transcript_summary")?,
        call_summary_title: row::opt_text(row, "call_summary_title")?,
        evaluation_criteria_results: json("evaluation_criteria_results")?,
        data_collection_results: json("data_collection_results")?,
        call_duration_secs: row::opt_int(row, "call_duration_secs")?,
        cost: row::opt_int(row, "cost")?,
        event_timestamp: row::int(row, "event_timestamp")?,
    })
}

impl Store {
    /// Stores a conversation's analysis unless one is stored already. Returns whether it was
    /// new: a redelivered report changes nothing.
    pub async fn record_post_call_analysis(&self, analysis: &PostCallAnalysis) -> StoreResult<bool> {
        let done = sqlx::query(concat!(
            "INSERT INTO post_call_analyses (",
            columns!(),
            ", received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (conversation_id) DO NOTHING"
        ))
        .bind(&analysis.conversation_id)
        .bind(&analysis.agent_id)
        .bind(analysis.call_successful.as_deref())
        .bind(analysis.transcript_summary.as_deref())
        .bind(analysis.call_summary_title.as_deref())
        .bind(analysis.evaluation_criteria_results.to_string())
        .bind(analysis.data_collection_results.to_string())
        .bind(analysis.call_duration_secs)
        .bind(analysis.cost)
        .bind(analysis.event_timestamp)
        .bind(row::millis(row::now()))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The analysis stored for an ElevenLabs conversation, if any.
    pub async fn post_call_analysis(&self, conversation_id: &str) -> StoreResult<Option<PostCallAnalysis>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM post_call_analyses WHERE conversation_id = $1"
        ))
        .bind(conversation_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    /// How many analyses are stored for a conversation (0 or 1; for tests of redelivery).
    pub async fn post_call_analysis_count(&self, conversation_id: &str) -> StoreResult<i64> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM post_call_analyses WHERE conversation_id = $1")
                .bind(conversation_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(count)
    }
}
