//! Field work through the API (issue 7): a report synced twice is recorded once; a dispute not
//! settled on the spot becomes a grid case, once; someone else's id and a grid outside the
//! jurisdiction are refused; a photo must be an image; an advisor's check-in outside the
//! village's boundary is recorded and flagged, and the compliance board shows it; boundaries are
//! imported all or nothing and exported as they were imported.

use axum::http::Method;
use serde_json::{Value, json};

use crate::support::{Auth, GRID_A, GRID_B, Resp, TestApp, VILLAGE_A, str_of};

const BOUNDARY: &str = "hejieFieldBoundary0123456789";

/// A small PNG header, enough to be recognised as an image by its content.
fn png() -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    b.resize(2048, 0x11);
    b
}

fn elf() -> Vec<u8> {
    let mut b = b"\x7fELF\x02\x01\x01\x00".to_vec();
    b.resize(512, 0);
    b
}

fn multipart(fields: &[(&str, &str)], photos: &[&[u8]]) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (i, p) in photos.iter().enumerate() {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p{i}.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(p);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn send_form(
    app: &TestApp,
    auth: &Auth,
    path: &str,
    fields: &[(&str, &str)],
    photos: &[&[u8]],
) -> Resp {
    app.req(Method::POST, path)
        .auth(auth)
        .raw(
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            multipart(fields, photos),
        )
        .send()
        .await
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

async fn hazard(app: &TestApp, auth: &Auth, id: &str, grid: &str) -> Resp {
    send_form(
        app,
        auth,
        "/api/v1/field/reports",
        &[
            ("id", id),
            ("ledger", "hazard"),
            ("category", "消防安全"),
            ("text", "楼道堆放杂物，堵塞消防通道"),
            ("grid", grid),
            ("lat", "29.1"),
            ("lon", "119.6"),
            ("accuracy", "9"),
        ],
        &[&png()],
    )
    .await
}

async fn events_of(app: &TestApp, id: &str) -> usize {
    let rid = hejie_domain::field::RecordId::parse(id).expect("id");
    app.state
        .store
        .field_events(rid)
        .await
        .expect("events")
        .len()
}

#[tokio::test]
async fn a_report_sent_twice_is_recorded_once_and_the_repeat_says_so() {
    let app = TestApp::new().await;
    let worker = app.bearer("a-grid_worker").await;
    let id = new_id();
    let first = hazard(&app, &worker, &id, GRID_A).await.expect(201);
    assert_eq!(first["repeat"], false);
    assert_eq!(first["record"]["ledger_label"], "安全隐患");
    assert_eq!(first["record"]["status"], "open");
    assert_eq!(first["record"]["photos"], 1);
    assert_eq!(first["record"]["latitude"], 29.1);
    let again = hazard(&app, &worker, &id, GRID_A).await.expect(200);
    assert_eq!(again["repeat"], true);
    assert_eq!(again["record"]["version"], first["record"]["version"]);
    assert_eq!(events_of(&app, &id).await, 1);
    let listed = app
        .get(&worker, "/api/v1/field/records?mine=true&kind=report")
        .await
        .expect(200);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    let detail = app
        .get(&worker, &format!("/api/v1/field/records/{id}"))
        .await
        .expect(200);
    assert_eq!(detail["events"][0]["kind"], "report_filed");
    assert_eq!(
        detail["events"][0]["prev_hash"].as_str().map(str::len),
        Some(64)
    );
}

#[tokio::test]
async fn a_dispute_not_settled_on_the_spot_becomes_one_grid_case() {
    let app = TestApp::new().await;
    let worker = app.bearer("a-grid_worker").await;
    let id = new_id();
    let fields = [
        ("id", id.as_str()),
        ("ledger", "dispute"),
        ("category", "劳资纠纷"),
        ("text", "工地拖欠12名工人工资三个月"),
        ("parties", "王建军\n和安县某建筑公司"),
        ("grid", GRID_A),
    ];
    let filed = send_form(&app, &worker, "/api/v1/field/reports", &fields, &[])
        .await
        .expect(201);
    assert_eq!(filed["record"]["status"], "became_case");
    let number = str_of(&filed["record"], "case_number").to_owned();
    let again = send_form(&app, &worker, "/api/v1/field/reports", &fields, &[])
        .await
        .expect(200);
    assert_eq!(again["record"]["case_number"], number.as_str());
    let clerk = app.bearer("a-window_clerk").await;
    let cases = app.get(&clerk, "/api/v1/cases?limit=50").await.expect(200);
    let from_grid: Vec<&Value> = cases["items"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|c| c["number"] == number.as_str())
        .collect();
    assert_eq!(from_grid.len(), 1, "one case for the report: {cases}");
    let case = app
        .get(
            &clerk,
            &format!("/api/v1/cases/{}", str_of(from_grid[0], "id")),
        )
        .await
        .expect(200);
    assert_eq!(case["channel"]["code"], "grid", "{case}");
    assert_eq!(case["grid"], "东门村第1网格", "{case}");
    assert_eq!(events_of(&app, &id).await, 2, "filed, then linked");
}

#[tokio::test]
async fn someone_elses_id_a_grid_outside_the_jurisdiction_and_a_fake_photo_are_refused() {
    let app = TestApp::new().await;
    let a = app.bearer("a-grid_worker").await;
    let b = app.bearer("b-grid_worker").await;
    let id = new_id();
    hazard(&app, &a, &id, GRID_A).await.expect(201);
    hazard(&app, &b, &id, GRID_B)
        .await
        .expect_error(422, "id_taken");
    hazard(&app, &a, &new_id(), GRID_B)
        .await
        .expect_error(403, "out_of_jurisdiction");
    let fake = new_id();
    let err = send_form(
        &app,
        &a,
        "/api/v1/field/reports",
        &[
            ("id", fake.as_str()),
            ("ledger", "hazard"),
            ("category", "消防安全"),
            ("text", "照片其实是程序"),
            ("grid", GRID_A),
        ],
        &[&elf()],
    )
    .await
    .expect_error(400, "validation");
    assert_eq!(err["field"], "photo");
    assert_eq!(events_of(&app, &fake).await, 0, "nothing recorded");
    let wrong_category = send_form(
        &app,
        &a,
        "/api/v1/field/reports",
        &[
            ("id", new_id().as_str()),
            ("ledger", "hazard"),
            ("category", "邻里纠纷"),
            ("text", "分错台账"),
            ("grid", GRID_A),
        ],
        &[],
    )
    .await
    .expect_error(400, "validation");
    assert_eq!(wrong_category["field"], "category");
}

#[tokio::test]
async fn staff_follow_a_hazard_to_its_end_and_a_closed_one_takes_no_more() {
    let app = TestApp::new().await;
    let worker = app.bearer("a-grid_worker").await;
    let id = new_id();
    hazard(&app, &worker, &id, GRID_A).await.expect(201);
    let clerk = app.bearer("a-window_clerk").await;
    let path = format!("/api/v1/field/records/{id}/follow-up");
    let closed = app
        .post_json(
            &clerk,
            &path,
            &json!({"note": "已通知物业清理完毕", "close": true}),
        )
        .await
        .expect(200);
    assert_eq!(closed["status"], "closed");
    app.post_json(&clerk, &path, &json!({"note": "再跟进"}))
        .await
        .expect_error(422, "not_open");
    // Another township does not even see it.
    let other = app.bearer("b-window_clerk").await;
    app.post_json(&other, &path, &json!({"note": "越权"}))
        .await
        .expect_error(404, "not_found");
}

/// A square around VILLAGE_A: (119.60..119.62, 29.10..29.12).
fn village_square() -> Value {
    json!({"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "properties": {"code": VILLAGE_A},
        "geometry": {"type": "Polygon", "coordinates": [[
            [119.60, 29.10], [119.62, 29.10], [119.62, 29.12], [119.60, 29.12], [119.60, 29.10]
        ]]}
    }]})
}

