//! What a tool can fail with, and the sentence the agent says to the caller when it does.
//!
//! Every variant carries or produces a sentence fit to be read aloud: a tool error is never a
//! dropped call, it is the agent telling the caller what went wrong and what to do next.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// The parameters are missing or malformed; the sentence says what is needed.
    #[error("{0}")]
    BadInput(String),
    /// Something the caller named (a meeting type, a booking) is not in this agent's scope.
    #[error("{0}")]
    NotFound(String),
    /// The request is understood but the rules refuse it (the time was taken, too soon, …).
    #[error("{0}")]
    Refused(String),
    /// The tool name is not one this line offers.
    #[error("The tool `{0}` is not available on this line.")]
    UnknownTool(String),
    /// Stored data or configuration this build cannot use; the detail is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
    /// Storage failed; the detail is for the log only.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
}

pub type ToolResult<T> = Result<T, ToolError>;

impl ToolError {
    /// What the agent tells the caller. Internal details never reach the caller.
    pub fn sentence(&self) -> String {
        match self {
            ToolError::BadInput(sentence) | ToolError::NotFound(sentence) | ToolError::Refused(sentence) => {
                sentence.clone()
            }
            ToolError::UnknownTool(_) => self.to_string(),
            ToolError::Store(error) if error.is_retryable() => {
                "The booking system is busy right now. Please apologise and offer to try again in a moment."
                    .to_owned()
            }
            ToolError::Internal(_) | ToolError::Store(_) => {
                "I can't reach the booking system right now. Please apologise and offer to take a message."
                    .to_owned()
            }
        }
    }

    /// True for failures of this system rather than of the request: worth logging.
    pub fn is_internal(&self) -> bool {
        matches!(self, ToolError::Internal(_) | ToolError::Store(_))
    }

    pub(crate) fn bad_input(sentence: impl Into<String>) -> Self {
        ToolError::BadInput(sentence.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_details_never_reach_the_caller() {
        let unavailable = ToolError::Store(StoreError::Unavailable {
            reason: "cannot open postgres://u:redacted@db/x".into(),
        });
        assert!(!unavailable.sentence().contains("postgres"));
        assert!(unavailable.is_internal());
        let busy = ToolError::Store(StoreError::Busy {
            reason: "deadlock".into(),
        });
        assert!(busy.sentence().contains("try again"), "{}", busy.sentence());
        let internal = ToolError::Internal("bad weekday 9".into());
        assert!(!internal.sentence().contains("weekday"));
    }

    #[test]
    fn caller_facing_errors_are_said_as_they_are() {
        let refused = ToolError::Refused("That time was just taken.".into());
        assert_eq!(refused.sentence(), "That time was just taken.");
        assert!(!refused.is_internal());
        assert_eq!(
            ToolError::UnknownTool("fly".into()).sentence(),
            "The tool `fly` is not available on this line."
        );
    }
}
