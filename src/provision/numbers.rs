//! Putting a Twilio number on an agent, as steps of a provisioning run.
//!
//! **Attach** a number the Twilio account already has: find it (its SID and where its calls
//! go now), point its calls at switchboard (`VoiceUrl` = `{public_url}/twilio/voice`,
//! `StatusCallback` = `{public_url}/twilio/call-status`, and its texts with `SmsUrl` =
//! `{public_url}/twilio/sms`, all POST; undo: put back what it had), then write the agent's number. **Buy** one: search the available local numbers, buy
//! the first, named with the run's marker and its URLs set in the same request (undo:
//! release it; if the answer was never recorded, recovery releases every number carrying the
//! marker), then write the agent's number. A row the store refuses rolls the run back.
//!
//! The undo actions leave alone a number an agent or a hold has in the store: a run that
//! crashed after its row was written, or a number another request attached meanwhile, keeps
//! working.

use std::sync::Arc;

use futures::future::BoxFuture;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::store::{
    AccountId, AgentId, AgentNumber, NewAgentNumber, NumberHold, NumberHooks, Store, StoreError,
};
use crate::vendor_api::twilio::{AvailableSearch, TwilioClient, VoiceHooks};

use super::{ProvisionError, Run, Step, Undo, UndoAction, Undoers};

/// Undo kind: point a number's calls back where they went (data: [`RestoreHooks`]).
pub const RESTORE_HOOKS: &str = "twilio.restore_number_hooks";
/// Undo kind: release a bought number (data: [`ReleaseNumber`]).
pub const RELEASE_NUMBER: &str = "twilio.release_number";
/// Undo kind: release every number named with a run's marker (data: [`ReleaseMarked`]).
pub const RELEASE_MARKED: &str = "twilio.release_marked_numbers";

/// Data of [`RESTORE_HOOKS`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreHooks {
    pub sid: String,
    pub phone_number: String,
    pub hooks: VoiceHooks,
}

/// Data of [`RELEASE_NUMBER`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseNumber {
    pub sid: String,
    pub phone_number: String,
}

/// Data of [`RELEASE_MARKED`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseMarked {
    pub friendly_name: String,
}

/// How an agent gets its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberSource {
    /// A number the Twilio account already has (E.164).
    Attach { phone_number: String },
    /// A number bought now, the first of those the search finds.
    Buy(AvailableSearch),
}

/// Why an agent did not get its number.
#[derive(Debug, thiserror::Error)]
pub enum NumberError {
    /// The Twilio account has no such number (nothing was changed).
    #[error("the Twilio account has no number {0}")]
    NotOwned(String),
    /// The search found no number to buy (nothing was bought).
    #[error("Twilio has no number available {0}")]
    NoneAvailable(String),
    /// The store refused the agent's number (another agent has it, …); what the run did at
    /// Twilio was undone.
    #[error(transparent)]
    Refused(StoreError),
    /// A step at Twilio failed, or a rollback did not finish: the run's failure in words.
    #[error(transparent)]
    Failed(ProvisionError),
}

/// The Twilio side of provisioning numbers.
#[derive(Clone)]
pub struct TwilioNumbers {
    pub twilio: TwilioClient,
    pub store: Store,
    /// switchboard's own URLs, which every number it runs points at.
    pub hooks: VoiceHooks,
}

impl TwilioNumbers {
    /// `public_url` is how Twilio reaches this server.
    pub fn new(twilio: TwilioClient, store: Store, public_url: &str) -> TwilioNumbers {
        TwilioNumbers {
            twilio,
            store,
            hooks: VoiceHooks::switchboard(public_url),
        }
    }

    /// `undoers` with the undo actions of numbers registered.
    pub fn register(&self, undoers: Undoers) -> Undoers {
        undoers
            .with(RESTORE_HOOKS, Arc::new(RestoreAction(self.clone())))
            .with(RELEASE_NUMBER, Arc::new(ReleaseAction(self.clone())))
            .with(RELEASE_MARKED, Arc::new(ReleaseMarkedAction(self.clone())))
    }

