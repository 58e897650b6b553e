//! The follow-up texts: one kind per group of call outcomes, a built-in text for each, and the
//! small `{{variable}}` renderer an account's own text goes through.
//!
//! Which outcomes get which text:
//! - `booking_confirmation`: `booking_created` and `booking_changed` (the event type, the
//!   start in the invitee's own time zone, the account's booking link);
//! - `info_recap`: `info_provided` (the business and its booking link);
//! - `follow_up_needed`: `voicemail`, `transferred` and `no_action`: the caller wanted
//!   something the call did not finish, so the business says it will call back.
//!
//! A `failed` call gets no text: the caller heard an error (or nothing) and a text about it
//! from the business would read as spam; the business sees the failed call in its log.
//!
//! A template is checked when it is saved: every `{{name}}` must be one of its kind's
//! variables, braces must close, so a saved template always renders; and rendered with sample
//! values (`Template::check_rendered`) it must fit in [`MAX_SEGMENTS`] SMS segments.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::store::CallOutcome;
use crate::wire::sms_segments::{self, Encoding};

/// The most SMS segments a follow-up may take. Each segment is billed as a message, and a
/// text split in more parts arrives in pieces on some phones; four segments hold 612 GSM-7
/// characters (4 × 153) or 268 UCS-2 ones (4 × 67), room for a booking confirmation with a long
/// business name even in a script outside the GSM alphabet.
pub const MAX_SEGMENTS: usize = 4;

/// The longest template body accepted: four GSM-7 segments' worth (4 × 153). A body this long
/// can only pass [`MAX_SEGMENTS`] once rendered if it is plain GSM-7 with short values.
pub const MAX_TEMPLATE_CHARS: usize = 612;

/// Which follow-up a call gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FollowUpKind {
    BookingConfirmation,
    InfoRecap,
    FollowUpNeeded,
}

impl FollowUpKind {
    pub const ALL: [FollowUpKind; 3] = [
        FollowUpKind::BookingConfirmation,
        FollowUpKind::InfoRecap,
        FollowUpKind::FollowUpNeeded,
    ];

    /// The stored and shown word (the API's `{kind}`).
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpKind::BookingConfirmation => "booking_confirmation",
            FollowUpKind::InfoRecap => "info_recap",
            FollowUpKind::FollowUpNeeded => "follow_up_needed",
        }
    }

    /// The follow-up for a call that came to `outcome`; `None` for no text.
    pub fn for_outcome(outcome: CallOutcome) -> Option<FollowUpKind> {
        match outcome {
            CallOutcome::BookingCreated | CallOutcome::BookingChanged => {
                Some(FollowUpKind::BookingConfirmation)
            }
            CallOutcome::InfoProvided => Some(FollowUpKind::InfoRecap),
            CallOutcome::Voicemail | CallOutcome::Transferred | CallOutcome::NoAction => {
                Some(FollowUpKind::FollowUpNeeded)
            }
            CallOutcome::Failed => None,
        }
    }

    /// The variables a template of this kind may use.
    pub fn variables(self) -> &'static [&'static str] {
        match self {
            FollowUpKind::BookingConfirmation => &[
                "business_name",
                "event_type",
                "date",
                "time",
                "time_zone",
                "reference",
                "reschedule_url",
            ],
            FollowUpKind::InfoRecap | FollowUpKind::FollowUpNeeded => &["business_name", "booking_url"],
        }
    }

    /// The built-in text, used until the account saves its own.
    pub fn default_body(self) -> &'static str {
        match self {
            FollowUpKind::BookingConfirmation => {
                "{{business_name}}: your {{event_type}} is booked for {{date}} at {{time}} \
                 ({{time_zone}}), reference {{reference}}. To change it: {{reschedule_url}} \
                 Reply STOP to opt out."
            }
            FollowUpKind::InfoRecap => {
                "Thanks for calling {{business_name}}. When you are ready to book: \
                 {{booking_url}} Reply STOP to opt out."
            }
            FollowUpKind::FollowUpNeeded => {
                "Thanks for calling {{business_name}}. We will get back to you soon. \
                 Reply STOP to opt out."
            }
        }
    }
}

