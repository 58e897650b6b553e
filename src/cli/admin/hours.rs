//! `switchboard admin hours`: a host's weekly hours, and the dates that differ from them
//! (an override with its own ranges or closed all day, a blackout date).

use clap::{Args, Subcommand};

use crate::http::api::Listed;
use crate::http::api::schedules::{BlackoutBody, DateOverrideBody, WeeklyHoursBody};
use crate::manage::schedules::{
    self, BlackoutInput, DateOverrideInput, RangeInput, WeeklyHoursInput, WeeklyRangeInput,
};
use crate::manage::{Accounts, Scope};
use crate::store::Store;

use super::account_arg::AccountArg;
use super::failure::OrFlag;
use super::output::{Deleted, Output, fields, or_dash, table};
use super::schedule_args::{DateRangesArgs, ScheduleArgs};

#[derive(Debug, Subcommand)]
pub enum HoursCommand {
    /// The host's weekly hours.
    Show {
        host_id: String,
        #[command(flatten)]
        account: AccountArg,
    },
    /// Replaces the host's weekly hours: `--day monday --start 09:00 --end 17:00`, repeated, or
    /// `--closed` for none.
    #[command(group(clap::ArgGroup::new("week").required(true).multiple(true).args(["day", "closed"])))]
    Set {
        host_id: String,
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        schedule: ScheduleArgs,
        /// No weekly hours at all (date overrides can still open single dates).
        #[arg(long, conflicts_with_all = ["day", "start", "end"])]
        closed: bool,
    },
    /// Gives a date its own ranges (`--start`/`--end`, repeated) or closes it (`--closed`);
    /// `--remove` gives it back its weekly hours.
    #[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["start", "closed", "remove"])))]
    Override {
        host_id: String,
        #[command(flatten)]
        account: AccountArg,
        /// `YYYY-MM-DD`, in the host's time zone.
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: String,
        #[command(flatten)]
        ranges: DateRangesArgs,
        #[arg(long, conflicts_with_all = ["start", "end", "remove"])]
        closed: bool,
        #[arg(long, conflicts_with_all = ["start", "end"])]
        remove: bool,
    },
    /// The host's date overrides, by date.
    Overrides {
        host_id: String,
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        window: DateWindowArgs,
    },
    /// Blacks a date out (no bookings at all), or `--remove`s the blackout.
    Blackout {
        host_id: String,
        #[command(flatten)]
        account: AccountArg,
        /// `YYYY-MM-DD`, in the host's time zone.
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: String,
        /// Why, for people reading it later.
        #[arg(long, conflicts_with = "remove")]
        reason: Option<String>,
        #[arg(long)]
        remove: bool,
    },
    /// The host's blackout dates, by date.
    Blackouts {
        host_id: String,
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        window: DateWindowArgs,
    },
}

/// Which dates to list; both bounds inclusive, each optional.
#[derive(Debug, Args)]
pub struct DateWindowArgs {
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: Option<String>,
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: Option<String>,
}

