//! `/admin/backups`: where the backups stand (the newest complete set, its verification, the next
//! scheduled run, the space the kept sets take, the off-site copy), "back up now", the progress
//! of a running backup (polled by htmx from `/admin/backups/progress`), the set sizes of the last
//! 90 days as a server-drawn SVG chart, and every kept set with its verification.

use crate::audit::RequestMeta;
use crate::auth::extract::{Staff, perm};
use crate::backup::jobs::{CREATE_JOB, next_run};
use crate::backup::service;
use crate::error::AppResult;
use crate::extract::ApiQuery;
use crate::i18n::Lang;
use crate::listing::Paging;
use crate::pages::{Shell, render};
use crate::state::AppState;
use aglis_core::backup::BackupStatus;
use aglis_core::schedule::JAKARTA;
use aglis_db::entity::backups::Model;
use aglis_db::repo::backups;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/backups", get(page).post(back_up_now)).route("/admin/backups/progress", get(progress))
}

/// Days shown in the size chart.
pub const CHART_DAYS: i64 = 90;
/// Chart geometry (SVG units): a slot of 8 per day, bars of 6, a plot 120 high below a margin.
const STEP: i64 = 8;
const PLOT_TOP: i64 = 16;
const PLOT_HEIGHT: i64 = 120;
/// The steps a running backup reports (`backups.stage.<step>` labels them).
const STAGES: &[&str] = &["database", "tables", "files", "config", "upload", "verify", "retention"];

/// `dd-mm-YYYY HH:MM WIB`.
fn wib(t: &DateTime<Utc>) -> String {
    t.with_timezone(&JAKARTA).format("%d-%m-%Y %H:%M WIB").to_string()
}

/// Bytes as people read them: `512 B`, `12.3 KB`, `1.4 GB` (a decimal comma in Indonesian).
pub fn human_size(bytes: u64, lang: Lang) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1} {}", UNITS[unit]);
    if lang == Lang::Id { text.replace('.', ",") } else { text }
}

/// A span of time: `0.4 s`, `45 s`, `1 m 12 s`, `3 h 5 m`, `2 d 4 h` (units in the page's language).
pub fn span(ms: i64, lang: Lang) -> String {
    let ms = ms.max(0);
    let unit = |u: &str| lang.t(&format!("backups.unit.{u}"));
    let (s, m, h, d) = (ms / 1000, ms / 60_000, ms / 3_600_000, ms / 86_400_000);
    if ms < 10_000 {
        let text = format!("{:.1} {}", ms as f64 / 1000.0, unit("s"));
        if lang == Lang::Id { text.replace('.', ",") } else { text }
    } else if s < 60 {
        format!("{s} {}", unit("s"))
    } else if m < 60 {
        format!("{m} {} {} {}", unit("m"), s % 60, unit("s"))
    } else if h < 48 {
        format!("{h} {} {} {}", unit("h"), m % 60, unit("m"))
    } else {
        format!("{d} {} {} {}", unit("d"), h % 24, unit("h"))
    }
}

/// A set as the table shows it.
struct Row {
    b: Model,
    /// Uploaded files in the set, from its manifest.
    files: Option<u64>,
    started: String,
    duration: String,
    size: String,
    database: String,
    verified: String,
    verify_took: String,
}

fn row(b: Model, lang: Lang) -> Row {
    let size = |n: Option<u64>| n.map(|n| human_size(n, lang)).unwrap_or_default();
    let facts = service::facts(&b);
    Row {
        started: wib(&b.started_at),
        duration: facts.duration_ms.map(|ms| span(ms, lang)).unwrap_or_default(),
        size: size(b.size_bytes.and_then(|n| u64::try_from(n).ok())),
        database: size(facts.database_bytes),
        files: facts.files,
        verified: b.verified_at.as_ref().map(wib).unwrap_or_default(),
        verify_took: b.verify_ms.map(|ms| span(ms, lang)).unwrap_or_default(),
        b,
    }
}

/// The summary cards.
struct Summary {
    /// The newest complete set, as a row, and how old it is.
    last: Option<(Row, String)>,
    /// Older than `AGLIS_BACKUP_MAX_AGE_HOURS`: the admins get an alert.
    stale: bool,
    max_age_hours: u32,
    next_run: Option<String>,
    kept_sets: usize,
    kept_size: String,
    /// `s3://bucket/prefix` of the off-site copy, when one is set up.
    remote: Option<String>,
}

