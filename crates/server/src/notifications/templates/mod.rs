//! Notification texts per event and language: admins edit them with a preview; a text that uses a
//! variable its event does not provide is refused when it is saved, never discovered at send time.

pub mod api;
pub mod pages;

use crate::error::{AppError, AppResult, FieldErrors};
use aglis_core::notification::render;
use aglis_core::notification_catalog::{self, EventSpec};
use aglis_db::repo::notification_templates::{self, Template};
use sea_orm::ConnectionTrait;
use std::collections::BTreeMap;

pub const MAX_SUBJECT_CHARS: usize = 200;
pub const MAX_TEMPLATE_CHARS: usize = 4096;

/// The template's event from the catalog (a row for an unknown event is reported as corrupt data).
pub fn spec_of(t: &Template) -> AppResult<&'static EventSpec> {
    notification_catalog::event(&t.event)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("template {} has unknown event {}", t.id, t.event)))
}

/// Checks a subject and body for `event`, field by field.
pub fn check(event: &EventSpec, subject: &str, body: &str) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let names = event.variable_names();
    if body.chars().count() > MAX_TEMPLATE_CHARS {
        errors.insert("body".into(), vec![format!("the text is longer than {MAX_TEMPLATE_CHARS} characters")]);
    } else if let Err(e) = aglis_core::notification::check_template(body, &names) {
        errors.insert("body".into(), vec![e.to_string()]);
    }
    if subject.chars().count() > MAX_SUBJECT_CHARS {
        errors.insert("subject".into(), vec![format!("the subject is longer than {MAX_SUBJECT_CHARS} characters")]);
    } else if !subject.trim().is_empty()
        && let Err(e) = aglis_core::notification::check_template(subject, &names)
    {
        errors.insert("subject".into(), vec![e.to_string()]);
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// The text filled with `values`, falling back to the event's example values.
pub fn preview(
    event: &EventSpec,
    subject: &str,
    body: &str,
    values: &BTreeMap<String, String>,
) -> Result<(String, String), FieldErrors> {
    check(event, subject, body)?;
    let mut all = event.examples();
    all.extend(values.iter().map(|(k, v)| (k.clone(), v.clone())));
    let fill = |text: &str| render(text, &all).map_err(|e| e.to_string());
    match (fill(subject), fill(body)) {
        (Ok(s), Ok(b)) => Ok((s, b)),
        (s, b) => {
            let mut errors = FieldErrors::new();
            if let Err(e) = s {
                errors.insert("subject".into(), vec![e]);
            }
            if let Err(e) = b {
                errors.insert("body".into(), vec![e]);
            }
            Err(errors)
        }
    }
}

/// Saves new texts after checking them. 404 for an unknown id, 422 per field.
pub async fn save(
    conn: &impl ConnectionTrait,
    id: i64,
    subject: &str,
    body: &str,
    by: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Template> {
    let template = notification_templates::get(conn, id).await?.ok_or_else(|| AppError::not_found("template"))?;
    let event = spec_of(&template)?;
    let (subject, body) = (subject.trim(), body.trim());
    check(event, subject, body).map_err(AppError::fields)?;
    notification_templates::update(conn, id, subject, body, Some(by), now).await?;
    notification_templates::get(conn, id).await?.ok_or_else(|| AppError::not_found("template"))
}
