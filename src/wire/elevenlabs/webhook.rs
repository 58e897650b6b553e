//! ElevenLabs' post-call webhook bodies: the envelope `{type, event_timestamp, data}` and the
//! parts of `post_call_transcription`'s data (`GetConversationResponseModel`, the same body
//! `GET /v1/convai/conversations/{id}` answers) that switchboard keeps. Unknown fields are
//! ignored; an unknown `type` parses as [`WebhookEvent::Unknown`].

use serde::Deserialize;
use serde_json::Value;

/// A webhook body, parsed after its signature was checked.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookEvent {
    PostCallTranscription {
        event_timestamp: i64,
        data: Box<ConversationReport>,
    },
    PostCallAudio {
        event_timestamp: i64,
        data: PostCallAudio,
    },
    CallInitiationFailure {
        event_timestamp: i64,
        data: CallInitiationFailure,
    },
    /// A type this version does not know: answered 200 so ElevenLabs keeps the webhook on.
    Unknown { kind: String },
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    event_timestamp: i64,
    #[serde(default)]
    data: Value,
}

impl WebhookEvent {
    /// Parses a body; an error names what is malformed.
    pub fn parse(body: &[u8]) -> Result<WebhookEvent, serde_json::Error> {
        let envelope: Envelope = serde_json::from_slice(body)?;
        let event_timestamp = envelope.event_timestamp;
        Ok(match envelope.kind.as_str() {
            "post_call_transcription" => WebhookEvent::PostCallTranscription {
                event_timestamp,
                data: Box::new(serde_json::from_value(envelope.data)?),
            },
            "post_call_audio" => WebhookEvent::PostCallAudio {
                event_timestamp,
                data: serde_json::from_value(envelope.data)?,
            },
            "call_initiation_failure" => WebhookEvent::CallInitiationFailure {
                event_timestamp,
                data: serde_json::from_value(envelope.data)?,
            },
            _ => WebhookEvent::Unknown { kind: envelope.kind },
        })
    }
}

/// `GetConversationResponseModel`, the fields kept.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ConversationReport {
    pub agent_id: String,
    pub conversation_id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub metadata: Option<ConversationMetadata>,
    #[serde(default)]
    pub analysis: Option<ConversationAnalysis>,
}

/// `metadata`: times and cost.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ConversationMetadata {
    #[serde(default)]
    pub start_time_unix_secs: Option<i64>,
    #[serde(default)]
    pub call_duration_secs: Option<i64>,
    /// Credits.
    #[serde(default)]
    pub cost: Option<i64>,
}

/// `analysis`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ConversationAnalysis {
    /// `success`, `failure` or `unknown`.
    #[serde(default)]
    pub call_successful: Option<String>,
    #[serde(default)]
    pub transcript_summary: Option<String>,
    #[serde(default)]
    pub call_summary_title: Option<String>,
    #[serde(default)]
    pub evaluation_criteria_results: Option<Value>,
    #[serde(default)]
    pub data_collection_results: Option<Value>,
}

/// `post_call_audio.data`: the conversation's audio, base64 MP3.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PostCallAudio {
    pub agent_id: String,
    pub conversation_id: String,
    pub full_audio: String,
}

/// `call_initiation_failure.data` (no official schema; the fields receivers read).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CallInitiationFailure {
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub conversation_id: Option<String>,
    #[serde(default)]
    pub failure_reason: Option<String>,
    /// The provider's details: `{type: "twilio"|"sip", body: {…}}`, `body` being the
    /// provider's own callback (Twilio's carries the `CallSid`).
    #[serde(default)]
    pub metadata: Option<InitiationFailureMetadata>,
}

/// `call_initiation_failure.data.metadata`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InitiationFailureMetadata {
    #[serde(rename = "type", default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub body: Value,
}

impl CallInitiationFailure {
    /// Twilio's CallSid of the call that failed, when the provider is Twilio and sent it.
    pub fn twilio_call_sid(&self) -> Option<&str> {
        let metadata = self.metadata.as_ref()?;
        metadata
            .body
            .get("CallSid")
            .or_else(|| metadata.body.get("call_sid"))
            .and_then(Value::as_str)
            .filter(|sid| !sid.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transcription_reads_its_analysis_and_cost() {
        let body = br#"{"type":"post_call_transcription","event_timestamp":1790000000,"data":{
            "agent_id":"ag_1","conversation_id":"conv_1","status":"done","transcript":[],
            "metadata":{"start_time_unix_secs":1789999900,"call_duration_secs":95,"cost":412},
            "analysis":{"call_successful":"success","transcript_summary":"Booked a cut.",
                "call_summary_title":"Haircut","evaluation_criteria_results":{"polite":{"result":"success"}},
                "data_collection_results":{}}}}"#;
        let WebhookEvent::PostCallTranscription {
            event_timestamp,
            data,
        } = WebhookEvent::parse(body).unwrap()
        else {
            panic!("not a transcription");
        };
        assert_eq!(event_timestamp, 1_790_000_000);
        assert_eq!(data.conversation_id, "conv_1");
        assert_eq!(data.metadata.as_ref().unwrap().cost, Some(412));
        let analysis = data.analysis.unwrap();
        assert_eq!(analysis.call_successful.as_deref(), Some("success"));
        assert_eq!(
            analysis.evaluation_criteria_results.unwrap()["polite"]["result"],
            "success"
        );
    }

    #[test]
    fn an_unknown_type_is_kept_apart_and_a_broken_body_is_an_error() {
        let unknown = WebhookEvent::parse(br#"{"type":"new_thing","event_timestamp":1,"data":{}}"#).unwrap();
        assert_eq!(
            unknown,
            WebhookEvent::Unknown {
                kind: "new_thing".into()
            }
        );
        assert!(WebhookEvent::parse(b"{not json").is_err());
        assert!(
            WebhookEvent::parse(br#"{"type":"post_call_transcription","event_timestamp":1,"data":{}}"#)
                .is_err()
        );
    }
}
