//! The account's emails, as it manages them: every kind listed with the subject and body in
//! use (the account's own or the built-in one), the variables they may use and a preview
//! rendered with the account's name and a sample booking; a kind's template set (checked: known
//! variables, closed braces, lengths; a refusal names `subject` or `body` and the variable) or
//! put back to the built-in one.

use jiff::Timestamp;

use crate::email::templates::{EmailKind, EmailTemplate, in_use, sample_values};
use crate::store::Store;

use super::Scope;
use super::error::{ManageError, ManageResult};
use super::sms_templates::TemplateSource;

/// One kind's template as the account sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailTemplateView {
    pub template: EmailTemplate,
    pub source: TemplateSource,
    /// The subject and body rendered with the account's name and a sample booking.
    pub preview_subject: String,
    pub preview_body: String,
    /// When the account saved it; `None` for the built-in template.
    pub updated_at: Option<Timestamp>,
}

/// The kind named in a path; an unknown one is not found.
fn kind_of(word: &str) -> ManageResult<EmailKind> {
    word.parse().map_err(|_| ManageError::NotFound {
        what: "email template kind",
    })
}

fn view(
    template: EmailTemplate,
    source: TemplateSource,
    updated_at: Option<Timestamp>,
    business: &str,
) -> ManageResult<EmailTemplateView> {
    let (preview_subject, preview_body) = template
        .render(&sample_values(template.kind, business))
        .map_err(|e| ManageError::Internal(e.to_string()))?;
    Ok(EmailTemplateView {
        template,
        source,
        preview_subject,
        preview_body,
        updated_at,
    })
}

/// Every kind, with the template the account's emails use.
pub async fn list(store: &Store, scope: &Scope) -> ManageResult<Vec<EmailTemplateView>> {
    let saved = store.email_templates(&scope.account_id).await?;
    let business = store.account(&scope.account_id).await?.name;
    EmailKind::ALL
        .into_iter()
        .map(|kind| {
            let template = in_use(kind, &saved);
            let own = saved.iter().find(|t| {
                t.kind == kind.as_str() && t.subject == template.subject && t.body == template.body
            });
            match own {
                Some(own) => view(template, TemplateSource::Account, Some(own.updated_at), &business),
                None => view(template, TemplateSource::BuiltIn, None, &business),
            }
        })
        .collect()
}

/// Sets the account's template of `kind`: refused naming `subject` or `body` when it does not
/// read (an unknown `{{variable}}` is named).
pub async fn put(
    store: &Store,
    scope: &Scope,
    kind: &str,
    subject: &str,
    body: &str,
    now: Timestamp,
) -> ManageResult<EmailTemplateView> {
    let kind = kind_of(kind)?;
    for (field, text) in [("subject", subject), ("body", body)] {
        if let Some(bad) = text
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(ManageError::invalid(
                field,
                format!("has the control character U+{:04X}", u32::from(bad)),
            ));
        }
    }
    let template = EmailTemplate::parse(kind, subject, body)
        .map_err(|e| ManageError::invalid(e.field, e.error.to_string()))?;
    let saved = store
        .put_email_template(
            &scope.account_id,
            kind.as_str(),
            &template.subject,
            &template.body,
            now,
        )
        .await?;
    let business = store.account(&scope.account_id).await?.name;
    view(
        template,
        TemplateSource::Account,
        Some(saved.updated_at),
        &business,
    )
}

/// Puts `kind` back to the built-in template (done again, nothing changes).
pub async fn reset(store: &Store, scope: &Scope, kind: &str) -> ManageResult<()> {
    let kind = kind_of(kind)?;
    store
        .delete_email_template(&scope.account_id, kind.as_str())
        .await?;
    Ok(())
}
