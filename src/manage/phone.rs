//! An agent's phone number through Twilio: attach a number the Twilio account already has, or
//! buy one (only on plans with numbers, one per agent), each as a provisioning run; give it up
//! into a 30-day hold (also when its agent is deleted), during which callers hear that it is
//! no longer in service and the same account may attach it again.
//!
//! Without Twilio credentials (`[twilio] account_sid` and `auth_token`) numbers cannot be
//! provisioned: `NotConfigured`. What Twilio is asked, and the undo of each step, is
//! `provision::numbers`; the hold's end is `provision::number_holds`.

use jiff::Timestamp;

use crate::provision::Provisioner;
use crate::provision::number_holds::HOLD;
use crate::provision::numbers::{NumberError, NumberSource, TwilioNumbers};
use crate::store::{AgentId, AgentNumber, GivenUp, Store};
use crate::vendor_api::twilio::AvailableSearch;

use super::agent_fields::{self as fields, AgentAllowance};
use super::{ManageError, ManageResult, Scope};

/// How an agent is to get its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneRequest {
    /// A number the Twilio account already has (E.164).
    Attach { phone_number: String },
    /// A number bought now: the first local number Twilio offers in `country` (ISO 3166
    /// alpha-2), in `area_code` and containing `contains` when given.
    Buy {
        country: String,
        area_code: Option<String>,
        contains: Option<String>,
    },
}

/// Numbers provisioned at Twilio: the runs, and Twilio.
#[derive(Clone)]
struct NumberProvisioning {
    provisioner: Provisioner,
    numbers: TwilioNumbers,
}

/// The phone numbers of an account's agents.
#[derive(Clone)]
pub struct Phones {
    store: Store,
    provisioning: Option<NumberProvisioning>,
}

impl Phones {
    /// Numbers without Twilio: attaching or buying one is `NotConfigured`; giving one up and
    /// its hold work all the same.
    pub fn new(store: Store) -> Phones {
        Phones {
            store,
            provisioning: None,
        }
    }

    /// Numbers provisioned at Twilio through `provisioner`'s runs.
    pub fn with_twilio(mut self, provisioner: Provisioner, numbers: TwilioNumbers) -> Phones {
        self.provisioning = Some(NumberProvisioning { provisioner, numbers });
        self
    }

    /// Gives the agent `agent_id` a number as `request` asks, at `now`.
    pub async fn provide(
        &self,
        scope: &Scope,
        agent_id: &str,
        request: PhoneRequest,
        now: Timestamp,
    ) -> ManageResult<AgentNumber> {
        let source = checked(request)?;
        let agent_id = AgentId::from(agent_id);
        let agent = self.store.agent(&scope.account_id, &agent_id).await?;
        let allowance = AgentAllowance::from(&self.store.account_plan(&scope.account_id).await?);
        fields::may_have_phone_number(&allowance)?;
        if let Some(number) = &agent.phone_number {
            return Err(ManageError::conflict(
                "agent_has_number",
                format!(
                    "The agent already answers {number}; remove it first (DELETE its phone) to give it another."
                ),
            ));
        }
        let Some(provisioning) = &self.provisioning else {
            return Err(not_configured());
        };
        let held = match &source {
            NumberSource::Attach { phone_number } => self.free_to_attach(scope, phone_number).await?,
            NumberSource::Buy(_) => None,
        };
        let run = provisioning
            .provisioner
            .begin(
                &scope.account_id,
                &format!("give the agent {agent_id} a phone number"),
            )
            .await
            .map_err(failed)?;
        let number = provisioning
            .numbers
            .provide(run, &scope.account_id, &agent_id, &source, held.as_ref(), now)
            .await
            .map_err(|error| refused(error, &source))?;
        tracing::info!(
            agent = %agent_id,
            number = %number.phone_number,
            bought = number.bought,
            "an agent was given a phone number at Twilio"
        );
        Ok(number)
    }

    /// The number's own live hold of the account, if any; a conflict when another agent or a
    /// menu answers it, or another account holds it.
    async fn free_to_attach(
        &self,
        scope: &Scope,
        phone_number: &str,
    ) -> ManageResult<Option<crate::store::NumberHold>> {
        if self.store.agent_by_phone_number(phone_number).await?.is_some() {
            return Err(ManageError::from(crate::store::StoreError::Conflict {
                constraint: crate::store::Constraint::AgentPhoneNumber,
            }));
        }
        if self.store.menu_by_number(phone_number).await?.is_some() {
            return Err(ManageError::from(crate::store::StoreError::Conflict {
                constraint: crate::store::Constraint::MenuPhoneNumber,
            }));
        }
        match self.store.live_hold(phone_number).await? {
            Some(hold) if hold.account_id != scope.account_id => {
                Err(ManageError::from(crate::store::StoreError::Conflict {
                    constraint: crate::store::Constraint::NumberHeld,
                }))
            }
            held => Ok(held),
        }
    }

    /// The Twilio side of the agent's number (`None`: it has none, or only one typed in).
    pub async fn get(&self, scope: &Scope, agent_id: &str) -> ManageResult<Option<AgentNumber>> {
        let agent_id = AgentId::from(agent_id);
        self.store.agent(&scope.account_id, &agent_id).await?;
        Ok(self.store.agent_number(&scope.account_id, &agent_id).await?)
    }