impl fmt::Display for FollowUpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FollowUpKind {
    type Err = TemplateError;

    fn from_str(word: &str) -> Result<Self, Self::Err> {
        FollowUpKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == word)
            .ok_or_else(|| TemplateError::UnknownKind(word.to_owned()))
    }
}

/// Why a template was refused at save time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    UnknownKind(String),
    Empty,
    TooLong {
        chars: usize,
    },
    /// Rendered with sample values, the text takes more than [`MAX_SEGMENTS`] segments.
    TooManySegments {
        segments: usize,
        encoding: Encoding,
    },
    /// `{{name}}` where `name` is not one of the kind's variables.
    UnknownVariable {
        name: String,
        allowed: &'static [&'static str],
    },
    /// A `{{` without its `}}`, at this character offset.
    Unclosed {
        at: usize,
    },
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::UnknownKind(word) => write!(
                f,
                "unknown template kind {word:?} (one of booking_confirmation, info_recap, follow_up_needed)"
            ),
            TemplateError::Empty => f.write_str("the template is empty"),
            TemplateError::TooLong { chars } => write!(
                f,
                "the template has {chars} characters; at most {MAX_TEMPLATE_CHARS}"
            ),
            TemplateError::TooManySegments { segments, encoding } => write!(
                f,
                "rendered with sample values the text takes {segments} SMS segments ({}); at most {MAX_SEGMENTS}",
                match encoding {
                    Encoding::Gsm7 => "GSM-7, 153 characters a segment",
                    Encoding::Ucs2 => "UCS-2 for a character outside the GSM alphabet, 67 a segment",
                }
            ),
            TemplateError::UnknownVariable { name, allowed } => write!(
                f,
                "unknown variable {{{{{name}}}}}; this template may use {}",
                allowed
                    .iter()
                    .map(|v| format!("{{{{{v}}}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            TemplateError::Unclosed { at } => {
                write!(f, "the {{{{ at character {at} is never closed with }}}}")
            }
        }
    }
}

impl std::error::Error for TemplateError {}

/// A value missing when a checked template is rendered: the caller's bug, never the account's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    pub missing: String,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no value for template variable {:?}", self.missing)
    }
}

impl std::error::Error for RenderError {}

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Variable(String),
}

/// A checked template of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    kind: FollowUpKind,
    body: String,
    pieces: Vec<Piece>,
}

impl Template {
    /// Checks `body` as a template of `kind`.
    pub fn parse(kind: FollowUpKind, body: &str) -> Result<Template, TemplateError> {
        if body.trim().is_empty() {
            return Err(TemplateError::Empty);
        }
        let chars = body.chars().count();
        if chars > MAX_TEMPLATE_CHARS {
            return Err(TemplateError::TooLong { chars });
        }
        let pieces = split(body)?;
        for piece in &pieces {
            if let Piece::Variable(name) = piece
                && !kind.variables().contains(&name.as_str())
            {
                return Err(TemplateError::UnknownVariable {
                    name: name.clone(),
                    allowed: kind.variables(),
                });
            }
        }
        Ok(Template {
            kind,
            body: body.to_owned(),
            pieces,
        })
    }

    /// The built-in template of `kind`.
    pub fn default_for(kind: FollowUpKind) -> Template {
        Template::parse(kind, kind.default_body()).expect("the built-in templates are valid")
    }

    pub fn kind(&self) -> FollowUpKind {
        self.kind
    }

    pub fn body(&self) -> &str {
        &self.body
    }

    /// The text with each `{{name}}` replaced by `values[name]` (inserted as is: a value is
    /// never read as a template).
    pub fn render(&self, values: &BTreeMap<&str, String>) -> Result<String, RenderError> {
        let mut out = String::with_capacity(self.body.len());
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Variable(name) => match values.get(name.as_str()) {
                    Some(value) => out.push_str(value),
                    None => {
                        return Err(RenderError {
                            missing: name.clone(),
                        });
                    }
                },
            }
        }
        Ok(out)
    }

    /// The text rendered with `values` (sample ones, at save time), refused when a value is
    /// missing or it takes more than [`MAX_SEGMENTS`] segments; the text and its segments.
    pub fn check_rendered(&self, values: &BTreeMap<&str, String>) -> Result<(String, usize), TemplateError> {
        let text = self
            .render(values)
            .map_err(|missing| TemplateError::UnknownVariable {
                name: missing.missing,
                allowed: self.kind.variables(),
            })?;
        let segments = sms_segments::segments(&text);
        if segments.count > MAX_SEGMENTS {
            return Err(TemplateError::TooManySegments {
                segments: segments.count,
                encoding: segments.encoding,
            });
        }
        Ok((text, segments.count))
    }
}

