//! A text a caller sent to one of the account's numbers (Twilio's incoming message webhook),
//! read as Twilio's Advanced Opt-Out reads it: STOP and its kin opt the number out of the
//! account's texts and calls, START and its kin back in, HELP changes nothing (Twilio answers
//! the keywords itself when Advanced Opt-Out is on, so no reply is sent from here). Any other
//! text is only logged. Every text to an account's number is published as `sms.received` to
//! its webhooks when a publisher is given.

use jiff::Timestamp;

use super::keywords::{Keyword, classify};
use super::opt_outs::OptOuts;
use crate::store::{AccountId, Store, StoreResult};
use crate::webhooks::{Event, Publisher};

/// The incoming text, as the webhook's form gives it.
#[derive(Debug, Clone)]
pub struct IncomingText {
    /// The account's number the text was sent to.
    pub to: String,
    /// The sender.
    pub from: String,
    pub body: String,
    /// Twilio's `OptOutType` (`STOP`, `START`, `HELP`), when Advanced Opt-Out recognised one.
    pub opt_out_type: Option<String>,
    /// Twilio's `MessageSid`: the text's `sms.received` event is about it.
    pub message_sid: Option<String>,
}

/// What came of an incoming text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// The sender's keyword, written for the account owning the number.
    Keyword { account_id: AccountId, keyword: Keyword },
    /// A text that is no keyword.
    Message,
    /// The number is no agent's or menu's here.
    UnknownNumber,
}

/// Incoming texts.
#[derive(Debug, Clone)]
pub struct InboundTexts {
    store: Store,
    opt_outs: OptOuts,
    webhooks: Option<Publisher>,
}

impl InboundTexts {
    pub fn new(store: Store) -> InboundTexts {
        InboundTexts {
            opt_outs: OptOuts::new(store.clone()),
            store,
            webhooks: None,
        }
    }

    /// Each text to a number of an account published as `sms.received` for its webhooks.
    pub fn publishing(mut self, webhooks: Publisher) -> InboundTexts {
        self.webhooks = Some(webhooks);
        self
    }

    /// Reads `text`, received at `now`.
    pub async fn received(&self, text: &IncomingText, now: Timestamp) -> StoreResult<Received> {
        let Some(account_id) = self.account_of(&text.to).await? else {
            return Ok(Received::UnknownNumber);
        };
        if let (Some(webhooks), Some(sid)) = (&self.webhooks, &text.message_sid) {
            let event = Event::sms_received(account_id.clone(), sid, &text.from, &text.to, &text.body, now);
            webhooks.publish_logged(&event).await;
        }
        match classify(&text.body, text.opt_out_type.as_deref()) {
            Some(keyword) => {
                self.opt_outs.heard(&account_id, &text.from, keyword, now).await?;
                Ok(Received::Keyword { account_id, keyword })
            }
            None => Ok(Received::Message),
        }
    }

    /// The account an agent's or a menu's number belongs to.
    async fn account_of(&self, number: &str) -> StoreResult<Option<AccountId>> {
        if let Some(agent) = self.store.agent_by_phone_number(number).await? {
            return Ok(Some(agent.account_id));
        }
        Ok(self
            .store
            .menu_by_number(number)
            .await?
            .map(|menu| menu.account_id))
    }
}
