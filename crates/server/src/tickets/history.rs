//! A ticket's history as people read it: the stored events keep a plain English detail for the
//! API (`assigned → on_the_way: ban kempis`), and the page shows each in the reader's language,
//! statuses and priorities by their names, never their codes.

use crate::i18n::Lang;

/// One history line: what happened and the words under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub title: String,
    pub detail: String,
}

/// `detail` without a leading `"{from} → {to}"` (and the `": "` after it), if it starts so.
fn after_change<'a>(detail: &'a str, from: &str, to: &str) -> Option<&'a str> {
    let rest = detail.strip_prefix(&format!("{from} → {to}"))?;
    Some(rest.strip_prefix(": ").unwrap_or(rest).trim_start())
}

/// The numbers of `"{at}% of the SLA used ({now}% now)"`.
fn escalation_numbers(text: &str) -> Option<(String, String)> {
    let (at, rest) = text.split_once("% of the SLA used (")?;
    let now = rest.strip_suffix("% now)")?;
    Some((at.to_owned(), now.to_owned()))
}

/// Says event `kind` (with its status change, if any, and stored detail) in `lang`.
pub fn describe(lang: Lang, kind: &str, change: Option<(&str, &str)>, detail: &str) -> Described {
    let status = |code: &str| lang.t(&format!("ticket.status.{code}")).to_owned();
    let priority = |code: &str| lang.t(&format!("ticket.priority.{code}")).to_owned();
    match (kind, change) {
        (_, Some((from, to))) => {
            let note = after_change(detail, from, to).unwrap_or(detail);
            let note = if kind == "assigned" { assigned(lang, note) } else { note.to_owned() };
            Described { title: format!("{} → {}", status(from), status(to)), detail: note }
        }
        ("escalated", None) => {
            let mut words = detail.splitn(2, ": ");
            let head = words.next().unwrap_or_default();
            let rest = words.next().unwrap_or_default();
            let title = match head.split_once(" → ") {
                Some((from, to)) => {
                    format!("{}: {} → {}", lang.t("ticket.event.escalated"), priority(from), priority(to))
                }
                None => lang.t("ticket.event.escalated").to_owned(),
            };
            let detail = match escalation_numbers(rest) {
                Some((at, now)) => lang.t("ticket.history.escalated").replace("{at}", &at).replace("{now}", &now),
                None => rest.to_owned(),
            };
            Described { title, detail }
        }
        ("created", None) => {
            // `"TKT20261206001 (high)"`: the number, then the priority it was opened with.
            let detail = match detail.strip_suffix(')').and_then(|d| d.rsplit_once(" (")) {
                Some((number, code)) if code.parse::<aglis_core::ticket::Priority>().is_ok() => {
                    format!("{number} · {} {}", lang.t("ticket.priority"), priority(code))
                }
                _ => detail.to_owned(),
            };
            Described { title: lang.t("ticket.event.created").to_owned(), detail }
        }
        ("breached", None) => Described {
            title: lang.t("ticket.event.breached").to_owned(),
            detail: lang.t("ticket.history.breached").to_owned(),
        },
        ("assigned", None) => {
            Described { title: lang.t("ticket.event.assigned").to_owned(), detail: assigned(lang, detail) }
        }
        ("attachment" | "attachment_removed", None) => {
            let detail = match detail.split_once(": ") {
                Some((code, file)) if !code.contains(' ') => {
                    format!("{}: {file}", lang.t(&format!("ticket.att.kind.{code}")))
                }
                _ => detail.to_owned(),
            };
            Described { title: lang.t(&format!("ticket.event.{kind}")).to_owned(), detail }
        }
        _ => Described { title: lang.t(&format!("ticket.event.{kind}")).to_owned(), detail: detail.to_owned() },
    }
}

/// `"lead Agus Setiawan (TEC0001)"` → `"Ketua tim: Agus Setiawan (TEC0001)"`.
fn assigned(lang: Lang, detail: &str) -> String {
    match detail.strip_prefix("lead ") {
        Some(who) => format!("{}: {who}", lang.t("ticket.history.lead")),
        None => detail.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_changes_read_as_names_with_the_note() {
        let d = describe(Lang::Id, "status", Some(("assigned", "on_the_way")), "assigned → on_the_way: ban kempis");
        assert_eq!(
            d.title,
            format!("{} → {}", Lang::Id.t("ticket.status.assigned"), Lang::Id.t("ticket.status.on_the_way"))
        );
        assert!(!d.title.contains("on_the_way"), "{d:?}");
        assert_eq!(d.detail, "ban kempis");
        let d = describe(Lang::En, "status", Some(("in_progress", "resolved")), "in_progress → resolved");
        assert_eq!(d.detail, "");
    }

    #[test]
    fn escalations_breaches_assignments_and_files_are_said_in_the_language() {
        let d = describe(Lang::Id, "escalated", None, "high → critical: 75% of the SLA used (80% now)");
        assert!(d.title.contains(Lang::Id.t("ticket.priority.critical")) && !d.title.contains("critical"), "{d:?}");
        assert!(d.detail.contains("75") && d.detail.contains("80") && !d.detail.contains("SLA used"), "{d:?}");
        let d = describe(Lang::Id, "breached", None, "resolution SLA missed");
        assert_eq!(d.detail, Lang::Id.t("ticket.history.breached"));
        let d = describe(Lang::Id, "assigned", Some(("open", "assigned")), "lead Agus Setiawan (TEC0001)");
        assert_eq!(d.detail, format!("{}: Agus Setiawan (TEC0001)", Lang::Id.t("ticket.history.lead")));
        let d = describe(Lang::Id, "attachment", None, "before: odp.jpg (120 KB)");
        assert_eq!(d.detail, format!("{}: odp.jpg (120 KB)", Lang::Id.t("ticket.att.kind.before")));
        let d = describe(Lang::Id, "created", None, "TKT20261206001 (high)");
        assert_eq!(
            d.detail,
            format!("TKT20261206001 · {} {}", Lang::Id.t("ticket.priority"), Lang::Id.t("ticket.priority.high"))
        );
        assert!(!d.detail.contains("high"), "{d:?}");
        let d = describe(Lang::Id, "comment", None, "Pelanggan: sudah normal");
        assert_eq!(d.detail, "Pelanggan: sudah normal");
    }
}
