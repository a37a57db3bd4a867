//! Security by default (issue 7): every API route and every page answers each role as the
//! permission matrix says, no one reads another's records by changing an id, every response
//! carries the security headers, and no secret reaches the logs.
//!
//! The access tables below are the intent, written by hand; the tests fail for a route that is
//! missing from them (the API's from its OpenAPI document, the pages' from the routers' source).

use crate::helpers::{PASSWORD, TestApp, csrf_token, spawn_app, spawn_app_with, upload_file};
use aglis_core::permission::{Permission as P, Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Who may call a route.
#[derive(Debug, Clone, Copy)]
enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in staff member; the handler narrows by ownership (others' records are 404).
    /// A customer's account is refused: it is for the portal.
    Signed,
    /// A signed-in customer (the portal); staff accounts are refused.
    Portal,
    /// Staff holding the permission (the matrix in `aglis_core::permission`).
    Perm(P),
    /// Staff holding both permissions (an export: the list's view and an export permission).
    Both(P, P),
    /// Any staff role; customers are refused.
    Staff,
    /// A provider callback: refused (401/403/404) without its secret or signature, whoever calls.
    Webhook,
    /// A sign-in step: anyone may try; wrong or missing credentials are a 401 or 422.
    SignIn,
}

use Access::{Both, Perm, Portal, Public, SignIn, Signed, Staff, Webhook};

/// Every `/api` route. A new route must be added here (the test lists the missing ones).
const API: &[(&str, &str, Access)] = &[
    ("GET", "/api/health", Public),
    // The load balancer's probes.
    ("GET", "/api/health/live", Public),
    ("GET", "/api/health/ready", Public),
    ("GET", "/api/v1/audit-logs", Perm(P::AuditView)),
    ("GET", "/api/v1/audit-logs/export.csv", Perm(P::AuditView)),
    // Exports (issue 22): the list's view permission and an export permission.
    ("GET", "/api/v1/audit-logs/export", Perm(P::AuditView)),
    ("GET", "/api/v1/customers/export", Both(P::CustomersView, P::CustomersExport)),
    ("GET", "/api/v1/registrations/export", Both(P::RegistrationsView, P::RegistrationsExport)),
    ("GET", "/api/v1/tickets/export", Both(P::TicketsView, P::ReportsExport)),
    ("GET", "/api/v1/technicians/export", Both(P::TechniciansView, P::ReportsExport)),
    ("GET", "/api/v1/users/export", Both(P::UsersView, P::ReportsExport)),
    ("GET", "/api/v1/notifications/export", Both(P::NotificationsView, P::ReportsExport)),
    ("POST", "/api/v1/auth/login", SignIn),
    ("GET", "/api/v1/backups", Perm(P::BackupsManage)),
    ("POST", "/api/v1/backups", Perm(P::BackupsManage)),
    ("POST", "/api/v1/auth/logout", Signed),
    ("POST", "/api/v1/auth/logout-all", Signed),
    ("POST", "/api/v1/auth/password", Signed),
    ("POST", "/api/v1/billing/runs", Perm(P::BillingManage)),
    ("GET", "/api/v1/invoices", Perm(P::BillingView)),
    ("GET", "/api/v1/invoices/{id}", Perm(P::BillingView)),
    ("GET", "/api/v1/invoices/{id}/pdf", Perm(P::BillingView)),
    ("GET", "/api/v1/customers/{id}/statement", Perm(P::BillingView)),
    ("GET", "/api/v1/payments", Perm(P::BillingView)),
    ("GET", "/api/v1/billing/suspension-list", Perm(P::BillingView)),
    ("POST", "/api/v1/invoices", Perm(P::BillingManage)),
    ("POST", "/api/v1/invoices/{id}/credit-notes", Perm(P::BillingManage)),
    ("GET", "/api/v1/customers/{id}/pauses", Perm(P::CustomersView)),
    ("POST", "/api/v1/customers/{id}/pauses", Perm(P::CustomersEdit)),
    ("DELETE", "/api/v1/service-pauses/{id}", Perm(P::CustomersEdit)),
    ("POST", "/api/v1/payments", Perm(P::PaymentsEnter)),
    ("POST", "/api/v1/payments/{id}/verify", Perm(P::PaymentsVerify)),
    ("POST", "/api/v1/payments/{id}/reject", Perm(P::PaymentsVerify)),
    ("GET", "/api/v1/customers", Perm(P::CustomersView)),
    ("POST", "/api/v1/customers", Perm(P::CustomersCreate)),
    ("POST", "/api/v1/customers/import", Perm(P::CustomersCreate)),
    ("GET", "/api/v1/customers/{id}", Signed),
    ("PUT", "/api/v1/customers/{id}", Perm(P::CustomersEdit)),
    ("POST", "/api/v1/customers/{id}/account", Perm(P::CustomersEdit)),
    ("PUT", "/api/v1/customers/{id}/port", Perm(P::CustomersEdit)),
    ("POST", "/api/v1/customers/{id}/status", Perm(P::CustomersEdit)),
    ("GET", "/api/v1/dashboard", Perm(P::DashboardView)),
    ("GET", "/api/v1/events", Perm(P::DashboardView)),
    ("GET", "/api/v1/escalations", Perm(P::TicketsAssign)),
    ("GET", "/api/v1/holidays", Perm(P::MasterDataManage)),
    ("POST", "/api/v1/holidays", Perm(P::MasterDataManage)),
    ("DELETE", "/api/v1/holidays/{date}", Perm(P::MasterDataManage)),
    ("GET", "/api/v1/jobs", Perm(P::JobsView)),
    ("GET", "/api/v1/jobs/counts", Perm(P::JobsView)),
    ("POST", "/api/v1/jobs/{id}/requeue", Perm(P::JobsManage)),
    ("GET", "/api/v1/me", Signed),
    ("POST", "/api/v1/portal/auth/code", SignIn),
    ("POST", "/api/v1/portal/auth/login", SignIn),
    ("POST", "/api/v1/portal/auth/logout", Portal),
    ("POST", "/api/v1/portal/auth/logout-all", Portal),
    ("GET", "/api/v1/portal/me", Portal),
    ("GET", "/api/v1/portal/invoices", Portal),
    ("GET", "/api/v1/portal/invoices/{id}", Portal),
    ("GET", "/api/v1/portal/payments", Portal),
    ("GET", "/api/v1/portal/statement", Portal),
    ("GET", "/api/v1/portal/tickets", Portal),
    ("POST", "/api/v1/portal/tickets", Portal),
    ("GET", "/api/v1/portal/tickets/{id}", Portal),
    ("POST", "/api/v1/portal/tickets/{id}/attachments", Portal),
    ("GET", "/api/v1/portal/tickets/{id}/attachments/{attachment_id}", Portal),
    ("POST", "/api/v1/portal/tickets/{id}/comments", Portal),
    ("POST", "/api/v1/portal/tickets/{id}/confirm", Portal),
    ("POST", "/api/v1/portal/tickets/{id}/reopen", Portal),
    ("POST", "/api/v1/portal/tickets/{id}/rating", Portal),
    ("GET", "/api/v1/network/devices", Perm(P::NetworkView)),
    ("POST", "/api/v1/network/devices", Perm(P::NetworkManage)),
    ("GET", "/api/v1/network/devices/{id}", Perm(P::NetworkView)),
    ("PUT", "/api/v1/network/devices/{id}", Perm(P::NetworkManage)),
    ("DELETE", "/api/v1/network/devices/{id}", Perm(P::NetworkManage)),
    ("POST", "/api/v1/network/devices/{id}/test", Perm(P::NetworkManage)),
    ("GET", "/api/v1/network/actions", Perm(P::NetworkView)),
    ("GET", "/api/v1/customers/{id}/service", Perm(P::NetworkView)),
    ("POST", "/api/v1/customers/{id}/service", Perm(P::ServiceSuspend)),
    ("PUT", "/api/v1/customers/{id}/service/binding", Perm(P::ServiceSuspend)),
    ("GET", "/api/v1/monitoring/alerts", Perm(P::MonitoringView)),
    ("POST", "/api/v1/monitoring/alerts/{id}/acknowledge", Perm(P::MonitoringManage)),
    ("GET", "/api/v1/monitoring/errors", Perm(P::MonitoringView)),
    ("GET", "/api/v1/monitoring/errors/{id}", Perm(P::MonitoringView)),
    ("POST", "/api/v1/monitoring/errors/{id}/transitions", Perm(P::MonitoringManage)),
    ("GET", "/api/v1/monitoring/rules", Perm(P::MonitoringView)),
    ("PUT", "/api/v1/monitoring/rules/{code}", Perm(P::MonitoringManage)),
    ("POST", "/api/v1/monitoring/rules/{code}/mute", Perm(P::MonitoringManage)),
    ("GET", "/api/v1/notification-templates", Perm(P::NotificationsView)),
    ("PUT", "/api/v1/notification-templates/{id}", Perm(P::NotificationsManage)),
    ("POST", "/api/v1/notification-templates/{id}/preview", Perm(P::NotificationsView)),
    ("GET", "/api/v1/notifications", Perm(P::NotificationsView)),
    ("POST", "/api/v1/notifications", Perm(P::NotificationsSend)),
    ("GET", "/api/v1/notifications/stats", Perm(P::NotificationsView)),
    ("GET", "/api/v1/notifications/{id}", Perm(P::NotificationsView)),
    ("POST", "/api/v1/notifications/{id}/requeue", Perm(P::NotificationsSend)),
    ("GET", "/api/v1/broadcasts", Perm(P::NotificationsView)),
    // Ticket bulk actions: any ticket viewer reaches it; each action then needs its permission
    // (assign and re-prioritise: tickets.assign; close: tickets.close), else 403.
    ("POST", "/api/v1/tickets/bulk", Perm(P::TicketsView)),
    ("POST", "/api/v1/registrations/bulk", Perm(P::RegistrationsVerify)),
    ("POST", "/api/v1/customers/bulk", Perm(P::CustomersEdit)),
    ("POST", "/api/v1/broadcasts", Perm(P::BroadcastsSend)),
    ("GET", "/api/v1/broadcasts/{id}", Perm(P::NotificationsView)),
    ("GET", "/api/v1/odps", Perm(P::CustomersView)),
    ("POST", "/api/v1/odps", Perm(P::MasterDataManage)),
    ("DELETE", "/api/v1/odps/{id}", Perm(P::MasterDataManage)),
    ("GET", "/api/v1/odps/{id}", Perm(P::CustomersView)),
    ("PUT", "/api/v1/odps/{id}", Perm(P::MasterDataManage)),
    // The packages on sale are the public sign-up's price list.
    ("GET", "/api/v1/packages", Public),
    ("POST", "/api/v1/packages", Perm(P::MasterDataManage)),
    ("DELETE", "/api/v1/packages/{id}", Perm(P::MasterDataManage)),
    ("GET", "/api/v1/packages/{id}", Public),
    ("PUT", "/api/v1/packages/{id}", Perm(P::MasterDataManage)),
    ("GET", "/api/v1/ticket-categories", Perm(P::TicketsView)),
    ("POST", "/api/v1/ticket-categories", Perm(P::MasterDataManage)),
    ("PUT", "/api/v1/ticket-categories/{id}", Perm(P::MasterDataManage)),
    ("GET", "/api/v1/skills", Perm(P::TechniciansView)),
    ("POST", "/api/v1/skills", Perm(P::MasterDataManage)),
    ("PUT", "/api/v1/skills/{id}", Perm(P::MasterDataManage)),
    ("GET", "/api/v1/service-areas", Perm(P::TechniciansView)),
    ("POST", "/api/v1/service-areas", Perm(P::MasterDataManage)),
    ("PUT", "/api/v1/service-areas/{id}", Perm(P::MasterDataManage)),
    ("GET", "/api/v1/recipient-groups", Perm(P::NotificationsView)),
    ("POST", "/api/v1/recipient-groups", Perm(P::NotificationsManage)),
    ("DELETE", "/api/v1/recipient-groups/{id}", Perm(P::NotificationsManage)),
    ("GET", "/api/v1/recipient-groups/{id}", Perm(P::NotificationsView)),
    ("PUT", "/api/v1/recipient-groups/{id}", Perm(P::NotificationsManage)),
    ("GET", "/api/v1/registrations", Perm(P::RegistrationsView)),
    ("GET", "/api/v1/registrations/{id}", Perm(P::RegistrationsView)),
    // Each step checks its own permission (verify, approve, reject) once the step is known.
    ("POST", "/api/v1/registrations/{id}/steps", Staff),
    ("GET", "/api/v1/schedules", Perm(P::JobsView)),
    ("PATCH", "/api/v1/schedules/{id}", Perm(P::JobsManage)),
    ("GET", "/api/v1/sla/targets", Perm(P::MasterDataManage)),
    ("PUT", "/api/v1/sla/targets", Perm(P::MasterDataManage)),
    ("GET", "/api/v1/technicians", Perm(P::TechniciansView)),
    ("POST", "/api/v1/technicians", Perm(P::TechniciansEdit)),
    ("DELETE", "/api/v1/technicians/{id}", Perm(P::TechniciansEdit)),
    ("GET", "/api/v1/technicians/{id}", Perm(P::TechniciansView)),
    ("PUT", "/api/v1/technicians/{id}", Perm(P::TechniciansEdit)),
    // Supervisors, or the technician themself.
    ("POST", "/api/v1/technicians/{id}/availability", Signed),
    ("POST", "/api/v1/technicians/{id}/reactivate", Perm(P::TechniciansEdit)),
    // Staff see tickets by permission, technicians their own, customers theirs.
    ("GET", "/api/v1/tickets", Signed),
    ("POST", "/api/v1/tickets", Perm(P::TicketsCreate)),
    ("GET", "/api/v1/tickets/{id}", Signed),
    ("POST", "/api/v1/tickets/{id}/assign", Perm(P::TicketsAssign)),
    ("GET", "/api/v1/tickets/{id}/attachments", Signed),
    ("POST", "/api/v1/tickets/{id}/attachments", Signed),
    ("DELETE", "/api/v1/tickets/{id}/attachments/{attachment_id}", Signed),
    ("GET", "/api/v1/tickets/{id}/attachments/{attachment_id}", Signed),
    ("POST", "/api/v1/tickets/{id}/comments", Signed),
    ("GET", "/api/v1/tickets/{id}/suggestions", Perm(P::TicketsAssign)),
    ("POST", "/api/v1/tickets/{id}/transitions", Signed),
    ("GET", "/api/v1/users", Perm(P::UsersView)),
    ("POST", "/api/v1/users", Perm(P::UsersCreate)),
    // Someone else's account (the test's ids are nobody's): the permission decides.
    ("GET", "/api/v1/users/{id}", Perm(P::UsersView)),
    ("PATCH", "/api/v1/users/{id}", Perm(P::UsersEdit)),
    ("POST", "/api/v1/users/{id}/deactivate", Perm(P::UsersEdit)),
    ("POST", "/api/v1/users/{id}/password", Perm(P::UsersResetPassword)),
    // Only admins clear a second factor or release a locked account.
    ("POST", "/api/v1/users/{id}/2fa/reset", Perm(P::UsersResetPassword)),
    ("POST", "/api/v1/users/{id}/unlock", Perm(P::UsersResetPassword)),
    ("POST", "/api/webhooks/whatsapp/delivery", Webhook),
    ("POST", "/api/webhooks/payments/midtrans", Webhook),
    ("POST", "/api/webhooks/payments/xendit", Webhook),
    ("GET", "/api/webhooks/whatsapp/meta", Webhook),
    ("POST", "/api/webhooks/whatsapp/meta", Webhook),
];

/// Every page and form target. A new `.route(…)` in `crates/server/src` must be added here.
const PAGES: &[(&str, &str, Access)] = &[
    ("GET", "/", Perm(P::DashboardView)),
    ("GET", "/export/{list}", Perm(P::DashboardView)),
    ("GET", "/search", Perm(P::DashboardView)),
    ("GET", "/admin/audit", Perm(P::AuditView)),
    ("GET", "/admin/backups", Perm(P::BackupsManage)),
    ("POST", "/admin/backups", Perm(P::BackupsManage)),
    ("GET", "/admin/backups/progress", Perm(P::BackupsManage)),
    ("GET", "/account/security", Signed),
    ("POST", "/account/security/2fa/disable", Signed),
    ("POST", "/account/security/2fa/enable", Signed),
    ("POST", "/account/security/2fa/recovery-codes", Signed),
    ("POST", "/account/security/2fa/setup", Signed),
    ("POST", "/account/security/logout-all", Signed),
    ("POST", "/account/security/password", Signed),
    ("GET", "/admin/jobs", Perm(P::JobsView)),
    ("GET", "/admin/monitoring", Perm(P::MonitoringView)),
    ("POST", "/admin/monitoring/demo-gateway", Perm(P::MonitoringManage)),
    ("GET", "/admin/monitoring/alerts", Perm(P::MonitoringView)),
    ("POST", "/admin/monitoring/alerts/{id}/acknowledge", Perm(P::MonitoringManage)),
    ("GET", "/admin/monitoring/errors", Perm(P::MonitoringView)),
    ("GET", "/admin/monitoring/errors/{id}", Perm(P::MonitoringView)),
    ("POST", "/admin/monitoring/errors/{id}/transitions", Perm(P::MonitoringManage)),
    ("GET", "/admin/monitoring/live", Perm(P::MonitoringView)),
    ("GET", "/admin/monitoring/rules", Perm(P::MonitoringView)),
    ("POST", "/admin/monitoring/rules/{code}", Perm(P::MonitoringManage)),
    ("POST", "/admin/monitoring/rules/{code}/mute", Perm(P::MonitoringManage)),
    ("POST", "/admin/jobs/schedules/{id}", Perm(P::JobsManage)),
    ("POST", "/admin/jobs/{id}/requeue", Perm(P::JobsManage)),
    ("GET", "/admin/odps", Perm(P::MasterDataManage)),
    ("POST", "/admin/odps", Perm(P::MasterDataManage)),
    ("GET", "/admin/odps/{id}", Perm(P::MasterDataManage)),
    ("POST", "/admin/odps/{id}", Perm(P::MasterDataManage)),
    ("GET", "/admin/packages", Perm(P::MasterDataManage)),
    ("POST", "/admin/packages", Perm(P::MasterDataManage)),
    ("GET", "/admin/packages/{id}", Perm(P::MasterDataManage)),
    ("POST", "/admin/packages/{id}", Perm(P::MasterDataManage)),
    ("POST", "/admin/packages/{id}/delete", Perm(P::MasterDataManage)),
    ("GET", "/admin/ticket-categories", Perm(P::MasterDataManage)),
    ("POST", "/admin/ticket-categories", Perm(P::MasterDataManage)),
    ("POST", "/admin/ticket-categories/{id}", Perm(P::MasterDataManage)),
    ("GET", "/admin/skills", Perm(P::MasterDataManage)),
    ("POST", "/admin/skills", Perm(P::MasterDataManage)),
    ("POST", "/admin/skills/{id}", Perm(P::MasterDataManage)),
    ("GET", "/admin/areas", Perm(P::MasterDataManage)),
    ("POST", "/admin/areas", Perm(P::MasterDataManage)),
    ("POST", "/admin/areas/{id}", Perm(P::MasterDataManage)),
    ("GET", "/admin/sla", Perm(P::MasterDataManage)),
    ("POST", "/admin/sla/holidays", Perm(P::MasterDataManage)),
    ("GET", "/admin/sla/holidays/{date}/delete", Perm(P::MasterDataManage)),
    ("POST", "/admin/sla/holidays/{date}/delete", Perm(P::MasterDataManage)),
    ("POST", "/admin/sla/targets", Perm(P::MasterDataManage)),
    ("GET", "/admin/users", Perm(P::UsersView)),
    ("POST", "/admin/users", Perm(P::UsersCreate)),
    ("GET", "/admin/users/new", Perm(P::UsersCreate)),
    ("GET", "/admin/users/{id}", Perm(P::UsersView)),
    ("POST", "/admin/users/{id}", Perm(P::UsersEdit)),
    ("POST", "/admin/users/{id}/active", Perm(P::UsersEdit)),
    ("POST", "/admin/users/{id}/password", Perm(P::UsersResetPassword)),
    ("GET", "/admin/users/{id}/2fa/reset", Perm(P::UsersResetPassword)),
    ("POST", "/admin/users/{id}/2fa/reset", Perm(P::UsersResetPassword)),
    ("POST", "/admin/users/{id}/unlock", Perm(P::UsersResetPassword)),
    ("GET", "/assets/{*path}", Public),
    ("GET", "/customers", Perm(P::CustomersView)),
    ("POST", "/customers", Perm(P::CustomersCreate)),
    ("GET", "/customers/import", Perm(P::CustomersCreate)),
    ("POST", "/customers/import", Perm(P::CustomersCreate)),
    ("GET", "/customers/new", Perm(P::CustomersCreate)),
    ("GET", "/customers/{id}", Perm(P::CustomersView)),
    ("POST", "/customers/{id}/account", Perm(P::CustomersEdit)),
    ("GET", "/customers/{id}/edit", Perm(P::CustomersEdit)),
    ("POST", "/customers/{id}/edit", Perm(P::CustomersEdit)),
    ("POST", "/customers/{id}/port", Perm(P::CustomersEdit)),
    ("POST", "/customers/{id}/status", Perm(P::CustomersEdit)),
    ("GET", "/escalations", Perm(P::TicketsAssign)),
    ("GET", "/login", Public),
    // Prometheus: open unless AGLIS_MONITORING_TOKEN is set (then the token, not a role, decides).
    ("GET", "/metrics", Public),
    ("POST", "/login", SignIn),
    // The code step of a sign-in: only with the half-signed session of the password step.
    ("GET", "/login/2fa", Public),
    ("POST", "/login/2fa", SignIn),
    ("POST", "/logout", Public),
    ("GET", "/my/tickets", Perm(P::TicketsView)),
    ("GET", "/notifications", Perm(P::NotificationsView)),
    ("POST", "/notifications", Perm(P::NotificationsSend)),
    ("GET", "/notifications/groups", Perm(P::NotificationsView)),
    ("POST", "/notifications/groups", Perm(P::NotificationsManage)),
    ("GET", "/notifications/groups/new", Perm(P::NotificationsManage)),
    ("GET", "/notifications/groups/{id}", Perm(P::NotificationsManage)),
    ("POST", "/notifications/groups/{id}", Perm(P::NotificationsManage)),
    ("POST", "/notifications/groups/{id}/delete", Perm(P::NotificationsManage)),
    ("GET", "/notifications/new", Perm(P::NotificationsSend)),
    ("GET", "/notifications/queue", Perm(P::NotificationsView)),
    ("GET", "/notifications/templates", Perm(P::NotificationsView)),
    ("GET", "/notifications/templates/{id}", Perm(P::NotificationsView)),
    // `action=preview` for every viewer; `action=save` also needs NotificationsManage.
    ("POST", "/notifications/templates/{id}", Perm(P::NotificationsView)),
    ("GET", "/notifications/{id}", Perm(P::NotificationsView)),
    ("POST", "/notifications/{id}/requeue", Perm(P::NotificationsSend)),
    ("GET", "/notifications/broadcasts", Perm(P::NotificationsView)),
    ("POST", "/tickets/bulk", Perm(P::TicketsView)),
    ("POST", "/registrations/bulk", Perm(P::RegistrationsVerify)),
    ("POST", "/customers/bulk", Perm(P::CustomersEdit)),
    ("POST", "/notifications/broadcasts", Perm(P::BroadcastsSend)),
    ("GET", "/notifications/broadcasts/count", Perm(P::BroadcastsSend)),
    ("GET", "/registrations", Perm(P::RegistrationsView)),
    ("GET", "/registrations/{id}", Perm(P::RegistrationsView)),
    ("POST", "/registrations/{id}/steps", Perm(P::RegistrationsView)),
    ("GET", "/signup", Public),
    // A customer's pay link: the key in it is the credential (404 without).
    ("GET", "/pay/{number}", Public),
    ("POST", "/pay/{number}", Public),
    ("GET", "/pay/{number}/pdf", Public),
    ("GET", "/billing/settings", Perm(P::BillingManage)),
    ("POST", "/billing/settings", Perm(P::BillingManage)),
    ("GET", "/billing/settings/logo", Perm(P::BillingManage)),
    ("POST", "/billing/settings/logo", Perm(P::BillingManage)),
    ("GET", "/billing/runs", Perm(P::BillingView)),
    ("GET", "/billing/runs/progress", Perm(P::BillingView)),
    ("POST", "/billing/runs", Perm(P::BillingManage)),
    ("POST", "/customers/{id}/pauses", Perm(P::CustomersEdit)),
    ("GET", "/billing/invoices/new", Perm(P::BillingManage)),
    ("POST", "/billing/invoices/new", Perm(P::BillingManage)),
    ("POST", "/billing/invoices/{id}/credit-notes", Perm(P::BillingManage)),
    ("POST", "/service-pauses/{id}/cancel", Perm(P::CustomersEdit)),
    ("GET", "/billing", Perm(P::BillingView)),
    ("GET", "/billing/invoices", Perm(P::BillingView)),
    ("GET", "/billing/invoices/{id}", Perm(P::BillingView)),
    ("GET", "/billing/aging", Perm(P::BillingView)),
    ("GET", "/billing/gateway-log", Perm(P::BillingView)),
    ("GET", "/billing/payments", Perm(P::BillingView)),
    ("POST", "/billing/payments", Perm(P::PaymentsEnter)),
    ("GET", "/billing/payments/new", Perm(P::PaymentsEnter)),
    ("POST", "/billing/payments/{id}/verify", Perm(P::PaymentsVerify)),
    ("POST", "/billing/payments/{id}/reject", Perm(P::PaymentsVerify)),
    ("GET", "/customers/{id}/statement", Perm(P::BillingView)),
    ("POST", "/signup", Public),
    ("GET", "/signup/confirm", Public),
    ("POST", "/signup/confirm", Public),
    ("GET", "/technicians", Perm(P::TechniciansView)),
    ("POST", "/technicians", Perm(P::TechniciansEdit)),
    ("GET", "/technicians/new", Perm(P::TechniciansEdit)),
    ("GET", "/technicians/{id}", Perm(P::TechniciansView)),
    ("POST", "/technicians/{id}/availability", Perm(P::TechniciansView)),
    ("GET", "/technicians/{id}/deactivate", Perm(P::TechniciansEdit)),
    ("POST", "/technicians/{id}/deactivate", Perm(P::TechniciansEdit)),
    ("GET", "/technicians/{id}/edit", Perm(P::TechniciansEdit)),
    ("POST", "/technicians/{id}/edit", Perm(P::TechniciansEdit)),
    ("POST", "/technicians/{id}/reactivate", Perm(P::TechniciansEdit)),
    ("GET", "/tickets", Perm(P::TicketsView)),
    ("POST", "/tickets", Perm(P::TicketsCreate)),
    ("GET", "/tickets/new", Perm(P::TicketsCreate)),
    ("GET", "/tickets/{id}", Perm(P::TicketsView)),
    ("POST", "/tickets/{id}/assign", Perm(P::TicketsAssign)),
    ("POST", "/tickets/{id}/attachments", Perm(P::TicketsView)),
    ("GET", "/tickets/{id}/attachments/{attachment_id}", Signed),
    ("POST", "/tickets/{id}/attachments/{attachment_id}/delete", Perm(P::TicketsView)),
    ("POST", "/tickets/{id}/comments", Perm(P::TicketsView)),
    ("POST", "/tickets/{id}/step", Perm(P::TicketsView)),
    ("GET", "/track", Public),
    ("POST", "/track", Public),
    ("GET", "/network", Perm(P::NetworkView)),
    ("GET", "/network/devices/new", Perm(P::NetworkManage)),
    ("POST", "/network/devices", Perm(P::NetworkManage)),
    ("GET", "/network/devices/{id}", Perm(P::NetworkManage)),
    ("POST", "/network/devices/{id}", Perm(P::NetworkManage)),
    ("POST", "/network/devices/{id}/delete", Perm(P::NetworkManage)),
    ("POST", "/network/devices/{id}/test", Perm(P::NetworkManage)),
    ("POST", "/customers/{id}/service", Perm(P::ServiceSuspend)),
    ("POST", "/customers/{id}/service/binding", Perm(P::ServiceSuspend)),
    ("GET", "/isolir", Public),
    ("POST", "/isolir", Public),
    ("GET", "/admin/portal", Perm(P::MasterDataManage)),
    ("POST", "/admin/portal", Perm(P::MasterDataManage)),
    ("POST", "/admin/portal/{id}", Perm(P::MasterDataManage)),
    ("POST", "/admin/portal/{id}/delete", Perm(P::MasterDataManage)),
    ("GET", "/portal", Portal),
    ("GET", "/portal/login", Public),
    ("POST", "/portal/login", Public),
    ("POST", "/portal/login/code", SignIn),
    ("POST", "/portal/logout", Portal),
    ("POST", "/portal/logout-all", Portal),
    ("GET", "/portal/bills", Portal),
    ("GET", "/portal/profile", Portal),
    ("POST", "/portal/profile", Portal),
    ("POST", "/portal/profile/email", Portal),
    ("POST", "/portal/profile/phone", Portal),
    ("POST", "/portal/profile/phone/confirm", Portal),
    ("POST", "/portal/profile/messages", Portal),
    ("POST", "/portal/profile/password", Portal),
    ("GET", "/portal/help", Portal),
    ("GET", "/portal/tickets", Portal),
    ("POST", "/portal/tickets", Portal),
    ("GET", "/portal/tickets/new", Portal),
    ("GET", "/portal/tickets/{id}", Portal),
    ("POST", "/portal/tickets/{id}/comment", Portal),
    ("POST", "/portal/tickets/{id}/confirm", Portal),
    ("POST", "/portal/tickets/{id}/reopen", Portal),
    ("POST", "/portal/tickets/{id}/rate", Portal),
    ("GET", "/portal/tickets/{id}/photos/{attachment_id}", Portal),
];

/// A path with its parameters filled by values that name no record (so no call changes anything
/// the next one sees), or a real static file.
fn concrete(path: &str) -> String {
    path.replace("{*path}", "app.js")
        .replace("{date}", "2031-01-02")
        .replace("{id}", "987654")
        .replace("{attachment_id}", "987655")
}

/// Whether `role` (`None`: anonymous) gets past the access check of `access`.
fn allowed(access: Access, role: Option<Role>) -> Option<bool> {
    match (access, role) {
        (Webhook | SignIn, _) => None,
        (Public, _) => Some(true),
        (_, None) => Some(false),
        (Signed, Some(r)) => Some(r.is_staff()),
        (Portal, Some(r)) => Some(r == Role::Customer),
        (Staff, Some(r)) => Some(r.is_staff()),
        (Perm(p), Some(r)) => Some(r.is_staff() && r.can(p)),
        (Both(p, q), Some(r)) => Some(r.is_staff() && r.can(p) && r.can(q)),
    }
}

/// The matrix signs in dozens of times from one address: no per-address login limit here (the
/// limit has its own test).
async fn app_without_login_limit() -> TestApp {
    spawn_app_with(|env| {
        env.insert("AGLIS_LOGIN_ATTEMPTS_PER_IP".into(), "0".into());
    })
    .await
}

fn roles() -> Vec<Option<Role>> {
    std::iter::once(None).chain(Role::ALL.iter().copied().map(Some)).collect()
}

fn username(role: Role) -> String {
    format!("matrix.{}", role.as_str())
}

/// The `(method, path)` pairs of the OpenAPI document.
async fn openapi_routes(app: &TestApp) -> BTreeSet<(String, String)> {
    let doc: Value = app.get("/api/openapi.json", None).await.json().await.expect("openapi json");
    let mut out = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("operations").keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

#[tokio::test]
async fn every_api_route_answers_each_role_as_the_matrix_says() {
    let app = app_without_login_limit().await;
    let documented = openapi_routes(&app).await;
    let listed: BTreeSet<(String, String)> = API.iter().map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned())).collect();
    let missing: Vec<_> = documented.difference(&listed).collect();
    assert!(missing.is_empty(), "routes missing from the access table API: {missing:?}");
    let stale: Vec<_> = listed.difference(&documented).collect();
    assert!(stale.is_empty(), "the access table lists routes that do not exist: {stale:?}");

    let mut tokens = Vec::new();
    for &role in Role::ALL {
        let name = username(role);
        let user = app.insert_user(&name, role).await;
        if role == Role::Customer {
            link_customer(&app, user.id).await;
        }
        tokens.push((role, app.token(&name).await));
    }
    let mut wrong = Vec::new();
    for &(method, path, access) in API {
        let url = app.url(&concrete(path));
        for role in roles() {
            let mut token = role.and_then(|r| tokens.iter().find(|(t, _)| *t == r).map(|(_, tok)| tok.clone()));
            if let Some(r) = role.filter(|_| ends_session(path)) {
                token = Some(app.token(&username(r)).await); // a token of its own to end
            }
            let ended = token.clone().filter(|_| ends_session(path));
            let method = Method::from_bytes(method.as_bytes()).expect("method");
            let mut req = app.api.request(method.clone(), &url);
            if let Some(t) = &token {
                req = req.bearer_auth(t);
            }
            if method != Method::GET && method != Method::DELETE {
                req = req.json(&json!({}));
            }
            let status = req.send().await.expect("request").status();
            let ok = match allowed(access, role) {
                _ if status.is_server_error() => false,
                None if matches!(access, SignIn) => status != StatusCode::FORBIDDEN,
                None => matches!(status.as_u16(), 401 | 403 | 404),
                Some(true) => !matches!(status.as_u16(), 401 | 403),
                Some(false) if role.is_none() => status == StatusCode::UNAUTHORIZED,
                Some(false) => status == StatusCode::FORBIDDEN,
            };
            if !ok {
                wrong.push(format!("{method} {path} as {}: {status} ({access:?})", who(role)));
            }
            if let (Some(r), Some(_)) = (role, ended) {
                // "Log out everywhere" ended the role's main token too.
                let fresh = app.token(&username(r)).await;
                tokens.iter_mut().filter(|(t, _)| *t == r).for_each(|(_, tok)| *tok = fresh.clone());
            }
        }
    }
    assert!(wrong.is_empty(), "{} answers break the matrix:\n{}", wrong.len(), wrong.join("\n"));
}

