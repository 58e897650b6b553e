//! An account's use of the phone over a period: the minutes it is billed for, how many calls,
//! how long they lasted on average, and how they ended most often.
//!
//! A call counts in the period it was answered in (`started_at` in `[from, to)`), even when it
//! runs past the period's end, so no call is split over two periods.
//!
//! Minutes, per call: Twilio bills each call per started minute, so a call's minutes are its
//! whole seconds divided by 60, rounded up (61 s is 2 minutes, 0 s is none), and the period's
//! minutes are the sum over its calls (not the rounded-up sum of all seconds). A call's seconds
//! are Twilio's own `CallDuration` when its status callback came (what Twilio bills), else the
//! bridge's metered time (its end, or its last progress while it runs), cut to whole seconds
//! as Twilio reports them.
//!
//! This is the account's minute pool: every call of the account counts, whichever agent or
//! instance took it, and the total is one query over the rows, so concurrent calls add up to
//! the second. A running call's figure trails its media time by at most one progress interval
//! (`[call] progress_secs`), and progress and ends never lower it (`store::call_progress`).

use jiff::Timestamp;

use super::Store;
use super::error::StoreResult;
use super::filters::Conditions;
use super::ids::AccountId;
use super::row;

/// How many end reasons [`Usage::top_outcomes`] lists.
pub const TOP_OUTCOMES: u32 = 5;

/// A call's length in whole seconds, in SQL, from the best source the row has.
pub(super) const CALL_SECONDS: &str = "(COALESCE(carrier_duration_ms, duration_ms, progress_ms, 0) / 1000)";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// Billed minutes: each call's started minutes, summed.
    pub minutes: u64,
    pub calls: u64,
    /// All the calls' seconds.
    pub seconds: u64,
    /// The most frequent end reasons of the period's ended calls, most frequent first (ties by
    /// name), at most [`TOP_OUTCOMES`].
    pub top_outcomes: Vec<Outcome>,
}

impl Usage {
    /// The calls' mean length in whole seconds (rounded to the nearest); `None` without calls.
    pub fn average_seconds(&self) -> Option<u64> {
        (self.calls > 0).then(|| (self.seconds + self.calls / 2) / self.calls)
    }
}

/// An end reason and how many calls ended with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub end_reason: String,
    pub calls: u64,
}

impl Store {
    /// The account's usage by the calls answered in `[from, to)`.
    pub async fn usage(&self, account_id: &AccountId, from: Timestamp, to: Timestamp) -> StoreResult<Usage> {
        let totals = period(account_id, from, to)
            .select(
                &format!(
                    "COUNT(*) AS call_count, CAST(COALESCE(SUM({CALL_SECONDS}), 0) AS BIGINT) AS seconds, \
                     CAST(COALESCE(SUM(({CALL_SECONDS} + 59) / 60), 0) AS BIGINT) AS minutes"
                ),
                "calls",
                "",
            )
            .fetch_one(&self.pool)
            .await?;
        let mut outcomes = period(account_id, from, to);
        outcomes.and("end_reason IS NOT NULL".into());
        let limit = outcomes.int(i64::from(TOP_OUTCOMES));
        let rows = outcomes
            .select(
                "end_reason, COUNT(*) AS call_count",
                "calls",
                &format!("GROUP BY end_reason ORDER BY call_count DESC, end_reason LIMIT {limit}"),
            )
            .fetch_all(&self.pool)
            .await?;
        let top_outcomes = row::all(rows, |row| {
            Ok(Outcome {
                end_reason: row::text(row, "end_reason")?,
                calls: row::count(row, "call_count")?,
            })
        })?;
        Ok(Usage {
            minutes: row::count(&totals, "minutes")?,
            calls: row::count(&totals, "call_count")?,
            seconds: row::count(&totals, "seconds")?,
            top_outcomes,
        })
    }
}

/// The account's calls answered in `[from, to)` (the index on `(account_id, started_at)`).
fn period(account_id: &AccountId, from: Timestamp, to: Timestamp) -> Conditions {
    let mut conditions = Conditions::of_account(account_id);
    conditions.int_range("started_at", Some(row::millis(from)), Some(row::millis(to)));
    conditions
}
