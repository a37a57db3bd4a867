//! What every HTML page shares: the [`Shell`] (language, signed-in user, CSRF token, navigation for
//! the user's role), rendering, and the error pages the `finish_errors` middleware serves.

use crate::auth::csrf::{CsrfNonce, token_for};
use crate::auth::session::AuthContext;
use crate::error::{AppError, AppResult, ErrorInfo, problem_response};
use crate::i18n::Lang;
use crate::state::AppState;
use aglis_core::permission::{Permission, Role};
use askama::Template;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

/// One entry of the side navigation; shown when the role holds `permission`.
struct NavEntry {
    key: &'static str,
    href: &'static str,
    icon: &'static str,
    permission: Permission,
}

/// The navigation, in order. Features add their entry here.
const NAV: &[NavEntry] = &[
    NavEntry { key: "nav.dashboard", href: "/", icon: "▦", permission: Permission::DashboardView },
    NavEntry { key: "nav.customers", href: "/customers", icon: "☺", permission: Permission::CustomersView },
    NavEntry { key: "nav.billing", href: "/billing", icon: "¤", permission: Permission::BillingView },
    NavEntry {
        key: "nav.registrations", href: "/registrations", icon: "✎", permission: Permission::RegistrationsView
    },
    NavEntry {
        key: "nav.notifications", href: "/notifications", icon: "✉", permission: Permission::NotificationsView
    },
    NavEntry { key: "nav.technicians", href: "/technicians", icon: "⚒", permission: Permission::TechniciansEdit },
    NavEntry { key: "nav.escalations", href: "/escalations", icon: "⚠", permission: Permission::TicketsAssign },
    NavEntry { key: "nav.enforcement", href: "/network", icon: "⇋", permission: Permission::NetworkView },
    NavEntry { key: "nav.network", href: "/admin/packages", icon: "⌬", permission: Permission::MasterDataManage },
    NavEntry { key: "nav.users", href: "/admin/users", icon: "◉", permission: Permission::UsersView },
    NavEntry { key: "nav.sla", href: "/admin/sla", icon: "◔", permission: Permission::MasterDataManage },
    NavEntry { key: "nav.portal", href: "/admin/portal", icon: "☏", permission: Permission::MasterDataManage },
    NavEntry { key: "nav.jobs", href: "/admin/jobs", icon: "⚙", permission: Permission::JobsView },
    NavEntry { key: "nav.audit", href: "/admin/audit", icon: "◈", permission: Permission::AuditView },
    NavEntry { key: "nav.backups", href: "/admin/backups", icon: "⛁", permission: Permission::BackupsManage },
    NavEntry { key: "nav.monitoring", href: "/admin/monitoring", icon: "♥", permission: Permission::MonitoringView },
    NavEntry { key: "nav.api_docs", href: "/api/docs", icon: "⌘", permission: Permission::DashboardView },
];

/// Pages applicants and customers use, shown without the staff frame whoever opens them.
const PUBLIC_PAGES: [&str; 5] = ["/signup", "/track", "/pay", "/portal", "/isolir"];

#[derive(Debug, Clone)]
pub struct NavLink {
    pub label: &'static str,
    pub href: &'static str,
    pub icon: &'static str,
    pub active: bool,
}

/// A stored `628…` number as people write it: `0812-3456-7890`.
pub fn local_phone(stored: &str) -> String {
    aglis_core::phone::Phone::parse(stored).map(|p| p.local()).unwrap_or_else(|_| stored.to_owned())
}