/// Routes that end the caller's session(s): called with a fresh one, so the next routes still
/// have theirs.
fn ends_session(path: &str) -> bool {
    path.ends_with("/logout") || path.ends_with("logout-all")
}

fn who(role: Option<Role>) -> &'static str {
    role.map_or("anonymous", Role::as_str)
}

/// `(method, path)` of every `.route("…", get(…).post(…))` in the server's source.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source");
                out.extend(route_calls(&text));
            }
        }
    }
    out
}

fn route_calls(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices(".route(") {
        // The path literal, perhaps on the next line.
        let rest = text[at + ".route(".len()..].trim_start();
        let Some(rest) = rest.strip_prefix('"') else { continue };
        let Some(end) = rest.find('"') else { continue };
        let path = &rest[..end];
        // The handlers: up to the parenthesis closing `.route(`.
        let mut depth = 1;
        let body: String = rest[end..]
            .chars()
            .take_while(|c| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth > 0
            })
            .collect();
        for method in ["get", "post", "put", "patch", "delete"] {
            let needle = format!("{method}(");
            if body
                .match_indices(&needle)
                .any(|(i, _)| i == 0 || !body[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
            {
                out.push((method.to_uppercase(), path.to_owned()));
            }
        }
    }
    out
}

#[test]
fn the_route_scanner_reads_chained_handlers() {
    let found = route_calls(
        r#"Router::new().route("/a/{id}", get(show).post(crate::x::save)).route(
            "/b",
            post(go),
        )"#,
    );
    assert_eq!(
        found,
        vec![("GET".into(), "/a/{id}".into()), ("POST".into(), "/a/{id}".into()), ("POST".into(), "/b".into())]
    );
}

