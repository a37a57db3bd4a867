//! The monitoring page's charts of the last 24 hours, drawn on the server as SVG (no script): the
//! requests per 10 minutes, the share of them answered 5xx, the average and the slowest response,
//! and the job queue's depth. Every instance's figures are summed (they come from the database).

use crate::i18n::Lang;
use aglis_core::schedule::JAKARTA;
use aglis_db::repo::metrics::{MinuteFigures, QueueSample};
use chrono::{DateTime, Duration, Utc};

/// Minutes per bar or point.
pub const BUCKET_MINUTES: i64 = 10;
/// 24 hours of buckets.
pub const BUCKETS: i64 = 144;
/// Chart geometry (SVG units): 5 across per bucket, a plot 120 high below a margin of 16.
const STEP: i64 = 5;
const PLOT_TOP: i64 = 16;
const PLOT_HEIGHT: i64 = 120;
/// Buckets between two time labels (3 hours).
const LABEL_EVERY: i64 = 18;

const BLUE: &str = "#0b5cad";
const RED: &str = "#c0262d";
const ORANGE: &str = "#b54708";

/// The first minute the charts show at `now`: the start of the bucket 143 buckets before the
/// current one.
pub fn since(now: DateTime<Utc>) -> DateTime<Utc> {
    let size = BUCKET_MINUTES * 60;
    let secs = now.timestamp();
    let current = secs - secs.rem_euclid(size);
    DateTime::from_timestamp(current - (BUCKETS - 1) * size, 0).unwrap_or(now)
}

fn bucket_of(t: DateTime<Utc>, start: DateTime<Utc>) -> Option<usize> {
    let i = (t - start).num_seconds().div_euclid(BUCKET_MINUTES * 60);
    if (0..BUCKETS).contains(&i) { usize::try_from(i).ok() } else { None }
}

/// One bar (the request chart).
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub height: i64,
    pub title: String,
}

/// A connected run of points of one series (a bucket without data breaks the line).
pub struct Line {
    pub points: String,
    pub colour: &'static str,
}

/// A data point, with its value as a tooltip.
pub struct Point {
    pub x: i64,
    pub y: i64,
    pub colour: &'static str,
    pub title: String,
}

/// A series' name in the legend: `(colour, locale key)`.
pub struct Legend {
    pub colour: &'static str,
    pub key: &'static str,
}

pub struct Chart {
    /// `requests`, `errors`, `latency`, `queue`: the element id and the locale keys'
    /// `monitoring.chart.<key>` and `monitoring.chart.<key>_help`.
    pub key: &'static str,
    pub bars: Vec<Bar>,
    pub lines: Vec<Line>,
    pub points: Vec<Point>,
    pub legend: Vec<Legend>,
    /// `(x, text-anchor, HH:MM)` every 3 hours and at the end.
    pub labels: Vec<(i64, &'static str, String)>,
    /// The value of the top line, with its unit.
    pub peak: String,
    pub has_data: bool,
    pub width: i64,
    pub top_y: i64,
    pub axis_y: i64,
}

/// `1.5` / `1,5`: at most `decimals` places, without trailing zeros.
pub fn number(v: f64, decimals: usize, lang: Lang) -> String {
    let mut text = format!("{v:.decimals$}");
    if text.contains('.') {
        text = text.trim_end_matches('0').trim_end_matches('.').to_owned();
    }
    if text == "-0" {
        text = "0".to_owned();
    }
    if lang == Lang::Id { text.replace('.', ",") } else { text }
}

struct Frame {
    start: DateTime<Utc>,
    labels: Vec<(i64, &'static str, String)>,
}

impl Frame {
    fn new(now: DateTime<Utc>) -> Self {
        let start = since(now);
        let mut labels = Vec::new();
        for i in (0..BUCKETS).step_by(usize::try_from(LABEL_EVERY).unwrap_or(1)) {
            let anchor = if i == 0 { "start" } else { "middle" };
            labels.push((i * STEP, anchor, hhmm(start + Duration::minutes(i * BUCKET_MINUTES))));
        }
        labels.push((BUCKETS * STEP, "end", hhmm(now)));
        Frame { start, labels }
    }

    fn chart(&self, key: &'static str) -> Chart {
        Chart {
            key,
            bars: Vec::new(),
            lines: Vec::new(),
            points: Vec::new(),
            legend: Vec::new(),
            labels: self.labels.clone(),
            peak: String::new(),
            has_data: false,
            width: BUCKETS * STEP,
            top_y: PLOT_TOP,
            axis_y: PLOT_TOP + PLOT_HEIGHT,
        }
    }

