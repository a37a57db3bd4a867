//! Turning a staff request into messages: who receives it (a number or address, a user, or a
//! recipient group) and what it says (a text, or an event's template filled with variables). Every
//! problem is reported at once, per field, before anything is written.

use crate::error::{AppError, AppResult, FieldErrors};
use crate::notifications::service::MAX_BODY_CHARS;
use aglis_core::job::JobPriority;
use aglis_core::notification::{Channel, TemplateError, render};
use aglis_core::notification_catalog::{self, Language};
use aglis_core::phone::Phone;
use aglis_core::user::parse_email;
use aglis_db::repo::recipient_groups::{self, Recipient};
use aglis_db::repo::{notification_templates, users};
use sea_orm::ConnectionTrait;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The most messages one group send may create.
pub const MAX_RECIPIENTS: usize = 5_000;

/// A group named by its id or its name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum GroupRef {
    Id(i64),
    Name(String),
}

/// What staff asked for, before it is checked.
#[derive(Debug, Clone)]
pub struct Compose {
    pub channel: Channel,
    pub to: Option<String>,
    pub user: Option<i64>,
    pub group: Option<GroupRef>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub template: Option<String>,
    pub variables: BTreeMap<String, String>,
    pub language: Option<Language>,
    pub priority: JobPriority,
}

/// One message ready to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    pub template_code: Option<String>,
    pub variables: Option<BTreeMap<String, String>>,
}

fn blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|s| s.trim().is_empty())
}

/// The recipient's address for the channel, normalised.
fn address(channel: Channel, raw: &str) -> Result<String, String> {
    match channel {
        Channel::Whatsapp => Phone::parse(raw).map(|p| p.as_str().to_owned()).map_err(|e| e.to_string()),
        Channel::Email => parse_email(raw).map_err(|e| e.to_string()),
    }
}

fn recipient_address(channel: Channel, r: &Recipient) -> Option<String> {
    let raw = match channel {
        Channel::Whatsapp => r.phone.as_deref()?,
        Channel::Email => r.email.as_deref()?,
    };
    address(channel, raw).ok()
}

/// (name, address) of everyone the request reaches; errors go to `errors` under the field's name.
async fn recipients(
    conn: &impl ConnectionTrait,
    c: &Compose,
    errors: &mut FieldErrors,
) -> AppResult<Vec<(Option<String>, String)>> {
    let mut err = |field: &str, msg: String| errors.entry(field.to_owned()).or_default().push(msg);
    let given = [!blank(&c.to), c.user.is_some(), c.group.is_some()].iter().filter(|g| **g).count();
    if given != 1 {
        err("to", "give exactly one of `to` (a number or address), `user` or `group`".into());
        return Ok(Vec::new());
    }
    let what = match c.channel {
        Channel::Whatsapp => "a WhatsApp number",
        Channel::Email => "an e-mail address",
    };
    if let Some(to) = c.to.as_deref().filter(|t| !t.trim().is_empty()) {
        return Ok(match address(c.channel, to) {
            Ok(a) => vec![(None, a)],
            Err(e) => {
                err("to", e);
                Vec::new()
            }
        });
    }
    if let Some(id) = c.user {
        let Some(user) = users::get(conn, id).await?.filter(|u| u.is_active) else {
            err("user", crate::i18n::msg("val.unknown.user", &[("id", &id)]));
            return Ok(Vec::new());
        };
        let r = Recipient { name: Some(user.full_name.clone()), phone: user.phone, email: user.email };
        return Ok(match recipient_address(c.channel, &r) {
            Some(a) => vec![(r.name, a)],
            None => {
                err("user", format!("{} has no {what}", user.full_name));
                Vec::new()
            }
        });
    }
    let group = match &c.group {
        Some(GroupRef::Id(id)) => recipient_groups::get(conn, *id).await?,
        Some(GroupRef::Name(name)) => match name.trim().parse::<i64>() {
            Ok(id) => recipient_groups::get(conn, id).await?,
            Err(_) => recipient_groups::find_by_name(conn, name).await?,
        },
        None => None,
    };
    let Some(group) = group else {
        err("group", crate::i18n::msg("val.unknown.group", &[]));
        return Ok(Vec::new());
    };
    if !group.is_active {
        err("group", format!("the group {} is switched off", group.name));
        return Ok(Vec::new());
    }
    let mut seen = BTreeSet::new();
    let out: Vec<(Option<String>, String)> = recipient_groups::recipients(conn, &group)
        .await?
        .into_iter()
        .filter_map(|r| recipient_address(c.channel, &r).map(|a| (r.name, a)))
        .filter(|(_, a)| seen.insert(a.clone()))
        .collect();
    if out.is_empty() {
        err("group", format!("nobody in {} has {what}", group.name));
    } else if out.len() > MAX_RECIPIENTS {
        err("group", format!("{} has {} recipients; at most {MAX_RECIPIENTS} per send", group.name, out.len()));
    }
    Ok(out)
}

