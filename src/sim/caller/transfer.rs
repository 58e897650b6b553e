//! What Twilio does with a `<Dial>` the connect action answers: the simulated caller follows a
//! transfer to a person the way Twilio would.
//!
//! When the person answers, Twilio places their leg and requests the `<Number url>` (the
//! whisper) with that leg's parameters (`Direction=outbound-dial`, `ParentCallSid`), plays it
//! to them, and connects the two; once the dial is over it posts the `<Dial action>` with the
//! caller's call and `DialCallStatus`. When nobody answers there is no whisper; the action
//! says `no-answer` (or `busy`). If the action answers with a `<Record>`, the caller leaves a
//! message: Twilio posts the `<Record action>` with the recording's URL and length.
//! (twilio.com/docs/voice/twiml/dial, /twiml/number, /twiml/record.)

use std::str::FromStr;

use quick_xml::events::{BytesStart, Event};

use super::CallerError;
use super::webhook::{InboundCall, Webhooks, random_sid};

/// How the person the bridge dials answers, as the simulation is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransferAnswer {
    /// They pick up, hear the whisper, talk, and hang up (`completed`).
    #[default]
    Answered,
    /// The phone rings out (`no-answer`).
    NoAnswer,
    /// The line is busy (`busy`).
    Busy,
}

impl TransferAnswer {
    /// The `DialCallStatus` Twilio reports for it.
    pub fn dial_call_status(self) -> &'static str {
        match self {
            TransferAnswer::Answered => "completed",
            TransferAnswer::NoAnswer => "no-answer",
            TransferAnswer::Busy => "busy",
        }
    }
}

impl FromStr for TransferAnswer {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "answered" => Ok(TransferAnswer::Answered),
            "no-answer" => Ok(TransferAnswer::NoAnswer),
            "busy" => Ok(TransferAnswer::Busy),
            other => Err(format!("{other:?}: expected answered, no-answer or busy")),
        }
    }
}

/// How long the simulated person talks once connected.
const TALK_SECS: u32 = 42;
/// The length of the simulated voicemail.
const MESSAGE_SECS: u32 = 7;

/// What happened to a call the bridge handed to a person.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransferReport {
    /// The number dialled, its `callerId` and ring `timeout`.
    pub number: String,
    pub caller_id: Option<String>,
    pub timeout: Option<String>,
    /// The whisper's TwiML, when the person answered.
    pub whisper: Option<String>,
    /// What the whisper says, sentence by sentence.
    pub whisper_said: Vec<String>,
    /// The `DialCallStatus` posted to the `<Dial action>`.
    pub dial_status: &'static str,
    /// The action's TwiML.
    pub after_dial: String,
    /// The `<Record action>`'s TwiML, when the caller left a message.
    pub voicemail: Option<String>,
}

/// A `<Dial>` read from TwiML.
#[derive(Debug, Clone, Default, PartialEq)]
struct Dial {
    action: Option<String>,
    caller_id: Option<String>,
    timeout: Option<String>,
    number: String,
    whisper_url: Option<String>,
}

/// Follows the `<Dial>` in `twiml` (the connect action's answer), if there is one.
pub async fn follow(
    hooks: &Webhooks,
    call: &InboundCall<'_>,
    answer: TransferAnswer,
    twiml: &str,
) -> Result<Option<TransferReport>, CallerError> {
    let Some(dial) = parse_dial(twiml)? else {
        return Ok(None);
    };
    let mut report = TransferReport {
        number: dial.number.clone(),
        caller_id: dial.caller_id.clone(),
        timeout: dial.timeout.clone(),
        dial_status: answer.dial_call_status(),
        ..TransferReport::default()
    };
    let leg_sid = random_sid("CA");
    if answer == TransferAnswer::Answered
        && let Some(url) = &dial.whisper_url
    {
        let from = dial.caller_id.as_deref().unwrap_or(call.from);
        let leg = [
            ("CallSid", leg_sid.as_str()),
            ("AccountSid", call.account_sid),
            ("From", from),
            ("To", dial.number.as_str()),
            ("CallStatus", "in-progress"),
            ("Direction", "outbound-dial"),
            ("ParentCallSid", call.call_sid),
            ("ApiVersion", "2010-04-01"),
        ];
        let whisper = hooks.post(url, &leg).await?;
        report.whisper_said = says(&whisper)?;
        report.whisper = Some(whisper);
    }
    let Some(action) = &dial.action else {
        return Ok(Some(report));
    };
    let talked = match answer {
        TransferAnswer::Answered => TALK_SECS.to_string(),
        TransferAnswer::NoAnswer | TransferAnswer::Busy => "0".to_owned(),
    };
    let mut params = call.params("in-progress").to_vec();
    params.extend([
        ("DialCallStatus", report.dial_status),
        ("DialCallSid", leg_sid.as_str()),
        ("DialCallDuration", talked.as_str()),
        (
            "DialBridged",
            if answer == TransferAnswer::Answered {
                "true"
            } else {
                "false"
            },
        ),
    ]);
    report.after_dial = hooks.post(action, &params).await?;
    if let Some(record_action) = record_action(&report.after_dial)? {
        report.voicemail = Some(leave_a_message(hooks, call, &record_action).await?);
    }
    Ok(Some(report))
}

