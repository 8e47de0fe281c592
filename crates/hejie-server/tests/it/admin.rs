//! The administrators' intake settings page: routing rules edited in the UI, validated, kept in
//! the store and in force at once; the classifier's held-out accuracy; and nobody else may see it.

use std::sync::Arc;

use axum::http::Method;
use hejie_crypto::{KeyedSealer, MasterKey};
use hejie_domain::user::Role;
use hejie_server::sms::MemorySms;
use hejie_server::{AppState, Config};
use serde_json::json;

use crate::support::{Auth, Place, Resp, Session, TestApp, username};

const PAGE: &str = "/admin/intake";
const SAVE: &str = "/admin/intake/rules";

const WAGE_ARREARS: &str = "包工头拖欠我们二十多个工人三个月工资，快过年了还不给";

/// The default rules with one rule in front sending every labour dispute to the county centre.
fn custom_rules() -> String {
    format!(
        "[[rules]]\nid = \"custom-labour-centre\"\nname = \"劳动争议一律由县调处化解中心受理\"\n\
         when = [{{ types = [\"labour\"] }}]\n\
         targets = [[{{ kind = \"centre\", level = \"county\" }}]]\n\n{}",
        hejie_intake::DEFAULT_RULES_TOML
    )
}

async fn admin(app: &TestApp) -> Session {
    app.login(&username(Place::County, Role::Admin)).await
}

async fn page(app: &TestApp, s: &Session) -> Resp {
    app.req(Method::GET, PAGE)
        .header("cookie", &s.cookie)
        .send()
        .await
}

async fn save(app: &TestApp, s: &Session, rules: &str) -> Resp {
    let body =
        serde_urlencoded::to_string([("csrf", s.csrf.as_str()), ("rules", rules)]).expect("a form");
    app.req(Method::POST, SAVE)
        .header("cookie", &s.cookie)
        .raw("application/x-www-form-urlencoded", body)
        .send()
        .await
}

async fn proposed_rule(app: &TestApp) -> String {
    let clerk = app.bearer(&username(Place::A, Role::WindowClerk)).await;
    let res = app
        .post_json(
            &clerk,
            "/api/v1/intake/suggest",
            &json!({ "text": WAGE_ARREARS, "division": Place::A.village() }),
        )
        .await
        .expect(200);
    res["route"]["rule_id"]
        .as_str()
        .unwrap_or_else(|| panic!("a route: {res}"))
        .to_owned()
}

#[tokio::test]
async fn an_administrator_sees_the_rules_and_the_classifier_accuracy() {
    let app = TestApp::new().await;
    let s = admin(&app).await;
    let res = page(&app, &s).await;
    assert_eq!(res.status.as_u16(), 200, "{}", res.text);
    for text in [
        "智能受理设置",
        "首选正确率（Top-1）",
        "前三含正确类型（Top-3）",
        "各纠纷类型的召回率",
        "劳动争议",
        "labour-township",
        "现行分流规则",
        "保存",
        "恢复默认",
        "name=\"csrf\"",
    ] {
        assert!(res.text.contains(text), "{text} missing");
    }
    // The figures are percentages measured on the held-out set.
    let top1 = res
        .text
        .split("id=\"acc-top1\">")
        .nth(1)
        .and_then(|t| t.split('%').next())
        .and_then(|t| t.parse::<f64>().ok())
        .expect("a top-1 percentage");
    assert!(top1 >= 80.0, "top-1 {top1}");
    let documents = app.state.classifier.read().expect("lock").documents();
    assert!(res.text.contains(&format!("id=\"acc-docs\">{documents}<")));
    // The navigation offers the page to administrators.
    assert!(res.text.contains("href=\"/admin/intake\""));
}

#[tokio::test]
async fn others_are_refused_and_cannot_save() {
    let app = TestApp::new().await;
    for role in [Role::WindowClerk, Role::Supervisor, Role::Mediator] {
        let s = app.login(&username(Place::A, role)).await;
        let res = page(&app, &s).await;
        assert_eq!(res.status.as_u16(), 403, "{role:?}: {}", res.text);
        assert!(res.text.contains("无权进行此操作"), "{}", res.text);
        let res = save(&app, &s, &custom_rules()).await;
        assert_eq!(res.status.as_u16(), 403, "{role:?}");
        // Nor is the page offered in their navigation.
        let home = app
            .req(Method::GET, "/")
            .header("cookie", &s.cookie)
            .send()
            .await;
        assert!(!home.text.contains("href=\"/admin/intake\""));
    }
    assert!(
        app.state
            .store
            .model("routing_rules")
            .await
            .unwrap()
            .is_none()
    );
    // Signed out: to the sign-in page.
    let res = app.get(&Auth::None, PAGE).await;
    assert_eq!(res.status.as_u16(), 303);
}

#[tokio::test]
async fn saved_rules_route_the_next_case_and_survive_a_restart() {
    let app = TestApp::new().await;
    assert!(proposed_rule(&app).await.starts_with("labour-"));

    let s = admin(&app).await;
    let res = save(&app, &s, &custom_rules()).await;
    assert_eq!(res.status.as_u16(), 303, "{}", res.text);
    assert_eq!(res.header("location"), Some("/admin/intake?saved=1"));
    assert_eq!(proposed_rule(&app).await, "custom-labour-centre");

    // The page shows the saved text and the new rule.
    let res = app
        .req(Method::GET, "/admin/intake?saved=1")
        .header("cookie", &s.cookie)
        .send()
        .await;
    assert!(res.text.contains("已保存并生效"));
    assert!(res.text.contains("custom-labour-centre"));

    // A server started again over the same database routes by the saved rules.
    let restarted = AppState::new(
        app.state.store.clone(),
        Arc::new(KeyedSealer::new(&MasterKey::generate())),
        Arc::new(MemorySms::default()),
        Config::default(),
    )
    .await
    .expect("restarting");
    assert_eq!(
        restarted.routing_rules().rules()[0].id,
        "custom-labour-centre"
    );

    // 恢复默认 posts the default text back.
    let res = save(&app, &s, hejie_intake::DEFAULT_RULES_TOML).await;
    assert_eq!(res.status.as_u16(), 303, "{}", res.text);
    assert!(proposed_rule(&app).await.starts_with("labour-"));
}

#[tokio::test]
async fn invalid_rules_are_refused_with_the_reason_and_nothing_is_saved() {
    let app = TestApp::new().await;
    let s = admin(&app).await;

    let res = save(&app, &s, "[[rules]\nid = ").await;
    assert_eq!(res.status.as_u16(), 400, "{}", res.text);
    assert!(res.text.contains("分流规则无法解析"), "{}", res.text);
    assert!(res.text.contains("class=\"field-error\""));
    assert!(
        res.text.contains("[[rules]\nid = </textarea>"),
        "typed text kept"
    );

    // Well-formed TOML whose last rule is not a fallback.
    let no_fallback = "[[rules]]\nid = \"x\"\nname = \"只有一条\"\nwhen = [{ types = [\"labour\"] }]\n\
                       targets = [[{ kind = \"centre\", level = \"county\" }]]\n";
    let res = save(&app, &s, no_fallback).await;
    assert_eq!(res.status.as_u16(), 400);
    assert!(res.text.contains("兜底规则"), "{}", res.text);

    assert!(
        app.state
            .store
            .model("routing_rules")
            .await
            .unwrap()
            .is_none()
    );
    assert!(proposed_rule(&app).await.starts_with("labour-"));
}
