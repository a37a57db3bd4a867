//! The technician profile form as typed: read from the posted fields or a profile, checked with
//! the rules of `aglis_core::technician`, and its errors in the page's language.

use super::pages::message;
use super::service::{self, Full, LinkProblem};
use crate::error::{AppResult, FieldErrors};
use crate::pages::Shell;
use crate::state::AppState;
use aglis_core::technician::{self as rules, Availability, RawProfile, SkillLevel, Specialization, WorkDay};
use std::collections::BTreeMap;

/// The profile form as typed. Repeated names (`work_days`, `specializations`, the custom skill
/// rows) come in as they were sent.
#[derive(Debug, Clone, Default)]
pub(super) struct TechForm {
    pub(super) full_name: String,
    pub(super) phone: String,
    pub(super) work_zone: String,
    /// Separated by commas or lines.
    pub(super) areas: String,
    pub(super) skill_level: String,
    pub(super) max_daily_tickets: String,
    pub(super) work_start: String,
    pub(super) work_end: String,
    pub(super) work_days: Vec<String>,
    pub(super) specializations: Vec<String>,
    /// Catalogue skill code → the level chosen (`""`: none).
    pub(super) skills: BTreeMap<String, String>,
    /// Other skills: (code, level) rows.
    pub(super) custom: Vec<(String, String)>,
    pub(super) user_id: String,
    pub(super) availability: String,
}

/// A form's fields in order, repeated names kept.
pub(super) type Fields = Vec<(String, String)>;

/// Empty rows for skills outside the catalogue.
const BLANK_SKILL_ROWS: usize = 2;

