//! Request validation the way ElevenLabs' FastAPI/pydantic v2 server reports it: a 422 with
//! `{"detail": [{"type", "loc", "msg", "input"}]}`, where `loc` starts with where the value
//! came from (`"body"`, `"query"`) and walks down to the offending field.
//!
//! Bodies are read with serde (`deny_unknown_fields` types) through `serde_path_to_error`, so
//! the error knows its path; serde's messages are then named with pydantic's error types
//! (`extra_forbidden`, `missing`, `enum`, `int_type`, …). Range and enum checks inside the
//! types raise a serde custom error made by [`custom`], which carries the pydantic type and
//! message through. pydantic reports every error of a body at once; serde stops at the first,
//! so these answers list one.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// Separates the pydantic error type from its message inside a serde custom error.
const SEPARATOR: char = '\u{1f}';

/// One pydantic `ValidationError` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub kind: String,
    pub loc: Vec<Value>,
    pub msg: String,
    pub input: Value,
}

impl FieldError {
    pub fn new(kind: &str, loc: Vec<Value>, msg: impl Into<String>, input: Value) -> Self {
        FieldError {
            kind: kind.to_owned(),
            loc,
            msg: msg.into(),
            input,
        }
    }

    /// The 422 body listing this error.
    pub fn body(&self) -> Value {
        json!({"detail": [{"type": self.kind, "loc": self.loc, "msg": self.msg, "input": self.input}]})
    }
}

/// A serde custom error that [`read`] turns into the pydantic error `kind` with `msg`.
pub fn custom<E: serde::de::Error>(kind: &str, msg: &str) -> E {
    E::custom(format!("{kind}{SEPARATOR}{msg}"))
}

/// pydantic's message for a value outside `min..=max`.
pub fn out_of_range<E: serde::de::Error, N: PartialOrd + std::fmt::Display>(
    value: N,
    min: N,
    max: N,
) -> Result<N, E> {
    if value < min {
        Err(custom(
            "greater_than_equal",
            &format!("Input should be greater than or equal to {min}"),
        ))
    } else if value > max {
        Err(custom(
            "less_than_equal",
            &format!("Input should be less than or equal to {max}"),
        ))
    } else {
        Ok(value)
    }
}

/// pydantic's message for a value not among `allowed`.
pub fn not_one_of<E: serde::de::Error>(allowed: &[&str]) -> E {
    custom("enum", &enum_message(allowed))
}

fn enum_message<S: AsRef<str>>(allowed: &[S]) -> String {
    let quoted: Vec<String> = allowed.iter().map(|a| format!("'{}'", a.as_ref())).collect();
    match quoted.split_last() {
        Some((last, [])) => format!("Input should be {last}"),
        Some((last, rest)) => format!("Input should be {} or {last}", rest.join(", ")),
        None => "Input should be a valid enumeration member".to_owned(),
    }
}

/// Reads `value` (found at `prefix`, e.g. `["body"]`) as a `T`, or says what is wrong with it
/// as pydantic would.
pub fn read<T: DeserializeOwned>(value: &Value, prefix: &[Value]) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let mut loc: Vec<Value> = prefix.to_vec();
        for segment in error.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => loc.push(json!(index)),
                serde_path_to_error::Segment::Map { key } => loc.push(json!(key)),
                serde_path_to_error::Segment::Enum { variant } => loc.push(json!(variant)),
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        describe(error.inner().to_string(), loc, value, prefix.len())
    })
}

/// Names serde's message `message` (about the value at `loc`) with pydantic's error type.
fn describe(message: String, mut loc: Vec<Value>, root: &Value, prefix_len: usize) -> FieldError {
    let at = |loc: &[Value]| lookup(root, &loc[prefix_len..]).cloned().unwrap_or(Value::Null);
    if let Some((kind, msg)) = message.split_once(SEPARATOR) {
        let input = at(&loc);
        return FieldError::new(kind, loc, msg, input);
    }
    if let Some(field) = quoted_name(&message, "missing field `") {
        let input = at(&loc);
        loc.push(json!(field));
        return FieldError::new("missing", loc, "Field required", input);
    }
    if let Some(field) = quoted_name(&message, "unknown field `") {
        if loc.last() != Some(&json!(field)) {
            loc.push(json!(field));
        }
        let input = at(&loc);
        return FieldError::new("extra_forbidden", loc, "Extra inputs are not permitted", input);
    }
    if message.starts_with("unknown variant `") {
        let allowed: Vec<&str> = message
            .split_once("expected ")
            .map(|(_, list)| list.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        let input = at(&loc);
        return FieldError::new("enum", loc, enum_message(&allowed), input);
    }
    let input = at(&loc);
    let expected = message.rsplit_once("expected ").map_or("", |(_, e)| e);
    let (kind, msg) = type_error(expected);
    FieldError::new(kind, loc, msg, input)
}

/// pydantic's type error for serde's "expected …" phrase.
fn type_error(expected: &str) -> (&'static str, &'static str) {
    let integer = [
        "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "isize",
    ];
    if integer.iter().any(|t| expected.starts_with(t)) {
        ("int_type", "Input should be a valid integer")
    } else if expected.starts_with("f32") || expected.starts_with("f64") {
        ("float_type", "Input should be a valid number")
    } else if expected.starts_with("a boolean") {
        ("bool_type", "Input should be a valid boolean")
    } else if expected.starts_with("a string") {
        ("string_type", "Input should be a valid string")
    } else if expected.starts_with("a sequence") {
        ("list_type", "Input should be a valid list")
    } else if expected.starts_with("a map") {
        ("dict_type", "Input should be a valid dictionary")
    } else {
        (
            "model_attributes_type",
            "Input should be a valid dictionary or object to extract fields from",
        )
    }
}

fn quoted_name<'a>(message: &'a str, lead: &str) -> Option<&'a str> {
    message.strip_prefix(lead)?.split('`').next()
}

