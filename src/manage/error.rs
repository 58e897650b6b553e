//! What a management use case fails with, in words a person can act on.
//!
//! Each failure has a stable machine-readable `code` and a sentence; `field` names the input
//! at fault when there is one. The HTTP layer turns them into statuses in one place.

use crate::store::{Constraint, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    /// Bad input: `field` (as the client spelled it) and what is wrong with it.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },

    /// The row does not exist in this account (or belongs to another one).
    #[error("{what} not found")]
    NotFound { what: &'static str },

    /// The request clashes with what is stored (a number already taken, a slot gone, a row
    /// still in use).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },

    /// The account's plan does not allow it (an agent beyond the plan's limit, a number on a
    /// plan without numbers).
    #[error("{message}")]
    PlanLimit { message: String },

    /// The key may not do this (an account key asking for an operator's action).
    #[error("{message}")]
    Forbidden { message: String },

    #[error(transparent)]
    Store(StoreError),

    /// The booking rules refuse the time asked for (taken, outside opening hours, too soon, …):
    /// `code` says which, `alternatives` are the next free starts, on the requester's clock.
    #[error("{message}")]
    Refused {
        code: &'static str,
        message: String,
        alternatives: Vec<jiff::Zoned>,
    },

    /// The server lacks the settings this needs (numbers without Twilio credentials).
    #[error("{message}")]
    NotConfigured { message: String },

    /// Stored data this build cannot use (a host's unknown time zone, a broken event type).
    #[error("internal error: {0}")]
    Internal(String),

    /// A vendor refused or failed a provisioning run: what failed, in words, and whether
    /// everything the run did was undone.
    #[error("{message}")]
    ProvisioningFailed { message: String },
}

pub type ManageResult<T> = Result<T, ManageError>;

impl ManageError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ManageError {
        ManageError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> ManageError {
        ManageError::Conflict {
            code,
            message: message.into(),
        }
    }

    /// The stable code a client can branch on.
    pub fn code(&self) -> &'static str {
        match self {
            ManageError::Invalid { .. } => "invalid",
            ManageError::NotFound { .. } => "not_found",
            ManageError::Conflict { code, .. } => code,
            ManageError::PlanLimit { .. } => "plan_limit",
            ManageError::Forbidden { .. } => "forbidden",
            ManageError::Refused { code, .. } => code,
            ManageError::Internal(_) => "internal",
            ManageError::ProvisioningFailed { .. } => "provisioning_failed",
            ManageError::NotConfigured { .. } => "not_configured",
            ManageError::Store(StoreError::Invalid { .. }) => "invalid",
            ManageError::Store(StoreError::NotFound { .. }) => "not_found",
            ManageError::Store(StoreError::Conflict { .. }) => "conflict",
            ManageError::Store(StoreError::Busy { .. } | StoreError::Unavailable { .. }) => "unavailable",
            ManageError::Store(_) => "internal",
        }
    }
}

impl From<StoreError> for ManageError {
    /// A store refusal becomes the management error it means: a bad value names its field, a
    /// unique rule says what clashed. The rest stays a store failure.
    fn from(error: StoreError) -> ManageError {
        match error {
            StoreError::Invalid { what, reason } => ManageError::Invalid {
                field: what.replace(' ', "_"),
                message: reason,
            },
            StoreError::NotFound { what } => ManageError::NotFound { what },
            StoreError::Conflict { constraint } => conflict_of(constraint),
            other => ManageError::Store(other),
        }
    }
}

fn conflict_of(constraint: Constraint) -> ManageError {
    match constraint {
        Constraint::AgentPhoneNumber => ManageError::conflict(
            "phone_number_taken",
            "Another agent already answers this phone number.",
        ),
        Constraint::EventTypeSlug => ManageError::conflict(
            "slug_taken",
            "This account already has an event type with this slug.",
        ),
        Constraint::BookingSlot => ManageError::conflict(
            "slot_taken",
            "The host already has a booking starting at this time.",
        ),
        Constraint::ContactPhone => ManageError::conflict(
            "contact_exists",
            "This account already has a contact with this phone number.",
        ),
        Constraint::ForeignKey(_) => ManageError::conflict(
            "in_use",
            "The row is referenced by other rows, or refers to one that does not exist in this account.",
        ),
        Constraint::MenuPhoneNumber => ManageError::conflict(
            "number_has_menu",
            "This phone number answers with a menu; delete the menu to give the number to an agent.",
        ),
        Constraint::AgentHasNumber => ManageError::conflict(
            "agent_has_number",
            "The agent already has a phone number from Twilio; give it up first (DELETE /agents/{id}/phone).",
        ),
        Constraint::NumberHeld => ManageError::conflict(
            "number_held",
            "This phone number was given up by another account and is held until its release.",
        ),
        other => ManageError::conflict("conflict", format!("Conflict: {other}.")),
    }
}
