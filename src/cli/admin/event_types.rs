//! `switchboard admin event-types`: the kinds of meeting an account offers, each booked on a
//! host's calendar, and the rules their slots follow.

use clap::{Args, Subcommand};

use crate::http::api::event_types::EventTypeBody;
use crate::manage::event_types::{self, EventTypePatch, NewEventTypeInput};
use crate::manage::{Accounts, Scope};
use crate::store::Store;

use super::account_arg::AccountArg;
use super::failure::{OrFlag, UsageError};
use super::list::{ListArgs, more};
use super::output::{Deleted, Output, fields, or_dash, table};

#[derive(Debug, Subcommand)]
pub enum EventTypesCommand {
    /// The account's event types, oldest first.
    List {
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Adds an event type on a host's calendar.
    Create {
        #[command(flatten)]
        account: AccountArg,
        /// The host whose calendar it is booked on.
        #[arg(long, value_name = "HOST_ID")]
        host_id: String,
        /// Unique in the account: lowercase letters, digits and single hyphens.
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "MINUTES")]
        duration_minutes: i64,
        #[command(flatten)]
        rules: Rules,
    },
    /// One event type.
    Show {
        event_type_id: String,
        #[command(flatten)]
        account: AccountArg,
    },
    /// Changes the fields given; `--slot-interval-minutes` and `--per-day-limit` take `none`.
    Set {
        event_type_id: String,
        #[command(flatten)]
        account: AccountArg,
        #[arg(long, value_name = "HOST_ID")]
        host_id: Option<String>,
        #[arg(long)]
        slug: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_name = "MINUTES")]
        duration_minutes: Option<i64>,
        #[command(flatten)]
        rules: Rules,
    },
    /// Deletes an event type no booking or agent uses (deactivate it otherwise).
    Delete {
        event_type_id: String,
        #[command(flatten)]
        account: AccountArg,
    },
}

/// The optional rules of an event type, for `create` and `set`.
#[derive(Debug, Args)]
pub struct Rules {
    #[arg(long, value_name = "TEXT")]
    description: Option<String>,
    #[arg(long, value_name = "MINUTES")]
    buffer_before_minutes: Option<i64>,
    #[arg(long, value_name = "MINUTES")]
    buffer_after_minutes: Option<i64>,
    /// A booking starts at least this long after it is made.
    #[arg(long, value_name = "MINUTES")]
    minimum_notice_minutes: Option<i64>,
    /// Spacing of the starts offered (the duration when not set; `none` on `set`).
    #[arg(long, value_name = "MINUTES|none", value_parser = limit)]
    slot_interval_minutes: Option<Limit>,
    /// How many days ahead bookings are taken (60 when made without).
    #[arg(long, value_name = "DAYS")]
    max_days_ahead: Option<i64>,
    /// Bookings of it that may start on one day (no limit when not set; `none` on `set`).
    #[arg(long, value_name = "N|none", value_parser = limit)]
    per_day_limit: Option<Limit>,
    /// An inactive event type offers no slots.
    #[arg(long, value_name = "true|false")]
    active: Option<bool>,
    /// A secret event type is never offered by an agent.
    #[arg(long, value_name = "true|false")]
    secret: Option<bool>,
}

/// A number, or `none` for the default (no limit, or spaced by the duration).
#[derive(Debug, Clone, Copy)]
pub struct Limit(Option<i64>);

fn limit(text: &str) -> Result<Limit, String> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(Limit(None));
    }
    text.parse()
        .map(|n| Limit(Some(n)))
        .map_err(|_| "must be a whole number or `none`".to_owned())
}

impl Rules {
    fn is_empty(&self) -> bool {
        self.description.is_none()
            && self.buffer_before_minutes.is_none()
            && self.buffer_after_minutes.is_none()
            && self.minimum_notice_minutes.is_none()
            && self.slot_interval_minutes.is_none()
            && self.max_days_ahead.is_none()
            && self.per_day_limit.is_none()
            && self.active.is_none()
            && self.secret.is_none()
    }
}

