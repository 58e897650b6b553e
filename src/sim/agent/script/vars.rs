//! The dynamic variables the bridge sends in `conversation_initiation_client_data`, as the
//! script uses them: who calls, the business's timezone and its date today.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde_json::Value;

/// Variables with a fallback for each one a client did not send.
#[derive(Debug, Clone)]
pub struct CallVariables {
    pub caller_number: Option<String>,
    /// IANA name as sent; `UTC` when missing or unknown.
    pub timezone: String,
    pub tz: TimeZone,
    /// The business's date today: the `today` variable, else the date at `now` in `tz`.
    pub today: Date,
}

impl CallVariables {
    pub fn from_dynamic(vars: &BTreeMap<String, Value>, now: Timestamp) -> Self {
        let text = |key: &str| vars.get(key).and_then(as_text);
        let (timezone, tz) = text("timezone")
            .and_then(|name| TimeZone::get(&name).ok().map(|tz| (name, tz)))
            .unwrap_or_else(|| ("UTC".to_owned(), TimeZone::UTC));
        let today = text("today")
            .and_then(|day| day.parse::<Date>().ok())
            .unwrap_or_else(|| now.to_zoned(tz.clone()).date());
        CallVariables {
            caller_number: text("caller_number").filter(|n| !n.is_empty()),
            timezone,
            tz,
            today,
        }
    }
}

/// Dynamic variables may be strings, numbers or booleans.
fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(value: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn the_bridges_variables_are_taken_as_sent() {
        let now: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        let v = CallVariables::from_dynamic(
            &vars(json!({
                "caller_number": "+15551230000", "called_number": "+15557654321", "call_sid": "CA1",
                "agent_name": "Ava", "business_name": "Harbor Dental",
                "timezone": "America/New_York", "today": "2026-02-10"
            })),
            now,
        );
        assert_eq!(v.caller_number.as_deref(), Some("+15551230000"));
        assert_eq!(v.timezone, "America/New_York");
        assert_eq!(v.today, jiff::civil::date(2026, 2, 10));
    }

    #[test]
    fn missing_or_bad_variables_fall_back_to_utc_and_the_clock() {
        // 23:30 UTC on 1 March is already 2 March in Auckland.
        let now: Timestamp = "2026-03-01T23:30:00Z".parse().unwrap();
        let none = CallVariables::from_dynamic(&BTreeMap::new(), now);
        assert_eq!(
            (none.timezone.as_str(), none.today),
            ("UTC", jiff::civil::date(2026, 3, 1))
        );
        assert!(none.caller_number.is_none());
        let zoned = CallVariables::from_dynamic(
            &vars(json!({"timezone": "Pacific/Auckland", "today": "not a date", "caller_number": 5551234})),
            now,
        );
        assert_eq!(zoned.today, jiff::civil::date(2026, 3, 2));
        assert_eq!(zoned.caller_number.as_deref(), Some("5551234"));
        let bogus = CallVariables::from_dynamic(&vars(json!({"timezone": "Mars/Olympus"})), now);
        assert_eq!(bogus.timezone, "UTC");
    }
}
