//! TwiML documents: the few verbs the bridge answers with, every value XML-escaped.
//!
//! Shapes follow twilio.com/docs/voice/twiml (`<Connect>`, `<Stream>`, `<Parameter>`, `<Say>`,
//! `<Record>`, `<Dial>`, `<Hangup>`, `<Pause>`). The output matches what twilio-python's
//! `VoiceResponse` renders, which a test checks.
//!
//! Values may come from callers (a `From` header can hold anything), so every document is
//! well-formed XML whatever they hold: characters XML 1.0 forbids (control characters other
//! than tab, line feed and carriage return; U+FFFE, U+FFFF) are dropped, tab/LF/CR are written
//! as character references (an attribute keeps them instead of turning them into spaces), and
//! a `<Parameter>` is cut to Twilio's limit on its name and value together.

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
    /// `<Dial action callerId timeout><Number url>…</Number></Dial>`: one number, whose
    /// answerer first hears the TwiML at `url` (a whisper), then is connected.
    DialNumber {
        number: String,
        url: Option<String>,
        caller_id: Option<String>,
        timeout_secs: Option<u32>,
        action: Option<String>,
    },
    /// `<Gather>` listening for keys and speech (`input`: `dtmf`, `speech`, `dtmf speech`),
    /// with `say` said meanwhile; what was heard is posted to `action`.
    Gather {
        action: String,
        input: String,
        num_digits: Option<u32>,
        timeout_secs: Option<u32>,
        hints: Option<String>,
        say: Vec<String>,
    },
    /// `<Redirect method="POST">`: the next TwiML document is asked of `url`.
    Redirect {
        url: String,
    },
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
                attr(out, "value", Some(parameter_value(name, value)));
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
        Verb::DialNumber {
            number,
            url,
            caller_id,
            timeout_secs,
            action,
        } => {
            out.push_str("<Dial");
            attr(out, "action", action.as_deref());
            attr(out, "callerId", caller_id.as_deref());
            attr(out, "timeout", timeout_secs.map(|t| t.to_string()).as_deref());
            out.push_str("><Number");
            attr(out, "url", url.as_deref());
            let _ = write!(out, ">{}</Number></Dial>", escape(number));
        }
        Verb::Gather {
            action,
            input,
            num_digits,
            timeout_secs,
            hints,
            say,
        } => {
            out.push_str("<Gather");
            attr(out, "action", Some(action));
            attr(out, "hints", hints.as_deref());
            attr(out, "input", Some(input));
            attr(out, "numDigits", num_digits.map(|n| n.to_string()).as_deref());
            attr(out, "timeout", timeout_secs.map(|t| t.to_string()).as_deref());
            out.push('>');
            for sentence in say {
                let _ = write!(out, "<Say>{}</Say>", escape(sentence));
            }
            out.push_str("</Gather>");
        }
        Verb::Redirect { url } => {
            let _ = write!(out, r#"<Redirect method="POST">{}</Redirect>"#, escape(url));
        }
    }
}

/// Twilio: "The combined length of each `<Parameter>` `name` and `value` attributes must be
/// under 500 characters" (characters of the values, before escaping).
pub const PARAMETER_MAX_CHARS: usize = 499;

/// `value` cut so that `name` and it together stay within [`PARAMETER_MAX_CHARS`].
pub fn parameter_value<'a>(name: &str, value: &'a str) -> &'a str {
    let room = PARAMETER_MAX_CHARS.saturating_sub(name.chars().count());
    match value.char_indices().nth(room) {
        Some((cut, _)) => &value[..cut],
        None => value,
    }
}