    /// `dd-mm HH:MM` of bucket `i` (WIB).
    fn when(&self, i: usize) -> String {
        let at = self.start + Duration::minutes(i64::try_from(i).unwrap_or(0) * BUCKET_MINUTES);
        at.with_timezone(&JAKARTA).format("%d-%m %H:%M WIB").to_string()
    }
}

fn hhmm(t: DateTime<Utc>) -> String {
    t.with_timezone(&JAKARTA).format("%H:%M").to_string()
}

fn x_of(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(0) * STEP + STEP / 2
}

/// The height of `v` on a scale whose top is `top`.
fn y_of(v: f64, top: f64) -> i64 {
    let share = if top > 0.0 { (v / top).clamp(0.0, 1.0) } else { 0.0 };
    PLOT_TOP + PLOT_HEIGHT - (share * PLOT_HEIGHT as f64).round() as i64
}

/// Adds `values` (per bucket, `None`: no data) as a line with points, on a scale topped at `top`.
fn add_series(
    chart: &mut Chart,
    frame: &Frame,
    values: &[Option<f64>],
    top: f64,
    colour: &'static str,
    text: &dyn Fn(f64) -> String,
) {
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, lines: &mut Vec<Line>| {
        if run.len() > 1 {
            lines.push(Line { points: run.join(" "), colour });
        }
        run.clear();
    };
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let (x, y) = (x_of(i), y_of(*v, top));
                run.push(format!("{x},{y}"));
                chart.points.push(Point { x, y, colour, title: format!("{}: {}", frame.when(i), text(*v)) });
            }
            None => flush(&mut run, &mut chart.lines),
        }
    }
    flush(&mut run, &mut chart.lines);
}

/// The four charts at `now` from the per-minute figures and queue samples since [`since`].
pub fn charts(
    series: &[(DateTime<Utc>, MinuteFigures)],
    queue: &[QueueSample],
    now: DateTime<Utc>,
    lang: Lang,
) -> Vec<Chart> {
    let frame = Frame::new(now);
    let n = usize::try_from(BUCKETS).unwrap_or(0);
    let mut figures = vec![MinuteFigures::default(); n];
    let mut seen = vec![false; n];
    for (minute, f) in series {
        if let Some(i) = bucket_of(*minute, frame.start) {
            figures[i].add(f);
            seen[i] = true;
        }
    }
    let mut depth: Vec<Option<f64>> = vec![None; n];
    for s in queue {
        if let Some(i) = bucket_of(s.minute, frame.start) {
            let d = s.depth as f64;
            depth[i] = Some(depth[i].map_or(d, |x: f64| x.max(d)));
        }
    }
    let any = seen.iter().any(|s| *s);
    vec![
        requests_chart(&frame, &figures, any, lang),
        errors_chart(&frame, &figures, lang),
        latency_chart(&frame, &figures, lang),
        queue_chart(&frame, &depth, lang),
    ]
}

fn requests_chart(frame: &Frame, figures: &[MinuteFigures], any: bool, lang: Lang) -> Chart {
    let mut chart = frame.chart("requests");
    let unit = lang.t("monitoring.unit.requests");
    let max = figures.iter().map(|f| f.requests).max().unwrap_or(0).max(1);
    for (i, f) in figures.iter().enumerate().filter(|(_, f)| f.requests > 0) {
        let height = i64::try_from(i128::from(f.requests) * i128::from(PLOT_HEIGHT) / i128::from(max))
            .unwrap_or(PLOT_HEIGHT)
            .max(1);
        chart.bars.push(Bar {
            x: x_of(i) - 2,
            y: PLOT_TOP + PLOT_HEIGHT - height,
            height,
            title: format!("{}: {} {unit}, {} 5xx", frame.when(i), f.requests, f.errors),
        });
    }
    chart.peak = format!("{max} {unit}");
    chart.has_data = any;
    chart.legend.push(Legend { colour: BLUE, key: "monitoring.chart.requests_legend" });
    chart
}

fn errors_chart(frame: &Frame, figures: &[MinuteFigures], lang: Lang) -> Chart {
    let mut chart = frame.chart("errors");
    let values: Vec<Option<f64>> =
        figures.iter().map(|f| (f.requests > 0).then(|| f.errors as f64 * 100.0 / f.requests as f64)).collect();
    let top = values.iter().flatten().copied().fold(1.0_f64, f64::max).min(100.0);
    add_series(&mut chart, frame, &values, top, RED, &|v| format!("{} %", number(v, 1, lang)));
    chart.peak = format!("{} %", number(top, 1, lang));
    chart.has_data = values.iter().any(Option::is_some);
    chart.legend.push(Legend { colour: RED, key: "monitoring.chart.errors_legend" });
    chart
}

fn latency_chart(frame: &Frame, figures: &[MinuteFigures], lang: Lang) -> Chart {
    let mut chart = frame.chart("latency");
    let average: Vec<Option<f64>> = figures
        .iter()
        .map(|f| aglis_core::alerting::average_ms(f.requests, f.latency_ms_sum).map(f64::round))
        .collect();
    let slowest: Vec<Option<f64>> =
        figures.iter().map(|f| (f.requests > 0).then_some(f.latency_ms_max as f64)).collect();
    let top = slowest.iter().chain(average.iter()).flatten().copied().fold(1.0_f64, f64::max);
    let ms = |v: f64| format!("{} ms", number(v, 0, lang));
    add_series(&mut chart, frame, &slowest, top, ORANGE, &ms);
    add_series(&mut chart, frame, &average, top, BLUE, &ms);
    chart.peak = ms(top);
    chart.has_data = average.iter().any(Option::is_some);
    chart.legend.push(Legend { colour: BLUE, key: "monitoring.chart.latency_average" });
    chart.legend.push(Legend { colour: ORANGE, key: "monitoring.chart.latency_slowest" });
    chart
}

