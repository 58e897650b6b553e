//! An agent's number as Twilio knows it (its `PN…` SID, bought or brought) and where a brought
//! number's calls went before switchboard took them: the values both the agent's number
//! (`agent_numbers`) and its hold (`number_holds`) carry.

use jiff::Timestamp;
use sqlx::any::AnyRow;

use super::error::StoreResult;
use super::ids::{AccountId, AgentId};
use super::row;

/// Where a number sends its calls and their status (Twilio's `VoiceUrl`, `VoiceMethod`,
/// `StatusCallback`, `StatusCallbackMethod`); empty when unset. Its texts' (`SmsUrl`,
/// `SmsMethod`) when recorded: `None` for a number attached before they were, left alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberHooks {
    pub voice_url: String,
    pub voice_method: String,
    pub status_callback: String,
    pub status_callback_method: String,
    pub sms_url: Option<String>,
    pub sms_method: Option<String>,
}

impl NumberHooks {
    pub(super) fn from_row(row: &AnyRow) -> StoreResult<NumberHooks> {
        Ok(NumberHooks {
            voice_url: row::text(row, "previous_voice_url")?,
            voice_method: row::text(row, "previous_voice_method")?,
            status_callback: row::text(row, "previous_status_callback")?,
            status_callback_method: row::text(row, "previous_status_callback_method")?,
            sms_url: row::opt_text(row, "previous_sms_url")?,
            sms_method: row::opt_text(row, "previous_sms_method")?,
        })
    }
}

/// An agent's number as Twilio knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentNumber {
    pub account_id: AccountId,
    pub agent_id: AgentId,
    /// E.164.
    pub phone_number: String,
    /// Twilio's `PN…` SID of the number.
    pub twilio_sid: String,
    /// switchboard bought it (released at the end of a hold), rather than the business
    /// bringing it (put back as it was, never released).
    pub bought: bool,
    /// Where a brought number's calls went before switchboard took them (empty for a bought
    /// one).
    pub previous: NumberHooks,
    pub attached_at: Timestamp,
}
