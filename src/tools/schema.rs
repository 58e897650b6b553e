//! The tools' names, and their definitions for an ElevenLabs agent in both forms: client tools
//! (answered in-process over the call's WebSocket) and webhook tools (ElevenLabs calls
//! `POST {public_url}/tools/<name>`). Each tool's name, description and parameter type live
//! beside the tool (a `Definition`, see `definition` for how the schemas are derived); this
//! module only assembles them.
//!
//! Shapes follow ElevenLabs' tool API (`POST /v1/convai/tools` takes `{"tool_config": …}`; the
//! OpenAPI schemas `ClientToolConfig` and `WebhookToolConfig`,
//! https://elevenlabs.io/docs/api-reference/tools/create):
//! - client: `type: "client"`, `name`, `description`, `expects_response` (default false: the
//!   agent would not wait for the answer), `response_timeout_secs` (1–120, default 20),
//!   `parameters` (an object schema whose properties carry `type` and `description`);
//! - webhook: `type: "webhook"`, `name`, `description`, `response_timeout_secs` (5–120),
//!   `api_schema {url, method, request_headers, request_body_schema, content_type}`. A header
//!   value is a string or a workspace secret `{"secret_id": …}`; a body property may take its
//!   value from a dynamic variable instead of the LLM (`dynamic_variable`), which is how the
//!   agent id and caller number reach the endpoint (`system__agent_id`, `system__caller_id`,
//!   `system__called_number`, `system__call_sid`: https://elevenlabs.io/docs/agents-platform/customization/personalization/dynamic-variables).
//! - `tool_error_handling_mode` (`ToolErrorHandlingMode` in the same API: `auto`, `summarized`,
//!   `passthrough`, `hide`): the default `auto` hides a failed webhook's response from the agent
//!   for tools that are not native integrations. Our error bodies are sentences meant for the
//!   agent, so webhook tools ask for `passthrough`.

use serde_json::{Map, Value, json};

use super::definition::{Definition, NoParameters, parameters_of};
use super::{book, catalog, changes, consent, crm, slots};

/// The booking tools, by the names the agent calls them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToolName {
    ListEventTypes,
    GetAvailableSlots,
    CreateBooking,
    UpdateBooking,
    GetBookingDetails,
    UpsertContact,
    LogCall,
    RecordConsent,
}

impl ToolName {
    pub const ALL: [ToolName; 8] = [
        ToolName::ListEventTypes,
        ToolName::GetAvailableSlots,
        ToolName::CreateBooking,
        ToolName::UpdateBooking,
        ToolName::GetBookingDetails,
        ToolName::UpsertContact,
        ToolName::LogCall,
        ToolName::RecordConsent,
    ];

    pub fn as_str(self) -> &'static str {
        self.definition().name
    }

    pub fn parse(name: &str) -> Option<ToolName> {
        ToolName::ALL.into_iter().find(|tool| tool.as_str() == name)
    }

    /// The tool's name, description and parameters, as given beside the tool.
    fn definition(self) -> Definition {
        match self {
            ToolName::ListEventTypes => catalog::LIST_EVENT_TYPES,
            ToolName::GetAvailableSlots => slots::GET_AVAILABLE_SLOTS,
            ToolName::CreateBooking => book::CREATE_BOOKING,
            ToolName::UpdateBooking => changes::UPDATE_BOOKING,
            ToolName::GetBookingDetails => changes::GET_BOOKING_DETAILS,
            ToolName::UpsertContact => crm::UPSERT_CONTACT,
            ToolName::LogCall => crm::LOG_CALL,
            ToolName::RecordConsent => consent::RECORD_CONSENT,
        }
    }
}

/// One tool as an LLM sees it.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    pub name: &'static str,
    pub description: &'static str,
    /// An object schema: `{"type": "object", "required": [...], "properties": {...}}`.
    pub parameters: Value,
}

impl From<Definition> for ToolSpec {
    fn from(definition: Definition) -> Self {
        ToolSpec {
            name: definition.name,
            description: definition.description,
            parameters: (definition.parameters)(),
        }
    }
}

/// How long ElevenLabs waits for a client tool. The call session answers by itself after its
/// own tool timeout (10 s), so this only needs to be longer than that.
pub const CLIENT_RESPONSE_TIMEOUT_SECS: u32 = 20;
/// How long ElevenLabs waits for the webhook.
pub const WEBHOOK_RESPONSE_TIMEOUT_SECS: u32 = 20;

/// Where the webhook's `X-Voice-Secret` header value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookSecret {
    /// The id of an ElevenLabs workspace secret holding `SWITCHBOARD_TOOL_SECRET`'s value
    /// (the secret stays out of the agent's configuration).
    WorkspaceSecret(String),
    /// The value itself, written into the tool configuration.
    Literal(String),
}

/// Placeholder secret id in [`elevenlabs_tools`]: replace it with the id of the workspace secret
/// that holds `SWITCHBOARD_TOOL_SECRET`.
pub const SECRET_ID_PLACEHOLDER: &str = "<workspace secret id holding SWITCHBOARD_TOOL_SECRET>";

