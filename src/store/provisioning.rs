//! Provisioning runs and their steps, as `provision::Run` writes them: a step is recorded
//! before its vendor request and again after it, so a run a crash cut short can be undone by
//! any instance (migration 0022). The undo of a step is opaque JSON here; `provision` gives it
//! meaning.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::Store;
use super::error::StoreResult;
use super::ids::{AccountId, ProvisioningRunId};
use super::row::{self, StoredWord};

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Its steps are under way on some instance (or were, until it stopped).
    Running,
    /// Every step done.
    Done,
    /// An instance is undoing it.
    Recovering,
    /// Every step undone.
    RolledBack,
    /// Some undo failed; retried later.
    RollbackFailed,
}

impl StoredWord for RunState {
    fn as_stored(&self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Done => "done",
            RunState::Recovering => "recovering",
            RunState::RolledBack => "rolled_back",
            RunState::RollbackFailed => "rollback_failed",
        }
    }

    fn from_stored(word: &str) -> Option<Self> {
        Some(match word {
            "running" => RunState::Running,
            "done" => RunState::Done,
            "recovering" => RunState::Recovering,
            "rolled_back" => RunState::RolledBack,
            "rollback_failed" => RunState::RollbackFailed,
            _ => return None,
        })
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    /// Recorded before its request; its answer never was (a crash, or it failed).
    Started,
    /// Its request answered; `undo` reverses what it did.
    Done,
    /// Undone.
    Undone,
}

impl StoredWord for StepState {
    fn as_stored(&self) -> &'static str {
        match self {
            StepState::Started => "started",
            StepState::Done => "done",
            StepState::Undone => "undone",
        }
    }

    fn from_stored(word: &str) -> Option<Self> {
        Some(match word {
            "started" => StepState::Started,
            "done" => StepState::Done,
            "undone" => StepState::Undone,
            _ => return None,
        })
    }
}

/// One run as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisioningRun {
    pub id: ProvisioningRunId,
    pub account_id: AccountId,
    pub purpose: String,
    pub state: RunState,
    pub failure: Option<String>,
    pub started_at: Timestamp,
    pub touched_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

/// One step as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisioningStep {
    pub seq: i64,
    pub name: String,
    pub state: StepState,
    /// JSON; `None` when there is nothing to undo.
    pub undo: Option<String>,
    pub undo_error: Option<String>,
}

impl ProvisioningRun {
    fn from_row(row: &AnyRow) -> StoreResult<ProvisioningRun> {
        Ok(ProvisioningRun {
            id: ProvisioningRunId::from(row::text(row, "id")?),
            account_id: AccountId::from(row::text(row, "account_id")?),
            purpose: row::text(row, "purpose")?,
            state: row::word(row, "state")?,
            failure: row::opt_text(row, "failure")?,
            started_at: row::instant(row, "started_at")?,
            touched_at: row::instant(row, "touched_at")?,
            finished_at: row::opt_instant(row, "finished_at")?,
        })
    }
}

impl ProvisioningStep {
    fn from_row(row: &AnyRow) -> StoreResult<ProvisioningStep> {
        Ok(ProvisioningStep {
            seq: row::int(row, "seq")?,
            name: row::text(row, "name")?,
            state: row::word(row, "state")?,
            undo: row::opt_text(row, "undo")?,
            undo_error: row::opt_text(row, "undo_error")?,
        })
    }
}

macro_rules! run_columns {
    () => {
        "id, account_id, purpose, state, failure, started_at, touched_at, finished_at"
    };
}

