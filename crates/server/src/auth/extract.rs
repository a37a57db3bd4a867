//! Extractors that say in a handler's signature who may call it: [`CurrentUser`] (any signed-in
//! staff member) and [`Staff<P>`] (signed in and holding permission `P`). A customer's account
//! reaches neither: it is for the portal (`crate::portal`), whose extractor is the only one that
//! takes it.

use crate::auth::session::{AuthContext, Authenticated};
use crate::error::AppError;
use aglis_core::permission::Permission;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::marker::PhantomData;

/// Any signed-in, active staff member (403 for a customer's portal account).
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Authenticated);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AppError> {
        let auth = signed_in(parts)?;
        if !auth.user.role.is_staff() {
            return Err(AppError::Forbidden(
                "a customer account is for the portal: use /portal, or /api/v1/portal/… with its token".into(),
            ));
        }
        Ok(CurrentUser(auth))
    }
}

/// The signed-in caller, whatever the role; 401 when anonymous.
pub fn signed_in(parts: &Parts) -> Result<Authenticated, AppError> {
    parts
        .extensions
        .get::<AuthContext>()
        .and_then(|c| c.0.clone())
        .ok_or_else(|| AppError::Unauthorized("sign in first, or send a valid bearer token".into()))
}

/// The caller, if signed in.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<Authenticated>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(parts.extensions.get::<AuthContext>().and_then(|c| c.0.clone())))
    }
}

/// A permission as a type, so it can sit in a handler's signature.
pub trait Perm: Send + Sync {
    const PERMISSION: Permission;
}

/// A signed-in user whose role holds `P`; 403 otherwise.
#[derive(Debug, Clone)]
pub struct Staff<P: Perm>(pub Authenticated, PhantomData<P>);

impl<P: Perm> Staff<P> {
    pub fn auth(&self) -> &Authenticated {
        &self.0
    }
}

impl<P: Perm, S: Send + Sync> FromRequestParts<S> for Staff<P> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let CurrentUser(auth) = CurrentUser::from_request_parts(parts, state).await?;
        if auth.user.role.can(P::PERMISSION) {
            Ok(Staff(auth, PhantomData))
        } else {
            Err(AppError::Forbidden(format!(
                "your role ({}) does not have the permission {}",
                auth.user.role,
                P::PERMISSION
            )))
        }
    }
}

/// Marker types for the permissions handlers ask for.
pub mod perm {
    use super::Perm;
    use aglis_core::permission::Permission;

    macro_rules! perms {
        ($($name:ident),* $(,)?) => {
            $(
                #[derive(Debug, Clone, Copy)]
                pub struct $name;
                impl Perm for $name {
                    const PERMISSION: Permission = Permission::$name;
                }
            )*
        };
    }

    perms!(
        DashboardView,
        UsersView,
        UsersCreate,
        UsersEdit,
        UsersResetPassword,
        JobsView,
        JobsManage,
        NotificationsView,
        NotificationsSend,
        BroadcastsSend,
        NotificationsManage,
        MasterDataManage,
        AuditView,
        BackupsManage,
        MonitoringView,
        BillingView,
        BillingManage,
        PaymentsEnter,
        PaymentsVerify,
        NetworkView,
        NetworkManage,
        ServiceSuspend,
        MonitoringManage,
        CustomersView,
        CustomersCreate,
        CustomersEdit,
        CustomersDelete,
        CustomersExport,
        RegistrationsView,
        RegistrationsVerify,
        TicketsView,
        TicketsCreate,
        TicketsAssign,
        TechniciansView,
        TechniciansEdit,
    );
}
