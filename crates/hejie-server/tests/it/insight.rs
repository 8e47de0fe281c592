//! 数据研判 end to end: cases driven through the API, then the indicators API, the dashboard,
//! the drill-down lists and the downloads show exactly the figures those cases make; and only
//! supervisors and administrators see them, each for their own jurisdiction.

use std::collections::BTreeSet;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use hejie_domain::timestamp::{CST, Timestamp};
use serde_json::{Value, json};
use time::{Date, Month, OffsetDateTime, Time};

use crate::support::{
    Auth, COUNTY, Place, TOWN_A, TOWN_B, TestApp, VILLAGE_A, accept_body, str_of,
};

/// An instant in China Standard Time, in November 2026.
pub(crate) fn cst(day: u8, hour: u8) -> Timestamp {
    let date = Date::from_calendar_date(2026, Month::November, day).expect("a valid date");
    let time = Time::from_hms(hour, 0, 0).expect("a valid time");
    Timestamp::from_datetime(OffsetDateTime::new_in_offset(date, time, CST))
}

/// How a worked case ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    Open,
    Succeeded,
    Failed,
}

/// A case registered in `place`'s village on 20 November, accepted and dispatched to the village
/// committee, and (unless `Open`) mediated and closed on 23 November. Returns (id, number).
pub(crate) async fn case(app: &TestApp, place: Place, end: End, text: &str) -> (String, String) {
    app.state.set_now(cst(20, 9));
    let clerk = app.bearer(&format!("{}-window_clerk", place.key())).await;
    let mediator = app.bearer(&format!("{}-mediator", place.key())).await;
    let case = app.register(&clerk, place, text).await;
    let id = str_of(&case, "id").to_owned();
    let number = str_of(&case, "number").to_owned();
    app.command(&clerk, &id, "accept", accept_body()).await;
    app.assign_to_committee(&clerk, &id, place).await;
    if end == End::Open {
        return (id, number);
    }
    app.state.set_now(cst(23, 9));
    app.command(&mediator, &id, "acknowledge", json!({})).await;
    app.command(
        &mediator,
        &id,
        "start-mediation",
        json!({ "parties_consented": true }),
    )
    .await;
    app.state.set_now(cst(23, 11));
    app.command(
        &mediator,
        &id,
        "sessions",
        json!({
            "held_at": "2026-11-23T10:00", "mode": "in_person", "place": "村调解室",
            "attendees": "张三、李四", "minutes": "双方陈述。"
        }),
    )
    .await;
    let close = match end {
        End::Succeeded => {
            json!({ "outcome": "succeeded", "agreement": "李四三日内拆除越界围墙。" })
        }
        _ => json!({
            "outcome": "failed", "reason": "双方分歧较大，未能达成协议", "remedies_informed": true
        }),
    };
    let v = app.command(&mediator, &id, "close", close).await;
    assert_eq!(v["status"]["code"], "closed", "{v}");
    (id, number)
}

/// The fixture of these tests: in township A two successes (one followed up, satisfied), one
/// failure and one open case; in township B one success.
#[derive(Debug)]
struct World {
    app: TestApp,
    succeeded: Vec<(String, String)>,
    failed: (String, String),
    open: (String, String),
    b_case: (String, String),
}

async fn world() -> World {
    let app = TestApp::manual_scheduler().await;
    let s1 = case(&app, Place::A, End::Succeeded, "两户因宅基地界址争执。").await;
    let s2 = case(&app, Place::A, End::Succeeded, "邻居装修噪音扰民。").await;
    let failed = case(&app, Place::A, End::Failed, "排水沟堵塞引发争执。").await;
    let open = case(&app, Place::A, End::Open, "楼上漏水殃及楼下。").await;
    let b_case = case(&app, Place::B, End::Succeeded, "乙镇的邻里纠纷。").await;
    app.state.set_now(cst(23, 15));
    let clerk = app.bearer("a-window_clerk").await;
    app.command(
        &clerk,
        &s1.0,
        "follow-up",
        json!({ "method": "phone", "satisfaction": "satisfied" }),
    )
    .await;
    World {
        app,
        succeeded: vec![s1, s2],
        failed,
        open,
        b_case,
    }
}

/// An indicator in an `/api/v1/indicators` answer.
fn indicator<'a>(body: &'a Value, code: &str) -> &'a Value {
    body["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {body}"))
}

/// (numerator, denominator, display) of an indicator.
fn fig(body: &Value, code: &str) -> (i64, i64, String) {
    let i = indicator(body, code);
    (
        i["numerator"].as_i64().expect("numerator"),
        i["denominator"].as_i64().expect("denominator"),
        str_of(i, "display").to_owned(),
    )
}