/// Whether XML 1.0 allows `c` at all (its `Char` production; Rust strings hold no
/// surrogates, so those need no check).
fn allowed_in_xml(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes text for an XML attribute value or element content, dropping what XML forbids.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    let needs_work =
        |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'' | '\t' | '\n' | '\r') || !allowed_in_xml(c);
    if !text.contains(needs_work) {
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
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if !allowed_in_xml(c) => {}
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

    /// Values a caller controls, with what a parser must read back from each.
    fn hostile_values() -> Vec<(String, String)> {
        vec![
            ("+1555\u{0}\u{1b}[31m\u{7}0100".into(), "+1555[31m0100".into()),
            ("]]><Hangup/><!--".into(), "]]><Hangup/><!--".into()),
            ("a&b<c>\"d\"'e'".into(), "a&b<c>\"d\"'e'".into()),
            ("line\nbreak\rtab\tend".into(), "line\nbreak\rtab\tend".into()),
            (
                "\u{FFFE}\u{FFFF}\u{FFFD}\u{10FFFF}".into(),
                "\u{FFFD}\u{10FFFF}".into(),
            ),
            ("&#0; &amp; &#x1b;".into(), "&#0; &amp; &#x1b;".into()),
        ]
    }

    #[test]
    fn hostile_values_still_make_well_formed_xml_that_reads_back() {
        for (value, expected) in hostile_values() {
            let doc = Response::new()
                .say(value.as_str())
                .verb(Verb::ConnectStream {
                    action: Some(value.clone()),
                    url: "wss://b.example/twilio/stream".into(),
                    parameters: vec![("from".into(), value.clone())],
                })
                .render();
            let parsed = roxmltree::Document::parse(&doc).unwrap_or_else(|e| panic!("{e}: {doc}"));
            let root = parsed.root_element();
            let names: Vec<&str> = root.children().map(|n| n.tag_name().name()).collect();
            assert_eq!(names, ["Say", "Connect"], "{doc}");
            let say = root.first_element_child().unwrap();
            assert_eq!(say.text().unwrap_or_default(), expected);
            let connect = say.next_sibling_element().unwrap();
            assert_eq!(connect.attribute("action"), Some(expected.as_str()));
            let parameter = connect
                .descendants()
                .find(|n| n.has_tag_name("Parameter"))
                .unwrap();
            assert_eq!(parameter.attribute("value"), Some(expected.as_str()));
        }
    }

    #[test]
    fn a_parameter_is_cut_to_twilios_limit() {
        let huge = "9".repeat(10_000);
        let wide = "é".repeat(600);
        let doc = Response::new()
            .verb(Verb::ConnectStream {
                action: None,
                url: "wss://b.example/twilio/stream".into(),
                parameters: vec![
                    ("from".into(), huge),
                    ("name".into(), wide),
                    ("to".into(), "+15550100".into()),
                ],
            })
            .render();
        let parsed = roxmltree::Document::parse(&doc).unwrap();
        let parameters: Vec<(&str, &str)> = parsed
            .descendants()
            .filter(|n| n.has_tag_name("Parameter"))
            .map(|n| (n.attribute("name").unwrap(), n.attribute("value").unwrap()))
            .collect();
        for (name, value) in &parameters {
            assert!(name.chars().count() + value.chars().count() < 500, "{name}");
        }
        assert_eq!(parameters[0].1, "9".repeat(495));
        assert_eq!(parameters[1].1, "é".repeat(495), "cut on a character, not a byte");
        assert_eq!(parameters[2], ("to", "+15550100"), "short values are untouched");
    }

    #[test]
    fn a_dial_with_a_whisper_renders_as_twilio_python_does() {
        let doc = Response::new()
            .verb(Verb::DialNumber {
                number: "+15550100999".into(),
                url: Some("https://b.example/twilio/whisper?call=CA1&x=<y>".into()),
                caller_id: Some("+15550100001".into()),
                timeout_secs: Some(25),
                action: Some("https://b.example/twilio/transfer-action".into()),
            })
            .render();
        // twilio-python 9.13: VoiceResponse().dial(action=…, caller_id=…, timeout=25)
        //   .number("+15550100999", url=…); attributes sorted by name.
        assert!(doc.ends_with(concat!(
            r#"<Response><Dial action="https://b.example/twilio/transfer-action" callerId="+15550100001" timeout="25">"#,
            r#"<Number url="https://b.example/twilio/whisper?call=CA1&amp;x=&lt;y&gt;">+15550100999</Number></Dial></Response>"#
        )), "{doc}");
        let parsed = roxmltree::Document::parse(&doc).unwrap();
        let number = parsed.descendants().find(|n| n.has_tag_name("Number")).unwrap();
        assert_eq!(
            number.attribute("url"),
            Some("https://b.example/twilio/whisper?call=CA1&x=<y>")
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
