//! The escalation model trained on the deployment's own closed cases: a history whose outcomes
//! are driven by an injected signal (threatening words) is recorded through the API, the model is
//! retrained and stored with its held-out AUC, the admin page shows it, an open case's page shows
//! its 升级风险 with the factors in Chinese; too little data is refused in Chinese, and only
//! administrators may retrain.

use axum::http::Method;
use hejie_domain::timestamp::{CST, Timestamp};
use hejie_domain::user::Role;
use hejie_server::escalation::{self, MODEL_NAME, ModelReport, RetrainConfig, RetrainError};
use serde_json::{Value, json};
use time::{Date, Duration, Month, OffsetDateTime, Time};

use crate::support::{Auth, Place, Resp, Session, TestApp, str_of, username};

const PAGE: &str = "/admin/model";
const RETRAIN: &str = "/admin/model/retrain";

/// A threat that `hejie_insight`'s risk words recognise.
const THREAT: &str = "对方扬言要拉横幅去闹大，不解决就同归于尽。";

/// 9:00 China Standard Time, `days` after 2026-01-05.
fn day(days: i64) -> Timestamp {
    let d = Date::from_calendar_date(2026, Month::January, 5).expect("a valid date")
        + Duration::days(days);
    Timestamp::from_datetime(OffsetDateTime::new_in_offset(
        d,
        Time::from_hms(9, 0, 0).expect("a valid time"),
        CST,
    ))
}

/// A small deterministic generator (xorshift), so the history is the same on every run.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn registration(description: &str, head_count: u32) -> Value {
    json!({
        "channel": "visit",
        "dispute_type": "neighbour",
        "parties": [{ "name": "王五" }, { "name": "赵六" }],
        "division": Place::A.village(),
        "grid": Place::A.grid(),
        "address": "5组3号",
        "description": description,
        "head_count": head_count,
    })
}

/// Registers and accepts a case on `registered` (days from the start); returns its id.
async fn open_case(app: &TestApp, clerk: &Auth, registered: i64, body: &Value) -> String {
    app.state.set_now(day(registered));
    let case = app
        .post_json(clerk, "/api/v1/cases", body)
        .await
        .expect(201);
    let id = str_of(&case, "id").to_owned();
    app.command(
        clerk,
        &id,
        "accept",
        json!({ "dispute_type": "neighbour", "severity": "ordinary", "track": "clinic" }),
    )
    .await;
    id
}

/// `n` cases registered one a day and closed two days later. A case carries the threat with
/// probability 0.3; a threatening case ends in a referral to the police or the court with
/// probability 0.8, any other with 0.08; the rest are withdrawn. Returns how many escalated.
async fn history(app: &TestApp, n: i64, seed: u64) -> usize {
    let clerk = app.bearer(&username(Place::A, Role::WindowClerk)).await;
    let admin = app.bearer(&username(Place::County, Role::Admin)).await;
    let mut rng = Rng(seed);
    let mut escalated = 0;
    for i in 0..n {
        let threat = rng.unit() < 0.3;
        let text = if threat {
            format!("第{i}起相邻关系纠纷，{THREAT}")
        } else {
            format!("第{i}起相邻关系纠纷，双方就围墙界址各执一词。")
        };
        let heads = 2 + (rng.unit() * 3.0) as u32;
        let id = open_case(app, &clerk, i, &registration(&text, heads)).await;
        let escalates = rng.unit() < if threat { 0.8 } else { 0.08 };
        app.state.set_now(day(i + 2));
        let close = if escalates {
            escalated += 1;
            let target = if rng.unit() < 0.5 { "police" } else { "court" };
            json!({ "outcome": "referred", "referral_target": target, "reason": "超出人民调解范围" })
        } else {
            json!({ "outcome": "withdrawn", "reason": "当事人自行和解" })
        };
        let v = app.command(&admin, &id, "close", close).await;
        assert_eq!(v["status"]["code"], "closed", "{v}");
    }
    escalated
}

async fn admin_session(app: &TestApp) -> Session {
    app.login(&username(Place::County, Role::Admin)).await
}

async fn get(app: &TestApp, s: &Session, path: &str) -> Resp {
    app.req(Method::GET, path)
        .header("cookie", &s.cookie)
        .send()
        .await
}