/// The header the webhook tools authenticate with.
pub const SECRET_HEADER: &str = "X-Voice-Secret";

/// The booking tools with their parameter schemas, in a stable order.
pub fn tool_specs() -> Vec<ToolSpec> {
    ToolName::ALL.into_iter().map(spec).collect()
}

pub fn spec(tool: ToolName) -> ToolSpec {
    tool.definition().into()
}

/// `end_call` as a client tool: the call session hangs up once the agent has finished speaking.
pub fn end_call_spec() -> ToolSpec {
    ToolSpec::from(Definition {
        name: crate::call::tools::END_CALL,
        description: "Ends the phone call after your last sentence. Say goodbye first.",
        parameters: parameters_of::<NoParameters>,
    })
}

/// Both variants: `{"client_tools": [tool_config…], "webhook_tools": [tool_config…]}`, each
/// entry ready to be sent as `{"tool_config": entry}` or listed in an agent's prompt. The
/// webhook secret header names a placeholder workspace secret ([`SECRET_ID_PLACEHOLDER`]).
pub fn elevenlabs_tools(public_url: &str) -> Value {
    elevenlabs_tools_with(
        public_url,
        &WebhookSecret::WorkspaceSecret(SECRET_ID_PLACEHOLDER.to_owned()),
    )
}

pub fn elevenlabs_tools_with(public_url: &str, secret: &WebhookSecret) -> Value {
    json!({
        "client_tools": client_tools(),
        "webhook_tools": webhook_tools(public_url, secret),
    })
}

/// `transfer_call` as a client tool: the caller is handed to a person (see `tools::transfer`).
pub fn transfer_call_spec() -> ToolSpec {
    ToolSpec::from(super::transfer::TRANSFER_CALL_DEFINITION)
}

/// The booking tools, `end_call` and `transfer_call` as client tools.
pub fn client_tools() -> Vec<Value> {
    tool_specs()
        .into_iter()
        .chain([end_call_spec(), transfer_call_spec()])
        .map(|spec| {
            json!({
                "type": "client",
                "name": spec.name,
                "description": spec.description,
                "expects_response": true,
                "response_timeout_secs": CLIENT_RESPONSE_TIMEOUT_SECS,
                "parameters": spec.parameters,
            })
        })
        .collect()
}

/// The booking tools as webhook tools posting to `{public_url}/tools/<name>`.
pub fn webhook_tools(public_url: &str, secret: &WebhookSecret) -> Vec<Value> {
    let base = public_url.trim_end_matches('/');
    let header = match secret {
        WebhookSecret::WorkspaceSecret(id) => json!({"secret_id": id}),
        WebhookSecret::Literal(value) => json!(value),
    };
    tool_specs()
        .into_iter()
        .map(|spec| {
            json!({
                "type": "webhook",
                "name": spec.name,
                "description": spec.description,
                "response_timeout_secs": WEBHOOK_RESPONSE_TIMEOUT_SECS,
                "tool_error_handling_mode": "passthrough",
                "api_schema": {
                    "url": format!("{base}/tools/{}", spec.name),
                    "method": "POST",
                    "content_type": "application/json",
                    "request_headers": {SECRET_HEADER: header.clone()},
                    "request_body_schema": with_call_context(spec.parameters),
                },
            })
        })
        .collect()
}

/// The body fields the HTTP endpoint reads besides the tool's own parameters, filled by
/// ElevenLabs from system dynamic variables rather than by the LLM.
pub const CONTEXT_FIELDS: [(&str, &str); 4] = [
    ("agent_id", "system__agent_id"),
    ("caller_number", "system__caller_id"),
    ("called_number", "system__called_number"),
    ("call_sid", "system__call_sid"),
];

fn with_call_context(mut parameters: Value) -> Value {
    if let Some(properties) = parameters.get_mut("properties").and_then(Value::as_object_mut) {
        for (field, variable) in CONTEXT_FIELDS {
            properties.insert(
                field.to_owned(),
                json!({"type": "string", "dynamic_variable": variable}),
            );
        }
    }
    if let Some(required) = parameters.get_mut("required").and_then(Value::as_array_mut) {
        required.push(json!("agent_id"));
    }
    parameters
}

