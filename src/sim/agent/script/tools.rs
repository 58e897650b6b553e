//! The client tools the script calls, their parameters, and lenient readers of their results.
//!
//! The bridge implements the tools; its result shapes are `{"event_types": [{"slug", ...}]}`,
//! `{"slots": [{"time", "start_time"}], "date"}` (possibly grouped per day) and an object
//! with a `confirmation_message`. Results arrive as JSON text, sometimes encoded twice (a
//! JSON string holding JSON), or as whatever a Python SDK handler returned.

use jiff::{Timestamp, ToSpan};
use serde_json::{Value, json};

use super::vars::CallVariables;

/// How far ahead the agent looks for openings.
const SEARCH_DAYS: i32 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    ListEventTypes,
    GetAvailableSlots,
    CreateBooking,
    EndCall,
    TransferCall,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::ListEventTypes => "list_event_types",
            Tool::GetAvailableSlots => "get_available_slots",
            Tool::CreateBooking => "create_booking",
            Tool::EndCall => "end_call",
            Tool::TransferCall => "transfer_call",
        }
    }
}

/// An opening offered to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub start: Timestamp,
    /// As the tool wrote it, to hand back to `create_booking` unchanged.
    pub start_time: String,
}

pub fn available_slots_params(event_type_slug: &str, vars: &CallVariables) -> Value {
    let date_to = vars.today.checked_add(SEARCH_DAYS.days()).unwrap_or(vars.today);
    json!({
        "event_type_slug": event_type_slug,
        "date_from": vars.today.to_string(),
        "date_to": date_to.to_string(),
        "timezone": vars.timezone,
    })
}

/// The caller's name comes from the script's "My name is Jane Doe."; the address is the
/// stand-in caller's own, so the booking's confirmation email has somewhere to go.
pub fn booking_params(event_type_slug: &str, slot: &Slot, vars: &CallVariables) -> Value {
    let mut params = json!({
        "event_type_slug": event_type_slug,
        "start_time": slot.start_time,
        "invitee_name": "Jane Doe",
        "invitee_email": "jane.doe@example.com",
        "timezone": vars.timezone,
    });
    if let Some(phone) = &vars.caller_number {
        params["invitee_phone"] = json!(phone);
    }
    params
}

/// `transfer_call`'s parameters: why the caller wants a person, and the call so far.
pub fn transfer_params(reason: &str) -> Value {
    json!({
        "reason": reason,
        "summary": "The caller asked to speak with a person.",
    })
}

/// The slug of the first event type listed.
pub fn first_event_type_slug(result: &str) -> Option<String> {
    let value = parse(result)?;
    let listed = find_key(&value, "event_types").unwrap_or(&value);
    listed
        .as_array()?
        .iter()
        .find_map(|item| item.get("slug")?.as_str().filter(|s| !s.is_empty()))
        .map(str::to_owned)
}

/// The earliest slot anywhere in the result: in a flat `slots` array or in any nesting of
/// arrays and objects, as long as it is an object with a parseable `start_time`.
pub fn earliest_slot(result: &str) -> Option<Slot> {
    let value = parse(result)?;
    let mut earliest: Option<Slot> = None;
    visit_objects(&value, &mut |object| {
        let Some(start_time) = object.get("start_time").and_then(Value::as_str) else {
            return;
        };
        let Ok(start) = start_time.parse::<Timestamp>() else {
            return;
        };
        if earliest.as_ref().is_none_or(|e| start < e.start) {
            earliest = Some(Slot {
                start,
                start_time: start_time.to_owned(),
            });
        }
    });
    earliest
}

fn parse(result: &str) -> Option<Value> {
    match serde_json::from_str(result).ok()? {
        Value::String(inner) => serde_json::from_str(&inner).ok(),
        value => Some(value),
    }
}

fn find_key<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map
            .get(key)
            .or_else(|| map.values().find_map(|v| find_key(v, key))),
        Value::Array(items) => items.iter().find_map(|v| find_key(v, key)),
        _ => None,
    }
}