    /// Takes the agent's number off it at `now` into a hold of [`HOLD`]. A conflict when the
    /// agent has no number.
    pub async fn give_up(&self, scope: &Scope, agent_id: &str, now: Timestamp) -> ManageResult<GivenUp> {
        give_up(&self.store, scope, &AgentId::from(agent_id), now)
            .await?
            .ok_or_else(|| ManageError::conflict("no_phone_number", "The agent has no phone number."))
    }
}

/// Takes the agent's number (if any) off it at `now` into a hold; what an agent's deletion
/// does first.
pub async fn give_up(
    store: &Store,
    scope: &Scope,
    agent_id: &AgentId,
    now: Timestamp,
) -> ManageResult<Option<GivenUp>> {
    let given_up = store
        .give_up_agent_number(&scope.account_id, agent_id, now, HOLD)
        .await?;
    if let Some(given_up) = &given_up {
        tracing::info!(
            agent = %agent_id,
            number = %given_up.phone_number,
            held_until = ?given_up.hold.as_ref().map(|hold| hold.release_at),
            "an agent gave up its phone number"
        );
    }
    Ok(given_up)
}

fn not_configured() -> ManageError {
    ManageError::NotConfigured {
        message:
            "Provisioning of phone numbers is not configured on this server: set [twilio] account_sid and \
                  auth_token (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)."
                .to_owned(),
    }
}

fn failed(error: impl std::fmt::Display) -> ManageError {
    ManageError::ProvisioningFailed {
        message: error.to_string(),
    }
}

fn refused(error: NumberError, source: &NumberSource) -> ManageError {
    match error {
        NumberError::NotOwned(number) => ManageError::invalid(
            "phone_number",
            format!(
                "The Twilio account has no number {number}; add it to the account first, or buy one with `buy`."
            ),
        ),
        NumberError::NoneAvailable(wanted) => {
            let field = match source {
                NumberSource::Buy(AvailableSearch {
                    contains: Some(_), ..
                }) => "buy.contains",
                NumberSource::Buy(AvailableSearch {
                    area_code: Some(_), ..
                }) => "buy.area_code",
                _ => "buy.country",
            };
            ManageError::invalid(
                field,
                format!("Twilio has no number available {wanted}; try another."),
            )
        }
        NumberError::Refused(store) => ManageError::from(store),
        NumberError::Failed(failure) => failed(failure),
    }
}

/// The request read strictly, each refusal naming its field.
fn checked(request: PhoneRequest) -> ManageResult<NumberSource> {
    match request {
        PhoneRequest::Attach { phone_number } => Ok(NumberSource::Attach {
            phone_number: fields::phone_number("phone_number", &phone_number)?,
        }),
        PhoneRequest::Buy {
            country,
            area_code,
            contains,
        } => {
            if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(ManageError::invalid(
                    "buy.country",
                    format!("{country:?} is not a two-letter country code like US"),
                ));
            }
            if let Some(code) = &area_code
                && (code.is_empty() || code.len() > 5 || !code.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(ManageError::invalid(
                    "buy.area_code",
                    format!("{code:?} is not an area code (1 to 5 digits, like 415)"),
                ));
            }
            if let Some(pattern) = &contains
                && (pattern.len() < 2
                    || pattern.len() > 16
                    || !pattern.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'*'))
            {
                return Err(ManageError::invalid(
                    "buy.contains",
                    format!("{pattern:?} is not a pattern of 2 to 16 digits, letters or *"),
                ));
            }
            Ok(NumberSource::Buy(AvailableSearch {
                country,
                area_code,
                contains,
                voice_enabled: true,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(request: PhoneRequest) -> String {
        match checked(request) {
            Err(ManageError::Invalid { field, .. }) => field,
            other => panic!("not refused: {other:?}"),
        }
    }

    fn buy(country: &str, area_code: Option<&str>, contains: Option<&str>) -> PhoneRequest {
        PhoneRequest::Buy {
            country: country.into(),
            area_code: area_code.map(Into::into),
            contains: contains.map(Into::into),
        }
    }

    #[test]
    fn each_refusal_names_its_field() {
        assert_eq!(
            field_of(PhoneRequest::Attach {
                phone_number: "415 555 0100".into()
            }),
            "phone_number"
        );
        assert_eq!(field_of(buy("usa", None, None)), "buy.country");
        assert_eq!(field_of(buy("US", Some("41a"), None)), "buy.area_code");
        assert_eq!(field_of(buy("US", Some(""), None)), "buy.area_code");
        assert_eq!(field_of(buy("US", None, Some("5;5"))), "buy.contains");
    }

    #[test]
    fn a_good_request_is_read_as_its_source() {
        assert_eq!(
            checked(buy("US", Some("415"), Some("55*"))).unwrap(),
            NumberSource::Buy(AvailableSearch {
                country: "US".into(),
                area_code: Some("415".into()),
                contains: Some("55*".into()),
                voice_enabled: true,
            })
        );
        assert_eq!(
            checked(PhoneRequest::Attach {
                phone_number: "+14155550100".into()
            })
            .unwrap(),
            NumberSource::Attach {
                phone_number: "+14155550100".into()
            }
        );
    }
}
