//! Technicians: profile, skills, availability.

use crate::DbError;
use crate::entity::technician_skills;
use crate::entity::technicians::{self, Column, Entity, Model};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

pub type Technician = Model;

/// A technician's editable profile, checked by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub user_id: Option<i64>,
    pub full_name: String,
    pub phone: String,
    pub skill_level: String,
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
        availability: Set("available".into()),
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

/// Technicians (a small table: a few hundred at most), optionally of one zone or availability.
pub async fn list(
    conn: &impl ConnectionTrait,
    zone: Option<&str>,
    availability: Option<&str>,
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
    availability: &str,
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
