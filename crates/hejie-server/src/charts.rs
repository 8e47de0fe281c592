//! Charts for the 数据研判 pages, drawn on the server as SVG strings.
//!
//! The pages must work without third-party scripts and under a CSP that forbids inline style, so
//! every chart is a self-contained `<svg>` with presentation attributes only (no `style`), an
//! accessible name (`<title>`, `<desc>`, `role="img"`, `aria-labelledby`) and its figures written
//! out as text, so that a screen reader, a printout in black and white and a phone all carry the
//! same information. The two series of the trend chart differ by dash pattern and marker shape as
//! well as colour for the same reason. Every piece of text that comes from data is escaped.

use std::fmt::Write as _;

/// Escapes text for XML content and attribute values (the SVG charts and Open311's XML
/// answers). Carriage returns are dropped with the other control characters: an XML parser
/// would normalise `\r\n` to `\n` anyway.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0; they carry no meaning in a label.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// A number as a chart writes it: integers without decimals, others with one.
pub fn number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Writes a float coordinate compactly (two decimals are more than a screen needs).
fn c(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The opening of a chart: the element, its accessible name and description.
fn open(out: &mut String, id: &str, class: &str, width: f64, height: f64, title: &str, desc: &str) {
    let id = escape(id);
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart {class}" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" font-size="13"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
        w = c(width),
        h = c(height),
        title = escape(title),
        desc = escape(desc),
    );
}

/// Text in the chart, escaped.
fn text(out: &mut String, x: f64, y: f64, anchor: &str, class: &str, s: &str) {
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" text-anchor="{anchor}" class="{class}">{}</text>"#,
        c(x),
        c(y),
        escape(s)
    );
}

/// Colours chosen to stay apart in print and for colour-blind readers: a dark blue and an orange
/// that differ strongly in lightness, so they stay distinct in greyscale too.
const CURRENT: &str = "#1d5b8c";
const PREVIOUS: &str = "#b45309";
const AXIS: &str = "#5b6878";
const GRID: &str = "#d9e0e8";
const INK: &str = "#1c2733";

/// A month label as the axis shows it: `2026-10` becomes `10月`, January `2026年1月` so that the
/// year is read where it changes; anything else is left as it is.
pub fn short_month(label: &str) -> String {
    match label.split_once('-').map(|(y, m)| (y, m.parse::<u8>())) {
        Some((y, Ok(1))) if y.len() == 4 => format!("{y}年1月"),
        Some((y, Ok(m))) if y.len() == 4 && (1..=12).contains(&m) => format!("{m}月"),
        _ => label.to_owned(),
    }
}

/// A "nice" axis step for about five intervals covering `max`: 1, 2 or 5 times a power of ten,
/// never below 1, because most figures are counts and a tick at 6.25 cases means nothing.
fn nice_step(max: f64) -> f64 {
    if max <= 0.0 || !max.is_finite() {
        return 1.0;
    }
    let raw = max / 5.0;
    let p = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|s| *s >= raw - 1e-9)
        .unwrap_or(10.0 * p);
    step.max(1.0)
}

/// The trend of one figure, for [`trend_chart`].
#[derive(Debug, Clone, Copy)]
pub struct Trend<'a> {
    /// A prefix for the element ids, unique on the page.
    pub id: &'a str,
    pub title: &'a str,
    /// The periods, e.g. `2026-10`.
    pub labels: &'a [String],
    /// This period's values; `None` is a gap (no value, e.g. a rate over 0).
    pub current: &'a [Option<f64>],
    /// The same periods a year earlier.
    pub previous: &'a [Option<f64>],
    pub current_name: &'a str,
    pub previous_name: &'a str,
    /// What follows each value in the description (e.g. `件`, `%`).
    pub unit: &'a str,
}

