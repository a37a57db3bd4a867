//! Roles, permissions and the role × permission matrix (spec/domain.md §1).
//!
//! The matrix is data: [`grants`] lists, per role, the permissions it holds. `admin` holds every
//! permission. Customers hold none of the staff permissions; the portal checks ownership instead.

crate::str_enum! {
    "role",
    /// A user's role. Stored as its short text form ([`Role::as_str`]).
    pub enum Role {
        Admin = "admin",
        Supervisor = "supervisor",
        Manager = "manager",
        Noc = "noc",
        CustomerService = "customer_service",
        Technician = "technician",
        Customer = "customer",
    }
}

impl Role {
    /// The six staff roles (everyone but the customer).
    pub const STAFF: [Role; 6] =
        [Role::Admin, Role::Supervisor, Role::Manager, Role::Noc, Role::CustomerService, Role::Technician];

    pub fn is_staff(self) -> bool {
        self != Role::Customer
    }

    /// Whether this role holds `permission` according to the matrix.
    pub fn can(self, permission: Permission) -> bool {
        self == Role::Admin || grants(self).contains(&permission)
    }
}

crate::str_enum! {
    "permission",
    /// A permission, named `<resource>.<action>` in its text form.
    pub enum Permission {
        DashboardView = "dashboard.view",
        AnalyticsView = "analytics.view",
        TicketsView = "tickets.view",
        TicketsCreate = "tickets.create",
        TicketsEdit = "tickets.edit",
        TicketsDelete = "tickets.delete",
        TicketsAssign = "tickets.assign",
        TicketsClose = "tickets.close",
        CustomersView = "customers.view",
        CustomersCreate = "customers.create",
        CustomersEdit = "customers.edit",
        CustomersDelete = "customers.delete",
        CustomersExport = "customers.export",
        RegistrationsView = "registrations.view",
        RegistrationsVerify = "registrations.verify",
        RegistrationsApprove = "registrations.approve",
        RegistrationsReject = "registrations.reject",
        RegistrationsDelete = "registrations.delete",
        RegistrationsExport = "registrations.export",
        TechniciansView = "technicians.view",
        TechniciansEdit = "technicians.edit",
        TechniciansSchedule = "technicians.schedule",
        InventoryView = "inventory.view",
        InventoryCreate = "inventory.create",
        InventoryEdit = "inventory.edit",
        InventoryDelete = "inventory.delete",
        InventoryTransactions = "inventory.transactions",
        UsersView = "users.view",
        UsersCreate = "users.create",
        UsersEdit = "users.edit",
        UsersDelete = "users.delete",
        UsersResetPassword = "users.reset_password",
        PermissionsView = "permissions.view",
        PermissionsManage = "permissions.manage",
        ReportsView = "reports.view",
        ReportsExport = "reports.export",
        /// Referenced but missing from the original catalogue (spec §1.2); admin-only there.
        NotificationsManage = "notifications.manage",
        /// See sent messages and their delivery.
        NotificationsView = "notifications.view",
        /// Send a message by hand to a number, an address or a group.
        NotificationsSend = "notifications.send",
        /// Send an outage or maintenance notice to every customer of an ODP, an area or a package
        /// (admin, supervisor, NOC, customer service: spec §1.3's maintenance notice plus the desk
        /// that answers the customers' calls).
        BroadcastsSend = "broadcasts.send",
        /// The background job queue: see jobs by state.
        JobsView = "jobs.view",
        /// Re-queue dead jobs.
        JobsManage = "jobs.manage",
        /// Packages and ODPs (master data: admin and supervisor in spec §1.4's menu).
        MasterDataManage = "master_data.manage",
        /// The security audit log (admin only).
        AuditView = "audit.view",
        /// Backups: see the sets, their verification, and ask for one now (admin only).
        BackupsManage = "backups.manage",
        /// The monitoring page: health, alerts, charts, the error inbox (admin, supervisor, NOC).
        MonitoringView = "monitoring.view",
        /// Acknowledge alerts, resolve or ignore errors, edit and mute alert rules (admin, NOC).
        MonitoringManage = "monitoring.manage",
        /// Invoices, payments and a customer's statement (admin, supervisor, manager, customer service).
        BillingView = "billing.view",
        /// The monthly billing run (admin, manager).
        BillingManage = "billing.manage",
        /// Record money received by hand: cash, bank transfer, QRIS (admin, supervisor, manager, customer service).
        PaymentsEnter = "payments.enter",
        /// Verify or reject a recorded payment; only then it counts (admin, manager: the finance step).
        PaymentsVerify = "payments.verify",
        /// See network devices, each customer's service state and the enforcement log (staff
        /// but technicians).
        NetworkView = "network.view",
        /// Add and change network devices, their credentials and dry-run (admin, NOC).
        NetworkManage = "network.manage",
        /// Suspend or restore a customer's service by hand, with a reason, and bind it to a
        /// device (admin, supervisor, manager, NOC).
        ServiceSuspend = "service.suspend",
    }
}

