//! The server-drawn charts (`hejie_server::charts`) and the table downloads
//! (`hejie_server::export`) as pure functions: the SVG is well-formed, accessible and escaped,
//! bars are proportional to their values; CSV is RFC 4180 with a byte-order mark; the workbook
//! reads back with calamine.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use hejie_server::charts::{self, Bar, Trend};
use hejie_server::export::{self, Cell, Table};

/// A small XML well-formedness check: every tag closes in order, attributes are quoted, no raw
/// `<` or `&` outside markup and entities. Returns the element names in document order.
fn well_formed(svg: &str) -> Vec<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut rest = svg;
    while let Some(lt) = rest.find('<') {
        check_text(&rest[..lt]);
        let gt = rest[lt..].find('>').expect("a tag closes") + lt;
        let tag = &rest[lt + 1..gt];
        assert!(!tag.contains('<'), "a `<` inside a tag: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().expect("a closing tag matches an open one");
            assert_eq!(open, name.trim(), "tags close in order");
        } else {
            let self_closing = tag.ends_with('/');
            let body = tag.trim_end_matches('/');
            let name = body
                .split_whitespace()
                .next()
                .expect("a tag name")
                .to_owned();
            check_attributes(&body[name.len()..]);
            names.push(name.clone());
            if !self_closing {
                stack.push(name);
            }
        }
        rest = &rest[gt + 1..];
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
    names
}

/// Attributes are `name="value"` pairs with no raw `<`, `"` or bare `&` in the value.
fn check_attributes(mut s: &str) {
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return;
        }
        let eq = s.find('=').expect("an attribute has a value");
        assert!(
            !s[..eq].contains(char::is_whitespace),
            "attribute name: {s}"
        );
        let after = &s[eq + 1..];
        assert!(after.starts_with('"'), "attribute values are quoted: {s}");
        let end = after[1..].find('"').expect("a closing quote") + 1;
        check_text(&after[1..end]);
        s = &after[end + 1..];
    }
}

/// Text has only the five predefined entities or numeric ones after `&`.
fn check_text(s: &str) {
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        let tail = &rest[i..];
        let ok = ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
            .iter()
            .any(|e| tail.starts_with(e));
        assert!(ok, "a bare & in {s:?}");
        rest = &rest[i + 1..];
    }
    assert!(!s.contains('>') || s.is_empty() || !s.contains('<'));
}

/// The value of an attribute on each element with it, in order.
fn attr_values(svg: &str, element: &str, attr: &str) -> Vec<String> {
    svg.split(&format!("<{element} "))
        .skip(1)
        .filter_map(|t| {
            let tag = &t[..t.find('>').unwrap_or(t.len())];
            let key = format!(" {attr}=\"");
            let start = format!(" {tag}").find(&key)? + key.len() - 1;
            let v = &tag[start..];
            Some(v[..v.find('"')?].to_owned())
        })
        .collect()
}