/// A signed-in browser of a new user of `role`, and its CSRF token.
async fn browser_of(app: &TestApp, role: Role) -> (reqwest::Client, String) {
    let user = app.insert_user(&username(role), role).await;
    if role == Role::Customer {
        link_customer(app, user.id).await;
    }
    fresh_browser(app, role).await
}

/// The matrix's customer account belongs to a customer, as every portal account does.
async fn link_customer(app: &TestApp, user_id: i64) {
    let package = crate::billing::silver(app).await;
    let c = crate::billing::customer(
        app,
        7_777,
        package,
        aglis_core::customer::CustomerStatus::Active,
        crate::helpers::ClockExt::now_utc(&app.clock),
    )
    .await;
    aglis_db::repo::customers::set_user(&app.state.db, c, Some(user_id)).await.expect("link");
}

/// Another signed-in browser of `role`'s user.
async fn fresh_browser(app: &TestApp, role: Role) -> (reqwest::Client, String) {
    let name = username(role);
    let browser = app.browser_login(&name).await;
    let user = aglis_db::repo::users::find_credentials(&app.state.db, &name).await.expect("db").expect("user").0;
    let session = {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        aglis_db::entity::sessions::Entity::find()
            .filter(aglis_db::entity::sessions::Column::UserId.eq(user.id))
            .filter(aglis_db::entity::sessions::Column::Kind.eq("web"))
            .order_by_desc(aglis_db::entity::sessions::Column::Id)
            .one(&app.state.db)
            .await
            .expect("db")
            .expect("web session")
    };
    (browser, session.csrf_token)
}

