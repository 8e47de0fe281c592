//! 预警研判 end to end: a spike injected into a synthetic history is found by the scan with its
//! numbers, scanning again adds nothing, the steps 签收 → 处置 → 结果 go through the API and the
//! page with their refusals, 预警成效 counts them, a party in three cases is a party warning,
//! and nobody sees or acts on a warning outside their jurisdiction.

use axum::http::Method;
use hejie_domain::timestamp::{CST, Timestamp};
use serde_json::{Value, json};
use time::{Date, Duration, Month, OffsetDateTime, Time};

use crate::support::{Auth, COUNTY, Place, Resp, Session, TOWN_A, TestApp, VILLAGE_A, str_of};

/// An instant in China Standard Time.
fn cst(date: Date, hour: u8) -> Timestamp {
    let time = Time::from_hms(hour, 0, 0).expect("a valid time");
    Timestamp::from_datetime(OffsetDateTime::new_in_offset(date, time, CST))
}

fn day(m: Month, d: u8) -> Date {
    Date::from_calendar_date(2026, m, d).expect("a valid date")
}

/// Wednesday 18 November 2026, the day of the scan; its week starts on Monday the 16th.
fn scan_day() -> Date {
    day(Month::November, 18)
}

/// A neighbours' dispute in village A whose parties have no ID numbers, so that only the
/// counts matter.
fn anonymous(description: &str) -> Value {
    json!({
        "channel": "visit",
        "dispute_type": "neighbour",
        "parties": [{ "name": "王五" }, { "name": "赵六" }],
        "division": VILLAGE_A,
        "address": "5组",
        "description": description,
    })
}

async fn register_at(app: &TestApp, clerk: &Auth, at: Timestamp, body: &Value) -> Value {
    app.state.set_now(at);
    app.post_json(clerk, "/api/v1/cases", body)
        .await
        .expect(201)
}

/// One neighbours' dispute a week in village A for the eight weeks before the scan's week, then
/// six in its first three days: expected 1.0 a week, an upper control limit of 5, and
/// P(X ≥ 6) = 0.0006 for a Poisson mean of 1 (橙).
async fn spike_world() -> TestApp {
    let app = TestApp::manual_scheduler().await;
    let clerk = app.bearer("a-window_clerk").await;
    let last_tuesday = day(Month::November, 10);
    for k in 0..8 {
        let when = cst(last_tuesday - Duration::weeks(k), 10);
        register_at(&app, &clerk, when, &anonymous("邻居在公共通道堆放杂物。")).await;
    }
    for (d, h) in [(16, 9), (16, 14), (17, 9), (17, 14), (18, 9), (18, 11)] {
        let when = cst(day(Month::November, d), h);
        register_at(&app, &clerk, when, &anonymous("楼上住户深夜噪音扰民。")).await;
    }
    app.state.set_now(cst(scan_day(), 15));
    app
}

async fn list(app: &TestApp, auth: &Auth, query: &str) -> Value {
    app.get(auth, &format!("/api/v1/warnings{query}"))
        .await
        .expect(200)
}

fn by_division<'a>(body: &'a Value, kind: &str, division: &str) -> &'a Value {
    body["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .find(|w| w["kind"] == kind && w["division"] == division)
        .unwrap_or_else(|| panic!("no {kind} warning at {division} in {body}"))
}

