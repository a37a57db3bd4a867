//! [`PortalCustomer`]: the only extractor a customer's account passes, and one no staff account
//! passes. Every portal handler takes it and reads nothing but the customer it names.

use crate::auth::extract::signed_in;
use crate::auth::session::Authenticated;
use crate::error::AppError;
use crate::i18n::msg;
use crate::state::AppState;
use aglis_core::permission::Role;
use aglis_db::repo::customers::{self, Customer};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// A signed-in customer and their record.
#[derive(Debug, Clone)]
pub struct PortalCustomer {
    pub auth: Authenticated,
    pub customer: Customer,
}

impl FromRequestParts<AppState> for PortalCustomer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let auth = signed_in(parts)?;
        if auth.user.role != Role::Customer {
            return Err(AppError::Forbidden(msg("val.portal.staff_account", &[])));
        }
        let customer = customers::by_user(&state.reads, auth.user.id)
            .await?
            .ok_or_else(|| AppError::Forbidden(msg("val.portal.no_customer", &[])))?;
        Ok(PortalCustomer { auth, customer })
    }
}