/// The navigation `role` sees, with the entry for `path` marked active.
pub fn navigation(role: Role, lang: Lang, path: &str) -> Vec<NavLink> {
    NAV.iter()
        .filter(|e| role.can(e.permission))
        .map(|e| NavLink {
            label: lang.t(e.key),
            href: e.href,
            icon: e.icon,
            active: path == e.href || (e.href != "/" && path.starts_with(e.href)),
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct ShellUser {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub role: Role,
}

/// Whole rupiah, however many references deep a template holds them.
pub trait Amount {
    fn whole_rupiah(&self) -> i64;
}

impl Amount for i64 {
    fn whole_rupiah(&self) -> i64 {
        *self
    }
}

impl<T: Amount + ?Sized> Amount for &T {
    fn whole_rupiah(&self) -> i64 {
        (**self).whole_rupiah()
    }
}

/// A role, however many references deep a template holds it.
pub trait RoleRef {
    fn role(&self) -> Role;
}

impl RoleRef for Role {
    fn role(&self) -> Role {
        *self
    }
}

impl<T: RoleRef + ?Sized> RoleRef for &T {
    fn role(&self) -> Role {
        (**self).role()
    }
}

/// The page frame's data; every page template has a `shell` field.
#[derive(Debug, Clone)]
pub struct Shell {
    pub lang: Lang,
    pub user: Option<ShellUser>,
    pub csrf: String,
    pub nav: Vec<NavLink>,
    pub path: String,
}

impl Shell {
    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// The text of `prefix` + `key`, for keys built from data (statuses).
    pub fn t_prefixed(&self, prefix: &str, key: &str) -> &'static str {
        self.lang.t(&format!("{prefix}{key}"))
    }

    /// Whether the signed-in user may export `list` (`customers`, …): its page's Export buttons.
    pub fn may_export(&self, list: &str) -> bool {
        let view = crate::export::lists::view_permission(list);
        self.user.as_ref().zip(view).is_some_and(|(u, v)| crate::export::lists::may_export(u.role, v, list))
    }

    /// A stored `628…` number as people write it: `0812-3456-7890`.
    pub fn phone(&self, stored: &str) -> String {
        local_phone(stored)
    }

    /// The messages of `field` in `errors`, in the page's language, joined (empty when none).
    pub fn field_error(&self, errors: &crate::error::FieldErrors, field: &str) -> String {
        errors.get(field).map(|m| m.iter().map(|t| self.say(t)).collect::<Vec<_>>().join(", ")).unwrap_or_default()
    }

    /// Every message of `errors`, in the page's language, joined.
    pub fn all_errors(&self, errors: &crate::error::FieldErrors) -> String {
        errors.values().flatten().map(|t| self.say(t)).collect::<Vec<_>>().join(", ")
    }

    /// One message in the page's language.
    pub fn say(&self, message: &str) -> String {
        self.lang.render(message)
    }

    /// The title of an HTTP status in the page's language.
    pub fn status_title(&self, status: impl std::borrow::Borrow<u16>) -> &'static str {
        self.lang.t(&format!("error.status.{}", status.borrow()))
    }

    /// Whether the signed-in user holds `permission` (its text, e.g. `tickets.assign`): for
    /// showing controls such as the bulk bars; the handlers check again.
    pub fn can(&self, permission: &str) -> bool {
        let Ok(p) = permission.parse::<aglis_core::permission::Permission>() else { return false };
        self.user.as_ref().is_some_and(|u| u.role.can(p))
    }

    /// The role's display name in the page's language.
    pub fn role_label(&self, role: impl RoleRef) -> &'static str {
        self.lang.t(&format!("role.{}", role.role().as_str()))
    }

    /// A UTC time shown in Asia/Jakarta.
    /// Whole rupiah the Indonesian way: `Rp 149.900`.
    pub fn rupiah(&self, amount: impl Amount) -> String {
        aglis_core::money::Rupiah(amount.whole_rupiah()).to_string()
    }

    pub fn local_time(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        t.with_timezone(&aglis_core::schedule::JAKARTA).format("%d-%m-%Y %H:%M WIB").to_string()
    }

    /// How long until `due` ("2 j 15 mnt lagi") or how long past it ("lewat 40 mnt"), to the minute.
    pub fn time_left(&self, due: &chrono::DateTime<chrono::Utc>, now: &chrono::DateTime<chrono::Utc>) -> String {
        let minutes = (*due - *now).num_minutes();
        let span = self.span(minutes.unsigned_abs());
        let key = if minutes < 0 { "time.late" } else { "time.left" };
        self.t(key).replace("{span}", &span)
    }

    /// `minutes` in days and hours, or hours and minutes: "3 hr 4 j", "2 j 15 mnt", "40 mnt".
    pub fn span(&self, minutes: u64) -> String {
        let (d, h, m) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
        let (td, th, tm) = (self.t("time.d"), self.t("time.h"), self.t("time.m"));
        match (d, h) {
            (0, 0) => format!("{m} {tm}"),
            (0, _) => format!("{h} {th} {m} {tm}"),
            _ => format!("{d} {td} {h} {th}"),
        }
    }

    /// The signed-in user whose staff frame (navigation, top bar) surrounds the page; `None` on
    /// the public pages (sign-up, tracking), which look the same to everyone: staff open them to
    /// register a walk-in customer.
    pub fn frame(&self) -> Option<&ShellUser> {
        let public = PUBLIC_PAGES.iter().any(|p| self.path == *p || self.path.starts_with(&format!("{p}/")));
        if public { None } else { self.user.as_ref() }
    }

    /// The other language, for the switch in the top bar.
    pub fn other_lang(&self) -> &'static str {
        match self.lang {
            Lang::Id => "en",
            Lang::En => "id",
        }
    }
}

