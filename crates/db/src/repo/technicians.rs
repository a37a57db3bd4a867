//! Technicians: profile, skills, further service areas, specialisations, work days, availability.

use crate::DbError;
use crate::entity::technicians::{self, Column, Entity, Model};
use crate::entity::{technician_areas, technician_skills, technician_specializations, technician_work_days, tickets};
use aglis_core::technician::{Availability, SkillLevel, Specialization, WorkDay};
use aglis_core::ticket::TicketStatus;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::collections::BTreeMap;

pub type Technician = Model;

/// A technician's editable profile, checked by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub user_id: Option<i64>,
    pub full_name: String,
    pub phone: String,
    pub skill_level: SkillLevel,
    pub work_zone: String,
    pub max_daily_tickets: i32,
    pub work_start: String,
    pub work_end: String,
    /// (skill code, level 1–5)
    pub skills: Vec<(String, i32)>,
}

async fn set_skills(conn: &impl ConnectionTrait, id: i64, skills: &[(String, i32)]) -> Result<(), DbError> {
    technician_skills::Entity::delete_many().filter(technician_skills::Column::TechnicianId.eq(id)).exec(conn).await?;
    if !skills.is_empty() {
        let rows = skills.iter().map(|(s, l)| technician_skills::ActiveModel {
            technician_id: Set(id),
            skill: Set(s.clone()),
            level: Set(*l),
        });
        technician_skills::Entity::insert_many(rows).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// Creates an available, active technician `employee_id` (`TEC0007`); a taken id or user is `DbError::Unique`.
pub async fn create(
    conn: &impl ConnectionTrait,
    employee_id: &str,
    p: Profile,
    now: DateTime<Utc>,
) -> Result<Technician, DbError> {
    let m = technicians::ActiveModel {
        user_id: Set(p.user_id),
        employee_id: Set(employee_id.to_owned()),
        full_name: Set(p.full_name),
        phone: Set(p.phone),
        skill_level: Set(p.skill_level),
        work_zone: Set(p.work_zone),
        max_daily_tickets: Set(p.max_daily_tickets),
        work_start: Set(p.work_start),
        work_end: Set(p.work_end),
        availability: Set(Availability::Available),
        is_active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    set_skills(conn, m.id, &p.skills).await?;
    Ok(m)
}

/// The highest `TEC` number in use.
pub async fn highest_employee_number(conn: &impl ConnectionTrait) -> Result<u32, DbError> {
    let ids: Vec<String> = Entity::find().select_only().column(Column::EmployeeId).into_tuple().all(conn).await?;
    Ok(ids.iter().filter_map(|i| i.strip_prefix("TEC")?.parse::<u32>().ok()).max().unwrap_or(0))
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Technician>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

pub async fn by_user(conn: &impl ConnectionTrait, user_id: i64) -> Result<Option<Technician>, DbError> {
    Ok(Entity::find().filter(Column::UserId.eq(user_id)).one(conn).await?)
}

/// `(skill, level)` of technician `id`.
pub async fn skills(conn: &impl ConnectionTrait, id: i64) -> Result<Vec<(String, i32)>, DbError> {
    Ok(technician_skills::Entity::find()
        .filter(technician_skills::Column::TechnicianId.eq(id))
        .order_by_asc(technician_skills::Column::Skill)
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.skill, s.level))
        .collect())
}

/// The technicians `ids` (those that exist), in one query.
pub async fn get_many(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Technician>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(Entity::find().filter(Column::Id.is_in(ids.to_vec())).all(conn).await?)
}

/// Technicians (a small table: a few hundred at most), optionally of one zone or availability.
pub async fn list(
    conn: &impl ConnectionTrait,
    zone: Option<&str>,
    availability: Option<Availability>,
) -> Result<Vec<Technician>, DbError> {
    let mut cond = Condition::all();
    if let Some(z) = zone {
        cond = cond.add(Column::WorkZone.eq(z));
    }
    if let Some(a) = availability {
        cond = cond.add(Column::Availability.eq(a));
    }
    Ok(Entity::find().filter(cond).order_by_asc(Column::FullName).order_by_asc(Column::Id).all(conn).await?)
}

pub async fn set_availability(
    conn: &impl ConnectionTrait,
    id: i64,
    availability: Availability,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let r = Entity::update_many()
        .col_expr(Column::Availability, Expr::value(availability))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Every technician's skills: `(technician_id, skill, level)`.
pub async fn all_skills(conn: &impl ConnectionTrait) -> Result<Vec<(i64, String, i32)>, DbError> {
    Ok(technician_skills::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.technician_id, s.skill, s.level))
        .collect())
}

/// Every technician's further areas: (technician id, area).
pub async fn all_areas(conn: &impl ConnectionTrait) -> Result<Vec<(i64, String)>, DbError> {
    Ok(technician_areas::Entity::find().all(conn).await?.into_iter().map(|a| (a.technician_id, a.area)).collect())
}

/// Updates the profile and replaces the skills; `false` when there is no technician `id`.
/// A user already linked to another profile is `DbError::Unique` on `user_id`.
pub async fn update(conn: &impl ConnectionTrait, id: i64, p: Profile, now: DateTime<Utc>) -> Result<bool, DbError> {
    let r = Entity::update_many()
        .col_expr(Column::UserId, Expr::value(p.user_id))
        .col_expr(Column::FullName, Expr::value(p.full_name))
        .col_expr(Column::Phone, Expr::value(p.phone))
        .col_expr(Column::SkillLevel, Expr::value(p.skill_level))
        .col_expr(Column::WorkZone, Expr::value(p.work_zone))
        .col_expr(Column::MaxDailyTickets, Expr::value(p.max_daily_tickets))
        .col_expr(Column::WorkStart, Expr::value(p.work_start))
        .col_expr(Column::WorkEnd, Expr::value(p.work_end))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    if r.rows_affected == 0 {
        return Ok(false);
    }
    set_skills(conn, id, &p.skills).await?;
    Ok(true)
}

/// The parts of a profile kept beside the `technicians` row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extras {
    /// Service areas besides the home zone (`work_zone`).
    pub areas: Vec<String>,
    pub specializations: Vec<Specialization>,
    /// Empty when never set: then Monday to Saturday ([`aglis_core::technician::DEFAULT_WORK_DAYS`]).
    pub work_days: Vec<WorkDay>,
}

