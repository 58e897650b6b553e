//! Log lines that a caller cannot forge and that carry no secret.
//!
//! Values in log fields may come from callers (a `From` header, a caller's name, an agent's
//! message, an error quoting bad input), so both formats write every field through
//! [`sanitize`]: control characters (line breaks, ESC and the rest of C0, DEL, C1), Unicode
//! line separators and bidirectional overrides are written as visible escapes (`\n`,
//! `\u{1b}`), so one event is one line and no value reaches a terminal as an escape sequence.
//! Colour is used only when stderr is a terminal. With `mask_numbers`, fields that hold a
//! caller's number show only its last four digits.
//!
//! The crates that speak the wire protocols log raw frames, handshake requests and headers at
//! `debug` and `trace` (the stream token in Twilio's `start` message, the agent's signed URL),
//! so they are capped at `info` whatever `RUST_LOG` asks for.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_log::{AsLog, NormalizeEvent};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

/// Targets whose `debug`/`trace` output holds raw protocol bytes: never more than `info`.
const WIRE_TARGETS: [&str; 7] = [
    "tungstenite",
    "tokio_tungstenite",
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "rustls",
];

/// Fields that hold a caller's phone number, masked with `mask_numbers`.
const NUMBER_FIELDS: [&str; 6] = [
    "from",
    "caller",
    "caller_number",
    "number",
    "phone",
    "invitee_phone",
];

/// How logs are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// One JSON object per line instead of text.
    pub json: bool,
    /// Show only the last four digits of callers' numbers.
    pub mask_numbers: bool,
    /// Colour the level (only for a terminal).
    pub ansi: bool,
}

/// The filter: `directives` (`RUST_LOG` syntax; `fallback` if they don't parse), with the wire
/// protocol crates capped at `info`.
pub fn filter(directives: &str, fallback: &str) -> EnvFilter {
    let mut filter = EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new(fallback));
    for target in WIRE_TARGETS {
        filter = filter.add_directive(format!("{target}=info").parse().expect("a valid directive"));
    }
    filter
}

/// A subscriber writing to `writer` with `settings`, filtered by `filter`.
pub fn subscriber<W>(
    settings: &LogSettings,
    filter: EnvFilter,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(settings.ansi && !settings.json);
    if settings.json {
        Box::new(
            builder
                .fmt_fields(JsonFields {
                    mask_numbers: settings.mask_numbers,
                })
                .event_format(JsonLines {
                    mask_numbers: settings.mask_numbers,
                })
                .finish(),
        )
    } else {
        Box::new(
            builder
                .fmt_fields(TextFields {
                    mask_numbers: settings.mask_numbers,
                })
                .finish(),
        )
    }
}

/// Logs to stderr from now on (and `log` records too); `RUST_LOG` overrides `default_level`.
pub fn init(json: bool, mask_numbers: bool, default_level: &str) {
    use std::io::IsTerminal;
    let directives = std::env::var("RUST_LOG")
        .ok()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| default_level.to_owned());
    let settings = LogSettings {
        json,
        mask_numbers,
        ansi: std::io::stderr().is_terminal(),
    };
    let filter = filter(&directives, default_level);
    let log_level = log_max_level(&filter);
    let subscriber = subscriber(&settings, filter, std::io::stderr);
    if tracing::subscriber::set_global_default(subscriber).is_ok() {
        let _ = tracing_log::LogTracer::builder().with_max_level(log_level).init();
    }
}

/// The most verbose `log` level `filter` can let through. `log` records (tungstenite's among
/// them, several per WebSocket frame at `trace`) are then stopped at the call site by `log`'s
/// own max level; left at `trace`, each one would cost a trip into the subscriber per frame.
pub fn log_max_level(filter: &EnvFilter) -> tracing_log::log::LevelFilter {
    filter
        .max_level_hint()
        .unwrap_or(tracing::level_filters::LevelFilter::TRACE)
        .as_log()
}

/// Writes `text` with control characters, line separators and bidirectional overrides as
/// visible escapes.
pub fn sanitize(out: &mut impl fmt::Write, text: &str) -> fmt::Result {
    for c in text.chars() {
        match c {
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            c if c.is_control() || is_invisible_layout(c) => write!(out, "\\u{{{:x}}}", c as u32)?,
            c => out.write_char(c)?,
        }
    }
    Ok(())
}

/// Line and paragraph separators and the bidirectional marks, embeddings, overrides and
/// isolates: not control characters, yet able to break or reorder a line on screen.
fn is_invisible_layout(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `***` and the last four digits of `number`.
pub fn mask_number(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let last: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("***{last}")
}

/// A field's value as text: masked if it is a number and masking is on.
fn field_text(field: &Field, value: &dyn fmt::Debug, mask_numbers: bool) -> String {
    let text = format!("{value:?}");
    if mask_numbers && NUMBER_FIELDS.contains(&field.name()) {
        mask_number(&text)
    } else {
        text
    }
}

/// Text fields: `message key=value …`, every value sanitized.
#[derive(Debug, Clone, Copy)]
struct TextFields {
    mask_numbers: bool,
}

impl<'writer> FormatFields<'writer> for TextFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = TextVisitor {
            writer,
            mask_numbers: self.mask_numbers,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct TextVisitor<'writer> {
    writer: Writer<'writer>,
    mask_numbers: bool,
    first: bool,
    result: fmt::Result,
}

impl Visit for TextVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_err() || field.name().starts_with("log.") {
            return;
        }
        let text = field_text(field, value, self.mask_numbers);
        let separator = if std::mem::take(&mut self.first) { "" } else { " " };
        self.result = (|| {
            self.writer.write_str(separator)?;
            if field.name() != "message" {
                write!(self.writer, "{}=", field.name().trim_start_matches("r#"))?;
            }
            sanitize(&mut self.writer, &text)
        })();
    }
}