/// The `{{name}}`s of `body` in order, or where a `{{` is left open: the same reading as a
/// follow-up's, shared by the email templates.
pub fn variables_of(body: &str) -> Result<Vec<String>, TemplateError> {
    Ok(split(body)?
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Variable(name) => Some(name),
            Piece::Text(_) => None,
        })
        .collect())
}

/// `body` with each `{{name}}` replaced by `values[name]` (inserted as is), read as
/// [`variables_of`] reads it.
pub fn fill(body: &str, values: &BTreeMap<&str, String>) -> Result<String, RenderError> {
    let pieces = split(body).map_err(|_| RenderError {
        missing: "(an unclosed {{)".to_owned(),
    })?;
    let mut out = String::with_capacity(body.len());
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(&text),
            Piece::Variable(name) => match values.get(name.as_str()) {
                Some(value) => out.push_str(value),
                None => return Err(RenderError { missing: name }),
            },
        }
    }
    Ok(out)
}

/// Splits `body` into text and `{{ name }}` pieces (spaces inside the braces are allowed).
fn split(body: &str) -> Result<Vec<Piece>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = body;
    let mut offset = 0;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            pieces.push(Piece::Text(rest[..open].to_owned()));
        }
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err(TemplateError::Unclosed {
                at: body[..offset + open].chars().count(),
            });
        };
        pieces.push(Piece::Variable(after[..close].trim().to_owned()));
        let consumed = open + 2 + close + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_owned()));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values(pairs: &[(&'static str, &str)]) -> BTreeMap<&'static str, String> {
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    }

    #[test]
    fn every_outcome_but_failed_gets_a_follow_up() {
        for outcome in CallOutcome::ALL {
            let kind = FollowUpKind::for_outcome(outcome);
            assert_eq!(kind.is_none(), outcome == CallOutcome::Failed, "{outcome}");
        }
        assert_eq!(
            FollowUpKind::for_outcome(CallOutcome::BookingChanged),
            Some(FollowUpKind::BookingConfirmation)
        );
    }

    #[test]
    fn the_built_in_templates_parse_and_kinds_read_back() {
        for kind in FollowUpKind::ALL {
            assert_eq!(Template::default_for(kind).kind(), kind);
            assert_eq!(kind.as_str().parse::<FollowUpKind>().unwrap(), kind);
        }
        assert!("booking".parse::<FollowUpKind>().is_err());
    }

    #[test]
    fn a_template_renders_its_values() {
        let template = Template::parse(
            FollowUpKind::InfoRecap,
            "Hi from {{ business_name }}: {{booking_url}}!",
        )
        .unwrap();
        let text = template
            .render(&values(&[
                ("business_name", "Acme"),
                ("booking_url", "https://b/x"),
            ]))
            .unwrap();
        assert_eq!(text, "Hi from Acme: https://b/x!");
    }

    #[test]
    fn an_unknown_variable_is_refused_by_name() {
        let err = Template::parse(FollowUpKind::InfoRecap, "See {{reference}}").unwrap_err();
        assert!(matches!(&err, TemplateError::UnknownVariable { name, .. } if name == "reference"));
        let message = err.to_string();
        assert!(message.contains("{{reference}}"), "{message}");
        assert!(message.contains("{{booking_url}}"), "{message}");
    }

    #[test]
    fn unclosed_empty_and_long_templates_are_refused() {
        assert_eq!(
            Template::parse(FollowUpKind::InfoRecap, "ok {{business_name").unwrap_err(),
            TemplateError::Unclosed { at: 3 }
        );
        assert_eq!(
            Template::parse(FollowUpKind::InfoRecap, "  ").unwrap_err(),
            TemplateError::Empty
        );
        let long = "x".repeat(MAX_TEMPLATE_CHARS + 1);
        assert!(matches!(
            Template::parse(FollowUpKind::InfoRecap, &long).unwrap_err(),
            TemplateError::TooLong { .. }
        ));
    }

    #[test]
    fn a_value_is_never_read_as_a_template() {
        let template = Template::parse(FollowUpKind::InfoRecap, "{{business_name}}").unwrap();
        let text = template
            .render(&values(&[
                ("business_name", "{{booking_url}}"),
                ("booking_url", "no"),
            ]))
            .unwrap();
        assert_eq!(text, "{{booking_url}}");
    }

    #[test]
    fn a_missing_value_names_the_variable() {
        let template = Template::default_for(FollowUpKind::InfoRecap);
        let err = template
            .render(&values(&[("business_name", "Acme")]))
            .unwrap_err();
        assert_eq!(err.missing, "booking_url");
    }

    #[test]
    fn a_rendered_text_over_four_segments_is_refused() {
        let kind = FollowUpKind::InfoRecap;
        // 595 characters and the variable: the longest body accepted.
        let template = Template::parse(kind, &format!("{}{{{{business_name}}}}", "a".repeat(595))).unwrap();
        let fits = values(&[("business_name", "Acme Dental Group"), ("booking_url", "x")]);
        assert_eq!(template.check_rendered(&fits).unwrap().1, 4);
        let over = values(&[("business_name", "Acme Dental Groups"), ("booking_url", "x")]);
        assert_eq!(
            template.check_rendered(&over).unwrap_err(),
            TemplateError::TooManySegments {
                segments: 5,
                encoding: Encoding::Gsm7
            }
        );
        let values = values(&[("business_name", "Acme"), ("booking_url", "https://b/x")]);
        // One character outside the GSM alphabet: 67 a segment.
        let ucs2 = Template::parse(kind, &format!("ł{}", "a".repeat(268))).unwrap();
        let err = ucs2.check_rendered(&values).unwrap_err();
        assert_eq!(
            err,
            TemplateError::TooManySegments {
                segments: 5,
                encoding: Encoding::Ucs2
            }
        );
        assert!(err.to_string().contains("UCS-2"), "{err}");
    }

    proptest! {
        /// Text without braces renders to itself.
        #[test]
        fn plain_text_renders_unchanged(body in "[^{}]{1,200}") {
            prop_assume!(!body.trim().is_empty());
            let template = Template::parse(FollowUpKind::FollowUpNeeded, &body).unwrap();
            prop_assert_eq!(template.render(&BTreeMap::new()).unwrap(), body);
        }

        /// Any mix of text and allowed variables renders to the text with each value in place.
        #[test]
        fn rendering_puts_each_value_in_its_place(
            parts in proptest::collection::vec(("[^{}]{0,20}", 0usize..7), 1..8),
            value in "[^{}]{0,20}",
        ) {
            let kind = FollowUpKind::BookingConfirmation;
            let mut body = String::new();
            let mut expected = String::new();
            for (text, var) in &parts {
                let name = kind.variables()[*var];
                body.push_str(text);
                body.push_str(&format!("{{{{{name}}}}}"));
                expected.push_str(text);
                expected.push_str(&format!("{value}:{name}"));
            }
            let values: BTreeMap<&str, String> =
                kind.variables().iter().map(|v| (*v, format!("{value}:{v}"))).collect();
            let template = Template::parse(kind, &body).unwrap();
            prop_assert_eq!(template.render(&values).unwrap(), expected);
        }

        /// Parsing never panics, and what it accepts renders with every variable given.
        #[test]
        fn parsing_arbitrary_text_never_panics(body in ".{0,300}") {
            if let Ok(template) = Template::parse(FollowUpKind::InfoRecap, &body) {
                let values: BTreeMap<&str, String> =
                    FollowUpKind::InfoRecap.variables().iter().map(|v| (*v, String::new())).collect();
                prop_assert!(template.render(&values).is_ok());
            }
        }
    }
}
