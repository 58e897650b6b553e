//! The conversations the stand-in hosted, as `GET /v1/convai/conversations/{id}` and the
//! `post_call_transcription` webhook report them (`GetConversationResponseModel` in the
//! Python SDK), and the listing `GET /v1/convai/conversations` (`GetConversationsPageResponseModel`).
//!
//! A record is opened as a conversation socket is admitted (`in-progress`) and closed as it
//! ends (`done`), with the transcript as the stand-in saw it: its own agent lines, the caller's
//! turns as its voice detector and script recognised them, and the client tool calls and their
//! results. The store is bounded: past [`CAPACITY`] the oldest records are forgotten.
//!
//! The stand-in has no LLM, so the analysis is built from the transcript by fixed rules: the
//! summary counts the turns and names the tools, the call succeeded when the caller spoke and
//! no tool failed, and evaluation criteria and data collection items are reported as not
//! evaluated (`unknown`, no value).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value, json};

use super::platform_settings::PlatformSettings;

/// How many conversations are remembered.
pub const CAPACITY: usize = 5_000;

/// One line of the transcript (`ConversationHistoryTranscriptCommonModel`).
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub role: Role,
    pub message: Option<String>,
    pub time_in_call_secs: i64,
    pub tool_calls: Vec<ToolCall>,
    pub tool_results: Vec<ToolResult>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Agent,
    User,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub request_id: String,
    pub tool_name: String,
    pub params_as_json: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    pub request_id: String,
    pub tool_name: String,
    pub result_value: String,
    pub is_error: bool,
}

/// A hosted conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationRecord {
    pub conversation_id: String,
    pub agent_id: String,
    pub agent_name: Option<String>,
    pub done: bool,
    pub start_time_unix_secs: i64,
    pub call_duration_secs: i64,
    pub termination_reason: String,
    pub user_id: Option<String>,
    pub dynamic_variables: BTreeMap<String, Value>,
    pub transcript: Vec<Turn>,
    /// The agent's analysis settings as the conversation started.
    pub platform_settings: PlatformSettings,
}

impl ConversationRecord {
    pub fn new(conversation_id: &str, agent_id: &str, start_time_unix_secs: i64) -> Self {
        ConversationRecord {
            conversation_id: conversation_id.to_owned(),
            agent_id: agent_id.to_owned(),
            agent_name: None,
            done: false,
            start_time_unix_secs,
            call_duration_secs: 0,
            termination_reason: String::new(),
            user_id: None,
            dynamic_variables: BTreeMap::new(),
            transcript: Vec::new(),
            platform_settings: PlatformSettings::default(),
        }
    }

    /// Notes a message the stand-in sent the client, `at_secs` into the call: agent lines,
    /// the caller's recognised turns and client tool calls; anything else is not transcript.
    pub fn observe_sent(&mut self, message: &str, at_secs: i64) {
        let Ok(message) = serde_json::from_str::<Value>(message) else {
            return;
        };
        let text = |outer: &str, inner: &str| message[outer][inner].as_str().map(str::to_owned);
        match message["type"].as_str() {
            Some("agent_response") => {
                self.push(
                    Role::Agent,
                    text("agent_response_event", "agent_response"),
                    at_secs,
                );
            }
            Some("user_transcript") => {
                self.push(
                    Role::User,
                    text("user_transcription_event", "user_transcript"),
                    at_secs,
                );
            }
            Some("client_tool_call") => {
                let call = &message["client_tool_call"];
                let tool_call = ToolCall {
                    request_id: call["tool_call_id"].as_str().unwrap_or_default().to_owned(),
                    tool_name: call["tool_name"].as_str().unwrap_or_default().to_owned(),
                    params_as_json: call["parameters"].to_string(),
                };
                let mut turn = self.turn(Role::Agent, None, at_secs);
                turn.tool_calls.push(tool_call);
                self.transcript.push(turn);
            }
            _ => {}
        }
    }

    /// Notes the client's answer to a tool call, as an agent turn carrying the result.
    pub fn observe_tool_result(&mut self, request_id: &str, result: &str, is_error: bool, at_secs: i64) {
        let tool_name = self
            .transcript
            .iter()
            .flat_map(|turn| &turn.tool_calls)
            .find(|call| call.request_id == request_id)
            .map(|call| call.tool_name.clone())
            .unwrap_or_default();
        let mut turn = self.turn(Role::Agent, None, at_secs);
        turn.tool_results.push(ToolResult {
            request_id: request_id.to_owned(),
            tool_name,
            result_value: result.to_owned(),
            is_error,
        });
        self.transcript.push(turn);
    }

