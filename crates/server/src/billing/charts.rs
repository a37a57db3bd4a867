//! Bar charts of money, drawn on the server as SVG (no script, no inline style): groups along
//! the bottom (months, packages, aging buckets), one bar per series in each group, the tallest
//! value on top, the value in each bar's tooltip.

use aglis_core::money::Rupiah;

/// Plot geometry (SVG units).
const PLOT_TOP: i64 = 18;
const PLOT_HEIGHT: i64 = 120;
const BAR_WIDTH: i64 = 14;
const GROUP_GAP: i64 = 12;

/// A series: its colour and the locale key of its legend.
#[derive(Debug, Clone, Copy)]
pub struct Series {
    pub colour: &'static str,
    pub key: &'static str,
}

pub struct Bar {
    pub x: i64,
    pub y: i64,
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

/// A chart of `groups` (label, one value per series), values in rupiah.
pub fn bars(key: &'static str, series: &[Series], groups: &[(String, Vec<i64>)], indonesian: bool) -> BarChart {
    let per_group = i64::try_from(series.len()).unwrap_or(1).max(1);
    let group_width = per_group * BAR_WIDTH + GROUP_GAP;
    let peak = groups.iter().flat_map(|(_, v)| v.iter().copied()).max().unwrap_or(0).max(0);
    let mut chart = BarChart {
        key,
        bars: Vec::new(),
        labels: Vec::new(),
        legend: series.to_vec(),
        peak: short(peak, indonesian),
        width: (i64::try_from(groups.len()).unwrap_or(0) * group_width).max(group_width),
        top_y: PLOT_TOP,
        axis_y: PLOT_TOP + PLOT_HEIGHT,
        has_data: peak > 0,
    };
    for (g, (label, values)) in groups.iter().enumerate() {
        let left = i64::try_from(g).unwrap_or(0) * group_width + GROUP_GAP / 2;
        chart.labels.push(Label { x: left + per_group * BAR_WIDTH / 2, text: label.clone() });
        for (i, (value, s)) in values.iter().zip(series).enumerate() {
            let height = if peak == 0 { 0 } else { (value.max(&0) * PLOT_HEIGHT + peak / 2) / peak };
            chart.bars.push(Bar {
                x: left + i64::try_from(i).unwrap_or(0) * BAR_WIDTH,
                y: PLOT_TOP + PLOT_HEIGHT - height,
                height,
                colour: s.colour,
                title: format!("{label}: {}", Rupiah(*value)),
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
    }

    #[test]
    fn nothing_to_show_is_said_not_drawn_as_nan() {
        let c = bars("t", &S, &[("x".into(), vec![0, 0])], false);
        assert!(!c.has_data);
        assert!(c.bars.iter().all(|b| b.height == 0));
    }

    #[test]
    fn short_amounts_read_in_each_language() {
        assert_eq!(short(12_345_678, true), "Rp 12,3 jt");
        assert_eq!(short(12_345_678, false), "Rp 12.3 M");
        assert_eq!(short(2_000_000_000, true), "Rp 2 M");
        assert_eq!(short(950, true), "Rp 950");
    }
}
