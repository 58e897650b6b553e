//! The account's follow-up texts, as it manages them: every kind listed with the text in use
//! (the account's own or the built-in one), the variables it may use and a preview rendered
//! with sample values; a kind's text set (checked: known variables, closed braces, at most
//! `MAX_SEGMENTS` SMS segments once rendered) or put back to the built-in one.

use jiff::Timestamp;

use crate::messaging::follow_ups::sample_values;
use crate::messaging::templates::TemplateError;
use crate::messaging::{FollowUpKind, Template};
use crate::store::{Store, StoreResult};

use super::Scope;
use super::error::{ManageError, ManageResult};

/// Where the text in use comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateSource {
    /// The account saved it.
    Account,
    /// The built-in text: the account saved none.
    BuiltIn,
}

/// One kind's text as the account sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateView {
    pub kind: FollowUpKind,
    pub body: String,
    pub source: TemplateSource,
    /// The text rendered with the account's name and booking page and a sample booking.
    pub preview: String,
    /// The preview's SMS segments.
    pub segments: usize,
    /// When the account saved it; `None` for the built-in text.
    pub updated_at: Option<Timestamp>,
}

/// The kind named in a path; an unknown one is not found.
fn kind_of(word: &str) -> ManageResult<FollowUpKind> {
    word.parse().map_err(|_| ManageError::NotFound {
        what: "template kind",
    })
}

/// What the samples are: the account's name, and its booking page (or a placeholder as long
/// as a typical one when it has none: the texts then show the number called instead).
async fn samples(store: &Store, scope: &Scope) -> StoreResult<(String, String)> {
    let account = store.account(&scope.account_id).await?;
    let page = account.booking_url.unwrap_or_else(|| "+15550100100".to_owned());
    Ok((account.name, page))
}

fn view(
    template: &Template,
    source: TemplateSource,
    updated_at: Option<Timestamp>,
    (name, page): &(String, String),
) -> ManageResult<TemplateView> {
    let values = sample_values(template.kind(), name, page);
    let (preview, segments) = match template.check_rendered(&values) {
        Ok(rendered) => rendered,
        // Saved before the account's name grew: shown, with its real length.
        Err(TemplateError::TooManySegments { .. }) => {
            let text = template
                .render(&values)
                .map_err(|e| ManageError::Internal(e.to_string()))?;
            let count = crate::wire::sms_segments::segments(&text).count;
            (text, count)
        }
        Err(other) => return Err(ManageError::Internal(other.to_string())),
    };
    Ok(TemplateView {
        kind: template.kind(),
        body: template.body().to_owned(),
        source,
        preview,
        segments,
        updated_at,
    })
}

/// Every kind, with the text the account's calls get.
pub async fn list(store: &Store, scope: &Scope) -> ManageResult<Vec<TemplateView>> {
    let saved = store.sms_templates(&scope.account_id).await?;
    let samples = samples(store, scope).await?;
    FollowUpKind::ALL
        .into_iter()
        .map(|kind| match saved.iter().find(|t| t.kind == kind.as_str()) {
            Some(own) => {
                let template = Template::parse(kind, &own.body)
                    .map_err(|e| ManageError::Internal(format!("stored {kind} template: {e}")))?;
                view(&template, TemplateSource::Account, Some(own.updated_at), &samples)
            }
            None => view(
                &Template::default_for(kind),
                TemplateSource::BuiltIn,
                None,
                &samples,
            ),
        })
        .collect()
}

/// Sets the account's text of `kind`: refused naming `body` when it does not parse or renders
/// too long.
pub async fn put(
    store: &Store,
    scope: &Scope,
    kind: &str,
    body: &str,
    now: Timestamp,
) -> ManageResult<TemplateView> {
    let kind = kind_of(kind)?;
    if let Some(bad) = body.chars().find(|c| c.is_control() && !matches!(c, '\n' | '\r')) {
        return Err(ManageError::invalid(
            "body",
            format!(
                "has the control character U+{:04X}; a text may break lines, nothing else",
                u32::from(bad)
            ),
        ));
    }
    let template = Template::parse(kind, body).map_err(|e| ManageError::invalid("body", e.to_string()))?;
    let samples = samples(store, scope).await?;
    template
        .check_rendered(&sample_values(kind, &samples.0, &samples.1))
        .map_err(|e| ManageError::invalid("body", e.to_string()))?;
    let saved = store
        .put_sms_template(&scope.account_id, kind.as_str(), template.body(), now)
        .await?;
    view(
        &template,
        TemplateSource::Account,
        Some(saved.updated_at),
        &samples,
    )
}

/// Puts `kind` back to the built-in text; the account's own text, if any, is gone (done
/// again, nothing changes).
pub async fn reset(store: &Store, scope: &Scope, kind: &str) -> ManageResult<()> {
    let kind = kind_of(kind)?;
    store
        .delete_sms_template(&scope.account_id, kind.as_str())
        .await?;
    Ok(())
}