async fn summary(state: &AppState, lang: Lang) -> AppResult<Summary> {
    let now = state.now();
    let last = backups::latest_complete(&state.reads).await?;
    let max_age_hours = state.config.backup.max_age_hours;
    let stale = last.as_ref().is_none_or(|b| now - b.started_at > Duration::hours(i64::from(max_age_hours)));
    let last = last.map(|b| {
        let age = span((now - b.finished_at.unwrap_or(b.started_at)).num_milliseconds(), lang);
        (row(b, lang), lang.t("backups.ago").replace("{age}", &age))
    });
    let kept: Vec<Option<i64>> = backups::kept(&state.reads)
        .await?
        .into_iter()
        .filter(|b| b.status == BackupStatus::Complete)
        .map(|b| b.size_bytes)
        .collect();
    let kept_bytes: i64 = kept.iter().flatten().sum();
    Ok(Summary {
        last,
        stale,
        max_age_hours,
        next_run: next_run(&state.reads).await?.as_ref().map(wib),
        kept_sets: kept.len(),
        kept_size: human_size(u64::try_from(kept_bytes).unwrap_or(0), lang),
        remote: state.config.backup.remote.as_ref().map(|r| {
            if r.prefix.is_empty() { format!("s3://{}", r.bucket) } else { format!("s3://{}/{}", r.bucket, r.prefix) }
        }),
    })
}

/// One bar of the size chart: the day's newest complete set.
struct Bar {
    x: i64,
    y: i64,
    height: i64,
    title: String,
}

struct Chart {
    bars: Vec<Bar>,
    /// `(x, text-anchor, dd/mm)` under every 15th day and today.
    labels: Vec<(i64, &'static str, String)>,
    /// The tallest bar in MB, written at the top line.
    peak: String,
    width: i64,
    axis_y: i64,
    top_y: i64,
}

/// The chart of `sets` (complete, oldest first) over the `CHART_DAYS` days up to `today` (WIB).
fn chart(sets: &[(DateTime<Utc>, u64, String)], today: NaiveDate, lang: Lang) -> Option<Chart> {
    let first = today - Duration::days(CHART_DAYS - 1);
    let mut per_day: Vec<Option<(u64, &str)>> = vec![None; usize::try_from(CHART_DAYS).unwrap_or(0)];
    for (at, size, name) in sets {
        let day = at.with_timezone(&JAKARTA).date_naive();
        if let Some(slot) = usize::try_from((day - first).num_days()).ok().and_then(|i| per_day.get_mut(i)) {
            *slot = Some((*size, name.as_str()));
        }
    }
    let max = per_day.iter().flatten().map(|(s, _)| *s).max()?.max(1);
    let mb = |b: u64| {
        let text = format!("{:.1} MB", b as f64 / (1024.0 * 1024.0));
        if lang == Lang::Id { text.replace('.', ",") } else { text }
    };
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    for (i, slot) in per_day.iter().enumerate() {
        let i = i64::try_from(i).unwrap_or(0);
        let day = first + Duration::days(i);
        if i % 15 == 0 || i == CHART_DAYS - 1 {
            let (x, anchor) = match i {
                0 => (0, "start"),
                _ if i == CHART_DAYS - 1 => (CHART_DAYS * STEP, "end"),
                _ => (i * STEP + 4, "middle"),
            };
            labels.push((x, anchor, day.format("%d/%m").to_string()));
        }
        if let Some((size, name)) = slot {
            let height = i64::try_from(u128::from(*size) * PLOT_HEIGHT.unsigned_abs() as u128 / u128::from(max))
                .unwrap_or(PLOT_HEIGHT)
                .max(1);
            bars.push(Bar {
                x: i * STEP + 1,
                y: PLOT_TOP + PLOT_HEIGHT - height,
                height,
                title: format!("{}: {} ({name})", day.format("%d-%m-%Y"), mb(*size)),
            });
        }
    }
    Some(Chart {
        bars,
        labels,
        peak: mb(max),
        width: CHART_DAYS * STEP,
        axis_y: PLOT_TOP + PLOT_HEIGHT,
        top_y: PLOT_TOP,
    })
}

/// A running backup as the progress panel shows it.
struct Running {
    name: String,
    stage: &'static str,
    percent: i32,
    started: String,
    elapsed: String,
}

/// The progress panel: a running backup, or one queued and about to start; htmx polls it.
struct Panel {
    running: Option<Running>,
    waiting: bool,
}

impl Panel {
    fn active(&self) -> bool {
        self.running.is_some() || self.waiting
    }
}

async fn panel(state: &AppState, lang: Lang) -> AppResult<Panel> {
    let now = state.now();
    let running = backups::running(&state.db).await?.map(|b| Running {
        stage: match b.stage.as_deref() {
            Some(s) if STAGES.contains(&s) => lang.t(&format!("backups.stage.{s}")),
            _ => lang.t("backups.stage.starting"),
        },
        percent: b.progress.clamp(0, 100),
        started: wib(&b.started_at),
        elapsed: span((now - b.started_at).num_milliseconds(), lang),
        name: b.name,
    });
    let waiting = running.is_none() && aglis_db::jobs::count_pending(&state.db, CREATE_JOB, now).await? > 0;
    Ok(Panel { running, waiting })
}

#[derive(Template)]
#[template(path = "backups/list.html")]
struct ListPage {
    shell: Shell,
    summary: Summary,
    panel: Panel,
    chart: Option<Chart>,
    rows: Vec<Row>,
    total: u64,
    page: u64,
    pages: u64,
    base_query: String,
    /// `Some(true)`: just queued; `Some(false)`: one was already queued this minute.
    queued: Option<bool>,
}

impl ListPage {
    fn label(&self, prefix: &str, code: &str) -> &'static str {
        self.shell.t_prefixed(prefix, code)
    }
}

