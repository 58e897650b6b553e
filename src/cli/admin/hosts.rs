//! `switchboard admin hosts`: the people (or rooms) whose time an account's event types book.

use clap::Subcommand;

use crate::http::api::hosts::HostBody;
use crate::manage::hosts::{self, HostPatch, NewHostInput};
use crate::manage::{Accounts, Scope};
use crate::store::Store;

use super::account_arg::AccountArg;
use super::failure::{OrFlag, UsageError};
use super::list::{ListArgs, more};
use super::output::{Deleted, Output, fields, or_dash, table};

#[derive(Debug, Subcommand)]
pub enum HostsCommand {
    /// The account's hosts, oldest first.
    List {
        #[command(flatten)]
        account: AccountArg,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Adds a host.
    Create {
        #[command(flatten)]
        account: AccountArg,
        #[arg(long)]
        name: String,
        /// IANA time zone in which the host's hours and dates are read.
        #[arg(long, value_name = "Area/City")]
        timezone: String,
        #[arg(long)]
        email: Option<String>,
    },
    /// One host.
    Show {
        host_id: String,
        #[command(flatten)]
        account: AccountArg,
    },
    /// Changes the fields given; `--email ""` clears the email.
    Set {
        host_id: String,
        #[command(flatten)]
        account: AccountArg,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long, value_name = "Area/City")]
        timezone: Option<String>,
    },
    /// Deletes a host no event type or booking uses.
    Delete {
        host_id: String,
        #[command(flatten)]
        account: AccountArg,
    },
}

pub async fn run(
    command: HostsCommand,
    accounts: &Accounts,
    store: &Store,
    out: Output,
) -> anyhow::Result<()> {
    let scope = |account: AccountArg| async move { account.scope(accounts).await };
    match command {
        HostsCommand::List { account, list } => {
            let scope: Scope = scope(account).await?;
            let scope = &scope;
            let listed = list
                .read(
                    |page| async move { hosts::list(store, scope, &page).await },
                    HostBody::from,
                )
                .await?;
            out.emit(&listed, |listed| {
                let rows: Vec<Vec<String>> = listed
                    .data
                    .iter()
                    .map(|host| {
                        vec![
                            host.id.clone(),
                            host.name.clone(),
                            or_dash(host.email.as_deref()),
                            host.timezone.clone(),
                            host.created_at.clone(),
                        ]
                    })
                    .collect();
                let headers = ["ID", "NAME", "EMAIL", "TIMEZONE", "CREATED"];
                format!("{}{}", table(&headers, &rows, "no hosts"), more(listed))
            })
        }
        HostsCommand::Create {
            account,
            name,
            timezone,
            email,
        } => {
            let input = NewHostInput {
                name: Some(name),
                email,
                timezone: Some(timezone),
            };
            let host = HostBody::from(
                hosts::create(store, &scope(account).await?, input)
                    .await
                    .or_flag()?,
            );
            out.emit(&host, host_fields)
        }
        HostsCommand::Show { host_id, account } => {
            let host = HostBody::from(
                hosts::get(store, &scope(account).await?, &host_id)
                    .await
                    .or_flag()?,
            );
            out.emit(&host, host_fields)
        }
        HostsCommand::Set {
            host_id,
            account,
            name,
            email,
            timezone,
        } => {
            if name.is_none() && email.is_none() && timezone.is_none() {
                return Err(
                    UsageError("nothing to change: give --name, --email or --timezone".into()).into(),
                );
            }
            let patch = HostPatch {
                name,
                email: email.map(|email| (!email.is_empty()).then_some(email)),
                timezone,
            };
            let host = HostBody::from(
                hosts::update(store, &scope(account).await?, &host_id, patch)
                    .await
                    .or_flag()?,
            );
            out.emit(&host, host_fields)
        }
        HostsCommand::Delete { host_id, account } => {
            hosts::delete(store, &scope(account).await?, &host_id)
                .await
                .or_flag()?;
            Deleted::emit(out, "host", host_id)
        }
    }
}

fn host_fields(host: &HostBody) -> String {
    fields(&[
        ("id", host.id.clone()),
        ("name", host.name.clone()),
        ("email", or_dash(host.email.as_deref())),
        ("timezone", host.timezone.clone()),
        ("created_at", host.created_at.clone()),
    ])
}
