//! What is looked up about a call once, as it is answered, for the agent to know as its
//! conversation opens (see `initiation`): the host behind the meeting types the agent offers,
//! and the caller, when their number is a contact of the account.
//!
//! The lookups run in the pre-warm's task (or, for a stream whose webhook ran on another
//! instance, when its stream starts), never on the audio path. A lookup that fails leaves its
//! values empty: the call goes on, the agent just knows less.

use std::collections::HashMap;

use crate::store::{Host, HostId, Store};

use super::directory::Line;

/// What the store says about a call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFacts {
    /// The host of the meeting types the agent offers; with several hosts, the one behind the
    /// most of them (on a tie, the host of the first by slug).
    pub host: Option<Host>,
    /// The caller's name, when their number is a contact of the account with a name.
    pub caller_name: Option<String>,
}

/// Looks up the facts of a call from `caller` (as Twilio gives it) to `line`.
pub async fn look_up(store: &Store, line: &Line, caller: &str) -> CallFacts {
    let (host, caller_name) = tokio::join!(host_of(store, line), caller_name(store, line, caller));
    CallFacts { host, caller_name }
}

async fn host_of(store: &Store, line: &Line) -> Option<Host> {
    let account_id = &line.agent.account_id;
    let offered = store
        .event_types_for_agent(account_id, &line.agent.id)
        .await
        .inspect_err(|error| tracing::warn!(%error, "could not look up the agent's meeting types"))
        .ok()?;
    let host_id = main_host(offered.iter().map(|event_type| &event_type.host_id))?;
    store
        .host(account_id, host_id)
        .await
        .inspect_err(|error| tracing::warn!(%error, "could not look up the agent's host"))
        .ok()
}

/// The host behind the most of `hosts` (one per offered meeting type, by slug); on a tie the
/// first of them.
pub fn main_host<'a>(hosts: impl Iterator<Item = &'a HostId>) -> Option<&'a HostId> {
    let mut counts: Vec<(&HostId, usize)> = Vec::new();
    let mut index: HashMap<&HostId, usize> = HashMap::new();
    for host in hosts {
        let at = *index.entry(host).or_insert_with(|| {
            counts.push((host, 0));
            counts.len() - 1
        });
        counts[at].1 += 1;
    }
    // `max_by_key` keeps the last of equals: reversed, that is the first.
    counts
        .into_iter()
        .rev()
        .max_by_key(|&(_, count)| count)
        .map(|(host, _)| host)
}

async fn caller_name(store: &Store, line: &Line, caller: &str) -> Option<String> {
    if !crate::store::is_e164(caller) {
        // `anonymous`, `client:…`: no contact has such a number.
        return None;
    }
    store
        .contact_by_phone(&line.agent.account_id, caller)
        .await
        .inspect_err(|error| tracing::warn!(%error, "could not look up the caller's contact"))
        .ok()
        .flatten()
        .and_then(|contact| contact.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_main_host_is_behind_the_most_meeting_types_and_the_first_on_a_tie() {
        let (a, b, c) = (HostId::from("a"), HostId::from("b"), HostId::from("c"));
        assert_eq!(main_host([&a, &b, &b].into_iter()), Some(&b));
        assert_eq!(main_host([&c, &a, &a, &c].into_iter()), Some(&c));
        assert_eq!(main_host([&b].into_iter()), Some(&b));
        assert_eq!(main_host(std::iter::empty()), None);
    }
}
