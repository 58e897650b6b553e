//! Whose data a use case may touch: an account and who acts for it, and the meeting types they
//! may book: an agent offers its linked ones (or all active non-secret ones when it has no
//! links); the account's own team (the management API) may book any of the account's.

use crate::store::{AccountId, AgentId, EventType, Store, StoreResult};

use super::error::BookingError;

/// The account a use case acts for, and the agent acting (`None`: the account's team).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub account_id: AccountId,
    /// The voice agent on a call; `None` for the account's own team, who may book and move any
    /// of the account's meeting types, secret ones included (an inactive one is still refused
    /// by the availability rules).
    pub agent_id: Option<AgentId>,
}

impl Scope {
    /// An agent on a call, limited to what it offers.
    pub fn agent(account_id: AccountId, agent_id: AgentId) -> Scope {
        Scope {
            account_id,
            agent_id: Some(agent_id),
        }
    }

    /// The account's own team, through the management API.
    pub fn team(account_id: AccountId) -> Scope {
        Scope {
            account_id,
            agent_id: None,
        }
    }

    /// What may be booked: what the agent offers callers, or all the account's meeting types
    /// for its team; by slug.
    pub async fn offered_event_types(&self, store: &Store) -> StoreResult<Vec<EventType>> {
        match &self.agent_id {
            Some(agent_id) => store.event_types_for_agent(&self.account_id, agent_id).await,
            None => store.event_types(&self.account_id).await,
        }
    }

    /// The offered meeting type a caller names, by id, slug or name in any case. A secret,
    /// inactive or unlinked one is [`BookingError::NotOffered`]: the agent cannot tell it exists.
    pub async fn offered_event_type(&self, store: &Store, named: &str) -> Result<EventType, BookingError> {
        let offered = self.offered_event_types(store).await?;
        match find_by_slug_or_name(&offered, named) {
            Some(event_type) => Ok(event_type.clone()),
            None => Err(BookingError::NotOffered {
                named: named.to_owned(),
                offered,
            }),
        }
    }
}

fn find_by_slug_or_name<'a>(offered: &'a [EventType], named: &str) -> Option<&'a EventType> {
    let named = named.trim();
    offered
        .iter()
        .find(|event_type| event_type.id.as_str() == named)
        .or_else(|| {
            offered
                .iter()
                .find(|event_type| event_type.slug.eq_ignore_ascii_case(named))
        })
        .or_else(|| {
            offered
                .iter()
                .find(|event_type| event_type.name.eq_ignore_ascii_case(named))
        })
}

#[cfg(test)]
mod tests {
    use crate::store::testing::event_type;

    use super::*;

    #[test]
    fn event_types_are_found_by_slug_or_spoken_name() {
        let offered = [
            event_type("cleaning", "Cleaning"),
            event_type("consultation", "Consultation"),
        ];
        assert_eq!(
            find_by_slug_or_name(&offered, "Cleaning").unwrap().slug,
            "cleaning"
        );
        assert_eq!(
            find_by_slug_or_name(&offered, " consultation ").unwrap().slug,
            "consultation"
        );
        assert!(find_by_slug_or_name(&offered, "emergency").is_none());
        let by_id = event_type("by-id", "By id");
        let offered = [event_type("cleaning", "Cleaning"), by_id.clone()];
        assert_eq!(find_by_slug_or_name(&offered, by_id.id.as_str()), Some(&by_id));
    }
}
