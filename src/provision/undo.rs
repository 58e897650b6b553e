//! What undoes a provisioning step: an [`Undo`] is data (a kind and its JSON), stored with the
//! step, so that any instance can undo a run another one started; the [`Undoers`] map each kind
//! to the action that carries it out at the vendor.

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The undo of one step, as stored: `kind` names the action, `data` is its argument.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Undo {
    pub kind: String,
    pub data: Value,
}

impl Undo {
    pub fn new(kind: &str, data: Value) -> Undo {
        Undo {
            kind: kind.to_owned(),
            data,
        }
    }
}

/// Carries out one kind of undo. It must be idempotent: what is already gone counts as
/// undone, since a crash can come between the undo and its record.
pub trait UndoAction: Send + Sync {
    /// Undoes, or says in words why it could not.
    fn undo<'a>(&'a self, data: &'a Value) -> BoxFuture<'a, Result<(), String>>;
}

/// The undo actions by kind.
#[derive(Clone, Default)]
pub struct Undoers {
    actions: HashMap<&'static str, Arc<dyn UndoAction>>,
}

impl Undoers {
    /// Adds the action for `kind` (a later one for the same kind replaces it).
    pub fn with(mut self, kind: &'static str, action: Arc<dyn UndoAction>) -> Undoers {
        self.actions.insert(kind, action);
        self
    }

    /// Carries out `undo`; an unknown kind is a failure, said in words.
    pub async fn run(&self, undo: &Undo) -> Result<(), String> {
        match self.actions.get(undo.kind.as_str()) {
            Some(action) => action.undo(&undo.data).await,
            None => Err(format!("this server cannot undo a step of kind {:?}", undo.kind)),
        }
    }
}

impl std::fmt::Debug for Undoers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut kinds: Vec<_> = self.actions.keys().collect();
        kinds.sort();
        f.debug_struct("Undoers").field("kinds", &kinds).finish()
    }
}
