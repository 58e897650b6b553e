//! `switchboard admin accounts`: accounts made (with their first key), listed, shown and changed.

use clap::Subcommand;
use jiff::Timestamp;

use crate::http::api::accounts::{AccountBody, AccountDetail, CreatedAccountBody};
use crate::manage::{AccountRequest, Accounts};
use crate::store::{AccountChange, AccountId};

use super::failure::OrFlag;
use super::keys::{SHOWN_ONCE, issued_pairs};
use super::list::{ListArgs, more};
use super::output::{Output, fields, table};
use super::plans::plan_limits;

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Makes an account and its first API key, whose secret is shown this once.
    Create {
        /// The business's name, 1 to 100 characters.
        #[arg(long)]
        name: String,
        /// The plan (`admin plans list` shows them).
        #[arg(long, default_value = "free")]
        plan: String,
        /// IANA time zone in which the billing period turns.
        #[arg(long, value_name = "Area/City", default_value = "UTC")]
        timezone: String,
        /// The name of the account's first key.
        #[arg(long, value_name = "NAME", default_value = "default")]
        key_name: String,
    },
    /// Every account, oldest first.
    List(ListArgs),
    /// One account with its plan's limits and its current billing period.
    Show {
        /// The account's id.
        id: String,
    },
    /// Renames an account, moves it to another plan or time zone, or sets its booking page,
    /// call recording, transcript retention and redaction, or recording retention.
    #[command(group(clap::ArgGroup::new("change").required(true).multiple(true)
        .args(["name", "plan", "timezone", "booking_url", "no_booking_url", "record_calls",
               "transcript_retention_days", "keep_transcripts", "redact_transcripts",
               "recording_retention_days", "keep_recordings", "sms_follow_ups"])))]
    Set {
        /// The account's id.
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        plan: Option<String>,
        #[arg(long, value_name = "Area/City")]
        timezone: Option<String>,
        /// The business's online booking page, told to callers the agent cannot take.
        #[arg(long, value_name = "URL", conflicts_with = "no_booking_url")]
        booking_url: Option<String>,
        /// Removes the booking page.
        #[arg(long)]
        no_booking_url: bool,
        /// Whether the account records its calls (callers are asked for consent first).
        #[arg(long, value_name = "true|false")]
        record_calls: Option<bool>,
        /// Days call transcripts are kept before they are deleted (the calls stay).
        #[arg(long, value_name = "DAYS", conflicts_with = "keep_transcripts")]
        transcript_retention_days: Option<u32>,
        /// Keeps call transcripts for good.
        #[arg(long)]
        keep_transcripts: bool,
        /// Whether card numbers, emails and phone numbers are replaced in stored transcripts.
        #[arg(long, value_name = "true|false")]
        redact_transcripts: Option<bool>,
        /// Days a call's recording is kept (at least 1).
        #[arg(long, value_name = "DAYS", conflicts_with = "keep_recordings")]
        recording_retention_days: Option<u32>,
        /// Keeps recordings for good (no retention).
        #[arg(long)]
        keep_recordings: bool,
        /// Whether callers get a text after their calls (needs Twilio credentials).
        #[arg(long, value_name = "true|false")]
        sms_follow_ups: Option<bool>,
    },
}

pub async fn run(command: AccountsCommand, accounts: &Accounts, out: Output) -> anyhow::Result<()> {
    match command {
        AccountsCommand::Create {
            name,
            plan,
            timezone,
            key_name,
        } => {
            let request = AccountRequest {
                name,
                plan,
                timezone,
                key_name,
            };
            let (account, key) = accounts.create(request).await.or_flag()?;
            let created = CreatedAccountBody {
                account: account.into(),
                key: key.into(),
            };
            out.emit(&created, |created| {
                let mut pairs: Vec<(String, String)> = account_pairs(&created.account)
                    .into_iter()
                    .map(|(label, value)| (label.to_owned(), value))
                    .collect();
                pairs.extend(issued_pairs(&created.key, "key_"));
                format!("{}{SHOWN_ONCE}\n", fields(&pairs))
            })
        }
        AccountsCommand::List(list) => {
            let listed = list
                .read(
                    |page| async move { accounts.list(&page).await },
                    AccountBody::from,
                )
                .await?;
            out.emit(&listed, |listed| {
                let rows: Vec<Vec<String>> = listed
                    .data
                    .iter()
                    .map(|account| {
                        vec![
                            account.id.clone(),
                            account.name.clone(),
                            account.plan.clone(),
                            account.timezone.clone(),
                            account.created_at.clone(),
                        ]
                    })
                    .collect();
                let text = table(
                    &["ID", "NAME", "PLAN", "TIMEZONE", "CREATED"],
                    &rows,
                    "no accounts",
                );
                format!("{text}{}", more(listed))
            })
        }
        AccountsCommand::Show { id } => {
            let view = accounts
                .get(&AccountId::from(id), Timestamp::now())
                .await
                .or_flag()?;
            let detail = AccountDetail::from(view);
            out.emit(&detail, |detail| {
                let mut pairs = account_pairs(&detail.account);
                pairs.extend(plan_limits(&detail.plan));
                pairs.push(("billing_period_start", detail.billing_period.start.clone()));
                pairs.push(("billing_period_end", detail.billing_period.end.clone()));
                fields(&pairs)
            })
        }
        AccountsCommand::Set {
            id,
            name,
            plan,
            timezone,
            booking_url,
            no_booking_url,
            record_calls,
            transcript_retention_days,
            keep_transcripts,
            redact_transcripts,
            recording_retention_days,
            keep_recordings,
            sms_follow_ups,
        } => {
            let booking_url = match (booking_url, no_booking_url) {
                (Some(url), _) => Some(Some(url)),
                (None, true) => Some(None),
                (None, false) => None,
            };
            let change = AccountChange {
                name,
                plan,
                timezone,
                booking_url,
                record_calls,
                transcript_retention_days: match (transcript_retention_days, keep_transcripts) {
                    (Some(days), _) => Some(Some(days)),
                    (None, true) => Some(None),
                    (None, false) => None,
                },
                redact_transcripts,
                recording_retention_days: match (recording_retention_days, keep_recordings) {
                    (Some(days), _) => Some(Some(days)),
                    (None, true) => Some(None),
                    (None, false) => None,
                },
                sms_follow_ups,
            };
            let account = AccountBody::from(accounts.update(&AccountId::from(id), change).await.or_flag()?);
            out.emit(&account, |account| fields(&account_pairs(account)))
        }
    }
}

fn account_pairs(account: &AccountBody) -> Vec<(&'static str, String)> {
    vec![
        ("id", account.id.clone()),
        ("name", account.name.clone()),
        ("plan", account.plan.clone()),
        ("timezone", account.timezone.clone()),
        ("created_at", account.created_at.clone()),
        ("booking_url", account.booking_url.clone().unwrap_or_default()),
        ("record_calls", account.record_calls.to_string()),
        (
            "transcript_retention_days",
            account
                .transcript_retention_days
                .map(|days| days.to_string())
                .unwrap_or_default(),
        ),
        ("redact_transcripts", account.redact_transcripts.to_string()),
        (
            "recording_retention_days",
            account
                .recording_retention_days
                .map_or_else(String::new, |days| days.to_string()),
        ),
        ("sms_follow_ups", account.sms_follow_ups.to_string()),
    ]
}