fn queue_chart(frame: &Frame, depth: &[Option<f64>], lang: Lang) -> Chart {
    let mut chart = frame.chart("queue");
    let unit = lang.t("monitoring.unit.jobs");
    let top = depth.iter().flatten().copied().fold(1.0_f64, f64::max);
    add_series(&mut chart, frame, depth, top, BLUE, &|v| format!("{} {unit}", number(v, 0, lang)));
    chart.peak = format!("{} {unit}", number(top, 0, lang));
    chart.has_data = depth.iter().any(Option::is_some);
    chart.legend.push(Legend { colour: BLUE, key: "monitoring.chart.queue_legend" });
    chart
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 30).and_then(|d| d.and_hms_opt(h, m, 0)).unwrap_or_default().and_utc()
    }

    fn figures(requests: i64, errors: i64, avg: i64, max: i64) -> MinuteFigures {
        MinuteFigures { requests, errors, latency_ms_sum: avg * requests, latency_ms_max: max }
    }

    #[test]
    fn the_window_is_144_buckets_ending_with_the_current_one() {
        let now = at(12, 34);
        assert_eq!(since(now), at(12, 30) - Duration::minutes(143 * 10));
        assert_eq!(bucket_of(at(12, 39), since(now)), Some(143));
        assert_eq!(bucket_of(since(now), since(now)), Some(0));
        assert_eq!(bucket_of(since(now) - Duration::minutes(1), since(now)), None);
    }

    #[test]
    fn minutes_add_up_per_bucket_and_scale_to_the_busiest() {
        let now = at(12, 34);
        let series = vec![
            (at(12, 21), figures(30, 3, 100, 400)),
            (at(12, 22), figures(10, 1, 300, 900)),
            (at(12, 31), figures(10, 0, 50, 60)),
        ];
        let queue = vec![
            QueueSample { minute: at(12, 31), depth: 4, dead: 0, oldest_due_secs: 0 },
            QueueSample { minute: at(12, 32), depth: 9, dead: 1, oldest_due_secs: 30 },
        ];
        let c = charts(&series, &queue, now, Lang::En);
        assert_eq!(c.iter().map(|c| c.key).collect::<Vec<_>>(), ["requests", "errors", "latency", "queue"]);
        assert!(c.iter().all(|c| c.has_data));
        let bars = &c[0].bars;
        assert_eq!(bars.len(), 2);
        assert_eq!((bars[0].height, bars[1].height), (PLOT_HEIGHT, PLOT_HEIGHT / 4));
        assert!(bars[0].title.contains("40 requests, 4 5xx"), "{}", bars[0].title);
        assert_eq!(bars[1].x, 143 * STEP, "the current bucket is the last");
        assert_eq!(c[0].peak, "40 requests");
        // 4 of 40 failed: 10 %, the top of the scale; then 0 %.
        assert_eq!(c[1].points.iter().map(|p| p.y).collect::<Vec<_>>(), [PLOT_TOP, PLOT_TOP + PLOT_HEIGHT]);
        assert_eq!(c[1].peak, "10 %");
        assert_eq!(c[1].lines.len(), 1);
        // (30 × 100 + 10 × 300) / 40 = 150 ms on average, 900 at worst.
        assert!(c[2].points.iter().any(|p| p.title.ends_with(": 150 ms")));
        assert_eq!(c[2].peak, "900 ms");
        assert_eq!(c[3].points.len(), 1, "the deepest sample of the bucket");
        assert!(c[3].points[0].title.ends_with("9 jobs"), "{}", c[3].points[0].title);
    }

    #[test]
    fn no_figures_draw_empty_charts_and_gaps_break_lines() {
        let now = at(12, 34);
        let c = charts(&[], &[], now, Lang::Id);
        assert!(c.iter().all(|c| !c.has_data && c.points.is_empty() && c.bars.is_empty()));
        assert_eq!(c[0].labels.first().map(|l| l.1), Some("start"));
        assert_eq!(c[0].labels.last().map(|l| (l.0, l.2.as_str())), Some((BUCKETS * STEP, "19:34")), "WIB");
        let gap = vec![(at(10, 0), figures(1, 0, 10, 10)), (at(12, 0), figures(1, 0, 10, 10))];
        let c = charts(&gap, &[], now, Lang::Id);
        assert_eq!(c[2].points.len(), 4);
        assert!(c[2].lines.is_empty(), "single points are not lines");
        assert_eq!(number(1.25, 1, Lang::Id), "1,2");
        assert_eq!(number(3.0, 1, Lang::En), "3");
        assert_eq!(number(1.5, 2, Lang::En), "1.5");
        assert_eq!(number(3000.0, 2, Lang::Id), "3000");
    }
}