    /// Gives the agent a number from `source` as `run`, at `now`, and finishes the run (or
    /// rolls it back). `held` is the account's own live hold of the number, if any: the number
    /// keeps what it was (bought or brought, and where its calls went before switchboard), and
    /// the hold ends.
    pub async fn provide(
        &self,
        mut run: Run,
        account_id: &AccountId,
        agent_id: &AgentId,
        source: &NumberSource,
        held: Option<&NumberHold>,
        now: Timestamp,
    ) -> Result<AgentNumber, NumberError> {
        let new = match source {
            NumberSource::Attach { phone_number } => {
                self.attach(&mut run, agent_id, phone_number, held).await
            }
            NumberSource::Buy(search) => self.buy(&mut run, agent_id, search).await,
        };
        let new = match new {
            Ok(new) => new,
            Err(refusal @ (NumberError::NotOwned(_) | NumberError::NoneAvailable(_))) => {
                // Nothing was done at Twilio; the run ends rolled back, with the reason.
                let _ = run.fail("find a number", &refusal).await;
                return Err(refusal);
            }
            Err(failed) => return Err(failed),
        };
        match self.store.attach_agent_number(account_id, new, now).await {
            Ok(number) => {
                run.finish().await.map_err(NumberError::Failed)?;
                Ok(number)
            }
            Err(refused) => {
                let failure = run.fail("write the agent's number", &refused).await;
                let rolled_back =
                    matches!(&failure, ProvisionError::Failed { rollback, .. } if rollback.is_complete());
                Err(if rolled_back {
                    NumberError::Refused(refused)
                } else {
                    NumberError::Failed(failure)
                })
            }
        }
    }

    async fn attach(
        &self,
        run: &mut Run,
        agent_id: &AgentId,
        phone_number: &str,
        held: Option<&NumberHold>,
    ) -> Result<NewAgentNumber, NumberError> {
        let found = run
            .step(
                Step {
                    name: format!("find the number {phone_number} in the Twilio account"),
                    if_interrupted: None,
                },
                self.twilio.find_number(phone_number),
                |_| None,
            )
            .await
            .map_err(NumberError::Failed)?;
        let Some(found) = found else {
            return Err(NumberError::NotOwned(phone_number.to_owned()));
        };
        let restore = undo(
            RESTORE_HOOKS,
            &RestoreHooks {
                sid: found.sid.clone(),
                phone_number: found.phone_number.clone(),
                hooks: found.hooks(),
            },
        );
        run.step(
            Step {
                name: format!("point the calls of {phone_number} at switchboard"),
                if_interrupted: Some(restore.clone()),
            },
            self.twilio.set_hooks(&found.sid, &self.hooks),
            |_| Some(restore),
        )
        .await
        .map_err(NumberError::Failed)?;
        let (bought, previous) = match held {
            Some(hold) => (hold.bought, hold.previous.clone()),
            None => (false, stored(&found.hooks())),
        };
        Ok(NewAgentNumber {
            agent_id: agent_id.clone(),
            phone_number: found.phone_number,
            twilio_sid: found.sid,
            bought,
            previous,
        })
    }

    async fn buy(
        &self,
        run: &mut Run,
        agent_id: &AgentId,
        search: &AvailableSearch,
    ) -> Result<NewAgentNumber, NumberError> {
        let wanted = described(search);
        let available = run
            .step(
                Step {
                    name: format!("search the numbers available {wanted}"),
                    if_interrupted: None,
                },
                self.twilio.available_local(search),
                |_| None,
            )
            .await
            .map_err(NumberError::Failed)?;
        let Some(choice) = available.into_iter().next() else {
            return Err(NumberError::NoneAvailable(wanted));
        };
        let marker = run.marker();
        let bought = run
            .step(
                Step {
                    name: format!("buy the number {}", choice.phone_number),
                    if_interrupted: Some(undo(
                        RELEASE_MARKED,
                        &ReleaseMarked {
                            friendly_name: marker.clone(),
                        },
                    )),
                },
                self.twilio.buy_number(&choice.phone_number, &marker, &self.hooks),
                |number| {
                    Some(undo(
                        RELEASE_NUMBER,
                        &ReleaseNumber {
                            sid: number.sid.clone(),
                            phone_number: number.phone_number.clone(),
                        },
                    ))
                },
            )
            .await
            .map_err(NumberError::Failed)?;
        Ok(NewAgentNumber {
            agent_id: agent_id.clone(),
            phone_number: bought.phone_number,
            twilio_sid: bought.sid,
            bought: true,
            previous: NumberHooks::default(),
        })
    }

