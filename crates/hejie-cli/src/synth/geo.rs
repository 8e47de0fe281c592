//! Boundaries for the demo county (issue 7): every village and grid gets a polygon, so the map,
//! the geofence and the GeoJSON export have something real-shaped to work on.
//!
//! Townships are laid side by side around 和安县's invented centre; each township's villages
//! tile its block, and each village is cut into its grids. Corners are shared and nudged by a
//! deterministic jitter, so neighbours meet exactly and the shapes are irregular quadrilaterals
//! rather than a chessboard.

use hejie_domain::division::DivisionCode;
use serde_json::json;

use super::county::{County, stable_id};

/// The south-west corner of the county, in degrees.
const ORIGIN: (f64, f64) = (119.50, 29.00);
/// The size of one village cell, in degrees (about 1.9 km east-west, 2.2 km north-south).
const CELL: (f64, f64) = (0.020, 0.020);

/// A deterministic nudge in [-0.3, 0.3] of a cell for the lattice point (x, y).
fn jitter(x: i64, y: i64, axis: u8) -> f64 {
    let bytes = stable_id(&format!("corner:{x}:{y}:{axis}")).into_bytes();
    (f64::from(bytes[0]) / 255.0 - 0.5) * 0.6
}

/// The lattice point (x, y) in degrees; border points of the county are not nudged outwards.
fn corner(x: i64, y: i64) -> (f64, f64) {
    (
        ORIGIN.0 + (x as f64 + jitter(x, y, 0) * 0.5) * CELL.0,
        ORIGIN.1 + (y as f64 + jitter(x, y, 1) * 0.5) * CELL.1,
    )
}

fn lerp(a: (f64, f64), b: (f64, f64), t: f64) -> (f64, f64) {
    (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t)
}

fn round6(p: (f64, f64)) -> [f64; 2] {
    [(p.0 * 1e6).round() / 1e6, (p.1 * 1e6).round() / 1e6]
}

fn polygon(ring: &[(f64, f64)]) -> String {
    let mut coords: Vec<[f64; 2]> = ring.iter().copied().map(round6).collect();
    coords.push(round6(ring[0]));
    json!({"type": "Polygon", "coordinates": [coords]}).to_string()
}

/// GeoJSON geometry text for every village and grid of the county.
pub fn boundaries(county: &County) -> Vec<(DivisionCode, String)> {
    let mut out = Vec::new();
    // Each township is a block of columns; its villages fill the block three cells high.
    let mut column = 0_i64;
    let mut by_township: Vec<Vec<&super::county::Village>> = Vec::new();
    for v in &county.villages {
        if by_township.len() <= v.township {
            by_township.resize(v.township + 1, Vec::new());
        }
        by_township[v.township].push(v);
    }
    for villages in by_township {
        let rows = 3_i64;
        for (i, v) in villages.iter().enumerate() {
            let i = i as i64;
            let (x, y) = (column + i / rows, i % rows);
            let sw = corner(x, y);
            let se = corner(x + 1, y);
            let ne = corner(x + 1, y + 1);
            let nw = corner(x, y + 1);
            out.push((v.code.clone(), polygon(&[sw, se, ne, nw])));
            let n = v.grids.len().max(1) as f64;
            for (g, (code, _)) in v.grids.iter().enumerate() {
                let (t0, t1) = (g as f64 / n, (g + 1) as f64 / n);
                // Grids are strips from west to east across the village.
                out.push((
                    code.clone(),
                    polygon(&[
                        lerp(sw, se, t0),
                        lerp(sw, se, t1),
                        lerp(nw, ne, t1),
                        lerp(nw, ne, t0),
                    ]),
                ));
            }
        }
        column += (villages.len() as i64 + rows - 1) / rows + 1;
    }
    out
}

/// A point inside a grid's strip, `u` and `v` in (0, 1) across and along it.
pub fn point_in(geometry: &str, u: f64, v: f64) -> Option<(f64, f64)> {
    let g: serde_json::Value = serde_json::from_str(geometry).ok()?;
    let ring = g.get("coordinates")?.get(0)?.as_array()?;
    let p = |i: usize| -> Option<(f64, f64)> {
        let c = ring.get(i)?.as_array()?;
        Some((c.first()?.as_f64()?, c.get(1)?.as_f64()?))
    };
    let (a, b, c, d) = (p(0)?, p(1)?, p(2)?, p(3)?);
    let bottom = lerp(a, b, u);
    let top = lerp(d, c, u);
    Some(lerp(bottom, top, v))
}
