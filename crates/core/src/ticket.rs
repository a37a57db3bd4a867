//! Trouble and work tickets: their types, priorities, numbers, and the status life cycle with
//! who may take each step.
//!
//! The life cycle is the (the spec's six states extended with the field steps):
//! open → assigned → on the way → in progress → pending parts / waiting customer → resolved →
//! closed; cancelled from any working state; a resolved or closed ticket can be reopened, and a
//! reopened one is worked again. Never back to open.

use crate::permission::Role;
use chrono::{DateTime, Utc};

crate::str_enum! { "ticket status",
    pub enum TicketStatus {
        Open = "open",
        Assigned = "assigned",
        OnTheWay = "on_the_way",
        InProgress = "in_progress",
        PendingParts = "pending_parts",
        WaitingCustomer = "waiting_customer",
        Resolved = "resolved",
        Closed = "closed",
        Cancelled = "cancelled",
        Reopened = "reopened",
    }
}

crate::str_enum! { "ticket type",
    pub enum TicketType {
        Installation = "installation",
        Repair = "repair",
        Maintenance = "maintenance",
        Upgrade = "upgrade",
        Downgrade = "downgrade",
        WifiSetup = "wifi_setup",
        Dismantle = "dismantle",
        Survey = "survey",
    }
}

crate::str_enum! { "priority",
    pub enum Priority {
        Low = "low",
        Normal = "normal",
        High = "high",
        Critical = "critical",
    }
}

crate::str_enum! { "ticket list scope",
    /// Which tickets a list shows when no status is asked for: the work still to do (the
    /// default), the finished (resolved, closed, cancelled), or all.
    pub enum TicketScope {
        Open = "open",
        Done = "done",
        All = "all",
    }
}

crate::str_enum! { "ticket order",
    /// A ticket list's order. `urgent` is what a dispatcher needs: past the SLA first, then by
    /// the SLA time left, then by priority (tickets whose clock is paused last).
    pub enum TicketSort {
        Urgent = "urgent",
        Newest = "newest",
        Oldest = "oldest",
    }
}

impl TicketScope {
    /// The statuses the scope holds.
    pub fn statuses(self) -> Vec<TicketStatus> {
        TicketStatus::ALL
            .iter()
            .copied()
            .filter(|s| match self {
                TicketScope::Open => s.is_active(),
                TicketScope::Done => !s.is_active(),
                TicketScope::All => true,
            })
            .collect()
    }
}

impl Priority {
    /// 0 for the most urgent (critical) to 3 (low): the order a dispatcher takes them in.
    pub fn urgency(self) -> u8 {
        match self {
            Priority::Critical => 0,
            Priority::High => 1,
            Priority::Normal => 2,
            Priority::Low => 3,
        }
    }
}

impl Priority {
    /// One step more urgent (critical stays critical).
    pub fn raised(self) -> Priority {
        match self {
            Priority::Low => Priority::Normal,
            Priority::Normal => Priority::High,
            Priority::High | Priority::Critical => Priority::Critical,
        }
    }
}

impl TicketStatus {
    /// Where a ticket may go from here.
    pub fn next(self) -> &'static [TicketStatus] {
        use TicketStatus::*;
        match self {
            Open => &[Assigned, Cancelled],
            Assigned => &[OnTheWay, InProgress, Cancelled],
            OnTheWay => &[InProgress, Assigned, Cancelled],
            InProgress => &[PendingParts, WaitingCustomer, Resolved, Cancelled],
            PendingParts | WaitingCustomer => &[InProgress, Cancelled],
            Resolved => &[Closed, Reopened],
            Closed => &[Reopened],
            Reopened => &[Assigned, InProgress, Cancelled],
            Cancelled => &[],
        }
    }

    /// Still somebody's work (counts towards a technician's load and the SLA).
    pub fn is_active(self) -> bool {
        !matches!(self, TicketStatus::Resolved | TicketStatus::Closed | TicketStatus::Cancelled)
    }

    /// The SLA clock stops (waiting for the customer pauses it; parts do not: they are ours).
    pub fn pauses_sla(self) -> bool {
        self == TicketStatus::WaitingCustomer
    }

    /// Needs a lead technician.
    pub fn needs_technician(self) -> bool {
        use TicketStatus::*;
        matches!(self, Assigned | OnTheWay | InProgress | PendingParts | WaitingCustomer | Resolved)
    }
}

