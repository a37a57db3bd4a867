//! Sign-up, workflow steps and tracking. Every step writes the registration's history and queues
//! the applicant's WhatsApp message in the same transaction.

use crate::auth::session::Authenticated;
use crate::auth::token::{constant_time_eq, hash_token, random_token};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::i18n::Lang;
use crate::i18n::msg;
use crate::notifications::service::queue_event;
use crate::state::AppState;
use crate::validation::{Explain, push};
use aglis_core::customer::{self as cust, CustomerStatus};
use aglis_core::job::JobPriority;
use aglis_core::money::Rupiah;
use aglis_core::network::check_location;
use aglis_core::notification_catalog::Language;
use aglis_core::phone::Phone;
use aglis_core::registration::{self, RegistrationStatus, StepInput, check_step};
use aglis_core::user::parse_email;
use aglis_db::entity::registration_events;
use aglis_db::repo::customers::{self, Profile};
use aglis_db::repo::registrations::{self, Application, Registration, StepFields};
use aglis_db::repo::{odps, packages};
use aglis_db::{DbError, TransactionTrait};
use chrono::Duration;
use sea_orm::ConnectionTrait;
use std::collections::BTreeMap;

/// How long a sign-up code is valid, and how many wrong codes end it.
pub const CODE_MINUTES: i64 = 10;
pub const MAX_CODE_ATTEMPTS: i32 = 5;
/// Sign-ups started per IP address and per phone number per hour; tracking look-ups per IP per 10 minutes.
pub const SIGNUPS_PER_IP_HOUR: u32 = 5;
pub const SIGNUPS_PER_PHONE_HOUR: u32 = 3;
pub const TRACKS_PER_IP: u32 = 10;

/// The sign-up form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ApplicationInput {
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub latitude: String,
    #[serde(default)]
    pub longitude: String,
    #[serde(default)]
    pub package_id: String,
}

/// Checks an application field by field: an Indonesian mobile number nobody else has an open
/// registration or a subscription with, a package on sale, a place on the map if given.
pub async fn check_application(conn: &impl ConnectionTrait, i: &ApplicationInput) -> AppResult<Application> {
    let mut e = FieldErrors::new();
    let full_name = cust::parse_name(&i.full_name).map_err(|err| push(&mut e, "full_name", err.explain())).ok();
    let phone =
        Phone::parse(&i.phone).map(|p| p.as_str().to_owned()).map_err(|err| push(&mut e, "phone", err.explain())).ok();
    let email = Some(i.email.trim())
        .filter(|s| !s.is_empty())
        .map(parse_email)
        .transpose()
        .map_err(|err| push(&mut e, "email", err.explain()))
        .ok()
        .flatten();
    let address = cust::parse_address(&i.address).map_err(|err| push(&mut e, "address", err.explain())).ok();
    let city = i.city.trim().to_owned();
    if !(2..=100).contains(&city.chars().count()) {
        push(&mut e, "city", msg("val.city.required", &[]));
    }
    let coord = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(|s| s.replace(',', ".").parse::<f64>());
    let (latitude, longitude) = match (coord(&i.latitude), coord(&i.longitude)) {
        (None, None) => (None, None),
        (Some(Ok(lat)), Some(Ok(lon))) if check_location(lat, lon).is_ok() => (Some(lat), Some(lon)),
        _ => {
            push(&mut e, "latitude", msg("val.location", &[]));
            (None, None)
        }
    };
    let package_id = match i.package_id.trim().parse::<i64>() {
        Err(_) => {
            push(&mut e, "package_id", msg("val.package.choose", &[]));
            None
        }
        Ok(id) => match packages::get(conn, id).await? {
            Some(p) if p.is_active => Some(id),
            Some(p) => {
                push(&mut e, "package_id", msg("val.package.not_sold", &[("name", &p.name)]));
                None
            }
            None => {
                push(&mut e, "package_id", msg("val.package.choose", &[]));
                None
            }
        },
    };
    if let Some(p) = &phone {
        if let Some(r) = registrations::open_for_phone(conn, p).await?.first() {
            push(&mut e, "phone", msg("val.phone.registration_open", &[("number", &r.number)]));
        } else if customers::by_phone(conn, p).await?.is_some() {
            push(&mut e, "phone", msg("val.phone.customer_exists", &[]));
        }
    }
    match (full_name, phone, address, package_id) {
        (Some(full_name), Some(phone), Some(address), Some(package_id)) if e.is_empty() => Ok(Application {
            full_name,
            phone,
            email,
            address,
            city,
            latitude,
            longitude,
            package_id,
            language: Language::Id,
        }),
        _ => Err(AppError::fields(e)),
    }
}