#[tokio::test]
async fn every_page_answers_each_role_as_the_matrix_says() {
    let app = app_without_login_limit().await;
    let in_source: BTreeSet<(String, String)> =
        routes_in_source().into_iter().filter(|(_, p)| !p.starts_with("/api/")).collect();
    let listed: BTreeSet<(String, String)> = PAGES.iter().map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned())).collect();
    let missing: Vec<_> = in_source.difference(&listed).collect();
    assert!(missing.is_empty(), "pages missing from the access table PAGES: {missing:?}");
    let stale: Vec<_> = listed.difference(&in_source).collect();
    assert!(stale.is_empty(), "the access table lists pages that do not exist: {stale:?}");

    // Anonymous forms carry the token of their nonce cookie, minted by any page.
    let anonymous = app.browser();
    let login = anonymous.get(app.url("/login")).send().await.expect("login page").text().await.expect("html");
    let mut callers = vec![(None, anonymous, csrf_token(&login))];
    for &role in Role::ALL {
        let (browser, token) = browser_of(&app, role).await;
        callers.push((Some(role), browser, token));
    }
    let mut wrong = Vec::new();
    for &(method, path, access) in PAGES {
        let url = app.url(&concrete(path));
        for caller in &mut callers {
            let (role, browser, csrf) = &*caller;
            let role = *role;
            let method = Method::from_bytes(method.as_bytes()).expect("method");
            let fresh = match role {
                Some(r) if ends_session(path) => Some(fresh_browser(&app, r).await),
                _ => None,
            };
            let (browser, csrf) = fresh.as_ref().map_or((browser, csrf), |(b, c)| (b, c));
            let mut req = browser.request(method.clone(), &url);
            if method != Method::GET {
                req = req.header("x-csrf-token", csrf).form(&[("csrf_token", csrf.as_str())]);
            }
            let res = req.send().await.expect("request");
            let status = res.status();
            let to_login = status.is_redirection()
                && res
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .is_some_and(|l| l.starts_with("/login") || l.starts_with("/portal/login"));
            // A signed-in caller allowed in is not sent to sign in again, unless the route signs out
            // or belongs to signing in.
            let bounced = to_login && role.is_some() && !ends_session(path) && !matches!(access, Public);
            // A customer's home is the portal: the staff dashboard sends them there.
            let to_portal = path == "/"
                && role == Some(Role::Customer)
                && res.headers().get("location").is_some_and(|l| l == "/portal");
            let ok = match allowed(access, role) {
                _ if status.is_server_error() => false,
                None if matches!(access, SignIn) => status != StatusCode::FORBIDDEN,
                None => matches!(status.as_u16(), 401 | 403 | 404),
                Some(true) => !matches!(status.as_u16(), 401 | 403) && !bounced,
                Some(false) if role.is_none() => to_login || status == StatusCode::UNAUTHORIZED,
                Some(false) => status == StatusCode::FORBIDDEN || to_portal,
            };
            if !ok {
                wrong.push(format!("{method} {path} as {}: {status} ({access:?})", who(role)));
            }
            if let Some(r) = role.filter(|_| ends_session(path)) {
                // "Log out everywhere" ended the role's main session too.
                let (b, c) = fresh_browser(&app, r).await;
                *caller = (Some(r), b, c);
            }
        }
    }
    assert!(wrong.is_empty(), "{} answers break the matrix:\n{}", wrong.len(), wrong.join("\n"));
}

