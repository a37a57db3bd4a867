//! FreeRADIUS's `radusergroup`: the group (plan or isolation) of each RADIUS user. AGLIS writes the
//! rows of the users it enforces; FreeRADIUS's rlm_sql reads them at the next authentication.

use crate::DbError;
use crate::entity::radusergroup::{self, Column, Entity};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

/// The user's group (the one of highest priority, i.e. lowest number), if any.
pub async fn group_of(conn: &impl ConnectionTrait, username: &str) -> Result<Option<String>, DbError> {
    Ok(Entity::find()
        .filter(Column::Username.eq(username))
        .order_by_asc(Column::Priority)
        .order_by_asc(Column::Id)
        .one(conn)
        .await?
        .map(|r| r.groupname))
}

/// Makes `groupname` the user's only group; true when anything changed.
pub async fn set_group(conn: &impl ConnectionTrait, username: &str, groupname: &str) -> Result<bool, DbError> {
    let rows = Entity::find().filter(Column::Username.eq(username)).all(conn).await?;
    if rows.len() == 1 && rows[0].groupname == groupname {
        return Ok(false);
    }
    Entity::delete_many().filter(Column::Username.eq(username)).exec(conn).await?;
    radusergroup::ActiveModel {
        username: Set(username.to_owned()),
        groupname: Set(groupname.to_owned()),
        priority: Set(1),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(true)
}