impl TechForm {
    pub(super) fn from_fields(fields: &Fields) -> Self {
        let one = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
        let all = |name: &str| fields.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
        let codes = all("custom_skill");
        let levels = all("custom_level");
        TechForm {
            full_name: one("full_name"),
            phone: one("phone"),
            work_zone: one("work_zone"),
            areas: one("areas"),
            skill_level: one("skill_level"),
            max_daily_tickets: one("max_daily_tickets"),
            work_start: one("work_start"),
            work_end: one("work_end"),
            work_days: all("work_days"),
            specializations: all("specializations"),
            skills: fields
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix("skill.")?.to_owned(), v.trim().to_owned())))
                .filter(|(_, v)| !v.is_empty())
                .collect(),
            custom: codes
                .into_iter()
                .enumerate()
                .map(|(i, c)| (c.trim().to_owned(), levels.get(i).cloned().unwrap_or_default()))
                .filter(|(c, _)| !c.is_empty())
                .collect(),
            user_id: one("user_id"),
            availability: one("availability"),
        }
    }

    /// The form of a stored profile; `catalogue`: the skill codes of the catalogue (the others
    /// go to the custom rows).
    pub(super) fn from_full(f: &Full, catalogue: &[String]) -> Self {
        let known = |c: &str| catalogue.iter().any(|k| k == c);
        TechForm {
            full_name: f.t.full_name.clone(),
            phone: crate::pages::local_phone(&f.t.phone),
            work_zone: f.t.work_zone.clone(),
            areas: f.extras.areas.join(", "),
            skill_level: f.t.skill_level.as_str().to_owned(),
            max_daily_tickets: f.t.max_daily_tickets.to_string(),
            work_start: f.t.work_start.clone(),
            work_end: f.t.work_end.clone(),
            work_days: f.work_days().iter().map(|d| d.as_str().to_owned()).collect(),
            specializations: f.extras.specializations.iter().map(|s| s.as_str().to_owned()).collect(),
            skills: f.skills.iter().filter(|(c, _)| known(c)).map(|(c, l)| (c.clone(), l.to_string())).collect(),
            custom: f.skills.iter().filter(|(c, _)| !known(c)).map(|(c, l)| (c.clone(), l.to_string())).collect(),
            user_id: f.t.user_id.map(|u| u.to_string()).unwrap_or_default(),
            availability: f.t.availability.as_str().to_owned(),
        }
    }

    pub(super) fn blank() -> Self {
        TechForm {
            skill_level: SkillLevel::Junior.as_str().into(),
            max_daily_tickets: rules::DEFAULT_CAPACITY.to_string(),
            work_start: rules::DEFAULT_WORK_START.into(),
            work_end: rules::DEFAULT_WORK_END.into(),
            work_days: rules::DEFAULT_WORK_DAYS.iter().map(|d| d.as_str().to_owned()).collect(),
            availability: Availability::Available.as_str().into(),
            ..TechForm::default()
        }
    }

    /// The typed profile for the rules (a level or number that is not one fails their range).
    pub(super) fn raw(&self) -> RawProfile {
        let level = |v: &str| v.trim().parse::<i64>().unwrap_or(0);
        let capacity = self.max_daily_tickets.trim();
        RawProfile {
            full_name: self.full_name.clone(),
            phone: self.phone.clone(),
            work_zone: self.work_zone.clone(),
            areas: rules::split_list(&self.areas),
            skill_level: Some(self.skill_level.clone()),
            max_daily_tickets: (!capacity.is_empty()).then(|| capacity.parse::<i64>().unwrap_or(0)),
            work_start: Some(self.work_start.clone()),
            work_end: Some(self.work_end.clone()),
            skills: self
                .skills
                .iter()
                .map(|(c, l)| (c.clone(), level(l)))
                .chain(self.custom.iter().map(|(c, l)| (c.clone(), level(l))))
                .collect(),
            specializations: self.specializations.clone(),
            work_days: Some(self.work_days.clone()),
        }
    }

    /// The profile, the account to link and the availability, or the errors in the page's language.
    pub(super) async fn check(
        &self,
        state: &AppState,
        shell: &Shell,
        this: Option<i64>,
    ) -> AppResult<Result<(rules::CheckedProfile, Option<i64>, Availability), FieldErrors>> {
        let mut errors = FieldErrors::new();
        let mut add = |field: &str, text: String| errors.entry(field.to_owned()).or_default().push(text);
        let profile = match rules::check_profile(&self.raw()) {
            Ok(p) => Some(p),
            Err(list) => {
                for e in &list {
                    add(e.field(), message(shell, e));
                }
                None
            }
        };
        let availability = match rules::parse_availability(&self.availability) {
            Ok(a) => Some(a),
            Err(e) => {
                add(e.field(), message(shell, &e));
                None
            }
        };
        let user_id = match self.user_id.trim() {
            "" => None,
            raw => {
                let link = match raw.parse::<i64>() {
                    Ok(uid) => service::check_link(state, uid, this).await?.map(|()| uid),
                    Err(_) => Err(LinkProblem::NoUser(0)),
                };
                match link {
                    Ok(uid) => Some(uid),
                    Err(p) => {
                        add("user_id", shell.t_prefixed("techmgmt.err.", p.code()).to_owned());
                        None
                    }
                }
            }
        };
        Ok(match (profile, availability) {
            (Some(p), Some(a)) if errors.is_empty() => Ok((p, user_id, a)),
            _ => Err(errors),
        })
    }

    pub(super) fn has_day(&self, d: &WorkDay) -> bool {
        self.work_days.iter().any(|x| x == d.as_str())
    }

    pub(super) fn has_specialization(&self, s: &Specialization) -> bool {
        self.specializations.iter().any(|x| x == s.as_str())
    }

    pub(super) fn level_of(&self, code: &str) -> &str {
        self.skills.get(code).map_or("", String::as_str)
    }

    /// The custom rows: those typed, then blanks.
    pub(super) fn custom_rows(&self) -> Vec<(String, String)> {
        let mut rows = self.custom.clone();
        rows.extend(std::iter::repeat_n((String::new(), String::new()), BLANK_SKILL_ROWS));
        rows
    }
}
