//! TwiML documents: the few verbs the bridge answers with, every value XML-escaped.
//!
//! Shapes follow twilio.com/docs/voice/twiml (`<Connect>`, `<Stream>`, `<Parameter>`, `<Say>`,
//! `<Record>`, `<Dial>`, `<Hangup>`, `<Pause>`). The output matches what twilio-python's
//! `VoiceResponse` renders, which a test checks.

use std::fmt::Write;

/// A `<Response>` under construction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Response {
    verbs: Vec<Verb>,
}

/// One TwiML verb.
#[derive(Debug, Clone, PartialEq)]
pub enum Verb {
    /// `<Say>` text, optionally with a voice and language.
    Say {
        text: String,
        voice: Option<String>,
        language: Option<String>,
    },
    /// `<Connect action><Stream url><Parameter/>…</Stream></Connect>`.
    ConnectStream {
        action: Option<String>,
        url: String,
        parameters: Vec<(String, String)>,
    },
    /// `<Record>` for voicemail.
    Record {
        action: Option<String>,
        max_length_secs: u32,
        play_beep: bool,
        finish_on_key: Option<String>,
    },
    /// `<Dial>` to one number.
    Dial {
        number: String,
        caller_id: Option<String>,
        timeout_secs: Option<u32>,
        action: Option<String>,
    },
    Pause {
        length_secs: u32,
    },
    Hangup,
}

impl Response {
    pub fn new() -> Self {
        Response::default()
    }

    pub fn say(mut self, text: impl Into<String>) -> Self {
        self.verbs.push(Verb::Say {
            text: text.into(),
            voice: None,
            language: None,
        });
        self
    }

    pub fn verb(mut self, verb: Verb) -> Self {
        self.verbs.push(verb);
        self
    }

    pub fn hangup(self) -> Self {
        self.verb(Verb::Hangup)
    }

    pub fn verbs(&self) -> &[Verb] {
        &self.verbs
    }

    /// The XML document.
    pub fn render(&self) -> String {
        let mut out = String::from(r#"<?xml version="1.0" encoding="UTF-8"?><Response>"#);
        for verb in &self.verbs {
            render_verb(&mut out, verb);
        }
        out.push_str("</Response>");
        out
    }
}

fn attr(out: &mut String, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        let _ = write!(out, r#" {name}="{}""#, escape(value));
    }
}

fn render_verb(out: &mut String, verb: &Verb) {
    match verb {
        Verb::Say {
            text,
            voice,
            language,
        } => {
            out.push_str("<Say");
            attr(out, "language", language.as_deref());
            attr(out, "voice", voice.as_deref());
            let _ = write!(out, ">{}</Say>", escape(text));
        }
        Verb::ConnectStream {
            action,
            url,
            parameters,
        } => {
            out.push_str("<Connect");
            attr(out, "action", action.as_deref());
            out.push_str("><Stream");
            attr(out, "url", Some(url));
            out.push('>');
            for (name, value) in parameters {
                out.push_str("<Parameter");
                attr(out, "name", Some(name));
                attr(out, "value", Some(value));
                out.push_str(" />");
            }
            out.push_str("</Stream></Connect>");
        }
        Verb::Record {
            action,
            max_length_secs,
            play_beep,
            finish_on_key,
        } => {
            out.push_str("<Record");
            attr(out, "action", action.as_deref());
            attr(out, "finishOnKey", finish_on_key.as_deref());
            attr(out, "maxLength", Some(&max_length_secs.to_string()));
            attr(out, "playBeep", Some(if *play_beep { "true" } else { "false" }));
            out.push_str(" />");
        }
        Verb::Dial {
            number,
            caller_id,
            timeout_secs,
            action,
        } => {
            out.push_str("<Dial");
            attr(out, "action", action.as_deref());
            attr(out, "callerId", caller_id.as_deref());
            attr(out, "timeout", timeout_secs.map(|t| t.to_string()).as_deref());
            let _ = write!(out, "><Number>{}</Number></Dial>", escape(number));
        }
        Verb::Pause { length_secs } => {
            let _ = write!(out, r#"<Pause length="{length_secs}" />"#);
        }
        Verb::Hangup => out.push_str("<Hangup />"),
    }
}

/// Escapes text for an XML attribute value or element content.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// What the caller simulator needs out of a `<Connect><Stream>` answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedConnect {
    pub action: Option<String>,
    pub stream_url: String,
    pub parameters: Vec<(String, String)>,
}

/// The verbs directly under a TwiML document's `<Response>`, in order; `None` when the
/// document's root is not `<Response>`.
pub fn response_verbs(xml: &str) -> Result<Option<Vec<String>>, quick_xml::Error> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut depth = 0usize;
    let mut verbs = None;
    loop {
        let (name, opens) = match reader.read_event()? {
            Event::Start(e) => (e.name().as_ref().to_vec(), true),
            Event::Empty(e) => (e.name().as_ref().to_vec(), false),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            Event::Eof => return Ok(verbs),
            _ => continue,
        };
        match depth {
            0 if name == b"Response" => verbs = Some(Vec::new()),
            0 => return Ok(None),
            1 => {
                if let Some(list) = verbs.as_mut() {
                    list.push(String::from_utf8_lossy(&name).into_owned());
                }
            }
            _ => {}
        }
        if opens {
            depth += 1;
        }
    }
}

