//! Paging parameters shared by every list: `page` from 1, `per_page` 1–200 (default 25).

use crate::error::AppError;
use serde::Deserialize;

pub const DEFAULT_PER_PAGE: u64 = 25;
pub const MAX_PER_PAGE: u64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: u64,
    pub per_page: u64,
}

impl Paging {
    pub fn parse(page: Option<u64>, per_page: Option<u64>) -> Result<Self, AppError> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        if page == 0 || page > 1_000_000 {
            return Err(AppError::field("page", "must be from 1 to 1000000"));
        }
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(AppError::field("per_page", format!("must be from 1 to {MAX_PER_PAGE}")));
        }
        Ok(Paging { page, per_page })
    }

    pub fn pages(&self, total: u64) -> u64 {
        total.div_ceil(self.per_page).max(1)
    }
}

/// `page`/`per_page` as query parameters, for lists that have no other filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Items per page, 1–200 (default 25).
    pub per_page: Option<u64>,
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
}
