//! `list_event_types`: the meeting types this agent offers, as the agent describes them.

use serde::Serialize;

use crate::booking::Scope;
use crate::store::Store;

use super::definition::{Definition, NoParameters, parameters_of};
use super::error::ToolResult;

pub(crate) const LIST_EVENT_TYPES: Definition = Definition {
    name: "list_event_types",
    description: "Lists the meeting types the caller can book, with their length and description.",
    parameters: parameters_of::<NoParameters>,
};

#[derive(Debug, Serialize)]
pub struct EventTypeList {
    pub event_types: Vec<EventTypeEntry>,
}

#[derive(Debug, Serialize)]
pub struct EventTypeEntry {
    pub slug: String,
    pub name: String,
    pub duration_minutes: u32,
    pub description: String,
}

pub(crate) async fn list_event_types(store: &Store, scope: &Scope) -> ToolResult<EventTypeList> {
    let event_types = scope
        .offered_event_types(store)
        .await?
        .into_iter()
        .map(|event_type| EventTypeEntry {
            slug: event_type.slug,
            name: event_type.name,
            duration_minutes: event_type.duration_min,
            description: event_type.description,
        })
        .collect();
    Ok(EventTypeList { event_types })
}
