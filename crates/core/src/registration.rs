//! Public sign-ups and their way to an active customer (spec domain §4.2, as the issue lists it):
//! submitted → verified → survey scheduled → surveyed → approved → installation scheduled →
//! installed → activated; rejected (with a reason) or cancelled on the way. Each step is taken
//! by a role holding its permission.

use crate::permission::Permission;
use chrono::{DateTime, Utc};

crate::str_enum! {
    "registration status",
    pub enum RegistrationStatus {
        Submitted = "submitted",
        Verified = "verified",
        SurveyScheduled = "survey_scheduled",
        Surveyed = "surveyed",
        Approved = "approved",
        InstallationScheduled = "installation_scheduled",
        Installed = "installed",
        Activated = "activated",
        Rejected = "rejected",
        Cancelled = "cancelled",
    }
}

impl RegistrationStatus {
    /// The steps of the happy path, in order (the tracking page's timeline).
    pub const PATH: [RegistrationStatus; 8] = [
        RegistrationStatus::Submitted,
        RegistrationStatus::Verified,
        RegistrationStatus::SurveyScheduled,
        RegistrationStatus::Surveyed,
        RegistrationStatus::Approved,
        RegistrationStatus::InstallationScheduled,
        RegistrationStatus::Installed,
        RegistrationStatus::Activated,
    ];

    pub fn is_final(self) -> bool {
        matches!(self, RegistrationStatus::Activated | RegistrationStatus::Rejected | RegistrationStatus::Cancelled)
    }

    /// Where a registration may go from here.
    pub fn next(self) -> &'static [RegistrationStatus] {
        use RegistrationStatus::*;
        match self {
            Submitted => &[Verified, Rejected, Cancelled],
            // Fast path: a verified sign-up in a covered street may be approved without a survey.
            Verified => &[SurveyScheduled, Approved, Rejected, Cancelled],
            SurveyScheduled => &[Surveyed, Cancelled],
            Surveyed => &[Approved, Rejected, Cancelled],
            Approved => &[InstallationScheduled, Cancelled],
            InstallationScheduled => &[Installed, Cancelled],
            Installed => &[Activated],
            Activated | Rejected | Cancelled => &[],
        }
    }

    /// The permission a step to `self` needs.
    pub fn permission(self) -> Permission {
        use RegistrationStatus::*;
        match self {
            Verified | SurveyScheduled | Surveyed | Cancelled | Submitted => Permission::RegistrationsVerify,
            Approved | InstallationScheduled | Installed | Activated => Permission::RegistrationsApprove,
            Rejected => Permission::RegistrationsReject,
        }
    }
}

/// What a step needs besides the target status.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepInput {
    /// Rejected: why (shown to the applicant).
    pub reason: Option<String>,
    /// Survey or installation scheduled: when.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Surveyed: whether a connection is possible.
    pub feasible: Option<bool>,
    /// Surveyed: the ODP that will serve the address.
    pub odp_id: Option<i64>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("a registration that is {from} cannot become {to}; it can become: {allowed}")]
    Transition { from: RegistrationStatus, to: RegistrationStatus, allowed: String },
    #[error("say why the registration is rejected")]
    ReasonRequired,
    #[error("give the date and time")]
    DateRequired,
    #[error("the date must be in the future")]
    DateInPast,
    #[error("record whether the connection is possible")]
    FeasibleRequired,
    #[error("the survey found no connection possible: reject it instead")]
    NotFeasible,
}

impl StepError {
    /// The request field an error is about.
    pub fn field(&self) -> &'static str {
        match self {
            StepError::Transition { .. } => "status",
            StepError::ReasonRequired => "reason",
            StepError::DateRequired | StepError::DateInPast => "scheduled_at",
            StepError::FeasibleRequired => "feasible",
            StepError::NotFeasible => "status",
        }
    }
}