/// The case ids of a drill-down answer.
fn ids(body: &Value) -> BTreeSet<String> {
    body["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| str_of(c, "id").to_owned())
        .collect()
}

#[tokio::test]
async fn the_api_and_the_dashboard_show_the_exact_figures_and_their_cases() {
    let w = world().await;
    let app = &w.app;
    let sup = app.bearer("a-supervisor").await;
    let body = app.get(&sup, "/api/v1/indicators").await.expect(200);
    assert_eq!(body["division"], TOWN_A, "{body}");
    assert_eq!(body["from"], "2026-11-01");
    assert_eq!(body["to"], "2026-11-23");
    assert_eq!(body["previous_from"], "2026-10-01");
    assert_eq!(body["last_year_from"], "2025-11-01");
    assert_eq!(fig(&body, "registered"), (4, 1, "4".to_owned()));
    assert_eq!(fig(&body, "mediated"), (3, 1, "3".to_owned()));
    assert_eq!(fig(&body, "succeeded"), (2, 1, "2".to_owned()));
    assert_eq!(
        fig(&body, "mediation_success_rate"),
        (2, 3, "66.7%".to_owned())
    );
    let rate = indicator(&body, "mediation_success_rate");
    assert!((rate["value"].as_f64().expect("a value") - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(
        str_of(rate, "formula"),
        "调解成功件数 ÷ 调解终结件数（调解成功＋调解不成） × 100%"
    );
    assert_eq!(fig(&body, "follow_up_rate"), (1, 3, "33.3%".to_owned()));
    assert_eq!(fig(&body, "satisfaction_rate"), (1, 1, "100.0%".to_owned()));
    // Three concluded cases, each closed within its fourth day (20th 09:00 to 23rd 11:00).
    assert_eq!(
        fig(&body, "average_days_to_close"),
        (12, 3, "4.0天".to_owned())
    );
    // No population is imported: per-10,000 figures have no value, and nothing last year.
    assert_eq!(fig(&body, "incidence_per_10k"), (4, 0, "—".to_owned()));
    assert_eq!(indicator(&body, "incidence_per_10k")["value"], Value::Null);
    assert_eq!(indicator(&body, "registered")["last_year"]["numerator"], 0);
    assert_eq!(indicator(&body, "registered")["change_last_year"], "—");
    // 超期率 is a point in time over the one open case (whether it is overdue depends on the
    // time-limit policy, not on this module).
    assert_eq!(fig(&body, "overdue_rate").1, 1);
    let overdue = indicator(&body, "overdue_rate");
    assert_eq!(
        overdue["previous"]["display"], "—",
        "only known now: {overdue}"
    );
    assert_eq!(overdue["change_last_year"], "—");
    assert_eq!(body["indicators"].as_array().expect("all").len(), 19);

    // Drill-down: exactly the cases behind each figure.
    let succeeded = app
        .get(&sup, "/api/v1/indicators/cases?metric=succeeded")
        .await
        .expect(200);
    assert_eq!(succeeded["total"], 2);
    let want: BTreeSet<String> = w.succeeded.iter().map(|c| c.0.clone()).collect();
    assert_eq!(ids(&succeeded), want);
    let mediated = app
        .get(&sup, "/api/v1/indicators/cases?metric=mediated")
        .await
        .expect(200);
    let mut want3 = want.clone();
    want3.insert(w.failed.0.clone());
    assert_eq!(ids(&mediated), want3);
    let registered = app
        .get(&sup, "/api/v1/indicators/cases?metric=registered&limit=2")
        .await
        .expect(200);
    assert_eq!(registered["total"], 4);
    assert_eq!(ids(&registered).len(), 2);
    let rest = app
        .get(
            &sup,
            "/api/v1/indicators/cases?metric=registered&limit=2&offset=2",
        )
        .await
        .expect(200);
    let mut all = ids(&registered);
    all.extend(ids(&rest));
    want3.insert(w.open.0.clone());
    assert_eq!(all, want3, "two pages make up the four cases");
    app.get(&sup, "/api/v1/indicators/cases?metric=close_days_sum")
        .await
        .expect_error(400, "validation");
    app.get(&sup, "/api/v1/indicators/cases?metric=nonsense")
        .await
        .expect_error(400, "validation");

    // The dashboard, as the browser sees it.
    let s = app.login("a-supervisor").await;
    let page = app.get(&Auth::Session(s.clone()), "/insight").await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text);
    let html = &page.text;
    assert!(html.contains(">数据研判</a>"), "the nav entry");
    assert!(html.contains("data-code=\"mediation_success_rate\""));
    let card = html
        .split("data-code=\"mediation_success_rate\"")
        .nth(1)
        .expect("the card");
    let card = &card[..card.find("</li>").expect("the card's end")];
    assert!(card.contains(">66.7%</a>"), "{card}");
    assert!(card.contains(">2 / 3</a>"), "{card}");
    assert!(card.contains("metric=succeeded"), "{card}");
    assert!(card.contains("metric=mediated"), "{card}");
    // Registrations rose from none last November: no relative change, and no colour for it.
    let registered = html
        .split("data-code=\"registered\"")
        .nth(1)
        .expect("the card");
    let registered = &registered[..registered.find("</li>").expect("the card's end")];
    assert!(
        registered.contains("<span class=\"tone-flat\">—</span>"),
        "{registered}"
    );
    assert!(!registered.contains("tone-bad"), "{registered}");
    // The three charts and the tables with their downloads.
    assert_eq!(html.matches("<svg ").count(), 3, "trend, types, heat map");
    assert!(html.contains("<title id=\"trend-title\">"));
    assert!(html.contains("/api/v1/indicators/export?"));
    let xlsx_link = html
        .split("href=\"/api/v1/indicators/export?")
        .skip(1)
        .map(|l| &l[..l.find('"').expect("the link's end")])
        .find(|l| l.contains("table=divisions") && l.contains("format=xlsx"));
    assert!(xlsx_link.is_some(), "the children table's Excel download");
    // The drill-down page lists those cases and no other.
    let list = app
        .get(
            &Auth::Session(s.clone()),
            &format!("/insight/cases?division={TOWN_A}&period=month&metric=succeeded"),
        )
        .await;
    assert_eq!(list.status.as_u16(), 200, "{}", list.text);
    for (_, number) in &w.succeeded {
        assert!(list.text.contains(number.as_str()), "{number} listed");
    }
    assert!(!list.text.contains(w.failed.1.as_str()));
    assert!(!list.text.contains(w.open.1.as_str()));
    assert!(list.text.contains("共 <strong id=\"total\">2</strong> 件"));
    // The formulas are published.
    let formulas = app.get(&Auth::Session(s), "/insight/formulas").await;
    assert_eq!(formulas.status.as_u16(), 200);
    assert!(
        formulas
            .text
            .contains("调解成功件数 ÷ 调解终结件数（调解成功＋调解不成） × 100%")
    );
    assert_eq!(formulas.text.matches("<tr data-code=").count(), 19);
}

#[tokio::test]
async fn children_sum_to_their_parent_and_the_type_filter_narrows() {
    let w = world().await;
    let app = &w.app;
    let county = app.bearer("county-supervisor").await;
    let all = app
        .get(&county, &format!("/api/v1/indicators?division={COUNTY}"))
        .await
        .expect(200);
    assert_eq!(fig(&all, "registered").0, 5);
    assert_eq!(fig(&all, "succeeded").0, 3);
    let mut sums = (0, 0, 0);
    for town in [TOWN_A, TOWN_B] {
        let b = app
            .get(&county, &format!("/api/v1/indicators?division={town}"))
            .await
            .expect(200);
        sums.0 += fig(&b, "registered").0;
        sums.1 += fig(&b, "mediated").0;
        sums.2 += fig(&b, "succeeded").0;
    }
    assert_eq!(sums, (5, 4, 3));
    // The village level too, and below that there is nothing to drill into.
    let village = app
        .get(&county, &format!("/api/v1/indicators?division={VILLAGE_A}"))
        .await
        .expect(200);
    assert_eq!(fig(&village, "registered").0, 4);
    // The county's children table, downloaded, sums to the county too.
    let csv = app
        .get(
            &county,
            &format!("/api/v1/indicators/export?division={COUNTY}&table=divisions&format=csv"),
        )
        .await;
    assert_eq!(csv.status.as_u16(), 200, "{}", csv.text);
    let lines: Vec<&str> = csv.text.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].starts_with("区划,区划代码,纠纷受理数"),
        "{}",
        lines[0]
    );
    let registered: i64 = lines[1..]
        .iter()
        .map(|l| {
            l.split(',')
                .nth(2)
                .expect("a column")
                .parse::<i64>()
                .expect("a count")
        })
        .sum();
    assert_eq!(registered, 5, "{}", csv.text);
    // Filtered by a type nobody registered, everything is zero and the rates have no value.
    let none = app
        .get(
            &county,
            &format!("/api/v1/indicators?division={COUNTY}&type=labour"),
        )
        .await
        .expect(200);
    assert_eq!(fig(&none, "registered").0, 0);
    assert_eq!(fig(&none, "mediation_success_rate"), (0, 0, "—".to_owned()));
    let neighbour = app
        .get(
            &county,
            &format!("/api/v1/indicators?division={COUNTY}&type=neighbour"),
        )
        .await
        .expect(200);
    assert_eq!(fig(&neighbour, "registered").0, 5);
    // A custom period before the cases has none of them, and last November's 同比 is empty.
    let before = app
        .get(
            &county,
            &format!("/api/v1/indicators?division={COUNTY}&from=2026-10-01&to=2026-10-31"),
        )
        .await
        .expect(200);
    assert_eq!(fig(&before, "registered").0, 0);
    // The county page drills to the townships with a breadcrumb back up.
    let s = app.login("county-supervisor").await;
    let page = app
        .get(
            &Auth::Session(s.clone()),
            &format!("/insight?division={TOWN_A}"),
        )
        .await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text);
    assert!(
        page.text.contains(&format!("/insight?division={COUNTY}")),
        "breadcrumb up"
    );
    let top = app.get(&Auth::Session(s), "/insight").await;
    assert!(
        top.text.contains(&format!("/insight?division={TOWN_A}")),
        "drill down"
    );
    assert!(
        top.text.contains(&format!("/insight?division={TOWN_B}")),
        "drill down"
    );
}