/// Span fields for [`JsonLines`]: a JSON object, every value sanitized.
#[derive(Debug, Clone, Copy)]
struct JsonFields {
    mask_numbers: bool,
}

impl<'writer> FormatFields<'writer> for JsonFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut map = serde_json::Map::new();
        fields.record(&mut JsonVisitor {
            map: &mut map,
            mask_numbers: self.mask_numbers,
        });
        write!(writer, "{}", serde_json::Value::Object(map))
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        let mut map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&current.fields).unwrap_or_default();
        fields.record(&mut JsonVisitor {
            map: &mut map,
            mask_numbers: self.mask_numbers,
        });
        current.fields = serde_json::Value::Object(map).to_string();
        Ok(())
    }
}

struct JsonVisitor<'a> {
    map: &'a mut serde_json::Map<String, serde_json::Value>,
    mask_numbers: bool,
}

impl Visit for JsonVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name().starts_with("log.") {
            return;
        }
        let mut text = String::new();
        let _ = sanitize(&mut text, &field_text(field, value, self.mask_numbers));
        self.map.insert(field.name().to_owned(), text.into());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        // A JSON string is quoted already: the text itself, not its `Debug` form.
        self.record_debug(field, &format_args!("{value}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.map.insert(field.name().to_owned(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.map.insert(field.name().to_owned(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.map.insert(field.name().to_owned(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.map.insert(field.name().to_owned(), value.into());
    }
}

/// One JSON object per event: `timestamp`, `level`, `target`, `fields` (with `message`), and
/// `spans` from the root, each with its `name` and fields.
#[derive(Debug, Clone, Copy)]
struct JsonLines {
    mask_numbers: bool,
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let normalized = event.normalized_metadata();
        let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        let mut fields = serde_json::Map::new();
        event.record(&mut JsonVisitor {
            map: &mut fields,
            mask_numbers: self.mask_numbers,
        });
        let mut spans = Vec::new();
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                let mut object: serde_json::Map<String, serde_json::Value> = extensions
                    .get::<FormattedFields<N>>()
                    .and_then(|formatted| serde_json::from_str(formatted).ok())
                    .unwrap_or_default();
                object.insert("name".into(), span.name().into());
                spans.push(serde_json::Value::Object(object));
            }
        }
        let line = serde_json::json!({
            "timestamp": timestamp,
            "level": metadata.level().as_str(),
            "target": metadata.target(),
            "fields": fields,
            "spans": spans,
        });
        writeln!(writer, "{line}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sanitized(text: &str) -> String {
        let mut out = String::new();
        sanitize(&mut out, text).unwrap();
        out
    }

    #[test]
    fn log_records_more_verbose_than_the_filter_are_stopped_at_their_call_site() {
        use tracing_log::log::LevelFilter;
        let quiet = log_max_level(&filter("warn", "warn"));
        assert!(quiet < LevelFilter::Debug, "{quiet}");
        assert_eq!(
            log_max_level(&filter("warn,tungstenite=trace", "warn")),
            LevelFilter::Trace
        );
        assert_eq!(log_max_level(&filter("debug", "warn")), LevelFilter::Debug);
    }

    #[test]
    fn control_characters_and_layout_tricks_become_visible() {
        assert_eq!(
            sanitized("+1555\n2026-01-01 INFO forged"),
            "+1555\\n2026-01-01 INFO forged"
        );
        assert_eq!(sanitized("\x1b[31mred\x07\r\t"), "\\u{1b}[31mred\\u{7}\\r\\t");
        assert_eq!(sanitized("a\u{85}b\u{9b}c\u{7f}"), "a\\u{85}b\\u{9b}c\\u{7f}");
        assert_eq!(sanitized("x\u{2028}y\u{202e}z"), "x\\u{2028}y\\u{202e}z");
        assert_eq!(sanitized("Zoë 🙂 +15005550006"), "Zoë 🙂 +15005550006");
    }

    #[test]
    fn a_masked_number_keeps_its_last_four_digits() {
        assert_eq!(mask_number("+15005550006"), "***0006");
        assert_eq!(mask_number("\"+15005550006\""), "***0006");
        assert_eq!(mask_number("12"), "***12");
        assert_eq!(mask_number("anonymous"), "***");
    }

    #[test]
    fn wire_crates_stay_at_info_whatever_is_asked() {
        let shown = filter("trace", "info").to_string();
        for target in WIRE_TARGETS {
            assert!(shown.contains(&format!("{target}=info")), "{shown}");
        }
        assert!(
            filter("not a [valid filter", "warn").to_string().contains("warn"),
            "a bad RUST_LOG falls back"
        );
    }
}
