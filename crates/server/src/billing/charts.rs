//! Bar charts of money (and, through [`measured`], of counts and measures: the start page's
//! trends), drawn on the server as SVG (no script, no inline style): groups along the bottom
//! (months, packages, aging buckets), one bar per series in each group or one stacked column, the
//! tallest value on top, the value in each bar's tooltip.

use aglis_core::money::Rupiah;

/// Plot geometry (SVG units): every chart is as wide, so text reads the same size in each.
const PLOT_TOP: i64 = 18;
const PLOT_HEIGHT: i64 = 120;
const WIDTH: i64 = 480;
const MAX_BAR_WIDTH: i64 = 28;
/// Roughly the width of one character of the 9-unit label font.
const CHAR_WIDTH: i64 = 5;

/// A series: its colour and the locale key of its legend.
#[derive(Debug, Clone, Copy)]
pub struct Series {
    pub colour: &'static str,
    pub key: &'static str,
}

pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    pub colour: &'static str,
    pub title: String,
}

pub struct Label {
    pub x: i64,
    pub text: String,
}

pub struct BarChart {
    /// The element id and the locale key `billing.chart.<key>`.
    pub key: &'static str,
    pub bars: Vec<Bar>,
    pub labels: Vec<Label>,
    pub legend: Vec<Series>,
    pub peak: String,
    pub width: i64,
    pub top_y: i64,
    pub axis_y: i64,
    pub has_data: bool,
}

/// `Rp 12,3 jt` / `Rp 12.3 M`-style short amounts for the top line.
pub fn short(amount: i64, indonesian: bool) -> String {
    let (value, unit) = match amount.abs() {
        a if a >= 1_000_000_000 => (amount as f64 / 1e9, if indonesian { "M" } else { "B" }),
        a if a >= 1_000_000 => (amount as f64 / 1e6, if indonesian { "jt" } else { "M" }),
        a if a >= 1_000 => (amount as f64 / 1e3, if indonesian { "rb" } else { "K" }),
        _ => return Rupiah(amount).to_string(),
    };
    let text = format!("{value:.1}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    let text = if indonesian { text.replace('.', ",") } else { text.to_owned() };
    format!("Rp {text} {unit}")
}

/// A label cut to `max` characters (with an ellipsis).
fn fit(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_owned();
    }
    let mut out: String = label.chars().take(max.saturating_sub(1).max(1)).collect();
    out.push('…');
    out
}

/// A chart of `groups` (label, one value per series), values in rupiah.
pub fn bars(key: &'static str, series: &[Series], groups: &[(String, Vec<i64>)], indonesian: bool) -> BarChart {
    let peak = groups.iter().flat_map(|(_, v)| v.iter().copied()).max().unwrap_or(0).max(0);
    draw(key, series, groups, Layout::Side, peak, short(peak, indonesian), &|label, _, value| {
        format!("{label}: {}", Rupiah(value))
    })
}

/// A chart of counts or measures: each group's bars side by side (`stacked` false) or one column
/// of its values stacked in series order. The plot's top is `top` (e.g. 100 for percentages) or
/// else the largest bar or column; `value` writes a value for the top line and the tooltips,
/// whose text is `title(group label, series index, value)`.
pub fn measured(
    key: &'static str,
    series: &[Series],
    groups: &[(String, Vec<i64>)],
    stacked: bool,
    top: Option<i64>,
    value: &dyn Fn(i64) -> String,
    title: &dyn Fn(&str, usize, i64) -> String,
) -> BarChart {
    let layout = if stacked { Layout::Stacked } else { Layout::Side };
    let tallest = groups
        .iter()
        .map(|(_, v)| {
            let v = v.iter().map(|n| (*n).max(0));
            if stacked { v.sum() } else { v.max().unwrap_or(0) }
        })
        .max()
        .unwrap_or(0);
    let peak = top.unwrap_or(tallest).max(tallest);
    let mut chart = draw(key, series, groups, layout, peak, value(peak), title);
    chart.has_data = tallest > 0;
    chart
}

#[derive(Clone, Copy, PartialEq)]
enum Layout {
    Side,
    Stacked,
}

