//! A provisioning run: vendor requests taken as steps, each recorded before and after it, and
//! undone in reverse when a later one fails.
//!
//! A step is written as started, with its "if interrupted" undo (what finds and removes what
//! its request may have done, e.g. a number bought with the run's marker as its name), before
//! the request; then as done, with the undo of what it did. A request that fails may still
//! have done its work (a timeout after the vendor acted), so a failed step's "if interrupted"
//! undo runs too. A run dropped without [`Run::finish`] stays `running` in the store, and the
//! recovery worker undoes it once it is stale.

use std::fmt::Display;

use jiff::Timestamp;

use super::undo::{Undo, Undoers};
use super::{ProvisionError, Provisioner};
use crate::store::{AccountId, ProvisioningRunId, RunState, Store};

/// One step as the caller describes it.
#[derive(Debug, Clone)]
pub struct Step {
    /// What it does, in words ("buy the number +14155550100"): the API's answer names the step
    /// that failed with it.
    pub name: String,
    /// What undoes the step's possible effect when its answer never comes.
    pub if_interrupted: Option<Undo>,
}

impl Step {
    pub fn new(name: impl Into<String>) -> Step {
        Step {
            name: name.into(),
            if_interrupted: None,
        }
    }

    pub fn if_interrupted(mut self, undo: Undo) -> Step {
        self.if_interrupted = Some(undo);
        self
    }
}

/// How a rollback went: the steps whose undo failed (retried later by the recovery worker).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollback {
    pub not_undone: Vec<String>,
}

impl Rollback {
    pub fn is_complete(&self) -> bool {
        self.not_undone.is_empty()
    }
}

/// A step taken, in memory, for the rollback.
#[derive(Debug, Clone)]
pub(super) struct Taken {
    pub seq: i64,
    pub name: String,
    pub undo: Option<Undo>,
}

/// A run under way. Dropping it unfinished leaves it to the recovery worker.
#[must_use = "a run must be finished or failed, else the recovery worker undoes it"]
pub struct Run {
    provisioner: Provisioner,
    id: ProvisioningRunId,
    purpose: String,
    taken: Vec<Taken>,
    next_seq: i64,
}

impl Run {
    pub(super) async fn begin(
        provisioner: Provisioner,
        account: &AccountId,
        purpose: &str,
    ) -> Result<Run, ProvisionError> {
        let id = provisioner
            .store
            .begin_provisioning_run(account, purpose, Timestamp::now())
            .await?;
        tracing::info!(run = %id, account = %account, purpose, "provisioning started");
        Ok(Run {
            provisioner,
            id,
            purpose: purpose.to_owned(),
            taken: Vec::new(),
            next_seq: 0,
        })
    }

    pub fn id(&self) -> &ProvisioningRunId {
        &self.id
    }

    /// A label the resources this run creates carry (an ElevenLabs agent's tag, a Twilio
    /// number's FriendlyName), so that an "if interrupted" undo can find them.
    pub fn marker(&self) -> String {
        marker_of(&self.id)
    }

    /// Records `step`, runs `action`, and records the undo `undo_of` gives for its output.
    /// When the action fails, the run is rolled back and the failure returned.
    pub async fn step<T, E: Display>(
        &mut self,
        step: Step,
        action: impl Future<Output = Result<T, E>>,
        undo_of: impl FnOnce(&T) -> Option<Undo>,
    ) -> Result<T, ProvisionError> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let store = &self.provisioner.store;
        let interrupted = step.if_interrupted.as_ref().map(json);
        if let Err(error) = store
            .start_provisioning_step(
                &self.id,
                seq,
                &step.name,
                interrupted.as_deref(),
                Timestamp::now(),
            )
            .await
        {
            // Nothing of this step happened; undo the ones before it.
            return Err(self
                .roll_back(&step.name, format!("the database refused it: {error}"))
                .await);
        }
        match action.await {
            Ok(output) => {
                let undo = undo_of(&output);
                let recorded = store
                    .finish_provisioning_step(
                        &self.id,
                        seq,
                        undo.as_ref().map(json).as_deref(),
                        Timestamp::now(),
                    )
                    .await;
                self.taken.push(Taken {
                    seq,
                    name: step.name.clone(),
                    undo,
                });
                match recorded {
                    Ok(()) => Ok(output),
                    Err(error) => Err(self
                        .roll_back(&step.name, format!("its result could not be recorded: {error}"))
                        .await),
                }
            }
            Err(cause) => {
                self.taken.push(Taken {
                    seq,
                    name: step.name.clone(),
                    undo: step.if_interrupted,
                });
                Err(self.roll_back(&step.name, cause.to_string()).await)
            }
        }
    }

    /// Every step done: the run is finished.
    pub async fn finish(self) -> Result<(), ProvisionError> {
        self.provisioner
            .store
            .end_provisioning_run(&self.id, RunState::Done, None, Timestamp::now())
            .await?;
        tracing::info!(run = %self.id, purpose = %self.purpose, "provisioning finished");
        Ok(())
    }

    /// A failure outside a step (the row refused after the vendor steps): the steps are undone.
    pub async fn fail(mut self, step: &str, cause: impl Display) -> ProvisionError {
        self.roll_back(step, cause.to_string()).await
    }

    async fn roll_back(&mut self, step: &str, cause: String) -> ProvisionError {
        let taken = std::mem::take(&mut self.taken);
        let provisioner = &self.provisioner;
        let rollback = undo_in_reverse(&provisioner.store, &provisioner.undoers, &self.id, taken).await;
        let error = ProvisionError::Failed {
            step: step.to_owned(),
            cause,
            rollback,
        };
        let state = match &error {
            ProvisionError::Failed { rollback, .. } if rollback.is_complete() => RunState::RolledBack,
            _ => RunState::RollbackFailed,
        };
        let failure = error.to_string();
        tracing::warn!(run = %self.id, purpose = %self.purpose, %failure, "provisioning failed");
        if let Err(store_error) = provisioner
            .store
            .end_provisioning_run(&self.id, state, Some(&failure), Timestamp::now())
            .await
        {
            tracing::error!(run = %self.id, error = %store_error, "the failed run's state could not be recorded; the recovery worker will see it");
        }
        error
    }
}

/// Undoes `taken` last first; each outcome recorded where the store lets it be.
pub(super) async fn undo_in_reverse(
    store: &Store,
    undoers: &Undoers,
    run: &ProvisioningRunId,
    taken: Vec<Taken>,
) -> Rollback {
    let mut rollback = Rollback::default();
    for step in taken.into_iter().rev() {
        let outcome = match &step.undo {
            None => Ok(()),
            Some(undo) => undoers.run(undo).await,
        };
        if let Err(why) = &outcome {
            tracing::warn!(%run, step = %step.name, %why, "a provisioning step could not be undone");
            rollback.not_undone.push(step.name.clone());
        }
        if let Err(error) = store
            .record_provisioning_undo(run, step.seq, outcome.as_ref().err().map(String::as_str))
            .await
        {
            tracing::error!(%run, step = %step.name, %error, "the undo's outcome could not be recorded");
        }
    }
    rollback
}

fn json(undo: &Undo) -> String {
    serde_json::to_string(undo).expect("an undo is plain JSON")
}

pub(super) fn marker_of(run: &ProvisioningRunId) -> String {
    format!("sb-{run}")
}
