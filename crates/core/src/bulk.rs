//! Bulk actions (issue 22): the same step on many tickets, registrations or customers, each item
//! done or refused on its own with the reason. These are the rules that decide an item without
//! running it (the preview, and the checks made before the single-item use case runs); the use
//! case itself then applies every rule it applies to one item done by hand.

use crate::customer::CustomerStatus;
use crate::registration::RegistrationStatus;
use crate::ticket::{Priority, TicketStatus};

/// The most ids one request may name.
pub const MAX_IDS: usize = 500;

crate::str_enum! { "bulk outcome",
    /// What became of one item.
    pub enum Outcome {
        Done = "done",
        Refused = "refused",
        /// A preview: it would be done.
        WouldDo = "would_do",
    }
}

crate::str_enum! { "ticket bulk action",
    /// What a bulk request does to each ticket.
    pub enum TicketAction {
        /// Make a technician the lead.
        Assign = "assign",
        /// Set another priority.
        Reprioritise = "reprioritise",
        /// Close a resolved ticket.
        Close = "close",
    }
}

crate::str_enum! { "registration bulk action",
    /// What a bulk request does to each registration.
    pub enum RegistrationAction {
        /// Submitted → verified.
        Verify = "verify",
    }
}

crate::str_enum! { "customer bulk action",
    /// What a bulk request does to each customer.
    pub enum CustomerAction {
        /// Move to another package (billed from the day of the change).
        ChangePackage = "change_package",
    }
}

/// Why the ids of a request were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdsError {
    Empty,
    TooMany { given: usize },
}

/// The ids to act on: at least one, at most [`MAX_IDS`], each once, in the order given.
pub fn check_ids(ids: &[i64]) -> Result<Vec<i64>, IdsError> {
    if ids.is_empty() {
        return Err(IdsError::Empty);
    }
    if ids.len() > MAX_IDS {
        return Err(IdsError::TooMany { given: ids.len() });
    }
    let mut seen = std::collections::HashSet::new();
    Ok(ids.iter().copied().filter(|id| seen.insert(*id)).collect())
}

/// Why an item is refused before its use case runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such record (or none the user may see).
    Missing,
    /// A ticket that is no longer worked on (resolved, closed, cancelled).
    TicketNotActive(TicketStatus),
    /// Closing a ticket that is not resolved.
    TicketNotResolved(TicketStatus),
    TicketSamePriority(Priority),
    /// Already led by this technician.
    TicketSameLead,
    /// The technician would lead more tickets than their daily capacity.
    TechnicianFull {
        max: i32,
    },
    /// Verifying a registration that is not waiting for it.
    RegistrationNotSubmitted(RegistrationStatus),
    CustomerSamePackage,
    CustomerTerminated,
}

/// What a ticket needs for `action` (`priority` is the new one for a re-prioritisation, `lead`
/// whether the chosen technician leads it already).
pub fn ticket_refusal(
    action: TicketAction,
    status: TicketStatus,
    current: Priority,
    priority: Option<Priority>,
    same_lead: bool,
) -> Option<Refusal> {
    match action {
        TicketAction::Close if status != TicketStatus::Resolved => Some(Refusal::TicketNotResolved(status)),
        TicketAction::Close => None,
        _ if !status.is_active() => Some(Refusal::TicketNotActive(status)),
        TicketAction::Reprioritise if priority == Some(current) => Some(Refusal::TicketSamePriority(current)),
        TicketAction::Assign if same_lead => Some(Refusal::TicketSameLead),
        _ => None,
    }
}

/// A registration can be verified only while it is submitted.
pub fn verify_refusal(status: RegistrationStatus) -> Option<Refusal> {
    (status != RegistrationStatus::Submitted).then_some(Refusal::RegistrationNotSubmitted(status))
}

/// A customer moves to another package unless terminated or already on it.
pub fn package_refusal(status: CustomerStatus, current: i64, to: i64) -> Option<Refusal> {
    if status == CustomerStatus::Terminated {
        Some(Refusal::CustomerTerminated)
    } else if current == to {
        Some(Refusal::CustomerSamePackage)
    } else {
        None
    }
}

/// Assigning several tickets to one technician: whether one more fits, given the tickets they
/// lead (`load`) and their daily capacity.
pub fn fits(load: i64, max: i32) -> bool {
    load < i64::from(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_bounded_and_each_taken_once() {
        assert_eq!(check_ids(&[]), Err(IdsError::Empty));
        assert_eq!(check_ids(&[3, 1, 3, 2, 1]), Ok(vec![3, 1, 2]));
        let many: Vec<i64> = (1..=MAX_IDS as i64).collect();
        assert_eq!(check_ids(&many).map(|v| v.len()), Ok(MAX_IDS));
        let too_many: Vec<i64> = (0..=MAX_IDS as i64).collect();
        assert_eq!(check_ids(&too_many), Err(IdsError::TooMany { given: MAX_IDS + 1 }));
    }

    #[test]
    fn tickets_are_refused_for_what_does_not_fit_the_action() {
        use Priority::*;
        use TicketAction::*;
        use TicketStatus::*;
        assert_eq!(ticket_refusal(Close, Resolved, Normal, None, false), None);
        assert_eq!(
            ticket_refusal(Close, InProgress, Normal, None, false),
            Some(Refusal::TicketNotResolved(InProgress))
        );
        assert_eq!(ticket_refusal(Assign, Open, Normal, None, false), None);
        assert_eq!(ticket_refusal(Assign, Closed, Normal, None, false), Some(Refusal::TicketNotActive(Closed)));
        assert_eq!(ticket_refusal(Assign, Assigned, Normal, None, true), Some(Refusal::TicketSameLead));
        assert_eq!(ticket_refusal(Reprioritise, Open, Normal, Some(High), false), None);
        assert_eq!(
            ticket_refusal(Reprioritise, Open, High, Some(High), false),
            Some(Refusal::TicketSamePriority(High))
        );
        assert_eq!(
            ticket_refusal(Reprioritise, Cancelled, Low, Some(High), false),
            Some(Refusal::TicketNotActive(Cancelled))
        );
    }

    #[test]
    fn only_submitted_registrations_are_verified() {
        for &s in RegistrationStatus::ALL {
            assert_eq!(verify_refusal(s).is_none(), s == RegistrationStatus::Submitted, "{s}");
        }
    }

    #[test]
    fn a_package_change_needs_another_package_and_a_live_customer() {
        assert_eq!(package_refusal(CustomerStatus::Active, 1, 2), None);
        assert_eq!(package_refusal(CustomerStatus::Prospect, 1, 2), None);
        assert_eq!(package_refusal(CustomerStatus::Active, 2, 2), Some(Refusal::CustomerSamePackage));
        assert_eq!(package_refusal(CustomerStatus::Terminated, 1, 2), Some(Refusal::CustomerTerminated));
    }

    #[test]
    fn capacity_counts_what_is_led_already() {
        assert!(fits(0, 1));
        assert!(!fits(1, 1));
        assert!(!fits(5, 0));
    }
}
