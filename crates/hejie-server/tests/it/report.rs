//! The monthly 《人民调解研判预警专报》: made from the same figures as the dashboard, its text
//! read back with poppler's `pdftotext` (figures, names reduced to 某, Chinese intact); made
//! from the page and downloaded, kept as versions, refused for a future month, scoped to the
//! jurisdiction; and made for every area by the scheduler on the 1st.

use axum::http::Method;
use hejie_domain::division::DivisionCode;
use hejie_domain::timestamp::{CST, Timestamp};
use hejie_server::report;
use hejie_server::workflow::scheduler;
use hejie_store::warnings::{
    NewWarning, WarningAction, WarningFilter, WarningKind, WarningLevel, WarningOutcome,
    WarningStep,
};
use time::{Date, Month, OffsetDateTime, Time};

use crate::insight::{End, case, cst};
use crate::support::{COUNTY, Place, Resp, Session, TOWN_A, TOWN_B, TestApp, pdf_text};

fn december(day: u8, hour: u8) -> Timestamp {
    let date = Date::from_calendar_date(2026, Month::December, day).expect("a valid date");
    let time = Time::from_hms(hour, 0, 0).expect("a valid time");
    Timestamp::from_datetime(OffsetDateTime::new_in_offset(date, time, CST))
}

fn november() -> Date {
    Date::from_calendar_date(2026, Month::November, 1).expect("a valid date")
}

fn code(s: &str) -> DivisionCode {
    DivisionCode::parse(s).expect("a division code")
}

/// Township A in November: two successes, one failure, one open case; township B one success.
async fn november_cases(app: &TestApp) {
    case(
        app,
        Place::A,
        End::Succeeded,
        "张三与李四因宅基地界址争执，张三认为李四的围墙越界。",
    )
    .await;
    case(app, Place::A, End::Succeeded, "邻居装修噪音扰民。").await;
    case(app, Place::A, End::Failed, "排水沟堵塞引发争执。").await;
    case(app, Place::A, End::Open, "楼上漏水殃及楼下。").await;
    case(app, Place::B, End::Succeeded, "乙镇的邻里纠纷。").await;
    app.state.set_now(cst(23, 15));
}

#[tokio::test]
async fn the_report_prints_the_months_figures_in_chinese() {
    let app = TestApp::manual_scheduler().await;
    november_cases(&app).await;
    // A spike warning raised in November and judged true; one raised in December is not
    // November's.
    let spike = |key: &str, title: &str| NewWarning {
        subject_key: key.to_owned(),
        kind: WarningKind::Spike,
        level: WarningLevel::Red,
        division: code(TOWN_A),
        dispute_type: Some("neighbour".to_owned()),
        case_id: None,
        title: title.to_owned(),
        detail: r#"{"observed":14,"expected":4.2,"limit":9,"p_value":0.0003}"#.to_owned(),
    };
    let store = &app.state.store;
    store
        .raise_warnings(vec![spike("spike:test:nov", "邻里纠纷突增")], cst(24, 9))
        .await
        .expect("raised");
    let (raised, _) = store
        .warnings(&WarningFilter::default())
        .await
        .expect("listed");
    for (step, note) in [
        (WarningStep::Acknowledge, "已收到"),
        (
            WarningStep::Outcome(WarningOutcome::Confirmed),
            "经核实属实",
        ),
    ] {
        store
            .act_on_warning(
                raised[0].id,
                WarningAction {
                    step,
                    actor_id: "test".to_owned(),
                    actor_name: "督办人".to_owned(),
                    at: cst(24, 12),
                    note: note.to_owned(),
                },
            )
            .await
            .expect("acted");
    }
    store
        .raise_warnings(
            vec![spike("spike:test:dec", "十二月的预警")],
            december(1, 8),
        )
        .await
        .expect("raised");
    app.state.set_now(december(1, 9));
    let (info, pdf) = report::make_and_keep(&app.state, &code(TOWN_A), november(), "test")
        .await
        .expect("made");
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(info.version, 1);
    assert_eq!(info.period, "2026-11");
    let text = pdf_text(&pdf);
    // pdftotext -layout pads columns with spaces; compare without them.
    let flat: String = text.split_whitespace().collect();
    for want in [
        "人民调解研判预警专报",
        "2026年第11期",
        "2026年12月1日",
        "统计期间：2026年11月1日至2026年11月30日",
        // The summary states the month's figures.
        "登记受理4件",
        "调解终结3件，其中调解成功2件，调解成功率66.7%",
        // The key-figures table: 纠纷受理数 this month 4, last month 0.
        "纠纷受理数40",
        "调解成功率66.7%",
        "邻里纠纷",
        "三、热点研判",
        "四、预警及处置情况",
        "本月共发出预警1条（红色1条、橙色0条、黄色0条），已签收1条",
        "属实1条、误报0条，命中率100.0%",
        "邻里纠纷突增",
        // The numbers behind it (a table cell, so wrapped: checked piece by piece).
        "本周14件",
        "基线4.2件",
        "控制上限9",
        "p=0.0003",
        "五、典型案例",
        "六、工作建议",
        "第1页共",
    ] {
        assert!(flat.contains(want), "{want:?} missing from:\n{text}");
    }
    // Typical cases name the parties by surname only.
    assert!(flat.contains("张某与李某因宅基地界址争执"), "{text}");
    assert!(
        !flat.contains("张三"),
        "a party's full name was printed:\n{text}"
    );
    // The chart's labels are text in the PDF too (the SVG was embedded with its fonts).
    assert!(flat.contains("近12个月纠纷受理数"), "{text}");
    assert!(!flat.contains("十二月的预警"), "{text}");
}

