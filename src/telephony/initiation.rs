//! What the agent is told about a call as its conversation opens
//! (`conversation_initiation_client_data`): dynamic variables its prompt can use, and its
//! first message (see `greeting`).
//!
//! Every variable is sent on every call, an unknown value as an empty string: ElevenLabs
//! refuses a conversation whose prompt uses a variable that is missing
//! (`missing_dynamic_variable`).
//!
//! | variable | value |
//! |---|---|
//! | `caller_number`, `called_number`, `call_sid` | as Twilio gave them |
//! | `caller_name` | the caller's name when their number is a contact of the account |
//! | `agent_name`, `timezone` | the agent's name and IANA zone |
//! | `today` | the date on the agent's wall clock (`YYYY-MM-DD`) |
//! | `business_name`, `business_context` | the account's name, what the agent is told about the business |
//! | `booking_url` | the business's online booking page |
//! | `host_name`, `host_timezone` | the host behind the meeting types the agent offers (see `call_facts`) |
//! | `records_calls` | `true` when the account records calls (the greeting asks for consent), else `false` |

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::Value;

use crate::store::Store;
use crate::wire::elevenlabs::InitiationClientData;

use super::call_facts::{self, CallFacts};
use super::directory::Line;
use super::greeting::{self, Opening};

/// The call as Twilio named it.
#[derive(Debug, Clone, Copy)]
pub struct CallParties<'a> {
    pub call_sid: &'a str,
    /// The caller's number (`anonymous` when withheld).
    pub from: &'a str,
    pub to: &'a str,
}

/// Looks up the call's facts, then builds what the agent is told; for a task of its own (the
/// pre-warm's), off the call's path.
pub async fn look_up_and_build(
    store: Store,
    line: Line,
    call_sid: String,
    from: String,
    to: String,
    now: Timestamp,
) -> InitiationClientData {
    let facts = call_facts::look_up(&store, &line, &from).await;
    let parties = CallParties {
        call_sid: &call_sid,
        from: &from,
        to: &to,
    };
    initiation_data(&line, &facts, parties, now)
}

/// The dynamic variables and the first message override of a call to `line` at `now`. The
/// override must be enabled in the ElevenLabs agent's security settings, or ElevenLabs refuses
/// the call. Pure.
pub fn initiation_data(
    line: &Line,
    facts: &CallFacts,
    call: CallParties<'_>,
    now: Timestamp,
) -> InitiationClientData {
    let (agent, account) = (&line.agent, &line.account);
    let today = jiff::tz::TimeZone::get(&agent.timezone)
        .map(|tz| now.to_zoned(tz).date().to_string())
        .unwrap_or_else(|_| now.to_string()[..10].to_owned());
    let caller_name = facts.caller_name.as_deref().and_then(greeting::spoken_name);
    let host = facts.host.as_ref();
    let records_calls = account.record_calls;
    let variables: BTreeMap<String, Value> = [
        ("caller_number", call.from),
        ("called_number", call.to),
        ("call_sid", call.call_sid),
        ("caller_name", caller_name.as_deref().unwrap_or_default()),
        ("agent_name", agent.name.as_str()),
        ("business_name", account.name.as_str()),
        (
            "business_context",
            agent.business_context.as_deref().unwrap_or_default(),
        ),
        ("booking_url", account.booking_url.as_deref().unwrap_or_default()),
        (
            "host_name",
            host.map(|host| host.name.as_str()).unwrap_or_default(),
        ),
        (
            "host_timezone",
            host.map(|host| host.timezone.as_str()).unwrap_or_default(),
        ),
        ("timezone", agent.timezone.as_str()),
        ("today", today.as_str()),
        ("records_calls", if records_calls { "true" } else { "false" }),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
    .collect();
    let first_message = greeting::first_message(Opening {
        greeting: agent.first_message.as_deref(),
        business_name: &account.name,
        caller_name: caller_name.as_deref(),
        ask_recording_consent: records_calls,
    });
    InitiationClientData {
        conversation_config_override: Some(
            serde_json::json!({ "agent": { "first_message": first_message } }),
        ),
        dynamic_variables: variables,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::Host;
    use crate::telephony::fixtures;

    const NAMES: [&str; 13] = [
        "agent_name",
        "booking_url",
        "business_context",
        "business_name",
        "call_sid",
        "called_number",
        "caller_name",
        "caller_number",
        "host_name",
        "host_timezone",
        "records_calls",
        "timezone",
        "today",
    ];

    fn parties() -> CallParties<'static> {
        CallParties {
            call_sid: "CA1",
            from: "+15005550006",
            to: "+15550100001",
        }
    }

    fn variable<'a>(data: &'a InitiationClientData, name: &str) -> &'a str {
        data.dynamic_variables[name].as_str().unwrap()
    }

    fn first_message(data: &InitiationClientData) -> &str {
        data.conversation_config_override.as_ref().unwrap()["agent"]["first_message"]
            .as_str()
            .unwrap()
    }

    #[test]
    fn every_variable_is_sent_and_an_unknown_one_is_an_empty_string() {
        let now: Timestamp = "2026-11-30T09:00:00Z".parse().unwrap();
        let data = initiation_data(&fixtures::line(), &CallFacts::default(), parties(), now);
        assert_eq!(
            data.dynamic_variables
                .keys()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            NAMES
        );
        for unknown in [
            "booking_url",
            "business_context",
            "caller_name",
            "host_name",
            "host_timezone",
        ] {
            assert_eq!(data.dynamic_variables[unknown], json!(""), "{unknown}");
        }
        assert_eq!(variable(&data, "records_calls"), "false");
        assert_eq!(variable(&data, "business_name"), "Harbor Dental");
        assert_eq!(
            first_message(&data),
            "Thank you for calling Harbor Dental. I'm an AI assistant. How can I help you today?"
        );
    }

    #[test]
    fn what_is_known_about_the_business_the_host_and_the_caller_is_told() {
        let mut line = fixtures::line();
        line.agent.timezone = "Pacific/Auckland".into();
        line.agent.business_context = Some("A dental practice by the harbor.".into());
        line.agent.first_message = Some("Hello! Harbor Dental here. How can I help?".into());
        line.account.booking_url = Some("https://harbor.example/book".into());
        line.account.record_calls = true;
        let facts = CallFacts {
            host: Some(Host {
                id: "host-1".into(),
                account_id: "account-1".into(),
                name: "Dr. Chen".into(),
                email: None,
                timezone: "Pacific/Auckland".into(),
                lock_version: 0,
                created_at: Timestamp::UNIX_EPOCH,
            }),
            caller_name: Some("Anna\nSchmidt".into()),
        };
        // 20:00 UTC is already the next morning in Auckland.
        let now: Timestamp = "2026-11-30T20:00:00Z".parse().unwrap();
        let data = initiation_data(&line, &facts, parties(), now);
        for (name, value) in [
            ("today", "2026-12-01"),
            ("timezone", "Pacific/Auckland"),
            ("business_context", "A dental practice by the harbor."),
            ("booking_url", "https://harbor.example/book"),
            ("host_name", "Dr. Chen"),
            ("host_timezone", "Pacific/Auckland"),
            ("caller_name", "Anna Schmidt"),
            ("caller_number", "+15005550006"),
            ("records_calls", "true"),
        ] {
            assert_eq!(variable(&data, name), value, "{name}");
        }
        assert_eq!(
            first_message(&data),
            "Hello, Anna Schmidt! Harbor Dental here. I'm an AI assistant. How can I help? \
             This call is recorded. Is that all right with you?"
        );
    }
}