async fn limit(state: &AppState, key: &str, per: u32, window: Duration, what: &str) -> AppResult<()> {
    match aglis_db::rate_limit::acquire(&state.db, key, per, window, state.now()).await? {
        Ok(()) => Ok(()),
        Err(until) => {
            let secs = u64::try_from((until - state.now()).num_seconds().max(1)).unwrap_or(60);
            Err(AppError::TooManyRequests {
                detail: format!("too many {what}; try again in {} minutes", secs.div_ceil(60)),
                retry_after_secs: secs,
            })
        }
    }
}

fn code_hash(token: &str, code: &str) -> String {
    hash_token(&format!("{token}:{code}"))
}

/// Starts a sign-up: checks it, limits it per IP and phone, and sends a one-time code by
/// WhatsApp. Returns the token of the confirmation page.
pub async fn start_signup(state: &AppState, input: &ApplicationInput, ip: &str, lang: Lang) -> AppResult<String> {
    let mut app = check_application(&state.db, input).await?;
    app.language = Language::from(lang);
    limit(state, &format!("signup-ip:{ip}"), SIGNUPS_PER_IP_HOUR, Duration::hours(1), "sign-ups from this address")
        .await?;
    limit(
        state,
        &format!("signup-phone:{}", app.phone),
        SIGNUPS_PER_PHONE_HOUR,
        Duration::hours(1),
        "codes sent to this number",
    )
    .await?;
    let token = random_token();
    let code = format!("{:06}", rand::random_range(0..1_000_000u32));
    let now = state.now();
    let payload = serde_json::to_string(&app).map_err(|e| AppError::Internal(e.into()))?;
    let txn = state.db.begin().await.map_err(DbError::from)?;
    registrations::create_request(
        &txn,
        &hash_token(&token),
        &app.phone,
        &payload,
        &code_hash(&token, &code),
        now + Duration::minutes(CODE_MINUTES),
        now,
    )
    .await?;
    let values: BTreeMap<String, String> =
        [("customerName", app.full_name.clone()), ("otpCode", code), ("expiryMinutes", CODE_MINUTES.to_string())]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
    queue_event(&txn, "signup_otp", Language::from(lang), &app.phone, &values, JobPriority::Critical, now).await?;
    txn.commit().await.map_err(DbError::from)?;
    Ok(token)
}

pub fn tracking_url(state: &AppState, number: &str) -> String {
    format!("{}/track?number={number}", state.config.base_url.trim_end_matches('/'))
}