async fn retrain(app: &TestApp, s: &Session) -> Resp {
    let body = serde_urlencoded::to_string([("csrf", s.csrf.as_str())]).expect("a form");
    app.req(Method::POST, RETRAIN)
        .header("cookie", &s.cookie)
        .raw("application/x-www-form-urlencoded", body)
        .send()
        .await
}

async fn stored(app: &TestApp) -> Option<Value> {
    app.state
        .store
        .model(MODEL_NAME)
        .await
        .expect("reading the model")
        .map(|(body, _)| serde_json::from_str(&body).expect("the stored model is JSON"))
}

#[tokio::test]
async fn the_model_learns_the_injected_signal_and_the_pages_show_it() {
    let app = TestApp::manual_scheduler().await;
    let escalated = history(&app, 200, 0x5EED_CAFE).await;
    assert!((30..=90).contains(&escalated), "{escalated} escalations");
    let s = admin_session(&app).await;

    // Before training the admin page says so, and no case page shows a risk.
    let res = get(&app, &s, PAGE).await;
    assert_eq!(res.status.as_u16(), 200, "{}", res.text);
    assert!(res.text.contains("尚未训练升级风险模型"), "{}", res.text);

    // Retrain from the admin page, signed in afresh months later.
    app.state.set_now(day(210));
    let s = admin_session(&app).await;
    let res = retrain(&app, &s).await;
    assert_eq!(res.status.as_u16(), 303, "{}", res.text);
    assert_eq!(res.header("location"), Some("/admin/model?trained=1"));

    let doc = stored(&app).await.expect("a stored model");
    let report: ModelReport = serde_json::from_value(doc.clone()).expect("a model report");
    assert_eq!(report.train.cases + report.held_out.cases, 200, "{doc}");
    assert_eq!(
        report.train.positives + report.held_out.positives,
        escalated,
        "{doc}"
    );
    // Closing days run from day 2 to day 201 (199 days apart): the last 40 days are held out.
    assert_eq!(report.train.from, "2026-01-07");
    assert_eq!(report.held_out.to, "2026-07-25");
    assert!(report.train.to < report.held_out.from, "{doc}");
    assert_eq!(report.held_out.cases, 40, "{doc}");
    assert!(report.auc >= 0.75, "held-out AUC {:.3}", report.auc);
    assert_eq!(report.trained_at, day(210));
    for key in [
        "model",
        "auc",
        "train",
        "held_out",
        "trained_at",
        "thresholds",
    ] {
        assert!(doc.get(key).is_some(), "{key} missing in {doc}");
    }
    // The threat is what the model learned most.
    let (strongest, weight) = report.model.strongest(1).remove(0);
    assert!(strongest.starts_with("威胁或过激言辞"), "{strongest}");
    assert!(weight > 0.0);

    // The admin page shows the held-out AUC, the counts and the strongest weights.
    let res = get(&app, &s, "/admin/model?trained=1").await;
    assert_eq!(res.status.as_u16(), 200, "{}", res.text);
    for text in [
        "模型已重新训练并保存",
        &format!("<dd id=\"model-auc\">{:.3}</dd>", report.auc),
        "<dd id=\"model-trained-at\">2026年8月3日 09:00</dd>",
        "<td>2026-01-07</td>",
        "留出检验期",
        "<td>40</td>",
        "威胁或过激言辞",
        "推高风险",
        "重新训练",
    ] {
        assert!(res.text.contains(text), "admin page lacks {text}");
    }

    // An open threatening case shows its risk, level and factors in Chinese; a calm one is lower.
    let clerk = app.bearer(&username(Place::A, Role::WindowClerk)).await;
    let hot = open_case(&app, &clerk, 211, &registration(THREAT, 3)).await;
    let calm = open_case(
        &app,
        &clerk,
        211,
        &registration("两户就围墙界址各执一词。", 3),
    )
    .await;
    let mediator = app.login(&username(Place::A, Role::Mediator)).await;
    let page = get(&app, &mediator, &format!("/cases/{hot}")).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text);
    assert!(page.text.contains("升级风险"), "no risk panel");
    assert!(
        page.text.contains("威胁或过激言辞：是"),
        "the threat is a factor"
    );
    assert!(page.text.contains("推高风险"));
    let case = app
        .state
        .store
        .load(hejie_server::api::cases::parse_id(&hot).expect("an id"))
        .await
        .expect("loading");
    let risk = escalation::score(
        app.state.store.as_ref(),
        &report,
        case.case().expect("a case"),
    )
    .await
    .expect("scoring");
    assert_eq!(risk.factors.len(), 3);
    assert!(page.text.contains(&risk.percent()), "{}", risk.percent());
    assert!(
        page.text
            .contains(&format!("risk-badge-{}", risk.level_code())),
        "the level is shown"
    );
    assert!(
        risk.level.is_some(),
        "a threatening case is at least yellow"
    );
    assert!(risk.level_label().ends_with("色预警"));
    assert!(page.text.contains(risk.level_label()), "the level is named");
    let calm_case = app
        .state
        .store
        .load(hejie_server::api::cases::parse_id(&calm).expect("an id"))
        .await
        .expect("loading");
    let calm_risk = escalation::score(
        app.state.store.as_ref(),
        &report,
        calm_case.case().expect("a case"),
    )
    .await
    .expect("scoring");
    assert!(calm_risk.probability < risk.probability);

    // A closed case shows no risk panel.
    let closed_id = app
        .state
        .store
        .list_cases(&hejie_store::CaseFilter {
            status: Some(hejie_domain::case::Status::Closed),
            limit: 1,
            ..Default::default()
        })
        .await
        .expect("listing")
        .remove(0)
        .id;
    // The administrator signs in again: the session of the day before has expired.
    let s = admin_session(&app).await;
    let page = get(&app, &s, &format!("/cases/{closed_id}")).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text);
    assert!(!page.text.contains("id=\"risk-panel\""));

    // A model stored by an older version, with another feature layout, is not fed today's
    // features: the case page shows no risk until the model is retrained.
    let mut old = stored(&app).await.expect("a stored model");
    old["model"]["names"]
        .as_array_mut()
        .expect("feature names")
        .push(Value::from("办理天数"));
    app.state
        .store
        .put_model(MODEL_NAME, &old.to_string(), app.state.now())
        .await
        .expect("storing the old model");
    assert!(
        escalation::load(app.state.store.as_ref())
            .await
            .expect("loading")
            .is_none()
    );
    let page = get(&app, &mediator, &format!("/cases/{hot}")).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.text);
    assert!(!page.text.contains("id=\"risk-panel\"") && !page.text.contains("推高风险"));
}

