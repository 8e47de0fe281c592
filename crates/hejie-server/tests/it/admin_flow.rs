//! The administrators' time-limit and calendar settings (`/admin/flow`): the policy in force is
//! shown in words, a saved document is validated completely, put in force at once for the next
//! stage that starts (never for clocks already running), kept with who saved it, picked up by
//! another server process over the same database, and refused with the reason when wrong.

use std::sync::Arc;

use axum::http::Method;
use hejie_crypto::{KeyedSealer, MasterKey};
use hejie_domain::case::ClockKind;
use hejie_domain::clock::Limit;
use hejie_domain::division::Level;
use hejie_domain::user::Role;
use hejie_server::sms::MemorySms;
use hejie_server::workflow::Flow;
use hejie_server::workflow::settings::{self, TIME_LIMITS};
use hejie_server::{AppState, Config};
use serde_json::{Value, json};

use crate::support::{Place, Resp, Session, TestApp, accept_body, str_of, username};

const PAGE: &str = "/admin/flow";

async fn admin(app: &TestApp) -> Session {
    app.login(&username(Place::County, Role::Admin)).await
}

/// The settings page as an administrator who just signed in sees it.
async fn page(app: &TestApp) -> String {
    let s = admin(app).await;
    let res = app
        .req(Method::GET, PAGE)
        .header("cookie", &s.cookie)
        .send()
        .await;
    assert_eq!(res.status.as_u16(), 200, "{}", res.text);
    res.text
}

async fn save(app: &TestApp, s: &Session, text: &str) -> Resp {
    let body =
        serde_urlencoded::to_string([("csrf", s.csrf.as_str()), ("text", text)]).expect("a form");
    app.req(Method::POST, PAGE)
        .header("cookie", &s.cookie)
        .raw("application/x-www-form-urlencoded", body)
        .send()
        .await
}

/// The default document with the village stage shortened from 7 to 3 working days.
fn village_in_three_days() -> String {
    let text = settings::default_text();
    let old = "level = \"村(社区)\"\nlimit = \"7个工作日\"\nbasis = \"小事不出村：7个工作日\"";
    assert!(text.contains(old), "the default names the village limit");
    text.replace(
        old,
        "level = \"村(社区)\"\nlimit = \"3个工作日\"\nbasis = \"本县规定：村级3个工作日内化解\"",
    )
}

