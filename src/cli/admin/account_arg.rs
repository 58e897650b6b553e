//! `--account ID`, the account whose rows an `admin` command reads or changes, checked to exist
//! so that a mistyped id says "account not found" rather than "agent not found".

use jiff::Timestamp;

use crate::manage::{Accounts, Scope};
use crate::store::AccountId;

use super::failure::OrFlag;

#[derive(Debug, Clone, clap::Args)]
pub struct AccountArg {
    /// The account (`accounts list` shows the ids).
    #[arg(long, value_name = "ID")]
    account: String,
}

impl AccountArg {
    pub async fn scope(&self, accounts: &Accounts) -> anyhow::Result<Scope> {
        let id = AccountId::from(self.account.clone());
        accounts.get(&id, Timestamp::now()).await.or_flag()?;
        Ok(Scope::new(id))
    }
}
