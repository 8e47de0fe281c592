//! The map of a division's grids as SVG, drawn on the server (issue 7): no tile server, no
//! script. Each grid is a path coloured by a count (open cases, open hazards) of the unit it is
//! shown as part of; the units are links, so clicking one drills down. Boundaries come from the
//! stored GeoJSON and are projected equirectangularly about the map's mean latitude, which over
//! a county is indistinguishable from anything fancier.

use std::fmt::Write as _;

use hejie_domain::division::{DivisionCode, Level};
use hejie_domain::geo::{Area, Geometry, LonLat};
use hejie_store::field::FieldFilter;

use crate::error::AppError;
use crate::state::AppState;

/// One shape on the map.
#[derive(Debug, Clone)]
pub struct Shape {
    pub area: Area,
    /// The unit the shape belongs to (its value and link are the unit's).
    pub unit: usize,
}

/// A unit of the map: a township, village or grid with its count and where a click goes.
#[derive(Debug, Clone)]
pub struct Unit {
    pub name: String,
    pub value: u64,
    pub href: String,
    /// A short label drawn at its centre (e.g. stars); empty for none.
    pub badge: String,
}

/// The colours of the five classes, lightest for zero.
const RAMP: [&str; 5] = ["#eef2f5", "#fde9a9", "#f9b36b", "#ec6a4c", "#b3261e"];

/// The class of `value` given the largest value on the map: zero, then four equal steps.
fn class(value: u64, max: u64) -> usize {
    if value == 0 || max == 0 {
        return 0;
    }
    let step = (value * 4).div_ceil(max);
    usize::try_from(step.clamp(1, 4)).unwrap_or(4)
}

struct Projection {
    west: f64,
    north: f64,
    scale_x: f64,
    scale_y: f64,
}

impl Projection {
    /// Fits the shapes into `width` by at most `max_height`, keeping their proportions; returns
    /// the projection and the drawing's width and height.
    fn fit(shapes: &[Shape], width: f64, max_height: f64) -> (Self, f64, f64) {
        let (mut w, mut e, mut s, mut n) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for p in shapes.iter().flat_map(|s| points(&s.area)) {
            w = w.min(p.lon);
            e = e.max(p.lon);
            s = s.min(p.lat);
            n = n.max(p.lat);
        }
        if w > e {
            (w, e, s, n) = (0.0, 1.0, 0.0, 1.0);
        }
        let k = ((s + n) / 2.0).to_radians().cos().max(0.1);
        let span_x = ((e - w) * k).max(1e-9);
        let span_y = (n - s).max(1e-9);
        let scale = (width / span_x).min(max_height / span_y);
        (
            Projection {
                west: w,
                north: n,
                scale_x: scale * k,
                scale_y: scale,
            },
            span_x * scale,
            span_y * scale,
        )
    }

    fn xy(&self, p: LonLat) -> (f64, f64) {
        (
            (p.lon - self.west) * self.scale_x,
            (self.north - p.lat) * self.scale_y,
        )
    }
}

fn points(area: &Area) -> impl Iterator<Item = LonLat> + '_ {
    area.polygons()
        .iter()
        .flat_map(|p| p.exterior.iter().copied())
}