#[tokio::test]
async fn boundaries_are_imported_all_or_nothing_and_exported_as_imported() {
    let app = TestApp::new().await;
    let admin = app.bearer("county-admin").await;
    let check = |features: Value, fragment: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let body = json!({"type": "FeatureCollection", "features": features});
            let err = app
                .req(Method::POST, "/api/v1/areas")
                .auth(&admin)
                .raw("application/geo+json", body.to_string())
                .send()
                .await
                .expect_error(400, "validation");
            let message = str_of(&err, "message").to_owned();
            assert!(message.contains(fragment), "{message} lacks {fragment}");
        }
    };
    let good = village_square()["features"][0].clone();
    let with = |code: Value, geometry: Value| json!({"type": "Feature", "properties": {"code": code}, "geometry": geometry});
    let square = good["geometry"].clone();
    check(
        json!([with(Value::Null, square.clone())]),
        "缺少properties.code",
    )
    .await;
    check(
        json!([with(json!("339021100299"), square.clone())]),
        "在区划中不存在",
    )
    .await;
    check(
        json!([with(json!("339021100000"), square.clone())]),
        "不是村（社区）或网格",
    )
    .await;
    check(json!([good.clone(), good.clone()]), "重复出现").await;
    check(
        json!([
            good.clone(),
            with(
                json!(GRID_A),
                json!({"type": "Polygon", "coordinates": [[[119.6, 29.1], [119.61, 29.1]]]})
            )
        ]),
        "至少需要3个不同的顶点",
    )
    .await;
    check(
        json!([with(
            json!(GRID_A),
            json!({"type": "Point", "coordinates": [119.6, 29.1]})
        )]),
        "Polygon或MultiPolygon",
    )
    .await;
    let exported = app.get(&admin, "/api/v1/areas").await.expect(200);
    assert_eq!(exported["features"], json!([]), "nothing was imported");
    // A grid worker may not import at all.
    let worker = app.bearer("a-grid_worker").await;
    app.req(Method::POST, "/api/v1/areas")
        .auth(&worker)
        .raw("application/geo+json", village_square().to_string())
        .send()
        .await
        .expect_error(403, "forbidden");

    let done = app
        .req(Method::POST, "/api/v1/areas")
        .auth(&admin)
        .raw("application/geo+json", village_square().to_string())
        .send()
        .await
        .expect(200);
    assert_eq!(done["imported"], 1);
    let exported = app.get(&admin, "/api/v1/areas").await.expect(200);
    assert_eq!(exported["features"][0]["properties"]["code"], VILLAGE_A);
    assert_eq!(exported["features"][0]["geometry"], square);
}