    fn turn(&self, role: Role, message: Option<String>, at_secs: i64) -> Turn {
        Turn {
            role,
            message,
            time_in_call_secs: at_secs,
            tool_calls: Vec::new(),
            tool_results: Vec::new(),
        }
    }

    fn push(&mut self, role: Role, message: Option<String>, at_secs: i64) {
        let turn = self.turn(role, message, at_secs);
        self.transcript.push(turn);
    }

    fn count(&self, role: Role) -> usize {
        self.transcript
            .iter()
            .filter(|turn| turn.role == role && turn.message.is_some())
            .count()
    }

    fn tool_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for call in self.transcript.iter().flat_map(|turn| &turn.tool_calls) {
            if !names.contains(&call.tool_name) {
                names.push(call.tool_name.clone());
            }
        }
        names
    }

    /// `success` when the caller spoke and no tool failed, `failure` when a tool failed,
    /// `unknown` when the caller never spoke.
    fn call_successful(&self) -> &'static str {
        let tool_failed = self
            .transcript
            .iter()
            .flat_map(|turn| &turn.tool_results)
            .any(|result| result.is_error);
        if tool_failed {
            "failure"
        } else if self.count(Role::User) == 0 {
            "unknown"
        } else {
            "success"
        }
    }

    /// A summary made by rule from the transcript (there is no LLM to write one).
    fn transcript_summary(&self) -> String {
        let (agent, user) = (self.count(Role::Agent), self.count(Role::User));
        let mut summary = format!("The agent spoke {agent} time(s) and the caller {user} time(s).");
        let tools = self.tool_names();
        if !tools.is_empty() {
            summary.push_str(&format!(" The agent called {}.", tools.join(", ")));
        }
        if let Some(first) = self
            .transcript
            .iter()
            .find(|turn| turn.role == Role::User)
            .and_then(|turn| turn.message.as_deref())
        {
            summary.push_str(&format!(" The caller opened with: \"{first}\""));
        }
        summary
    }

    fn call_summary_title(&self) -> String {
        match self.tool_names().last() {
            Some(tool) => format!("Call ending with {tool}"),
            None => "Call without tools".to_owned(),
        }
    }

    fn analysis(&self) -> Value {
        let criteria: Map<String, Value> = self.platform_settings.evaluation["criteria"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|criterion| criterion["id"].as_str())
            .map(|id| {
                let result = json!({
                    "criteria_id": id,
                    "result": "unknown",
                    "rationale": "Not evaluated: the stand-in has no language model.",
                });
                (id.to_owned(), result)
            })
            .collect();
        let collected: Map<String, Value> = self
            .platform_settings
            .data_collection
            .iter()
            .map(|(id, schema)| {
                let result = json!({
                    "data_collection_id": id,
                    "value": null,
                    "json_schema": schema,
                    "rationale": "Not collected: the stand-in has no language model.",
                });
                (id.clone(), result)
            })
            .collect();
        json!({
            "evaluation_criteria_results": criteria,
            "data_collection_results": collected,
            "call_successful": self.call_successful(),
            "transcript_summary": self.transcript_summary(),
            "call_summary_title": self.call_summary_title(),
        })
    }

    /// `GetConversationResponseModel`.
    pub fn render(&self) -> Value {
        let transcript: Vec<Value> = self.transcript.iter().map(render_turn).collect();
        json!({
            "agent_id": self.agent_id,
            "agent_name": self.agent_name,
            "conversation_id": self.conversation_id,
            "status": if self.done { "done" } else { "in-progress" },
            "user_id": self.user_id,
            "branch_id": null,
            "version_id": null,
            "environment": "production",
            "has_audio": false,
            "has_user_audio": false,
            "has_response_audio": false,
            "has_auxiliary_audio": false,
            "tag_ids": [],
            "visited_agents": [],
            "user_message_count": self.count(Role::User),
            "agent_message_count": self.count(Role::Agent),
            "transcript": transcript,
            "metadata": {
                "start_time_unix_secs": self.start_time_unix_secs,
                "accepted_time_unix_secs": self.start_time_unix_secs,
                "call_duration_secs": self.call_duration_secs,
                "cost": 0,
                "phone_call": null,
                "batch_call": null,
                "termination_reason": self.termination_reason,
                "error": null,
                "warnings": [],
                "main_language": "en",
                "text_only": false,
                "conversation_initiation_source": "unknown",
            },
            "analysis": if self.done { self.analysis() } else { Value::Null },
            "conversation_initiation_client_data": {
                "conversation_config_override": null,
                "custom_llm_extra_body": {},
                "user_id": self.user_id,
                "source_info": null,
                "dynamic_variables": self.dynamic_variables,
            },
        })
    }

    /// `ConversationSummaryResponseModel`, for the listing.
    pub fn render_summary(&self) -> Value {
        json!({
            "agent_id": self.agent_id,
            "agent_name": self.agent_name,
            "conversation_id": self.conversation_id,
            "start_time_unix_secs": self.start_time_unix_secs,
            "call_duration_secs": self.call_duration_secs,
            "message_count": self.count(Role::Agent) + self.count(Role::User),
            "user_message_count": self.count(Role::User),
            "agent_message_count": self.count(Role::Agent),
            "status": if self.done { "done" } else { "in-progress" },
            "termination_reason": self.termination_reason,
            "call_successful": if self.done { self.call_successful() } else { "unknown" },
            "transcript_summary": self.done.then(|| self.transcript_summary()),
            "call_summary_title": self.done.then(|| self.call_summary_title()),
            "main_language": "en",
            "tool_names": self.tool_names(),
            "direction": null,
        })
    }
}