pub async fn run(
    command: EventTypesCommand,
    accounts: &Accounts,
    store: &Store,
    out: Output,
) -> anyhow::Result<()> {
    let scope = |account: AccountArg| async move { account.scope(accounts).await };
    match command {
        EventTypesCommand::List { account, list } => {
            let scope: Scope = scope(account).await?;
            let scope = &scope;
            let listed = list
                .read(
                    |page| async move { event_types::list(store, scope, &page).await },
                    EventTypeBody::from,
                )
                .await?;
            out.emit(&listed, |listed| {
                let rows: Vec<Vec<String>> = listed
                    .data
                    .iter()
                    .map(|event_type| {
                        vec![
                            event_type.id.clone(),
                            event_type.slug.clone(),
                            event_type.name.clone(),
                            event_type.duration_minutes.to_string(),
                            event_type.host_id.clone(),
                            event_type.active.to_string(),
                            event_type.secret.to_string(),
                        ]
                    })
                    .collect();
                let headers = ["ID", "SLUG", "NAME", "MINUTES", "HOST", "ACTIVE", "SECRET"];
                format!("{}{}", table(&headers, &rows, "no event types"), more(listed))
            })
        }
        EventTypesCommand::Create {
            account,
            host_id,
            slug,
            name,
            duration_minutes,
            rules,
        } => {
            let input = NewEventTypeInput {
                host_id: Some(host_id),
                slug: Some(slug),
                name: Some(name),
                description: rules.description,
                duration_minutes: Some(duration_minutes),
                buffer_before_minutes: rules.buffer_before_minutes,
                buffer_after_minutes: rules.buffer_after_minutes,
                minimum_notice_minutes: rules.minimum_notice_minutes,
                slot_interval_minutes: rules.slot_interval_minutes.and_then(|Limit(n)| n),
                max_days_ahead: rules.max_days_ahead,
                per_day_limit: rules.per_day_limit.and_then(|Limit(n)| n),
                active: rules.active,
                secret: rules.secret,
            };
            let made = event_types::create(store, &scope(account).await?, input)
                .await
                .or_flag()?;
            out.emit(&EventTypeBody::from(made), event_type_fields)
        }
        EventTypesCommand::Show {
            event_type_id,
            account,
        } => {
            let found = event_types::get(store, &scope(account).await?, &event_type_id)
                .await
                .or_flag()?;
            out.emit(&EventTypeBody::from(found), event_type_fields)
        }
        EventTypesCommand::Set {
            event_type_id,
            account,
            host_id,
            slug,
            name,
            duration_minutes,
            rules,
        } => {
            if host_id.is_none()
                && slug.is_none()
                && name.is_none()
                && duration_minutes.is_none()
                && rules.is_empty()
            {
                return Err(
                    UsageError("nothing to change: give at least one field (see --help)".into()).into(),
                );
            }
            let patch = EventTypePatch {
                host_id,
                slug,
                name,
                description: rules.description,
                duration_minutes,
                buffer_before_minutes: rules.buffer_before_minutes,
                buffer_after_minutes: rules.buffer_after_minutes,
                minimum_notice_minutes: rules.minimum_notice_minutes,
                slot_interval_minutes: rules.slot_interval_minutes.map(|Limit(n)| n),
                max_days_ahead: rules.max_days_ahead,
                per_day_limit: rules.per_day_limit.map(|Limit(n)| n),
                active: rules.active,
                secret: rules.secret,
            };
            let changed = event_types::update(store, &scope(account).await?, &event_type_id, patch)
                .await
                .or_flag()?;
            out.emit(&EventTypeBody::from(changed), event_type_fields)
        }
        EventTypesCommand::Delete {
            event_type_id,
            account,
        } => {
            event_types::delete(store, &scope(account).await?, &event_type_id)
                .await
                .or_flag()?;
            Deleted::emit(out, "event type", event_type_id)
        }
    }
}

fn event_type_fields(event_type: &EventTypeBody) -> String {
    let number = |n: Option<u32>| or_dash(n.map(|n| n.to_string()).as_deref());
    fields(&[
        ("id", event_type.id.clone()),
        ("host_id", event_type.host_id.clone()),
        ("slug", event_type.slug.clone()),
        ("name", event_type.name.clone()),
        ("description", event_type.description.clone()),
        ("duration_minutes", event_type.duration_minutes.to_string()),
        (
            "buffer_before_minutes",
            event_type.buffer_before_minutes.to_string(),
        ),
        (
            "buffer_after_minutes",
            event_type.buffer_after_minutes.to_string(),
        ),
        (
            "minimum_notice_minutes",
            event_type.minimum_notice_minutes.to_string(),
        ),
        ("slot_interval_minutes", number(event_type.slot_interval_minutes)),
        ("max_days_ahead", event_type.max_days_ahead.to_string()),
        ("per_day_limit", number(event_type.per_day_limit)),
        ("active", event_type.active.to_string()),
        ("secret", event_type.secret.to_string()),
        ("created_at", event_type.created_at.clone()),
    ])
}
