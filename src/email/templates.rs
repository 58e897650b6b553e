//! The emails' kinds and their built-in texts: a subject and a plain-text body per kind, each
//! a `{{variable}}` template read as the follow-up texts' are (`messaging::templates`).
//!
//! Invitee emails speak in the invitee's own time zone, host notices in the host's; the call
//! summary goes to the business after each call.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::messaging::templates::{RenderError, TemplateError, fill, variables_of};

/// Which email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EmailKind {
    InviteeConfirmation,
    InviteeReschedule,
    InviteeCancellation,
    HostConfirmation,
    HostReschedule,
    HostCancellation,
    CallSummary,
}

/// The variables every booking email may use.
const BOOKING_VARIABLES: &[&str] = &[
    "business",
    "invitee_name",
    "invitee_email",
    "invitee_phone",
    "host_name",
    "meeting_type",
    "date",
    "time",
    "timezone",
    "duration_minutes",
    "reference",
    "notes",
];

/// A reschedule's variables: the booking's, and when it was before.
const RESCHEDULE_VARIABLES: &[&str] = &[
    "business",
    "invitee_name",
    "invitee_email",
    "invitee_phone",
    "host_name",
    "meeting_type",
    "date",
    "time",
    "timezone",
    "duration_minutes",
    "reference",
    "notes",
    "previous_date",
    "previous_time",
];

const CALL_VARIABLES: &[&str] = &[
    "business",
    "caller",
    "agent",
    "date",
    "time",
    "timezone",
    "duration",
    "outcome",
    "summary",
    "booking_reference",
    "transcript",
];

impl EmailKind {
    pub const ALL: [EmailKind; 7] = [
        EmailKind::InviteeConfirmation,
        EmailKind::InviteeReschedule,
        EmailKind::InviteeCancellation,
        EmailKind::HostConfirmation,
        EmailKind::HostReschedule,
        EmailKind::HostCancellation,
        EmailKind::CallSummary,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::InviteeConfirmation => "invitee_confirmation",
            EmailKind::InviteeReschedule => "invitee_reschedule",
            EmailKind::InviteeCancellation => "invitee_cancellation",
            EmailKind::HostConfirmation => "host_confirmation",
            EmailKind::HostReschedule => "host_reschedule",
            EmailKind::HostCancellation => "host_cancellation",
            EmailKind::CallSummary => "call_summary",
        }
    }

    /// The placeholders its subject and body may use.
    pub fn variables(self) -> &'static [&'static str] {
        match self {
            EmailKind::InviteeReschedule | EmailKind::HostReschedule => RESCHEDULE_VARIABLES,
            EmailKind::CallSummary => CALL_VARIABLES,
            _ => BOOKING_VARIABLES,
        }
    }

    /// Whether it goes to the invitee (and carries the calendar invitation).
    pub fn to_invitee(self) -> bool {
        matches!(
            self,
            EmailKind::InviteeConfirmation | EmailKind::InviteeReschedule | EmailKind::InviteeCancellation
        )
    }

    pub fn default_subject(self) -> &'static str {
        match self {
            EmailKind::InviteeConfirmation => {
                "Confirmed: {{meeting_type}} with {{business}} on {{date}} at {{time}}"
            }
            EmailKind::InviteeReschedule => {
                "Moved: {{meeting_type}} with {{business}} is now {{date}} at {{time}}"
            }
            EmailKind::InviteeCancellation => "Cancelled: {{meeting_type}} with {{business}} on {{date}}",
            EmailKind::HostConfirmation => {
                "New booking: {{invitee_name}}, {{meeting_type}} on {{date}} at {{time}}"
            }
            EmailKind::HostReschedule => "Booking moved: {{invitee_name}}, now {{date}} at {{time}}",
            EmailKind::HostCancellation => {
                "Booking cancelled: {{invitee_name}}, {{meeting_type}} on {{date}}"
            }
            EmailKind::CallSummary => "Call from {{caller}}: {{outcome}}",
        }
    }

    pub fn default_body(self) -> &'static str {
        match self {
            EmailKind::InviteeConfirmation => {
                "Hello {{invitee_name}},\n\nyour {{meeting_type}} with {{business}} is booked for {{date}} at {{time}} ({{timezone}}), {{duration_minutes}} minutes with {{host_name}}.\n\nYour reference is {{reference}}. The attached invitation adds it to your calendar.\n\n{{business}}\n"
            }
            EmailKind::InviteeReschedule => {
                "Hello {{invitee_name}},\n\nyour {{meeting_type}} with {{business}} has moved from {{previous_date}} at {{previous_time}} to {{date}} at {{time}} ({{timezone}}), {{duration_minutes}} minutes with {{host_name}}.\n\nYour reference is {{reference}}. The attached invitation updates your calendar.\n\n{{business}}\n"
            }
            EmailKind::InviteeCancellation => {
                "Hello {{invitee_name}},\n\nyour {{meeting_type}} with {{business}} on {{date}} at {{time}} ({{timezone}}) is cancelled (reference {{reference}}). The attached notice removes it from your calendar.\n\n{{business}}\n"
            }
            EmailKind::HostConfirmation => {
                "{{invitee_name}} booked a {{meeting_type}} with {{host_name}} on {{date}} at {{time}} ({{timezone}}), {{duration_minutes}} minutes.\n\nEmail: {{invitee_email}}\nPhone: {{invitee_phone}}\nNotes: {{notes}}\nReference: {{reference}}\n"
            }
            EmailKind::HostReschedule => {
                "{{invitee_name}}'s {{meeting_type}} with {{host_name}} moved from {{previous_date}} at {{previous_time}} to {{date}} at {{time}} ({{timezone}}).\n\nEmail: {{invitee_email}}\nPhone: {{invitee_phone}}\nReference: {{reference}}\n"
            }
            EmailKind::HostCancellation => {
                "{{invitee_name}}'s {{meeting_type}} with {{host_name}} on {{date}} at {{time}} ({{timezone}}) is cancelled.\n\nReference: {{reference}}\n"
            }
            EmailKind::CallSummary => {
                "A call from {{caller}} to {{agent}} on {{date}} at {{time}} ({{timezone}}), {{duration}}.\n\nOutcome: {{outcome}}\nBooking: {{booking_reference}}\n\n{{summary}}\n\nTranscript:\n{{transcript}}\n"
            }
        }
    }
}

