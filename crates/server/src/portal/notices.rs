//! `/admin/portal`: what staff write for the customer portal — the help page's questions and
//! answers and the announcements on its home (for everyone, or for one city's customers, until
//! a day), each in Indonesian and English. The portal reads them in the customer's language.

use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::extract::{ApiForm, ApiQuery, IdPath};
use crate::i18n::{Lang, msg};
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_db::repo::portal_notices::{self, ANNOUNCEMENT, FAQ, NewNotice, Notice};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/portal", get(page).post(add))
        .route("/admin/portal/{id}", post(update))
        .route("/admin/portal/{id}/delete", post(remove))
}

/// A notice in one language, the Indonesian text standing in for missing English.
pub struct Localised {
    pub title: String,
    pub body: String,
    pub city: Option<String>,
}

pub fn localise(n: &Notice, lang: Lang) -> Localised {
    let (title, body) = match lang {
        Lang::En if !n.title_en.trim().is_empty() => (n.title_en.clone(), n.body_en.clone()),
        _ => (n.title_id.clone(), n.body_id.clone()),
    };
    Localised { title, body, city: n.city.clone() }
}

#[derive(Debug, Deserialize, Default, Clone)]
pub struct NoticeForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    title_id: String,
    #[serde(default)]
    body_id: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    body_en: String,
    #[serde(default)]
    ends_on: String,
}

/// Checks the form: a kind, an Indonesian title and text, lengths, and a last day not past.
fn check(f: &NoticeForm, today: NaiveDate) -> Result<NewNotice, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut err = |field: &str, m: String| errors.entry(field.to_owned()).or_default().push(m);
    let kind = match f.kind.as_str() {
        "faq" => FAQ,
        "announcement" => ANNOUNCEMENT,
        _ => {
            err("kind", msg("val.notice.kind", &[]));
            FAQ
        }
    };
    let text = |s: &str| s.trim().to_owned();
    for (field, value, max) in [
        ("title_id", &f.title_id, 200),
        ("body_id", &f.body_id, 2_000),
        ("title_en", &f.title_en, 200),
        ("body_en", &f.body_en, 2_000),
    ] {
        let n = value.trim().chars().count();
        let min = if field.ends_with("_id") { 3 } else { 0 };
        if n < min || n > max {
            err(field, msg("val.length", &[("min", &min), ("max", &max)]));
        }
    }
    let city = Some(text(&f.city)).filter(|c| !c.is_empty());
    if city.as_ref().is_some_and(|c| c.chars().count() > 60) {
        err("city", msg("val.length", &[("min", &1), ("max", &60)]));
    }
    let ends_on = match f.ends_on.trim() {
        "" => None,
        raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) if d >= today => Some(d),
            Ok(_) => {
                err("ends_on", msg("val.notice.past", &[]));
                None
            }
            Err(_) => {
                err("ends_on", msg("val.notice.date", &[]));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewNotice {
        kind,
        city: if kind == ANNOUNCEMENT { city } else { None },
        title_id: text(&f.title_id),
        body_id: text(&f.body_id),
        title_en: text(&f.title_en),
        body_en: text(&f.body_en),
        position: 0,
        ends_on: if kind == ANNOUNCEMENT { ends_on } else { None },
        created_by: None,
    })
}

#[derive(Template)]
#[template(path = "portal/admin.html")]
struct AdminPage {
    shell: Shell,
    faq: Vec<Notice>,
    announcements: Vec<Notice>,
    form: NoticeForm,
    /// The notice the form changes (none: the form adds one).
    editing: Option<i64>,
    errors: FieldErrors,
    today: NaiveDate,
}

impl AdminPage {
    fn error(&self, field: &str) -> String {
        self.shell.field_error(&self.errors, field)
    }

    fn ended(&self, n: &Notice) -> bool {
        n.ends_on.is_some_and(|d| d < self.today)
    }
}

async fn show(
    state: &AppState,
    shell: Shell,
    form: NoticeForm,
    editing: Option<i64>,
    errors: FieldErrors,
) -> AppResult<Response> {
    let faq = portal_notices::all(&state.reads, FAQ).await?;
    let announcements = portal_notices::all(&state.reads, ANNOUNCEMENT).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let today = state.now().with_timezone(&aglis_core::schedule::JAKARTA).date_naive();
    Ok((status, render(&AdminPage { shell, faq, announcements, form, editing, errors, today })?).into_response())
}

#[derive(Debug, Deserialize, Default)]
struct EditQuery {
    edit: Option<i64>,
}

