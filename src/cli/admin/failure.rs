//! How an admin command fails: bad input (exit 2) names the flag at fault; anything else
//! (a row not found, a conflict, the database) exits 1. Both print one line on stderr.

use crate::manage::ManageError;

/// Input the command cannot take: exit code 2. Its message starts with the flag at fault.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl UsageError {
    pub fn flag(flag: &str, message: impl std::fmt::Display) -> UsageError {
        UsageError(format!("{flag}: {message}"))
    }
}

/// The flag a management error's field stands for (`max_agents` is `--max-agents`).
pub fn flag_of(field: &str) -> String {
    format!("--{}", field.replace('_', "-"))
}

/// A management error as the command line says it: bad input names its flag.
pub fn from_manage(error: ManageError) -> anyhow::Error {
    match error {
        ManageError::Invalid { field, message } => UsageError::flag(&flag_of(&field), message).into(),
        other => anyhow::Error::new(other),
    }
}

/// `?` on a management result, with its error said for the command line.
pub trait OrFlag<T> {
    fn or_flag(self) -> anyhow::Result<T>;
}

impl<T> OrFlag<T> for Result<T, ManageError> {
    fn or_flag(self) -> anyhow::Result<T> {
        self.map_err(from_manage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_field_is_named_as_its_flag_and_other_failures_are_not_usage_errors() {
        let error = from_manage(ManageError::invalid("max_agents", "must be at most 10000"));
        let usage = error
            .downcast_ref::<UsageError>()
            .expect("bad input is a usage error");
        assert_eq!(usage.to_string(), "--max-agents: must be at most 10000");
        let error = from_manage(ManageError::NotFound { what: "account" });
        assert!(error.downcast_ref::<UsageError>().is_none());
        assert_eq!(error.to_string(), "account not found");
    }
}
