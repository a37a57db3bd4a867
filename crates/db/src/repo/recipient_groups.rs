//! Named recipient groups: every active user of some roles plus extra numbers or addresses.

use crate::DbError;
use crate::entity::recipient_groups::{self, Column, Entity};
use crate::entity::users;
use aglis_core::permission::Role;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub roles: Vec<Role>,
    /// `628…` numbers and e-mail addresses, already normalised.
    pub members: Vec<String>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<recipient_groups::Model> for Group {
    type Error = DbError;
    fn try_from(m: recipient_groups::Model) -> Result<Self, DbError> {
        let corrupt = |e: String| DbError::Corrupt(format!("recipient group {}: {e}", m.id));
        let roles: Vec<String> = serde_json::from_str(&m.roles).map_err(|e| corrupt(e.to_string()))?;
        let roles = roles
            .iter()
            .map(|r| r.parse::<Role>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| corrupt(e.to_string()))?;
        let members = serde_json::from_str(&m.members).map_err(|e| corrupt(e.to_string()))?;
        Ok(Group {
            id: m.id,
            name: m.name,
            description: m.description,
            roles,
            members,
            is_active: m.is_active,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

/// A group's editable fields, checked by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFields {
    pub name: String,
    pub description: String,
    pub roles: Vec<Role>,
    pub members: Vec<String>,
    pub is_active: bool,
}

fn json_roles(roles: &[Role]) -> String {
    serde_json::Value::from(roles.iter().map(|r| r.as_str()).collect::<Vec<_>>()).to_string()
}

fn json_members(members: &[String]) -> String {
    serde_json::Value::from(members.to_vec()).to_string()
}

/// Creates a group; a taken name is `DbError::Unique`.
pub async fn create(conn: &impl ConnectionTrait, f: GroupFields, now: DateTime<Utc>) -> Result<Group, DbError> {
    recipient_groups::ActiveModel {
        name: Set(f.name),
        description: Set(f.description),
        roles: Set(json_roles(&f.roles)),
        members: Set(json_members(&f.members)),
        is_active: Set(f.is_active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?
    .try_into()
}

/// Replaces a group's fields. `None` when there is no such group.
pub async fn update(
    conn: &impl ConnectionTrait,
    id: i64,
    f: GroupFields,
    now: DateTime<Utc>,
) -> Result<Option<Group>, DbError> {
    let Some(model) = Entity::find_by_id(id).one(conn).await? else { return Ok(None) };
    let mut active: recipient_groups::ActiveModel = model.into();
    active.name = Set(f.name);
    active.description = Set(f.description);
    active.roles = Set(json_roles(&f.roles));
    active.members = Set(json_members(&f.members));
    active.is_active = Set(f.is_active);
    active.updated_at = Set(now);
    Ok(Some(active.update(conn).await?.try_into()?))
}

pub async fn delete(conn: &impl ConnectionTrait, id: i64) -> Result<bool, DbError> {
    Ok(Entity::delete_by_id(id).exec(conn).await?.rows_affected == 1)
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Group>, DbError> {
    Entity::find_by_id(id).one(conn).await?.map(Group::try_from).transpose()
}

/// Looks a group up by its name, ignoring case.
pub async fn find_by_name(conn: &impl ConnectionTrait, name: &str) -> Result<Option<Group>, DbError> {
    let all = Entity::find().all(conn).await?;
    all.into_iter().find(|g| g.name.eq_ignore_ascii_case(name.trim())).map(Group::try_from).transpose()
}

/// Every group, by name.
pub async fn list(conn: &impl ConnectionTrait) -> Result<Vec<Group>, DbError> {
    Entity::find().order_by_asc(Column::Name).all(conn).await?.into_iter().map(Group::try_from).collect()
}

pub async fn count(conn: &impl ConnectionTrait) -> Result<u64, DbError> {
    Ok(Entity::find().count(conn).await?)
}

/// One person or address a group reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// Everyone the group reaches today: its active users of the group's roles, then its extra members.
pub async fn recipients(conn: &impl ConnectionTrait, group: &Group) -> Result<Vec<Recipient>, DbError> {
    let mut out = Vec::new();
    if !group.roles.is_empty() {
        let roles: Vec<&str> = group.roles.iter().map(|r| r.as_str()).collect();
        let users = users::Entity::find()
            .filter(users::Column::IsActive.eq(true))
            .filter(users::Column::Role.is_in(roles))
            .order_by_asc(users::Column::FullName)
            .all(conn)
            .await?;
        out.extend(users.into_iter().map(|u| Recipient { name: Some(u.full_name), phone: u.phone, email: u.email }));
    }
    for m in &group.members {
        if m.contains('@') {
            out.push(Recipient { name: None, phone: None, email: Some(m.clone()) });
        } else {
            out.push(Recipient { name: None, phone: Some(m.clone()), email: None });
        }
    }
    Ok(out)
}
