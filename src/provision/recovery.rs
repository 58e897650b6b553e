//! The runs a crash cut short, and the rollbacks whose undo failed: found by their stale
//! `touched_at`, claimed by one instance, and undone from their recorded steps. Started at
//! every start and then every minute, by the workers' shutdown.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::Provisioner;
use super::run::{Taken, undo_in_reverse};
use super::undo::Undo;
use crate::shutdown::Shutdown;
use crate::store::{ProvisioningRun, RunState, StepState, StoreResult};

/// A run untouched this long is no longer under way anywhere: every step touches its run, and
/// a vendor request times out well within it.
pub const STALE_AFTER: SignedDuration = SignedDuration::from_secs(120);
/// How often the worker looks.
pub const EVERY: Duration = Duration::from_secs(60);
/// Runs undone per round at most.
const BATCH: i64 = 50;

/// What a round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovered {
    /// Runs now fully undone.
    pub rolled_back: usize,
    /// Runs with an undo that failed again (retried next round).
    pub still_failing: usize,
}

/// Starts the worker: a round now, then every [`EVERY`].
pub fn start(provisioner: Provisioner, workers: &Shutdown) {
    workers.spawn_every(EVERY, move || {
        let provisioner = provisioner.clone();
        async move {
            match recover(&provisioner, Timestamp::now()).await {
                Ok(round) if round != Recovered::default() => {
                    tracing::info!(rolled_back = round.rolled_back, still_failing = round.still_failing, "provisioning recovery round");
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "provisioning recovery could not read the runs; retrying next round"),
            }
        }
    });
}

/// Undoes every run stale at `now` that this instance can claim.
pub async fn recover(provisioner: &Provisioner, now: Timestamp) -> StoreResult<Recovered> {
    let store = &provisioner.store;
    let mut round = Recovered::default();
    for run in store.stale_provisioning_runs(now - STALE_AFTER, BATCH).await? {
        if !store.claim_provisioning_run(&run, now).await? {
            continue; // another instance took it
        }
        let rolled_back = undo_run(provisioner, &run, now).await?;
        if rolled_back {
            round.rolled_back += 1;
        } else {
            round.still_failing += 1;
        }
    }
    Ok(round)
}

async fn undo_run(provisioner: &Provisioner, run: &ProvisioningRun, now: Timestamp) -> StoreResult<bool> {
    let store = &provisioner.store;
    let mut taken = Vec::new();
    for step in store.provisioning_steps(&run.id).await? {
        if step.state == StepState::Undone {
            continue;
        }
        let undo = match step.undo.as_deref().map(serde_json::from_str::<Undo>) {
            None => None,
            Some(Ok(undo)) => Some(undo),
            Some(Err(error)) => {
                tracing::error!(run = %run.id, step = %step.name, %error, "a stored undo is not readable; leaving the run for a person to look at");
                store
                    .end_provisioning_run(
                        &run.id,
                        RunState::RollbackFailed,
                        Some("a stored undo is not readable"),
                        now,
                    )
                    .await?;
                return Ok(false);
            }
        };
        taken.push(Taken {
            seq: step.seq,
            name: step.name,
            undo,
        });
    }
    let rollback = undo_in_reverse(store, &provisioner.undoers, &run.id, taken).await;
    let (state, failure) = if rollback.is_complete() {
        let why = match run.state {
            RunState::Running | RunState::Recovering => {
                Some("the server stopped in the middle; every step was undone")
            }
            _ => None,
        };
        (RunState::RolledBack, why.map(str::to_owned))
    } else {
        (
            RunState::RollbackFailed,
            Some(format!("could not undo: {}", rollback.not_undone.join(", "))),
        )
    };
    tracing::info!(run = %run.id, purpose = %run.purpose, complete = rollback.is_complete(), "provisioning run recovered");
    store
        .end_provisioning_run(&run.id, state, failure.as_deref(), now)
        .await?;
    Ok(rollback.is_complete())
}
