//! Provisioning at the vendors: the requests to ElevenLabs and Twilio that create, change or
//! remove what an agent needs there, taken as the steps of a recorded run, each with its undo.
//!
//! A run ([`Run`]) records every step before and after its request; when one fails, the steps
//! before it are undone in reverse and the caller is told what failed, in words
//! ([`ProvisionError`]). A run a crash cut short is undone by the recovery worker
//! ([`recovery`]) at the next start, by whichever instance claims it. The undos are data
//! ([`Undo`]) carried out by the actions registered per kind ([`Undoers`]).

pub mod agent_config;
pub mod elevenlabs_agents;
pub mod elevenlabs_tools;
pub mod elevenlabs_undo;
pub mod elevenlabs_webhook;
pub mod number_holds;
pub mod numbers;
pub mod post_call_secret;
pub mod recovery;
mod run;
mod undo;

use std::sync::Arc;

pub use run::{Rollback, Run, Step};
pub use undo::{Undo, UndoAction, Undoers};

use crate::store::{AccountId, Store, StoreError};

/// Starts runs; cheap to clone.
#[derive(Clone, Debug)]
pub struct Provisioner {
    store: Store,
    undoers: Arc<Undoers>,
}

impl Provisioner {
    pub fn new(store: Store, undoers: Undoers) -> Provisioner {
        Provisioner {
            store,
            undoers: Arc::new(undoers),
        }
    }

    /// Begins a run for `account`; `purpose` says what it is for ("create the agent Ava").
    pub async fn begin(&self, account: &AccountId, purpose: &str) -> Result<Run, ProvisionError> {
        Run::begin(self.clone(), account, purpose).await
    }
}

/// A run that did not finish.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// A step failed; the steps before it were undone, or `rollback` says which were not.
    #[error("{}", failed_in_words(step, cause, rollback))]
    Failed {
        step: String,
        cause: String,
        rollback: Rollback,
    },
    /// The run could not be recorded.
    #[error("provisioning could not be recorded: {0}")]
    Store(#[from] StoreError),
}

fn failed_in_words(step: &str, cause: &str, rollback: &Rollback) -> String {
    if rollback.is_complete() {
        format!("could not {step}: {cause}; everything done before it was undone, nothing was left behind")
    } else {
        format!(
            "could not {step}: {cause}; undoing {} failed too, and is retried in the background",
            rollback.not_undone.join(", ")
        )
    }
}

#[cfg(test)]
mod tests;
