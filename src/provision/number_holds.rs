//! The end of a number's 30-day hold: a number switchboard bought is released at Twilio
//! (`DELETE IncomingPhoneNumbers/{Sid}`), and a number the business brought is pointed back
//! where its calls went before (never released: it is the business's own).
//!
//! Which holds are due is a pure rule of `now` ([`is_due`]); [`release_due`] does one round at
//! an explicit `now`, and [`start`] runs rounds as one of the workers. A release that fails is
//! counted on the hold, logged, and tried again the next round; a number Twilio no longer
//! knows counts as released. The account may take the number back until the hold is due
//! (`Store::attach_agent_number` refuses from `release_at` on), so a round never releases a
//! number an agent has just been given.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::shutdown::Shutdown;
use crate::store::{NumberHold, Store, StoreError};
use crate::vendor_api::twilio::{TwilioClient, VoiceHooks};

/// How long a number given up stays the account's: callers hear it is no longer in service,
/// and the account may attach it again.
pub const HOLD: SignedDuration = SignedDuration::from_hours(30 * 24);
/// How often the worker looks for holds that are due.
pub const ROUND_EVERY: Duration = Duration::from_secs(10 * 60);
/// The most holds one round handles (the rest wait for the next).
const ROUND_LIMIT: u32 = 100;

/// When a hold that began at `held_from` is to be released: [`HOLD`] later, an instant
/// (daylight saving time changes nothing).
pub fn release_at(held_from: Timestamp) -> Timestamp {
    held_from.checked_add(HOLD).unwrap_or(Timestamp::MAX)
}

/// Whether `hold` is to be released at `now`: live (neither released nor taken back) and its
/// release time has come.
pub fn is_due(hold: &NumberHold, now: Timestamp) -> bool {
    hold.released_at.is_none() && hold.ended_at.is_none() && now >= hold.release_at
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReleaseRound {
    /// Bought numbers released at Twilio.
    pub released: u32,
    /// Brought numbers pointed back where they were.
    pub put_back: u32,
    /// Holds whose release failed, left for the next round.
    pub failed: u32,
}

/// Ends every hold due at `now`. A failure at Twilio is noted on its hold and the round goes
/// on; only a failure to read the holds stops it.
pub async fn release_due(
    store: &Store,
    twilio: &TwilioClient,
    now: Timestamp,
) -> Result<ReleaseRound, StoreError> {
    let mut round = ReleaseRound::default();
    let due = store.holds_due(now, ROUND_LIMIT).await?;
    for hold in due.iter().filter(|hold| is_due(hold, now)) {
        match end_at_twilio(twilio, hold).await {
            Ok(()) => {
                store.mark_hold_released(&hold.id, now).await?;
                if hold.bought {
                    round.released += 1;
                } else {
                    round.put_back += 1;
                }
                tracing::info!(
                    number = %hold.phone_number,
                    bought = hold.bought,
                    "a number's hold is over: {}",
                    if hold.bought { "released at Twilio" } else { "pointed back where it was" }
                );
            }
            Err(why) => {
                round.failed += 1;
                tracing::warn!(
                    number = %hold.phone_number,
                    attempts = hold.attempts + 1,
                    error = %why,
                    "could not end a number's hold at Twilio; trying again next round"
                );
                store.note_hold_failure(&hold.id, &why).await?;
            }
        }
    }
    Ok(round)
}

/// Releases a bought number, or puts a brought one back; Twilio no longer knowing it is done.
async fn end_at_twilio(twilio: &TwilioClient, hold: &NumberHold) -> Result<(), String> {
    let done = if hold.bought {
        twilio.release_number(&hold.twilio_sid).await
    } else {
        let previous = VoiceHooks {
            voice_url: hold.previous.voice_url.clone(),
            voice_method: hold.previous.voice_method.clone(),
            status_callback: hold.previous.status_callback.clone(),
            status_callback_method: hold.previous.status_callback_method.clone(),
            // A number attached before its texts were recorded keeps its SmsUrl as it is.
            sms_url: hold.previous.sms_url.clone(),
            sms_method: hold.previous.sms_method.clone(),
        };
        twilio.set_hooks(&hold.twilio_sid, &previous).await.map(|_| ())
    };
    match done {
        Err(e) if !e.is_not_found() => Err(e.to_string()),
        _ => Ok(()),
    }
}

/// Runs a round as one of the `workers`: now, then every `every`.
pub fn start(store: Store, twilio: TwilioClient, every: Duration, workers: &Shutdown) {
    workers.spawn_every(every, move || {
        let (store, twilio) = (store.clone(), twilio.clone());
        async move {
            match release_due(&store, &twilio, Timestamp::now()).await {
                Ok(round) if round != ReleaseRound::default() => {
                    tracing::info!(?round, "number holds that were due are handled")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not read the number holds that are due"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AccountId, NumberHooks};

    fn hold_from(held_from: Timestamp) -> NumberHold {
        NumberHold {
            id: "h".into(),
            phone_number: "+14155550100".into(),
            account_id: AccountId::from("acc"),
            twilio_sid: "PN1".into(),
            bought: true,
            previous: NumberHooks::default(),
            held_from,
            release_at: release_at(held_from),
            released_at: None,
            ended_at: None,
            attempts: 0,
            last_error: None,
        }
    }

    #[test]
    fn a_hold_is_due_thirty_days_of_instants_after_it_began() {
        // Held across the US clock change of 2026-11-01: 30 days are 720 hours all the same.
        let from: Timestamp = "2026-10-20T15:30:00Z".parse().unwrap();
        let hold = hold_from(from);
        assert_eq!(
            hold.release_at,
            "2026-11-19T15:30:00Z".parse::<Timestamp>().unwrap()
        );
        let millisecond = SignedDuration::from_millis(1);
        assert!(!is_due(&hold, from));
        assert!(!is_due(&hold, hold.release_at - millisecond), "just before");
        assert!(is_due(&hold, hold.release_at), "at");
        assert!(
            is_due(&hold, hold.release_at + SignedDuration::from_hours(24)),
            "after"
        );
    }

    #[test]
    fn a_hold_released_or_taken_back_is_never_due() {
        let from: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let later = release_at(from) + SignedDuration::from_hours(1);
        let released = NumberHold {
            released_at: Some(later),
            ..hold_from(from)
        };
        let taken_back = NumberHold {
            ended_at: Some(from),
            ..hold_from(from)
        };
        assert!(!is_due(&released, later));
        assert!(!is_due(&taken_back, later));
    }
}
