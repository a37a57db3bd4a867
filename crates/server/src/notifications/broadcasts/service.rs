//! The broadcast use cases: check a request into a [`Compose`], count its recipients, send it.

use crate::audit::{self, Entry, RequestMeta};
use crate::auth::session::Authenticated;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::i18n::msg;
use crate::notifications::service::queue;
use crate::state::AppState;
use aglis_core::audit::{AuditEvent, AuditResult};
use aglis_core::broadcast::{BodyError, MAX_BODY_CHARS, body_for, check_body};
use aglis_core::job::JobPriority;
use aglis_core::notification::Channel;
use aglis_db::repo::broadcasts::{self, Broadcast, NewBroadcast, Target};
use aglis_db::repo::messages::NewMessage;
use aglis_db::repo::{odps, packages};
use aglis_db::{DbError, TransactionTrait};
use sea_orm::ConnectionTrait;

/// What a request asks for, as typed: any of the three targets, the texts.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub odp_id: Option<i64>,
    pub area: Option<String>,
    pub package_id: Option<i64>,
    pub body: String,
    pub body_en: Option<String>,
}

/// A checked broadcast: one existing target, its name, the texts.
#[derive(Debug, Clone)]
pub struct Compose {
    pub target: Target,
    pub label: String,
    pub body_id: String,
    /// Empty when no English text was given.
    pub body_en: String,
}

fn body_message(e: BodyError) -> String {
    match e {
        BodyError::Empty => msg("val.broadcast.body_empty", &[]),
        BodyError::TooLong => msg("val.broadcast.body_long", &[("max", &MAX_BODY_CHARS)]),
    }
}

/// Checks `req`: exactly one target that exists, an Indonesian text, an optional English one.
/// Every problem is a 422 naming its field.
pub async fn check(conn: &impl ConnectionTrait, req: &Request) -> AppResult<Compose> {
    let mut errors = FieldErrors::new();
    let area = req.area.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let given = usize::from(req.odp_id.is_some()) + usize::from(area.is_some()) + usize::from(req.package_id.is_some());
    let mut target = None;
    if given != 1 {
        errors.insert("target".into(), vec![msg("val.broadcast.target", &[])]);
    } else if let Some(id) = req.odp_id {
        match odps::get(conn, id).await? {
            Some(odp) => target = Some((Target::Odp(id), format!("{} ({})", odp.code, odp.area))),
            None => {
                errors.insert("odp_id".into(), vec![msg("val.broadcast.no_odp", &[("id", &id)])]);
            }
        }
    } else if let Some(id) = req.package_id {
        match packages::get(conn, id).await? {
            Some(p) => target = Some((Target::Package(id), p.name)),
            None => {
                errors.insert("package_id".into(), vec![msg("val.broadcast.no_package", &[("id", &id)])]);
            }
        }
    } else if let Some(area) = area {
        if broadcasts::areas(conn).await?.iter().any(|a| a == area) {
            target = Some((Target::Area(area.to_owned()), area.to_owned()));
        } else {
            errors.insert("area".into(), vec![msg("val.broadcast.no_area", &[("area", &area)])]);
        }
    }
    let body_id = check_body(&req.body).map_err(|e| errors.insert("body".into(), vec![body_message(e)])).ok();
    let body_en = match req.body_en.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        None => Some(String::new()),
        Some(text) => check_body(text).map_err(|e| errors.insert("body_en".into(), vec![body_message(e)])).ok(),
    };
    match (target, body_id, body_en) {
        (Some((target, label)), Some(body_id), Some(body_en)) if errors.is_empty() => {
            Ok(Compose { target, label, body_id, body_en })
        }
        _ => Err(AppError::fields(errors)),
    }
}

/// How many customers a broadcast to `target` would reach; sends nothing.
pub async fn count(conn: &impl ConnectionTrait, target: &Target) -> AppResult<usize> {
    Ok(broadcasts::recipients(conn, target).await?.len())
}

/// Records the broadcast and queues one low-priority WhatsApp message per recipient, in their
/// language, all in one transaction; then audits it. A target nobody receives is a 422.
pub async fn send(state: &AppState, auth: &Authenticated, meta: &RequestMeta, c: Compose) -> AppResult<Broadcast> {
    let now = state.now();
    let txn = state.db.begin().await.map_err(DbError::from)?;
    let recipients = broadcasts::recipients(&txn, &c.target).await?;
    if recipients.is_empty() {
        return Err(AppError::field("target", msg("val.broadcast.nobody", &[("target", &c.label)])));
    }
    let new = NewBroadcast {
        target: c.target.clone(),
        target_label: c.label.clone(),
        body_id: c.body_id.clone(),
        body_en: c.body_en.clone(),
        recipients: i32::try_from(recipients.len()).unwrap_or(i32::MAX),
        created_by: Some(auth.user.id),
    };
    let broadcast = broadcasts::create(&txn, new, now).await?;
    for customer in &recipients {
        let message = NewMessage {
            channel: Channel::Whatsapp,
            recipient: customer.phone.clone(),
            subject: None,
            body: body_for(customer.language, &c.body_id, &c.body_en).to_owned(),
            template_code: None,
            variables: None,
            priority: JobPriority::Low,
            created_by: Some(auth.user.id),
        };
        let message = queue(&txn, message, now).await?;
        broadcasts::link(&txn, broadcast.id, message.id, customer.id).await?;
    }
    txn.commit().await.map_err(DbError::from)?;
    let details = serde_json::json!({
        "target": c.target.kind().as_str(),
        "target_label": c.label,
        "recipients": broadcast.recipients,
    });
    audit::record(
        state,
        Entry::new(AuditEvent::BroadcastSent, AuditResult::Success)
            .by(auth)
            .meta(meta)
            .resource(format!("broadcast:{}", broadcast.id))
            .details(details),
    )
    .await?;
    Ok(broadcast)
}