#[tokio::test]
async fn downloads_carry_the_figures_in_csv_and_excel() {
    let w = world().await;
    let app = &w.app;
    let sup = app.bearer("a-supervisor").await;
    let csv = app
        .get(
            &sup,
            "/api/v1/indicators/export?table=indicators&format=csv",
        )
        .await;
    assert_eq!(csv.status.as_u16(), 200, "{}", csv.text);
    assert_eq!(&csv.bytes[..3], b"\xEF\xBB\xBF", "UTF-8 BOM");
    assert!(
        csv.header("content-type")
            .is_some_and(|c| c.starts_with("text/csv"))
    );
    assert!(
        csv.header("content-disposition")
            .is_some_and(|c| c.contains(&format!("indicators-{TOWN_A}-2026-11-01-2026-11-23.csv")))
    );
    let line = csv
        .text
        .lines()
        .find(|l| l.starts_with("调解成功率,"))
        .expect("the rate's line");
    assert!(line.starts_with("调解成功率,66.7%,2,3,"), "{line}");

    let xlsx = app
        .get(
            &sup,
            "/api/v1/indicators/export?table=indicators&format=xlsx",
        )
        .await;
    assert_eq!(xlsx.status.as_u16(), 200);
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(xlsx.bytes.clone())).expect("opens");
    let range = book.worksheet_range("主要指标").expect("the sheet");
    let row = range
        .rows()
        .find(|r| r.first() == Some(&Data::String("调解成功率".to_owned())))
        .expect("the rate's row");
    assert_eq!(row[1], Data::String("66.7%".to_owned()));
    assert_eq!(row[2], Data::Float(2.0));
    assert_eq!(row[3], Data::Float(3.0));

    for table in ["divisions", "types", "months"] {
        for format in ["csv", "xlsx"] {
            let res = app
                .get(
                    &sup,
                    &format!("/api/v1/indicators/export?table={table}&format={format}"),
                )
                .await;
            assert_eq!(res.status.as_u16(), 200, "{table}.{format}: {}", res.text);
        }
    }
    let types = app
        .get(&sup, "/api/v1/indicators/export?table=types&format=csv")
        .await;
    assert!(types.text.contains("邻里,4,3,2,66.7"), "{}", types.text);
    app.get(&sup, "/api/v1/indicators/export?table=secrets&format=csv")
        .await
        .expect_error(400, "validation");
    app.get(&sup, "/api/v1/indicators/export?table=types&format=pdf")
        .await
        .expect_error(400, "validation");
}

