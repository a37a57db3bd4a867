//! Customer use cases: checked input, the customer code, status changes, ports and portal
//! accounts. Every change writes the customer's history in the same transaction.

use crate::error::{AppError, AppResult, FieldErrors};
use crate::i18n::msg;
use crate::state::AppState;
use crate::validation::{Explain, push};
use aglis_core::customer::{self, CustomerStatus};
use aglis_core::enforcement::{ServiceState, SuspendReason};
use aglis_core::network::{OdpStatus, check_location, check_port};
use aglis_core::notification_catalog::Language;
use aglis_core::permission::Role;
use aglis_core::phone::Phone;
use aglis_core::prepaid::BillingMode;
use aglis_core::user::parse_email;
use aglis_db::repo::customers::{self, Customer, Profile};
use aglis_db::repo::{odps, packages};
use aglis_db::{DbError, TransactionTrait};
use sea_orm::ConnectionTrait;

/// A profile as typed, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub ktp: Option<String>,
    pub address: String,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub package_id: Option<i64>,
    pub notes: Option<String>,
    /// `id` or `en`; empty keeps the customer's (Indonesian for a new one).
    pub language: Option<String>,
    /// No PPN on their invoices; `None` keeps the customer's (off for a new one).
    pub tax_exempt: Option<bool>,
    /// Postpaid or prepaid; `None` keeps the customer's (postpaid for a new one).
    pub billing_mode: Option<BillingMode>,
}

fn optional(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Checks a profile field by field; the package must exist (and be on sale for a new customer),
/// the phone must not belong to another customer.
pub async fn check_profile(
    conn: &impl ConnectionTrait,
    input: &ProfileInput,
    existing: Option<&Customer>,
) -> AppResult<Profile> {
    let mut e = FieldErrors::new();
    let name = customer::parse_name(&input.name).map_err(|err| push(&mut e, "name", err.explain())).ok();
    let phone = Phone::parse(&input.phone)
        .map(|p| p.as_str().to_owned())
        .map_err(|err| push(&mut e, "phone", err.explain()))
        .ok();
    let email = optional(&input.email)
        .map(parse_email)
        .transpose()
        .map_err(|err| push(&mut e, "email", err.explain()))
        .ok()
        .flatten();
    let ktp = optional(&input.ktp)
        .map(customer::parse_ktp)
        .transpose()
        .map_err(|err| push(&mut e, "ktp", err.explain()))
        .ok()
        .flatten();
    let address = customer::parse_address(&input.address).map_err(|err| push(&mut e, "address", err.explain())).ok();
    let city = optional(&input.city).unwrap_or("Karawang").to_owned();
    if city.chars().count() > 100 {
        push(&mut e, "city", msg("val.city.long", &[]));
    }
    match (input.latitude, input.longitude) {
        (Some(lat), Some(lon)) => {
            if let Err(err) = check_location(lat, lon) {
                push(&mut e, "latitude", err.explain());
            }
        }
        (None, None) => {}
        _ => push(&mut e, "latitude", msg("val.location_pair", &[])),
    }
    let language = match optional(&input.language) {
        None => existing.map(|c| c.language).unwrap_or_default(),
        Some(raw) => raw.parse::<Language>().unwrap_or_else(|_| {
            push(&mut e, "language", msg("val.language", &[]));
            Language::Id
        }),
    };
    let notes = optional(&input.notes).unwrap_or_default().to_owned();
    if notes.chars().count() > 2000 {
        push(&mut e, "notes", msg("val.notes.long", &[]));
    }
    let package_id = match input.package_id {
        None => {
            push(&mut e, "package_id", msg("val.package.choose", &[]));
            None
        }
        Some(id) => match packages::get(conn, id).await? {
            None => {
                push(&mut e, "package_id", msg("val.unknown.package", &[("id", &id)]));
                None
            }
            Some(p) if !p.is_active && existing.is_none_or(|c| c.package_id != id) => {
                push(&mut e, "package_id", msg("val.package.not_sold", &[("name", &p.name)]));
                None
            }
            Some(p) => Some(p.id),
        },
    };
    if let Some(phone) = &phone
        && let Some(other) = customers::by_phone(conn, phone).await?
        && existing.is_none_or(|c| c.id != other.id)
    {
        push(&mut e, "phone", msg("val.phone.taken_by", &[("name", &other.name), ("code", &other.code)]));
    }
    match (name, phone, address, package_id) {
        (Some(name), Some(phone), Some(address), Some(package_id)) if e.is_empty() => Ok(Profile {
            name,
            phone,
            email,
            ktp,
            address,
            city,
            latitude: input.latitude,
            longitude: input.longitude,
            package_id,
            notes,
            language,
        }),
        _ => Err(AppError::fields(e)),
    }
}

fn phone_taken(e: DbError) -> AppError {
    if e.is_unique_on("phone") { AppError::field("phone", msg("val.phone.taken", &[])) } else { e.into() }
}

/// Creates a customer with the next code of the day.
pub async fn create(
    state: &AppState,
    input: &ProfileInput,
    status: CustomerStatus,
    actor: Option<i64>,
) -> AppResult<Customer> {
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let profile = check_profile(&txn, input, None).await?;
    let code = customers::next_code(&txn, now).await??;
    let c = customers::create(&txn, &code, profile, status, actor, now).await.map_err(phone_taken)?;
    let c = exempt(&txn, c, input.tax_exempt).await?;
    let c = match input.billing_mode {
        Some(mode) => crate::billing::prepaid::switch_mode(&txn, c, mode).await?,
        None => c,
    };
    txn.commit().await.map_err(DbError::from)?;
    Ok(c)
}

const NO_CHANGE: &str = "no change";

/// What changed between two profiles, for the history.
fn changes(old: &Customer, new: &Profile) -> String {
    let mut out = Vec::new();
    let mut diff = |field: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{field}: {a} → {b}"));
        }
    };
    diff("name", old.name.clone(), new.name.clone());
    diff("phone", old.phone.clone(), new.phone.clone());
    diff("email", old.email.clone().unwrap_or_default(), new.email.clone().unwrap_or_default());
    diff("address", old.address.clone(), new.address.clone());
    diff("city", old.city.clone(), new.city.clone());
    diff("package", old.package_id.to_string(), new.package_id.to_string());
    if out.is_empty() { NO_CHANGE.into() } else { out.join("; ") }
}