/// Confirms a sign-up with its code: the registration is created (once) and confirmed by WhatsApp.
pub async fn confirm_signup(state: &AppState, token: &str, code: &str, lang: Lang) -> AppResult<Registration> {
    let now = state.now();
    let request = registrations::request_by_token(&state.db, &hash_token(token))
        .await?
        .ok_or_else(|| AppError::NotFound("this sign-up link is not valid; start again".into()))?;
    if request.confirmed_at.is_some() {
        return Err(AppError::Conflict {
            detail: "this sign-up is already confirmed".into(),
            fields: FieldErrors::new(),
        });
    }
    if request.expires_at < now {
        return Err(AppError::field("code", msg("val.signup.code_expired", &[])));
    }
    if request.attempts >= MAX_CODE_ATTEMPTS {
        return Err(AppError::TooManyRequests {
            detail: "too many wrong codes; start the sign-up again".into(),
            retry_after_secs: 600,
        });
    }
    if !constant_time_eq(&code_hash(token, code.trim()), &request.code_hash) {
        registrations::bump_attempts(&state.db, request.id).await?;
        let left = MAX_CODE_ATTEMPTS - request.attempts - 1;
        return Err(AppError::field("code", msg("val.signup.code_wrong", &[("left", &left)])));
    }
    let app: Application = serde_json::from_str(&request.payload).map_err(|e| AppError::Internal(e.into()))?;
    let package = packages::get(&state.db, app.package_id).await?;
    {
        let txn = state.db.begin().await.map_err(DbError::from)?;
        if !registrations::confirm_request(&txn, request.id, now).await? {
            return Err(AppError::Conflict {
                detail: "this sign-up is already confirmed".into(),
                fields: FieldErrors::new(),
            });
        }
        let number = registrations::next_number(&txn, now).await??;
        let reg = registrations::create(&txn, &number, app.clone(), now).await?;
        let values: BTreeMap<String, String> = [
            ("customerName", reg.full_name.clone()),
            ("registrationNumber", reg.number.clone()),
            ("packageName", package.as_ref().map(|p| p.name.clone()).unwrap_or_default()),
            ("price", package.as_ref().map(|p| Rupiah(p.monthly_price).to_string()).unwrap_or_default()),
            ("trackingUrl", tracking_url(state, &reg.number)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        queue_event(
            &txn,
            "registration_confirmation",
            Language::from(lang),
            &reg.phone,
            &values,
            JobPriority::High,
            now,
        )
        .await?;
        txn.commit().await.map_err(DbError::from)?;
        Ok(reg)
    }
}

/// Takes one workflow step as `actor`. Approval creates the customer (a prospect); activation
/// makes them active on the surveyed ODP. The applicant hears of each step by WhatsApp.
pub async fn step(
    state: &AppState,
    id: i64,
    to: RegistrationStatus,
    input: StepInput,
    actor: &Authenticated,
) -> AppResult<Registration> {
    if !actor.user.role.can(to.permission()) {
        return Err(AppError::Forbidden(format!("your role ({}) cannot make a registration {to}", actor.user.role)));
    }
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let reg = registrations::get(&txn, id).await?.ok_or_else(|| AppError::not_found("registration"))?;
    check_step(reg.status, to, &input, reg.survey_feasible, now).map_err(|e| {
        let field = e.field();
        let mut fields = FieldErrors::new();
        fields.insert(field.into(), vec![e.to_string()]);
        match e {
            registration::StepError::Transition { .. } | registration::StepError::NotFeasible => {
                AppError::Conflict { detail: e.to_string(), fields }
            }
            _ => AppError::fields(fields),
        }
    })?;
    let mut fields = StepFields::default();
    let mut detail = input.notes.clone().unwrap_or_default();
    match to {
        RegistrationStatus::Rejected | RegistrationStatus::Cancelled => {
            fields.reason = input.reason.clone().map(|r| r.trim().chars().take(500).collect());
            detail = fields.reason.clone().unwrap_or_default();
        }
        RegistrationStatus::SurveyScheduled => fields.survey_at = input.scheduled_at,
        RegistrationStatus::InstallationScheduled => fields.installation_at = input.scheduled_at,
        RegistrationStatus::Surveyed => {
            fields.survey_feasible = input.feasible;
            if let Some(odp) = input.odp_id {
                odps::get(&txn, odp)
                    .await?
                    .ok_or_else(|| AppError::field("odp_id", crate::i18n::msg("val.unknown.odp", &[("id", &odp)])))?;
                fields.odp_id = Some(odp);
            }
        }
        RegistrationStatus::Approved => {
            let profile = Profile {
                name: reg.full_name.clone(),
                phone: reg.phone.clone(),
                email: reg.email.clone(),
                ktp: None,
                address: reg.address.clone(),
                city: reg.city.clone(),
                latitude: reg.latitude,
                longitude: reg.longitude,
                package_id: reg.package_id,
                notes: format!("From registration {}", reg.number),
                language: reg.language,
            };
            if let Some(other) = customers::by_phone(&txn, &reg.phone).await? {
                return Err(AppError::Conflict {
                    detail: format!("customer {} already has this number", other.code),
                    fields: FieldErrors::new(),
                });
            }
            let code = customers::next_code(&txn, now).await??;
            let c = customers::create(&txn, &code, profile, CustomerStatus::Prospect, Some(actor.user.id), now).await?;
            fields.customer_id = Some(c.id);
            let install = aglis_db::repo::tickets::NewTicket {
                customer_id: Some(c.id),
                registration_id: Some(reg.id),
                ticket_type: aglis_core::ticket::TicketType::Installation,
                category: "ftth_installation".into(),
                priority: aglis_core::ticket::Priority::Normal,
                title: format!("Pemasangan baru {}", reg.number),
                description: format!("Pemasangan {} untuk {} ({})", reg.number, reg.full_name, c.code),
                location: format!("{}, {}", reg.address, reg.city),
                latitude: reg.latitude,
                longitude: reg.longitude,
            };
            let t = crate::tickets::service::create_in(&txn, &state.config.base_url, install, Some(actor.user.id), now)
                .await?;
            detail = format!("customer {code}, installation ticket {}", t.number);
        }
        RegistrationStatus::Activated => {
            if let Some(cid) = reg.customer_id {
                customers::set_status(
                    &txn,
                    cid,
                    CustomerStatus::Active,
                    &format!("installed ({})", reg.number),
                    Some(actor.user.id),
                    now,
                )
                .await?;
                if let Some(odp) = reg.odp_id {
                    let taken = odps::taken_ports(&txn, odp).await?;
                    let total = odps::get(&txn, odp).await?.map_or(0, |o| o.total_ports);
                    if let Some(port) = (1..=total).find(|p| !taken.contains(p)) {
                        customers::set_port(
                            &txn,
                            cid,
                            Some((odp, port)),
                            &format!("port {port}"),
                            Some(actor.user.id),
                            now,
                        )
                        .await?;
                        odps::recount(&txn, odp, now).await?;
                    }
                }
            }
        }
        _ => {}
    }
    if !registrations::step(&txn, id, reg.status, to, fields, &detail, Some(actor.user.id), now).await? {
        return Err(AppError::Conflict {
            detail: "someone else changed this registration; reload it".into(),
            fields: FieldErrors::new(),
        });
    }
    let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.with_timezone(&aglis_core::schedule::JAKARTA).format("%d/%m/%Y %H.%M WIB").to_string())
            .unwrap_or_default()
    };
    let message_detail = match to {
        RegistrationStatus::SurveyScheduled | RegistrationStatus::InstallationScheduled => when(input.scheduled_at),
        RegistrationStatus::Rejected | RegistrationStatus::Cancelled => detail.clone(),
        _ => String::new(),
    };
    let values: BTreeMap<String, String> = [
        ("customerName", reg.full_name.clone()),
        ("registrationNumber", reg.number.clone()),
        ("status", Lang::from(reg.language).t(&format!("reg.status.{}", to.as_str())).to_owned()),
        ("detail", message_detail),
        ("trackingUrl", tracking_url(state, &reg.number)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    queue_event(&txn, "registration_status", reg.language, &reg.phone, &values, JobPriority::High, now).await?;
    txn.commit().await.map_err(DbError::from)?;
    registrations::get(&state.db, id).await?.ok_or_else(|| AppError::not_found("registration"))
}

/// The tracking page's look-up: the registration with this number *and* phone, or nothing.
/// Limited per IP address so numbers cannot be guessed.
pub async fn track(
    state: &AppState,
    number: &str,
    phone: &str,
    ip: &str,
) -> AppResult<Option<(Registration, Vec<registration_events::Model>)>> {
    limit(state, &format!("track-ip:{ip}"), TRACKS_PER_IP, Duration::minutes(10), "look-ups from this address").await?;
    let Ok(phone) = Phone::parse(phone) else { return Ok(None) };
    let number = number.trim().to_uppercase();
    match registrations::by_number(&state.db, &number).await? {
        Some(r) if r.phone == phone.as_str() => {
            let events = registrations::events(&state.db, r.id).await?;
            Ok(Some((r, events)))
        }
        _ => Ok(None),
    }
}
