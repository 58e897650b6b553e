//! `switchboard admin keys`: API keys made (the secret shown once), listed and revoked, either
//! the operator's own (`--operator`, for the accounts and plans endpoints) or an account's.

use clap::{Args, Subcommand};
use jiff::Timestamp;

use crate::http::api::keys::{IssuedKeyBody, KeyBody};
use crate::manage::{Accounts, Keys};
use crate::store::{AccountId, ApiKeyId};

use super::failure::OrFlag;
use super::list::{ListArgs, more};
use super::output::{Output, fields, or_dash, table};

/// Said under every secret printed for people.
pub const SHOWN_ONCE: &str = "The secret is shown this once: keep it now, it cannot be shown again.";

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Makes a key; its secret is printed this once.
    Create {
        #[command(flatten)]
        owner: Owner,
        /// What the key is for, 1 to 100 characters.
        #[arg(long)]
        name: String,
    },
    /// The keys of the operator or of an account, oldest first; never their secrets.
    List {
        #[command(flatten)]
        owner: Owner,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Revokes a key, at once and for good.
    Revoke {
        /// The key's id (`keys list` shows it).
        key_id: String,
        #[command(flatten)]
        owner: Owner,
    },
}

/// Whose keys: the operator's, or one account's.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Owner {
    /// The operator's keys: they make and change accounts and plans, and see no account's rows.
    #[arg(long)]
    operator: bool,
    /// The keys of this account.
    #[arg(long, value_name = "ID")]
    account: Option<String>,
}

impl Owner {
    /// The account, checked to exist (`None` for the operator).
    async fn account(&self, accounts: &Accounts) -> anyhow::Result<Option<AccountId>> {
        match &self.account {
            None => Ok(None),
            Some(id) => {
                let id = AccountId::from(id.clone());
                accounts.get(&id, Timestamp::now()).await.or_flag()?;
                Ok(Some(id))
            }
        }
    }
}

pub async fn run(command: KeysCommand, accounts: &Accounts, keys: &Keys, out: Output) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create { owner, name } => {
            let account = owner.account(accounts).await?;
            let issued = IssuedKeyBody::from(keys.issue(account.as_ref(), &name).await.or_flag()?);
            out.emit(&issued, |issued| {
                format!("{}{SHOWN_ONCE}\n", fields(&issued_pairs(issued, "")))
            })
        }
        KeysCommand::List { owner, list } => {
            let account = owner.account(accounts).await?;
            let account = account.as_ref();
            let listed = list
                .read(
                    |page| async move { keys.list(account, &page).await },
                    KeyBody::from,
                )
                .await?;
            out.emit(&listed, |listed| {
                let rows: Vec<Vec<String>> = listed
                    .data
                    .iter()
                    .map(|key| {
                        vec![
                            key.id.clone(),
                            key.name.clone(),
                            key.prefix.clone(),
                            key.created_at.clone(),
                            or_dash(key.last_used_at.as_deref()),
                            or_dash(key.revoked_at.as_deref()),
                        ]
                    })
                    .collect();
                let headers = ["ID", "NAME", "PREFIX", "CREATED", "LAST USED", "REVOKED"];
                format!("{}{}", table(&headers, &rows, "no keys"), more(listed))
            })
        }
        KeysCommand::Revoke { key_id, owner } => {
            let account = owner.account(accounts).await?;
            let key = keys
                .revoke(account.as_ref(), &ApiKeyId::from(key_id), Timestamp::now())
                .await
                .or_flag()?;
            let key = KeyBody::from(key);
            out.emit(&key, |key| fields(&key_pairs(key, "")))
        }
    }
}

/// A key's lines, each label after `prefix` (`key_` where they follow an account's).
fn key_pairs(key: &KeyBody, prefix: &str) -> Vec<(String, String)> {
    vec![
        (format!("{prefix}id"), key.id.clone()),
        (format!("{prefix}name"), key.name.clone()),
        (format!("{prefix}prefix"), key.prefix.clone()),
        (format!("{prefix}created_at"), key.created_at.clone()),
        (
            format!("{prefix}last_used_at"),
            or_dash(key.last_used_at.as_deref()),
        ),
        (format!("{prefix}revoked_at"), or_dash(key.revoked_at.as_deref())),
    ]
}

/// A key just made: its lines and its secret.
pub fn issued_pairs(issued: &IssuedKeyBody, prefix: &str) -> Vec<(String, String)> {
    let mut pairs = key_pairs(&issued.key, prefix);
    pairs.push(("secret".to_owned(), issued.secret.clone()));
    pairs
}
