//! Master data admins edit (issue 22, deliverable 7): ticket categories, the skill catalogue and
//! service areas. `api` and `pages` are thin; the rules are `aglis_core::master`, the storage
//! `aglis_db::repo::master_data`. The other modules ask here what is known: a ticket's category,
//! a technician's skills and areas, the skills a ticket type calls for.

pub mod api;
pub mod pages;

use crate::error::{AppError, AppResult, FieldErrors};
use crate::i18n::msg;
use aglis_core::master::{self, Category, MasterError, Skill};
use aglis_core::ticket::TicketType;
use aglis_db::DbError;
use aglis_db::repo::master_data::{self, CatalogueSkill, ServiceArea, TicketCategory};
use sea_orm::ConnectionTrait;

/// A master-data name in the page's language: the English one for English readers when there is
/// one, the Indonesian one otherwise.
pub fn name_in<'a>(shell: &crate::pages::Shell, name_id: &'a str, name_en: &'a str) -> &'a str {
    if shell.lang.code() == "en" && !name_en.is_empty() { name_en } else { name_id }
}

/// A 422 naming each problem's field, in the reader's language on pages.
pub fn invalid(problems: &[MasterError]) -> AppError {
    let mut fields = FieldErrors::new();
    for p in problems {
        let text = msg(&format!("master.err.{}", p.key()), &[("value", &p.value())]);
        fields.entry(p.field().to_owned()).or_default().push(text);
    }
    AppError::fields(fields)
}

/// A unique index refused the row: 409 naming `field`.
fn taken(e: DbError, field: &str) -> AppError {
    if master_data::is_taken(&e) { AppError::taken(field, msg("master.err.taken", &[])) } else { e.into() }
}

pub async fn create_category(conn: &impl ConnectionTrait, c: Category, active: bool) -> AppResult<TicketCategory> {
    master_data::create_category(conn, c, active).await.map_err(|e| taken(e, "code"))
}

pub async fn create_skill(conn: &impl ConnectionTrait, s: Skill, active: bool) -> AppResult<CatalogueSkill> {
    master_data::create_skill(conn, s, active).await.map_err(|e| taken(e, "code"))
}

pub async fn create_area(
    conn: &impl ConnectionTrait,
    name: String,
    city: String,
    active: bool,
) -> AppResult<ServiceArea> {
    master_data::create_area(conn, name, city, active).await.map_err(|e| taken(e, "name"))
}

/// A category typed for a new ticket of type `t`: empty stays empty; anything else must be an
/// active category of that type (422 naming `category` and what the type offers).
pub async fn ticket_category(conn: &impl ConnectionTrait, t: TicketType, raw: &str) -> AppResult<String> {
    let code = raw.trim();
    if code.is_empty() {
        return Ok(String::new());
    }
    match master_data::category_of(conn, t, code).await? {
        Some(c) if c.is_active => Ok(c.code),
        _ => {
            let offered: Vec<String> = master_data::categories(conn, true)
                .await?
                .into_iter()
                .filter(|c| c.ticket_type == t)
                .map(|c| c.code)
                .collect();
            Err(AppError::field(
                "category",
                msg(
                    "master.err.unknown_category",
                    &[("value", &code), ("type", &t.as_str()), ("known", &offered.join(" "))],
                ),
            ))
        }
    }
}

/// The names of the areas on the list (active or not: a profile keeps an area switched off
/// later), for checking a technician's zone and areas.
pub async fn area_names(conn: &impl ConnectionTrait) -> AppResult<Vec<ServiceArea>> {
    Ok(master_data::areas(conn, false).await?)
}

/// `typed` as the list spells it, or `None` when it is not on the list.
pub fn known_area(list: &[ServiceArea], typed: &str) -> Option<String> {
    let key = typed.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    list.iter().find(|a| a.name_key == key).map(|a| a.name.clone())
}

/// The skill codes of the catalogue (active or not).
pub async fn skill_codes(conn: &impl ConnectionTrait) -> AppResult<Vec<String>> {
    Ok(master_data::skills(conn, false).await?.into_iter().map(|s| s.code).collect())
}

/// The area a ticket's place is in, among the active areas.
pub fn area_of(place: &str, areas: &[ServiceArea]) -> Option<String> {
    let names: Vec<String> = areas.iter().filter(|a| a.is_active).map(|a| a.name.clone()).collect();
    master::area_of(place, &names).map(str::to_owned)
}
