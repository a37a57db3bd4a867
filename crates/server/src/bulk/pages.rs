//! The pages' side of bulk actions: the list pages post the ticked ids and the action here;
//! the first answer is the preview (what would happen to each item), whose button posts the same
//! request confirmed; the second is the report (what happened to each).

use super::BulkReport;
use crate::error::{AppError, AppResult};
use crate::pages::{Shell, render};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;

/// A bulk form as posted: the ticked `ids` (repeated), `confirm=1` on the second post, and the
/// action's own fields.
#[derive(Debug, Clone, Default)]
pub struct BulkForm {
    pub ids: Vec<i64>,
    pub confirmed: bool,
    pub fields: BTreeMap<String, String>,
}

impl BulkForm {
    /// Reads the form; ids that are not numbers are left out (the list only posts numbers).
    pub fn parse(body: &[u8]) -> Self {
        let mut f = BulkForm::default();
        for (k, v) in form_urlencoded::parse(body) {
            match k.as_ref() {
                "ids" => f.ids.extend(v.trim().parse::<i64>().ok()),
                "confirm" => f.confirmed = v == "1",
                "csrf_token" => {}
                other => {
                    f.fields.insert(other.to_owned(), v.into_owned());
                }
            }
        }
        f
    }

    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |v| v.trim())
    }
}

#[derive(Template)]
#[template(path = "bulk/report.html")]
pub struct ReportPage {
    pub shell: Shell,
    /// The locale key of the page title (`bulk.tickets`…).
    pub title_key: &'static str,
    /// The list page to go back to.
    pub back: &'static str,
    /// Where the confirmation posts.
    pub post_to: &'static str,
    pub report: Option<BulkReport>,
    /// The action's own fields, posted again with the confirmation.
    pub fields: Vec<(String, String)>,
    pub ids: Vec<i64>,
    /// Why the whole request was refused (no item ticked, an unknown technician…).
    pub error: String,
}

/// Renders the preview or the report of `run`'s result, or the request's refusal (422).
pub fn answer(
    shell: Shell,
    title_key: &'static str,
    back: &'static str,
    post_to: &'static str,
    form: &BulkForm,
    result: AppResult<BulkReport>,
) -> AppResult<Response> {
    let fields: Vec<(String, String)> = form.fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut page = ReportPage {
        shell,
        title_key,
        back,
        post_to,
        report: None,
        fields,
        ids: form.ids.clone(),
        error: String::new(),
    };
    match result {
        Ok(report) => {
            page.report = Some(report);
            render(&page)
        }
        Err(AppError::Validation { fields, .. }) => {
            page.error = page.shell.all_errors(&fields);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e),
    }
}