impl Store {
    /// Records a new run, `running`.
    pub async fn begin_provisioning_run(
        &self,
        account: &AccountId,
        purpose: &str,
        now: Timestamp,
    ) -> StoreResult<ProvisioningRunId> {
        let id = ProvisioningRunId::generate();
        sqlx::query(
            "INSERT INTO provisioning_runs (id, account_id, purpose, state, started_at, touched_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(id.as_str())
        .bind(account.as_str())
        .bind(purpose)
        .bind(RunState::Running.as_stored())
        .bind(row::millis(now))
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    /// Records step `seq` as started, with what undoes it if its answer is never recorded.
    pub async fn start_provisioning_step(
        &self,
        run: &ProvisioningRunId,
        seq: i64,
        name: &str,
        if_interrupted: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO provisioning_steps (run_id, seq, name, state, undo) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(run.as_str())
        .bind(seq)
        .bind(name)
        .bind(StepState::Started.as_stored())
        .bind(if_interrupted)
        .execute(&mut *tx)
        .await?;
        touch(&mut tx, run, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records step `seq` as done, with the undo of what it did.
    pub async fn finish_provisioning_step(
        &self,
        run: &ProvisioningRunId,
        seq: i64,
        undo: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE provisioning_steps SET state = $1, undo = $2 WHERE run_id = $3 AND seq = $4")
            .bind(StepState::Done.as_stored())
            .bind(undo)
            .bind(run.as_str())
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        touch(&mut tx, run, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the outcome of undoing step `seq`: undone, or why not.
    pub async fn record_provisioning_undo(
        &self,
        run: &ProvisioningRunId,
        seq: i64,
        failure: Option<&str>,
    ) -> StoreResult<()> {
        let query = match failure {
            None => sqlx::query(
                "UPDATE provisioning_steps SET state = $1, undo_error = NULL WHERE run_id = $2 AND seq = $3",
            )
            .bind(StepState::Undone.as_stored()),
            Some(why) => {
                sqlx::query("UPDATE provisioning_steps SET undo_error = $1 WHERE run_id = $2 AND seq = $3")
                    .bind(why)
            }
        };
        query.bind(run.as_str()).bind(seq).execute(&self.pool).await?;
        Ok(())
    }

    /// Ends the run in `state` (`failure` in words for a run that did not finish).
    pub async fn end_provisioning_run(
        &self,
        run: &ProvisioningRunId,
        state: RunState,
        failure: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let finished = matches!(state, RunState::Done | RunState::RolledBack).then(|| row::millis(now));
        sqlx::query(
            "UPDATE provisioning_runs SET state = $1, failure = COALESCE($2, failure), touched_at = $3, \
             finished_at = $4 WHERE id = $5",
        )
        .bind(state.as_stored())
        .bind(failure)
        .bind(row::millis(now))
        .bind(finished)
        .bind(run.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The runs to undo: left `running`, `recovering` or `rollback_failed` and untouched since
    /// `stale_before`, oldest first, at most `limit`.
    pub async fn stale_provisioning_runs(
        &self,
        stale_before: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<ProvisioningRun>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            run_columns!(),
            " FROM provisioning_runs WHERE state IN ($1, $2, $3) AND touched_at < $4 \
             ORDER BY touched_at, id LIMIT $5"
        ))
        .bind(RunState::Running.as_stored())
        .bind(RunState::Recovering.as_stored())
        .bind(RunState::RollbackFailed.as_stored())
        .bind(row::millis(stale_before))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, ProvisioningRun::from_row)
    }

    /// Claims a stale run for this instance to undo: `true` when no other instance claimed
    /// (or touched) it since it was read as `seen`.
    pub async fn claim_provisioning_run(&self, seen: &ProvisioningRun, now: Timestamp) -> StoreResult<bool> {
        let claimed = sqlx::query(
            "UPDATE provisioning_runs SET state = $1, touched_at = $2 WHERE id = $3 AND state = $4 AND touched_at = $5",
        )
        .bind(RunState::Recovering.as_stored())
        .bind(row::millis(now))
        .bind(seen.id.as_str())
        .bind(seen.state.as_stored())
        .bind(row::millis(seen.touched_at))
        .execute(&self.pool)
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    pub async fn provisioning_run(&self, run: &ProvisioningRunId) -> StoreResult<ProvisioningRun> {
        let found = sqlx::query(concat!(
            "SELECT ",
            run_columns!(),
            " FROM provisioning_runs WHERE id = $1"
        ))
        .bind(run.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row::required(found, "provisioning run", ProvisioningRun::from_row)
    }

    /// The run's steps, in the order they were taken.
    pub async fn provisioning_steps(&self, run: &ProvisioningRunId) -> StoreResult<Vec<ProvisioningStep>> {
        let rows = sqlx::query(
            "SELECT seq, name, state, undo, undo_error FROM provisioning_steps WHERE run_id = $1 ORDER BY seq",
        )
        .bind(run.as_str())
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, ProvisioningStep::from_row)
    }
}

async fn touch(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    run: &ProvisioningRunId,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query("UPDATE provisioning_runs SET touched_at = $1 WHERE id = $2")
        .bind(row::millis(now))
        .bind(run.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
