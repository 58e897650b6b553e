//! Hosts: the people (or rooms) whose time is booked. Create, list, read, change and delete
//! them within the scope's account. A host still used by event types or bookings is not
//! deleted; the refusal says what uses it.

use crate::store::{self, Deletion, HostId, HostUpdate, InUse, NewHost, Page, PageRequest, Store};

use super::Scope;
use super::calendar_input::{self, required};
use super::error::{ManageError, ManageResult};

/// A host as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostView {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    /// IANA time zone in which the host's hours, overrides and blackout dates are read.
    pub timezone: String,
    /// RFC 3339, UTC.
    pub created_at: String,
}

impl From<store::Host> for HostView {
    fn from(host: store::Host) -> HostView {
        HostView {
            id: host.id.into_string(),
            name: host.name,
            email: host.email,
            timezone: host.timezone,
            created_at: host.created_at.to_string(),
        }
    }
}

/// A new host. `name` and `timezone` are required.
#[derive(Debug, Clone, Default)]
pub struct NewHostInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub timezone: Option<String>,
}

/// A change to a host: `None` fields stay as they are; `email: Some(None)` clears the email.
#[derive(Debug, Clone, Default)]
pub struct HostPatch {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub timezone: Option<String>,
}

pub async fn create(store: &Store, scope: &Scope, input: NewHostInput) -> ManageResult<HostView> {
    let new = NewHost {
        name: calendar_input::name("name", &required("name", input.name)?)?,
        email: input
            .email
            .map(|email| calendar_input::email("email", &email))
            .transpose()?,
        timezone: calendar_input::timezone("timezone", &required("timezone", input.timezone)?)?,
    };
    Ok(store.create_host(&scope.account_id, new).await?.into())
}

/// One page of the account's hosts, oldest first.
pub async fn list(store: &Store, scope: &Scope, page: &PageRequest) -> ManageResult<Page<HostView>> {
    Ok(store
        .hosts_page(&scope.account_id, page)
        .await?
        .map(HostView::from))
}

pub async fn get(store: &Store, scope: &Scope, id: &str) -> ManageResult<HostView> {
    Ok(store.host(&scope.account_id, &HostId::from(id)).await?.into())
}

pub async fn update(store: &Store, scope: &Scope, id: &str, patch: HostPatch) -> ManageResult<HostView> {
    let id = HostId::from(id);
    // A host of another account is not found, before any field is looked at.
    store.host(&scope.account_id, &id).await?;
    let update = HostUpdate {
        name: patch
            .name
            .map(|name| calendar_input::name("name", &name))
            .transpose()?,
        email: patch
            .email
            .map(|email| {
                email
                    .map(|email| calendar_input::email("email", &email))
                    .transpose()
            })
            .transpose()?,
        timezone: patch
            .timezone
            .map(|timezone| calendar_input::timezone("timezone", &timezone))
            .transpose()?,
    };
    Ok(store.update_host(&scope.account_id, &id, update).await?.into())
}

/// Deletes the host with its weekly hours, overrides and blackout dates. A host with event
/// types or bookings is refused with `Conflict { code: "host_in_use" }`: its event types would
/// be left without a calendar, and its bookings (past and cancelled ones too) are the
/// account's record of whom they were with.
pub async fn delete(store: &Store, scope: &Scope, id: &str) -> ManageResult<()> {
    match store.delete_host(&scope.account_id, &HostId::from(id)).await {
        Ok(Deletion::Deleted) => Ok(()),
        Ok(Deletion::Refused(in_use)) => Err(ManageError::conflict("host_in_use", host_in_use(&in_use))),
        // An event type or a booking made between the check and the delete.
        Err(store::StoreError::Conflict {
            constraint: store::Constraint::ForeignKey(_),
        }) => Err(ManageError::conflict(
            "host_in_use",
            "An event type or a booking was just made with this host, so it is kept; ask again to see what uses it.",
        )),
        Err(error) => Err(error.into()),
    }
}

fn host_in_use(in_use: &InUse) -> String {
    let mut reasons = Vec::new();
    if !in_use.event_types.is_empty() {
        reasons.push(format!(
            "event types use it ({}): give them another host (PATCH their host_id) or delete them first",
            in_use.event_types.join(", ")
        ));
    }
    if in_use.bookings > 0 {
        reasons.push(format!(
            "it has {} booking{}, kept with their host as the account's history",
            in_use.bookings,
            if in_use.bookings == 1 { "" } else { "s" }
        ));
    }
    format!("This host cannot be deleted: {}.", reasons.join("; and "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_names_what_uses_the_host() {
        let message = host_in_use(&InUse {
            event_types: vec!["cleaning".into(), "consultation".into()],
            agents: vec![],
            bookings: 1,
        });
        assert_eq!(
            message,
            "This host cannot be deleted: event types use it (cleaning, consultation): give them another \
             host (PATCH their host_id) or delete them first; and it has 1 booking, kept with their host as \
             the account's history."
        );
    }
}
