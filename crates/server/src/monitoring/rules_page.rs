//! `/admin/monitoring/rules`: every alert rule's settings (threshold, window, re-notify interval,
//! recipients), saved one rule at a time with the errors shown on its form, and its mute.

use super::pages::{can_manage, done_key, label_or};
use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::error::{AppError, AppResult};
use crate::extract::{ApiForm, ApiQuery};
use crate::i18n::Lang;
use crate::monitoring::charts;
use crate::monitoring::service::{self as monitoring_service, CodePath, RuleInput, RuleInputError, rules_with_codes};
use crate::pages::{Shell, render};
use crate::state::AppState;
use crate::validation::Explain;
use aglis_core::alerting::{RuleCode, muted};
use aglis_db::repo::alerts::{self, Rule};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/monitoring/rules", get(rules_page))
        .route("/admin/monitoring/rules/{code}", post(save_rule_form))
        .route("/admin/monitoring/rules/{code}/mute", post(mute_form))
}

/// The mute durations the rules page offers, in minutes (0 unmutes).
const MUTE_CHOICES: [i64; 4] = [60, 240, 1440, 0];

/// A rule as its form shows it (typed values kept after a refusal).
struct RuleView {
    code: &'static str,
    enabled: bool,
    has_threshold: bool,
    has_window: bool,
    threshold: String,
    unit: String,
    window: String,
    renotify: String,
    /// One per line; mobile numbers as people write them.
    recipients: String,
    muted_until: Option<String>,
    /// `default: …` hint.
    defaults: String,
    errors: BTreeMap<&'static str, String>,
}

impl RuleView {
    fn error(&self, field: &str) -> &str {
        self.errors.get(field).map_or("", String::as_str)
    }
}

fn unit_label(code: RuleCode, lang: Lang) -> String {
    match code.unit() {
        "" => String::new(),
        u @ ("%" | "ms") => u.to_owned(),
        other => label_or(lang, "monitoring.unit.", other),
    }
}

fn rule_view(code: RuleCode, r: &Rule, now: DateTime<Utc>, shell: &Shell) -> RuleView {
    let lang = shell.lang;
    let d = code.defaults();
    let unit = unit_label(code, lang);
    let mut defaults = Vec::new();
    if code.has_threshold() {
        defaults.push(format!("{} {unit}", charts::number(d.threshold, 2, lang)).trim().to_owned());
    }
    if code.has_window() {
        defaults.push(format!("{} {}", d.window_minutes, lang.t("monitoring.unit.minutes")));
    }
    RuleView {
        code: code.as_str(),
        enabled: r.enabled,
        has_threshold: code.has_threshold(),
        has_window: code.has_window(),
        threshold: charts::number(r.threshold, 2, lang),
        window: r.window_minutes.to_string(),
        renotify: r.renotify_minutes.to_string(),
        recipients: monitoring_service::stored_recipients(r)
            .iter()
            .map(|l| crate::pages::local_phone(l))
            .collect::<Vec<_>>()
            .join("\n"),
        muted_until: r.muted_until.filter(|_| muted(r.muted_until, now)).map(|t| shell.local_time(&t)),
        defaults: defaults.join(" · "),
        errors: BTreeMap::new(),
        unit,
    }
}

#[derive(Template)]
#[template(path = "monitoring/rules.html")]
struct RulesPage {
    shell: Shell,
    rules: Vec<RuleView>,
    can_manage: bool,
    done: &'static str,
    /// The rule just saved or refused, to scroll to.
    focus: String,
}

impl RulesPage {
    fn mute_choices(&self) -> &'static [i64] {
        &MUTE_CHOICES
    }
}

/// A rule refused: its code, what was typed and what is wrong.
struct Refused {
    code: RuleCode,
    form: RuleForm,
    bad: Vec<RuleInputError>,
}