/// Replaces technician `id`'s areas, specialisations and work days.
pub async fn set_extras(conn: &impl ConnectionTrait, id: i64, x: &Extras) -> Result<(), DbError> {
    technician_areas::Entity::delete_many().filter(technician_areas::Column::TechnicianId.eq(id)).exec(conn).await?;
    if !x.areas.is_empty() {
        let rows =
            x.areas.iter().map(|a| technician_areas::ActiveModel { technician_id: Set(id), area: Set(a.clone()) });
        technician_areas::Entity::insert_many(rows).exec_without_returning(conn).await?;
    }
    technician_specializations::Entity::delete_many()
        .filter(technician_specializations::Column::TechnicianId.eq(id))
        .exec(conn)
        .await?;
    if !x.specializations.is_empty() {
        let rows = x
            .specializations
            .iter()
            .map(|s| technician_specializations::ActiveModel { technician_id: Set(id), specialization: Set(*s) });
        technician_specializations::Entity::insert_many(rows).exec_without_returning(conn).await?;
    }
    technician_work_days::Entity::delete_many()
        .filter(technician_work_days::Column::TechnicianId.eq(id))
        .exec(conn)
        .await?;
    if !x.work_days.is_empty() {
        let rows =
            x.work_days.iter().map(|d| technician_work_days::ActiveModel { technician_id: Set(id), day: Set(*d) });
        technician_work_days::Entity::insert_many(rows).exec_without_returning(conn).await?;
    }
    Ok(())
}

