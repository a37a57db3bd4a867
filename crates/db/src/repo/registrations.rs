//! Registrations (public sign-ups) and their steps; and the sign-up requests waiting for their
//! one-time code.

use crate::DbError;
use crate::entity::registration_events;
use crate::entity::registrations::{self, Column, Entity};
use crate::entity::signup_requests;
use aglis_core::notification_catalog::Language;
use aglis_core::registration::RegistrationStatus;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// An application is its row: status and language are read back typed (string-backed enums).
pub use crate::entity::registrations::Model as Registration;

/// What an applicant gives, checked by the caller.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Application {
    pub full_name: String,
    pub phone: String,
    pub email: Option<String>,
    pub address: String,
    pub city: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub package_id: i64,
    /// The sign-up page's language (absent in requests stored before it was kept: Indonesian).
    #[serde(default)]
    pub language: Language,
}

pub async fn add_event(
    conn: &impl ConnectionTrait,
    id: i64,
    status: RegistrationStatus,
    detail: &str,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    registration_events::ActiveModel {
        registration_id: Set(id),
        status: Set(status),
        detail: Set(detail.chars().take(1000).collect()),
        actor_id: Set(actor),
        at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let data = serde_json::json!({"registration_id": id, "status": status.as_str()});
    super::live_events::publish(conn, aglis_core::live::LiveKind::RegistrationStep, None, &[], None, data, now).await
}

/// Records a submitted registration with `number`; a taken number is `DbError::Unique`.
pub async fn create(
    conn: &impl ConnectionTrait,
    number: &str,
    a: Application,
    now: DateTime<Utc>,
) -> Result<Registration, DbError> {
    let model = registrations::ActiveModel {
        number: Set(number.to_owned()),
        full_name: Set(a.full_name),
        phone: Set(a.phone),
        email: Set(a.email),
        address: Set(a.address),
        city: Set(a.city),
        latitude: Set(a.latitude),
        longitude: Set(a.longitude),
        package_id: Set(a.package_id),
        status: Set(RegistrationStatus::Submitted),
        language: Set(a.language),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    add_event(conn, model.id, RegistrationStatus::Submitted, "", None, now).await?;
    Ok(model)
}

/// The fields a step sets besides the status.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepFields {
    pub reason: Option<String>,
    pub survey_at: Option<DateTime<Utc>>,
    pub survey_feasible: Option<bool>,
    pub odp_id: Option<i64>,
    pub installation_at: Option<DateTime<Utc>>,
    pub customer_id: Option<i64>,
}

/// Moves a registration from `from` to `to` (checked by the caller). `false` if it was no longer
/// `from` (another step got there first).
#[allow(clippy::too_many_arguments)]
pub async fn step(
    conn: &impl ConnectionTrait,
    id: i64,
    from: RegistrationStatus,
    to: RegistrationStatus,
    f: StepFields,
    detail: &str,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let mut update = Entity::update_many()
        .col_expr(Column::Status, Expr::value(to.as_str()))
        .col_expr(Column::UpdatedAt, Expr::value(now));
    if let Some(r) = f.reason {
        update = update.col_expr(Column::Reason, Expr::value(r));
    }
    if let Some(t) = f.survey_at {
        update = update.col_expr(Column::SurveyAt, Expr::value(t));
    }
    if let Some(b) = f.survey_feasible {
        update = update.col_expr(Column::SurveyFeasible, Expr::value(b));
    }
    if let Some(o) = f.odp_id {
        update = update.col_expr(Column::OdpId, Expr::value(o));
    }
    if let Some(t) = f.installation_at {
        update = update.col_expr(Column::InstallationAt, Expr::value(t));
    }
    if let Some(c) = f.customer_id {
        update = update.col_expr(Column::CustomerId, Expr::value(c));
    }
    let res = update.filter(Column::Id.eq(id)).filter(Column::Status.eq(from.as_str())).exec(conn).await?;
    if res.rows_affected == 1 {
        add_event(conn, id, to, detail, actor, now).await?;
    }
    Ok(res.rows_affected == 1)
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Option<Registration>, DbError> {
    Ok(Entity::find_by_id(id).one(conn).await?)
}

pub async fn by_number(conn: &impl ConnectionTrait, number: &str) -> Result<Option<Registration>, DbError> {
    Ok(Entity::find().filter(Column::Number.eq(number)).one(conn).await?)
}

/// Open (not closed) registrations of a phone number.
pub async fn open_for_phone(conn: &impl ConnectionTrait, phone: &str) -> Result<Vec<Registration>, DbError> {
    let closed = [RegistrationStatus::Activated, RegistrationStatus::Rejected, RegistrationStatus::Cancelled]
        .map(|s| s.as_str());
    Ok(Entity::find().filter(Column::Phone.eq(phone)).filter(Column::Status.is_not_in(closed)).all(conn).await?)
}

/// The next registration number of the day at `now` (see [`crate::codes::next`]).
pub async fn next_number(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Result<String, aglis_core::codes::SeriesFull>, DbError> {
    let series = aglis_core::registration::number_series(now);
    let highest = highest_number(conn, &series.prefix).await?;
    crate::codes::next(conn, &series, highest.as_deref()).await
}

/// The day's highest registration number starting with `prefix` (`REG20261125`).
pub async fn highest_number(conn: &impl ConnectionTrait, prefix: &str) -> Result<Option<String>, DbError> {
    Ok(Entity::find()
        .select_only()
        .column(Column::Number)
        .filter(Column::Number.gte(prefix.to_owned()))
        .filter(Column::Number.lt(format!("{prefix}~")))
        .order_by_desc(Column::Number)
        .limit(1)
        .into_tuple::<String>()
        .one(conn)
        .await?)
}

pub async fn events(conn: &impl ConnectionTrait, id: i64) -> Result<Vec<registration_events::Model>, DbError> {
    Ok(registration_events::Entity::find()
        .filter(registration_events::Column::RegistrationId.eq(id))
        .order_by_asc(registration_events::Column::Id)
        .all(conn)
        .await?)
}

#[derive(Debug, Clone, Default)]
pub struct RegistrationQuery {
    pub status: Option<RegistrationStatus>,
    /// The number, or part of the name or phone.
    pub q: Option<String>,
    pub page: u64,
    pub per_page: u64,
}

pub async fn list(conn: &impl ConnectionTrait, query: &RegistrationQuery) -> Result<(Vec<Registration>, u64), DbError> {
    let mut cond = Condition::all();
    if let Some(s) = query.status {
        cond = cond.add(Column::Status.eq(s.as_str()));
    }
    if let Some(q) = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        cond = cond.add(
            Condition::any()
                .add(super::contains_ci(Column::Number, q))
                .add(super::contains_ci(Column::FullName, q))
                .add(super::contains_ci(Column::Phone, q)),
        );
    }
    let select = Entity::find().filter(cond);
    let total = select.clone().count(conn).await?;
    let per_page = Ord::max(query.per_page, 1);
    let rows = select
        .order_by_desc(Column::Id)
        .offset(query.page.saturating_sub(1) * per_page)
        .limit(per_page)
        .all(conn)
        .await?;
    Ok((rows, total))
}

/// Registrations per status (every status present).
pub async fn status_counts(conn: &impl ConnectionTrait) -> Result<Vec<(RegistrationStatus, i64)>, DbError> {
    let rows: Vec<(String, i64)> = Entity::find()
        .select_only()
        .column(Column::Status)
        .column_as(Expr::col(Column::Id).count(), "n")
        .group_by(Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(RegistrationStatus::ALL
        .iter()
        .map(|s| (*s, rows.iter().find(|(n, _)| n == s.as_str()).map_or(0, |(_, n)| *n)))
        .collect())
}

pub type SignupRequest = signup_requests::Model;

pub async fn create_request(
    conn: &impl ConnectionTrait,
    token_hash: &str,
    phone: &str,
    payload: &str,
    code_hash: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<SignupRequest, DbError> {
    Ok(signup_requests::ActiveModel {
        token_hash: Set(token_hash.to_owned()),
        phone: Set(phone.to_owned()),
        payload: Set(payload.to_owned()),
        code_hash: Set(code_hash.to_owned()),
        attempts: Set(0),
        expires_at: Set(expires_at),
        confirmed_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

pub async fn request_by_token(conn: &impl ConnectionTrait, token_hash: &str) -> Result<Option<SignupRequest>, DbError> {
    Ok(signup_requests::Entity::find().filter(signup_requests::Column::TokenHash.eq(token_hash)).one(conn).await?)
}

/// Counts a wrong code.
pub async fn bump_attempts(conn: &impl ConnectionTrait, id: i64) -> Result<(), DbError> {
    signup_requests::Entity::update_many()
        .col_expr(signup_requests::Column::Attempts, Expr::col(signup_requests::Column::Attempts).add(1))
        .filter(signup_requests::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Marks a request confirmed; `false` if it already was (a double submit).
pub async fn confirm_request(conn: &impl ConnectionTrait, id: i64, now: DateTime<Utc>) -> Result<bool, DbError> {
    let res = signup_requests::Entity::update_many()
        .col_expr(signup_requests::Column::ConfirmedAt, Expr::value(now))
        .filter(signup_requests::Column::Id.eq(id))
        .filter(signup_requests::Column::ConfirmedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}
