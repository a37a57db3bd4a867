//! Lists: the envelope every list answers (`{items, total, total_exact, page, per_page}`) and its
//! paging parameters, `page` from 1 and `per_page` 1–200 (default 25), documented with the bounds
//! the server enforces.

use crate::error::AppError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const DEFAULT_PER_PAGE: u64 = 25;
pub const MAX_PER_PAGE: u64 = 200;
pub const MAX_PAGE: u64 = 1_000_000;

/// One page of a list. Every list of the API answers this, short ones too.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Every match, or a cap (e.g. 10000) when there are more; then `total_exact` is false.
    pub total: u64,
    pub total_exact: bool,
    pub page: u64,
    pub per_page: u64,
}

impl<T> Page<T> {
    /// `items` of page `paging` out of `total` matches.
    pub fn new(items: Vec<T>, total: u64, paging: Paging) -> Self {
        Self { items, total, total_exact: true, page: paging.page, per_page: paging.per_page }
    }

    /// [`Page::new`] whose total may be capped.
    pub fn capped(items: Vec<T>, total: u64, exact: bool, paging: Paging) -> Self {
        Self { total_exact: exact, ..Self::new(items, total, paging) }
    }

    /// The page `paging` of a short list held whole in memory.
    pub fn of_all(all: Vec<T>, paging: Paging) -> Self {
        let total = all.len() as u64;
        let skip = usize::try_from(paging.offset()).unwrap_or(usize::MAX);
        let take = usize::try_from(paging.per_page).unwrap_or(usize::MAX);
        Self::new(all.into_iter().skip(skip).take(take).collect(), total, paging)
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            total_exact: self.total_exact,
            page: self.page,
            per_page: self.per_page,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u64,
    pub per_page: u64,
}

impl Default for Paging {
    fn default() -> Self {
        Paging { page: 1, per_page: DEFAULT_PER_PAGE }
    }
}

impl Paging {
    pub fn parse(page: Option<u64>, per_page: Option<u64>) -> Result<Self, AppError> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        if page == 0 || page > MAX_PAGE {
            return Err(AppError::field("page", format!("must be from 1 to {MAX_PAGE}")));
        }
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(AppError::field("per_page", format!("must be from 1 to {MAX_PER_PAGE}")));
        }
        Ok(Paging { page, per_page })
    }

    pub fn pages(&self, total: u64) -> u64 {
        total.div_ceil(self.per_page).max(1)
    }

    /// Rows before this page.
    pub fn offset(&self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

/// `page`/`per_page` as query parameters, documented with their bounds; a handler takes
/// [`Paging`], which reads and checks them (422 naming the parameter when out of bounds).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1_000_000)]
    pub page: Option<u64>,
    /// Items per page, 1–200 (default 25).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let crate::extract::ApiQuery(q) =
            crate::extract::ApiQuery::<PageQuery>::from_request_parts(parts, state).await?;
        Paging::parse(q.page, q.per_page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bounds_and_page_count() {
        assert_eq!(Paging::parse(None, None).ok(), Some(Paging { page: 1, per_page: 25 }));
        assert!(Paging::parse(Some(0), None).is_err());
        assert!(Paging::parse(None, Some(201)).is_err());
        assert!(Paging::parse(None, Some(0)).is_err());
        let p = Paging { page: 1, per_page: 25 };
        assert_eq!((p.pages(0), p.pages(25), p.pages(26)), (1, 1, 2));
    }

    #[test]
    fn a_short_list_is_paged_in_memory() {
        let page = Page::of_all((1..=7).collect(), Paging { page: 2, per_page: 3 });
        assert_eq!((page.items, page.total, page.total_exact), (vec![4, 5, 6], 7, true));
        let past = Page::of_all((1..=7).collect::<Vec<i32>>(), Paging { page: 4, per_page: 3 });
        assert!(past.items.is_empty());
    }
}