/// Draws the trend of one figure over periods (e.g. months): this period's series against the
/// same periods a year earlier (同比), one line each.
pub fn trend_chart(t: &Trend<'_>) -> String {
    let Trend {
        id,
        title,
        labels,
        current,
        previous,
        current_name,
        previous_name,
        unit,
    } = *t;
    let n = labels.len();
    let (width, height) = (640.0, 260.0);
    let (left, right, top, bottom) = (48.0, 16.0, 36.0, 40.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let all = current.iter().chain(previous.iter()).flatten().copied();
    let peak = all.fold(0.0, f64::max);
    let step = nice_step(peak);
    let intervals = ((peak / step).ceil() as i32).max(1);
    let max = step * f64::from(intervals);
    // The first and last points sit inside the plot so that their labels are not cut off.
    let inset = 20.0;
    let x = |i: usize| {
        if n <= 1 {
            left + plot_w / 2.0
        } else {
            left + inset + (plot_w - 2.0 * inset) * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| top + plot_h - plot_h * v / max;
    let mut desc = format!("{current_name}与{previous_name}按期对比。");
    for (i, l) in labels.iter().enumerate() {
        let fmt = |v: Option<&Option<f64>>| match v.copied().flatten() {
            Some(v) => format!("{}{unit}", number(v)),
            None => "—".to_owned(),
        };
        let _ = write!(
            desc,
            "{l}：{current_name}{}，{previous_name}{}；",
            fmt(current.get(i)),
            fmt(previous.get(i))
        );
    }
    let mut out = String::new();
    open(&mut out, id, "chart-trend", width, height, title, &desc);
    // Legend: a solid line with circles and a dashed line with squares.
    let _ = write!(
        out,
        r#"<g class="legend"><line x1="{l}" y1="14" x2="{l2}" y2="14" stroke="{CURRENT}" stroke-width="2.5"/><circle cx="{lc}" cy="14" r="3.5" fill="{CURRENT}"/>"#,
        l = c(left),
        l2 = c(left + 24.0),
        lc = c(left + 12.0),
    );
    text(
        &mut out,
        left + 30.0,
        18.0,
        "start",
        "legend-label",
        current_name,
    );
    let lx = left + 40.0 + 14.0 * current_name.chars().count() as f64;
    let _ = write!(
        out,
        r#"<line x1="{a}" y1="14" x2="{b}" y2="14" stroke="{PREVIOUS}" stroke-width="2" stroke-dasharray="6 4"/><rect x="{r}" y="10.5" width="7" height="7" fill="{PREVIOUS}"/>"#,
        a = c(lx),
        b = c(lx + 24.0),
        r = c(lx + 8.5),
    );
    text(
        &mut out,
        lx + 30.0,
        18.0,
        "start",
        "legend-label",
        previous_name,
    );
    out.push_str("</g>");
    // Axis with four gridlines.
    out.push_str(r#"<g class="axis">"#);
    for k in 0..=intervals {
        let v = step * f64::from(k);
        let yy = y(v);
        let _ = write!(
            out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>"#,
            c(left),
            c(yy),
            c(left + plot_w),
            c(yy),
            if k == 0 { AXIS } else { GRID }
        );
        text(&mut out, left - 6.0, yy + 4.0, "end", "tick", &number(v));
    }
    // Only every k-th label when there are many, so they do not overlap (about 60 units each).
    let step = (n as f64 * 60.0 / plot_w).ceil().max(1.0) as usize;
    for (i, l) in labels.iter().enumerate() {
        if i % step == 0 || i + 1 == n {
            text(
                &mut out,
                x(i),
                height - bottom + 18.0,
                "middle",
                "tick",
                &short_month(l),
            );
        }
    }
    out.push_str("</g>");
    let series = |out: &mut String,
                  vals: &[Option<f64>],
                  colour: &str,
                  dashed: bool,
                  class: &str| {
        // A line through consecutive defined points; a gap breaks it.
        let mut d = String::new();
        let mut pen = false;
        for (i, v) in vals.iter().enumerate().take(n) {
            match v {
                Some(v) => {
                    let _ = write!(d, "{}{} {}", if pen { "L" } else { "M" }, c(x(i)), c(y(*v)));
                    pen = true;
                }
                None => pen = false,
            }
        }
        let _ = write!(out, r#"<g class="series {class}">"#);
        if !d.is_empty() {
            let _ = write!(
                out,
                r#"<path d="{d}" fill="none" stroke="{colour}" stroke-width="{}"{}/>"#,
                if dashed { "2" } else { "2.5" },
                if dashed {
                    r#" stroke-dasharray="6 4""#
                } else {
                    ""
                }
            );
        }
        for (i, v) in vals.iter().enumerate().take(n) {
            if let Some(v) = v {
                let (px, py) = (x(i), y(*v));
                if dashed {
                    let _ = write!(
                        out,
                        r#"<rect x="{}" y="{}" width="7" height="7" fill="{colour}" data-value="{}"/>"#,
                        c(px - 3.5),
                        c(py - 3.5),
                        number(*v)
                    );
                } else {
                    let _ = write!(
                        out,
                        r#"<circle cx="{}" cy="{}" r="3.5" fill="{colour}" data-value="{}"/>"#,
                        c(px),
                        c(py),
                        number(*v)
                    );
                }
            }
        }
        out.push_str("</g>");
    };
    series(&mut out, previous, PREVIOUS, true, "series-previous");
    series(&mut out, current, CURRENT, false, "series-current");
    // The current values as text above their points, when there is room for them.
    if n <= 12 {
        out.push_str(r#"<g class="values">"#);
        for (i, v) in current.iter().enumerate().take(n) {
            if let Some(v) = v {
                text(&mut out, x(i), y(*v) - 8.0, "middle", "value", &number(*v));
            }
        }
        out.push_str("</g>");
    }
    out.push_str("</svg>");
    out
}

/// One bar: its label, its value and where it links (the cases behind it), if anywhere.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub href: Option<String>,
}

/// Horizontal bars (e.g. cases by dispute type), in the given order, each labelled with its
/// value and `unit`. Bar lengths are proportional to the values (the longest fills the plot).
pub fn bar_chart(id: &str, title: &str, bars: &[Bar], unit: &str) -> String {
    let row = 28.0;
    let (label_w, value_w, width) = (132.0, 64.0, 640.0);
    let plot_w = width - label_w - value_w - 8.0;
    let height = (bars.len().max(1) as f64) * row + 8.0;
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let mut desc = String::new();
    for b in bars {
        let _ = write!(desc, "{}：{}{unit}；", b.label, number(b.value));
    }
    if bars.is_empty() {
        desc.push_str("暂无数据。");
    }
    let mut out = String::new();
    open(&mut out, id, "chart-bars", width, height, title, &desc);
    for (i, b) in bars.iter().enumerate() {
        let top = 4.0 + i as f64 * row;
        let len = if max > 0.0 {
            plot_w * b.value.max(0.0) / max
        } else {
            0.0
        };
        if let Some(href) = &b.href {
            let _ = write!(out, r#"<a href="{}">"#, escape(href));
        }
        let _ = write!(out, r#"<g class="bar-row">"#);
        // Long names are shortened on the chart; the description and the table have them whole.
        let label: String = if b.label.chars().count() > 9 {
            b.label.chars().take(8).chain(['…']).collect()
        } else {
            b.label.clone()
        };
        text(
            &mut out,
            label_w - 8.0,
            top + 18.0,
            "end",
            "bar-label",
            &label,
        );
        let _ = write!(
            out,
            r#"<rect x="{}" y="{}" width="{}" height="20" rx="3" fill="{CURRENT}" class="bar" data-value="{}"/>"#,
            c(label_w),
            c(top + 3.0),
            c(len),
            number(b.value)
        );
        text(
            &mut out,
            label_w + len + 6.0,
            top + 18.0,
            "start",
            "bar-value",
            &format!("{}{unit}", number(b.value)),
        );
        out.push_str("</g>");
        if b.href.is_some() {
            out.push_str("</a>");
        }
    }
    if bars.is_empty() {
        text(&mut out, width / 2.0, 24.0, "middle", "empty", "暂无数据");
    }
    out.push_str("</svg>");
    out
}

/// The fill of a heat-map cell: five steps of one blue hue from light to dark, so that the order
/// survives greyscale printing; zero is white.
pub fn heat_fill(value: i64, max: i64) -> (&'static str, &'static str) {
    const STEPS: [&str; 5] = ["#e8f0f7", "#bcd3e6", "#7fa9cc", "#3f79a8", "#154469"];
    if value <= 0 || max <= 0 {
        return ("#ffffff", INK);
    }
    let k = ((value as f64 / max as f64) * 5.0).ceil() as usize;
    let k = k.clamp(1, 5) - 1;
    (STEPS[k], if k >= 3 { "#ffffff" } else { INK })
}

/// A heat map of rows (divisions) × columns (months): each cell shaded by its value and showing
/// the number itself. `values[r][c]` belongs to `rows[r]` and `cols[c]`.
pub fn heat_map(
    id: &str,
    title: &str,
    rows: &[String],
    cols: &[String],
    values: &[Vec<i64>],
) -> String {
    let (label_w, cell_w, cell_h, head) = (120.0, 44.0, 26.0, 28.0);
    let width = label_w + cell_w * cols.len().max(1) as f64 + 8.0;
    let height = head + cell_h * rows.len().max(1) as f64 + 4.0;
    let max = values.iter().flatten().copied().max().unwrap_or(0);
    let mut desc = String::new();
    for (r, name) in rows.iter().enumerate() {
        let _ = write!(desc, "{name}：");
        for (k, col) in cols.iter().enumerate() {
            let v = values.get(r).and_then(|v| v.get(k)).copied().unwrap_or(0);
            let _ = write!(desc, "{col} {v}件，");
        }
        desc.push('；');
    }
    if rows.is_empty() {
        desc.push_str("暂无数据。");
    }
    let mut out = String::new();
    open(&mut out, id, "chart-heat", width, height, title, &desc);
    for (k, col) in cols.iter().enumerate() {
        // Month columns are labelled by the month alone ("10月") when they are `YYYY-MM`.
        let short = col
            .split_once('-')
            .and_then(|(_, m)| m.parse::<u8>().ok())
            .map_or_else(|| col.clone(), |m| format!("{m}月"));
        // The year is in the description and the page's heading; the column has room for the
        // month only.
        text(
            &mut out,
            label_w + cell_w * (k as f64 + 0.5),
            head - 10.0,
            "middle",
            "tick",
            &short,
        );
    }
    for (r, name) in rows.iter().enumerate() {
        let top = head + cell_h * r as f64;
        let label: String = if name.chars().count() > 8 {
            name.chars().take(7).chain(['…']).collect()
        } else {
            name.clone()
        };
        text(
            &mut out,
            label_w - 8.0,
            top + 17.0,
            "end",
            "bar-label",
            &label,
        );
        for k in 0..cols.len() {
            let v = values.get(r).and_then(|v| v.get(k)).copied().unwrap_or(0);
            let (fill, ink) = heat_fill(v, max);
            let x = label_w + cell_w * k as f64;
            let _ = write!(
                out,
                r##"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}" stroke="#ffffff" stroke-width="2" data-value="{v}"/>"##,
                c(x),
                c(top),
                c(cell_w),
                c(cell_h)
            );
            let _ = write!(
                out,
                r#"<text x="{}" y="{}" text-anchor="middle" fill="{ink}" class="cell-value">{v}</text>"#,
                c(x + cell_w / 2.0),
                c(top + 17.0)
            );
        }
    }
    if rows.is_empty() {
        text(
            &mut out,
            width / 2.0,
            head + 18.0,
            "middle",
            "empty",
            "暂无数据",
        );
    }
    out.push_str("</svg>");
    out
}