/// The default grants of each role (spec/domain.md §1.2). `admin` is listed in full for display, and
/// [`Role::can`] also lets it pass unconditionally.
pub fn grants(role: Role) -> &'static [Permission] {
    use Permission::*;
    match role {
        Role::Admin => Permission::ALL,
        Role::Supervisor => &[
            MasterDataManage,
            DashboardView,
            AnalyticsView,
            TicketsView,
            TicketsCreate,
            TicketsEdit,
            TicketsDelete,
            TicketsAssign,
            TicketsClose,
            CustomersView,
            CustomersCreate,
            CustomersEdit,
            CustomersDelete,
            CustomersExport,
            RegistrationsView,
            RegistrationsVerify,
            RegistrationsApprove,
            RegistrationsReject,
            RegistrationsDelete,
            RegistrationsExport,
            TechniciansView,
            TechniciansEdit,
            TechniciansSchedule,
            InventoryView,
            InventoryCreate,
            InventoryEdit,
            InventoryDelete,
            InventoryTransactions,
            UsersView,
            UsersEdit,
            ReportsView,
            ReportsExport,
            NotificationsView,
            NotificationsSend,
            BroadcastsSend,
            JobsView,
            MonitoringView,
            BillingView,
            PaymentsEnter,
            NetworkView,
            ServiceSuspend,
        ],
        Role::Manager => &[
            DashboardView,
            AnalyticsView,
            TicketsView,
            TicketsCreate,
            TicketsEdit,
            TicketsAssign,
            TicketsClose,
            CustomersView,
            CustomersCreate,
            CustomersEdit,
            CustomersExport,
            RegistrationsView,
            RegistrationsVerify,
            RegistrationsApprove,
            RegistrationsReject,
            RegistrationsExport,
            TechniciansView,
            InventoryView,
            NotificationsView,
            NotificationsSend,
            BillingView,
            BillingManage,
            PaymentsEnter,
            PaymentsVerify,
            NetworkView,
            ServiceSuspend,
        ],
        Role::Noc => &[
            DashboardView,
            AnalyticsView,
            TicketsView,
            TicketsCreate,
            TicketsEdit,
            TicketsAssign,
            CustomersView,
            CustomersEdit,
            RegistrationsView,
            TechniciansView,
            TechniciansEdit,
            InventoryView,
            InventoryCreate,
            InventoryEdit,
            NotificationsView,
            NotificationsSend,
            BroadcastsSend,
            MonitoringView,
            MonitoringManage,
            NetworkView,
            NetworkManage,
            ServiceSuspend,
        ],
        Role::CustomerService => &[
            DashboardView,
            TicketsView,
            TicketsCreate,
            TicketsEdit,
            CustomersView,
            CustomersCreate,
            CustomersEdit,
            RegistrationsView,
            RegistrationsVerify,
            RegistrationsApprove,
            RegistrationsReject,
            TechniciansView,
            NotificationsView,
            NotificationsSend,
            BroadcastsSend,
            BillingView,
            PaymentsEnter,
            NetworkView,
        ],
        Role::Technician => {
            &[DashboardView, TicketsView, TicketsEdit, TicketsClose, CustomersView, TechniciansView, InventoryView]
        }
        Role::Customer => &[],
    }
}