pub async fn update(state: &AppState, id: i64, input: &ProfileInput, actor: i64) -> AppResult<Customer> {
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let old = customers::get(&txn, id).await?.ok_or_else(|| AppError::not_found("customer"))?;
    let profile = check_profile(&txn, input, Some(&old)).await?;
    let mut what = changes(&old, &profile);
    let more = [
        input.tax_exempt.filter(|v| *v != old.tax_exempt).map(|v| format!("tax_exempt: {} → {v}", old.tax_exempt)),
        input.billing_mode.and_then(|m| crate::billing::prepaid::change_note(&old, m)),
    ];
    for change in more.into_iter().flatten() {
        what = if what == NO_CHANGE { change } else { format!("{what}; {change}") };
    }
    let c = customers::update_profile(&txn, id, profile, &what, Some(actor), now)
        .await
        .map_err(phone_taken)?
        .ok_or_else(|| AppError::not_found("customer"))?;
    let c = exempt(&txn, c, input.tax_exempt).await?;
    let c = match input.billing_mode {
        Some(mode) => crate::billing::prepaid::switch_mode(&txn, c, mode).await?,
        None => c,
    };
    txn.commit().await.map_err(DbError::from)?;
    Ok(c)
}

/// Sets the customer's PPN exemption when `tax_exempt` says another than they have.
async fn exempt(conn: &impl ConnectionTrait, mut c: Customer, tax_exempt: Option<bool>) -> AppResult<Customer> {
    if let Some(v) = tax_exempt.filter(|v| *v != c.tax_exempt) {
        customers::set_tax_exempt(conn, c.id, v).await?;
        c.tax_exempt = v;
    }
    Ok(c)
}

/// Moves a customer along its life cycle; a terminated customer's port is freed.
pub async fn change_status(
    state: &AppState,
    id: i64,
    to: CustomerStatus,
    reason: &str,
    actor: Option<i64>,
) -> AppResult<Customer> {
    // Suspending and restoring also switch the network and tell the customer (issue 21).
    let current = customers::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("customer"))?;
    let switch = match (current.status, to) {
        (CustomerStatus::Active, CustomerStatus::Suspended) => Some(ServiceState::Suspended),
        (CustomerStatus::Suspended, CustomerStatus::Active) => Some(ServiceState::Active),
        _ => None,
    };
    if let (Some(want), Some(actor)) = (switch, actor) {
        if want == ServiceState::Suspended && reason.trim().is_empty() {
            return Err(AppError::field("reason", msg("val.status.reason", &[])));
        }
        let name = aglis_db::repo::users::get(&state.db, actor).await?.map(|u| u.username).unwrap_or_default();
        let by = crate::enforcement::service::Requester::Staff(actor, name);
        crate::enforcement::service::set_service(state, id, want, SuspendReason::Manual, reason, &by).await?;
        return customers::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("customer"));
    }
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let c = customers::get(&txn, id).await?.ok_or_else(|| AppError::not_found("customer"))?;
    customer::transition(c.status, to).map_err(|e| AppError::Conflict {
        detail: e.to_string(),
        fields: [("status".to_owned(), vec![format!("allowed from {}: {}", c.status, allowed(c.status))])].into(),
    })?;
    let reason: String = reason.trim().chars().take(500).collect();
    if matches!(to, CustomerStatus::Suspended | CustomerStatus::Terminated) && reason.is_empty() {
        return Err(AppError::field("reason", msg("val.status.reason", &[])));
    }
    customers::set_status(&txn, id, to, &reason, actor, now).await?;
    if let (Some(odp), CustomerStatus::Terminated) = (c.odp_id, to) {
        odps::recount(&txn, odp, now).await?;
    }
    txn.commit().await.map_err(DbError::from)?;
    customers::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("customer"))
}

