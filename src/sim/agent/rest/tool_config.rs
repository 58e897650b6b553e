//! A workspace tool's `tool_config` (`ToolRequestModel` in the OpenAPI document
//! `tryAGI/ElevenLabs` `src/libs/ElevenLabs/openapi.json`, API version 1.0 as of 2026-07):
//! a union told apart by `type` (`client`, `webhook`, `system`, `mcp`), read as pydantic reads
//! a discriminated union, so an error's `loc` names the tag (`["body", "tool_config",
//! "client", "response_timeout_secs"]`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::conversation_config::DynamicVariables;
use super::validation::{FieldError, bounded, one_of, read};

bounded!(ClientTimeout, u32, 1, 120, 20);
bounded!(WebhookTimeout, u32, 5, 300, 20);
one_of!(ClientTag, "client", ["client"]);
one_of!(WebhookTag, "webhook", ["webhook"]);
one_of!(SystemTag, "system", ["system"]);
one_of!(ObjectTag, "object", ["object"]);
one_of!(
    InterruptionMode,
    "allow",
    ["allow", "disable_during_tool", "disable_during_tool_and_turn"]
);
one_of!(PreToolSpeech, "auto", ["auto", "force", "off"]);
one_of!(
    ToolCallSound,
    "typing",
    ["typing", "elevator1", "elevator2", "elevator3", "elevator4"]
);
one_of!(ToolCallSoundBehavior, "auto", ["auto", "always"]);
one_of!(
    ErrorHandlingMode,
    "auto",
    ["auto", "summarized", "passthrough", "hide"]
);
one_of!(
    ExecutionMode,
    "immediate",
    ["immediate", "post_tool_speech", "async"]
);
one_of!(HttpMethod, "GET", ["GET", "POST", "PUT", "PATCH", "DELETE"]);
one_of!(
    ContentType,
    "application/json",
    ["application/json", "application/x-www-form-urlencoded"]
);

/// `ToolRequestModel`, the body of a create or an update.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolRequest {
    pub tool_config: ToolConfig,
    pub response_mocks: Option<Vec<ResponseMock>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseMock {
    #[serde(default)]
    pub parameter_conditions: Vec<Value>,
    pub mock_result: String,
    #[serde(default)]
    pub is_error: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ToolConfig {
    Client(Box<ClientTool>),
    Webhook(Box<WebhookTool>),
    System(Box<SystemTool>),
    /// MCP tools are kept as given; nothing in switchboard makes them.
    Mcp(Map<String, Value>),
}

impl ToolConfig {
    pub fn name(&self) -> &str {
        match self {
            ToolConfig::Client(tool) => &tool.name,
            ToolConfig::Webhook(tool) => &tool.name,
            ToolConfig::System(tool) => &tool.name,
            ToolConfig::Mcp(fields) => fields.get("name").and_then(Value::as_str).unwrap_or(""),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            ToolConfig::Client(_) => "client",
            ToolConfig::Webhook(_) => "webhook",
            ToolConfig::System(_) => "system",
            ToolConfig::Mcp(_) => "mcp",
        }
    }
}

/// Reads a `ToolRequestModel` body, or says what is wrong with it as pydantic would.
pub fn read_tool_request(body: &Value) -> Result<ToolRequest, FieldError> {
    let root = [json!("body")];
    let Some(fields) = body.as_object() else {
        return Err(FieldError::new(
            "model_attributes_type",
            root.to_vec(),
            "Input should be a valid dictionary or object to extract fields from",
            body.clone(),
        ));
    };
    if let Some(extra) = fields
        .keys()
        .find(|k| !["tool_config", "response_mocks"].contains(&k.as_str()))
    {
        return Err(FieldError::new(
            "extra_forbidden",
            vec![json!("body"), json!(extra)],
            "Extra inputs are not permitted",
            fields[extra].clone(),
        ));
    }
    let Some(config) = fields.get("tool_config") else {
        return Err(FieldError::new(
            "missing",
            vec![json!("body"), json!("tool_config")],
            "Field required",
            body.clone(),
        ));
    };
    let tool_config = read_tool_config(config)?;
    let response_mocks = match fields.get("response_mocks") {
        None | Some(Value::Null) => None,
        Some(mocks) => Some(read(mocks, &[json!("body"), json!("response_mocks")])?),
    };
    Ok(ToolRequest {
        tool_config,
        response_mocks,
    })
}

fn read_tool_config(config: &Value) -> Result<ToolConfig, FieldError> {
    let at = vec![json!("body"), json!("tool_config")];
    let tag = config.get("type").and_then(Value::as_str);
    let tagged = |tag: &str| {
        let mut loc = at.clone();
        loc.push(json!(tag));
        loc
    };
    match tag {
        Some("client") => read(config, &tagged("client")).map(|tool| ToolConfig::Client(Box::new(tool))),
        Some("webhook") => read(config, &tagged("webhook")).map(|tool| ToolConfig::Webhook(Box::new(tool))),
        Some("system") => read(config, &tagged("system")).map(|tool| ToolConfig::System(Box::new(tool))),
        Some("mcp") => read(config, &tagged("mcp")).map(ToolConfig::Mcp),
        Some(other) => Err(FieldError::new(
            "union_tag_invalid",
            at,
            format!(
                "Input tag '{other}' found using 'type' does not match any of the expected tags: 'webhook', 'client', 'system', 'mcp'"
            ),
            config.clone(),
        )),
        None => Err(FieldError::new(
            "union_tag_not_found",
            at,
            "Unable to extract tag using discriminator 'type'",
            config.clone(),
        )),
    }
}

/// `ClientToolConfig-Input`: a tool the conversation's client runs, over the WebSocket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientTool {
    #[serde(rename = "type")]
    pub tag: ClientTag,
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub response_timeout_secs: ClientTimeout,
    #[serde(default)]
    pub disable_interruptions: bool,
    #[serde(default)]
    pub interruption_mode: InterruptionMode,
    #[serde(default)]
    pub force_pre_tool_speech: bool,
    #[serde(default)]
    pub pre_tool_speech: PreToolSpeech,
    #[serde(default)]
    pub assignments: Vec<Value>,
    #[serde(default)]
    pub tool_call_sound: Option<ToolCallSound>,
    #[serde(default)]
    pub tool_call_sound_behavior: ToolCallSoundBehavior,
    #[serde(default)]
    pub tool_error_handling_mode: ErrorHandlingMode,
    #[serde(default)]
    pub parameters: Option<ObjectSchema>,
    /// "If true, calling this tool should block the conversation until the client responds".
    #[serde(default)]
    pub expects_response: bool,
    #[serde(default)]
    pub dynamic_variables: DynamicVariables,
    #[serde(default)]
    pub execution_mode: ExecutionMode,
}