#[tokio::test]
async fn only_supervisors_and_administrators_see_figures_and_only_their_own() {
    let w = world().await;
    let app = &w.app;
    // A window clerk is refused, in the API and on the page, and is not offered the page.
    let clerk = app.bearer("a-window_clerk").await;
    app.get(&clerk, "/api/v1/indicators")
        .await
        .expect_error(403, "forbidden_role");
    app.get(&clerk, "/api/v1/indicators/cases?metric=registered")
        .await
        .expect_error(403, "forbidden_role");
    let s = app.login("a-window_clerk").await;
    let page = app.get(&Auth::Session(s.clone()), "/insight").await;
    assert_eq!(page.status.as_u16(), 403);
    let home = app.get(&Auth::Session(s), "/").await;
    assert!(!home.text.contains("href=\"/insight\""));

    // Township A's supervisor does not see township B, not even whether it has figures.
    let a = app.bearer("a-supervisor").await;
    let other = app
        .get(&a, &format!("/api/v1/indicators?division={TOWN_B}"))
        .await
        .expect_error(404, "not_found");
    let absent = app
        .get(&a, "/api/v1/indicators?division=339021199000")
        .await
        .expect_error(404, "not_found");
    assert_eq!(other, absent);
    app.get(
        &a,
        &format!("/api/v1/indicators/cases?division={TOWN_B}&metric=registered"),
    )
    .await
    .expect_error(404, "not_found");
    app.get(
        &a,
        &format!("/api/v1/indicators/export?division={COUNTY}&table=indicators&format=csv"),
    )
    .await
    .expect_error(404, "not_found");
    let s = app.login("a-supervisor").await;
    let page = app
        .get(&Auth::Session(s), &format!("/insight?division={TOWN_B}"))
        .await;
    assert_eq!(page.status.as_u16(), 404);
    // Township B's supervisor sees B's single case only.
    let b = app.bearer("b-supervisor").await;
    let body = app.get(&b, "/api/v1/indicators").await.expect(200);
    assert_eq!(fig(&body, "registered").0, 1);
    let listed = app
        .get(&b, "/api/v1/indicators/cases?metric=registered")
        .await
        .expect(200);
    assert_eq!(ids(&listed), BTreeSet::from([w.b_case.0.clone()]));
    // The administrator at the county sees everything.
    let admin = app.bearer("county-admin").await;
    let body = app.get(&admin, "/api/v1/indicators").await.expect(200);
    assert_eq!(fig(&body, "registered").0, 5);
}

