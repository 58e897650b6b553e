//! Twilio's list pages: `page`, `page_size`, `start`, `end`, `uri`, `first_page_uri`,
//! `next_page_uri`, `previous_page_uri` and the items under the resource's key
//! (`incoming_phone_numbers`, `messages`, `calls`), as the API's `List…Response` schemas in
//! twilio-oai's `twilio_api_v2010.json` have them. twilio-python follows `next_page_uri`
//! (`base/page.py`), so the filters and page size are carried in every link.

use serde::Serialize;
use serde_json::{Map, Value};

use super::errors::TwilioError;
use super::params::Params;

/// Twilio's default page size, and its largest.
pub const DEFAULT_PAGE_SIZE: usize = 50;
pub const MAX_PAGE_SIZE: usize = 1000;

/// Which page a list request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: usize,
    pub page_size: usize,
}

impl PageRequest {
    /// `Page` (from 0) and `PageSize` (1 to 1000, 50 when left out).
    pub fn read(params: &Params) -> Result<Self, TwilioError> {
        let page_size = params
            .number("PageSize", 1..=MAX_PAGE_SIZE as u64)?
            .map_or(DEFAULT_PAGE_SIZE, |size| size as usize);
        let page = params.number("Page", 0..=u64::from(u32::MAX))?.unwrap_or(0) as usize;
        Ok(PageRequest { page, page_size })
    }
}

/// One page of `items` (the whole filtered list) under `key`. `path` is the list's path and
/// `filters` the query parameters that made it, repeated in each link.
pub fn render<T: Serialize>(
    path: &str,
    key: &str,
    filters: &[(&str, &str)],
    request: PageRequest,
    items: &[T],
) -> Value {
    let start = request.page.saturating_mul(request.page_size);
    let shown: &[T] = items
        .get(start..)
        .map(|rest| &rest[..rest.len().min(request.page_size)])
        .unwrap_or(&[]);
    let link = |page: usize| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in filters {
            query.append_pair(name, value);
        }
        query.append_pair("PageSize", &request.page_size.to_string());
        query.append_pair("Page", &page.to_string());
        if page > 0 {
            query.append_pair("PageToken", &format!("PA{page}"));
        }
        format!("{path}?{}", query.finish())
    };
    let has_next = start.saturating_add(request.page_size) < items.len();
    let mut body = Map::new();
    body.insert("first_page_uri".into(), link(0).into());
    body.insert("end".into(), (start + shown.len().saturating_sub(1)).into());
    body.insert(
        "previous_page_uri".into(),
        (request.page > 0).then(|| link(request.page - 1)).into(),
    );
    body.insert(
        key.into(),
        serde_json::to_value(shown).expect("list items serialize"),
    );
    body.insert("uri".into(), link(request.page).into());
    body.insert("page_size".into(), request.page_size.into());
    body.insert("start".into(), start.into());
    body.insert(
        "next_page_uri".into(),
        has_next.then(|| link(request.page + 1)).into(),
    );
    body.insert("page".into(), request.page.into());
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_middle_page_links_both_ways_and_keeps_the_filters() {
        let items: Vec<u32> = (0..7).collect();
        let request = PageRequest {
            page: 1,
            page_size: 3,
        };
        let page = render("/L.json", "things", &[("To", "+1")], request, &items);
        assert_eq!(page["things"], serde_json::json!([3, 4, 5]));
        assert_eq!((page["start"].as_u64(), page["end"].as_u64()), (Some(3), Some(5)));
        assert_eq!(page["uri"], "/L.json?To=%2B1&PageSize=3&Page=1&PageToken=PA1");
        assert_eq!(page["first_page_uri"], "/L.json?To=%2B1&PageSize=3&Page=0");
        assert_eq!(page["previous_page_uri"], "/L.json?To=%2B1&PageSize=3&Page=0");
        assert_eq!(
            page["next_page_uri"],
            "/L.json?To=%2B1&PageSize=3&Page=2&PageToken=PA2"
        );
    }

    #[test]
    fn the_last_page_has_no_next_and_a_page_past_the_end_is_empty() {
        let items: Vec<u32> = (0..6).collect();
        let last = render(
            "/L.json",
            "things",
            &[],
            PageRequest {
                page: 1,
                page_size: 3,
            },
            &items,
        );
        assert_eq!(last["next_page_uri"], Value::Null);
        let past = render(
            "/L.json",
            "things",
            &[],
            PageRequest {
                page: 5,
                page_size: 3,
            },
            &items,
        );
        assert_eq!(past["things"], serde_json::json!([]));
        let first = render(
            "/L.json",
            "things",
            &[],
            PageRequest {
                page: 0,
                page_size: 50,
            },
            &items,
        );
        assert_eq!(first["previous_page_uri"], Value::Null);
        assert_eq!(first["end"], 5);
    }

    #[test]
    fn page_size_is_bounded() {
        assert_eq!(PageRequest::read(&Params::parse(b"")).unwrap().page_size, 50);
        assert_eq!(
            PageRequest::read(&Params::parse(b"PageSize=1001"))
                .unwrap_err()
                .code,
            21218
        );
        assert_eq!(
            PageRequest::read(&Params::parse(b"PageSize=2&Page=3")).unwrap(),
            PageRequest {
                page: 3,
                page_size: 2
            }
        );
    }
}