fn kinds(body: &Value, kind: &str) -> Vec<String> {
    body["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w["kind"] == kind)
        .map(|w| str_of(w, "division").to_owned())
        .collect()
}

async fn step(app: &TestApp, auth: &Auth, id: i64, body: Value) -> Resp {
    app.post_json(auth, &format!("/api/v1/warnings/{id}/actions"), &body)
        .await
}

#[tokio::test]
async fn a_spike_is_raised_once_with_its_numbers_and_worked_through_the_api() {
    let app = spike_world().await;
    let report = hejie_server::warnings::scan(&app.state, app.state.now())
        .await
        .expect("scan");
    // The village, its township and the county each see the same six against one a week.
    assert_eq!(report.spikes, 3, "{report:?}");
    assert_eq!(report.parties, 0, "{report:?}");
    assert_eq!(report.cases, 0, "{report:?}");
    assert_eq!(report.new, 3);
    let again = hejie_server::warnings::scan(&app.state, app.state.now())
        .await
        .expect("scan again");
    assert_eq!(again.spikes, 3);
    assert_eq!(again.new, 0, "a second scan raises nothing new");

    let county = app.bearer("county-supervisor").await;
    let all = list(&app, &county, "").await;
    assert_eq!(all["total"], 3, "{all}");
    let mut places = kinds(&all, "spike");
    places.sort();
    assert_eq!(places, [COUNTY, TOWN_A, VILLAGE_A]);

    let sup = app.bearer("a-supervisor").await;
    let mine = list(&app, &sup, "").await;
    assert_eq!(
        mine["total"], 2,
        "the township sees its own and its villages': {mine}"
    );
    let w = by_division(&mine, "spike", VILLAGE_A);
    assert_eq!(w["level"], "orange");
    assert_eq!(w["level_label"], "橙");
    assert_eq!(w["status"], "open");
    assert_eq!(w["dispute_type"], "neighbour");
    assert_eq!(w["detail"]["observed"], 6);
    assert_eq!(w["detail"]["expected"], 1.0);
    assert_eq!(w["detail"]["limit"], 5);
    assert_eq!(w["detail"]["week_start"], "2026-11-16");
    assert_eq!(w["detail"]["history_weeks"], 8);
    let p = w["detail"]["p_value"].as_f64().expect("a p-value");
    // P(X ≥ 6) for X ~ Poisson(1) = 1 − e⁻¹(1 + 1 + 1/2 + 1/6 + 1/24 + 1/120).
    let exact = 1.0 - (-1.0f64).exp() * (1.0 + 1.0 + 0.5 + 1.0 / 6.0 + 1.0 / 24.0 + 1.0 / 120.0);
    assert!((p - exact).abs() < 1e-9, "{p} vs {exact}");
    assert_eq!(
        w["numbers"],
        "本周 6 件，基线 1.0 件，控制上限 5 件，p=0.0006"
    );
    assert!(str_of(w, "title").contains("邻里纠纷本周激增"), "{w}");
    let id = w["id"].as_i64().expect("an id");

    // Steps out of order are refused with a code; a disposal needs a note.
    step(&app, &sup, id, json!({ "action": "act", "note": "走访" }))
        .await
        .expect_error(422, "warning_not_acknowledged");
    step(
        &app,
        &sup,
        id,
        json!({ "action": "outcome", "outcome": "confirmed" }),
    )
    .await
    .expect_error(422, "warning_not_acknowledged");
    step(&app, &sup, id, json!({ "action": "escalate" }))
        .await
        .expect_error(400, "validation");
    let v = step(&app, &sup, id, json!({ "action": "acknowledge" }))
        .await
        .expect(200);
    assert_eq!(v["status"], "acknowledged");
    step(&app, &sup, id, json!({ "action": "acknowledge" }))
        .await
        .expect_error(422, "warning_already_acknowledged");
    let e = step(&app, &sup, id, json!({ "action": "act", "note": "  " }))
        .await
        .expect_error(400, "validation");
    assert_eq!(e["field"], "note");
    app.state.set_now(cst(scan_day(), 18));
    let v = step(
        &app,
        &sup,
        id,
        json!({ "action": "act", "note": "组织网格员入户排查噪音源" }),
    )
    .await
    .expect(200);
    assert_eq!(v["status"], "acted");
    let v = step(
        &app,
        &sup,
        id,
        json!({ "action": "outcome", "outcome": "confirmed", "note": "确有装修扰民" }),
    )
    .await
    .expect(200);
    assert_eq!(v["status"], "closed");
    assert_eq!(v["outcome"], "confirmed");
    let history: Vec<(&str, &str)> = v["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .map(|a| (str_of(a, "action"), str_of(a, "actor_name")))
        .collect();
    let name = app.fx.user("a-supervisor").name.clone();
    assert_eq!(
        history,
        [
            ("raised", "系统"),
            ("acknowledged", name.as_str()),
            ("acted", name.as_str()),
            ("outcome", name.as_str()),
        ]
    );
    step(&app, &sup, id, json!({ "action": "act", "note": "再处置" }))
        .await
        .expect_error(422, "warning_closed");

    // Closed warnings leave the default list but stay in `all`; scanning again leaves them be.
    assert_eq!(list(&app, &sup, "").await["total"], 1);
    assert_eq!(list(&app, &sup, "?status=all").await["total"], 2);
    assert_eq!(
        list(&app, &sup, "?status=closed&level=orange&kind=spike").await["total"],
        1
    );
    app.get(&sup, "/api/v1/warnings?level=purple")
        .await
        .expect_error(400, "validation");
    let third = hejie_server::warnings::scan(&app.state, app.state.now())
        .await
        .expect("scan a third time");
    assert_eq!(third.new, 0);
    assert_eq!(list(&app, &sup, "?status=closed").await["total"], 1);
}

#[tokio::test]
async fn nobody_sees_or_acts_on_a_warning_outside_their_jurisdiction() {
    let app = spike_world().await;
    hejie_server::warnings::scan(&app.state, app.state.now())
        .await
        .expect("scan");
    let county = app.bearer("county-supervisor").await;
    let all = list(&app, &county, "").await;
    let village = by_division(&all, "spike", VILLAGE_A)["id"]
        .as_i64()
        .expect("an id");

    let other = app.bearer("b-supervisor").await;
    assert_eq!(list(&app, &other, "").await["total"], 0);
    app.get(&other, &format!("/api/v1/warnings?division={TOWN_A}"))
        .await
        .expect_error(404, "not_found");
    step(&app, &other, village, json!({ "action": "acknowledge" }))
        .await
        .expect_error(404, "not_found");
    step(&app, &other, 999_999, json!({ "action": "acknowledge" }))
        .await
        .expect_error(404, "not_found");
    // Roles without the indicators permission are refused outright.
    let mediator = app.bearer("a-mediator").await;
    app.get(&mediator, "/api/v1/warnings")
        .await
        .expect_error(403, "forbidden_role");
    step(&app, &mediator, village, json!({ "action": "acknowledge" }))
        .await
        .expect_error(403, "forbidden_role");
    let s = app.login("b-supervisor").await;
    let page = app
        .get(&Auth::Session(s.clone()), "/insight/warnings")
        .await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text);
    assert!(!page.text.contains("本周激增"), "{}", page.text);
    let res = app
        .req(
            Method::POST,
            &format!("/insight/warnings/{village}/acknowledge"),
        )
        .header("cookie", &s.cookie)
        .raw(
            "application/x-www-form-urlencoded",
            serde_urlencoded::to_string([("csrf", s.csrf.as_str())]).expect("a form"),
        )
        .send()
        .await;
    assert_eq!(res.status.as_u16(), 404, "{}", res.text);
    // Still open for those who may see it.
    let v = list(&app, &county, "?status=open").await;
    assert_eq!(v["total"], 3);
}

async fn post_form(app: &TestApp, s: &Session, path: &str, pairs: &[(&str, &str)]) -> Resp {
    let mut all = vec![("csrf", s.csrf.as_str())];
    all.extend_from_slice(pairs);
    app.req(Method::POST, path)
        .header("cookie", &s.cookie)
        .raw(
            "application/x-www-form-urlencoded",
            serde_urlencoded::to_string(&all).expect("a form"),
        )
        .send()
        .await
}

#[tokio::test]
async fn the_page_shows_the_numbers_takes_the_steps_and_counts_the_hit_rate() {
    let app = spike_world().await;
    hejie_server::warnings::scan(&app.state, app.state.now())
        .await
        .expect("scan");
    let s = app.login("a-supervisor").await;
    let auth = Auth::Session(s.clone());
    let page = app.get(&auth, "/insight/warnings").await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text);
    assert!(page.text.contains("预警研判"));
    assert!(
        page.text
            .contains("本周 6 件，基线 1.0 件，控制上限 5 件，p=0.0006"),
        "{}",
        page.text
    );
    assert!(page.text.contains("risk-badge-orange"));
    assert!(page.text.contains(">签收</button>"));
    let insight = app.get(&auth, "/insight").await;
    assert!(
        insight.text.contains("href=\"/insight/warnings"),
        "the dashboard links to it"
    );

    let sup = app.bearer("a-supervisor").await;
    let body = list(&app, &sup, "").await;
    let village = by_division(&body, "spike", VILLAGE_A)["id"]
        .as_i64()
        .expect("id");
    let town = by_division(&body, "spike", TOWN_A)["id"]
        .as_i64()
        .expect("id");

    // Without the form's token nothing happens.
    let res = app
        .req(
            Method::POST,
            &format!("/insight/warnings/{village}/acknowledge"),
        )
        .header("cookie", &s.cookie)
        .raw(
            "application/x-www-form-urlencoded",
            "back=%2Finsight%2Fwarnings",
        )
        .send()
        .await;
    assert_eq!(res.status.as_u16(), 403, "{}", res.text);

    // Both acknowledged two hours after raising; the village's confirmed, the town's a false alarm.
    // The supervisor signs in again: the session of two hours ago has been idle too long.
    app.state.set_now(cst(scan_day(), 17));
    let s = app.login("a-supervisor").await;
    let auth = Auth::Session(s.clone());
    for id in [village, town] {
        let res = post_form(
            &app,
            &s,
            &format!("/insight/warnings/{id}/acknowledge"),
            &[("back", "/insight/warnings")],
        )
        .await;
        assert_eq!(res.status.as_u16(), 303, "{}", res.text);
        assert_eq!(
            res.header("location"),
            Some(format!("/insight/warnings?done=1#w-{id}").as_str())
        );
    }
    // A disposal without a note is refused on the page, with the reason.
    let res = post_form(
        &app,
        &s,
        &format!("/insight/warnings/{village}/act"),
        &[("note", "")],
    )
    .await;
    assert_eq!(res.status.as_u16(), 400, "{}", res.text);
    assert!(res.text.contains("请填写处置情况"), "{}", res.text);
    let res = post_form(
        &app,
        &s,
        &format!("/insight/warnings/{village}/act"),
        &[("note", "约谈物业公司")],
    )
    .await;
    assert_eq!(res.status.as_u16(), 303, "{}", res.text);
    let res = post_form(
        &app,
        &s,
        &format!("/insight/warnings/{village}/outcome"),
        &[("outcome", "confirmed")],
    )
    .await;
    assert_eq!(res.status.as_u16(), 303, "{}", res.text);
    let res = post_form(
        &app,
        &s,
        &format!("/insight/warnings/{town}/outcome"),
        &[("outcome", "false_alarm"), ("note", "季节性波动")],
    )
    .await;
    assert_eq!(res.status.as_u16(), 303, "{}", res.text);
    let res = post_form(
        &app,
        &s,
        &format!("/insight/warnings/{town}/act"),
        &[("note", "再处置")],
    )
    .await;
    assert_eq!(res.status.as_u16(), 422, "{}", res.text);
    assert!(res.text.contains("预警已办结"), "{}", res.text);

    let page = app.get(&auth, "/insight/warnings?status=all").await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text);
    assert!(page.text.contains("已办结 · 属实"), "{}", page.text);
    assert!(page.text.contains("已办结 · 误报"), "{}", page.text);
    // Each shows the latest step a person took.
    assert!(page.text.contains("记录结果：季节性波动"), "{}", page.text);
    // 命中率 = 1 ÷ (1 + 1); both acknowledged two hours after the 15:00 scan.
    assert!(
        page.text.contains("<td id=\"hit-rate\">50.0%</td>"),
        "{}",
        page.text
    );
    assert!(
        page.text.contains("<td id=\"median-ack\">2.0小时</td>"),
        "{}",
        page.text
    );
    assert!(page.text.contains("类案激增 · 橙"), "{}", page.text);
}