#[tokio::test]
async fn an_advisor_checked_in_outside_the_village_is_flagged_on_the_compliance_board() {
    let app = TestApp::new().await;
    let admin = app.bearer("county-admin").await;
    app.req(Method::POST, "/api/v1/areas")
        .auth(&admin)
        .raw("application/geo+json", village_square().to_string())
        .send()
        .await
        .expect(200);
    let advisor = app.bearer("a-legal_advisor").await;
    let check_in = |lat: &'static str, lon: &'static str| {
        let app = &app;
        let advisor = advisor.clone();
        async move {
            let id = new_id();
            let body = send_form(
                app,
                &advisor,
                "/api/v1/field/visits",
                &[
                    ("id", &id),
                    ("village", VILLAGE_A),
                    ("lat", lat),
                    ("lon", lon),
                    ("accuracy", "10"),
                ],
                &[&png()],
            )
            .await
            .expect(201);
            (id, body)
        }
    };
    let (inside, answer) = check_in("29.11", "119.61").await;
    assert_eq!(answer["fence"], "inside");
    assert_eq!(answer["flagged"], false);
    // About 30 m north of the boundary: within the 50 m tolerance.
    let (near, answer) = check_in("29.12027", "119.61").await;
    assert_eq!(answer["fence"], "within_tolerance");
    assert_eq!(answer["flagged"], false);
    // About 1.1 km north: recorded, and flagged.
    let (far, answer) = check_in("29.13", "119.61").await;
    assert_eq!(answer["fence"], "outside");
    assert_eq!(answer["flagged"], true);
    assert!(str_of(&answer, "fence_text").contains("超出允许范围"));
    for id in [&inside, &near, &far] {
        app.post_json(
            &advisor,
            &format!("/api/v1/field/visits/{id}/check-out"),
            &json!({"lat": 29.11, "lon": 119.61, "log": "走访村委会，排查纠纷两起"}),
        )
        .await
        .expect(200);
    }
    app.post_json(
        &advisor,
        &format!("/api/v1/field/visits/{inside}/check-out"),
        &json!({"log": "再签退一次"}),
    )
    .await
    .expect_error(422, "not_checked_in");
    let consult = new_id();
    app.post_json(
        &advisor,
        "/api/v1/field/consultations",
        &json!({"id": consult, "village": VILLAGE_A, "question": "邻居占用通道怎么办", "answer": "可申请人民调解", "legal_aid": false}),
    )
    .await
    .expect(201);

    let clerk = app.bearer("a-window_clerk").await;
    // The advisor is contracted to the village.
    app.post_json(
        &admin,
        "/api/v1/field/assignments",
        &json!({"username": "a-legal_advisor", "division": VILLAGE_A, "starts": "2000-01-01"}),
    )
    .await
    .expect(201);
    let board = app
        .get(&clerk, "/api/v1/field/compliance")
        .await
        .expect(200);
    let person = &board["people"][0];
    assert_eq!(person["role"], "法律顾问", "{board}");
    let duty = |name: &str| {
        person["duties"]
            .as_array()
            .expect("duties")
            .iter()
            .find(|d| d["duty"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("duty {name} in {person}"))
    };
    let visits = duty("走访排查");
    assert_eq!(
        (visits["done"].clone(), visits["met"].clone()),
        (json!(3), json!(true))
    );
    assert_eq!(visits["flagged"], json!([far]));
    assert_eq!(duty("咨询或调解")["evidence"], json!([consult]));
    assert_eq!(duty("法治讲座")["met"], false);
    assert_eq!(person["met"], false);
    assert_eq!(person["in_progress"], true, "this month is still running");
    assert_eq!(person["flagged"], 1);
    // A month long past, when the advisor was already contracted: nothing done, and missed.
    let past = app
        .get(&clerk, "/api/v1/field/compliance?month=2000-01")
        .await
        .expect(200);
    let person = &past["people"][0];
    assert_eq!(
        (person["met"].clone(), person["in_progress"].clone()),
        (json!(false), json!(false))
    );
    assert_eq!(person["duties"][0]["done"], 0);
    assert_eq!(person["period"], "2000年1月");
    app.get(&clerk, "/api/v1/field/compliance?month=2000-13")
        .await
        .expect_error(400, "validation");
}

#[tokio::test]
async fn assignments_fit_the_role_the_level_and_the_period() {
    let app = TestApp::new().await;
    let admin = app.bearer("county-admin").await;
    let check = |body: Value, field: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let err = app
                .post_json(&admin, "/api/v1/field/assignments", &body)
                .await
                .expect_error(400, "validation");
            assert_eq!(err["field"], field, "{body} → {err}");
        }
    };
    let body = |user: &str, division: &str, starts: &str, ends: Option<&str>| json!({"username": user, "division": division, "starts": starts, "ends": ends});
    check(
        body("a-legal_advisor", GRID_A, "2026-01-01", None),
        "division",
    )
    .await;
    check(
        body("a-grid_worker", VILLAGE_A, "2026-01-01", None),
        "division",
    )
    .await;
    check(
        body("a-window_clerk", VILLAGE_A, "2026-01-01", None),
        "username",
    )
    .await;
    check(body("nobody", VILLAGE_A, "2026-01-01", None), "username").await;
    check(
        body("a-legal_advisor", VILLAGE_A, "2026-13-01", None),
        "starts",
    )
    .await;
    check(
        body(
            "a-legal_advisor",
            VILLAGE_A,
            "2026-06-01",
            Some("2026-05-31"),
        ),
        "ends",
    )
    .await;
    let clerk = app.bearer("a-window_clerk").await;
    app.post_json(
        &clerk,
        "/api/v1/field/assignments",
        &body("a-legal_advisor", VILLAGE_A, "2026-01-01", None),
    )
    .await
    .expect_error(403, "forbidden");
    let made = app
        .post_json(
            &admin,
            "/api/v1/field/assignments",
            &body(
                "a-legal_advisor",
                VILLAGE_A,
                "2026-01-01",
                Some("2026-12-31"),
            ),
        )
        .await
        .expect(201);
    assert_eq!(made["kind"], "legal_advisor");
    let listed = app
        .get(&clerk, "/api/v1/field/assignments")
        .await
        .expect(200);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["ends"], "2026-12-31");
}