/// Checks one step: allowed from `from`, and given what it needs. `survey_feasible` is the
/// survey's result when there was one.
pub fn check_step(
    from: RegistrationStatus,
    to: RegistrationStatus,
    input: &StepInput,
    survey_feasible: Option<bool>,
    now: DateTime<Utc>,
) -> Result<(), StepError> {
    if !from.next().contains(&to) {
        let allowed: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
        let allowed = if allowed.is_empty() { "nothing (it is closed)".into() } else { allowed.join(", ") };
        return Err(StepError::Transition { from, to, allowed });
    }
    match to {
        RegistrationStatus::Rejected if input.reason.as_deref().is_none_or(|r| r.trim().is_empty()) => {
            Err(StepError::ReasonRequired)
        }
        RegistrationStatus::SurveyScheduled | RegistrationStatus::InstallationScheduled => match input.scheduled_at {
            None => Err(StepError::DateRequired),
            Some(at) if at <= now => Err(StepError::DateInPast),
            Some(_) => Ok(()),
        },
        RegistrationStatus::Surveyed if input.feasible.is_none() => Err(StepError::FeasibleRequired),
        RegistrationStatus::Approved if survey_feasible == Some(false) => Err(StepError::NotFeasible),
        _ => Ok(()),
    }
}

/// The registration number of a day: `REG` + the Jakarta date + a 3-digit counter.
pub fn number_prefix(now: DateTime<Utc>) -> String {
    let local = now.with_timezone(&crate::schedule::JAKARTA);
    format!("REG{}", local.format("%Y%m%d"))
}

/// The day's registration numbers: `REG` + the date in Indonesia + 3 digits (999 a day).
pub fn number_series(now: DateTime<Utc>) -> crate::codes::Series {
    crate::codes::Series::new(number_prefix(now), 3, 999)
}

#[cfg(test)]
mod tests {
    use super::*;
    use RegistrationStatus::*;

    fn now() -> DateTime<Utc> {
        "2026-11-25T03:00:00Z".parse().expect("time")
    }

    #[test]
    fn the_happy_path_is_walkable_step_by_step() {
        for pair in RegistrationStatus::PATH.windows(2) {
            assert!(pair[0].next().contains(&pair[1]), "{} → {}", pair[0], pair[1]);
        }
        for &s in RegistrationStatus::ALL {
            assert_eq!(s.next().is_empty(), s.is_final(), "{s}");
        }
    }

    #[test]
    fn steps_need_what_they_record() {
        let none = StepInput::default();
        let later = StepInput { scheduled_at: Some(now() + chrono::Duration::days(2)), ..StepInput::default() };
        let earlier = StepInput { scheduled_at: Some(now() - chrono::Duration::hours(1)), ..StepInput::default() };
        assert_eq!(check_step(Submitted, Verified, &none, None, now()), Ok(()));
        assert!(matches!(check_step(Submitted, Approved, &none, None, now()), Err(StepError::Transition { .. })));
        assert_eq!(check_step(Verified, Rejected, &none, None, now()), Err(StepError::ReasonRequired));
        assert_eq!(check_step(Verified, SurveyScheduled, &none, None, now()), Err(StepError::DateRequired));
        assert_eq!(check_step(Verified, SurveyScheduled, &earlier, None, now()), Err(StepError::DateInPast));
        assert_eq!(check_step(Verified, SurveyScheduled, &later, None, now()), Ok(()));
        assert_eq!(check_step(SurveyScheduled, Surveyed, &none, None, now()), Err(StepError::FeasibleRequired));
        assert_eq!(check_step(Surveyed, Approved, &none, Some(false), now()), Err(StepError::NotFeasible));
        assert_eq!(check_step(Surveyed, Approved, &none, Some(true), now()), Ok(()));
        assert!(matches!(check_step(Activated, Cancelled, &none, None, now()), Err(StepError::Transition { .. })));
    }

    #[test]
    fn each_step_has_its_permission() {
        assert_eq!(Verified.permission(), Permission::RegistrationsVerify);
        assert_eq!(Approved.permission(), Permission::RegistrationsApprove);
        assert_eq!(Rejected.permission(), Permission::RegistrationsReject);
    }

    #[test]
    fn numbers_count_per_jakarta_day() {
        let s = number_series(now());
        assert_eq!(s.code(1).as_deref(), Ok("REG20261125001"));
        assert_eq!(s.number_of("REG20261125041"), Some(41));
        assert!(s.code(1_000).is_err(), "999 a day");
    }
}