impl FromRequestParts<AppState> for Shell {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = parts.extensions.get::<Lang>().copied().unwrap_or_default();
        let ctx = parts.extensions.get::<AuthContext>();
        let csrf = token_for(state, ctx, parts.extensions.get::<CsrfNonce>());
        let path = parts.uri.path().to_owned();
        let user = ctx.and_then(|c| c.0.as_ref()).map(|a| ShellUser {
            id: a.user.id,
            username: a.user.username.clone(),
            full_name: a.user.full_name.clone(),
            role: a.user.role,
        });
        let nav = user.as_ref().map(|u| navigation(u.role, lang, &path)).unwrap_or_default();
        Ok(Shell { lang, user, csrf, nav, path })
    }
}

/// Renders a template into an HTML response.
pub fn render(t: &impl Template) -> AppResult<Response> {
    Ok(Html(t.render()?).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    shell: Shell,
    info: &'a ErrorInfo,
    request_id: Option<String>,
}

/// Turns error responses into their final form: problem+json under `/api`, an HTML page elsewhere
/// (a 401 on a page is a redirect to the login form). Adds the request id to both.
pub async fn finish_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let is_api = path.starts_with("/api/");
    let is_get = req.method() == axum::http::Method::GET;
    let lang = req.extensions().get::<Lang>().copied().unwrap_or_default();
    let query = req.uri().query().map(str::to_owned);
    let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let response = next.run(req).await;

    let info = match response.extensions().get::<ErrorInfo>() {
        Some(info) => info.clone(),
        None if response.status() == StatusCode::METHOD_NOT_ALLOWED => ErrorInfo {
            status: 405,
            title: "Method Not Allowed".into(),
            detail: "this address does not accept that method".into(),
            errors: Default::default(),
        },
        None => return response,
    };
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let mut out = if is_api {
        problem_response(&info, request_id.clone())
    } else if info.status == 401 && is_get {
        let target = match query {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        };
        let next_param: String = form_urlencoded::byte_serialize(target.as_bytes()).collect();
        let login = if path.starts_with("/portal") { crate::portal::pages::LOGIN } else { "/login" };
        Redirect::to(&format!("{login}?next={next_param}")).into_response()
    } else {
        let status = StatusCode::from_u16(info.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let shell = Shell { lang, user: None, csrf: String::new(), nav: Vec::new(), path };
        match (ErrorPage { shell, info: &info, request_id: request_id.clone() }).render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => problem_response(&info, request_id.clone()),
        }
    };
    if let Some(v) = retry_after {
        out.headers_mut().insert(header::RETRY_AFTER, v);
    }
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        out.headers_mut().insert("x-request-id", id);
    }
    out
}

/// The router's fallback: an unknown address.
pub async fn not_found() -> AppError {
    AppError::NotFound("there is nothing at this address".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn navigation_depends_on_the_role() {
        let admin: Vec<_> = navigation(Role::Admin, Lang::En, "/").iter().map(|l| l.href).collect();
        let tech: Vec<_> = navigation(Role::Technician, Lang::En, "/").iter().map(|l| l.href).collect();
        assert!(admin.contains(&"/admin/users") && admin.contains(&"/admin/jobs"));
        assert!(!tech.contains(&"/admin/users") && !tech.contains(&"/admin/jobs"));
        assert!(tech.contains(&"/"));
        assert!(navigation(Role::Customer, Lang::En, "/").is_empty());
    }

    #[test]
    fn active_entry_follows_the_path() {
        let nav = navigation(Role::Admin, Lang::En, "/admin/users/3");
        let active: Vec<_> = nav.iter().filter(|l| l.active).map(|l| l.href).collect();
        assert_eq!(active, vec!["/admin/users"]);
    }
}