/// The tool names and parameter schemas as one JSON object, name → schema.
pub fn parameter_schemas() -> Value {
    let mut schemas = Map::new();
    for spec in tool_specs() {
        schemas.insert(spec.name.to_owned(), spec.parameters);
    }
    Value::Object(schemas)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_none() {
        for tool in ToolName::ALL {
            assert_eq!(ToolName::parse(tool.as_str()), Some(tool));
        }
        assert_eq!(ToolName::parse("end_call"), None);
        assert_eq!(ToolName::parse("List_Event_Types"), None);
    }

    #[test]
    fn every_property_is_described_and_every_required_one_exists() {
        for spec in tool_specs()
            .into_iter()
            .chain([end_call_spec(), transfer_call_spec()])
        {
            assert_eq!(spec.parameters["type"], "object", "{}", spec.name);
            let properties = spec.parameters["properties"].as_object().unwrap();
            for (name, property) in properties {
                let description = property["description"].as_str().unwrap_or("");
                assert!(!description.is_empty(), "{}.{name} has no description", spec.name);
                assert!(property["type"].is_string(), "{}.{name}", spec.name);
            }
            for required in spec.parameters["required"].as_array().unwrap() {
                let required = required.as_str().unwrap();
                assert!(properties.contains_key(required), "{}.{required}", spec.name);
            }
        }
    }

    #[test]
    fn parameter_schemas_stay_within_what_elevenlabs_accepts() {
        for spec in tool_specs()
            .into_iter()
            .chain([end_call_spec(), transfer_call_spec()])
        {
            let schema = spec.parameters.as_object().unwrap();
            let mut keys: Vec<&str> = schema.keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["properties", "required", "type"], "{}", spec.name);
            for (name, property) in schema["properties"].as_object().unwrap() {
                for key in property.as_object().unwrap().keys() {
                    assert!(
                        ["type", "description", "enum"].contains(&key.as_str()),
                        "{}.{name} has {key}",
                        spec.name
                    );
                }
                if let Some(values) = property.get("enum") {
                    assert!(values.as_array().unwrap().iter().all(Value::is_string));
                }
            }
        }
        let log_call = spec(ToolName::LogCall).parameters;
        assert_eq!(
            log_call["properties"]["disposition"]["enum"]
                .as_array()
                .unwrap()
                .len(),
            8
        );
        assert_eq!(
            spec(ToolName::UpdateBooking).parameters["properties"]["cancel"]["type"],
            "boolean"
        );
    }

    #[test]
    fn client_tools_wait_for_the_answer_and_include_end_call() {
        let tools = client_tools();
        assert_eq!(tools.len(), ToolName::ALL.len() + 2);
        assert!(
            tools
                .iter()
                .all(|tool| tool["type"] == "client" && tool["expects_response"] == true)
        );
        assert!(tools.iter().any(|tool| tool["name"] == "end_call"));
        let transfer = tools
            .iter()
            .find(|tool| tool["name"] == "transfer_call")
            .expect("transfer_call is a client tool");
        assert_eq!(transfer["parameters"]["required"], json!(["reason"]));
        assert_eq!(transfer["parameters"]["properties"]["summary"]["type"], "string");
        let timeout = tools[0]["response_timeout_secs"].as_u64().unwrap();
        assert!((1..=120).contains(&timeout));
    }

    #[test]
    fn webhook_tools_post_to_the_public_url_with_the_secret_and_call_context() {
        let tools = webhook_tools(
            "https://bridge.example.com/",
            &WebhookSecret::WorkspaceSecret("sec_1".into()),
        );
        assert_eq!(tools.len(), ToolName::ALL.len());
        assert!(tools.iter().all(|tool| tool["name"] != "end_call"));
        assert!(
            tools.iter().all(|tool| tool["name"] != "transfer_call"),
            "a transfer ends the stream: only the call's own socket can ask for it"
        );
        let create = tools
            .iter()
            .find(|tool| tool["name"] == "create_booking")
            .unwrap();
        let api = &create["api_schema"];
        assert_eq!(api["url"], "https://bridge.example.com/tools/create_booking");
        assert_eq!(api["method"], "POST");
        assert_eq!(api["request_headers"]["X-Voice-Secret"]["secret_id"], "sec_1");
        assert_eq!(create["tool_error_handling_mode"], "passthrough");
        let body = &api["request_body_schema"];
        assert_eq!(
            body["properties"]["agent_id"]["dynamic_variable"],
            "system__agent_id"
        );
        assert_eq!(
            body["properties"]["caller_number"]["dynamic_variable"],
            "system__caller_id"
        );
        let required: Vec<&str> = body["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            required,
            ["event_type_slug", "start_time", "invitee_name", "agent_id"]
        );
        let timeout = create["response_timeout_secs"].as_u64().unwrap();
        assert!((5..=120).contains(&timeout));
        let literal = webhook_tools("http://h", &WebhookSecret::Literal("s3cret".into()));
        assert_eq!(
            literal[0]["api_schema"]["request_headers"]["X-Voice-Secret"],
            "s3cret"
        );
    }

    #[test]
    fn the_combined_output_has_both_variants() {
        let all = elevenlabs_tools("https://x.example");
        assert_eq!(all["client_tools"].as_array().unwrap().len(), 10);
        assert_eq!(all["webhook_tools"].as_array().unwrap().len(), 8);
        assert_eq!(
            all["webhook_tools"][0]["api_schema"]["request_headers"]["X-Voice-Secret"]["secret_id"],
            SECRET_ID_PLACEHOLDER
        );
        assert_eq!(parameter_schemas().as_object().unwrap().len(), 8);
    }
}