async fn json_of(res: reqwest::Response) -> Value {
    res.json().await.expect("json")
}

async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> i64 {
    let res = app.post_json(path, Some(token), &body).await;
    assert!(res.status().is_success(), "{path}: {}", res.status());
    json_of(res).await["id"].as_i64().expect("id")
}

/// Two customers with portal accounts and two technicians with a ticket each: no one reaches
/// the other's records by changing an id, on any route that takes one.
#[tokio::test]
async fn no_customer_or_technician_reads_anothers_records_by_changing_an_id() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi.admin", Role::Admin).await;
    let pkg = created(
        &app,
        &admin,
        "/api/v1/packages",
        json!({"name": "Home Silver 50M", "speed_mbps": 50, "monthly_price": 199_900, "installation_fee": 0}),
    )
    .await;
    let mut customers = Vec::new();
    for (name, phone, login) in
        [("Rina Marlina", "0813-1000-0021", "rina.portal"), ("Yuliana Putri", "0813-1000-0022", "yuli.portal")]
    {
        let id = created(
            &app,
            &admin,
            "/api/v1/customers",
            json!({"name": name, "phone": phone, "address": "Perum Galuh Mas Blok C 7, Karawang", "package_id": pkg}),
        )
        .await;
        let res = app
            .post_json(
                &format!("/api/v1/customers/{id}/account"),
                Some(&admin),
                &json!({"username": login, "password": PASSWORD}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        customers.push((id, app.token(login).await));
    }
    let mut techs = Vec::new();
    for (login, name, phone) in
        [("agus.tek", "Agus Setiawan", "0812-7777-2001"), ("budi.tek", "Budi Hartono", "0812-7777-2002")]
    {
        let (user, token) = app.user_with_token(login, Role::Technician).await;
        let id = created(
            &app,
            &admin,
            "/api/v1/technicians",
            json!({"full_name": name, "phone": phone, "user_id": user.id, "work_zone": "Karawang Barat",
                "max_daily_tickets": 4, "skills": {"ftth_basic_install": 4}}),
        )
        .await;
        techs.push((id, user.id, token));
    }
    let mut tickets = Vec::new();
    for (i, (customer, _)) in customers.iter().enumerate() {
        let id = created(
            &app,
            &admin,
            "/api/v1/tickets",
            json!({"customer_id": customer, "type": "repair", "priority": "high", "description": "Internet putus, LOS merah"}),
        )
        .await;
        let res = app
            .post_json(&format!("/api/v1/tickets/{id}/assign"), Some(&admin), &json!({"technician_id": techs[i].0}))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let res =
            upload_file(&app, &admin, id, "before", "foto.png", "image/png", crate::helpers::TINY_PNG.to_vec()).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let attachment = json_of(res).await["id"].as_i64().expect("attachment id");
        tickets.push((id, attachment));
    }

    // Each reads their own...
    for (i, (customer, token)) in customers.iter().enumerate() {
        assert_eq!(json_of(app.get("/api/v1/portal/me", Some(token)).await).await["id"], *customer);
        let own = app.get(&format!("/api/v1/portal/tickets/{}", tickets[i].0), Some(token)).await;
        assert_eq!(own.status(), StatusCode::OK);
    }
    for (i, (_, _, token)) in techs.iter().enumerate() {
        assert_eq!(app.get(&format!("/api/v1/tickets/{}", tickets[i].0), Some(token)).await.status(), StatusCode::OK);
    }
    // ...and nothing of the other's, on every route that names a record.
    let others: Vec<(String, i64, i64, i64, i64)> = [0usize, 1]
        .iter()
        .flat_map(|&me| {
            let other = 1 - me;
            [
                (customers[me].1.clone(), customers[other].0, tickets[other].0, tickets[other].1, techs[other].1),
                (techs[me].2.clone(), customers[other].0, tickets[other].0, tickets[other].1, techs[other].1),
            ]
        })
        .collect();
    for (token, customer, ticket, attachment, user) in others {
        // Technicians may look customers up (the matrix grants it); customers see only their own.
        let is_customer = customers.iter().any(|(_, t)| *t == token);
        let mut reads = vec![
            if is_customer { format!("/api/v1/customers/{customer}") } else { format!("/api/v1/users/{user}") },
            format!("/api/v1/tickets/{ticket}"),
            format!("/api/v1/tickets/{ticket}/attachments"),
            format!("/api/v1/tickets/{ticket}/attachments/{attachment}"),
            format!("/api/v1/users/{user}"),
        ];
        if is_customer {
            // The portal's own routes: another customer's ticket is simply not there.
            for path in [
                format!("/api/v1/portal/tickets/{ticket}"),
                format!("/api/v1/portal/tickets/{ticket}/attachments/{attachment}"),
            ] {
                assert_eq!(app.get(&path, Some(&token)).await.status(), StatusCode::NOT_FOUND, "GET {path}");
            }
            for (path, body) in [
                (format!("/api/v1/portal/tickets/{ticket}/comments"), json!({"body": "Coba lihat"})),
                (format!("/api/v1/portal/tickets/{ticket}/confirm"), json!({})),
                (format!("/api/v1/portal/tickets/{ticket}/reopen"), json!({"reason": "masih mati"})),
                (format!("/api/v1/portal/tickets/{ticket}/rating"), json!({"stars": 5})),
            ] {
                let status = app.post_json(&path, Some(&token), &body).await.status();
                assert_eq!(status, StatusCode::NOT_FOUND, "POST {path}");
            }
            reads.push(format!("/api/v1/customers/{customer}/statement"));
        }
        for path in reads {
            let status = app.get(&path, Some(&token)).await.status();
            assert!(matches!(status.as_u16(), 403 | 404), "GET {path} gave {status}");
        }
        let writes = [
            (format!("/api/v1/tickets/{ticket}/comments"), json!({"body": "Coba lihat"})),
            (format!("/api/v1/tickets/{ticket}/transitions"), json!({"to": "on_the_way"})),
        ];
        for (path, body) in writes {
            let status = app.post_json(&path, Some(&token), &body).await.status();
            assert!(matches!(status.as_u16(), 403 | 404), "POST {path} gave {status}");
        }
        let status = app
            .api
            .delete(app.url(&format!("/api/v1/tickets/{ticket}/attachments/{attachment}")))
            .bearer_auth(&token)
            .send()
            .await
            .expect("delete")
            .status();
        assert!(matches!(status.as_u16(), 403 | 404), "DELETE attachment gave {status}");
        // Lists hold only one's own.
        let list_path = if is_customer { "/api/v1/portal/tickets" } else { "/api/v1/tickets" };
        let list = json_of(app.get(list_path, Some(&token)).await).await;
        let ids: Vec<i64> = list["items"].as_array().expect("items").iter().filter_map(|t| t["id"].as_i64()).collect();
        assert!(!ids.contains(&ticket), "the list shows another's ticket {ticket}: {ids:?}");
        assert_eq!(ids.len(), 1, "{ids:?}");
    }
    // A technician cannot change another technician's availability.
    let status = app
        .post_json(
            &format!("/api/v1/technicians/{}/availability", techs[1].0),
            Some(&techs[0].2),
            &json!({"availability": "off"}),
        )
        .await
        .status();
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token("andi.admin", Role::Admin).await;
    let responses = [
        app.get("/login", None).await,
        app.get("/api/v1/me", Some(&admin)).await,
        app.get("/api/v1/me", None).await,
        app.get("/tidak-ada", None).await,
        app.get("/assets/app.js", None).await,
    ];
    for res in responses {
        let h = res.headers();
        let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let script_src = csp.split(';').map(str::trim).find(|d| d.starts_with("script-src")).unwrap_or_default();
        assert_eq!(script_src, "script-src 'self'", "{} {csp}", res.url());
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(h.get("x-content-type-options").map(|v| v.as_bytes()), Some(&b"nosniff"[..]));
        assert_eq!(h.get("x-frame-options").map(|v| v.as_bytes()), Some(&b"DENY"[..]));
        assert_eq!(h.get("referrer-policy").map(|v| v.as_bytes()), Some(&b"same-origin"[..]));
        assert!(h.get("strict-transport-security").is_none(), "no HSTS over plain http");
    }
    // Pages put no script inline: every <script> has a src.
    let login = app.get("/login", None).await.text().await.expect("html");
    assert!(login.matches("<script").count() == login.matches("<script src=\"/assets/").count(), "{login}");

    let https = spawn_app_with(|env| {
        env.insert("AGLIS_BASE_URL".into(), "https://noc.aglis.example".into());
    })
    .await;
    let res = https.get("/login", None).await;
    assert!(
        res.headers().get("strict-transport-security").is_some_and(|v| v.as_bytes().starts_with(b"max-age=31536000")),
        "HSTS when served over https"
    );
}

/// The text between `start` and the next `end` in `html`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).map(|i| i + start.len()).unwrap_or_else(|| panic!("{start} in the page"));
    html[from..].split(end).next().unwrap_or_default()
}

