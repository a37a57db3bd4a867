//! Live updates (issue 22): what the open pages hear about, and who may hear it. An event names
//! only ids and the little a list shows (a ticket's number and status); the page reads the rest
//! through the routes that check the reader's rights.

use crate::permission::{Permission, Role};

crate::str_enum! { "live event",
    pub enum LiveKind {
        TicketCreated = "ticket.created",
        TicketChanged = "ticket.changed",
        TicketAssigned = "ticket.assigned",
        RegistrationStep = "registration.step",
        MessageFailed = "message.failed",
        AlertFired = "alert.fired",
        AlertResolved = "alert.resolved",
        QueueDepth = "queue.depth",
    }
}

impl LiveKind {
    /// The permission a reader needs to hear it.
    pub fn permission(self) -> Permission {
        match self {
            LiveKind::TicketCreated | LiveKind::TicketChanged | LiveKind::TicketAssigned => Permission::TicketsView,
            LiveKind::RegistrationStep => Permission::RegistrationsView,
            LiveKind::MessageFailed => Permission::NotificationsView,
            LiveKind::AlertFired | LiveKind::AlertResolved => Permission::MonitoringView,
            LiveKind::QueueDepth => Permission::JobsView,
        }
    }

    /// A ticket's event: a technician hears it only when on the ticket.
    pub fn is_ticket(self) -> bool {
        matches!(self, LiveKind::TicketCreated | LiveKind::TicketChanged | LiveKind::TicketAssigned)
    }

    /// The ticket history's kind of step as a live event.
    pub fn of_ticket_step(step: &str) -> LiveKind {
        match step {
            "created" | "ticket" => LiveKind::TicketCreated,
            "assigned" => LiveKind::TicketAssigned,
            _ => LiveKind::TicketChanged,
        }
    }
}

/// Who reads a stream: their role, their user id and, for a technician, their technician id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reader {
    pub role: Role,
    pub user_id: i64,
    pub technician_id: Option<i64>,
}

/// Whether `reader` may hear an event of `kind` whose ticket has `technicians` on it (lead and
/// team, as published). Customers hear nothing on the staff stream.
pub fn may_hear(reader: &Reader, kind: LiveKind, technicians: &[i64]) -> bool {
    if !reader.role.is_staff() || !reader.role.can(kind.permission()) {
        return false;
    }
    if reader.role == Role::Technician {
        return kind.is_ticket() && reader.technician_id.is_some_and(|me| technicians.contains(&me));
    }
    true
}

/// `",3,5,"` → `[3, 5]`: the technicians stored with an event.
pub fn parse_ids(stored: &str) -> Vec<i64> {
    stored.split(',').filter_map(|s| s.trim().parse().ok()).collect()
}

/// `[3, 5]` → `",3,5,"`.
pub fn join_ids(ids: &[i64]) -> String {
    if ids.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!(",{},", inner.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(role: Role, technician_id: Option<i64>) -> Reader {
        Reader { role, user_id: 1, technician_id }
    }

    #[test]
    fn a_technician_hears_only_tickets_they_are_on() {
        let me = reader(Role::Technician, Some(7));
        assert!(may_hear(&me, LiveKind::TicketAssigned, &[7]));
        assert!(may_hear(&me, LiveKind::TicketChanged, &[3, 7]));
        assert!(!may_hear(&me, LiveKind::TicketChanged, &[3]));
        assert!(!may_hear(&me, LiveKind::TicketCreated, &[]));
        assert!(!may_hear(&me, LiveKind::RegistrationStep, &[]));
        assert!(!may_hear(&reader(Role::Technician, None), LiveKind::TicketChanged, &[]));
    }

    #[test]
    fn staff_hear_what_their_role_may_see_and_customers_nothing() {
        assert!(may_hear(&reader(Role::Supervisor, None), LiveKind::TicketChanged, &[3]));
        assert!(may_hear(&reader(Role::Admin, None), LiveKind::QueueDepth, &[]));
        assert!(!may_hear(&reader(Role::Customer, None), LiveKind::TicketChanged, &[]));
        for role in Role::ALL.iter().copied().filter(|r| r.is_staff() && *r != Role::Technician) {
            for kind in LiveKind::ALL {
                assert_eq!(may_hear(&reader(role, None), *kind, &[]), role.can(kind.permission()), "{role} {kind}");
            }
        }
    }

    #[test]
    fn ids_round_trip() {
        assert_eq!(join_ids(&[3, 5]), ",3,5,");
        assert_eq!(parse_ids(&join_ids(&[3, 5])), vec![3, 5]);
        assert_eq!(join_ids(&[]), "");
        assert!(parse_ids("").is_empty());
    }

    #[test]
    fn ticket_steps_map_to_kinds() {
        assert_eq!(LiveKind::of_ticket_step("assigned"), LiveKind::TicketAssigned);
        assert_eq!(LiveKind::of_ticket_step("status"), LiveKind::TicketChanged);
        assert_eq!(LiveKind::of_ticket_step("created"), LiveKind::TicketCreated);
    }
}