/// Who is asking to move a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    /// On the ticket's team (lead or member).
    pub on_team: bool,
    /// The ticket is about this customer's own service.
    pub own_customer: bool,
}

/// Why a step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepRefused {
    /// Not a step from here (HTTP 409).
    #[error("a ticket that is {from} cannot become {to}; it can become: {allowed}")]
    Transition { from: TicketStatus, to: TicketStatus, allowed: String },
    /// A step this person may not take (HTTP 403).
    #[error("{role} may not move a ticket to {to}")]
    Role { role: Role, to: TicketStatus },
    /// Something the step needs is missing (HTTP 422 naming `field`).
    #[error("{message}")]
    Missing { field: &'static str, message: &'static str },
}

/// What the step brings along.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StepFacts {
    /// The ticket has (or the step names) a lead technician.
    pub has_lead: bool,
    /// A reason is given (cancelling, reopening, pausing).
    pub has_reason: bool,
}

/// Checks one status change: allowed from `from`, by this actor, with what it needs.
pub fn check_step(from: TicketStatus, to: TicketStatus, actor: Actor, facts: StepFacts) -> Result<(), StepRefused> {
    use TicketStatus::*;
    if !from.next().contains(&to) {
        let allowed: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
        let allowed = if allowed.is_empty() { "nothing (it is final)".into() } else { allowed.join(", ") };
        return Err(StepRefused::Transition { from, to, allowed });
    }
    let desk = matches!(actor.role, Role::Admin | Role::Supervisor);
    let allowed = match to {
        Assigned => desk || actor.role == Role::Noc,
        OnTheWay | InProgress | PendingParts | WaitingCustomer | Resolved => {
            desk || (actor.role == Role::Technician && actor.on_team)
        }
        // The customer confirming the fix closes their own ticket.
        Closed => desk || actor.role == Role::CustomerService || (actor.role == Role::Customer && actor.own_customer),
        Cancelled => desk || actor.role == Role::CustomerService,
        Reopened => desk || actor.role == Role::CustomerService || (actor.role == Role::Customer && actor.own_customer),
        Open => false,
    };
    if !allowed {
        return Err(StepRefused::Role { role: actor.role, to });
    }
    if to.needs_technician() && !facts.has_lead {
        return Err(StepRefused::Missing { field: "technician_id", message: "assign a lead technician first" });
    }
    if matches!(to, Cancelled | Reopened | WaitingCustomer | PendingParts) && !facts.has_reason {
        return Err(StepRefused::Missing { field: "note", message: "say why, for the ticket's history" });
    }
    Ok(())
}

/// The ticket numbers of a day: `TKT` + the Jakarta date.
pub fn number_prefix(now: DateTime<Utc>) -> String {
    format!("TKT{}", now.with_timezone(&crate::schedule::JAKARTA).format("%Y%m%d"))
}

/// The day's ticket numbers: `TKT` + the date in Indonesia + 3 digits, growing to 4 past 999 a
/// day (1 M tickets over two years is 1,400 a day), so "the day's highest" must compare by length
/// first: `…1000` sorts before `…999` as text.
pub fn number_series(now: DateTime<Utc>) -> crate::codes::Series {
    crate::codes::Series::new(number_prefix(now), 3, 9_999)
}

/// Longest word kept for search; longer ones are cut (a pasted URL, a serial number).
pub const SEARCH_WORD_MAX: usize = 40;