#[tokio::test]
async fn too_little_data_is_refused_in_chinese_and_nothing_is_stored() {
    let app = TestApp::manual_scheduler().await;
    let s = admin_session(&app).await;

    // No closed case at all.
    let res = retrain(&app, &s).await;
    assert_eq!(res.status.as_u16(), 422, "{}", res.text);
    assert!(res.text.contains("尚无已结案件"), "{}", res.text);
    assert!(stored(&app).await.is_none());

    // Thirty cases: the held-out period has too few escalations to measure anything.
    history(&app, 30, 0xD00D).await;
    let err = escalation::retrain(
        app.state.store.clone(),
        app.state.now(),
        &RetrainConfig::default(),
    )
    .await
    .expect_err("too little data");
    let RetrainError::Refused(message) = err else {
        panic!("not a refusal: {err:?}");
    };
    assert!(message.contains("已结案件不足"), "{message}");
    assert!(message.contains("至少需要"), "{message}");
    let res = retrain(&app, &s).await;
    assert_eq!(res.status.as_u16(), 422, "{}", res.text);
    assert!(res.text.contains("已结案件不足"), "{}", res.text);
    assert!(
        stored(&app).await.is_none(),
        "a refused retrain stores nothing"
    );
}

#[tokio::test]
async fn only_administrators_see_the_model_and_retrain_it() {
    let app = TestApp::manual_scheduler().await;
    for role in [Role::Supervisor, Role::WindowClerk, Role::Mediator] {
        let s = app.login(&username(Place::County, role)).await;
        let res = get(&app, &s, PAGE).await;
        assert_eq!(res.status.as_u16(), 403, "{role:?} GET");
        let res = retrain(&app, &s).await;
        assert_eq!(res.status.as_u16(), 403, "{role:?} POST");
    }
    // The form is CSRF-checked even for an administrator.
    let s = admin_session(&app).await;
    let res = app
        .req(Method::POST, RETRAIN)
        .header("cookie", &s.cookie)
        .raw("application/x-www-form-urlencoded", "csrf=wrong")
        .send()
        .await;
    assert_eq!(res.status.as_u16(), 403, "{}", res.text);
    assert!(stored(&app).await.is_none());
}