/// A village case registered, accepted and dispatched to the village committee; returns its
/// resolve clock as the API shows it.
async fn dispatched_village_case(app: &TestApp) -> (String, Value) {
    let clerk = app.bearer("a-window_clerk").await;
    let case = app
        .register(&clerk, Place::A, "两户因宅基地界址发生争执，多次协商未果。")
        .await;
    let id = str_of(&case, "id").to_owned();
    app.command(&clerk, &id, "accept", accept_body()).await;
    let committee = app.fx.orgs.committee(Place::A);
    app.command(
        &clerk,
        &id,
        "assign",
        json!({ "organisation_id": committee.id.to_string() }),
    )
    .await;
    let clocks = app
        .get(&clerk, &format!("/api/v1/cases/{id}/clocks"))
        .await
        .expect(200);
    let resolve = clocks["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .find(|c| c["kind"]["code"] == "resolve")
        .cloned()
        .unwrap_or_else(|| panic!("a resolve clock: {clocks}"));
    (id, resolve)
}

#[test]
fn the_default_document_reads_back_as_the_built_in_policy() {
    let text = settings::default_text();
    assert_eq!(settings::parse(&text).expect("valid"), Flow::default());
    // The document names values as people say them.
    for word in [
        "签收时限",
        "办理时限",
        "总时限",
        "劳动争议",
        "信访",
        "4个工作小时",
        "30日",
    ] {
        assert!(text.contains(word), "{word} missing");
    }
}

#[test]
fn a_changed_policy_renders_and_reads_back_unchanged() {
    let mut flow = settings::parse(&village_in_three_days()).expect("valid");
    flow.policy.remind_at_percent = 80;
    flow.policy.auto_escalation[0].after = Limit::working_hours(6);
    let rendered = settings::render(&flow);
    assert_eq!(settings::parse(&rendered).expect("valid"), flow);
    let village = flow
        .policy
        .rules
        .iter()
        .find(|r| r.clock == ClockKind::Resolve && r.level == Some(Level::Village))
        .expect("a village rule");
    assert_eq!(village.limit, Limit::working_days(3));
}

/// Each broken document is refused with a Chinese reason naming what is wrong.
#[test]
fn broken_documents_are_refused_with_the_reason() {
    let good = settings::default_text();
    let check = |name: &str, text: String, fragment: &str| {
        let err = settings::parse(&text).expect_err(name).to_string();
        assert!(err.contains(fragment), "{name}: {err:?} lacks {fragment:?}");
    };
    check(
        "TOML syntax, with the line",
        good.replacen("\n[calendar]\n", "\n[calendar\n", 1),
        "第",
    );
    check(
        "a misspelt key",
        good.replacen("basis = ", "basls = ", 1),
        "格式有误",
    );
    check(
        "an unknown clock",
        good.replacen("clock = \"签收时限\"", "clock = \"答复时限\"", 1),
        "时钟“答复时限”无法识别",
    );
    check(
        "an unknown dispute type",
        good.replacen("dispute_type = \"劳动争议\"", "dispute_type = \"劳务\"", 1),
        "纠纷类型“劳务”无法识别",
    );
    check(
        "a limit without a unit",
        good.replacen("limit = \"4个工作小时\"", "limit = \"4\"", 1),
        "无法识别",
    );
    check(
        "an impossible date",
        good.replacen("\"2026-10-01\"", "\"2026-02-30\"", 1),
        "工作日历",
    );
    check(
        "a day both holiday and workday",
        good.replacen(
            "workdays = [\n  \"",
            "workdays = [\n  \"2026-10-01\", \"",
            1,
        ),
        "不能同时是节假日和调休工作日",
    );
    check(
        "no fallback for the acknowledge clock",
        good.replacen(
            "[[rules]]\nclock = \"签收时限\"\nlimit = \"4个工作小时\"",
            "[[rules]]\nclock = \"签收时限\"\nlevel = \"县(区)\"\nlimit = \"4个工作小时\"",
            1,
        ),
        "缺少不带适用条件的签收时限规则",
    );
    check(
        "escalation from an unknown level",
        good.replacen("level = \"村(社区)\"\nafter", "level = \"组\"\nafter", 1),
        "无法识别的层级“组”",
    );
}

#[tokio::test]
async fn an_administrator_sees_the_calendar_and_the_rules_in_words() {
    let app = TestApp::new().await;
    let page = page(&app).await;
    for text in [
        "时限与工作日历",
        "08:30–12:00、13:30–17:30（每个工作日7小时30分）",
        // 2026 国庆: seven days in a row, and the make-up Sunday before.
        "10月1日至10月7日",
        "9月20日",
        "小事不出村：7个工作日",
        "所有案件（兜底）",
        "时限用去75%时提醒承办人",
        "村(社区)级承办的案件超期后2个工作日仍未办结，自动上报上一级",
        "尚未修改，正在使用系统默认设置",
        "恢复默认",
    ] {
        assert!(page.contains(text), "{text} missing");
    }
    // Both settings pages are reachable from each other.
    assert!(page.contains("href=\"/admin/intake\""));
}

#[tokio::test]
async fn others_may_neither_see_nor_change_the_time_limits() {
    let app = TestApp::new().await;
    for role in [Role::WindowClerk, Role::Supervisor, Role::Mediator] {
        let s = app.login(&username(Place::A, role)).await;
        let res = app
            .req(Method::GET, PAGE)
            .header("cookie", &s.cookie)
            .send()
            .await;
        assert_eq!(res.status.as_u16(), 403, "{role:?}");
        let res = save(&app, &s, &village_in_three_days()).await;
        assert_eq!(res.status.as_u16(), 403, "{role:?}");
    }
    assert!(app.state.store.model(TIME_LIMITS).await.unwrap().is_none());
    assert!(
        app.state
            .store
            .setting_history(TIME_LIMITS, 5)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn saved_limits_apply_to_the_next_stage_only_are_recorded_and_survive_a_restart() {
    let app = TestApp::new().await;
    let (before_id, before) = dispatched_village_case(&app).await;
    assert_eq!(before["limit"], "7wd", "{before}");

    let s = admin(&app).await;
    let res = save(&app, &s, &village_in_three_days()).await;
    assert_eq!(res.status.as_u16(), 303, "{}", res.text);
    assert_eq!(res.header("location"), Some("/admin/flow?saved=1"));

    // The next case dispatched to a village gets the new limit and its basis in the record.
    let (id, after) = dispatched_village_case(&app).await;
    assert_eq!(after["limit"], "3wd", "{after}");
    let clerk = app.bearer("a-window_clerk").await;
    let events = app
        .get(&clerk, &format!("/api/v1/cases/{id}/events"))
        .await
        .expect(200);
    assert!(
        events.to_string().contains("本县规定：村级3个工作日内化解"),
        "the basis is in the timeline"
    );
    // The case already running keeps the limit it was given.
    let clocks = app
        .get(&clerk, &format!("/api/v1/cases/{before_id}/clocks"))
        .await
        .expect(200);
    assert!(clocks.to_string().contains("\"7wd\""), "{clocks}");

    // The page shows the new rule and who saved it.
    let res = app
        .req(Method::GET, "/admin/flow?saved=1")
        .header("cookie", &s.cookie)
        .send()
        .await;
    assert!(res.text.contains("已保存并生效"));
    assert!(res.text.contains("本县规定：村级3个工作日内化解"));
    let admin_name = app
        .state
        .store
        .users()
        .await
        .expect("read")
        .into_iter()
        .find(|u| u.username == username(Place::County, Role::Admin))
        .expect("the admin")
        .name;
    let history = app
        .state
        .store
        .setting_history(TIME_LIMITS, 5)
        .await
        .expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].changed_by_name, admin_name);
    assert!(res.text.contains(&history[0].digest[..16]));

    // A server started again over the same database uses the saved limits.
    let restarted = AppState::new(
        app.state.store.clone(),
        Arc::new(KeyedSealer::new(&MasterKey::generate())),
        Arc::new(MemorySms::default()),
        Config::default(),
    )
    .await
    .expect("restarting");
    assert_eq!(*restarted.flow(), *app.state.flow());
    assert_ne!(*restarted.flow(), Flow::default());

    // 恢复默认 posts the default text back, and that is recorded too.
    let res = save(&app, &s, &settings::default_text()).await;
    assert_eq!(res.status.as_u16(), 303, "{}", res.text);
    assert_eq!(*app.state.flow(), Flow::default());
    assert_eq!(
        app.state
            .store
            .setting_history(TIME_LIMITS, 5)
            .await
            .expect("history")
            .len(),
        2
    );

    // The restarted process still holds what it loaded until its next pass picks the change up.
    assert_ne!(*restarted.flow(), Flow::default(), "not yet refreshed");
    restarted.refresh_settings().await.expect("refresh");
    assert_eq!(*restarted.flow(), Flow::default());
    let res = save(&app, &s, &village_in_three_days()).await;
    assert_eq!(res.status.as_u16(), 303);
    assert_eq!(*restarted.flow(), Flow::default(), "not yet refreshed");
    restarted.refresh_settings().await.expect("refresh");
    assert_eq!(*restarted.flow(), *app.state.flow());
    assert_ne!(*restarted.flow(), Flow::default());
}

#[tokio::test]
async fn an_invalid_document_is_refused_on_the_page_and_nothing_changes() {
    let app = TestApp::new().await;
    let s = admin(&app).await;
    let broken =
        settings::default_text().replacen("remind_at_percent = 75", "remind_at_percent = 0", 1);
    let res = save(&app, &s, &broken).await;
    assert_eq!(res.status.as_u16(), 400, "{}", res.text);
    assert!(
        res.text.contains("未保存：到期提醒比例应为1至99"),
        "{}",
        res.text
    );
    assert!(res.text.contains("class=\"field-error\""));
    assert!(
        res.text.contains("remind_at_percent = 0"),
        "typed text kept"
    );
    assert!(app.state.store.model(TIME_LIMITS).await.unwrap().is_none());
    assert_eq!(*app.state.flow(), Flow::default());
}

/// Reads the settings page at `now` (China Standard Time), signed in then.
async fn page_at(app: &TestApp, now: &str) -> String {
    let at = time::PrimitiveDateTime::parse(
        now,
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]"),
    )
    .expect("a time")
    .assume_offset(hejie_domain::timestamp::CST);
    app.state
        .set_now(hejie_domain::timestamp::Timestamp::from_datetime(at));
    page(app).await
}