#[test]
fn escape_covers_markup_and_drops_control_characters() {
    assert_eq!(
        charts::escape(r#"<a href="x">&'b'</a>"#),
        "&lt;a href=&quot;x&quot;&gt;&amp;&#39;b&#39;&lt;/a&gt;"
    );
    assert_eq!(charts::escape("东门村\u{1}"), "东门村");
}

#[test]
fn the_bar_chart_is_accessible_escaped_and_proportional() {
    let bars = vec![
        Bar {
            label: "邻里纠纷".to_owned(),
            value: 40.0,
            href: Some("/insight/cases?metric=registered&type=neighbour".to_owned()),
        },
        Bar {
            label: "<script>alert(1)</script>".to_owned(),
            value: 10.0,
            href: None,
        },
        Bar {
            label: "婚姻家庭纠纷".to_owned(),
            value: 20.0,
            href: None,
        },
    ];
    let svg = charts::bar_chart("types", "各类纠纷受理数 & 分布", &bars, "件");
    let names = well_formed(&svg);
    assert_eq!(names[0], "svg");
    assert_eq!(&names[1..3], ["title", "desc"]);
    assert!(svg.contains(r#"role="img""#));
    assert!(svg.contains(r#"aria-labelledby="types-title types-desc""#));
    assert!(svg.contains("<title id=\"types-title\">各类纠纷受理数 &amp; 分布</title>"));
    // The description carries every figure, for readers who cannot see the bars.
    assert!(svg.contains("邻里纠纷：40件"), "{svg}");
    assert!(svg.contains("婚姻家庭纠纷：20件"), "{svg}");
    // The hostile label is escaped everywhere and never appears raw.
    assert!(!svg.contains("<script>"), "{svg}");
    assert!(svg.contains("&lt;script&gt;"), "{svg}");
    // No inline style: the CSP forbids it.
    assert!(!svg.contains("style="), "{svg}");
    // Bar lengths are proportional to the values, the longest filling the plot.
    let widths: Vec<f64> = attr_values(&svg, "rect", "width")
        .iter()
        .map(|w| w.parse().expect("a number"))
        .collect();
    assert_eq!(widths.len(), 3);
    assert!(widths[0] > 100.0, "{widths:?}");
    assert!((widths[1] / widths[0] - 0.25).abs() < 0.01, "{widths:?}");
    assert!((widths[2] / widths[0] - 0.5).abs() < 0.01, "{widths:?}");
    // The linked bar is a link to its cases, the others are not.
    assert_eq!(
        attr_values(&svg, "a", "href"),
        ["/insight/cases?metric=registered&amp;type=neighbour"]
    );
    // Nothing to draw is said in words, not an empty box.
    let empty = charts::bar_chart("none", "各类纠纷受理数", &[], "件");
    well_formed(&empty);
    assert!(empty.contains("暂无数据"));
}

#[test]
fn the_trend_chart_has_two_distinguishable_series_and_gaps() {
    let labels: Vec<String> = (1..=12).map(|m| format!("2026-{m:02}")).collect();
    let current: Vec<Option<f64>> = (1..=12).map(|m| Some(f64::from(m))).collect();
    let mut previous: Vec<Option<f64>> = (1..=12).map(|m| Some(f64::from(m) * 2.0)).collect();
    previous[5] = None;
    let svg = charts::trend_chart(&Trend {
        id: "trend",
        title: "纠纷受理数月度趋势（同比）",
        labels: &labels,
        current: &current,
        previous: &previous,
        current_name: "本年",
        previous_name: "上年同期",
        unit: "件",
    });
    well_formed(&svg);
    assert!(svg.contains("<title id=\"trend-title\">纠纷受理数月度趋势（同比）</title>"));
    assert!(svg.contains("2026-06：本年6件，上年同期—"), "{svg}");
    // The axis names months briefly, with the year where it begins.
    assert!(svg.contains(">2026年1月</text>"), "{svg}");
    assert!(svg.contains(">3月</text>"), "{svg}");
    assert!(!svg.contains(">2026-03</text>"), "{svg}");
    // One solid and one dashed line, and markers of two shapes: told apart without colour.
    assert_eq!(svg.matches("<path ").count(), 2, "{svg}");
    assert_eq!(svg.matches("stroke-dasharray=\"6 4\"").count(), 2); // legend + line
    assert_eq!(svg.matches("<circle ").count(), 12 + 1); // points + legend
    assert_eq!(svg.matches("<rect ").count(), 11 + 1); // points (one gap) + legend
    // The gap splits the dashed line into two pieces.
    let dashed = svg
        .split("<path ")
        .skip(1)
        .find(|p| p.contains("stroke-dasharray"))
        .expect("the dashed series");
    assert_eq!(dashed.matches('M').count(), 2, "{dashed}");
    // Higher values are drawn higher (smaller y).
    let ys: Vec<f64> = attr_values(&svg, "circle", "cy")
        .iter()
        .skip(1)
        .map(|y| y.parse().expect("a number"))
        .collect();
    assert!(ys.windows(2).all(|w| w[1] < w[0]), "{ys:?}");
    // And every point lies inside the plot: between the top gridline and the axis.
    let lines: Vec<f64> = attr_values(&svg, "line", "y1")
        .iter()
        .map(|y| y.parse().expect("a number"))
        .collect();
    let axis = lines[2]; // after the two legend lines, the axis (value 0) comes first
    let highest = lines[2..].iter().copied().fold(f64::MAX, f64::min);
    assert!(
        ys.iter().all(|y| *y <= axis && *y >= highest),
        "{ys:?} within {highest}..{axis}"
    );
    // The plot sits between the legend and the month labels, overlapping neither.
    assert!(
        highest >= 30.0,
        "the top gridline clears the legend: {highest}"
    );
    let label_y: f64 = svg
        .split("class=\"tick\">3月<")
        .next()
        .and_then(|b| b.rsplit(" y=\"").next())
        .and_then(|t| t.split('"').next())
        .expect("the month label's y")
        .parse()
        .expect("a number");
    assert!(
        label_y >= axis + 12.0,
        "month labels {label_y} below the axis {axis}"
    );
    assert!(!svg.contains("style="));
    // The axis is divided at round numbers (0, 5, …, 25 for a maximum of 24).
    let ticks: Vec<&str> = svg
        .split("class=\"tick\">")
        .skip(1)
        .take(6)
        .map(|t| &t[..t.find('<').expect("the tick's end")])
        .collect();
    assert_eq!(ticks, ["0", "5", "10", "15", "20", "25"]);
}

#[test]
fn the_heat_map_shades_by_value_and_writes_every_number() {
    let rows = vec!["城关镇".to_owned(), "<b>东岭乡</b>".to_owned()];
    let cols = vec!["2026-10".to_owned(), "2026-11".to_owned()];
    let values = vec![vec![0, 5], vec![10, 1]];
    let svg = charts::heat_map("heat", "下级区划各月纠纷受理数", &rows, &cols, &values);
    well_formed(&svg);
    assert!(svg.contains("&lt;b&gt;东岭乡"), "{svg}");
    assert!(svg.contains(">10月<") && svg.contains(">11月<"), "{svg}");
    let shown: Vec<String> = attr_values(&svg, "rect", "data-value");
    assert_eq!(shown, ["0", "5", "10", "1"]);
    let fills = attr_values(&svg, "rect", "fill");
    // Zero is white; larger values are darker.
    assert_eq!(fills[0], "#ffffff");
    assert_eq!(charts::heat_fill(10, 10).0, "#154469");
    assert_ne!(fills[1], fills[3]);
    assert!(svg.contains("城关镇：2026-10 0件，2026-11 5件"), "{svg}");
}

fn sample() -> Table {
    Table {
        name: "indicators".to_owned(),
        title: "主要指标".to_owned(),
        headers: vec!["指标".to_owned(), "本期".to_owned(), "分子".to_owned()],
        rows: vec![
            vec![Cell::from("调解成功率"), Cell::from("66.7%"), Cell::from(2)],
            vec![
                Cell::from("含,逗号和\"引号\"\n换行"),
                Cell::Empty,
                Cell::Number(0.5),
            ],
        ],
    }
}

#[test]
fn csv_has_a_bom_and_quotes_as_rfc_4180_says() {
    let csv = export::csv(&sample());
    assert!(csv.starts_with('\u{feff}'));
    assert_eq!(
        csv.trim_start_matches('\u{feff}'),
        "指标,本期,分子\r\n调解成功率,66.7%,2\r\n\"含,逗号和\"\"引号\"\"\n换行\",,0.5\r\n"
    );
}

#[test]
fn the_workbook_reads_back_with_its_values() {
    let bytes = export::xlsx(&sample()).expect("a workbook");
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("opens");
    assert_eq!(book.sheet_names(), ["主要指标"]);
    let range = book.worksheet_range("主要指标").expect("the sheet");
    assert_eq!(range.get((0, 0)), Some(&Data::String("指标".to_owned())));
    assert_eq!(range.get((1, 1)), Some(&Data::String("66.7%".to_owned())));
    assert_eq!(range.get((1, 2)), Some(&Data::Float(2.0)));
    assert_eq!(
        range.get((2, 0)),
        Some(&Data::String("含,逗号和\"引号\"\n换行".to_owned()))
    );
    assert!(matches!(range.get((2, 1)), None | Some(Data::Empty)));
    assert_eq!(range.get((2, 2)), Some(&Data::Float(0.5)));
}
