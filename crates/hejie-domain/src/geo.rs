//! Areas on the map (grids, villages) and the geofence a legal advisor's check-in is held to
//! (issue 7): GeoJSON `Polygon` and `MultiPolygon` geometries in WGS-84 longitude/latitude,
//! containment (holes excluded, concave shapes handled by the even-odd rule), and the distance
//! from a point outside to the nearest boundary, in metres, so a check-in a little outside can be
//! accepted within a tolerance and anything further flagged.
//!
//! Distances use a local equirectangular projection around the point: over the few kilometres a
//! village spans, its error is far below a phone's GPS accuracy.

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// A WGS-84 position, in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

/// A GeoJSON geometry as the import accepts it (RFC 7946 §3.1.6–7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Geometry {
    Polygon {
        coordinates: Vec<Vec<[f64; 2]>>,
    },
    MultiPolygon {
        coordinates: Vec<Vec<Vec<[f64; 2]>>>,
    },
}

/// One polygon: an outer ring and any holes, each ring closed (last position = first).
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    pub exterior: Vec<LonLat>,
    pub holes: Vec<Vec<LonLat>>,
}

/// An area: one or more polygons (a village split by a river, a grid with an enclave).
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    polygons: Vec<Polygon>,
}

/// Where a position lies relative to an area and its tolerance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fence {
    Inside,
    /// Outside, but no further from the boundary than the tolerance: accepted.
    WithinTolerance {
        metres: f64,
    },
    /// Further out than the tolerance: flagged.
    Outside {
        metres: f64,
    },
}

impl Fence {
    /// Whether a check-in here is accepted without a flag.
    pub fn accepted(self) -> bool {
        !matches!(self, Fence::Outside { .. })
    }
}

const EARTH_RADIUS_M: f64 = 6_371_008.8;

fn bad(message: &str) -> ValidationError {
    ValidationError::new("geometry", message.to_owned())
}

fn ring(positions: &[[f64; 2]]) -> Result<Vec<LonLat>, ValidationError> {
    let mut ring: Vec<LonLat> = Vec::with_capacity(positions.len() + 1);
    for [lon, lat] in positions {
        if !lon.is_finite() || !lat.is_finite() || lon.abs() > 180.0 || lat.abs() > 90.0 {
            return Err(bad("坐标超出经纬度范围（经度±180，纬度±90）"));
        }
        ring.push(LonLat {
            lon: *lon,
            lat: *lat,
        });
    }
    // A ring is closed; one given open is closed here rather than refused.
    if let (Some(first), Some(last)) = (ring.first().copied(), ring.last().copied())
        && first != last
    {
        ring.push(first);
    }
    if ring.len() < 4 {
        return Err(bad("多边形的每个环至少需要3个不同的顶点"));
    }
    Ok(ring)
}

impl Area {
    /// The area a GeoJSON geometry describes, with its rings checked.
    pub fn from_geometry(g: &Geometry) -> Result<Area, ValidationError> {
        let polygon = |rings: &[Vec<[f64; 2]>]| -> Result<Polygon, ValidationError> {
            let (outer, holes) = rings.split_first().ok_or_else(|| bad("多边形没有外环"))?;
            Ok(Polygon {
                exterior: ring(outer)?,
                holes: holes.iter().map(|h| ring(h)).collect::<Result<_, _>>()?,
            })
        };
        let polygons = match g {
            Geometry::Polygon { coordinates } => vec![polygon(coordinates)?],
            Geometry::MultiPolygon { coordinates } => coordinates
                .iter()
                .map(|p| polygon(p))
                .collect::<Result<_, _>>()?,
        };
        if polygons.is_empty() {
            return Err(bad("区域没有多边形"));
        }
        Ok(Area { polygons })
    }

    pub fn polygons(&self) -> &[Polygon] {
        &self.polygons
    }

    /// Whether `p` lies inside the area (on a boundary counts as inside).
    pub fn contains(&self, p: LonLat) -> bool {
        self.polygons.iter().any(|poly| {
            (in_ring(&poly.exterior, p) || on_ring(&poly.exterior, p))
                && !poly.holes.iter().any(|h| in_ring(h, p) && !on_ring(h, p))
        })
    }

    /// The distance from `p` to the nearest boundary (outer rings and holes), in metres.
    pub fn distance_to_boundary(&self, p: LonLat) -> f64 {
        self.polygons
            .iter()
            .flat_map(|poly| std::iter::once(&poly.exterior).chain(poly.holes.iter()))
            .flat_map(|r| r.windows(2))
            .map(|w| segment_distance_m(p, w[0], w[1]))
            .fold(f64::INFINITY, f64::min)
    }

    /// Where `p` lies, with `tolerance` metres outside the boundary still accepted.
    pub fn fence(&self, p: LonLat, tolerance: f64) -> Fence {
        if self.contains(p) {
            return Fence::Inside;
        }
        let metres = self.distance_to_boundary(p);
        if metres <= tolerance {
            Fence::WithinTolerance { metres }
        } else {
            Fence::Outside { metres }
        }
    }
}

/// The even-odd rule: a ray from `p` eastwards crosses the ring an odd number of times.
fn in_ring(ring: &[LonLat], p: LonLat) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.lat > p.lat) != (b.lat > p.lat) {
            let x = a.lon + (p.lat - a.lat) * (b.lon - a.lon) / (b.lat - a.lat);
            if p.lon < x {
                inside = !inside;
            }
        }
    }
    inside
}

/// Whether `p` lies on the ring (within a millimetre).
fn on_ring(ring: &[LonLat], p: LonLat) -> bool {
    ring.windows(2)
        .any(|w| segment_distance_m(p, w[0], w[1]) < 0.001)
}

/// The distance in metres from `p` to the segment `a`–`b`, in a local plane around `p`.
fn segment_distance_m(p: LonLat, a: LonLat, b: LonLat) -> f64 {
    let k = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
    let cos = p.lat.to_radians().cos();
    let xy = |q: LonLat| ((q.lon - p.lon) * k * cos, (q.lat - p.lat) * k);
    let (ax, ay) = xy(a);
    let (bx, by) = xy(b);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        ((-ax) * dx + (-ay) * dy) / len2
    }
    .clamp(0.0, 1.0);
    let (cx, cy) = (ax + t * dx, ay + t * dy);
    (cx * cx + cy * cy).sqrt()
}