/// The real server at debug level: a failed and a good API login, a form login, a 2FA enrolment
/// and a sign-in with its code, a WhatsApp
/// message sent through a (fake) Fonnte with its device token, and a delivery callback carrying
/// its URL secret. Not one of those secrets may appear in what the process logged.
#[tokio::test]
async fn no_secret_appears_in_the_logs_of_logins_and_a_message_round() {
    use aglis_integrations::whatsapp::fonnte::fake::FakeFonnte;
    use std::process::{Command, Stdio};

    const ADMIN_PASSWORD: &str = "Sandi-Kepala-Rahasia-7Q2";
    const WRONG_PASSWORD: &str = "Salah-Tebak-Sandi-91X";
    const FONNTE_TOKEN: &str = "fonnte-device-token-sangat-rahasia-55";
    const WEBHOOK_TOKEN: &str = "callback-token-rahasia-8c1d4e";
    const SECRET_KEY: &str = "kunci-rahasia-aplikasi-yang-panjang-0123456789";

    let db_url = crate::helpers::fresh_database_url().await;
    let fonnte = FakeFonnte::start(FONNTE_TOKEN).await.expect("fake fonnte");
    let data_dir = std::env::temp_dir().join(format!("aglis-logs-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir).expect("data dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let base = format!("http://127.0.0.1:{port}");
    let command = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_aglis"));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("AGLIS_") {
                cmd.env_remove(key);
            }
        }
        cmd.args(args)
            .current_dir(&data_dir)
            .env("AGLIS_DATA_DIR", &data_dir)
            .env("AGLIS_DATABASE_URL", &db_url)
            .env("AGLIS_BIND", format!("127.0.0.1:{port}"))
            .env("AGLIS_SECRET_KEY", SECRET_KEY)
            .env("AGLIS_LOG", "debug")
            .env("AGLIS_REQUIRE_2FA", "false")
            .env("AGLIS_FONNTE_TOKEN", FONNTE_TOKEN)
            .env("AGLIS_FONNTE_URL", &fonnte.url)
            .env("AGLIS_FONNTE_WEBHOOK_TOKEN", WEBHOOK_TOKEN)
            .env("AGLIS_WORKER_POLL_MS", "50");
        cmd
    };
    let mut create = command(&["user", "create-admin", "--username", "kepala"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("create-admin");
    std::io::Write::write_all(&mut create.stdin.take().expect("stdin"), format!("{ADMIN_PASSWORD}\n").as_bytes())
        .expect("password");
    let out = create.wait_with_output().expect("create-admin output");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut logged = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);

    let log_path = data_dir.join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut server = command(&["serve"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log handle"))
        .stderr(log)
        .spawn()
        .expect("serve");
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while http.get(format!("{base}/api/health")).send().await.is_err() {
        assert!(std::time::Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let login = |password: &str| {
        http.post(format!("{base}/api/v1/auth/login")).json(&json!({"username": "kepala", "password": password})).send()
    };
    assert_eq!(login(WRONG_PASSWORD).await.expect("login").status(), StatusCode::UNAUTHORIZED);
    let res = login(ADMIN_PASSWORD).await.expect("login");
    assert_eq!(res.status(), StatusCode::OK);
    let bearer = json_of(res).await["token"].as_str().expect("token").to_owned();
    let page = http.get(format!("{base}/login")).send().await.expect("page").text().await.expect("html");
    let res = http
        .post(format!("{base}/login"))
        .form(&[
            ("username", "kepala"),
            ("password", ADMIN_PASSWORD),
            ("csrf_token", &csrf_token(&page)),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("form login");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("aglis_session="))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_owned();
    // Enrol a second factor in the web UI, then sign in through the API with a code.
    let page = http.get(format!("{base}/account/security")).send().await.expect("page").text().await.expect("html");
    let res = http
        .post(format!("{base}/account/security/2fa/setup"))
        .form(&[("csrf_token", csrf_token(&page))])
        .send()
        .await
        .expect("setup");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = http.get(format!("{base}/account/security")).send().await.expect("page").text().await.expect("html");
    let seed: String = between(&page, "<code class=\"totp-secret\">", "</code>").split_whitespace().collect();
    let key = aglis_core::totp::base32_decode(&seed).expect("base32 seed");
    let step = aglis_core::totp::step_at(chrono::Utc::now().timestamp());
    let code = aglis_core::totp::code_for_step(&key, step, 6);
    let res = http
        .post(format!("{base}/account/security/2fa/enable"))
        .form(&[("csrf_token", csrf_token(&page)), ("code", code)])
        .send()
        .await
        .expect("enable");
    assert_eq!(res.status(), StatusCode::OK);
    let codes_page = res.text().await.expect("html");
    let recovery = between(&codes_page, "<li><code>", "</code>").to_owned();
    // Without the browser's cookie: an API call that carries one must also carry its CSRF token.
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "kepala", "password": ADMIN_PASSWORD,
            "totp": aglis_core::totp::code_for_step(&key, step + 1, 6)}))
        .send()
        .await
        .expect("login with a code");
    assert_eq!(res.status(), StatusCode::OK, "a TOTP sign-in");
    let second_bearer = json_of(res).await["token"].as_str().expect("token").to_owned();

    let res = http
        .post(format!("{base}/api/v1/notifications"))
        .bearer_auth(&bearer)
        .json(&json!({"channel": "whatsapp", "to": "0812-3456-7890", "body": "Gangguan di Telukjambe sudah pulih."}))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    while fonnte.received().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the message never reached the provider");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let res = http
        .post(format!("{base}/api/webhooks/whatsapp/delivery?token={WEBHOOK_TOKEN}"))
        .form(&[("id", "80367170"), ("stateid", "x"), ("status", "sent")])
        .send()
        .await
        .expect("callback");
    assert!(!res.status().is_server_error());
    let _ = server.kill();
    let _ = server.wait();

    logged += &std::fs::read_to_string(&log_path).expect("server log");
    assert!(logged.contains("AGLIS listening"), "the log was captured: {logged}");
    for (what, secret) in [
        ("the password", ADMIN_PASSWORD),
        ("a mistyped password", WRONG_PASSWORD),
        ("the bearer token", bearer.as_str()),
        ("the session cookie", cookie.as_str()),
        ("the Fonnte device token", FONNTE_TOKEN),
        ("the callback token", WEBHOOK_TOKEN),
        ("the secret key", SECRET_KEY),
        ("the TOTP seed", seed.as_str()),
        ("a recovery code", recovery.as_str()),
        ("the token of the TOTP sign-in", second_bearer.as_str()),
    ] {
        assert!(!logged.contains(secret), "{what} appears in the logs");
    }
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// API-token look-ups are held per instance for two seconds: a session ended by another instance
/// (here: deleted straight from the database) stops working within that, and one ended on this
/// instance at once.
#[tokio::test]
async fn a_token_revoked_elsewhere_stops_working_within_two_seconds() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = spawn_app().await;
    let (user, token) = app.user_with_token("rina.cs", Role::CustomerService).await;
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), StatusCode::OK);
    aglis_db::entity::sessions::Entity::delete_many()
        .filter(aglis_db::entity::sessions::Column::UserId.eq(user.id))
        .exec(&app.state.db)
        .await
        .expect("delete sessions");
    tokio::time::sleep(aglis_server::auth::session_cache::TTL + std::time::Duration::from_millis(200)).await;
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), StatusCode::UNAUTHORIZED);

    let token = app.token("rina.cs").await;
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), StatusCode::OK);
    let res = app.post_json("/api/v1/auth/logout", Some(&token), &json!({})).await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), StatusCode::UNAUTHORIZED, "at once here");
}