/// The value at `path` inside `root`.
fn lookup<'a>(root: &'a Value, path: &[Value]) -> Option<&'a Value> {
    path.iter().try_fold(root, |value, segment| match segment {
        Value::String(key) => value.get(key.as_str()),
        Value::Number(index) => value.get(index.as_u64()? as usize),
        _ => None,
    })
}

/// The 422 for a body that is not JSON at all.
pub fn json_invalid(error: &serde_json::Error) -> FieldError {
    FieldError::new(
        "json_invalid",
        vec![json!("body"), json!(error.column())],
        "JSON decode error",
        json!({}),
    )
}

/// A number kept inside `min..=max`, with a default: `bounded!(Stability, f64, 0.0, 1.0, 0.5)`.
macro_rules! bounded {
    ($name:ident, $ty:ty, $min:expr, $max:expr, $default:expr) => {
        #[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(pub $ty);

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <$ty as serde::Deserialize>::deserialize(deserializer)?;
                $crate::sim::agent::rest::validation::out_of_range(value, $min, $max).map($name)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name($default)
            }
        }
    };
}
pub(crate) use bounded;

/// A string that must be one of the listed values, with a default:
/// `one_of!(TurnMode, "turn", ["silence", "turn"])`.
macro_rules! one_of {
    ($name:ident, $default:expr, [$($value:expr),+ $(,)?]) => {
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub const ALLOWED: &'static [&'static str] = &[$($value),+];
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = <String as serde::Deserialize>::deserialize(deserializer)?;
                if Self::ALLOWED.contains(&value.as_str()) {
                    Ok($name(value))
                } else {
                    Err($crate::sim::agent::rest::validation::not_one_of(Self::ALLOWED))
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name(String::from($default))
            }
        }
    };
}
pub(crate) use one_of;

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        inner: Inner,
        #[serde(default)]
        list: Vec<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        name: String,
        #[serde(default)]
        mood: Option<Mood>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Mood {
        Calm,
        Busy,
    }

    fn error_of(body: Value) -> Value {
        read::<Outer>(&body, &[json!("body")]).unwrap_err().body()
    }

    #[test]
    fn an_unknown_field_is_extra_forbidden_at_its_own_path() {
        let body = error_of(json!({"inner": {"name": "a", "colour": "red"}}));
        assert_eq!(
            body,
            json!({"detail": [{"type": "extra_forbidden", "loc": ["body", "inner", "colour"],
                "msg": "Extra inputs are not permitted", "input": "red"}]})
        );
    }

    #[test]
    fn a_missing_field_is_named_in_its_loc() {
        let body = error_of(json!({"inner": {}}));
        assert_eq!(
            body,
            json!({"detail": [{"type": "missing", "loc": ["body", "inner", "name"],
                "msg": "Field required", "input": {}}]})
        );
    }

    #[test]
    fn wrong_types_and_enum_values_read_as_pydantic_says_them() {
        let body = error_of(json!({"inner": {"name": "a"}, "list": [1, "two"]}));
        assert_eq!(body["detail"][0]["type"], "int_type");
        assert_eq!(body["detail"][0]["loc"], json!(["body", "list", 1]));
        assert_eq!(body["detail"][0]["input"], "two");
        let body = error_of(json!({"inner": {"name": "a", "mood": "sad"}}));
        assert_eq!(body["detail"][0]["type"], "enum");
        assert_eq!(body["detail"][0]["msg"], "Input should be 'calm' or 'busy'");
        assert_eq!(body["detail"][0]["loc"], json!(["body", "inner", "mood"]));
    }

    #[test]
    fn enum_messages_join_like_pydantic() {
        assert_eq!(enum_message(&["a"]), "Input should be 'a'");
        assert_eq!(enum_message(&["a", "b", "c"]), "Input should be 'a', 'b' or 'c'");
    }
}