#[tokio::test]
async fn a_year_without_its_holiday_schedule_is_named_before_it_starts_and_while_it_runs() {
    let app = TestApp::manual_scheduler().await;
    // The built-in calendar covers 2025 and 2026.
    let june = page_at(&app, "2026-06-01 09:00").await;
    assert!(!june.contains("calendar-missing-"), "no gap in June 2026");
    let december = page_at(&app, "2026-12-07 09:00").await;
    assert!(
        december.contains("id=\"calendar-missing-2027\""),
        "2027 is named in December 2026"
    );
    assert!(december.contains("2027年的法定节假日和调休安排尚未录入"));
    assert!(!december.contains("calendar-missing-2026"));
    let before_festival = page_at(&app, "2028-01-24 09:30").await;
    assert!(before_festival.contains("id=\"calendar-missing-2028\""));
    assert!(!before_festival.contains("calendar-missing-2029"));

    // Once an administrator enters 2028's holidays, the warning for 2028 goes.
    let s = admin(&app).await;
    let text = settings::default_text().replace(
        "holidays = [",
        "holidays = [\n  \"2028-01-01\", \"2028-01-25\", \"2028-01-26\", \"2028-01-27\", \"2028-01-28\",",
    );
    let res = save(&app, &s, &text).await;
    assert_eq!(res.status.as_u16(), 303, "{}", res.text);
    let entered = page_at(&app, "2028-01-24 09:30").await;
    assert!(!entered.contains("calendar-missing-"), "2028 is entered");
}
