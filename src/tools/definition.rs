//! A tool as an LLM is told about it: its name, what it does, and the JSON schema of its
//! parameters, derived with schemars from the type the tool reads them into. Each tool's
//! [`Definition`] lives beside the tool; `schema` assembles them for ElevenLabs, and an API
//! description can take them from the same place, so the two cannot drift apart.
//!
//! ElevenLabs takes only a subset of JSON Schema for tool parameters (see `schema`): an object
//! whose every property has a plain `type` and a `description`, optionally an `enum`, and a
//! `required` list. So the generator inlines every subschema (no `$ref`, `$defs`), writes no
//! `$schema`, and [`elevenlabs_subset`] removes what schemars adds for `Option` (`null` in
//! `type` and `enum`). Doc comments, or `#[schemars(description = …)]` for the descriptions
//! several tools share, become the property descriptions.
//!
//! Every parameter is an `Option` in Rust, so that a missing one is answered with a sentence
//! saying what is needed (`params::required`) rather than a serde error; the ones the LLM must
//! send carry `#[schemars(required)]`, which lists them in `required` while they stay `Option`.
//!
//! schemars' attributes (`required`, `with`, `description`, doc comments):
//! <https://graham.cool/schemars/deriving/attributes/>; generator settings and transforms:
//! <https://docs.rs/schemars/1/schemars/generate/struct.SchemaSettings.html>.

use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value};

/// One tool as an LLM sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Definition {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    /// The parameters' schema: `{"type": "object", "required": [...], "properties": {...}}`,
    /// from [`parameters_of`] the tool's parameter type.
    pub(crate) parameters: fn() -> Value,
}

/// The parameters of a tool that takes none.
#[derive(Debug, JsonSchema)]
pub(crate) struct NoParameters {}

/// Descriptions several tools share.
pub(crate) const SLUG: &str = "The meeting type's slug from list_event_types, like cleaning.";
pub(crate) const TIMEZONE: &str =
    "The caller's IANA timezone, like America/New_York. Leave empty to use the business's.";
pub(crate) const REFERENCE: &str = "The booking reference the caller gives, like K7M4PX.";

/// The object schema of `P` in the subset ElevenLabs accepts. The object always lists
/// `properties` and `required`, empty or not. The type's own doc comment (schemars' root
/// `description`) and name (`title`) are left out: the tool's description is given beside
/// its parameters.
pub(crate) fn parameters_of<P: JsonSchema>() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.meta_schema = None;
    settings.inline_subschemas = true;
    let generator = settings
        .with_transform(RecursiveTransform(elevenlabs_subset))
        .into_generator();
    let mut schema = match Value::from(generator.into_root_schema_for::<P>()) {
        Value::Object(schema) => schema,
        other => unreachable!("a struct's schema is an object, not {other}"),
    };
    schema.remove("title");
    schema.remove("description");
    schema
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    schema
        .entry("required")
        .or_insert_with(|| Value::Array(Vec::new()));
    Value::Object(schema)
}

/// Rewrites one (sub)schema into the subset ElevenLabs accepts. Written here rather than taken
/// from schemars: its built-in transforms target OpenAPI 3.0 (`nullable`) and JSON Schema
/// drafts, none of which drops `null` altogether.
/// - `"type": ["string", "null"]` (an `Option`) becomes `"type": "string"`, and `null` leaves
///   an `enum`: a parameter the LLM has no value for is left out, never sent as `null`.
/// - A description written over several doc comment lines becomes one line, as rustdoc reads
///   it (a line break in a doc comment is a soft wrap).
fn elevenlabs_subset(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|kind| kind != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            object.insert("type".to_owned(), only);
        }
    }
    if let Some(Value::Array(values)) = object.get_mut("enum") {
        values.retain(|value| !value.is_null());
    }
    if let Some(Value::String(description)) = object.get_mut("description") {
        *description = description
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// How one booking can go.
    #[derive(JsonSchema)]
    #[schemars(rename_all = "snake_case")]
    #[allow(dead_code)]
    enum Outcome {
        Booked,
        MessageTaken,
    }

    /// A probe of every kind of field the tools use.
    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Probe {
        /// Must be sent, though
        /// optional in Rust.
        #[schemars(required)]
        needed: Option<String>,
        #[schemars(description = SLUG)]
        optional: Option<String>,
        /// Yes or no.
        #[schemars(with = "Option<bool>")]
        flag: Option<String>,
        /// What happened.
        #[schemars(required, with = "Option<Outcome>")]
        outcome: Option<String>,
    }

    #[test]
    fn options_are_plain_types_and_only_marked_fields_are_required() {
        assert_eq!(
            parameters_of::<Probe>(),
            json!({
                "type": "object",
                "properties": {
                    "needed": {"type": "string", "description": "Must be sent, though optional in Rust."},
                    "optional": {"type": "string", "description": SLUG},
                    "flag": {"type": "boolean", "description": "Yes or no."},
                    "outcome": {"type": "string", "description": "What happened.", "enum": ["booked", "message_taken"]},
                },
                "required": ["needed", "outcome"],
            })
        );
    }

    #[test]
    fn no_parameters_is_an_empty_object_with_an_empty_required_list() {
        assert_eq!(
            parameters_of::<NoParameters>(),
            json!({"type": "object", "properties": {}, "required": []})
        );
    }
}