#[derive(Template)]
#[template(path = "backups/progress_fragment.html")]
struct ProgressFragment {
    shell: Shell,
    panel: Panel,
}

#[derive(Debug, Deserialize, Default)]
struct PageParams {
    page: Option<u64>,
    queued: Option<u8>,
}

async fn page(
    State(state): State<AppState>,
    shell: Shell,
    _s: Staff<perm::BackupsManage>,
    ApiQuery(p): ApiQuery<PageParams>,
) -> AppResult<Response> {
    let lang = shell.lang;
    let paging = Paging::parse(p.page, None)?;
    let (sets, total) = backups::page(&state.reads, paging.page, paging.per_page).await?;
    let now = state.now();
    let recent: Vec<_> = backups::complete_since(&state.reads, now - Duration::days(CHART_DAYS))
        .await?
        .into_iter()
        .filter_map(|b| Some((b.started_at, u64::try_from(b.size_bytes?).ok()?, b.name)))
        .collect();
    render(&ListPage {
        summary: summary(&state, lang).await?,
        panel: panel(&state, lang).await?,
        chart: chart(&recent, now.with_timezone(&JAKARTA).date_naive(), lang),
        rows: sets.into_iter().map(|b| row(b, lang)).collect(),
        total,
        page: paging.page,
        pages: paging.pages(total),
        base_query: String::new(),
        queued: p.queued.map(|q| q == 1),
        shell,
    })
}

/// "Back up now" (the page's form).
async fn back_up_now(
    State(state): State<AppState>,
    s: Staff<perm::BackupsManage>,
    meta: RequestMeta,
) -> AppResult<Response> {
    let queued = service::request_backup(&state, s.auth(), &meta, "page").await?;
    Ok(Redirect::to(if queued { "/admin/backups?queued=1" } else { "/admin/backups?queued=0" }).into_response())
}

/// The progress panel alone, for htmx. When nothing is running or waiting any more, an htmx
/// poll is told to reload the page (which then shows the finished set and stops polling).
async fn progress(
    State(state): State<AppState>,
    shell: Shell,
    _s: Staff<perm::BackupsManage>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let panel = panel(&state, shell.lang).await?;
    if !panel.active() && headers.contains_key("hx-request") {
        let mut res = axum::http::StatusCode::OK.into_response();
        res.headers_mut().insert("hx-redirect", HeaderValue::from_static("/admin/backups"));
        return Ok(res);
    }
    render(&ProgressFragment { shell, panel })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_spans_read_like_people_write_them() {
        assert_eq!(human_size(512, Lang::En), "512 B");
        assert_eq!(human_size(12_595, Lang::En), "12.3 KB");
        assert_eq!(human_size(1_503_238_554, Lang::Id), "1,4 GB");
        assert_eq!(span(400, Lang::En), "0.4 s");
        assert_eq!(span(72_000, Lang::En), "1 m 12 s");
        assert_eq!(span(72_000, Lang::Id), "1 mnt 12 dtk");
        assert_eq!(span(3 * 3_600_000 + 5 * 60_000, Lang::En), "3 h 5 m");
        assert_eq!(span(50 * 3_600_000, Lang::En), "2 d 2 h");
    }

    #[test]
    fn the_chart_keeps_each_days_newest_set_and_scales_to_the_largest() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
        let at = |d: u32, h: u32| {
            NaiveDate::from_ymd_opt(2026, 11, d).and_then(|x| x.and_hms_opt(h, 0, 0)).unwrap_or_default().and_utc()
        };
        let mb = 1024 * 1024;
        let sets = vec![
            (at(28, 1), 10 * mb, "a".to_owned()),
            (at(28, 5), 20 * mb, "b".to_owned()),
            (at(29, 19), 5 * mb, "c".to_owned()), // 30 Nov 02:00 WIB
        ];
        let c = chart(&sets, today, Lang::En).expect("a chart");
        assert_eq!(c.bars.len(), 2);
        assert_eq!((c.bars[0].height, c.bars[1].height), (PLOT_HEIGHT, PLOT_HEIGHT / 4));
        assert_eq!(c.bars[1].x, (CHART_DAYS - 1) * STEP + 1, "today is the last slot");
        assert!(c.bars[0].title.contains("20.0 MB (b)"), "{}", c.bars[0].title);
        assert_eq!(c.peak, "20.0 MB");
        assert!(chart(&[], today, Lang::En).is_none());
    }
}
