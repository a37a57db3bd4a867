//! What a ticket is promised (first response and resolution per type and priority, each on a
//! calendar) and when it escalates.
//!
//! The spec has two conflicting tables (§5): the one applied when a ticket is created
//! (critical 2 h, high 4 h, normal 24 h, low 48 h) and the monitor's own (urgent 4 h, high 8 h,
//! normal 24 h, low 48 h, with an "urgent" priority that does not exist). We take the creation
//! table: it is what customers were told (`sla_due_date`) and it knows every priority. Installation
//! tickets keep the spec's 48 h whatever their priority. First-response targets are ours (the
//! spec has none). Critical and high run on the 24/7 calendar, normal and low on business hours.
//! The targets are fixed when the ticket is created: an escalated priority does not shorten them.

use crate::ticket::{Priority, TicketType};
use chrono::Duration;

crate::str_enum! { "SLA calendar",
    pub enum CalendarKind {
        /// Every hour counts.
        Always = "24x7",
        /// Working hours only, without public holidays.
        Business = "business",
    }
}

/// A ticket's promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub first_response: Duration,
    pub resolution: Duration,
    pub calendar: CalendarKind,
}

/// One row of the (editable) SLA table: `ticket_type: None` applies to every type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetRow {
    pub ticket_type: Option<TicketType>,
    pub priority: Priority,
    pub targets: Targets,
}

fn row(
    ticket_type: Option<TicketType>,
    priority: Priority,
    response_min: i64,
    hours: i64,
    cal: CalendarKind,
) -> TargetRow {
    TargetRow {
        ticket_type,
        priority,
        targets: Targets {
            first_response: Duration::minutes(response_min),
            resolution: Duration::hours(hours),
            calendar: cal,
        },
    }
}

/// The default table (see the module documentation for where each figure comes from).
pub fn default_targets() -> Vec<TargetRow> {
    use CalendarKind::{Always, Business};
    let mut rows = vec![
        row(None, Priority::Critical, 15, 2, Always),
        row(None, Priority::High, 30, 4, Always),
        row(None, Priority::Normal, 120, 24, Business),
        row(None, Priority::Low, 240, 48, Business),
    ];
    for p in Priority::ALL {
        rows.push(row(Some(TicketType::Installation), *p, 240, 48, Always));
    }
    rows
}

/// The targets for a ticket: the row for its type and priority, else its priority's general row.
pub fn targets_for(table: &[TargetRow], ticket_type: TicketType, priority: Priority) -> Option<Targets> {
    table
        .iter()
        .find(|r| r.ticket_type == Some(ticket_type) && r.priority == priority)
        .or_else(|| table.iter().find(|r| r.ticket_type.is_none() && r.priority == priority))
        .map(|r| r.targets)
}

crate::str_enum! { "escalation step",
    pub enum Step {
        /// normal → high
        ToHigh = "to_high",
        /// high → critical
        ToCritical = "to_critical",
    }
}

/// At what share of the resolution target each step is taken (percent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub to_high: u32,
    pub to_critical: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { to_high: 80, to_critical: 90 }
    }
}

impl Step {
    pub fn threshold(self, t: Thresholds) -> u32 {
        match self {
            Step::ToHigh => t.to_high,
            Step::ToCritical => t.to_critical,
        }
    }

    /// The priority the step leaves.
    pub fn from(self) -> Priority {
        match self {
            Step::ToHigh => Priority::Normal,
            Step::ToCritical => Priority::High,
        }
    }
}

/// The escalation steps due for a ticket of `priority` at `percent` of its resolution target,
/// in order, leaving out steps `taken` before. A normal ticket found past 90 % takes both. A
/// low ticket is not escalated (it has days); a critical one has nowhere to go.
pub fn due_steps(priority: Priority, percent: u32, thresholds: Thresholds, taken: &[Step]) -> Vec<Step> {
    let mut current = priority;
    let mut due = Vec::new();
    for step in [Step::ToHigh, Step::ToCritical] {
        if current == step.from() && percent >= step.threshold(thresholds) && !taken.contains(&step) {
            due.push(step);
            current = current.raised();
        } else if current == step.from() && taken.contains(&step) {
            current = current.raised();
        }
    }
    due
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_creation_table_with_installations_at_48_hours() {
        let t = default_targets();
        let get = |ty, p| targets_for(&t, ty, p).expect("row");
        assert_eq!(get(TicketType::Repair, Priority::Critical).resolution, Duration::hours(2));
        assert_eq!(get(TicketType::Repair, Priority::High).resolution, Duration::hours(4));
        assert_eq!(get(TicketType::Maintenance, Priority::Normal).resolution, Duration::hours(24));
        assert_eq!(get(TicketType::Repair, Priority::Low).calendar, CalendarKind::Business);
        assert_eq!(get(TicketType::Installation, Priority::Critical).resolution, Duration::hours(48));
        for ty in TicketType::ALL {
            for p in Priority::ALL {
                let x = get(*ty, *p);
                assert!(x.first_response < x.resolution, "{ty} {p}");
            }
        }
    }

    #[test]
    fn escalation_steps_at_80_and_90_percent_once_each() {
        let t = Thresholds::default();
        assert!(due_steps(Priority::Normal, 79, t, &[]).is_empty());
        assert_eq!(due_steps(Priority::Normal, 80, t, &[]), [Step::ToHigh]);
        assert!(due_steps(Priority::High, 85, t, &[Step::ToHigh]).is_empty(), "already raised, not yet 90 %");
        assert_eq!(due_steps(Priority::High, 90, t, &[Step::ToHigh]), [Step::ToCritical]);
        assert!(due_steps(Priority::Critical, 99, t, &[Step::ToHigh, Step::ToCritical]).is_empty());
        assert_eq!(due_steps(Priority::Normal, 95, t, &[]), [Step::ToHigh, Step::ToCritical], "found late: both");
        assert_eq!(due_steps(Priority::High, 90, t, &[]), [Step::ToCritical], "created high");
        assert!(due_steps(Priority::Low, 150, t, &[]).is_empty());
        // Someone lowered an escalated ticket by hand: the step is not taken again.
        assert!(due_steps(Priority::Normal, 85, t, &[Step::ToHigh]).is_empty());
    }

    proptest! {
        #[test]
        fn a_step_is_never_due_twice(p in 0_usize..4, first in 0_u32..200, later in 0_u32..200) {
            let priority = Priority::ALL[p];
            let t = Thresholds::default();
            let (a, b) = (first.min(later), first.max(later));
            let taken = due_steps(priority, a, t, &[]);
            let raised = taken.iter().fold(priority, |p, _| p.raised());
            let again = due_steps(raised, b, t, &taken);
            prop_assert!(again.iter().all(|s| !taken.contains(s)));
            let mut all = taken.clone();
            all.extend(again);
            prop_assert_eq!(all, due_steps(priority, b, t, &[]), "checking twice = checking once at the end");
        }
    }
}