/// The lists and the form: empty to add, or filled with `?edit=<id>`'s notice to change it.
async fn page(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::MasterDataManage>,
    ApiQuery(q): ApiQuery<EditQuery>,
) -> AppResult<Response> {
    let Some(id) = q.edit else {
        let form = NoticeForm { kind: "announcement".into(), ..NoticeForm::default() };
        return show(&state, shell, form, None, FieldErrors::new()).await;
    };
    let n = portal_notices::get(&state.reads, id).await?.ok_or_else(|| AppError::not_found("notice"))?;
    let form = NoticeForm {
        kind: n.kind,
        city: n.city.unwrap_or_default(),
        title_id: n.title_id,
        body_id: n.body_id,
        title_en: n.title_en,
        body_en: n.body_en,
        ends_on: n.ends_on.map(|d| d.to_string()).unwrap_or_default(),
    };
    show(&state, shell, form, Some(id), FieldErrors::new()).await
}

async fn update(
    State(state): State<AppState>,
    shell: Shell,
    _staff: Staff<perm::MasterDataManage>,
    IdPath(id): IdPath,
    ApiForm(f): ApiForm<NoticeForm>,
) -> AppResult<Response> {
    let today = state.now().with_timezone(&aglis_core::schedule::JAKARTA).date_naive();
    match check(&f, today) {
        Ok(n) => {
            if !portal_notices::update(&state.db, id, n, state.now()).await? {
                return Err(AppError::not_found("notice"));
            }
            Ok(Redirect::to("/admin/portal").into_response())
        }
        Err(errors) => show(&state, shell, f, Some(id), errors).await,
    }
}

async fn add(
    State(state): State<AppState>,
    shell: Shell,
    staff: Staff<perm::MasterDataManage>,
    ApiForm(f): ApiForm<NoticeForm>,
) -> AppResult<Response> {
    let today = state.now().with_timezone(&aglis_core::schedule::JAKARTA).date_naive();
    match check(&f, today) {
        Ok(mut new) => {
            new.created_by = Some(staff.auth().user.id);
            if new.kind == FAQ {
                new.position = i32::try_from(portal_notices::count(&state.db, FAQ).await? + 1).unwrap_or(i32::MAX);
            }
            portal_notices::create(&state.db, new, state.now()).await?;
            Ok(Redirect::to("/admin/portal").into_response())
        }
        Err(errors) => show(&state, shell, f, None, errors).await,
    }
}

async fn remove(
    State(state): State<AppState>,
    _staff: Staff<perm::MasterDataManage>,
    IdPath(id): IdPath,
) -> AppResult<Response> {
    if !portal_notices::delete(&state.db, id).await? {
        return Err(AppError::not_found("notice"));
    }
    Ok(Redirect::to("/admin/portal").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_notice_needs_indonesian_text_and_a_day_not_past() {
        let today = day("2026-12-07");
        let ok = NoticeForm {
            kind: "announcement".into(),
            city: " Karawang ".into(),
            title_id: "Pemeliharaan jaringan".into(),
            body_id: "Sabtu 01.00–03.00 WIB".into(),
            ends_on: "2026-12-12".into(),
            ..NoticeForm::default()
        };
        let n = check(&ok, today).expect("valid");
        assert_eq!((n.kind, n.city.as_deref(), n.ends_on), (ANNOUNCEMENT, Some("Karawang"), Some(day("2026-12-12"))));
        let past = NoticeForm { ends_on: "2026-12-06".into(), ..ok.clone() };
        assert!(check(&past, today).expect_err("past").contains_key("ends_on"));
        let bad = NoticeForm { kind: "spam".into(), title_id: "x".into(), ends_on: "besok".into(), ..ok.clone() };
        let e = check(&bad, today).expect_err("bad");
        assert!(e.contains_key("kind") && e.contains_key("title_id") && e.contains_key("ends_on"), "{e:?}");
        let faq = NoticeForm { kind: "faq".into(), ..ok };
        let n = check(&faq, today).expect("faq");
        assert_eq!((n.city, n.ends_on), (None, None), "a question is for everyone, always");
    }

    #[test]
    fn english_falls_back_to_indonesian() {
        let n = Notice {
            id: 1,
            kind: FAQ.into(),
            city: None,
            title_id: "Judul".into(),
            body_id: "Isi".into(),
            title_en: String::new(),
            body_en: String::new(),
            position: 1,
            ends_on: None,
            created_by: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        assert_eq!(localise(&n, Lang::En).title, "Judul");
        let en = Notice { title_en: "Title".into(), body_en: "Text".into(), ..n };
        assert_eq!(localise(&en, Lang::En).body, "Text");
        assert_eq!(localise(&en, Lang::Id).body, "Isi");
    }
}