fn path(out: &mut String, area: &Area, proj: &Projection) {
    for polygon in area.polygons() {
        for ring in std::iter::once(&polygon.exterior).chain(polygon.holes.iter()) {
            for (i, p) in ring.iter().enumerate() {
                let (x, y) = proj.xy(*p);
                let _ = write!(out, "{}{x:.1} {y:.1}", if i == 0 { "M" } else { "L" });
            }
            out.push('Z');
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG of `shapes` coloured by their units' values, with a legend naming `measure`.
/// `outlines` are drawn over the shapes as unit borders (the villages of a township's map).
pub fn render(
    shapes: &[Shape],
    outlines: &[Area],
    units: &[Unit],
    title: &str,
    measure: &str,
) -> String {
    let (proj, drawn_width, height) = Projection::fit(shapes, 760.0, 560.0);
    let width = drawn_width.max(640.0);
    let max = units.iter().map(|u| u.value).max().unwrap_or(0);
    let legend_h = 36.0;
    let mut svg = String::with_capacity(shapes.len() * 160 + 2048);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="-4 -4 {w:.0} {h:.0}" role="img" aria-labelledby="map-title"><title id="map-title">{t}</title>"#,
        w = width + 8.0,
        h = height + legend_h + 8.0,
        t = escape(title)
    );
    // Shapes grouped by unit, so one link and one tooltip cover all of a unit's shapes.
    let mut by_unit: Vec<Vec<&Shape>> = vec![Vec::new(); units.len()];
    for s in shapes {
        if let Some(v) = by_unit.get_mut(s.unit) {
            v.push(s);
        }
    }
    let mut badges = String::new();
    for (i, (unit, members)) in units.iter().zip(&by_unit).enumerate() {
        if members.is_empty() {
            continue;
        }
        let fill = RAMP[class(unit.value, max)];
        let _ = write!(
            svg,
            r#"<a href="{href}" class="map-unit" data-unit="{i}"><title>{name}：{measure}{value}</title><path fill="{fill}" fill-rule="evenodd" d=""#,
            href = escape(&unit.href),
            name = escape(&unit.name),
            measure = escape(measure),
            value = unit.value,
        );
        for s in members {
            path(&mut svg, &s.area, &proj);
        }
        svg.push_str(r#""/></a>"#);
        {
            let (mut sx, mut sy, mut n) = (0.0, 0.0, 0.0);
            for p in members.iter().flat_map(|s| points(&s.area)) {
                let (x, y) = proj.xy(p);
                sx += x;
                sy += y;
                n += 1.0;
            }
            if n > 0.0 {
                let (x, y) = (sx / n, sy / n);
                let _ = write!(
                    badges,
                    r#"<text class="map-label" x="{x:.1}" y="{y:.1}" text-anchor="middle">{}</text>"#,
                    escape(&unit.name)
                );
                if !unit.badge.is_empty() {
                    let _ = write!(
                        badges,
                        r#"<text class="map-badge" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                        y + 14.0,
                        escape(&unit.badge)
                    );
                }
            }
        }
    }
    if !outlines.is_empty() {
        svg.push_str(r#"<path class="map-outline" fill="none" d=""#);
        for a in outlines {
            path(&mut svg, a, &proj);
        }
        svg.push_str(r#""/>"#);
    }
    svg.push_str(&badges);
    // The legend: the five classes with their ranges.
    let y = height + 12.0;
    let _ = write!(
        svg,
        r#"<g class="map-legend"><text x="0" y="{ty:.1}">{m}</text>"#,
        ty = y + 12.0,
        m = escape(measure)
    );
    for (k, colour) in RAMP.iter().enumerate() {
        let x = 120.0 + k as f64 * 110.0;
        let label = match k {
            0 => "0".to_owned(),
            _ if max == 0 => "—".to_owned(),
            _ => {
                let lo = (max * (k as u64 - 1)) / 4 + 1;
                let hi = (max * k as u64) / 4;
                if lo >= hi {
                    hi.to_string()
                } else {
                    format!("{lo}–{hi}")
                }
            }
        };
        let _ = write!(
            svg,
            r##"<rect x="{x:.0}" y="{y:.1}" width="18" height="14" fill="{colour}" stroke="#999" stroke-width=".5"/><text x="{tx:.0}" y="{ty:.1}">{label}</text>"##,
            tx = x + 24.0,
            ty = y + 12.0,
        );
    }
    svg.push_str("</g></svg>");
    svg
}

/// What the map shows of an area: its grids grouped into the units one level below it, each
/// with its count and link. Shared by the page and the benchmark.
#[derive(Debug)]
pub struct MapData {
    pub shapes: Vec<Shape>,
    /// The units' own boundaries where they are stored (villages), drawn as borders.
    pub outlines: Vec<Area>,
    pub units: Vec<Unit>,
    pub codes: Vec<DivisionCode>,
    /// Grids of the area with no boundary on file.
    pub missing: usize,
}

/// Builds the map of `area` measured `by` (`cases` or `hazards`).
pub async fn data(state: &AppState, area: &DivisionCode, by: &str) -> Result<MapData, AppError> {
    let r = state.reference();
    let child_level = area.level().child().unwrap_or(Level::Grid);
    let counts: Vec<(String, u64)> = if by == "hazards" {
        let rows = state
            .store
            .field_records(&FieldFilter {
                within: Some(area.clone()),
                kind: Some("report".to_owned()),
                ledger: Some("hazard".to_owned()),
                status: Some("open".to_owned()),
                limit: 100_000,
                ..FieldFilter::default()
            })
            .await?;
        rows.into_iter().map(|row| (row.division, 1)).collect()
    } else {
        state.store.open_cases_by_place(area).await?
    };
    // Units: the divisions one level down (the grids themselves inside a village).
    let mut codes: Vec<DivisionCode> = r.tree.children(area).map(|d| d.code.clone()).collect();
    if area.level() == Level::Grid {
        codes = vec![area.clone()];
    }
    codes.sort();
    let index = |d: &DivisionCode| -> Option<usize> {
        let unit = if area.level() == Level::Grid {
            d.clone()
        } else {
            d.ancestor_at(child_level).unwrap_or_else(|| d.clone())
        };
        codes.binary_search(&unit).ok()
    };
    let mut values = vec![0_u64; codes.len()];
    for (place, n) in counts {
        if let Some(i) = DivisionCode::parse(&place).ok().as_ref().and_then(index) {
            values[i] += n;
        }
    }
    let stored = state.store.areas(area).await?;
    let mut shapes = Vec::new();
    let mut outlines = Vec::new();
    let mut grids = 0;
    for a in &stored {
        if a.division.level() != Level::Grid {
            if a.division.level() == child_level
                && let Ok(g) = serde_json::from_str::<Geometry>(&a.geometry)
                && let Ok(area) = Area::from_geometry(&g)
            {
                outlines.push(area);
            }
            continue;
        }
        grids += 1;
        let (Some(unit), Ok(g)) = (
            index(&a.division),
            serde_json::from_str::<Geometry>(&a.geometry),
        ) else {
            continue;
        };
        if let Ok(area) = Area::from_geometry(&g) {
            shapes.push(Shape { area, unit });
        }
    }
    let all_grids = r
        .tree
        .subtree(area)
        .filter(|d| d.code.level() == Level::Grid)
        .count();
    let units = codes
        .iter()
        .zip(&values)
        .map(|(c, v)| Unit {
            name: r
                .division(c)
                .map_or_else(|| c.to_string(), |d| d.name.clone()),
            value: *v,
            href: if c.level() == Level::Grid {
                format!(
                    "/field/ledgers?division={c}&show={}",
                    if by == "hazards" { "hazard" } else { "dispute" }
                )
            } else {
                format!("/field/map?division={c}&by={by}")
            },
            badge: String::new(),
        })
        .collect();
    Ok(MapData {
        shapes,
        outlines,
        units,
        codes,
        missing: all_grids.saturating_sub(grids),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hejie_domain::geo::Geometry;

    fn square(x: f64, y: f64) -> Area {
        let ring = vec![[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01]];
        Area::from_geometry(&Geometry::Polygon {
            coordinates: vec![ring],
        })
        .expect("a square")
    }

    #[test]
    fn classes_split_the_range_in_four_with_zero_apart() {
        let got: Vec<usize> = [0, 1, 25, 26, 50, 75, 76, 100]
            .iter()
            .map(|v| class(*v, 100))
            .collect();
        assert_eq!(got, vec![0, 1, 1, 2, 2, 3, 4, 4]);
        assert_eq!(class(3, 0), 0);
    }

    #[test]
    fn each_unit_is_one_link_with_its_count_and_colour_and_names_are_escaped() {
        let shapes = vec![
            Shape {
                area: square(119.5, 29.0),
                unit: 0,
            },
            Shape {
                area: square(119.51, 29.0),
                unit: 0,
            },
            Shape {
                area: square(119.52, 29.0),
                unit: 1,
            },
        ];
        let units = vec![
            Unit {
                name: "东门村".to_owned(),
                value: 8,
                href: "/field/map?division=339021100201&by=cases".to_owned(),
                badge: String::new(),
            },
            Unit {
                name: "<西门村>".to_owned(),
                value: 0,
                href: "/x".to_owned(),
                badge: "★★★".to_owned(),
            },
        ];
        let svg = render(&shapes, &[], &units, "城关镇", "在办案件");
        assert_eq!(svg.matches("<a ").count(), 2);
        assert!(svg.contains("division=339021100201&amp;by=cases"));
        assert!(svg.contains("<title>东门村：在办案件8</title><path fill=\"#b3261e\""));
        assert!(svg.contains("&lt;西门村&gt;"));
        assert!(svg.contains(">★★★</text>"));
        assert!(svg.contains("class=\"map-label\""));
        // The first unit's two squares are one path with two rings.
        let first = svg.split("data-unit=\"0\"").nth(1).expect("unit 0");
        let d = first
            .split("d=\"")
            .nth(1)
            .expect("path")
            .split('"')
            .next()
            .expect("d");
        assert_eq!(d.matches('M').count(), 2);
    }
}
