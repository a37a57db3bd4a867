//! Master data: ticket categories, the skill catalogue and service areas (see
//! `migration::m0037_master_data`). Lists are small (tens of rows) and read whole.

use crate::DbError;
use crate::entity::{service_areas, skills, ticket_categories};
use aglis_core::master::{self, Category, Skill};
use aglis_core::ticket::TicketType;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

pub use service_areas::Model as ServiceArea;
pub use skills::Model as CatalogueSkill;
pub use ticket_categories::Model as TicketCategory;

/// A unique index refused the row: the same code (or area name) exists.
pub fn is_taken(e: &DbError) -> bool {
    e.is_unique_on("ticket_categories") || e.is_unique_on("skills") || e.is_unique_on("service_areas")
}

/// Every category (or only the active ones), by ticket type then Indonesian name.
pub async fn categories(conn: &impl ConnectionTrait, active_only: bool) -> Result<Vec<TicketCategory>, DbError> {
    let mut q = ticket_categories::Entity::find();
    if active_only {
        q = q.filter(ticket_categories::Column::IsActive.eq(true));
    }
    let mut all = q.order_by_asc(ticket_categories::Column::NameId).all(conn).await?;
    all.sort_by_key(|c| TicketType::ALL.iter().position(|t| *t == c.ticket_type));
    Ok(all)
}

pub async fn category(conn: &impl ConnectionTrait, id: i64) -> Result<Option<TicketCategory>, DbError> {
    Ok(ticket_categories::Entity::find_by_id(id).one(conn).await?)
}

/// The category `code` of ticket type `t`.
pub async fn category_of(
    conn: &impl ConnectionTrait,
    t: TicketType,
    code: &str,
) -> Result<Option<TicketCategory>, DbError> {
    Ok(ticket_categories::Entity::find()
        .filter(ticket_categories::Column::TicketType.eq(t))
        .filter(ticket_categories::Column::Code.eq(code))
        .one(conn)
        .await?)
}

pub async fn create_category(
    conn: &impl ConnectionTrait,
    c: Category,
    active: bool,
) -> Result<TicketCategory, DbError> {
    let a = ticket_categories::ActiveModel {
        ticket_type: Set(c.ticket_type),
        code: Set(c.code),
        name_id: Set(c.name_id),
        name_en: Set(c.name_en),
        minutes: Set(c.minutes),
        is_active: Set(active),
        ..Default::default()
    };
    Ok(a.insert(conn).await?)
}

/// Changes category `id`'s names, minutes and whether it is offered; its type and code stay
/// (tickets carry the code).
pub async fn update_category(
    conn: &impl ConnectionTrait,
    id: i64,
    c: Category,
    active: bool,
) -> Result<Option<TicketCategory>, DbError> {
    let Some(model) = category(conn, id).await? else { return Ok(None) };
    let mut a: ticket_categories::ActiveModel = model.into();
    a.name_id = Set(c.name_id);
    a.name_en = Set(c.name_en);
    a.minutes = Set(c.minutes);
    a.is_active = Set(active);
    Ok(Some(a.update(conn).await?))
}

/// The catalogue (or its active skills), by code.
pub async fn skills(conn: &impl ConnectionTrait, active_only: bool) -> Result<Vec<CatalogueSkill>, DbError> {
    let mut q = skills::Entity::find();
    if active_only {
        q = q.filter(skills::Column::IsActive.eq(true));
    }
    Ok(q.order_by_asc(skills::Column::Code).all(conn).await?)
}

pub async fn skill(conn: &impl ConnectionTrait, id: i64) -> Result<Option<CatalogueSkill>, DbError> {
    Ok(skills::Entity::find_by_id(id).one(conn).await?)
}

/// The active skills as the assignment ranking reads them: (code, ticket types served).
pub async fn skill_types(conn: &impl ConnectionTrait) -> Result<Vec<(String, Vec<TicketType>)>, DbError> {
    Ok(skills(conn, true).await?.into_iter().map(|s| (s.code, master::split_types(&s.ticket_types))).collect())
}

pub async fn create_skill(conn: &impl ConnectionTrait, s: Skill, active: bool) -> Result<CatalogueSkill, DbError> {
    let a = skills::ActiveModel {
        code: Set(s.code),
        name_id: Set(s.name_id),
        name_en: Set(s.name_en),
        specialization: Set(s.specialization),
        ticket_types: Set(master::join_types(&s.ticket_types)),
        is_active: Set(active),
        ..Default::default()
    };
    Ok(a.insert(conn).await?)
}

/// Changes skill `id`; its code stays (technicians' profiles carry it).
pub async fn update_skill(
    conn: &impl ConnectionTrait,
    id: i64,
    s: Skill,
    active: bool,
) -> Result<Option<CatalogueSkill>, DbError> {
    let Some(model) = skill(conn, id).await? else { return Ok(None) };
    let mut a: skills::ActiveModel = model.into();
    a.name_id = Set(s.name_id);
    a.name_en = Set(s.name_en);
    a.specialization = Set(s.specialization);
    a.ticket_types = Set(master::join_types(&s.ticket_types));
    a.is_active = Set(active);
    Ok(Some(a.update(conn).await?))
}

/// Every area (or the active ones), by name.
pub async fn areas(conn: &impl ConnectionTrait, active_only: bool) -> Result<Vec<ServiceArea>, DbError> {
    let mut q = service_areas::Entity::find();
    if active_only {
        q = q.filter(service_areas::Column::IsActive.eq(true));
    }
    Ok(q.order_by_asc(service_areas::Column::NameKey).all(conn).await?)
}

pub async fn area(conn: &impl ConnectionTrait, id: i64) -> Result<Option<ServiceArea>, DbError> {
    Ok(service_areas::Entity::find_by_id(id).one(conn).await?)
}

pub async fn create_area(
    conn: &impl ConnectionTrait,
    name: String,
    city: String,
    active: bool,
) -> Result<ServiceArea, DbError> {
    let a = service_areas::ActiveModel {
        name_key: Set(name.to_lowercase()),
        name: Set(name),
        city: Set(city),
        is_active: Set(active),
        ..Default::default()
    };
    Ok(a.insert(conn).await?)
}

/// Changes area `id`'s city and whether it is offered. Its name stays: profiles carry it.
pub async fn update_area(
    conn: &impl ConnectionTrait,
    id: i64,
    city: String,
    active: bool,
) -> Result<Option<ServiceArea>, DbError> {
    let Some(model) = area(conn, id).await? else { return Ok(None) };
    let mut a: service_areas::ActiveModel = model.into();
    a.city = Set(city);
    a.is_active = Set(active);
    Ok(Some(a.update(conn).await?))
}