/// Posts the `<Record action>` as Twilio does once a message is recorded.
pub(super) async fn leave_a_message(
    hooks: &Webhooks,
    call: &InboundCall<'_>,
    action: &str,
) -> Result<String, CallerError> {
    let recording_sid = random_sid("RE");
    let url = format!(
        "https://{}/2010-04-01/Accounts/{}/Recordings/{recording_sid}",
        hooks.recording_host, call.account_sid
    );
    let seconds = MESSAGE_SECS.to_string();
    let mut params = call.params("in-progress").to_vec();
    params.extend([
        ("RecordingUrl", url.as_str()),
        ("RecordingSid", recording_sid.as_str()),
        ("RecordingDuration", seconds.as_str()),
        ("Digits", "#"),
    ]);
    Ok(hooks.post(action, &params).await?)
}

fn xml_error(error: impl std::fmt::Display) -> CallerError {
    CallerError::Twiml(error.to_string())
}

fn attribute(element: &BytesStart<'_>, name: &[u8]) -> Result<Option<String>, CallerError> {
    for attr in element.attributes() {
        let attr = attr.map_err(xml_error)?;
        if attr.key.as_ref() == name {
            return Ok(Some(attr.unescape_value().map_err(xml_error)?.into_owned()));
        }
    }
    Ok(None)
}

/// The first `<Dial>` with a `<Number>` in `xml`.
fn parse_dial(xml: &str) -> Result<Option<Dial>, CallerError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut dial: Option<Dial> = None;
    let mut in_number = false;
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) if e.name().as_ref() == b"Dial" => {
                dial = Some(Dial {
                    action: attribute(&e, b"action")?,
                    caller_id: attribute(&e, b"callerId")?,
                    timeout: attribute(&e, b"timeout")?,
                    ..Dial::default()
                });
            }
            Event::Start(e) if e.name().as_ref() == b"Number" => {
                if let Some(dial) = dial.as_mut() {
                    dial.whisper_url = attribute(&e, b"url")?;
                    in_number = true;
                }
            }
            Event::Text(text) if in_number => {
                if let Some(dial) = dial.as_mut() {
                    dial.number.push_str(&text.xml_content().map_err(xml_error)?);
                }
            }
            Event::End(e) if e.name().as_ref() == b"Number" => in_number = false,
            Event::End(e) if e.name().as_ref() == b"Dial" => return Ok(dial),
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

/// The `action` of the first `<Record>` in `xml`.
pub(super) fn record_action(xml: &str) -> Result<Option<String>, CallerError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"Record" => {
                return attribute(&e, b"action");
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

/// The text of every `<Say>` in `xml`, in order.
pub fn says(xml: &str) -> Result<Vec<String>, CallerError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut said = Vec::new();
    let mut in_say = false;
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) if e.name().as_ref() == b"Say" => {
                in_say = true;
                said.push(String::new());
            }
            Event::Text(text) if in_say => {
                if let Some(last) = said.last_mut() {
                    last.push_str(&text.xml_content().map_err(xml_error)?);
                }
            }
            Event::GeneralRef(reference) if in_say => {
                let resolved = match reference.resolve_char_ref().map_err(xml_error)? {
                    Some(c) => c.to_string(),
                    None => match &*reference {
                        b"amp" => "&".into(),
                        b"lt" => "<".into(),
                        b"gt" => ">".into(),
                        b"quot" => "\"".into(),
                        b"apos" => "'".into(),
                        _ => String::new(),
                    },
                };
                if let Some(last) = said.last_mut() {
                    last.push_str(&resolved);
                }
            }
            Event::End(e) if e.name().as_ref() == b"Say" => in_say = false,
            Event::Eof => return Ok(said),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dial_with_a_whisper_is_read() {
        let xml = concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?><Response><Dial action="https://b/twilio/transfer-action" "#,
            r#"callerId="+15550100001" timeout="25"><Number url="https://b/twilio/whisper?call=CA1&amp;x=1">+15550100999</Number></Dial></Response>"#
        );
        assert_eq!(
            parse_dial(xml).unwrap(),
            Some(Dial {
                action: Some("https://b/twilio/transfer-action".into()),
                caller_id: Some("+15550100001".into()),
                timeout: Some("25".into()),
                number: "+15550100999".into(),
                whisper_url: Some("https://b/twilio/whisper?call=CA1&x=1".into()),
            })
        );
        assert_eq!(parse_dial("<Response><Hangup /></Response>").unwrap(), None);
    }

    #[test]
    fn sayings_and_a_record_action_are_read() {
        let xml = r#"<Response><Say>Call from Jane &amp; Joe.</Say><Say>Reason: &apos;a bill&apos;.</Say><Record action="https://b/twilio/voicemail" maxLength="120" /></Response>"#;
        assert_eq!(says(xml).unwrap(), ["Call from Jane & Joe.", "Reason: 'a bill'."]);
        assert_eq!(
            record_action(xml).unwrap().as_deref(),
            Some("https://b/twilio/voicemail")
        );
        assert_eq!(record_action("<Response><Hangup /></Response>").unwrap(), None);
    }

    #[test]
    fn answers_are_named_as_the_flag_takes_them() {
        for answer in [
            TransferAnswer::Answered,
            TransferAnswer::NoAnswer,
            TransferAnswer::Busy,
        ] {
            let name = match answer {
                TransferAnswer::Answered => "answered",
                other => other.dial_call_status(),
            };
            assert_eq!(name.parse::<TransferAnswer>(), Ok(answer));
        }
        assert!("maybe".parse::<TransferAnswer>().is_err());
    }
}
