//! The technician use cases shared by the API and the pages: the list with loads, one profile,
//! create, update, (de|re)activate and availability. The rules on each value live in
//! `aglis_core::technician`; the user-account link is checked here.

use crate::error::{AppError, AppResult, FieldErrors};
use crate::state::AppState;
use aglis_core::permission::{Permission, Role};
use aglis_core::technician::{self as rules, Availability, CheckedProfile, TechnicianError};
use aglis_db::DbError;
use aglis_db::repo::technicians::{self, Deactivation, Extras, Profile, Technician, TechnicianQuery};
use aglis_db::repo::tickets;
use aglis_db::repo::users::{self, User};
use sea_orm::TransactionTrait;
use std::collections::BTreeMap;

/// A technician with their load, skills and extras, as every answer shows them.
pub struct Full {
    pub t: Technician,
    pub load: i64,
    pub skills: Vec<(String, i32)>,
    pub extras: Extras,
}

impl Full {
    /// Work days, Monday to Saturday when never set.
    pub fn work_days(&self) -> Vec<rules::WorkDay> {
        if self.extras.work_days.is_empty() { rules::DEFAULT_WORK_DAYS.to_vec() } else { self.extras.work_days.clone() }
    }

    pub fn load_percent(&self) -> u32 {
        rules::load_percent(self.load, self.t.max_daily_tickets)
    }

    pub fn assignable(&self) -> bool {
        self.t.is_active && self.t.availability.takes_work() && rules::has_room(self.load, self.t.max_daily_tickets)
    }
}

/// `list` with their loads, skills and extras, in three queries whatever its length.
pub async fn complete(conn: &impl sea_orm::ConnectionTrait, list: Vec<Technician>) -> AppResult<Vec<Full>> {
    let ids: Vec<i64> = list.iter().map(|t| t.id).collect();
    let loads: BTreeMap<i64, i64> = tickets::active_load(conn, &ids).await?.into_iter().collect();
    let mut skills = technicians::skills_of(conn, &ids).await?;
    let mut extras = technicians::extras_of(conn, &ids).await?;
    Ok(list
        .into_iter()
        .map(|t| Full {
            load: loads.get(&t.id).copied().unwrap_or(0),
            skills: skills.remove(&t.id).unwrap_or_default(),
            extras: extras.remove(&t.id).unwrap_or_default(),
            t,
        })
        .collect())
}

pub async fn full(conn: &impl sea_orm::ConnectionTrait, id: i64) -> AppResult<Full> {
    let t = technicians::get(conn, id).await?.ok_or_else(|| AppError::not_found("technician"))?;
    let mut all = complete(conn, vec![t]).await?;
    all.pop().ok_or_else(|| AppError::not_found("technician"))
}

/// A 422 listing every problem under its field, in English.
pub fn invalid(errors: &[TechnicianError]) -> AppError {
    let mut fields = FieldErrors::new();
    for e in errors {
        fields.entry(e.field().to_owned()).or_default().push(e.to_string());
    }
    AppError::fields(fields)
}

/// Why a user account cannot be linked to a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkProblem {
    NoUser(i64),
    NotTechnician { username: String, role: Role },
    Taken { username: String, employee_id: String },
}

impl LinkProblem {
    /// The key of the translated message (`techmgmt.err.<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            LinkProblem::NoUser(_) => "user_missing",
            LinkProblem::NotTechnician { .. } => "user_role",
            LinkProblem::Taken { .. } => "user_taken",
        }
    }

    pub fn message(&self) -> String {
        match self {
            LinkProblem::NoUser(id) => format!("there is no user {id}"),
            LinkProblem::NotTechnician { username, role } => format!("{username} is a {role}, not a technician"),
            LinkProblem::Taken { username, employee_id } => {
                format!("{username} is already linked to technician {employee_id}")
            }
        }
    }
}