fn render_turn(turn: &Turn) -> Value {
    let tool_calls: Vec<Value> = turn
        .tool_calls
        .iter()
        .map(|call| {
            json!({
                "type": "client",
                "request_id": call.request_id,
                "tool_name": call.tool_name,
                "params_as_json": call.params_as_json,
                "tool_has_been_called": true,
                "tool_details": null,
            })
        })
        .collect();
    let tool_results: Vec<Value> = turn
        .tool_results
        .iter()
        .map(|result| {
            json!({
                "type": "client",
                "request_id": result.request_id,
                "tool_name": result.tool_name,
                "result_value": result.result_value,
                "is_error": result.is_error,
                "tool_has_been_called": true,
            })
        })
        .collect();
    json!({
        "role": match turn.role { Role::Agent => "agent", Role::User => "user" },
        "message": turn.message,
        "tool_calls": tool_calls,
        "tool_results": tool_results,
        "feedback": null,
        "time_in_call_secs": turn.time_in_call_secs,
        "interrupted": false,
        "ignored_as_backchannel": false,
        "source_medium": if turn.message.is_some() { json!("audio") } else { Value::Null },
    })
}

/// What a listing asks for (`GET /v1/convai/conversations`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConversationFilter {
    pub agent_id: Option<String>,
    pub user_id: Option<String>,
    pub call_start_after_unix: Option<i64>,
    pub call_start_before_unix: Option<i64>,
    pub page_size: usize,
    /// Where the last page ended: an opaque place in the order records were opened.
    pub cursor: Option<u64>,
}

/// One page of conversations, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationPage {
    pub conversations: Vec<ConversationRecord>,
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

/// The last [`CAPACITY`] conversations, shared by the sockets and the REST routes.
#[derive(Debug, Clone, Default)]
pub struct ConversationStore {
    state: Arc<Mutex<StoreState>>,
}

#[derive(Debug, Default)]
struct StoreState {
    records: HashMap<String, (u64, ConversationRecord)>,
    /// Ids oldest first, with the place each was opened at.
    order: VecDeque<(u64, String)>,
    next_order: u64,
}

impl ConversationStore {
    fn lock(&self) -> MutexGuard<'_, StoreState> {
        // Records are replaced whole, so a poisoned lock still guards consistent data.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Keeps `record`, replacing an earlier one with its id and forgetting the oldest past
    /// the capacity.
    pub fn put(&self, record: ConversationRecord) {
        let mut state = self.lock();
        if let Some((order, _)) = state.records.get(&record.conversation_id) {
            let order = *order;
            state
                .records
                .insert(record.conversation_id.clone(), (order, record));
            return;
        }
        state.next_order += 1;
        let order = state.next_order;
        state.order.push_back((order, record.conversation_id.clone()));
        state
            .records
            .insert(record.conversation_id.clone(), (order, record));
        while state.order.len() > CAPACITY {
            if let Some((_, oldest)) = state.order.pop_front() {
                state.records.remove(&oldest);
            }
        }
    }

    pub fn get(&self, conversation_id: &str) -> Option<ConversationRecord> {
        self.lock()
            .records
            .get(conversation_id)
            .map(|(_, record)| record.clone())
    }