/// The extras of each of `ids` (every id present, empty when nothing is stored).
pub async fn extras_of(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<BTreeMap<i64, Extras>, DbError> {
    let mut out: BTreeMap<i64, Extras> = ids.iter().map(|id| (*id, Extras::default())).collect();
    if ids.is_empty() {
        return Ok(out);
    }
    let areas = technician_areas::Entity::find()
        .filter(technician_areas::Column::TechnicianId.is_in(ids.to_vec()))
        .order_by_asc(technician_areas::Column::Area)
        .all(conn)
        .await?;
    for a in areas {
        out.entry(a.technician_id).or_default().areas.push(a.area);
    }
    let specs = technician_specializations::Entity::find()
        .filter(technician_specializations::Column::TechnicianId.is_in(ids.to_vec()))
        .all(conn)
        .await?;
    for s in specs {
        out.entry(s.technician_id).or_default().specializations.push(s.specialization);
    }
    let days = technician_work_days::Entity::find()
        .filter(technician_work_days::Column::TechnicianId.is_in(ids.to_vec()))
        .all(conn)
        .await?;
    for d in days {
        out.entry(d.technician_id).or_default().work_days.push(d.day);
    }
    for x in out.values_mut() {
        x.specializations.sort();
        x.work_days.sort();
    }
    Ok(out)
}

/// `(skill, level)` of each of `ids`, by skill (every id present).
pub async fn skills_of(conn: &impl ConnectionTrait, ids: &[i64]) -> Result<BTreeMap<i64, Vec<(String, i32)>>, DbError> {
    let mut out: BTreeMap<i64, Vec<(String, i32)>> = ids.iter().map(|id| (*id, Vec::new())).collect();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = technician_skills::Entity::find()
        .filter(technician_skills::Column::TechnicianId.is_in(ids.to_vec()))
        .order_by_asc(technician_skills::Column::Skill)
        .all(conn)
        .await?;
    for s in rows {
        out.entry(s.technician_id).or_default().push((s.skill, s.level));
    }
    Ok(out)
}

/// What deactivating a technician came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deactivation {
    Done,
    /// No technician with that id.
    Missing,
    /// Refused: they lead this many active tickets.
    Leading(i64),
}

fn active_statuses() -> Vec<&'static str> {
    TicketStatus::ALL.iter().filter(|s| s.is_active()).map(|s| s.as_str()).collect()
}