/// Whether user `user_id` may be linked to technician `this` (`None`: a new profile).
pub async fn check_link(state: &AppState, user_id: i64, this: Option<i64>) -> AppResult<Result<(), LinkProblem>> {
    let Some(user) = users::get(&state.db, user_id).await? else {
        return Ok(Err(LinkProblem::NoUser(user_id)));
    };
    if user.role != Role::Technician {
        return Ok(Err(LinkProblem::NotTechnician { username: user.username, role: user.role }));
    }
    if let Some(other) = technicians::by_user(&state.db, user_id).await?
        && Some(other.id) != this
    {
        return Ok(Err(LinkProblem::Taken { username: user.username, employee_id: other.employee_id }));
    }
    Ok(Ok(()))
}

async fn link_or_refuse(state: &AppState, user_id: Option<i64>, this: Option<i64>) -> AppResult<()> {
    if let Some(uid) = user_id
        && let Err(p) = check_link(state, uid, this).await?
    {
        return Err(AppError::field("user_id", p.message()));
    }
    Ok(())
}

fn split(p: &CheckedProfile, user_id: Option<i64>) -> (Profile, Extras) {
    (
        Profile {
            user_id,
            full_name: p.full_name.clone(),
            phone: p.phone.clone(),
            skill_level: p.skill_level,
            work_zone: p.work_zone.clone(),
            max_daily_tickets: p.max_daily_tickets,
            work_start: p.work_start.clone(),
            work_end: p.work_end.clone(),
            skills: p.skills.clone(),
        },
        Extras { areas: p.areas.clone(), specializations: p.specializations.clone(), work_days: p.work_days.clone() },
    )
}

fn user_taken(e: &DbError) -> bool {
    e.is_unique_on("user_id")
}

/// The profile with its zone and areas as the service-area list spells them, or a 422 naming
/// each one that is not on the list (the list is the master data admins keep).
pub async fn on_area_list(state: &AppState, p: &CheckedProfile) -> AppResult<CheckedProfile> {
    let list = crate::master::area_names(&state.db).await?;
    let mut fields = FieldErrors::new();
    let mut unknown = |field: &str, value: &str| {
        let text = crate::i18n::msg("master.err.unknown_area", &[("value", &value)]);
        fields.entry(field.to_owned()).or_default().push(text);
    };
    let mut out = p.clone();
    match crate::master::known_area(&list, &p.work_zone) {
        Some(name) => out.work_zone = name,
        None => unknown("work_zone", &p.work_zone),
    }
    out.areas = Vec::new();
    for a in &p.areas {
        match crate::master::known_area(&list, a) {
            Some(name) if !name.eq_ignore_ascii_case(&out.work_zone) && !out.areas.contains(&name) => {
                out.areas.push(name)
            }
            Some(_) => {}
            None => unknown("areas", a),
        }
    }
    if fields.is_empty() { Ok(out) } else { Err(AppError::fields(fields)) }
}

/// Adds a technician, employee id `TECnnnn` given in order; the user link is checked here.
pub async fn create_technician(
    state: &AppState,
    p: &CheckedProfile,
    user_id: Option<i64>,
    availability: Option<Availability>,
) -> AppResult<Technician> {
    let p = &on_area_list(state, p).await?;
    link_or_refuse(state, user_id, None).await?;
    let (profile, extras) = split(p, user_id);
    let now = state.now();
    for _ in 0..5 {
        let n = technicians::highest_employee_number(&state.db).await? + 1;
        let txn = state.db.begin().await.map_err(DbError::from)?;
        let t = match technicians::create(&txn, &format!("TEC{n:04}"), profile.clone(), now).await {
            Ok(t) => t,
            Err(e) if user_taken(&e) => {
                return Err(AppError::field("user_id", "this user already has a technician profile"));
            }
            Err(e) if e.is_unique_on("employee_id") => continue,
            Err(e) => return Err(e.into()),
        };
        technicians::set_extras(&txn, t.id, &extras).await?;
        if let Some(a) = availability.filter(|a| *a != Availability::Available) {
            technicians::set_availability(&txn, t.id, a, now).await?;
        }
        txn.commit().await.map_err(DbError::from)?;
        return Ok(technicians::get(&state.db, t.id).await?.unwrap_or(t));
    }
    Err(AppError::Conflict { detail: "too many at once; try again".into(), fields: Default::default() })
}

