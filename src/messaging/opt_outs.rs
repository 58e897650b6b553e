//! Whether the account may text or call a number: the check every send and every outbound
//! call makes, and the writes of what a keyword or Twilio's 21610 said.
//!
//! An opt-out is per account (the account owning the number texted) and caller number, and it
//! is honoured from the moment it is written (the FCC allows 10 business days; there is no
//! reason to wait).

use jiff::Timestamp;

use super::keywords::Keyword;
use crate::store::{AccountId, OptOutSource, Store, StoreResult};

/// The account's opt-outs.
#[derive(Debug, Clone)]
pub struct OptOuts {
    store: Store,
}

impl OptOuts {
    pub fn new(store: Store) -> OptOuts {
        OptOuts { store }
    }

    /// Whether the account may text or call `number`.
    pub async fn may_contact(&self, account_id: &AccountId, number: &str) -> StoreResult<bool> {
        Ok(!self.store.is_opted_out(account_id, number).await?)
    }

    /// `number` texted `keyword` to one of the account's numbers at `at`. Help changes nothing.
    pub async fn heard(
        &self,
        account_id: &AccountId,
        number: &str,
        keyword: Keyword,
        at: Timestamp,
    ) -> StoreResult<()> {
        let opted_out = match keyword {
            Keyword::OptOut => true,
            Keyword::OptIn => false,
            Keyword::Help => return Ok(()),
        };
        self.store
            .set_opt_out(account_id, number, opted_out, OptOutSource::Keyword, at)
            .await
    }

    /// Twilio refused a send to `number` with 21610: it opted out at Twilio.
    pub async fn refused_by_twilio(
        &self,
        account_id: &AccountId,
        number: &str,
        at: Timestamp,
    ) -> StoreResult<()> {
        self.store
            .set_opt_out(account_id, number, true, OptOutSource::Twilio21610, at)
            .await
    }
}