    /// Whether the store gives `phone_number` (Twilio's `sid`) to an agent or holds it: then
    /// an undo leaves it as it is.
    async fn in_use(&self, sid: &str, phone_number: &str) -> Result<bool, String> {
        let agent = self
            .store
            .agent_by_phone_number(phone_number)
            .await
            .map_err(|e| e.to_string())?;
        if agent.is_some() {
            return Ok(true);
        }
        let hold = self
            .store
            .live_hold(phone_number)
            .await
            .map_err(|e| e.to_string())?;
        Ok(hold.is_some_and(|hold| hold.twilio_sid == sid))
    }

    async fn restore_hooks(&self, data: RestoreHooks) -> Result<(), String> {
        if self.in_use(&data.sid, &data.phone_number).await? {
            return Ok(());
        }
        match self.twilio.set_hooks(&data.sid, &data.hooks).await {
            Err(e) if !e.is_not_found() => Err(e.to_string()),
            _ => Ok(()),
        }
    }

    async fn release(&self, sid: &str, phone_number: &str) -> Result<(), String> {
        if self.in_use(sid, phone_number).await? {
            return Ok(());
        }
        match self.twilio.release_number(sid).await {
            Err(e) if !e.is_not_found() => Err(e.to_string()),
            _ => Ok(()),
        }
    }

    async fn release_marked(&self, data: ReleaseMarked) -> Result<(), String> {
        let numbers = self
            .twilio
            .numbers_named(&data.friendly_name)
            .await
            .map_err(|e| e.to_string())?;
        for number in numbers {
            self.release(&number.sid, &number.phone_number).await?;
        }
        Ok(())
    }
}

/// The undo of [`RESTORE_HOOKS`].
struct RestoreAction(TwilioNumbers);
/// The undo of [`RELEASE_NUMBER`].
struct ReleaseAction(TwilioNumbers);
/// The undo of [`RELEASE_MARKED`].
struct ReleaseMarkedAction(TwilioNumbers);

fn read<T: serde::de::DeserializeOwned>(data: &serde_json::Value) -> Result<T, String> {
    serde_json::from_value(data.clone()).map_err(|e| format!("the undo's data cannot be read: {e}"))
}

impl UndoAction for RestoreAction {
    fn undo<'a>(&'a self, data: &'a serde_json::Value) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move { self.0.restore_hooks(read(data)?).await })
    }
}

impl UndoAction for ReleaseAction {
    fn undo<'a>(&'a self, data: &'a serde_json::Value) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let data: ReleaseNumber = read(data)?;
            self.0.release(&data.sid, &data.phone_number).await
        })
    }
}

impl UndoAction for ReleaseMarkedAction {
    fn undo<'a>(&'a self, data: &'a serde_json::Value) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move { self.0.release_marked(read(data)?).await })
    }
}

/// An undo of `kind` with `data`.
fn undo<T: Serialize>(kind: &'static str, data: &T) -> Undo {
    Undo {
        kind: kind.to_owned(),
        data: serde_json::to_value(data).unwrap_or_else(|_| json!({})),
    }
}

fn stored(hooks: &VoiceHooks) -> NumberHooks {
    NumberHooks {
        voice_url: hooks.voice_url.clone(),
        voice_method: hooks.voice_method.clone(),
        status_callback: hooks.status_callback.clone(),
        status_callback_method: hooks.status_callback_method.clone(),
        sms_url: hooks.sms_url.clone(),
        sms_method: hooks.sms_method.clone(),
    }
}

/// The search in words: "in US, area code 415, containing 555".
fn described(search: &AvailableSearch) -> String {
    let mut words = format!("in {}", search.country);
    if let Some(area_code) = &search.area_code {
        words.push_str(&format!(", area code {area_code}"));
    }
    if let Some(contains) = &search.contains {
        words.push_str(&format!(", containing {contains}"));
    }
    words
}
