//! Whose data a tool call may touch: the account and agent of the call, and the event types
//! that agent offers (its linked ones, or all active non-secret ones when it has no links).

use crate::call::ToolContext;
use crate::store::{AccountId, AgentId, EventType, Store};

use super::error::{ToolError, ToolResult};

/// The account and agent a tool call acts for.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub(crate) account_id: AccountId,
    pub(crate) agent_id: AgentId,
}

impl Scope {
    pub(crate) fn of(ctx: &ToolContext) -> ToolResult<Scope> {
        if ctx.account_id.is_empty() || ctx.agent_id.is_empty() {
            return Err(ToolError::Internal(
                "tool call without an account and agent".into(),
            ));
        }
        Ok(Scope {
            account_id: AccountId::from(ctx.account_id.as_str()),
            agent_id: AgentId::from(ctx.agent_id.as_str()),
        })
    }

    /// What the agent offers callers, by slug.
    pub(crate) async fn offered_event_types(&self, store: &Store) -> ToolResult<Vec<EventType>> {
        Ok(store
            .event_types_for_agent(&self.account_id, &self.agent_id)
            .await?)
    }

    /// The offered event type a caller names, by slug or by name in any case. A secret,
    /// inactive or unlinked event type is "not found": the agent cannot tell it exists.
    pub(crate) async fn offered_event_type(&self, store: &Store, named: &str) -> ToolResult<EventType> {
        let offered = self.offered_event_types(store).await?;
        find_by_slug_or_name(&offered, named)
            .cloned()
            .ok_or_else(|| not_offered(named, &offered))
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

fn not_offered(named: &str, offered: &[EventType]) -> ToolError {
    let sentence = if offered.is_empty() {
        format!("I can't book \"{named}\"; there are no meeting types to book on this line.")
    } else {
        let options: Vec<String> = offered
            .iter()
            .map(|event_type| format!("{} ({})", event_type.name, event_type.slug))
            .collect();
        format!(
            "I don't have a meeting type called \"{named}\". I can book: {}.",
            options.join(", ")
        )
    };
    ToolError::NotFound(sentence)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event_type(slug: &str, name: &str) -> EventType {
        EventType {
            id: slug.into(),
            account_id: "a".into(),
            host_id: "h".into(),
            slug: slug.into(),
            name: name.into(),
            description: String::new(),
            duration_min: 30,
            buffer_before_min: 0,
            buffer_after_min: 0,
            min_notice_min: 0,
            slot_interval_min: None,
            max_days_ahead: 30,
            per_day_limit: None,
            active: true,
            secret: false,
            created_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

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
        let sentence = not_offered("emergency", &offered).sentence();
        assert_eq!(
            sentence,
            "I don't have a meeting type called \"emergency\". I can book: Cleaning (cleaning), Consultation (consultation)."
        );
    }

    #[test]
    fn a_call_without_account_or_agent_is_an_internal_error() {
        let ctx = ToolContext {
            account_id: "acc".into(),
            ..ToolContext::default()
        };
        assert!(Scope::of(&ctx).unwrap_err().is_internal());
    }
}