/// The words a ticket is found by: those of its title and of its customer's name, each once,
/// at most [`SEARCH_WORD_MAX`] characters. "Redaman tinggi" for Siti Rahayu →
/// ["redaman", "tinggi", "siti", "rahayu"].
pub fn search_words(title: &str, customer_name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in crate::customer::search_words(title).into_iter().chain(crate::customer::search_words(customer_name)) {
        let w: String = w.chars().take(SEARCH_WORD_MAX).collect();
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// What a ticket search box holds: a ticket number (or its start), or words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketSearch {
    /// `TKT2026…`, upper-cased.
    Number(String),
    /// Search words, each matched as the start of a word.
    Words(Vec<String>),
}

impl TicketSearch {
    /// `None` for a box with nothing searchable in it.
    pub fn parse(raw: &str) -> Option<Self> {
        let t = raw.trim();
        if t.is_ascii() && t.len() >= 3 && t[..3].eq_ignore_ascii_case("TKT") {
            return Some(Self::Number(t.to_uppercase()));
        }
        let words: Vec<String> = search_words(t, "");
        if words.is_empty() { None } else { Some(Self::Words(words)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_split_the_statuses() {
        let open = TicketScope::Open.statuses();
        let done = TicketScope::Done.statuses();
        assert!(open.contains(&TicketStatus::Reopened) && open.contains(&TicketStatus::WaitingCustomer));
        assert_eq!(done, vec![TicketStatus::Resolved, TicketStatus::Closed, TicketStatus::Cancelled]);
        assert_eq!(open.len() + done.len(), TicketStatus::ALL.len());
        assert_eq!(TicketScope::All.statuses().len(), TicketStatus::ALL.len());
    }

    #[test]
    fn critical_is_most_urgent() {
        let mut p = Priority::ALL.to_vec();
        p.sort_by_key(|p| p.urgency());
        assert_eq!(p, vec![Priority::Critical, Priority::High, Priority::Normal, Priority::Low]);
    }

    #[test]
    fn a_search_that_starts_with_a_wide_character_is_words_not_a_panic() {
        assert_eq!(TicketSearch::parse("𩳕O"), TicketSearch::parse("𩳕o"));
        assert!(TicketSearch::parse("\u{e9350}").is_none_or(|s| matches!(s, TicketSearch::Words(_))));
        assert_eq!(TicketSearch::parse("tkt2026"), Some(TicketSearch::Number("TKT2026".into())));
    }

    #[test]
    fn a_ticket_is_found_by_its_title_and_its_customer() {
        assert_eq!(
            search_words("Redaman tinggi, redaman naik", "Siti Rahayu"),
            ["redaman", "tinggi", "naik", "siti", "rahayu"]
        );
        let long = "x".repeat(60);
        assert_eq!(search_words(&long, ""), ["x".repeat(SEARCH_WORD_MAX)]);
    }

    #[test]
    fn the_search_box_holds_a_number_or_words() {
        assert_eq!(TicketSearch::parse(" tkt202611 "), Some(TicketSearch::Number("TKT202611".into())));
        assert_eq!(
            TicketSearch::parse("Siti redaman"),
            Some(TicketSearch::Words(vec!["siti".into(), "redaman".into()]))
        );
        assert_eq!(TicketSearch::parse("a"), None);
        assert_eq!(TicketSearch::parse("   "), None);
        assert_eq!(TicketSearch::parse("tktx"), Some(TicketSearch::Number("TKTX".into())));
    }
    use TicketStatus::*;

    const STAFF: StepFacts = StepFacts { has_lead: true, has_reason: true };

    fn actor(role: Role, on_team: bool) -> Actor {
        Actor { role, on_team, own_customer: false }
    }

    #[test]
    fn a_ticket_is_worked_from_open_to_closed_and_only_forward() {
        let path = [Open, Assigned, OnTheWay, InProgress, WaitingCustomer, InProgress, Resolved, Closed];
        for pair in path.windows(2) {
            assert!(pair[0].next().contains(&pair[1]), "{} → {}", pair[0], pair[1]);
        }
        for s in TicketStatus::ALL {
            assert!(!s.next().contains(&Open), "nothing goes back to open: {s}");
        }
        assert!(Cancelled.next().is_empty());
        assert_eq!(Closed.next(), &[Reopened]);
    }

    #[test]
    fn each_step_has_its_people() {
        let supervisor = actor(Role::Supervisor, false);
        let tech = actor(Role::Technician, true);
        let other_tech = actor(Role::Technician, false);
        assert_eq!(check_step(Open, Assigned, supervisor, STAFF), Ok(()));
        assert!(matches!(check_step(Open, Assigned, tech, STAFF), Err(StepRefused::Role { .. })));
        assert_eq!(check_step(Assigned, OnTheWay, tech, STAFF), Ok(()));
        assert!(matches!(check_step(Assigned, OnTheWay, other_tech, STAFF), Err(StepRefused::Role { .. })));
        assert_eq!(check_step(InProgress, Resolved, tech, STAFF), Ok(()));
        assert!(matches!(check_step(Resolved, Closed, tech, STAFF), Err(StepRefused::Role { .. })));
        assert_eq!(check_step(Resolved, Closed, actor(Role::CustomerService, false), STAFF), Ok(()));
        let customer = Actor { role: Role::Customer, on_team: false, own_customer: true };
        assert_eq!(check_step(Resolved, Reopened, customer, STAFF), Ok(()));
        assert_eq!(check_step(Resolved, Closed, customer, STAFF), Ok(()));
        assert!(matches!(check_step(InProgress, Resolved, customer, STAFF), Err(StepRefused::Role { .. })));
        let stranger = Actor { own_customer: false, ..customer };
        assert!(matches!(check_step(Resolved, Reopened, stranger, STAFF), Err(StepRefused::Role { .. })));
        assert!(matches!(check_step(Open, InProgress, supervisor, STAFF), Err(StepRefused::Transition { .. })));
        assert!(matches!(check_step(Cancelled, Reopened, supervisor, STAFF), Err(StepRefused::Transition { .. })));
    }

    #[test]
    fn steps_need_a_lead_and_reasons() {
        let supervisor = actor(Role::Supervisor, false);
        let none = StepFacts::default();
        assert_eq!(
            check_step(Open, Assigned, supervisor, none),
            Err(StepRefused::Missing { field: "technician_id", message: "assign a lead technician first" })
        );
        let lead = StepFacts { has_lead: true, has_reason: false };
        assert!(matches!(
            check_step(Open, Cancelled, supervisor, lead),
            Err(StepRefused::Missing { field: "note", .. })
        ));
        assert!(matches!(
            check_step(InProgress, WaitingCustomer, supervisor, lead),
            Err(StepRefused::Missing { field: "note", .. })
        ));
        assert_eq!(check_step(InProgress, Resolved, supervisor, lead), Ok(()));
    }

    #[test]
    fn only_waiting_for_the_customer_pauses_the_clock() {
        let paused: Vec<_> = TicketStatus::ALL.iter().filter(|s| s.pauses_sla()).collect();
        assert_eq!(paused, [&WaitingCustomer]);
        assert!(!Resolved.is_active() && !Cancelled.is_active() && Reopened.is_active());
    }

    #[test]
    fn text_forms_round_trip() {
        for s in TicketStatus::ALL {
            assert_eq!(s.as_str().parse::<TicketStatus>(), Ok(*s));
        }
        assert!("urgent".parse::<Priority>().is_err());
        assert_eq!(Priority::Normal.raised(), Priority::High);
        assert_eq!(Priority::Critical.raised(), Priority::Critical);
    }

    #[test]
    fn numbers_count_per_jakarta_day() {
        // 2026-11-25 20:00 UTC is already the 26th in Jakarta.
        let late: DateTime<Utc> = "2026-11-25T20:00:00Z".parse().expect("time");
        let s = number_series(late);
        assert_eq!(s.code(1).as_deref(), Ok("TKT20261126001"));
        assert_eq!(s.code(1_000).as_deref(), Ok("TKT202611261000"));
        assert_eq!(s.number_of("TKT20261125041"), None, "another day's number is not ours");
    }
}