async fn rules_view(
    state: &AppState,
    shell: Shell,
    manage: bool,
    done: &'static str,
    refused: Option<Refused>,
) -> AppResult<Response> {
    let now = state.now();
    let mut rules: Vec<RuleView> =
        rules_with_codes(state).await?.iter().map(|(code, r)| rule_view(*code, r, now, &shell)).collect();
    let mut focus = String::new();
    let status = if let Some(Refused { code, form, bad }) = refused {
        focus = code.as_str().to_owned();
        if let Some(v) = rules.iter_mut().find(|v| v.code == code.as_str()) {
            if let Some(on) = form.enabled_value() {
                v.enabled = on;
            }
            if let Some(t) = form.threshold {
                v.threshold = t;
            }
            if let Some(w) = form.window_minutes {
                v.window = w;
            }
            if let Some(r) = form.renotify_minutes {
                v.renotify = r;
            }
            if let Some(r) = form.recipients {
                v.recipients = r;
            }
            for b in &bad {
                let text = shell.say(&b.explain());
                let entry = v.errors.entry(b.field()).or_default();
                if !entry.is_empty() {
                    entry.push(' ');
                }
                entry.push_str(&text);
            }
        }
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = RulesPage { rules, can_manage: manage, done, focus, shell };
    Ok((status, render(&page)?).into_response())
}

#[derive(Debug, Deserialize, Default)]
struct RulesParams {
    done: Option<String>,
}

async fn rules_page(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MonitoringView>,
    ApiQuery(p): ApiQuery<RulesParams>,
) -> AppResult<Response> {
    rules_view(&state, shell, can_manage(s.auth().user.role), done_key(p.done.as_deref()), None).await
}

/// The rule form. `rule_form` marks a form sent from the page, where an unticked `enabled` box
/// sends nothing.
#[derive(Debug, Deserialize, Default)]
struct RuleForm {
    rule_form: Option<String>,
    enabled: Option<String>,
    threshold: Option<String>,
    window_minutes: Option<String>,
    renotify_minutes: Option<String>,
    recipients: Option<String>,
}

impl RuleForm {
    fn enabled_value(&self) -> Option<bool> {
        match (&self.rule_form, &self.enabled) {
            (_, Some(v)) => Some(!matches!(v.trim(), "" | "0" | "false" | "off")),
            (Some(_), None) => Some(false),
            (None, None) => None,
        }
    }

    /// What was typed, as the shared check reads it (unreadable numbers out of range).
    fn input(&self) -> RuleInput {
        let number = |raw: &str| raw.trim().replace(',', ".").parse::<f64>().unwrap_or(f64::NAN);
        let whole = |raw: &str| raw.trim().parse::<i64>().unwrap_or(-1);
        RuleInput {
            enabled: self.enabled_value(),
            threshold: self.threshold.as_deref().map(number),
            window_minutes: self.window_minutes.as_deref().map(whole),
            renotify_minutes: self.renotify_minutes.as_deref().map(whole),
            recipients: self.recipients.as_deref().map(|t| t.lines().map(str::to_owned).collect()),
        }
    }
}

async fn save_rule_form(
    State(state): State<AppState>,
    shell: Shell,
    s: Staff<perm::MonitoringManage>,
    CodePath(code): CodePath,
    meta: RequestMeta,
    ApiForm(form): ApiForm<RuleForm>,
) -> AppResult<Response> {
    let current = alerts::rule(&state.db, code).await?.ok_or_else(|| AppError::not_found("alert rule"))?;
    match monitoring_service::check_rule(code, &current, &form.input()) {
        Ok(settings) => {
            monitoring_service::save_rule(&state, s.auth(), &meta, code, &settings).await?;
            Ok(Redirect::to(&format!("/admin/monitoring/rules?done=saved#rule-{code}")).into_response())
        }
        Err(bad) => rules_view(&state, shell, true, "", Some(Refused { code, form, bad })).await,
    }
}

#[derive(Debug, Deserialize)]
struct MuteForm {
    minutes: Option<String>,
}

async fn mute_form(
    State(state): State<AppState>,
    s: Staff<perm::MonitoringManage>,
    CodePath(code): CodePath,
    meta: RequestMeta,
    ApiForm(form): ApiForm<MuteForm>,
) -> AppResult<Response> {
    let minutes = form
        .minutes
        .as_deref()
        .and_then(|m| m.trim().parse::<i64>().ok())
        .ok_or_else(|| AppError::field("minutes", crate::i18n::msg("val.mute.choose", &[])))?;
    monitoring_service::mute(&state, s.auth(), &meta, code, minutes).await?;
    let done = if minutes > 0 { "muted" } else { "unmuted" };
    Ok(Redirect::to(&format!("/admin/monitoring/rules?done={done}#rule-{code}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unticked_box_disables_only_on_the_page_form() {
        let page = RuleForm { rule_form: Some("1".into()), ..RuleForm::default() };
        assert_eq!(page.input().enabled, Some(false));
        let ticked = RuleForm { rule_form: Some("1".into()), enabled: Some("on".into()), ..RuleForm::default() };
        assert_eq!(ticked.input().enabled, Some(true));
        assert_eq!(RuleForm::default().input().enabled, None);
        let typed = RuleForm {
            threshold: Some("1,5".into()),
            window_minutes: Some("lima".into()),
            renotify_minutes: Some(" 30 ".into()),
            ..RuleForm::default()
        };
        let input = typed.input();
        assert_eq!((input.threshold, input.window_minutes, input.renotify_minutes), (Some(1.5), Some(-1), Some(30)));
    }
}
