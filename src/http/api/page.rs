//! List endpoints' paging: `?limit=&cursor=` in, `{"data": [...], "next_cursor": ...}` out.
//!
//! The cursor handed to clients is the store's keyset cursor (the last row's id) in URL-safe
//! base64, so clients treat it as opaque and a hand-edited one is refused as a whole.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiFailure;
use crate::store::{MAX_PAGE_LIMIT, Page, PageRequest};

/// The paging parameters of every list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Rows per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(min_length = 1)]
    pub cursor: Option<String>,
}

impl ListQuery {
    pub fn page(&self) -> Result<PageRequest, ApiFailure> {
        if let Some(limit) = self.limit
            && !(1..=MAX_PAGE_LIMIT).contains(&limit)
        {
            return Err(ApiFailure::bad_request(
                "bad_query",
                format!("`limit` must be 1 to {MAX_PAGE_LIMIT}."),
            )
            .with_field("limit"));
        }
        let after = match &self.cursor {
            None => None,
            Some(cursor) => Some(decode_cursor(cursor).ok_or_else(|| {
                ApiFailure::bad_request(
                    "bad_query",
                    "`cursor` is not one this API gave out; pass `next_cursor` as it came.",
                )
                .with_field("cursor")
            })?),
        };
        Ok(PageRequest::new(self.limit, after))
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Listed<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Listed<T> {
    pub fn from_page<R>(page: Page<R>, render: impl FnMut(R) -> T) -> Listed<T> {
        let page = page.map(render);
        Listed {
            data: page.items,
            next_cursor: page.next.map(|id| URL_SAFE_NO_PAD.encode(id)),
        }
    }
}

fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let id = String::from_utf8(bytes).ok()?;
    // Ids are UUIDs; anything else was not given out here.
    uuid::Uuid::parse_str(&id).ok().map(|_| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_given_out_reads_back_and_a_forged_one_is_refused() {
        let id = uuid::Uuid::now_v7().to_string();
        let page = Page {
            items: vec![1],
            next: Some(id.clone()),
        };
        let listed = Listed::from_page(page, |n| n);
        let query = ListQuery {
            limit: Some(10),
            cursor: listed.next_cursor,
        };
        assert_eq!(query.page().unwrap().after, Some(id));
        let forged = ListQuery {
            limit: None,
            cursor: Some("' OR 1=1 --".into()),
        };
        assert_eq!(forged.page().unwrap_err().field.as_deref(), Some("cursor"));
        let too_many = ListQuery {
            limit: Some(1000),
            cursor: None,
        };
        assert_eq!(too_many.page().unwrap_err().field.as_deref(), Some("limit"));
    }
}