fn template_error(errors: &mut FieldErrors, e: TemplateError) {
    let field = if matches!(e, TemplateError::Missing(_)) { "variables" } else { "template" };
    errors.entry(field.into()).or_default().push(e.to_string());
}

/// Checks the request and renders one draft per recipient. Nothing is written.
pub async fn drafts(conn: &impl ConnectionTrait, c: &Compose) -> AppResult<Vec<Draft>> {
    let mut errors = FieldErrors::new();
    let to = recipients(conn, c, &mut errors).await?;
    let subject = c.subject.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    if subject.as_ref().is_some_and(|s| s.chars().count() > 200) {
        errors.insert("subject".into(), vec!["the subject is longer than 200 characters".into()]);
    }
    // (subject, body, template code) before the per-recipient variables are filled in.
    let mut text: Option<(Option<String>, String, Option<&str>)> = None;
    match (blank(&c.body), c.template.as_deref().map(str::trim).filter(|t| !t.is_empty())) {
        (false, None) => {
            let body = c.body.as_deref().unwrap_or_default().trim();
            if body.chars().count() > MAX_BODY_CHARS {
                errors.insert("body".into(), vec![format!("the message is longer than {MAX_BODY_CHARS} characters")]);
            } else {
                text = Some((subject.clone(), body.to_owned(), None));
            }
        }
        (true, Some(code)) => match notification_catalog::event(code) {
            None => {
                let known: Vec<&str> = notification_catalog::EVENTS.iter().map(|e| e.code).collect();
                errors
                    .insert("template".into(), vec![format!("unknown template `{code}`; known: {}", known.join(", "))]);
            }
            Some(event) => {
                let unknown: Vec<&str> = c
                    .variables
                    .keys()
                    .map(String::as_str)
                    .filter(|k| !event.variables.iter().any(|(n, _)| n == k))
                    .collect();
                if !unknown.is_empty() {
                    errors.insert(
                        "variables".into(),
                        vec![format!(
                            "{code} has no variable {}; it has {}",
                            unknown.join(", "),
                            event.variable_names().join(", ")
                        )],
                    );
                }
                let language = c.language.unwrap_or(Language::Id);
                match notification_templates::find(conn, code, language).await? {
                    Some(t) => text = Some((subject.clone().or(Some(t.subject)), t.body, Some(event.code))),
                    None => {
                        errors.insert("template".into(), vec![format!("{code} has no {language} text yet")]);
                    }
                }
            }
        },
        (true, None) => {
            errors.insert("body".into(), vec!["write a message or choose a template".into()]);
        }
        (false, Some(_)) => {
            errors.insert("body".into(), vec!["give either `body` or `template`, not both".into()]);
        }
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let Some((subject, body, code)) = text else { return Err(AppError::fields(errors)) };
    let mut out = Vec::with_capacity(to.len());
    for (name, address) in to {
        let Some(code) = code else {
            out.push(Draft {
                to: address,
                subject: subject.clone(),
                body: body.clone(),
                template_code: None,
                variables: None,
            });
            continue;
        };
        let mut values = c.variables.clone();
        // A send to people greets each by name when the event has a `name` variable; someone
        // known only by a number gets the given `name`, or a polite form of address.
        if notification_catalog::event(code).is_some_and(|e| e.variables.iter().any(|(n, _)| *n == "name")) {
            let polite = match c.language.unwrap_or(Language::Id) {
                Language::Id => "Bapak/Ibu",
                Language::En => "Sir/Madam",
            };
            let fallback = c.variables.get("name").cloned().unwrap_or_else(|| polite.to_owned());
            values.insert("name".into(), name.unwrap_or(fallback));
        }
        let rendered = render(&body, &values).and_then(|b| match &subject {
            Some(s) => render(s, &values).map(|s| (Some(s), b)),
            None => Ok((None, b)),
        });
        match rendered {
            Ok((subject, body)) => out.push(Draft {
                to: address,
                subject: subject.filter(|s| !s.trim().is_empty()),
                body,
                template_code: Some(code.to_owned()),
                variables: Some(values),
            }),
            Err(e) => {
                template_error(&mut errors, e);
                return Err(AppError::fields(errors));
            }
        }
    }
    Ok(out)
}
