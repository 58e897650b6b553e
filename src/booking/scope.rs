//! Whose data a use case may touch: an account and the agent acting for it, and the meeting
//! types that agent offers (its linked ones, or all active non-secret ones when it has no links).

use crate::store::{AccountId, AgentId, EventType, Store, StoreResult};

use super::error::BookingError;

/// The account and agent a use case acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub account_id: AccountId,
    pub agent_id: AgentId,
}

impl Scope {
    /// What the agent offers callers, by slug.
    pub async fn offered_event_types(&self, store: &Store) -> StoreResult<Vec<EventType>> {
        store
            .event_types_for_agent(&self.account_id, &self.agent_id)
            .await
    }

    /// The offered meeting type a caller names, by slug or by name in any case. A secret,
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
        .find(|event_type| event_type.slug.eq_ignore_ascii_case(named))
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
    }
}