async fn make(app: &TestApp, s: &Session, division: &str, month: &str) -> Resp {
    let body = serde_urlencoded::to_string([
        ("csrf", s.csrf.as_str()),
        ("division", division),
        ("month", month),
    ])
    .expect("a form");
    app.req(Method::POST, "/insight/reports")
        .header("cookie", &s.cookie)
        .raw("application/x-www-form-urlencoded", body)
        .send()
        .await
}

async fn page(app: &TestApp, s: &Session, path: &str) -> Resp {
    app.req(Method::GET, path)
        .header("cookie", &s.cookie)
        .send()
        .await
}

#[tokio::test]
async fn a_supervisor_makes_downloads_and_remakes_a_report_from_the_page() {
    let app = TestApp::manual_scheduler().await;
    november_cases(&app).await;
    app.state.set_now(december(2, 10));
    let sup = app.login("a-supervisor").await;

    let res = make(&app, &sup, TOWN_A, "2026-11").await;
    assert_eq!(res.status, 303, "{}", res.text);
    let to = res.header("location").expect("a redirect").to_owned();
    assert_eq!(to, format!("/insight/reports/{TOWN_A}/2026-11"));
    let pdf = page(&app, &sup, &to).await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(
        pdf.header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment;")),
        "downloaded as a file"
    );
    assert!(pdf.bytes.starts_with(b"%PDF-"));

    // Made again: version 2 is served, version 1 is kept.
    assert_eq!(make(&app, &sup, TOWN_A, "2026-11").await.status, 303);
    let list = page(&app, &sup, "/insight/reports").await;
    assert_eq!(list.status, 200);
    let html = &list.text;
    assert!(html.contains("第2版"), "{html}");
    assert!(html.contains("2026-11"), "{html}");
    assert_eq!(
        app.state
            .store
            .document(&report::monthly_key(&code(TOWN_A), "2026-11"))
            .await
            .expect("read")
            .expect("kept")
            .0
            .version,
        2
    );

    // A month that has not begun is refused with a Chinese reason, and nothing is kept.
    let res = make(&app, &sup, TOWN_A, "2027-01").await;
    assert_eq!(res.status, 400);
    assert!(res.text.contains("2027年1月尚未开始，不能生成专报"));
    let res = make(&app, &sup, TOWN_A, "2026-13").await;
    assert_eq!(res.status, 400);
    assert!(res.text.contains("格式不正确"));

    // Another township's supervisor neither sees nor makes township A's report.
    let other = app.login("b-supervisor").await;
    assert_eq!(page(&app, &other, &to).await.status, 404);
    assert_eq!(make(&app, &other, TOWN_A, "2026-11").await.status, 404);
    let listed = page(&app, &other, "/insight/reports").await.text;
    assert!(
        !listed.contains(&format!("/insight/reports/{TOWN_A}/")),
        "{listed}"
    );
    // A mediator has no access to indicators at all.
    let mediator = app.login("a-mediator").await;
    assert_eq!(page(&app, &mediator, "/insight/reports").await.status, 403);
}

#[tokio::test]
async fn the_scheduler_makes_last_months_reports_on_the_first() {
    let app = TestApp::manual_scheduler().await;
    november_cases(&app).await;
    app.state.set_now(cst(25, 9));
    report::ensure_scheduled(&app.state)
        .await
        .expect("scheduled");
    let job = app
        .state
        .store
        .job("report:monthly")
        .await
        .expect("read")
        .expect("the job exists");
    assert_eq!(job.due_at, december(1, 2));

    // Nothing happens before the 1st.
    scheduler::tick(&app.state, december(1, 1))
        .await
        .expect("tick");
    let key = report::monthly_key(&code(COUNTY), "2026-11");
    assert!(
        app.state
            .store
            .document(&key)
            .await
            .expect("read")
            .is_none()
    );

    app.state.set_now(december(1, 3));
    let report = scheduler::tick(&app.state, december(1, 3))
        .await
        .expect("tick");
    assert_eq!(report.failed, 0);
    for area in [COUNTY, TOWN_A, TOWN_B] {
        let key = report::monthly_key(&code(area), "2026-11");
        let (info, body) = app
            .state
            .store
            .document(&key)
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("no report for {area}"));
        assert_eq!(info.created_by, "system");
        assert!(body.starts_with(b"%PDF-"));
    }
    // The county's report counts both townships' cases.
    let (_, county) = app
        .state
        .store
        .document(&report::monthly_key(&code(COUNTY), "2026-11"))
        .await
        .expect("read")
        .expect("kept");
    let flat: String = pdf_text(&county).split_whitespace().collect();
    assert!(flat.contains("登记受理5件"), "{flat}");
    // And it runs again on the next 1st.
    let next = app
        .state
        .store
        .job("report:monthly")
        .await
        .expect("read")
        .expect("rescheduled");
    assert_eq!(next.status, "pending");
    let jan = Date::from_calendar_date(2027, Month::January, 1).expect("a date");
    assert_eq!(
        next.due_at,
        Timestamp::from_datetime(OffsetDateTime::new_in_offset(
            jan,
            Time::from_hms(2, 0, 0).expect("a time"),
            CST
        ))
    );
}