impl fmt::Display for EmailKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EmailKind {
    type Err = TemplateError;

    fn from_str(word: &str) -> Result<Self, Self::Err> {
        EmailKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == word)
            .ok_or_else(|| TemplateError::UnknownKind(word.to_owned()))
    }
}

/// A subject and body of one kind, checked: every placeholder is one of the kind's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailTemplate {
    pub kind: EmailKind,
    pub subject: String,
    pub body: String,
}

/// Which part of a template a refusal is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailTemplateError {
    /// `subject` or `body`.
    pub field: &'static str,
    pub error: TemplateError,
}

impl fmt::Display for EmailTemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.error)
    }
}

impl std::error::Error for EmailTemplateError {}

/// The longest subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// The longest body, in characters.
pub const MAX_BODY_CHARS: usize = 20_000;

impl EmailTemplate {
    /// Checks `subject` and `body` as templates of `kind`.
    pub fn parse(kind: EmailKind, subject: &str, body: &str) -> Result<EmailTemplate, EmailTemplateError> {
        check(kind, "subject", subject, MAX_SUBJECT_CHARS)?;
        check(kind, "body", body, MAX_BODY_CHARS)?;
        Ok(EmailTemplate {
            kind,
            subject: subject.to_owned(),
            body: body.to_owned(),
        })
    }

    /// The built-in template of `kind`.
    pub fn default_for(kind: EmailKind) -> EmailTemplate {
        EmailTemplate::parse(kind, kind.default_subject(), kind.default_body())
            .expect("the built-in email templates are valid")
    }

    /// The subject and body with `values` filled in; a line break (in the template or a value)
    /// never reaches the subject header.
    pub fn render(&self, values: &BTreeMap<&str, String>) -> Result<(String, String), RenderError> {
        let subject = fill(&self.subject, values)?
            .replace(['\r', '\n'], " ")
            .trim()
            .to_owned();
        Ok((subject, fill(&self.body, values)?))
    }
}

/// The account's saved template of `kind` if it still reads, else the built-in one.
pub fn in_use(kind: EmailKind, saved: &[crate::store::StoredEmailTemplate]) -> EmailTemplate {
    saved
        .iter()
        .find(|t| t.kind == kind.as_str())
        .and_then(|own| EmailTemplate::parse(kind, &own.subject, &own.body).ok())
        .unwrap_or_else(|| EmailTemplate::default_for(kind))
}