#[tokio::test]
async fn a_patrol_log_keeps_its_track_and_visits_and_a_repeat_records_nothing() {
    let app = TestApp::new().await;
    let worker = app.bearer("a-grid_worker").await;
    let id = new_id();
    let start = (app.state.now().micros() / 1000 - 3_600_000) as f64;
    let body = json!({
        "id": id, "grid": GRID_A, "started_at": start, "ended_at": start + 3_000_000.0,
        "track": [
            {"lat": 29.101, "lon": 119.601, "at": start + 600_000.0},
            {"lat": 29.100, "lon": 119.600, "at": start},
        ],
        "visits": [{"household": "独居老人王某", "note": "身体尚好", "at": start + 1_200_000.0}],
        "note": "无异常"
    });
    let first = app
        .post_json(&worker, "/api/v1/field/patrols", &body)
        .await
        .expect(201);
    assert_eq!(first["record"]["kind_label"], "巡查日志");
    assert_eq!(first["record"]["summary"], "巡查轨迹2个点，走访1户：无异常");
    // The track is kept in time order: the record's position is where the patrol began.
    assert_eq!(first["record"]["latitude"], 29.1);
    app.post_json(&worker, "/api/v1/field/patrols", &body)
        .await
        .expect(200);
    assert_eq!(events_of(&app, &id).await, 1);
    let mut backwards = body.clone();
    backwards["id"] = json!(new_id());
    backwards["ended_at"] = json!(start - 1.0);
    let err = app
        .post_json(&worker, "/api/v1/field/patrols", &backwards)
        .await
        .expect_error(400, "validation");
    assert_eq!(err["field"], "ended_at");
}