/// `WebhookToolConfig-Input`: a tool ElevenLabs runs by calling a URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookTool {
    #[serde(rename = "type")]
    pub tag: WebhookTag,
    pub name: String,
    pub description: String,
    #[serde(default)]
    pub response_timeout_secs: WebhookTimeout,
    #[serde(default)]
    pub disable_interruptions: bool,
    #[serde(default)]
    pub interruption_mode: InterruptionMode,
    #[serde(default)]
    pub force_pre_tool_speech: bool,
    #[serde(default)]
    pub pre_tool_speech: PreToolSpeech,
    #[serde(default)]
    pub assignments: Vec<Value>,
    #[serde(default)]
    pub tool_call_sound: Option<ToolCallSound>,
    #[serde(default)]
    pub tool_call_sound_behavior: ToolCallSoundBehavior,
    #[serde(default)]
    pub tool_error_handling_mode: ErrorHandlingMode,
    #[serde(default)]
    pub dynamic_variables: DynamicVariables,
    #[serde(default)]
    pub execution_mode: ExecutionMode,
    pub api_schema: WebhookApiSchema,
}

/// `WebhookToolApiSchemaConfig-Input`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookApiSchema {
    pub url: String,
    #[serde(default)]
    pub method: HttpMethod,
    #[serde(default)]
    pub request_headers: Map<String, Value>,
    #[serde(default)]
    pub path_params_schema: Map<String, Value>,
    #[serde(default)]
    pub query_params_schema: Option<Value>,
    #[serde(default)]
    pub request_body_schema: Option<ObjectSchema>,
    #[serde(default)]
    pub response_body_schema: Option<ObjectSchema>,
    #[serde(default)]
    pub response_filter: Option<Value>,
    #[serde(default)]
    pub content_type: ContentType,
    #[serde(default)]
    pub auth_resolved_params: Vec<String>,
    #[serde(default)]
    pub auth_connection: Option<Value>,
}

/// `SystemToolConfig-Input`: one of ElevenLabs' own tools (`end_call`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemTool {
    #[serde(rename = "type")]
    pub tag: SystemTag,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub response_timeout_secs: u32,
    #[serde(default)]
    pub disable_interruptions: bool,
    #[serde(default)]
    pub interruption_mode: InterruptionMode,
    #[serde(default)]
    pub force_pre_tool_speech: bool,
    #[serde(default)]
    pub pre_tool_speech: PreToolSpeech,
    #[serde(default)]
    pub assignments: Vec<Value>,
    #[serde(default)]
    pub tool_call_sound: Option<ToolCallSound>,
    #[serde(default)]
    pub tool_call_sound_behavior: ToolCallSoundBehavior,
    #[serde(default)]
    pub tool_error_handling_mode: ErrorHandlingMode,
    pub params: Value,
}

/// `ObjectJsonSchemaProperty-Input`: the parameters' schema. Its properties (literal, object
/// or array schemas) are kept as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectSchema {
    #[serde(rename = "type", default)]
    pub tag: ObjectTag,
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(default)]
    pub properties: Map<String, Value>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub property_kind: Option<String>,
    #[serde(default)]
    pub dynamic_variable: String,
    #[serde(default)]
    pub constant_value: Option<Value>,
    #[serde(default)]
    pub is_omitted: bool,
    #[serde(default)]
    pub required_constraints: Option<Value>,
}
