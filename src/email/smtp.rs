//! The SMTP client: `lettre` over tokio with rustls (the process's crypto provider,
//! `tls::install_crypto_provider`), STARTTLS or TLS from the first byte as `[email] tls` says,
//! plain only to a loopback host when the configuration allows it (checked in `config`).
//!
//! A job's message is written here from what the outbox stored: From and Reply-To from the
//! configuration, a `Message-ID` fixed by the job (so a retry after a lost reply is recognisable
//! as the same message), the text as `text/plain`, and the attachment, if any, beside it in a
//! `multipart/mixed`.

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::retry::SmtpFailure;
use crate::config::{EmailConfig, SmtpTls};
use crate::store::EmailJob;

/// Why a send failed: what the retry rules read, and the reason in words (never a secret:
/// lettre's errors carry the server's reply, not the credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub failure: SmtpFailure,
    pub reason: String,
}

/// Sends messages through the configured SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    reply_to: Option<Mailbox>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish()
    }
}

/// Why the configuration gives no mailer.
#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("[email] is not configured (host and from)")]
    Off,
    #[error("email.{field} = {value:?} is not an address: {why}")]
    Address {
        field: &'static str,
        value: String,
        why: String,
    },
    #[error("email.host: {0}")]
    Host(String),
}

impl Mailer {
    /// The mailer `config` describes; [`MailerError::Off`] when email is not configured.
    pub fn from_config(config: &EmailConfig) -> Result<Mailer, MailerError> {
        if !config.is_on() {
            return Err(MailerError::Off);
        }
        crate::tls::install_crypto_provider();
        let host = config.host.as_deref().unwrap_or_default().trim();
        let builder = match config.tls {
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
            SmtpTls::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                host.trim_start_matches('[').trim_end_matches(']'),
            )),
        }
        .map_err(|e| MailerError::Host(e.to_string()))?;
        let mut builder = builder.port(config.port()).timeout(Some(config.timeout()));
        if let Some(username) = config.username.as_deref().filter(|u| !u.is_empty()) {
            let password = config
                .password
                .as_ref()
                .map(|p| p.expose().to_owned())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(username.to_owned(), password));
        }
        let address = |field: &'static str, value: &str| {
            value.parse::<Mailbox>().map_err(|e| MailerError::Address {
                field,
                value: value.to_owned(),
                why: e.to_string(),
            })
        };
        Ok(Mailer {
            transport: builder.build(),
            from: address("from", config.from.as_deref().unwrap_or_default())?,
            reply_to: config
                .reply_to
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .map(|r| address("reply_to", r))
                .transpose()?,
        })
    }

    /// The sender's address (an invitation's ORGANIZER).
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Writes and sends `job`'s message.
    pub async fn send(&self, job: &EmailJob) -> Result<(), SendError> {
        let message = self.message(job).map_err(|reason| SendError {
            failure: SmtpFailure::Unsendable,
            reason,
        })?;
        self.transport.send(message).await.map(drop).map_err(|error| {
            let failure = match error.status() {
                Some(code) if error.is_permanent() => SmtpFailure::Permanent { code: code.into() },
                Some(code) => SmtpFailure::Transient { code: code.into() },
                None => SmtpFailure::Connection,
            };
            SendError {
                failure,
                reason: error.to_string(),
            }
        })
    }

    fn message(&self, job: &EmailJob) -> Result<Message, String> {
        let to = Mailbox::new(
            job.to_name.clone().filter(|n| !n.trim().is_empty()),
            job.to_address
                .parse()
                .map_err(|e| format!("{:?} is not an address: {e}", job.to_address))?,
        );
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(job.subject.clone())
            .message_id(Some(format!("<{}@{}>", job.id, self.from.email.domain())));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(job.body.clone());
        let built = match &job.attachment {
            None => builder.singlepart(text),
            Some(attachment) => {
                let content_type = ContentType::parse(&attachment.content_type)
                    .map_err(|e| format!("{:?}: {e}", attachment.content_type))?;
                builder.multipart(MultiPart::mixed().singlepart(text).singlepart(
                    Attachment::new(attachment.name.clone()).body(attachment.content.clone(), content_type),
                ))
            }
        };
        built.map_err(|e| e.to_string())
    }
}