#[tokio::test]
async fn an_advisor_works_in_a_village_contracted_beyond_their_jurisdiction_and_only_while_contracted()
 {
    let app = TestApp::new().await;
    let advisor = app.bearer("a-legal_advisor").await;
    let check_in = |id: String| {
        let app = &app;
        let advisor = advisor.clone();
        async move {
            send_form(
                app,
                &advisor,
                "/api/v1/field/visits",
                &[("id", &id), ("village", crate::support::VILLAGE_B)],
                &[],
            )
            .await
        }
    };
    check_in(new_id())
        .await
        .expect_error(403, "out_of_jurisdiction");
    let admin = app.bearer("county-admin").await;
    // A contract that ended: still not theirs.
    app.post_json(
        &admin,
        "/api/v1/field/assignments",
        &json!({"username": "a-legal_advisor", "division": crate::support::VILLAGE_B, "starts": "2020-01-01", "ends": "2020-12-31"}),
    )
    .await
    .expect(201);
    check_in(new_id())
        .await
        .expect_error(403, "out_of_jurisdiction");
    app.post_json(
        &admin,
        "/api/v1/field/assignments",
        &json!({"username": "a-legal_advisor", "division": crate::support::VILLAGE_B, "starts": "2020-01-01"}),
    )
    .await
    .expect(201);
    let answer = check_in(new_id()).await.expect(201);
    // No boundary is on file for that village and no position was given: recorded and flagged.
    assert_eq!(answer["fence"], "no_position");
    assert_eq!(answer["flagged"], true);
}
