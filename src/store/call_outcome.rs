//! What a call came to, as the business reads it: the disposition written on the call's record
//! and its CRM activity, and the key the follow-up text is chosen by.
//!
//! The words are the ones the REST API shows and the database stores (`outcome` columns are
//! this enum's `as_str`), so a stored value always reads back.

use std::fmt;
use std::str::FromStr;

use super::Store;
use super::error::{StoreError, StoreResult};
use super::ids::{AccountId, BookingId, CallId};
use super::row::StoredWord;

/// A call's outcome. One per call; decided from what happened in it (its tool calls, how it
/// ended), never from what the agent said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    /// A booking was made in the call.
    BookingCreated,
    /// A booking was moved or cancelled in the call.
    BookingChanged,
    /// The caller was told something (open times, a booking found) and nothing was booked.
    InfoProvided,
    /// The caller left a voicemail.
    Voicemail,
    /// The call was handed to a person.
    Transferred,
    /// The call ended without any of the above.
    NoAction,
    /// The call failed: the agent could not be reached or the call broke off in an error.
    Failed,
}

impl CallOutcome {
    /// Every outcome, in the order the API documents them.
    pub const ALL: [CallOutcome; 7] = [
        CallOutcome::BookingCreated,
        CallOutcome::BookingChanged,
        CallOutcome::InfoProvided,
        CallOutcome::Voicemail,
        CallOutcome::Transferred,
        CallOutcome::NoAction,
        CallOutcome::Failed,
    ];

    /// The stored and shown word.
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::BookingCreated => "booking_created",
            CallOutcome::BookingChanged => "booking_changed",
            CallOutcome::InfoProvided => "info_provided",
            CallOutcome::Voicemail => "voicemail",
            CallOutcome::Transferred => "transferred",
            CallOutcome::NoAction => "no_action",
            CallOutcome::Failed => "failed",
        }
    }
}

impl fmt::Display for CallOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOutcome(pub String);

impl fmt::Display for UnknownOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown call outcome {:?}", self.0)
    }
}

impl std::error::Error for UnknownOutcome {}

impl FromStr for CallOutcome {
    type Err = UnknownOutcome;

    fn from_str(word: &str) -> Result<Self, Self::Err> {
        CallOutcome::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == word)
            .ok_or_else(|| UnknownOutcome(word.to_owned()))
    }
}

impl StoredWord for CallOutcome {
    fn as_stored(&self) -> &'static str {
        self.as_str()
    }

    fn from_stored(word: &str) -> Option<Self> {
        word.parse().ok()
    }
}

impl Store {
    /// Writes what a call came to and the booking it made or changed. Written again with the
    /// same values changes nothing; a later, better-informed writer (a voicemail after the
    /// stream, a transfer's outcome) replaces it.
    pub async fn set_call_outcome(
        &self,
        account_id: &AccountId,
        call_id: &CallId,
        outcome: CallOutcome,
        booking_id: Option<&BookingId>,
    ) -> StoreResult<()> {
        let done =
            sqlx::query("UPDATE calls SET outcome = $3, booking_id = $4 WHERE account_id = $1 AND id = $2")
                .bind(account_id.as_str())
                .bind(call_id.as_str())
                .bind(outcome.as_str())
                .bind(booking_id.map(BookingId::as_str))
                .execute(&self.pool)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "call" });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_reads_back_from_its_word() {
        for outcome in CallOutcome::ALL {
            assert_eq!(outcome.as_str().parse::<CallOutcome>(), Ok(outcome));
        }
        assert_eq!(
            "booked".parse::<CallOutcome>(),
            Err(UnknownOutcome("booked".into()))
        );
    }
}
