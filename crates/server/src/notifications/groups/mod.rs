//! Recipient groups ("all technicians", "Supervisor Team"): every active user of some roles plus
//! extra numbers or addresses. Admins edit them; staff send to them by name.

pub mod api;
pub mod pages;

use crate::error::{AppError, AppResult, FieldErrors};
use aglis_core::permission::Role;
use aglis_core::phone::Phone;
use aglis_core::user::parse_email;
use aglis_db::DbError;
use aglis_db::repo::recipient_groups::{self, Group, GroupFields};
use sea_orm::ConnectionTrait;

pub const MAX_MEMBERS: usize = 1_000;

/// Checks a group's fields. `members` are numbers or addresses, one per entry.
pub fn parse_fields(
    name: &str,
    description: &str,
    roles: &[String],
    members: &[String],
    is_active: bool,
) -> Result<GroupFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut err = |f: &str, m: String| errors.entry(f.to_owned()).or_default().push(m);
    let name = name.trim();
    if name.is_empty() {
        err("name", "give the group a name".into());
    } else if name.chars().count() > 100 {
        err("name", "the name is longer than 100 characters".into());
    } else if name.parse::<i64>().is_ok() {
        err("name", "a name cannot be only digits (it would look like a group id)".into());
    }
    let description = description.trim();
    if description.chars().count() > 500 {
        err("description", "the description is longer than 500 characters".into());
    }
    let mut parsed_roles: Vec<Role> = Vec::new();
    for r in roles.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        match r.parse::<Role>() {
            Ok(role) if !parsed_roles.contains(&role) => parsed_roles.push(role),
            Ok(_) => {}
            Err(e) => err("roles", e.to_string()),
        }
    }
    let mut parsed_members: Vec<String> = Vec::new();
    for (i, m) in members.iter().map(|m| m.trim()).filter(|m| !m.is_empty()).enumerate() {
        let value = if m.contains('@') {
            parse_email(m).map_err(|e| e.to_string())
        } else {
            Phone::parse(m).map(|p| p.as_str().to_owned()).map_err(|e| e.to_string())
        };
        match value {
            Ok(v) if !parsed_members.contains(&v) => parsed_members.push(v),
            Ok(_) => {}
            Err(e) => err("members", format!("entry {} `{m}`: {e}", i + 1)),
        }
    }
    if parsed_members.len() > MAX_MEMBERS {
        err("members", format!("at most {MAX_MEMBERS} extra members"));
    }
    let no_members = parsed_members.is_empty() && members.iter().all(|m| m.trim().is_empty());
    if parsed_roles.is_empty() && no_members {
        err("roles", "choose at least one role or add a member".into());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(GroupFields {
        name: name.to_owned(),
        description: description.to_owned(),
        roles: parsed_roles,
        members: parsed_members,
        is_active,
    })
}

fn taken(e: DbError) -> AppError {
    if e.is_unique_on("name") {
        AppError::taken("name", "another group already has this name")
    } else {
        AppError::from(e)
    }
}

/// Names are unique ignoring case (staff send to a group by its name).
async fn check_name_free(conn: &impl ConnectionTrait, name: &str, except: Option<i64>) -> AppResult<()> {
    match recipient_groups::find_by_name(conn, name).await? {
        Some(other) if Some(other.id) != except => Err(taken(DbError::Unique("recipient_groups.name".into()))),
        _ => Ok(()),
    }
}

pub async fn create(
    conn: &impl ConnectionTrait,
    f: GroupFields,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Group> {
    check_name_free(conn, &f.name, None).await?;
    recipient_groups::create(conn, f, now).await.map_err(taken)
}

pub async fn update(
    conn: &impl ConnectionTrait,
    id: i64,
    f: GroupFields,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Group> {
    check_name_free(conn, &f.name, Some(id)).await?;
    recipient_groups::update(conn, id, f, now).await.map_err(taken)?.ok_or_else(|| AppError::not_found("group"))
}

/// How many of the group's recipients can be reached now by WhatsApp and by e-mail.
pub async fn reach(conn: &impl ConnectionTrait, group: &Group) -> AppResult<(usize, usize)> {
    let all = recipient_groups::recipients(conn, group).await?;
    let wa = all.iter().filter(|r| r.phone.as_deref().is_some_and(|p| Phone::parse(p).is_ok())).count();
    let mail = all.iter().filter(|r| r.email.is_some()).count();
    Ok((wa, mail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn members_are_normalised_and_deduplicated() {
        let f = parse_fields(
            " Teknisi Karawang ",
            "",
            &s(&["technician", "technician"]),
            &s(&["0812-3456-7890", "+62 812 3456 7890", "NOC@Contoh.id", ""]),
            true,
        )
        .expect("valid");
        assert_eq!(f.name, "Teknisi Karawang");
        assert_eq!(f.roles, vec![Role::Technician]);
        assert_eq!(f.members, s(&["6281234567890", "noc@contoh.id"]));
    }

    #[test]
    fn every_bad_field_is_named() {
        let e = parse_fields("", "", &s(&["wizard"]), &s(&["12", "a@"]), true).expect_err("invalid");
        assert!(e.contains_key("name"));
        assert!(e["roles"][0].contains("wizard"));
        assert_eq!(e["members"].len(), 2);
        let e = parse_fields("Kosong", "", &[], &[], true).expect_err("empty group");
        assert!(e["roles"][0].contains("at least one"));
        assert!(parse_fields("42", "", &s(&["noc"]), &[], true).expect_err("digits").contains_key("name"));
    }
}
