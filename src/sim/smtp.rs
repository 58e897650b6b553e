//! A stand-in SMTP server for the demo: it accepts every message sent to it on loopback and
//! keeps it, so `switchboard demo` can show the confirmation email it sent.
//!
//! Written by hand: the demo needs a dozen lines of RFC 5321 (greeting, EHLO/HELO, MAIL, RCPT,
//! DATA with its dot-stuffing, RSET, NOOP, QUIT), no TLS and no authentication, on the tokio
//! runtime it already runs; the server-side crates bring their own threads or a whole mail
//! server. Messages are read with `mail-parser`.

use std::sync::{Arc, Mutex};

use mail_parser::MimeHeaders;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// The longest message kept, in bytes; a longer one is refused with 552.
const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// One message as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    /// The message as sent (headers and body), dot-stuffing removed.
    pub data: Vec<u8>,
}

/// The messages received so far. Cheap to clone: clones share them.
#[derive(Debug, Clone, Default)]
pub struct SimSmtp {
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    arrived: Arc<Notify>,
}

impl SimSmtp {
    /// The messages received so far, oldest first.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.received.lock().expect("received mail").clone()
    }

    /// Waits until at least `count` messages have come.
    pub async fn wait_for(&self, count: usize) -> Vec<ReceivedMail> {
        loop {
            let arrived = self.arrived.notified();
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            arrived.await;
        }
    }

    /// Serves SMTP on `listener` until the task is dropped.
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        loop {
            let (socket, _) = listener.accept().await?;
            let sink = self.clone();
            tokio::spawn(async move {
                if let Err(error) = sink.session(socket).await {
                    tracing::debug!(%error, "a simulated SMTP session ended early");
                }
            });
        }
    }

    async fn session(&self, socket: TcpStream) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sim.switchboard ESMTP\r\n").await?;
        let mut mail_from = String::new();
        let mut rcpt_to = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_owned();
            let verb = command
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-sim.switchboard\r\n250 8BITMIME\r\n",
                "HELO" | "NOOP" => b"250 OK\r\n",
                "MAIL" => {
                    mail_from = address(&command);
                    rcpt_to.clear();
                    b"250 OK\r\n"
                }
                "RCPT" => {
                    rcpt_to.push(address(&command));
                    b"250 OK\r\n"
                }
                "RSET" => {
                    mail_from.clear();
                    rcpt_to.clear();
                    b"250 OK\r\n"
                }
                "DATA" => {
                    write
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await?;
                    let Some(data) = read_data(&mut lines).await? else {
                        write.write_all(b"552 Message too large\r\n").await?;
                        continue;
                    };
                    self.received.lock().expect("received mail").push(ReceivedMail {
                        mail_from: std::mem::take(&mut mail_from),
                        rcpt_to: std::mem::take(&mut rcpt_to),
                        data,
                    });
                    self.arrived.notify_waiters();
                    b"250 OK\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 Bye\r\n").await?;
                    return Ok(());
                }
                _ => b"502 Command not implemented\r\n",
            };
            write.write_all(reply).await?;
        }
    }
}

/// The address in `MAIL FROM:<a>` or `RCPT TO:<a>`.
fn address(command: &str) -> String {
    command
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map_or_else(String::new, |(address, _)| address.to_owned())
}

/// The message up to the line holding only `.`, each leading dot of a line removed; `None`
/// (the rest read and dropped) when it is over [`MAX_MESSAGE_BYTES`].
async fn read_data<R: AsyncBufReadExt + Unpin>(lines: &mut R) -> std::io::Result<Option<Vec<u8>>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok((data.len() <= MAX_MESSAGE_BYTES).then_some(data));
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        if data.len() <= MAX_MESSAGE_BYTES {
            data.extend_from_slice(unstuffed);
        }
    }
}

/// A received message as the demo shows it: its headers, its text, and each attachment's
/// name with, for a calendar, its method, summary and start.
pub fn describe(mail: &ReceivedMail) -> Vec<String> {
    let Some(message) = mail_parser::MessageParser::default().parse(&mail.data) else {
        return vec!["(a message that does not parse)".to_owned()];
    };
    let mut lines = Vec::new();
    let header = |name: &str, value: Option<String>| format!("{name:<9}{}", value.unwrap_or_default());
    let addresses = |address: Option<&mail_parser::Address<'_>>| {
        address.map(|a| {
            a.iter()
                .map(|one| match (&one.name, &one.address) {
                    (Some(name), Some(address)) => format!("{name} <{address}>"),
                    (_, Some(address)) => address.to_string(),
                    _ => String::new(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    lines.push(header("From", addresses(message.from())));
    lines.push(header("To", addresses(message.to())));
    lines.push(header("Subject", message.subject().map(str::to_owned)));
    if let Some(text) = message.body_text(0) {
        lines.push(String::new());
        lines.extend(text.lines().map(str::to_owned));
    }
    for attachment in message.attachments() {
        let name = attachment.attachment_name().unwrap_or("(unnamed)");
        let content = String::from_utf8_lossy(attachment.contents());
        let field = |key: &str| {
            content
                .replace("\r\n ", "")
                .lines()
                .find_map(|line| line.strip_prefix(key).map(str::to_owned))
                .unwrap_or_default()
        };
        lines.push(String::new());
        lines.push(format!(
            "attached {name}: METHOD {}, {}, starting {}",
            field("METHOD:"),
            field("SUMMARY:"),
            field("DTSTART;")
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_message_sent_with_lettre_is_kept_and_described() {
        use lettre::message::header::ContentType;
        use lettre::message::{Attachment, MultiPart, SinglePart};
        use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

        let sink = SimSmtp::default();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(sink.clone().serve(listener));
        let message = Message::builder()
            .from("Harbor Dental <bookings@harbor.example>".parse().unwrap())
            .to("Jane Doe <jane@example.com>".parse().unwrap())
            .subject("Confirmed: Cleaning")
            .multipart(
                MultiPart::mixed()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(".a line starting with a dot\nand more".to_owned()),
                    )
                    .singlepart(Attachment::new("invite.ics".into()).body(
                        "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nSUMMARY:Cleaning with Harbor\r\nDTSTART;TZID=America/New_York:20260310T100000\r\nEND:VCALENDAR\r\n".to_owned(),
                        ContentType::parse("text/calendar; method=REQUEST").unwrap(),
                    )),
            )
            .unwrap();
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(port)
            .build()
            .send(message)
            .await
            .unwrap();
        let received = sink.wait_for(1).await;
        assert_eq!(received[0].mail_from, "bookings@harbor.example");
        assert_eq!(received[0].rcpt_to, ["jane@example.com"]);
        let shown = describe(&received[0]).join("\n");
        assert!(
            shown.contains("From     Harbor Dental <bookings@harbor.example>"),
            "{shown}"
        );
        assert!(shown.contains("Subject  Confirmed: Cleaning"), "{shown}");
        assert!(shown.contains(".a line starting with a dot"), "{shown}");
        assert!(
            shown.contains(
                "attached invite.ics: METHOD REQUEST, Cleaning with Harbor, starting TZID=America/New_York:20260310T100000"
            ),
            "{shown}"
        );
    }
}