pub async fn run(
    command: HoursCommand,
    accounts: &Accounts,
    store: &Store,
    out: Output,
) -> anyhow::Result<()> {
    let scope = |account: AccountArg| async move { account.scope(accounts).await };
    match command {
        HoursCommand::Show { host_id, account } => {
            let scope: Scope = scope(account).await?;
            let week =
                WeeklyHoursBody::from(schedules::weekly_hours(store, &scope, &host_id).await.or_flag()?);
            out.emit(&week, week_text)
        }
        HoursCommand::Set {
            host_id,
            account,
            schedule,
            closed: _,
        } => {
            let ranges = schedule
                .ranges()?
                .unwrap_or_default()
                .into_iter()
                .map(|range| WeeklyRangeInput {
                    day: Some(range.day),
                    start: Some(range.start),
                    end: Some(range.end),
                })
                .collect();
            let input = WeeklyHoursInput { ranges: Some(ranges) };
            let week = WeeklyHoursBody::from(
                schedules::set_weekly_hours(store, &scope(account).await?, &host_id, input)
                    .await
                    .or_flag()?,
            );
            out.emit(&week, week_text)
        }
        HoursCommand::Override {
            host_id,
            account,
            date,
            ranges,
            closed,
            remove,
        } => {
            let scope = scope(account).await?;
            if remove {
                schedules::remove_date_override(store, &scope, &host_id, &date)
                    .await
                    .or_flag()?;
                return Deleted::emit(out, "the override of", date);
            }
            let pairs = ranges.pairs()?;
            let input = DateOverrideInput {
                ranges: (!closed).then(|| {
                    pairs
                        .into_iter()
                        .map(|(start, end)| RangeInput {
                            start: Some(start),
                            end: Some(end),
                        })
                        .collect()
                }),
                closed: closed.then_some(true),
            };
            let day = DateOverrideBody::from(
                schedules::set_date_override(store, &scope, &host_id, &date, input)
                    .await
                    .or_flag()?,
            );
            out.emit(&day, |day| override_table(std::slice::from_ref(day)))
        }
        HoursCommand::Overrides {
            host_id,
            account,
            window,
        } => {
            let days = schedules::date_overrides(
                store,
                &scope(account).await?,
                &host_id,
                window.from.as_deref(),
                window.to.as_deref(),
            )
            .await
            .or_flag()?;
            let listed = Listed {
                data: days.into_iter().map(DateOverrideBody::from).collect::<Vec<_>>(),
                next_cursor: None,
            };
            out.emit(&listed, |listed| override_table(&listed.data))
        }
        HoursCommand::Blackout {
            host_id,
            account,
            date,
            reason,
            remove,
        } => {
            let scope = scope(account).await?;
            if remove {
                schedules::remove_blackout(store, &scope, &host_id, &date)
                    .await
                    .or_flag()?;
                return Deleted::emit(out, "the blackout of", date);
            }
            let day = BlackoutBody::from(
                schedules::set_blackout(store, &scope, &host_id, &date, BlackoutInput { reason })
                    .await
                    .or_flag()?,
            );
            out.emit(&day, |day| {
                fields(&[
                    ("date", day.date.clone()),
                    ("reason", or_dash(day.reason.as_deref())),
                ])
            })
        }
        HoursCommand::Blackouts {
            host_id,
            account,
            window,
        } => {
            let days = schedules::blackouts(
                store,
                &scope(account).await?,
                &host_id,
                window.from.as_deref(),
                window.to.as_deref(),
            )
            .await
            .or_flag()?;
            let listed = Listed {
                data: days.into_iter().map(BlackoutBody::from).collect::<Vec<_>>(),
                next_cursor: None,
            };
            out.emit(&listed, |listed| {
                let rows: Vec<Vec<String>> = listed
                    .data
                    .iter()
                    .map(|day| vec![day.date.clone(), or_dash(day.reason.as_deref())])
                    .collect();
                table(&["DATE", "REASON"], &rows, "no blackout dates")
            })
        }
    }
}

fn week_text(week: &WeeklyHoursBody) -> String {
    let rows: Vec<Vec<String>> = week
        .ranges
        .iter()
        .flatten()
        .map(|range| {
            vec![
                range.day.clone().unwrap_or_default(),
                range.start.clone().unwrap_or_default(),
                range.end.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(&["DAY", "START", "END"], &rows, "closed every day")
}

fn override_table(days: &[DateOverrideBody]) -> String {
    let rows: Vec<Vec<String>> = days
        .iter()
        .map(|day| {
            let ranges: Vec<String> = day
                .ranges
                .iter()
                .map(|range| {
                    format!(
                        "{}-{}",
                        range.start.as_deref().unwrap_or_default(),
                        range.end.as_deref().unwrap_or_default()
                    )
                })
                .collect();
            let hours = if day.closed {
                "closed".to_owned()
            } else {
                ranges.join(", ")
            };
            vec![day.date.clone(), hours]
        })
        .collect();
    table(&["DATE", "HOURS"], &rows, "no date overrides")
}