fn allowed(from: CustomerStatus) -> String {
    let next: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
    if next.is_empty() { "nothing".into() } else { next.join(", ") }
}

/// Connects a customer to an ODP port (the lowest free one when `port` is `None`), freeing the
/// previous one.
pub async fn assign_port(
    state: &AppState,
    id: i64,
    odp_id: i64,
    port: Option<i32>,
    actor: Option<i64>,
) -> AppResult<Customer> {
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let c = customers::get(&txn, id).await?.ok_or_else(|| AppError::not_found("customer"))?;
    if c.status == CustomerStatus::Terminated {
        return Err(AppError::Conflict {
            detail: "a terminated customer holds no port".into(),
            fields: FieldErrors::new(),
        });
    }
    let odp = odps::get(&txn, odp_id)
        .await?
        .ok_or_else(|| AppError::field("odp_id", msg("val.unknown.odp", &[("id", &odp_id)])))?;
    if odp.status == OdpStatus::Maintenance || odp.status == OdpStatus::Inactive {
        return Err(AppError::field(
            "odp_id",
            msg("val.odp.not_usable", &[("code", &odp.code), ("status", &odp.status)]),
        ));
    }
    let taken: Vec<i32> = odps::taken_ports(&txn, odp_id)
        .await?
        .into_iter()
        .filter(|p| !(c.odp_id == Some(odp_id) && c.odp_port == Some(*p)))
        .collect();
    let port = match port {
        Some(p) => {
            check_port(p, odp.total_ports).map_err(|e| AppError::field("port", e.explain()))?;
            if taken.contains(&p) {
                return Err(AppError::field("port", msg("val.port.taken", &[("port", &p), ("code", &odp.code)])));
            }
            p
        }
        None => (1..=odp.total_ports)
            .find(|p| !taken.contains(p))
            .ok_or_else(|| AppError::field("odp_id", msg("val.odp.full", &[("code", &odp.code)])))?,
    };
    let detail = format!("{} port {port}", odp.code);
    customers::set_port(&txn, id, Some((odp_id, port)), &detail, actor, now).await?;
    odps::recount(&txn, odp_id, now).await?;
    if let Some(previous) = c.odp_id.filter(|p| *p != odp_id) {
        odps::recount(&txn, previous, now).await?;
    }
    txn.commit().await.map_err(DbError::from)?;
    customers::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("customer"))
}

/// Creates the customer's portal account (role `customer`) and links it.
pub async fn create_account(
    state: &AppState,
    id: i64,
    username: &str,
    password: &str,
    actor: i64,
) -> AppResult<Customer> {
    let c = customers::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("customer"))?;
    if c.user_id.is_some() {
        return Err(AppError::Conflict {
            detail: format!("{} already has a portal account", c.name),
            fields: FieldErrors::new(),
        });
    }
    let cmd = crate::users::service::CreateUser::parse(
        username,
        password,
        &c.name,
        c.email.as_deref(),
        Some(&c.phone),
        Role::Customer,
    )?;
    let new = crate::users::service::prepare(cmd).await?;
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let user = crate::users::service::insert(&txn, new, now).await?;
    customers::set_user(&txn, id, Some(user.id)).await?;
    customers::add_event(&txn, id, "account", &format!("portal account {}", user.username), Some(actor), now).await?;
    txn.commit().await.map_err(DbError::from)?;
    customers::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("customer"))
}

/// The list order a query string names: `name` (default), `newest` or `code`.
pub fn parse_sort(raw: Option<&str>) -> AppResult<aglis_db::repo::customers::Sort> {
    use aglis_db::repo::customers::Sort;
    match raw.unwrap_or("name") {
        "name" | "" => Ok(Sort::Name),
        "newest" => Ok(Sort::Newest),
        "code" => Ok(Sort::Code),
        other => Err(AppError::field("sort", format!("`{other}` is not name, newest or code"))),
    }
}