/// Reads the `<Connect><Stream>` out of a TwiML document, if it has one.
pub fn parse_connect(xml: &str) -> Result<Option<ParsedConnect>, quick_xml::Error> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut found: Option<ParsedConnect> = None;
    let mut action = None;
    loop {
        match reader.read_event()? {
            Event::Start(e) | Event::Empty(e) => {
                let attrs = |e: &quick_xml::events::BytesStart<'_>| -> Result<Vec<(String, String)>, quick_xml::Error> {
                    let mut list = Vec::new();
                    for a in e.attributes() {
                        let a = a.map_err(quick_xml::Error::InvalidAttr)?;
                        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
                        let value = a.unescape_value()?.into_owned();
                        list.push((key, value));
                    }
                    Ok(list)
                };
                match e.name().as_ref() {
                    b"Connect" => {
                        action = attrs(&e)?
                            .into_iter()
                            .find(|(k, _)| k == "action")
                            .map(|(_, v)| v);
                    }
                    b"Stream" => {
                        let url = attrs(&e)?
                            .into_iter()
                            .find(|(k, _)| k == "url")
                            .map(|(_, v)| v)
                            .unwrap_or_default();
                        found = Some(ParsedConnect {
                            action: action.clone(),
                            stream_url: url,
                            parameters: Vec::new(),
                        });
                    }
                    b"Parameter" => {
                        let list = attrs(&e)?;
                        let get = |n: &str| {
                            list.iter()
                                .find(|(k, _)| k == n)
                                .map(|(_, v)| v.clone())
                                .unwrap_or_default()
                        };
                        if let Some(connect) = found.as_mut() {
                            connect.parameters.push((get("name"), get("value")));
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_responses_verbs_are_read_in_order() {
        let doc = Response::new()
            .say("Sorry, every line is busy.")
            .hangup()
            .render();
        assert_eq!(
            response_verbs(&doc).unwrap(),
            Some(vec!["Say".into(), "Hangup".into()])
        );
        assert_eq!(response_verbs("<Response/>").unwrap(), Some(vec![]));
        assert_eq!(response_verbs("<html><body/></html>").unwrap(), None);
    }

    #[test]
    fn connect_stream_renders_and_parses_back() {
        let doc = Response::new()
            .verb(Verb::ConnectStream {
                action: Some("https://b.example/twilio/connect-action?x=1&y=2".into()),
                url: "wss://b.example/twilio/stream".into(),
                parameters: vec![("token".into(), "a<b>\"c\"&'d'".into())],
            })
            .render();
        assert_eq!(
            doc,
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Response><Connect action="https://b.example/twilio/connect-action?x=1&amp;y=2">"#,
                r#"<Stream url="wss://b.example/twilio/stream"><Parameter name="token" value="a&lt;b&gt;&quot;c&quot;&amp;&apos;d&apos;" />"#,
                r#"</Stream></Connect></Response>"#
            )
        );
        let parsed = parse_connect(&doc).unwrap().unwrap();
        assert_eq!(
            parsed.action.as_deref(),
            Some("https://b.example/twilio/connect-action?x=1&y=2")
        );
        assert_eq!(parsed.stream_url, "wss://b.example/twilio/stream");
        assert_eq!(
            parsed.parameters,
            vec![("token".to_string(), "a<b>\"c\"&'d'".to_string())]
        );
    }

    #[test]
    fn say_and_hangup_escape_text() {
        let doc = Response::new().say("Sorry <we> can't & won't").hangup().render();
        assert!(doc.ends_with(
            "<Response><Say>Sorry &lt;we&gt; can&apos;t &amp; won&apos;t</Say><Hangup /></Response>"
        ));
        assert_eq!(parse_connect(&doc).unwrap(), None);
    }
}