/// Active tickets technician `id` leads.
pub async fn leading(conn: &impl ConnectionTrait, id: i64) -> Result<i64, DbError> {
    let n = tickets::Entity::find()
        .filter(tickets::Column::LeadTechnicianId.eq(id))
        .filter(tickets::Column::Status.is_in(active_statuses()))
        .count(conn)
        .await?;
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Marks technician `id` inactive (never deleted: their ticket history keeps their name), unless
/// they lead an active ticket: checked in the same statement, so no ticket slips in between.
pub async fn deactivate(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<Deactivation, DbError> {
    for _ in 0..3 {
        let led = Query::select()
            .expr(Expr::val(1))
            .from(tickets::Entity)
            .and_where(tickets::Column::LeadTechnicianId.eq(id))
            .and_where(tickets::Column::Status.is_in(active_statuses()))
            .to_owned();
        let r = Entity::update_many()
            .col_expr(Column::IsActive, Expr::value(false))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.eq(id))
            .filter(Expr::exists(led).not())
            .exec(conn)
            .await?;
        if r.rows_affected > 0 {
            return Ok(Deactivation::Done);
        }
        if get(conn, id).await?.is_none() {
            return Ok(Deactivation::Missing);
        }
        let n = leading(conn, id).await?;
        if n > 0 {
            return Ok(Deactivation::Leading(n));
        }
        // Their last ticket finished between the two statements: try again.
    }
    Ok(Deactivation::Leading(Ord::max(leading(conn, id).await?, 1)))
}

/// Makes technician `id` active again; `false` when there is none.
pub async fn reactivate(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbError> {
    let r = Entity::update_many()
        .col_expr(Column::IsActive, Expr::value(true))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(r.rows_affected == 1)
}

/// The technician list's filters. Text search covers name, employee id and phone (a few hundred
/// rows at most, so a `LIKE` over the table is cheap here).
#[derive(Debug, Clone, Default)]
pub struct TechnicianQuery {
    /// Part of the name or employee id, or digits of the phone number (`0812-7777`).
    pub q: Option<String>,
    pub availability: Option<Availability>,
    /// The home zone or any further service area, in any case.
    pub area: Option<String>,
    /// Holding this skill code …
    pub skill: Option<String>,
    /// … at this level or above (with `skill`).
    pub min_level: Option<i32>,
    pub specialization: Option<Specialization>,
    pub active: Option<bool>,
    /// `(page from 1, per page)`; `None`: every match.
    pub paging: Option<(u64, u64)>,
}

fn lower_eq(col: impl sea_orm::sea_query::IntoColumnRef, value: &str) -> Expr {
    Expr::expr(Func::lower(Expr::col(col))).eq(value.to_lowercase())
}

fn condition(q: &TechnicianQuery) -> Condition {
    let mut cond = Condition::all();
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let mut any = Condition::any()
            .add(super::contains_ci(Column::FullName, text))
            .add(super::contains_ci(Column::EmployeeId, text));
        if let Some(digits) = aglis_core::technician::phone_digits(text) {
            any = any.add(super::contains_ci(Column::Phone, &digits));
        }
        cond = cond.add(any);
    }
    if let Some(a) = q.availability {
        cond = cond.add(Column::Availability.eq(a.as_str()));
    }
    if let Some(area) = q.area.as_deref().map(aglis_core::technician::tidy).filter(|a| !a.is_empty()) {
        let in_areas = Query::select()
            .column(technician_areas::Column::TechnicianId)
            .from(technician_areas::Entity)
            .and_where(lower_eq(technician_areas::Column::Area, &area))
            .to_owned();
        cond = cond.add(Condition::any().add(lower_eq(Column::WorkZone, &area)).add(Column::Id.in_subquery(in_areas)));
    }
    if let Some(skill) = q.skill.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let holders = Query::select()
            .column(technician_skills::Column::TechnicianId)
            .from(technician_skills::Entity)
            .and_where(technician_skills::Column::Skill.eq(skill))
            .and_where(technician_skills::Column::Level.gte(q.min_level.unwrap_or(1)))
            .to_owned();
        cond = cond.add(Column::Id.in_subquery(holders));
    }
    if let Some(s) = q.specialization {
        let holders = Query::select()
            .column(technician_specializations::Column::TechnicianId)
            .from(technician_specializations::Entity)
            .and_where(technician_specializations::Column::Specialization.eq(s.as_str()))
            .to_owned();
        cond = cond.add(Column::Id.in_subquery(holders));
    }
    if let Some(active) = q.active {
        cond = cond.add(Column::IsActive.eq(active));
    }
    cond
}

/// The matches by name (one page of them, or all) and how many there are.
pub async fn search(conn: &impl ConnectionTrait, q: &TechnicianQuery) -> Result<(Vec<Technician>, u64), DbError> {
    let select = Entity::find().filter(condition(q));
    let total = select.clone().count(conn).await?;
    let mut select = select.order_by_asc(Column::FullName).order_by_asc(Column::Id);
    if let Some((page, per_page)) = q.paging {
        let per_page = Ord::max(per_page, 1);
        select = select.offset(page.saturating_sub(1).saturating_mul(per_page)).limit(per_page);
    }
    Ok((select.all(conn).await?, total))
}

/// Every zone and service area in use, once each (in any case), alphabetically: the area filter's choices.
pub async fn areas_in_use(conn: &impl ConnectionTrait) -> Result<Vec<String>, DbError> {
    let zones: Vec<String> =
        Entity::find().select_only().column(Column::WorkZone).distinct().into_tuple().all(conn).await?;
    let areas: Vec<String> = technician_areas::Entity::find()
        .select_only()
        .column(technician_areas::Column::Area)
        .distinct()
        .into_tuple()
        .all(conn)
        .await?;
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for a in zones.into_iter().chain(areas) {
        seen.entry(a.to_lowercase()).or_insert(a);
    }
    Ok(seen.into_values().collect())
}

/// `(user_id, technician_id)` of every profile linked to a user account.
pub async fn linked_users(conn: &impl ConnectionTrait) -> Result<Vec<(i64, i64)>, DbError> {
    let rows: Vec<(Option<i64>, i64)> = Entity::find()
        .select_only()
        .column(Column::UserId)
        .column(Column::Id)
        .filter(Column::UserId.is_not_null())
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().filter_map(|(u, t)| Some((u?, t))).collect())
}
