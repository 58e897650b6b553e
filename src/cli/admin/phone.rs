//! `switchboard admin phone`: an agent's number at Twilio, as `/agents/{id}/phone` does it:
//! attach a number the Twilio account has, buy one, or give it up into its 30-day hold.
//! Attaching and buying need `[twilio] account_sid` and `auth_token`, and `public_url` (where
//! the number's calls are sent).

use clap::Subcommand;
use jiff::Timestamp;

use crate::http::api::phone::{AgentPhoneBody, GivenUpBody};
use crate::manage::Accounts;
use crate::manage::phone::{PhoneRequest, Phones};

use super::account_arg::AccountArg;
use super::failure::OrFlag;
use super::output::{Output, fields, or_dash};

#[derive(Debug, Subcommand)]
pub enum PhoneCommand {
    /// Gives the agent a number the Twilio account already has; its calls are sent here.
    Attach {
        agent_id: String,
        #[command(flatten)]
        account: AccountArg,
        /// E.164.
        #[arg(long, value_name = "E164")]
        phone_number: String,
    },
    /// Buys a local number for the agent: the first Twilio offers for the search.
    Buy {
        agent_id: String,
        #[command(flatten)]
        account: AccountArg,
        /// ISO 3166 alpha-2 country code.
        #[arg(long, value_name = "CC", default_value = "US")]
        country: String,
        #[arg(long, value_name = "DIGITS")]
        area_code: Option<String>,
        /// Digits (or `*`) the number contains.
        #[arg(long, value_name = "PATTERN")]
        contains: Option<String>,
    },
    /// Takes the agent's number off it into a 30-day hold.
    GiveUp {
        agent_id: String,
        #[command(flatten)]
        account: AccountArg,
    },
}

pub async fn run(
    command: PhoneCommand,
    accounts: &Accounts,
    phones: &Phones,
    out: Output,
) -> anyhow::Result<()> {
    match command {
        PhoneCommand::Attach {
            agent_id,
            account,
            phone_number,
        } => {
            let scope = account.scope(accounts).await?;
            let request = PhoneRequest::Attach { phone_number };
            let number = phones
                .provide(&scope, &agent_id, request, Timestamp::now())
                .await
                .or_flag()?;
            emit_number(out, AgentPhoneBody::from(number))
        }
        PhoneCommand::Buy {
            agent_id,
            account,
            country,
            area_code,
            contains,
        } => {
            let scope = account.scope(accounts).await?;
            let request = PhoneRequest::Buy {
                country,
                area_code,
                contains,
            };
            let number = phones
                .provide(&scope, &agent_id, request, Timestamp::now())
                .await
                .or_flag()?;
            emit_number(out, AgentPhoneBody::from(number))
        }
        PhoneCommand::GiveUp { agent_id, account } => {
            let scope = account.scope(accounts).await?;
            let given_up = GivenUpBody::from(
                phones
                    .give_up(&scope, &agent_id, Timestamp::now())
                    .await
                    .or_flag()?,
            );
            out.emit(&given_up, |body| {
                fields(&[
                    ("phone number", body.phone_number.clone()),
                    ("held until", or_dash(body.held_until.as_deref())),
                ])
            })
        }
    }
}

fn emit_number(out: Output, body: AgentPhoneBody) -> anyhow::Result<()> {
    out.emit(&body, |body| {
        fields(&[
            ("agent", body.agent_id.clone()),
            ("phone number", body.phone_number.clone()),
            ("twilio sid", body.twilio_sid.clone()),
            ("bought", body.bought.to_string()),
            ("attached at", body.attached_at.clone()),
        ])
    })
}