fn visit_objects(value: &Value, visit: &mut impl FnMut(&serde_json::Map<String, Value>)) {
    match value {
        Value::Object(map) => {
            visit(map);
            map.values().for_each(|v| visit_objects(v, visit));
        }
        Value::Array(items) => items.iter().for_each(|v| visit_objects(v, visit)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn vars() -> CallVariables {
        let vars: BTreeMap<String, Value> = serde_json::from_value(json!({
            "caller_number": "+15551230000", "timezone": "America/New_York", "today": "2026-02-27"
        }))
        .unwrap();
        CallVariables::from_dynamic(&vars, Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn parameters_follow_the_variables() {
        assert_eq!(
            available_slots_params("cleaning", &vars()),
            json!({"event_type_slug": "cleaning", "date_from": "2026-02-27", "date_to": "2026-03-06",
                   "timezone": "America/New_York"})
        );
        let slot = Slot {
            start: "2026-03-02T14:00:00Z".parse().unwrap(),
            start_time: "2026-03-02T14:00:00Z".into(),
        };
        assert_eq!(
            booking_params("cleaning", &slot, &vars()),
            json!({"event_type_slug": "cleaning", "start_time": "2026-03-02T14:00:00Z",
                   "invitee_name": "Jane Doe", "invitee_email": "jane.doe@example.com",
                   "invitee_phone": "+15551230000", "timezone": "America/New_York"})
        );
    }

    #[test]
    fn event_types_are_read_from_the_bridges_shape_and_looser_ones() {
        let bridge = r#"{"event_types":[{"slug":"cleaning","name":"Cleaning","duration_minutes":30,"description":"x"},{"slug":"exam"}]}"#;
        assert_eq!(first_event_type_slug(bridge).as_deref(), Some("cleaning"));
        let twice = serde_json::to_string(bridge).unwrap();
        assert_eq!(first_event_type_slug(&twice).as_deref(), Some("cleaning"));
        assert_eq!(
            first_event_type_slug(r#"[{"slug":"exam"}]"#).as_deref(),
            Some("exam")
        );
        assert_eq!(
            first_event_type_slug(r#"{"data":{"event_types":[{"name":"x"},{"slug":"late"}]}}"#).as_deref(),
            Some("late")
        );
        for nothing in [
            "",
            "not json",
            r#"{"event_types":[]}"#,
            r#"{"error":"down"}"#,
            "Client tool: x called successfully.",
        ] {
            assert_eq!(first_event_type_slug(nothing), None, "{nothing}");
        }
    }

    #[test]
    fn slots_are_found_flat_or_grouped_and_the_earliest_wins() {
        let flat = r#"{"slots":[{"time":"9:00 AM","start_time":"2026-02-10T14:00:00Z"},{"time":"8:00 AM","start_time":"2026-02-10T13:00:00Z"}],"date":"2026-02-10"}"#;
        assert_eq!(earliest_slot(flat).unwrap().start_time, "2026-02-10T13:00:00Z");
        let grouped = r#"{"days":[{"date":"2026-02-11","slots":[{"start_time":"2026-02-11T15:00:00Z"}]},
                                   {"date":"2026-02-10","slots":[{"start_time":"2026-02-10T16:30:00-05:00"}]}]}"#;
        let slot = earliest_slot(grouped).unwrap();
        assert_eq!(slot.start_time, "2026-02-10T16:30:00-05:00");
        assert_eq!(slot.start, "2026-02-10T21:30:00Z".parse::<Timestamp>().unwrap());
        for nothing in [
            r#"{"slots":[]}"#,
            r#"{"slots":[{"start_time":"soon"}]}"#,
            "[]",
            "null",
        ] {
            assert_eq!(earliest_slot(nothing), None, "{nothing}");
        }
    }

    proptest! {
        #[test]
        fn readers_never_panic_on_arbitrary_text(text in ".{0,200}") {
            let _ = first_event_type_slug(&text);
            let _ = earliest_slot(&text);
        }

        #[test]
        fn the_earliest_of_any_listed_slots_is_found(minutes in proptest::collection::vec(0i64..100_000, 1..20)) {
            let base: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
            let slots: Vec<Value> = minutes
                .iter()
                .map(|m| json!({"start_time": base.checked_add(m.minutes()).unwrap().to_string()}))
                .collect();
            let result = json!({"slots": slots}).to_string();
            let expected = base.checked_add(minutes.iter().min().unwrap().minutes()).unwrap();
            prop_assert_eq!(earliest_slot(&result).unwrap().start, expected);
        }
    }
}
