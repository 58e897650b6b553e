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

/// The flag a management error's field stands for: `max_agents` and `redirectNumber` are
/// `--max-agents` and `--redirect-number`; `schedule[2].start` is the third `--start`.
pub fn flag_of(field: &str) -> String {
    let mut path = String::new();
    let mut index = None;
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c == '[' {
            let number: String = chars.by_ref().take_while(|c| *c != ']').collect();
            index = index.or(number.parse::<usize>().ok());
        } else {
            path.push(c);
        }
    }
    let flag = match path.as_str() {
        "fallback.mode" => "--fallback".to_owned(),
        "schedule" | "ranges" => "--day/--start/--end".to_owned(),
        other => {
            let name = ["schedule.", "ranges."]
                .iter()
                .find_map(|list| other.strip_prefix(list))
                .unwrap_or(other);
            let mut flag = String::from("--");
            for c in name.chars() {
                match c {
                    '_' | '.' => flag.push('-'),
                    c if c.is_ascii_uppercase() => {
                        flag.push('-');
                        flag.push(c.to_ascii_lowercase());
                    }
                    c => flag.push(c),
                }
            }
            flag
        }
    };
    match index {
        Some(index) => format!("{flag} (range {})", index + 1),
        None => flag,
    }
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
        assert_eq!(flag_of("redirectNumber"), "--redirect-number");
        assert_eq!(flag_of("fallback.number"), "--fallback-number");
        assert_eq!(flag_of("fallback.mode"), "--fallback");
        assert_eq!(flag_of("schedule[2].start"), "--start (range 3)");
        assert_eq!(flag_of("ranges[0]"), "--day/--start/--end (range 1)");
        let error = from_manage(ManageError::NotFound { what: "account" });
        assert!(error.downcast_ref::<UsageError>().is_none());
        assert_eq!(error.to_string(), "account not found");
    }
}