#[tokio::test]
async fn a_party_in_three_cases_is_a_party_warning_in_the_village() {
    let app = TestApp::manual_scheduler().await;
    let clerk = app.bearer("a-window_clerk").await;
    let mut numbers = Vec::new();
    for (d, text) in [
        (2, "张三与邻居因排水沟争执。"),
        (9, "张三与邻居因围墙争执。"),
        (16, "张三与邻居因树木遮光争执。"),
    ] {
        let at = cst(day(Month::November, d), 10);
        let case = register_at(
            &app,
            &clerk,
            at,
            &crate::support::registration(Place::A, text),
        )
        .await;
        numbers.push(str_of(&case, "number").to_owned());
    }
    // Someone else, in township B.
    let b_clerk = app.bearer("b-window_clerk").await;
    register_at(
        &app,
        &b_clerk,
        cst(day(Month::November, 17), 10),
        &json!({
            "channel": "visit", "dispute_type": "neighbour",
            "parties": [{ "name": "钱七" }, { "name": "孙八" }],
            "division": crate::support::VILLAGE_B, "description": "乙镇邻里纠纷。",
        }),
    )
    .await;
    app.state.set_now(cst(scan_day(), 15));
    let report = hejie_server::warnings::scan(&app.state, app.state.now())
        .await
        .expect("scan");
    assert_eq!(report.parties, 1, "{report:?}");
    let sup = app.bearer("a-supervisor").await;
    let body = list(&app, &sup, "?kind=party").await;
    assert_eq!(body["total"], 1, "{body}");
    let w = by_division(&body, "party", VILLAGE_A);
    assert_eq!(w["level"], "yellow");
    assert_eq!(w["detail"]["cases"], 3);
    assert!(str_of(w, "title").contains("近一年涉及3件纠纷"), "{w}");
    assert!(
        str_of(w, "title").contains("张三（110105********002X）"),
        "{w}"
    );
    assert_eq!(w["numbers"], format!("近一年 3 件：{}", numbers.join("、")));
    // The ID number itself never appears.
    assert!(!body.to_string().contains(crate::support::ID_NUMBER));
    // The latest case shares its party with the two before it (two points: 黄); the second
    // with one (one point: no colour).
    assert_eq!(report.cases, 1, "{report:?}");
    let cases = list(&app, &sup, "?kind=case").await;
    let w = by_division(&cases, "case", VILLAGE_A);
    assert_eq!(w["level"], "yellow");
    assert!(str_of(w, "title").contains(&numbers[2]), "{w}");
    assert_eq!(w["numbers"], "风险分 2：当事人此前已有2件纠纷");
    assert_eq!(
        hejie_server::warnings::scan(&app.state, app.state.now())
            .await
            .expect("scan again")
            .new,
        0
    );
    // Township B's supervisor does not see it.
    let other = app.bearer("b-supervisor").await;
    assert_eq!(list(&app, &other, "?kind=party").await["total"], 0);
}
