//! CalDAV's XML, pure: the PROPFIND that asks a calendar collection for its change markers
//! (`CS:getctag`, `DAV:sync-token`, RFC 6578), the calendar-query REPORT (RFC 4791 §7.8) that
//! asks for the events touching a time range, and the multistatus answers of both read back.

use jiff::Timestamp;
use quick_xml::events::Event;

/// The body of a `PROPFIND` (Depth: 0) for the collection's change markers.
pub const PROPFIND_MARKERS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/">
  <d:prop><cs:getctag/><d:sync-token/></d:prop>
</d:propfind>"#;

/// The body of a calendar-query `REPORT` (Depth: 1) for the VEVENTs touching `[from, to)`,
/// each with its ETag and iCalendar text.
pub fn calendar_query(from: Timestamp, to: Timestamp) -> String {
    let stamp = |at: Timestamp| at.strftime("%Y%m%dT%H%M%SZ").to_string();
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:prop><d:getetag/><c:calendar-data/></d:prop>
  <c:filter>
    <c:comp-filter name="VCALENDAR">
      <c:comp-filter name="VEVENT"><c:time-range start="{}" end="{}"/></c:comp-filter>
    </c:comp-filter>
  </c:filter>
</c:calendar-query>"#,
        stamp(from),
        stamp(to)
    )
}

/// The change markers a collection gave; either may be missing (a server need not have both).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Markers {
    pub ctag: Option<String>,
    pub sync_token: Option<String>,
}

impl Markers {
    /// Whether these markers say the collection is as it was when `previous` was read: some
    /// marker both have, and every one both have is equal.
    pub fn unchanged_since(&self, ctag: Option<&str>, sync_token: Option<&str>) -> bool {
        let pairs = [
            (self.ctag.as_deref(), ctag),
            (self.sync_token.as_deref(), sync_token),
        ];
        let compared: Vec<bool> = pairs
            .iter()
            .filter_map(|(now, then)| Some(now.as_ref()? == then.as_ref()?))
            .collect();
        !compared.is_empty() && compared.iter().all(|same| *same)
    }
}

/// Why a multistatus answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the CalDAV answer is not readable XML: {0}")]
pub struct XmlError(String);

/// The `getctag` and `sync-token` of a PROPFIND's multistatus.
pub fn markers(xml: &str) -> Result<Markers, XmlError> {
    let mut markers = Markers::default();
    for (name, text) in element_texts(xml, &["getctag", "sync-token"])? {
        let text = Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        match name {
            "getctag" => markers.ctag = text,
            _ => markers.sync_token = text,
        }
    }
    Ok(markers)
}

/// Every `calendar-data` text of a REPORT's multistatus: one iCalendar object each.
pub fn calendar_data(xml: &str) -> Result<Vec<String>, XmlError> {
    Ok(element_texts(xml, &["calendar-data"])?
        .into_iter()
        .map(|(_, text)| text)
        .filter(|text| !text.trim().is_empty())
        .collect())
}

/// The text inside each element whose local name is one of `names` (entities resolved).
fn element_texts<'n>(xml: &str, names: &[&'n str]) -> Result<Vec<(&'n str, String)>, XmlError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut found = Vec::new();
    let mut inside: Option<(&'n str, String)> = None;
    let error = |e: &dyn std::fmt::Display| XmlError(e.to_string());
    loop {
        match reader.read_event().map_err(|e| error(&e))? {
            Event::Start(start) => {
                let local = start.local_name();
                if let Some(name) = names.iter().find(|name| name.as_bytes() == local.as_ref()) {
                    inside = Some((name, String::new()));
                }
            }
            Event::Text(text) => {
                if let Some((_, collected)) = inside.as_mut() {
                    collected.push_str(&text.xml_content().map_err(|e| error(&e))?);
                }
            }
            Event::CData(data) => {
                if let Some((_, collected)) = inside.as_mut() {
                    collected.push_str(&data.decode().map_err(|e| error(&e))?);
                }
            }
            Event::GeneralRef(reference) => {
                if let Some((_, collected)) = inside.as_mut() {
                    if let Some(c) = reference.resolve_char_ref().map_err(|e| error(&e))? {
                        collected.push(c);
                    } else {
                        let name = reference.decode().map_err(|e| error(&e))?;
                        let resolved = quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| XmlError(format!("unknown entity &{name};")))?;
                        collected.push_str(resolved);
                    }
                }
            }
            Event::End(end)
                if inside
                    .as_ref()
                    .is_some_and(|(name, _)| name.as_bytes() == end.local_name().as_ref()) =>
            {
                found.extend(inside.take());
            }
            Event::Eof => return Ok(found),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROPFIND_ANSWER: &str = r#"<?xml version="1.0"?>
<multistatus xmlns="DAV:" xmlns:CS="http://calendarserver.org/ns/">
  <response><href>/alice/cal/</href><propstat><prop>
    <CS:getctag>"abc123"</CS:getctag><sync-token>http://radicale.org/ns/sync/42</sync-token>
  </prop><status>HTTP/1.1 200 OK</status></propstat></response>
</multistatus>"#;

    #[test]
    fn the_markers_are_read_and_compared() {
        let markers = markers(PROPFIND_ANSWER).unwrap();
        assert_eq!(markers.ctag.as_deref(), Some("\"abc123\""));
        assert_eq!(
            markers.sync_token.as_deref(),
            Some("http://radicale.org/ns/sync/42")
        );
        assert!(markers.unchanged_since(Some("\"abc123\""), Some("http://radicale.org/ns/sync/42")));
        assert!(!markers.unchanged_since(Some("\"abc124\""), Some("http://radicale.org/ns/sync/42")));
        assert!(
            !markers.unchanged_since(None, None),
            "nothing to compare is a change"
        );
        assert!(markers.unchanged_since(Some("\"abc123\""), None));
    }

    #[test]
    fn each_calendar_object_is_read_with_its_entities() {
        let xml = r#"<d:multistatus xmlns:d="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<d:response><d:propstat><d:prop><d:getetag>"1"</d:getetag>
<C:calendar-data>BEGIN:VCALENDAR&#13;
SUMMARY:Tom &amp; Jerry&#13;
END:VCALENDAR</C:calendar-data></d:prop></d:propstat></d:response>
<d:response><d:propstat><d:prop><C:calendar-data><![CDATA[BEGIN:VCALENDAR
END:VCALENDAR]]></C:calendar-data></d:prop></d:propstat></d:response>
</d:multistatus>"#;
        let objects = calendar_data(xml).unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(
            objects[0],
            "BEGIN:VCALENDAR\r\nSUMMARY:Tom & Jerry\r\nEND:VCALENDAR"
        );
        assert!(objects[1].starts_with("BEGIN:VCALENDAR\n"));
    }

    #[test]
    fn a_query_names_its_range_in_utc() {
        let body = calendar_query(
            "2026-11-01T00:00:00Z".parse().unwrap(),
            "2027-03-01T00:00:00Z".parse().unwrap(),
        );
        assert!(body.contains(r#"<c:time-range start="20261101T000000Z" end="20270301T000000Z"/>"#));
    }

    #[test]
    fn broken_xml_is_an_error() {
        assert!(calendar_data("<a><b></a>").is_err());
    }
}
