//! How ElevenLabs applies a `PATCH` to an agent: objects merge key by key, everything else,
//! arrays included, replaces what was there (elevenlabs/elevenlabs-python#547: "If the full
//! list is not provided, the existing tools get overwritten").

use serde_json::Value;

/// Applies `patch` onto `target`.
pub fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(existing), Value::Object(changes)) => {
            for (key, change) in changes {
                match existing.get_mut(&key) {
                    Some(slot) => merge(slot, change),
                    None => {
                        existing.insert(key, change);
                    }
                }
            }
        }
        (slot, replacement) => *slot = replacement,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_merge_and_arrays_are_replaced_whole() {
        let mut agent = json!({"agent": {"first_message": "hi", "language": "en",
            "prompt": {"tool_ids": ["a", "b"], "llm": "x"}}});
        merge(
            &mut agent,
            json!({"agent": {"first_message": "hello", "prompt": {"tool_ids": ["c"]}}}),
        );
        assert_eq!(
            agent,
            json!({"agent": {"first_message": "hello", "language": "en",
                "prompt": {"tool_ids": ["c"], "llm": "x"}}})
        );
    }

    #[test]
    fn a_null_or_a_scalar_replaces_an_object() {
        let mut value = json!({"a": {"b": 1}});
        merge(&mut value, json!({"a": null}));
        assert_eq!(value, json!({"a": null}));
    }
}
