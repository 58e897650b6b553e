//! `switchboard admin plans`: the plans and their limits, listed and edited.

use clap::Subcommand;

use crate::http::api::plans::PlanBody;
use crate::manage::Accounts;
use crate::store::PlanChange;

use super::failure::OrFlag;
use super::output::{Output, fields, table};

#[derive(Debug, Subcommand)]
pub enum PlansCommand {
    /// Every plan with its limits.
    List,
    /// Changes a plan's limits; a flag left out keeps its value.
    #[command(group(clap::ArgGroup::new("limits").required(true).multiple(true)
        .args(["max_agents", "monthly_minutes", "phone_numbers", "max_concurrent_calls"])))]
    Set {
        /// The plan's name (`free`, `pro`, `business`).
        name: String,
        /// Agents an account on the plan may have.
        #[arg(long, value_name = "N")]
        max_agents: Option<u32>,
        /// Connected minutes per billing period, or `unlimited`.
        #[arg(long, value_name = "N|unlimited", value_parser = minutes)]
        monthly_minutes: Option<Minutes>,
        /// Whether the plan's agents may have their own phone numbers.
        #[arg(long, value_name = "true|false")]
        phone_numbers: Option<bool>,
        /// Calls of one account up at once.
        #[arg(long, value_name = "N")]
        max_concurrent_calls: Option<u32>,
    },
}

/// Monthly minutes: a number, or `None` for unlimited.
#[derive(Debug, Clone, Copy)]
pub struct Minutes(Option<u32>);

fn minutes(text: &str) -> Result<Minutes, String> {
    if text.eq_ignore_ascii_case("unlimited") {
        return Ok(Minutes(None));
    }
    text.parse()
        .map(|minutes| Minutes(Some(minutes)))
        .map_err(|_| "must be a whole number of minutes or `unlimited`".to_owned())
}

pub async fn run(command: PlansCommand, accounts: &Accounts, out: Output) -> anyhow::Result<()> {
    match command {
        PlansCommand::List => {
            let plans: Vec<PlanBody> = accounts
                .plans()
                .await
                .or_flag()?
                .into_iter()
                .map(PlanBody::from)
                .collect();
            out.emit(&plans, |plans| {
                let rows: Vec<Vec<String>> = plans
                    .iter()
                    .map(|plan| {
                        vec![
                            plan.name.clone(),
                            plan.max_agents.to_string(),
                            minutes_text(plan.monthly_minutes),
                            plan.phone_numbers.to_string(),
                            plan.max_concurrent_calls.to_string(),
                            plan.updated_at.clone(),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "NAME",
                        "MAX AGENTS",
                        "MONTHLY MINUTES",
                        "PHONE NUMBERS",
                        "MAX CONCURRENT CALLS",
                        "UPDATED",
                    ],
                    &rows,
                    "no plans",
                )
            })
        }
        PlansCommand::Set {
            name,
            max_agents,
            monthly_minutes,
            phone_numbers,
            max_concurrent_calls,
        } => {
            let change = PlanChange {
                max_agents,
                monthly_minutes: monthly_minutes.map(|Minutes(minutes)| minutes),
                phone_numbers,
                max_concurrent_calls,
            };
            let plan = PlanBody::from(accounts.update_plan(&name, change).await.or_flag()?);
            out.emit(&plan, plan_fields)
        }
    }
}

/// A plan as `key: value` lines.
pub fn plan_fields(plan: &PlanBody) -> String {
    let mut pairs = vec![("name", plan.name.clone())];
    pairs.extend(plan_limits(plan));
    pairs.push(("updated_at", plan.updated_at.clone()));
    fields(&pairs)
}

/// A plan's limits as `key: value` pairs.
pub fn plan_limits(plan: &PlanBody) -> Vec<(&'static str, String)> {
    vec![
        ("max_agents", plan.max_agents.to_string()),
        ("monthly_minutes", minutes_text(plan.monthly_minutes)),
        ("phone_numbers", plan.phone_numbers.to_string()),
        ("max_concurrent_calls", plan.max_concurrent_calls.to_string()),
    ]
}

fn minutes_text(minutes: Option<u32>) -> String {
    minutes.map_or_else(|| "unlimited".to_owned(), |minutes| minutes.to_string())
}