    pub fn list(&self, filter: &ConversationFilter) -> ConversationPage {
        let state = self.lock();
        let mut matching = state
            .order
            .iter()
            .rev()
            .filter(|(order, _)| filter.cursor.is_none_or(|cursor| *order < cursor))
            .filter_map(|(order, id)| state.records.get(id).map(|(_, record)| (*order, record)))
            .filter(|(_, record)| {
                filter.agent_id.as_ref().is_none_or(|id| *id == record.agent_id)
                    && filter
                        .user_id
                        .as_ref()
                        .is_none_or(|id| Some(id) == record.user_id.as_ref())
                    && filter
                        .call_start_after_unix
                        .is_none_or(|after| record.start_time_unix_secs > after)
                    && filter
                        .call_start_before_unix
                        .is_none_or(|before| record.start_time_unix_secs < before)
            });
        let page: Vec<(u64, &ConversationRecord)> = matching.by_ref().take(filter.page_size).collect();
        let has_more = matching.next().is_some();
        let next_cursor = has_more
            .then(|| page.last().map(|(order, _)| order.to_string()))
            .flatten();
        ConversationPage {
            conversations: page.into_iter().map(|(_, record)| record.clone()).collect(),
            next_cursor,
            has_more,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(id: &str, agent: &str, start: i64) -> ConversationRecord {
        let mut record = ConversationRecord::new(id, agent, start);
        record.done = true;
        record
    }

    #[test]
    fn the_transcript_follows_what_was_sent_and_answered() {
        let mut record = ConversationRecord::new("conv_1", "agent_1", 1_000);
        record.observe_sent(
            r#"{"type":"agent_response","agent_response_event":{"agent_response":"Hello","event_id":1}}"#,
            0,
        );
        record.observe_sent(
            r#"{"type":"audio","audio_event":{"audio_base_64":"AA==","event_id":1}}"#,
            0,
        );
        record.observe_sent(
            r#"{"type":"user_transcript","user_transcription_event":{"user_transcript":"A cleaning please","event_id":2}}"#,
            3,
        );
        record.observe_sent(
            r#"{"type":"client_tool_call","client_tool_call":{"tool_name":"create_booking","tool_call_id":"t1","parameters":{"a":1},"event_id":3}}"#,
            4,
        );
        record.observe_tool_result("t1", "booked", false, 5);
        record.done = true;
        let body = record.render();
        let transcript = body["transcript"].as_array().expect("a list");
        assert_eq!(transcript.len(), 4, "{body:#}");
        assert_eq!(
            (transcript[0]["role"].as_str(), transcript[0]["message"].as_str()),
            (Some("agent"), Some("Hello"))
        );
        assert_eq!(transcript[1]["role"], "user");
        assert_eq!(transcript[1]["time_in_call_secs"], 3);
        assert_eq!(transcript[2]["tool_calls"][0]["params_as_json"], r#"{"a":1}"#);
        assert_eq!(transcript[3]["tool_results"][0]["tool_name"], "create_booking");
        assert_eq!(body["analysis"]["call_successful"], "success");
        let summary = body["analysis"]["transcript_summary"].as_str().expect("text");
        assert!(
            summary.contains("create_booking") && summary.contains("A cleaning please"),
            "{summary}"
        );
        record.observe_tool_result("t2", "boom", true, 6);
        assert_eq!(record.render()["analysis"]["call_successful"], "failure");
    }

    #[test]
    fn the_store_forgets_the_oldest_and_pages_newest_first() {
        let store = ConversationStore::default();
        for n in 0..CAPACITY + 2 {
            store.put(finished(
                &format!("conv_{n}"),
                if n % 2 == 0 { "a" } else { "b" },
                n as i64,
            ));
        }
        assert!(store.get("conv_0").is_none() && store.get("conv_1").is_none());
        assert!(store.get("conv_2").is_some());
        let filter = ConversationFilter {
            agent_id: Some("a".into()),
            page_size: 2,
            ..Default::default()
        };
        let first = store.list(&filter);
        let ids: Vec<&str> = first
            .conversations
            .iter()
            .map(|c| c.conversation_id.as_str())
            .collect();
        assert_eq!(
            ids,
            [format!("conv_{}", CAPACITY), format!("conv_{}", CAPACITY - 2)]
        );
        assert!(first.has_more);
        let cursor = first.next_cursor.as_deref().and_then(|c| c.parse().ok());
        let second = store.list(&ConversationFilter {
            cursor,
            ..filter.clone()
        });
        assert_eq!(
            second.conversations[0].conversation_id,
            format!("conv_{}", CAPACITY - 4)
        );
        let recent = store.list(&ConversationFilter {
            call_start_after_unix: Some(CAPACITY as i64 - 1),
            page_size: 10,
            ..Default::default()
        });
        assert_eq!(recent.conversations.len(), 2);
    }
}