/// Draws the bars of `groups` against `peak` (the top line, written `peak_text`).
fn draw(
    key: &'static str,
    series: &[Series],
    groups: &[(String, Vec<i64>)],
    layout: Layout,
    peak: i64,
    peak_text: String,
    title: &dyn Fn(&str, usize, i64) -> String,
) -> BarChart {
    let per_group = if layout == Layout::Stacked { 1 } else { i64::try_from(series.len()).unwrap_or(1).max(1) };
    let count = i64::try_from(groups.len()).unwrap_or(0).max(1);
    let group_width = WIDTH / count;
    let gap = (group_width / 4).max(4);
    let bar_width = ((group_width - gap) / per_group).clamp(2, MAX_BAR_WIDTH);
    let max_chars = usize::try_from(group_width / CHAR_WIDTH).unwrap_or(1).max(1);
    let scaled = |value: i64| if peak <= 0 { 0 } else { (value.max(0) * PLOT_HEIGHT + peak / 2) / peak };
    let mut chart = BarChart {
        key,
        bars: Vec::new(),
        labels: Vec::new(),
        legend: series.to_vec(),
        peak: peak_text,
        width: WIDTH,
        top_y: PLOT_TOP,
        axis_y: PLOT_TOP + PLOT_HEIGHT,
        has_data: peak > 0,
    };
    for (g, (label, values)) in groups.iter().enumerate() {
        let centre = i64::try_from(g).unwrap_or(0) * group_width + group_width / 2;
        let left = centre - per_group * bar_width / 2;
        chart.labels.push(Label { x: centre, text: fit(label, max_chars) });
        // Stacked: each segment from the running total, so the rounding never adds up.
        let mut below = 0;
        for (i, (value, s)) in values.iter().zip(series).enumerate() {
            let (x, bottom, height) = match layout {
                Layout::Side => (left + i64::try_from(i).unwrap_or(0) * bar_width, 0, scaled(*value)),
                Layout::Stacked => {
                    let bottom = scaled(below);
                    below += (*value).max(0);
                    (left, bottom, scaled(below) - bottom)
                }
            };
            chart.bars.push(Bar {
                x,
                y: PLOT_TOP + PLOT_HEIGHT - bottom - height,
                width: (bar_width - 1).max(1),
                height,
                colour: s.colour,
                title: title(label, i, *value),
            });
        }
    }
    chart
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: [Series; 2] = [Series { colour: "#0b5cad", key: "a" }, Series { colour: "#2e7d32", key: "b" }];

    #[test]
    fn the_tallest_bar_fills_the_plot_and_others_scale() {
        let c = bars("t", &S, &[("2026-11".into(), vec![200, 100]), ("2026-12".into(), vec![50, 0])], true);
        assert_eq!(c.bars.len(), 4);
        assert_eq!((c.bars[0].height, c.bars[0].y), (PLOT_HEIGHT, PLOT_TOP));
        assert_eq!(c.bars[1].height, PLOT_HEIGHT / 2);
        assert_eq!(c.bars[2].height, PLOT_HEIGHT / 4);
        assert_eq!(c.bars[3].height, 0);
        assert!(c.has_data && c.bars[1].title.contains("Rp 100"));
        assert_eq!(c.labels.len(), 2);
        assert!(c.bars.iter().all(|b| b.x >= 0 && b.x + b.width <= WIDTH), "inside the chart");
    }

    #[test]
    fn long_labels_are_cut_to_their_group() {
        let groups: Vec<(String, Vec<i64>)> =
            (0..12).map(|i| (format!("Home Platinum 100M {i}"), vec![1, 2])).collect();
        let c = bars("t", &S, &groups, true);
        assert!(c.labels.iter().all(|l| l.text.chars().count() <= 8), "{:?}", c.labels[0].text);
        assert_eq!(fit("Silver", 10), "Silver");
        assert_eq!(fit("Home Silver 50M", 6), "Home …");
    }

    #[test]
    fn nothing_to_show_is_said_not_drawn_as_nan() {
        let c = bars("t", &S, &[("x".into(), vec![0, 0])], false);
        assert!(!c.has_data);
        assert!(c.bars.iter().all(|b| b.height == 0));
    }

    #[test]
    fn stacked_columns_add_up_to_their_total_and_start_at_the_axis() {
        let title = |l: &str, i: usize, v: i64| format!("{l} {i} {v}");
        let groups =
            [("a".to_owned(), vec![1, 1, 1]), ("b".to_owned(), vec![2, 0, 1]), ("c".to_owned(), vec![0, 0, 0])];
        let three = [S[0], S[1], S[0]];
        let c = measured("t", &three, &groups, true, None, &|v| v.to_string(), &title);
        assert_eq!(c.peak, "3");
        let a: Vec<&Bar> = c.bars.iter().take(3).collect();
        assert_eq!(a.iter().map(|b| b.height).sum::<i64>(), PLOT_HEIGHT, "the tallest column fills the plot");
        assert_eq!(a[0].y + a[0].height, PLOT_TOP + PLOT_HEIGHT, "the first segment sits on the axis");
        assert_eq!(a[1].y + a[1].height, a[0].y, "the next one on it");
        assert!(a.iter().all(|b| b.x == a[0].x), "one column");
        assert_eq!(c.bars[4].height, 0);
        assert_eq!(c.bars[3].title, "b 0 2");
        assert!(c.has_data);
    }

    #[test]
    fn a_fixed_top_scales_percentages_and_an_empty_chart_says_so() {
        let groups = [("a".to_owned(), vec![50]), ("b".to_owned(), vec![100])];
        let c = measured("t", &S[..1], &groups, false, Some(100), &|v| format!("{v}%"), &|_, _, v| v.to_string());
        assert_eq!((c.bars[0].height, c.bars[1].height), (PLOT_HEIGHT / 2, PLOT_HEIGHT));
        assert_eq!(c.peak, "100%");
        let none = [("a".to_owned(), vec![0])];
        assert!(
            !measured("t", &S[..1], &none, false, Some(100), &|v| v.to_string(), &|_, _, v| v.to_string()).has_data
        );
    }

    #[test]
    fn short_amounts_read_in_each_language() {
        assert_eq!(short(12_345_678, true), "Rp 12,3 jt");
        assert_eq!(short(12_345_678, false), "Rp 12.3 M");
        assert_eq!(short(2_000_000_000, true), "Rp 2 M");
        assert_eq!(short(950, true), "Rp 950");
    }
}
