//! Geofences on real-shaped areas (issue 7): a concave village, a grid with a hole (an enclave
//! of another grid), a village in two parts, and points just inside and just outside the
//! tolerance a check-in is given.

use hejie_domain::geo::{Area, Fence, Geometry, LonLat};

/// A point `east` and `north` metres from a spot in 和安县 (119.65°E, 29.12°N).
fn at(east: f64, north: f64) -> LonLat {
    let lat0: f64 = 29.12;
    let m_per_deg = 6_371_008.8 * std::f64::consts::PI / 180.0;
    LonLat {
        lon: 119.65 + east / (m_per_deg * lat0.to_radians().cos()),
        lat: lat0 + north / m_per_deg,
    }
}

fn ring(points: &[(f64, f64)]) -> Vec<[f64; 2]> {
    points
        .iter()
        .map(|(e, n)| {
            let p = at(*e, *n);
            [p.lon, p.lat]
        })
        .collect()
}

/// A U-shaped village: two arms 200 m wide around a 200 m notch that belongs to its neighbour.
fn concave() -> Area {
    Area::from_geometry(&Geometry::Polygon {
        coordinates: vec![ring(&[
            (0.0, 0.0),
            (600.0, 0.0),
            (600.0, 600.0),
            (400.0, 600.0),
            (400.0, 200.0),
            (200.0, 200.0),
            (200.0, 600.0),
            (0.0, 600.0),
        ])],
    })
    .expect("a valid polygon")
}

/// A square grid of 1 km with a 200 m enclave in the middle.
fn with_hole() -> Area {
    Area::from_geometry(&Geometry::Polygon {
        coordinates: vec![
            ring(&[(0.0, 0.0), (1000.0, 0.0), (1000.0, 1000.0), (0.0, 1000.0)]),
            ring(&[
                (400.0, 400.0),
                (600.0, 400.0),
                (600.0, 600.0),
                (400.0, 600.0),
            ]),
        ],
    })
    .expect("a valid polygon with a hole")
}

/// A village in two parts 1 km apart (across a river).
fn two_parts() -> Area {
    Area::from_geometry(&Geometry::MultiPolygon {
        coordinates: vec![
            vec![ring(&[
                (0.0, 0.0),
                (300.0, 0.0),
                (300.0, 300.0),
                (0.0, 300.0),
            ])],
            vec![ring(&[
                (1300.0, 0.0),
                (1600.0, 0.0),
                (1600.0, 300.0),
                (1300.0, 300.0),
            ])],
        ],
    })
    .expect("a valid multipolygon")
}

/// (what, area, point, tolerance in metres, expected: inside / accepted / flagged, distance)
type Case = (
    &'static str,
    fn() -> Area,
    (f64, f64),
    f64,
    &'static str,
    f64,
);

#[test]
fn check_ins_are_inside_within_tolerance_or_flagged() {
    let table: [Case; 13] = [
        (
            "left arm of the U",
            concave,
            (100.0, 300.0),
            50.0,
            "inside",
            0.0,
        ),
        (
            "the U's notch, 100 m from both arms",
            concave,
            (300.0, 400.0),
            50.0,
            "flagged",
            100.0,
        ),
        (
            "the notch, with a 120 m tolerance",
            concave,
            (300.0, 400.0),
            120.0,
            "accepted",
            100.0,
        ),
        (
            "45 m west of the village",
            concave,
            (-45.0, 300.0),
            50.0,
            "accepted",
            45.0,
        ),
        (
            "55 m west of the village",
            concave,
            (-55.0, 300.0),
            50.0,
            "flagged",
            55.0,
        ),
        (
            "a corner, 30 m out diagonally",
            concave,
            (-30.0 / 2f64.sqrt(), -30.0 / 2f64.sqrt()),
            50.0,
            "accepted",
            30.0,
        ),
        ("on the boundary", concave, (0.0, 300.0), 0.0, "inside", 0.0),
        (
            "in the grid",
            with_hole,
            (200.0, 200.0),
            50.0,
            "inside",
            0.0,
        ),
        (
            "in the enclave's middle",
            with_hole,
            (500.0, 500.0),
            50.0,
            "flagged",
            100.0,
        ),
        (
            "in the enclave, 20 m from its edge",
            with_hole,
            (420.0, 500.0),
            50.0,
            "accepted",
            20.0,
        ),
        (
            "the first part",
            two_parts,
            (150.0, 150.0),
            50.0,
            "inside",
            0.0,
        ),
        (
            "the second part",
            two_parts,
            (1450.0, 150.0),
            50.0,
            "inside",
            0.0,
        ),
        (
            "the river between, 400 m from the nearer part",
            two_parts,
            (700.0, 150.0),
            50.0,
            "flagged",
            400.0,
        ),
    ];
    for (what, area, (east, north), tolerance, expected, metres) in table {
        let got = area().fence(at(east, north), tolerance);
        let (kind, distance) = match got {
            Fence::Inside => ("inside", 0.0),
            Fence::WithinTolerance { metres } => ("accepted", metres),
            Fence::Outside { metres } => ("flagged", metres),
        };
        assert_eq!(kind, expected, "{what}: {got:?}");
        assert!(
            (distance - metres).abs() < 0.5,
            "{what}: {distance:.2} m, expected {metres} m"
        );
        assert_eq!(got.accepted(), expected != "flagged", "{what}");
    }
}

#[test]
fn geojson_areas_are_read_and_bad_ones_refused() {
    let read = |json: &str| -> Result<Area, String> {
        let g: Geometry = serde_json::from_str(json).map_err(|e| e.to_string())?;
        Area::from_geometry(&g).map_err(|e| e.message)
    };
    // An open ring is closed on reading.
    let open = read(
        r#"{"type":"Polygon","coordinates":[[[119.65,29.12],[119.66,29.12],[119.66,29.13],[119.65,29.13]]]}"#,
    )
    .expect("an open ring is accepted");
    let ring = &open.polygons()[0].exterior;
    assert_eq!(ring.first(), ring.last());
    assert_eq!(ring.len(), 5);
    assert!(open.contains(LonLat {
        lon: 119.655,
        lat: 29.125
    }));
    let refused = |json: &str, needle: &str| {
        let err = read(json).expect_err(json);
        assert!(err.contains(needle), "{json}: {err}");
    };
    refused(
        r#"{"type":"Polygon","coordinates":[[[119.65,29.12],[119.66,29.12]]]}"#,
        "至少需要3个",
    );
    refused(
        r#"{"type":"Polygon","coordinates":[[[190.0,29.12],[119.66,29.12],[119.66,29.13]]]}"#,
        "超出经纬度范围",
    );
    refused(r#"{"type":"Polygon","coordinates":[]}"#, "没有外环");
    refused(r#"{"type":"MultiPolygon","coordinates":[]}"#, "没有多边形");
    refused(
        r#"{"type":"Point","coordinates":[119.65,29.12]}"#,
        "unknown variant",
    );
}