/// Which roles may change another user's role or active flag (spec §1.3: only admin).
pub fn may_change_role_or_active(actor: Role) -> bool {
    actor == Role::Admin
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn role_text_round_trips_and_rejects_unknown() {
        for &role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
        assert!("Admin".parse::<Role>().is_err(), "roles are case-sensitive");
    }

    #[test]
    fn permission_names_are_unique_and_resource_dot_action() {
        let names: HashSet<_> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(names.len(), Permission::ALL.len());
        for name in names {
            let (resource, action) = name.split_once('.').expect("resource.action");
            assert!(!resource.is_empty() && !action.is_empty(), "{name}");
        }
    }

    #[test]
    fn admin_holds_everything_customer_nothing() {
        for &p in Permission::ALL {
            assert!(Role::Admin.can(p), "admin lacks {p}");
            assert!(!Role::Customer.can(p), "customer holds {p}");
        }
    }

    #[test]
    fn grants_have_no_duplicates() {
        for &role in Role::ALL {
            let set: HashSet<_> = grants(role).iter().collect();
            assert_eq!(set.len(), grants(role).len(), "{role} lists a grant twice");
        }
    }

    /// The matrix of spec/domain.md §1.2, row by row, as the spec writes it.
    #[test]
    fn matrix_matches_the_spec_table() {
        use Permission::*;
        // columns: admin, supervisor, manager, noc, customer_service, technician
        let table: &[(Permission, [bool; 6])] = &[
            (DashboardView, [true, true, true, true, true, true]),
            (AnalyticsView, [true, true, true, true, false, false]),
            (TicketsView, [true, true, true, true, true, true]),
            (TicketsCreate, [true, true, true, true, true, false]),
            (TicketsEdit, [true, true, true, true, true, true]),
            (TicketsDelete, [true, true, false, false, false, false]),
            (TicketsAssign, [true, true, true, true, false, false]),
            (TicketsClose, [true, true, true, false, false, true]),
            (CustomersView, [true, true, true, true, true, true]),
            (CustomersCreate, [true, true, true, false, true, false]),
            (CustomersEdit, [true, true, true, true, true, false]),
            (CustomersDelete, [true, true, false, false, false, false]),
            (CustomersExport, [true, true, true, false, false, false]),
            (RegistrationsView, [true, true, true, true, true, false]),
            (RegistrationsVerify, [true, true, true, false, true, false]),
            (RegistrationsApprove, [true, true, true, false, true, false]),
            (RegistrationsReject, [true, true, true, false, true, false]),
            (RegistrationsDelete, [true, true, false, false, false, false]),
            (RegistrationsExport, [true, true, true, false, false, false]),
            (TechniciansView, [true, true, true, true, true, true]),
            (TechniciansEdit, [true, true, false, true, false, false]),
            (TechniciansSchedule, [true, true, false, false, false, false]),
            (InventoryView, [true, true, true, true, false, true]),
            (InventoryCreate, [true, true, false, true, false, false]),
            (InventoryEdit, [true, true, false, true, false, false]),
            (InventoryDelete, [true, true, false, false, false, false]),
            (InventoryTransactions, [true, true, false, false, false, false]),
            (UsersView, [true, true, false, false, false, false]),
            (UsersCreate, [true, false, false, false, false, false]),
            (UsersEdit, [true, true, false, false, false, false]),
            (UsersDelete, [true, false, false, false, false, false]),
            (UsersResetPassword, [true, false, false, false, false, false]),
            (PermissionsView, [true, false, false, false, false, false]),
            (PermissionsManage, [true, false, false, false, false, false]),
            (ReportsView, [true, true, false, false, false, false]),
            (ReportsExport, [true, true, false, false, false, false]),
            (NotificationsManage, [true, false, false, false, false, false]),
            (NotificationsView, [true, true, true, true, true, false]),
            (NotificationsSend, [true, true, true, true, true, false]),
            (BroadcastsSend, [true, true, false, true, true, false]),
            (JobsView, [true, true, false, false, false, false]),
            (JobsManage, [true, false, false, false, false, false]),
            (MasterDataManage, [true, true, false, false, false, false]),
            (AuditView, [true, false, false, false, false, false]),
            (BackupsManage, [true, false, false, false, false, false]),
            (MonitoringView, [true, true, false, true, false, false]),
            (MonitoringManage, [true, false, false, true, false, false]),
            (BillingView, [true, true, true, false, true, false]),
            (BillingManage, [true, false, true, false, false, false]),
            (PaymentsEnter, [true, true, true, false, true, false]),
            (PaymentsVerify, [true, false, true, false, false, false]),
            (NetworkView, [true, true, true, true, true, false]),
            (NetworkManage, [true, false, false, true, false, false]),
            (ServiceSuspend, [true, true, true, true, false, false]),
        ];
        assert_eq!(table.len(), Permission::ALL.len(), "every permission has a row");
        for (perm, row) in table {
            for (role, expected) in Role::STAFF.iter().zip(row) {
                assert_eq!(role.can(*perm), *expected, "{role} × {perm}");
            }
        }
    }

    #[test]
    fn only_admin_changes_role_or_active() {
        for &role in Role::ALL {
            assert_eq!(may_change_role_or_active(role), role == Role::Admin);
        }
    }
}
