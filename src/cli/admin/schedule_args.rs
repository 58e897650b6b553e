//! Opening ranges on the command line: a week's as `--day monday --start 09:00 --end 17:00`,
//! a date's as `--start 09:00 --end 12:00`, repeated, the n-th of each flag making the n-th
//! range.

use crate::hours::RangeInput;

use super::failure::UsageError;

#[derive(Debug, Clone, clap::Args)]
pub struct ScheduleArgs {
    /// A range's day, `monday` to `sunday` (repeat with `--start` and `--end` for each range).
    #[arg(long, value_name = "DAY")]
    day: Vec<String>,
    /// A range's start, `HH:MM`.
    #[arg(long, value_name = "HH:MM")]
    start: Vec<String>,
    /// A range's end, `HH:MM` (up to `24:00`; at or before the start it runs past midnight).
    #[arg(long, value_name = "HH:MM")]
    end: Vec<String>,
}

impl ScheduleArgs {
    /// The ranges given, or `None` when there are none.
    pub fn ranges(&self) -> Result<Option<Vec<RangeInput>>, UsageError> {
        let counts = [
            ("--day", self.day.len()),
            ("--start", self.start.len()),
            ("--end", self.end.len()),
        ];
        if ranges_given(&counts, "--day, --start and --end")? == 0 {
            return Ok(None);
        }
        Ok(Some(
            self.day
                .iter()
                .zip(&self.start)
                .zip(&self.end)
                .map(|((day, start), end)| RangeInput {
                    day: day.clone(),
                    start: start.clone(),
                    end: end.clone(),
                })
                .collect(),
        ))
    }
}

/// A date's ranges: `--start 09:00 --end 12:00`, repeated.
#[derive(Debug, Clone, clap::Args)]
pub struct DateRangesArgs {
    /// A range's start, `HH:MM` (repeat with `--end` for each range).
    #[arg(long, value_name = "HH:MM")]
    start: Vec<String>,
    /// A range's end, `HH:MM`.
    #[arg(long, value_name = "HH:MM")]
    end: Vec<String>,
}

impl DateRangesArgs {
    /// The `(start, end)` pairs given (none when no flag is).
    pub fn pairs(&self) -> Result<Vec<(String, String)>, UsageError> {
        let counts = [("--start", self.start.len()), ("--end", self.end.len())];
        ranges_given(&counts, "--start and --end")?;
        Ok(self.start.iter().cloned().zip(self.end.iter().cloned()).collect())
    }
}

/// How many ranges the flags make, when each was given as often as the others.
fn ranges_given(counts: &[(&str, usize)], each: &str) -> Result<usize, UsageError> {
    let most = counts.iter().map(|(_, count)| *count).max().unwrap_or(0);
    match counts.iter().find(|(_, count)| *count != most) {
        Some((flag, count)) => Err(UsageError::flag(
            flag,
            format!("given {count} times for {most} ranges; each range is {each}"),
        )),
        None => Ok(most),
    }
}