/// Replaces technician `id`'s profile (and availability when given).
pub async fn update_technician(
    state: &AppState,
    id: i64,
    p: &CheckedProfile,
    user_id: Option<i64>,
    availability: Option<Availability>,
) -> AppResult<Technician> {
    technicians::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("technician"))?;
    let p = &on_area_list(state, p).await?;
    link_or_refuse(state, user_id, Some(id)).await?;
    let (profile, extras) = split(p, user_id);
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    match technicians::update(&txn, id, profile, now).await {
        Ok(true) => {}
        Ok(false) => return Err(AppError::not_found("technician")),
        Err(e) if user_taken(&e) => {
            return Err(AppError::field("user_id", "this user already has a technician profile"));
        }
        Err(e) => return Err(e.into()),
    }
    technicians::set_extras(&txn, id, &extras).await?;
    if let Some(a) = availability {
        technicians::set_availability(&txn, id, a, now).await?;
    }
    txn.commit().await.map_err(DbError::from)?;
    technicians::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("technician"))
}

/// Marks technician `id` inactive; 409 saying how many active tickets they lead, if any.
pub async fn deactivate_technician(state: &AppState, id: i64) -> AppResult<Technician> {
    let t = technicians::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("technician"))?;
    match technicians::deactivate(&state.db, id, state.now()).await? {
        Deactivation::Done => technicians::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("technician")),
        Deactivation::Missing => Err(AppError::not_found("technician")),
        Deactivation::Leading(n) => Err(AppError::Conflict {
            detail: format!(
                "{} leads {n} active ticket{}; reassign or finish {} before deactivating",
                t.full_name,
                if n == 1 { "" } else { "s" },
                if n == 1 { "it" } else { "them" }
            ),
            fields: FieldErrors::from([("active_tickets".to_owned(), vec![n.to_string()])]),
        }),
    }
}

/// Whether `role`/`user_id` may change technician `t`'s availability: supervisors for anyone, a
/// technician for themself.
pub fn may_set_availability(role: Role, user_id: i64, t: &Technician) -> bool {
    t.user_id == Some(user_id) || role.can(Permission::TechniciansEdit)
}

/// One page of technicians matching `query`, with their loads, skills and extras, and the total.
pub async fn list(state: &AppState, query: &TechnicianQuery) -> AppResult<(Vec<Full>, u64)> {
    let (found, total) = technicians::search(&state.reads, query).await?;
    Ok((complete(&state.reads, found).await?, total))
}

/// The user account technician `f` is linked to, if any.
pub async fn linked_user(state: &AppState, f: &Full) -> AppResult<Option<User>> {
    Ok(match f.t.user_id {
        Some(u) => users::get(&state.db, u).await?,
        None => None,
    })
}

/// Sets technician `id`'s availability to `raw` for `role`/`user_id`: 404 when there is no such
/// technician, 403 when they may not (see [`may_set_availability`]), in that order before the value
/// is read; a value that is no availability comes back as the inner error for the caller to say.
pub async fn set_availability(
    state: &AppState,
    role: Role,
    user_id: i64,
    id: i64,
    raw: &str,
) -> AppResult<Result<(), TechnicianError>> {
    let t = technicians::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("technician"))?;
    if !may_set_availability(role, user_id, &t) {
        return Err(AppError::Forbidden("only supervisors or the technician themself".into()));
    }
    let availability = match rules::parse_availability(raw) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    technicians::set_availability(&state.db, id, availability, state.now()).await?;
    Ok(Ok(()))
}

/// Makes deactivated technician `id` active again.
pub async fn reactivate(state: &AppState, id: i64) -> AppResult<()> {
    if !technicians::reactivate(&state.db, id, state.now()).await? {
        return Err(AppError::not_found("technician"));
    }
    Ok(())
}
