//! The paging flags every `list` takes, `--limit`, `--cursor` and `--all`, read as the REST
//! API reads `?limit=&cursor=`, and the page printed in the API's `{"data", "next_cursor"}`.

use std::future::Future;

use crate::http::api::{ListQuery, Listed};
use crate::manage::ManageResult;
use crate::store::{MAX_PAGE_LIMIT, Page, PageRequest};

use super::failure::{OrFlag, UsageError, flag_of};

#[derive(Debug, Clone, clap::Args)]
pub struct ListArgs {
    /// Rows per page, 1 to 200 (default 50).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_PAGE_LIMIT)))]
    limit: Option<u32>,
    /// Start after this page: the previous page's `next_cursor`.
    #[arg(long, conflicts_with = "all")]
    cursor: Option<String>,
    /// Every page, one after the other (`next_cursor` is then null).
    #[arg(long)]
    all: bool,
}

impl ListArgs {
    /// Reads the page asked for (or all of them with `--all`) and renders its rows.
    pub async fn read<R, T, F, Fut>(
        &self,
        mut read: F,
        render: impl FnMut(R) -> T,
    ) -> anyhow::Result<Listed<T>>
    where
        F: FnMut(PageRequest) -> Fut,
        Fut: Future<Output = ManageResult<Page<R>>>,
    {
        let mut request = Some(self.first()?);
        let mut rows = Vec::new();
        let mut next = None;
        while let Some(asked) = request {
            let page = read(asked).await.or_flag()?;
            rows.extend(page.items);
            next = page.next;
            request = self.then(&next);
        }
        Ok(Listed::from_page(Page { items: rows, next }, render))
    }

    /// The first page asked for.
    pub fn first(&self) -> anyhow::Result<PageRequest> {
        let query = ListQuery {
            limit: self.limit,
            cursor: self.cursor.clone(),
        };
        Ok(query.page().map_err(|refused| {
            let flag = refused
                .field
                .as_deref()
                .map(flag_of)
                .unwrap_or_else(|| "--cursor".into());
            UsageError::flag(&flag, refused.message)
        })?)
    }

    /// The page to read after one whose next cursor is `next`: with `--all`, while there is one.
    pub fn then(&self, next: &Option<String>) -> Option<PageRequest> {
        match next {
            Some(after) if self.all => Some(PageRequest::new(self.limit, Some(after.clone()))),
            _ => None,
        }
    }
}

/// The line under a table saying how to read on, when another page follows.
pub fn more<T>(listed: &Listed<T>) -> String {
    match &listed.next_cursor {
        Some(cursor) => format!("more: --cursor {cursor}\n"),
        None => String::new(),
    }
}
