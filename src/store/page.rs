//! Keyset pagination for list reads: a page of at most `limit` rows after a cursor.
//!
//! Ids are UUID v7 strings, which sort by creation time, so a page is "rows whose id is past the
//! last one seen", in id order (oldest first) or reverse id order (newest first). Unlike an
//! offset, a cursor stays right while rows are added, and the read uses the primary key's index.
//! The cursor handed out is the last row's id; the HTTP layer wraps it opaquely.

/// The most rows one page may hold, whatever a client asks for.
pub const MAX_PAGE_LIMIT: u32 = 200;
/// The page size when a client asks for none.
pub const DEFAULT_PAGE_LIMIT: u32 = 50;

/// Which page to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// 1..=MAX_PAGE_LIMIT rows (`PageRequest::new` clamps).
    pub limit: u32,
    /// The id of the last row of the previous page; `None` for the first page.
    pub after: Option<String>,
}

impl PageRequest {
    pub fn new(limit: Option<u32>, after: Option<String>) -> PageRequest {
        PageRequest {
            limit: limit.unwrap_or(DEFAULT_PAGE_LIMIT).clamp(1, MAX_PAGE_LIMIT),
            after,
        }
    }

    pub fn first(limit: u32) -> PageRequest {
        PageRequest::new(Some(limit), None)
    }

    /// How many rows to fetch: one more than the page holds, to know whether another follows.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest::new(None, None)
    }
}

/// One page of rows, and the cursor of the next page when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The id to pass as `after` for the next page; `None` on the last page.
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from rows fetched with `request.fetch_limit()`: a row beyond the limit
    /// means another page follows, whose cursor is the id of the page's last row.
    pub fn from_fetched(mut rows: Vec<T>, request: &PageRequest, id_of: impl Fn(&T) -> &str) -> Page<T> {
        let limit = request.limit as usize;
        if rows.len() > limit {
            rows.truncate(limit);
            let next = rows.last().map(|row| id_of(row).to_owned());
            Page { items: rows, next }
        } else {
            Page {
                items: rows,
                next: None,
            }
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_clamped_and_defaulted() {
        assert_eq!(PageRequest::new(None, None).limit, DEFAULT_PAGE_LIMIT);
        assert_eq!(PageRequest::new(Some(0), None).limit, 1);
        assert_eq!(PageRequest::new(Some(10_000), None).limit, MAX_PAGE_LIMIT);
    }

    #[test]
    fn a_row_beyond_the_limit_gives_the_next_cursor() {
        let request = PageRequest::first(2);
        let full = Page::from_fetched(vec!["a", "b", "c"], &request, |s| s);
        assert_eq!(full.items, vec!["a", "b"]);
        assert_eq!(full.next.as_deref(), Some("b"));
        let last = Page::from_fetched(vec!["a", "b"], &request, |s| s);
        assert_eq!(last.next, None);
    }
}
