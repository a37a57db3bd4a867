//! When an unpaid invoice's customer is reminded: 7, 3 and 1 days before the due day and on the
//! day it becomes overdue (the day after the due day). A reminder day the server missed (it was
//! down) is caught up once, the next time the daily run happens, but only the latest one missed:
//! nobody gets three messages at once. An overdue reminder is not sent more than a week late.

use chrono::{Days, NaiveDate};

crate::str_enum! { "reminder kind",
    pub enum ReminderKind {
        Days7 = "d7",
        Days3 = "d3",
        Days1 = "d1",
        Overdue = "overdue",
    }
}

/// How late an overdue reminder may still go out.
const OVERDUE_WINDOW_DAYS: u64 = 7;

impl ReminderKind {
    /// The day this reminder is meant for.
    pub fn day(self, due: NaiveDate) -> NaiveDate {
        match self {
            ReminderKind::Days7 => due - Days::new(7),
            ReminderKind::Days3 => due - Days::new(3),
            ReminderKind::Days1 => due - Days::new(1),
            ReminderKind::Overdue => due + Days::new(1),
        }
    }
}

/// The reminder to send today for an invoice due on `due`, given the kinds already sent; `None`
/// when nothing is due today.
pub fn due_reminder(due: NaiveDate, today: NaiveDate, sent: &[ReminderKind]) -> Option<ReminderKind> {
    let latest = ReminderKind::ALL.iter().rev().copied().find(|k| k.day(due) <= today)?;
    let still_useful = match latest {
        ReminderKind::Overdue => today <= due + Days::new(OVERDUE_WINDOW_DAYS),
        _ => today <= due,
    };
    (still_useful && !sent.contains(&latest)).then_some(latest)
}

#[cfg(test)]
mod tests {
    use super::ReminderKind::*;
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, day).expect("date")
    }

    #[test]
    fn each_reminder_on_its_day_once() {
        let due = d(15);
        assert_eq!(due_reminder(due, d(7), &[]), None, "more than a week before");
        assert_eq!(due_reminder(due, d(8), &[]), Some(Days7));
        assert_eq!(due_reminder(due, d(8), &[Days7]), None, "once");
        assert_eq!(due_reminder(due, d(9), &[Days7]), None);
        assert_eq!(due_reminder(due, d(12), &[Days7]), Some(Days3));
        assert_eq!(due_reminder(due, d(14), &[Days7, Days3]), Some(Days1));
        assert_eq!(due_reminder(due, d(15), &[Days7, Days3, Days1]), None, "nothing on the due day itself");
        assert_eq!(due_reminder(due, d(16), &[Days7, Days3, Days1]), Some(Overdue));
        assert_eq!(due_reminder(due, d(17), &[Days7, Days3, Days1, Overdue]), None);
    }

    #[test]
    fn a_missed_day_is_caught_up_once_with_only_the_latest() {
        let due = d(15);
        // Down from the 7th to the 13th: on the 13th only the 3-day reminder goes (not the 7-day too).
        assert_eq!(due_reminder(due, d(13), &[]), Some(Days3));
        assert_eq!(due_reminder(due, d(13), &[Days3]), None);
        // Down over the due day: the 1-day reminder is still sent on the due day.
        assert_eq!(due_reminder(due, d(15), &[Days7, Days3]), Some(Days1));
        // The overdue reminder within a week, never later.
        assert_eq!(due_reminder(due, d(22), &[]), Some(Overdue));
        assert_eq!(due_reminder(due, d(23), &[]), None);
    }
}