/// Values for every variable of `kind`, from the business's name and a sample booking (or
/// call): what a template is previewed with.
pub fn sample_values(kind: EmailKind, business: &str) -> BTreeMap<&'static str, String> {
    let samples: &[(&str, &str)] = &[
        ("invitee_name", "Ada Lovelace"),
        ("invitee_email", "ada@example.com"),
        ("invitee_phone", "+14155550123"),
        ("host_name", "Dr. Maya Chen"),
        ("meeting_type", "Consultation"),
        ("date", "Tuesday 10 March 2026"),
        ("time", "10:00"),
        ("timezone", "America/New_York"),
        ("duration_minutes", "30"),
        ("reference", "K7Q2XP"),
        ("notes", "none"),
        ("previous_date", "Monday 9 March 2026"),
        ("previous_time", "15:30"),
        ("caller", "+14155550123"),
        ("agent", "Ava"),
        ("duration", "3 min 12 s"),
        ("outcome", "booking_created"),
        ("summary", "Booked a consultation for Ada Lovelace."),
        ("booking_reference", "K7Q2XP"),
        (
            "transcript",
            "Agent: Hello, this is Ava.\nCaller: I would like a consultation.",
        ),
    ];
    kind.variables()
        .iter()
        .map(|name| {
            let value = match *name {
                "business" => business.to_owned(),
                other => samples
                    .iter()
                    .find(|(n, _)| *n == other)
                    .map_or_else(String::new, |(_, v)| (*v).to_owned()),
            };
            (*name, value)
        })
        .collect()
}

fn check(kind: EmailKind, field: &'static str, text: &str, max: usize) -> Result<(), EmailTemplateError> {
    let refuse = |error| EmailTemplateError { field, error };
    if text.trim().is_empty() {
        return Err(refuse(TemplateError::Empty));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(refuse(TemplateError::TooLong { chars }));
    }
    for name in variables_of(text).map_err(refuse)? {
        if !kind.variables().contains(&name.as_str()) {
            return Err(refuse(TemplateError::UnknownVariable {
                name,
                allowed: kind.variables(),
            }));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_template_is_valid_and_names_its_kind() {
        for kind in EmailKind::ALL {
            let template = EmailTemplate::default_for(kind);
            assert_eq!(template.kind, kind);
            assert_eq!(kind.as_str().parse::<EmailKind>().unwrap(), kind);
        }
    }

    #[test]
    fn an_unknown_placeholder_is_refused_by_name_and_field() {
        let refused = EmailTemplate::parse(EmailKind::HostConfirmation, "New {{invitee}}", "ok").unwrap_err();
        assert_eq!(refused.field, "subject");
        assert!(
            matches!(&refused.error, TemplateError::UnknownVariable { name, .. } if name == "invitee"),
            "{refused:?}"
        );
        let refused =
            EmailTemplate::parse(EmailKind::InviteeConfirmation, "Hi", "was {{previous_date}}").unwrap_err();
        assert_eq!(refused.field, "body");
        assert!(refused.to_string().contains("previous_date"), "{refused}");
        assert!(EmailTemplate::parse(EmailKind::InviteeReschedule, "Hi", "was {{previous_date}}").is_ok());
        let unclosed = EmailTemplate::parse(EmailKind::CallSummary, "Hi", "{{caller").unwrap_err();
        assert!(matches!(unclosed.error, TemplateError::Unclosed { .. }));
    }

    #[test]
    fn the_samples_fill_every_variable_and_a_saved_template_is_used_when_it_reads() {
        for kind in EmailKind::ALL {
            let values = sample_values(kind, "Harbor Dental");
            assert!(values.values().all(|v| !v.is_empty()), "{kind}: {values:?}");
            EmailTemplate::default_for(kind).render(&values).unwrap();
        }
        let saved = |subject: &str| crate::store::StoredEmailTemplate {
            kind: "host_confirmation".into(),
            subject: subject.into(),
            body: "Booked: {{reference}}".into(),
            updated_at: jiff::Timestamp::UNIX_EPOCH,
        };
        assert_eq!(
            in_use(EmailKind::HostConfirmation, &[saved("New: {{invitee_name}}")]).subject,
            "New: {{invitee_name}}"
        );
        assert_eq!(
            in_use(EmailKind::HostConfirmation, &[saved("New: {{nobody}}")]),
            EmailTemplate::default_for(EmailKind::HostConfirmation),
            "a template that no longer reads gives way to the built-in one"
        );
        assert_eq!(
            in_use(EmailKind::InviteeConfirmation, &[saved("New")]),
            EmailTemplate::default_for(EmailKind::InviteeConfirmation)
        );
    }

    #[test]
    fn a_value_with_a_line_break_stays_out_of_the_subject_header() {
        let template = EmailTemplate::default_for(EmailKind::HostConfirmation);
        let mut values: BTreeMap<&str, String> = EmailKind::HostConfirmation
            .variables()
            .iter()
            .map(|name| (*name, format!("<{name}>")))
            .collect();
        values.insert("invitee_name", "Ada\r\nBcc: everyone@example.com".into());
        let (subject, body) = template.render(&values).unwrap();
        assert!(!subject.contains(['\r', '\n']), "{subject:?}");
        assert!(body.contains("<reference>"));
    }
}