#[tokio::test]
async fn periods_are_checked() {
    let app = TestApp::new().await;
    let sup = app.bearer("a-supervisor").await;
    for bad in [
        "from=2026-13-01",
        "from=2026-11-30&to=2026-11-01",
        "period=fortnight",
        "period=days&days=0",
        "type=nonsense",
    ] {
        app.get(&sup, &format!("/api/v1/indicators?{bad}"))
            .await
            .expect_error(400, "validation");
    }
    let q = app
        .get(&sup, "/api/v1/indicators?period=days&days=7")
        .await
        .expect(200);
    let (from, to) = (str_of(&q, "from"), str_of(&q, "to"));
    let f =
        Date::parse(from, &time::format_description::well_known::Iso8601::DATE).expect("a date");
    let t = Date::parse(to, &time::format_description::well_known::Iso8601::DATE).expect("a date");
    assert_eq!((t - f).whole_days(), 6);
    assert_eq!(
        str_of(&q, "previous_to"),
        (f - time::Duration::days(1)).to_string()
    );
}

#[test]
fn periods_shift_by_calendar_months_and_clamp_to_month_ends() {
    use hejie_server::insight::{Period, PeriodKind, add_months};
    let d = |y: i32, m: Month, day: u8| Date::from_calendar_date(y, m, day).expect("a date");
    assert_eq!(
        add_months(d(2026, Month::March, 31), -1),
        d(2026, Month::February, 28)
    );
    assert_eq!(
        add_months(d(2026, Month::January, 15), -1),
        d(2025, Month::December, 15)
    );
    assert_eq!(
        add_months(d(2024, Month::February, 29), -12),
        d(2023, Month::February, 28)
    );
    let today = d(2026, Month::November, 23);
    let q = PeriodKind::Quarter.current(today, 30);
    assert_eq!(q.from, d(2026, Month::October, 1));
    assert_eq!(
        q.previous(PeriodKind::Quarter),
        Period {
            from: d(2026, Month::July, 1),
            to: d(2026, Month::August, 23)
        }
    );
    let y = PeriodKind::Year.current(today, 30);
    assert_eq!(y.from, d(2026, Month::January, 1));
    let days = PeriodKind::Days.current(today, 7);
    assert_eq!(days.days(), 7);
    assert_eq!(
        days.previous(PeriodKind::Days).to,
        d(2026, Month::November, 16)
    );
    assert_eq!(days.last_year().from, d(2025, Month::November, 17));
}
