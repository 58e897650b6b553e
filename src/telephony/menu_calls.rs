//! The reception's side of a number's menu: the menu a call to the number hears first, and
//! the caller's choice acted on (`/twilio/menu`). A chosen agent is answered exactly as a
//! direct call to it (the reception's connect path: admission, capacity, the call's row,
//! the stream token, the pre-warm); a chosen person is dialled. The rules of the menu are
//! [`super::menu`]'s.

use jiff::Timestamp;

use crate::store::{Agent, MenuTarget, NumberMenu, StoreError};

use super::answer::{Answer, Destination, MenuAnswer, MenuPrompt};
use super::directory::{Directory, Line};
use super::fallback::{Fallback, Then};
use super::menu::{self, Attempt, MenuInput, Step};
use super::metrics::ErrorKind;
use super::reception::Reception;
use super::route::InboundCall;

/// How long a person chosen in a menu rings before Twilio gives up.
pub const PERSON_RING_SECS: u32 = 30;

impl Destination {
    /// The line that answers; `None` for a number no agent answers, or a chosen agent that is
    /// gone (deleted, or not the menu's account's).
    pub async fn line(&self, directory: &Directory, number: &str) -> Result<Option<Line>, StoreError> {
        match self {
            Destination::Number => directory.line(number).await,
            Destination::Agent { id, account_id } => Ok(directory
                .line_of_agent(id)
                .await?
                .filter(|line| &line.agent.account_id == account_id && line.agent.deleted_at.is_none())),
        }
    }
}

impl MenuPrompt {
    fn of(menu: &NumberMenu, attempt: Attempt, sorry: bool) -> Self {
        MenuPrompt {
            sentences: menu::sentences(menu, sorry),
            hints: menu::speech_hints(menu),
            attempt,
        }
    }
}

impl Reception {
    /// The agent a call through a menu was connected to, from the call's row (for the line's
    /// fallback once its stream is over).
    pub(super) async fn chosen_agent(&self, call_sid: &str) -> Option<Agent> {
        let call = self.store.call_by_sid(call_sid).await.ok().flatten()?;
        let line = self
            .directory
            .line_of_agent(&call.agent_id)
            .await
            .ok()
            .flatten()?;
        Some(line.agent)
    }

    /// The menu a call to a number no agent answers hears, if the number has one (`None`:
    /// the number is not in service). A failed lookup is an apology.
    pub(super) async fn menu_for(&self, call: &InboundCall) -> Option<Answer> {
        match self.store.menu_by_number(&call.to).await {
            Ok(Some(menu)) => {
                tracing::info!(to = %call.to, "answering with the number's menu");
                Some(Answer::Menu(MenuAnswer::Ask(MenuPrompt::of(
                    &menu,
                    Attempt::default(),
                    false,
                ))))
            }
            Ok(None) => None,
            Err(e) => {
                self.metrics.error(ErrorKind::Store);
                tracing::error!(error = %e, "menu lookup failed; the caller hears an apology");
                Some(Answer::Refuse(Fallback::unavailable(&self.call_config)))
            }
        }
    }

    /// The caller answered the menu of the number they called (`/twilio/menu`): the menu
    /// again, the chosen agent connected (refused, as any call, while draining or full), or
    /// the chosen person dialled.
    pub async fn menu_choice(
        &self,
        call: Option<InboundCall>,
        input: MenuInput<'_>,
        attempt: Attempt,
        now: Timestamp,
    ) -> Answer {
        let Some(call) = call else {
            tracing::warn!("menu webhook without CallSid or To");
            return Answer::Refuse(Fallback::not_in_service(&self.call_config));
        };
        // Held until the answer is given: a drain waits for it.
        let Some(_admitted) = self.admission.admit() else {
            tracing::info!("turning a caller in a menu away while draining");
            return Answer::Refuse(Fallback::draining());
        };
        let menu = match self.store.menu_by_number(&call.to).await {
            Ok(Some(menu)) => menu,
            Ok(None) => {
                self.metrics.error(ErrorKind::UnknownNumber);
                tracing::warn!(to = %call.to, "menu answer for a number without a menu");
                return Answer::Refuse(Fallback::not_in_service(&self.call_config));
            }
            Err(e) => {
                self.metrics.error(ErrorKind::Store);
                tracing::error!(error = %e, "menu lookup failed; the caller hears an apology");
                return Answer::Refuse(Fallback::unavailable(&self.call_config));
            }
        };
        let (choice, by_default) = match menu::step(&menu, input, attempt) {
            Step::Ask { attempt, sorry } => {
                tracing::info!(call_sid = %call.call_sid, ?attempt, "saying the menu again");
                return Answer::Menu(MenuAnswer::Ask(MenuPrompt::of(&menu, attempt, sorry)));
            }
            Step::Go { choice, by_default } => (choice, by_default),
        };
        tracing::info!(call_sid = %call.call_sid, digit = choice.digit, by_default, "menu choice");
        match &choice.target {
            MenuTarget::Agent(id) => {
                let destination = Destination::Agent {
                    id: id.clone(),
                    account_id: menu.account_id.clone(),
                };
                self.answer_to(Some(call), destination, now).await
            }
            MenuTarget::Person(number) => Answer::Menu(MenuAnswer::Dial(Fallback {
                say: vec![menu::connecting(choice)],
                then: Then::Transfer {
                    number: number.clone(),
                    caller_id: Some(call.to),
                    ring_secs: PERSON_RING_SECS,
                },
            })),
        }
    }
}
