//! The intake aids: suggestions while a complaint is typed (type with evidence, risk flags,
//! severity and track), corrections the classifier learns from and keeps across restarts, and
//! who may use them.

use std::sync::Arc;

use hejie_crypto::{KeyedSealer, MasterKey};
use hejie_domain::case::DisputeType;
use hejie_domain::user::Role;
use hejie_server::sms::MemorySms;
use hejie_server::{AppState, Config};
use serde_json::{Value, json};

use crate::support::{Auth, Place, TestApp, registration, username};

const SUGGEST: &str = "/api/v1/intake/suggest";
const CORRECTIONS: &str = "/api/v1/intake/corrections";

const WAGE_ARREARS: &str =
    "包工头拖欠我们二十多个工人三个月工资，快过年了还不给，大家说要去县政府门口拉横幅";

/// A complaint the seeded model files under one type and a clerk files under another, and a
/// similar complaint in other words.
const AMBIGUOUS: &str = "小区门口的烧烤摊每天晚上油烟很大，熏得我们家没法开窗";
const AMBIGUOUS_AGAIN: &str = "楼下烧烤摊晚上油烟太大，熏得家里没法开窗";

fn codes(res: &Value, key: &str) -> Vec<String> {
    res[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not an array in {res}"))
        .iter()
        .map(|t| t["code"].as_str().expect("a code").to_owned())
        .collect()
}

async fn clerk(app: &TestApp) -> Auth {
    app.bearer(&username(Place::A, Role::WindowClerk)).await
}

async fn suggest(app: &TestApp, auth: &Auth, text: &str) -> Value {
    app.post_json(auth, SUGGEST, &json!({ "text": text }))
        .await
        .expect(200)
}

fn top(res: &Value) -> String {
    codes(res, "types")[0].clone()
}

#[tokio::test]
async fn a_wage_arrears_complaint_is_labour_with_evidence_and_risk_flags() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let res = app
        .post_json(
            &clerk,
            SUGGEST,
            &json!({ "text": WAGE_ARREARS, "head_count": 23 }),
        )
        .await
        .expect(200);

    let types = res["types"].as_array().expect("types");
    assert_eq!(types.len(), 3, "{res}");
    assert_eq!(types[0]["code"], "labour", "{res}");
    assert_eq!(types[0]["label"], "劳动争议");
    let p: Vec<f64> = types
        .iter()
        .map(|t| t["probability"].as_f64().expect("a probability"))
        .collect();
    assert!(
        p[0] >= p[1] && p[1] >= p[2] && p[0] <= 1.0 && p[2] >= 0.0,
        "{p:?}"
    );

    let evidence = res["evidence"].as_array().expect("evidence");
    assert!(!evidence.is_empty(), "{res}");
    for e in evidence {
        let word = e["word"].as_str().expect("a word");
        assert!(WAGE_ARREARS.contains(word), "{word} is from the text");
        assert!(e["weight"].as_f64().is_some_and(|w| w > 0.0), "{e}");
    }

    let flags = codes_of_flags(&res);
    for kind in ["holiday_wage_arrears", "gathering", "group_dispute"] {
        assert!(flags.iter().any(|f| f == kind), "{kind} in {flags:?}");
    }
    for f in res["risk"]["flags"].as_array().expect("flags") {
        assert!(f["reason"].as_str().is_some_and(|r| !r.is_empty()), "{f}");
        assert!(f["label"].as_str().is_some_and(|r| !r.is_empty()), "{f}");
    }
    let risk = &res["risk"];
    assert!(
        ["significant", "major"].contains(&risk["severity"]["code"].as_str().expect("severity")),
        "{risk}"
    );
    assert!(!risk["reasons"].as_array().expect("reasons").is_empty());
    assert_ne!(risk["track"]["code"], "clinic", "{risk}");
}

#[tokio::test]
async fn a_suggestion_with_a_division_proposes_the_responsible_organisation() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;

    // A group wage-arrears complaint in a village goes to a labour committee, by a labour rule.
    let res = app
        .post_json(
            &clerk,
            SUGGEST,
            &json!({ "text": WAGE_ARREARS, "head_count": 23, "division": Place::A.village() }),
        )
        .await
        .expect(200);
    assert_eq!(top(&res), "labour", "{res}");
    let route = &res["route"];
    let rule = route["rule_id"].as_str().expect("a rule id");
    assert!(rule.starts_with("labour-"), "{route}");
    let org = route["organisation_id"].as_str().expect("an organisation");
    let name = route["organisation_name"].as_str().expect("a name");
    assert!(
        uuid::Uuid::parse_str(org).is_ok() && !name.is_empty(),
        "{route}"
    );
    assert!(
        !route["rule_name"].as_str().expect("a rule name").is_empty(),
        "{route}"
    );
    let reason = route["reason"].as_str().expect("a reason");
    assert!(
        reason.contains("劳动争议") && reason.contains(rule),
        "{reason}"
    );
    assert!(
        reason
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{reason}"
    );
    // Group or 较大: the county labour committee, when the county has one.
    let county_labour = app
        .state
        .reference()
        .orgs
        .values()
        .any(|o| o.name.contains("劳动") && o.name.contains("县"));
    if county_labour {
        assert_eq!(rule, "labour-county", "{route}");
    }

    // Without a division there is no route; a malformed one names its field.
    let res = suggest(&app, &clerk, WAGE_ARREARS).await;
    assert!(res["route"].is_null(), "{res}");
    let err = app
        .post_json(
            &clerk,
            SUGGEST,
            &json!({ "text": WAGE_ARREARS, "division": "12ab" }),
        )
        .await
        .expect_error(400, "validation");
    assert_eq!(err["field"], "division", "{err}");
}

fn codes_of_flags(res: &Value) -> Vec<String> {
    res["risk"]["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .map(|f| f["kind"].as_str().expect("a kind").to_owned())
        .collect()
}

#[tokio::test]
async fn a_major_dispute_is_never_sent_to_the_clinic() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    for body in [
        json!({ "text": WAGE_ARREARS, "head_count": 60 }),
        json!({ "text": "两家因为宅基地边界吵架", "head_count": 40 }),
        json!({ "text": "工程款纠纷", "amount": "2000000" }),
        json!({ "text": "他说再不解决就从楼上跳下去，还要带人去堵路" }),
    ] {
        let res = app.post_json(&clerk, SUGGEST, &body).await.expect(200);
        let risk = &res["risk"];
        if risk["severity"]["code"] == "major" {
            assert_eq!(risk["severity"]["label"], "重大");
            assert_ne!(risk["track"]["label"], "门诊", "{body}: {risk}");
        }
    }
    let res = app
        .post_json(
            &clerk,
            SUGGEST,
            &json!({ "text": WAGE_ARREARS, "head_count": 60 }),
        )
        .await
        .expect(200);
    assert_eq!(res["risk"]["severity"]["code"], "major", "{res}");
}

#[tokio::test]
async fn a_correction_changes_the_next_suggestion_and_survives_a_restart() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let before = suggest(&app, &clerk, AMBIGUOUS_AGAIN).await;
    let first = top(&before);
    // The clerk decides otherwise than the model's first suggestion.
    let chosen = if first == "pollution" {
        "neighbour"
    } else {
        "pollution"
    };
    assert!(
        app.state
            .store
            .model("classifier")
            .await
            .expect("read")
            .is_none()
    );

    let res = app
        .post_json(
            &clerk,
            CORRECTIONS,
            &json!({ "text": AMBIGUOUS, "dispute_type": chosen }),
        )
        .await;
    assert_eq!(res.status.as_u16(), 204, "{}", res.text);

    let after = suggest(&app, &clerk, AMBIGUOUS_AGAIN).await;
    assert_eq!(top(&after), chosen, "before: {before}\nafter: {after}");
    assert!(
        app.state
            .store
            .model("classifier")
            .await
            .expect("read")
            .is_some(),
        "the learned model is stored"
    );

    // A server started again over the same database suggests what the corrected one did.
    let restarted = AppState::new(
        app.state.store.clone(),
        Arc::new(KeyedSealer::new(&MasterKey::generate())),
        Arc::new(MemorySms::default()),
        Config::default(),
    )
    .await
    .expect("restarting");
    let clerk_user = app.fx.user(&username(Place::A, Role::WindowClerk));
    let s = hejie_server::cases::suggest(&restarted, clerk_user, AMBIGUOUS_AGAIN, None, None)
        .expect("a suggestion");
    assert_eq!(s.classification.best().code(), chosen);
    assert_eq!(
        restarted.classifier.read().expect("lock").documents(),
        app.state.classifier.read().expect("lock").documents()
    );
}

#[tokio::test]
async fn registering_with_another_type_than_suggested_is_learned_and_agreeing_is_not() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    let documents = || app.state.classifier.read().expect("lock").documents();
    let seeded = documents();

    // The clerk registers a wage complaint as labour: the model agreed, nothing is learned.
    let mut agreeing = registration(Place::A, WAGE_ARREARS);
    agreeing["dispute_type"] = json!("labour");
    app.post_json(&clerk, "/api/v1/cases", &agreeing)
        .await
        .expect(201);
    assert_eq!(documents(), seeded);
    assert!(
        app.state
            .store
            .model("classifier")
            .await
            .expect("read")
            .is_none()
    );

    // The clerk files the same words under another type: a correction, learned and stored.
    let mut correcting = registration(Place::A, WAGE_ARREARS);
    correcting["dispute_type"] = json!(DisputeType::Contract.code());
    app.post_json(&clerk, "/api/v1/cases", &correcting)
        .await
        .expect(201);
    assert_eq!(documents(), seeded + 1);
    let (body, _) = app
        .state
        .store
        .model("classifier")
        .await
        .expect("read")
        .expect("the corrected model is stored");
    let stored = hejie_intake::Classifier::from_json(&body).expect("a model");
    assert_eq!(stored.documents(), seeded + 1);
}

#[tokio::test]
async fn only_staff_who_may_register_use_the_intake_aids() {
    let app = TestApp::new().await;
    for role in [Role::Resident, Role::Supervisor] {
        let auth = app.bearer(&username(Place::A, role)).await;
        app.post_json(&auth, SUGGEST, &json!({ "text": WAGE_ARREARS }))
            .await
            .expect_error(403, "forbidden_role");
        app.post_json(
            &auth,
            CORRECTIONS,
            &json!({ "text": WAGE_ARREARS, "dispute_type": "contract" }),
        )
        .await
        .expect_error(403, "forbidden_role");
    }
    for role in [Role::WindowClerk, Role::GridWorker, Role::Mediator] {
        let auth = app.bearer(&username(Place::A, role)).await;
        suggest(&app, &auth, WAGE_ARREARS).await;
    }
    // A browser session works too (with its CSRF token).
    let session = Auth::Session(app.login(&username(Place::A, Role::WindowClerk)).await);
    suggest(&app, &session, WAGE_ARREARS).await;
    app.post_json(&Auth::None, SUGGEST, &json!({ "text": WAGE_ARREARS }))
        .await
        .expect_error(401, "unauthorized");
}

#[tokio::test]
async fn invalid_requests_name_their_field() {
    let app = TestApp::new().await;
    let clerk = clerk(&app).await;
    for (path, body, field) in [
        (SUGGEST, json!({ "text": "" }), "text"),
        (SUGGEST, json!({ "text": "   " }), "text"),
        (
            SUGGEST,
            json!({ "text": "欠薪", "amount": "很多" }),
            "amount",
        ),
        (SUGGEST, json!({}), "body"),
        (
            CORRECTIONS,
            json!({ "text": "", "dispute_type": "labour" }),
            "text",
        ),
        (
            CORRECTIONS,
            json!({ "text": "拖欠工资", "dispute_type": "nonsense" }),
            "dispute_type",
        ),
    ] {
        let res = app
            .post_json(&clerk, path, &body)
            .await
            .expect_error(400, "validation");
        assert_eq!(res["field"], field, "{path} {body}: {res}");
    }
    let long = "欠".repeat(10_001);
    let res = app
        .post_json(&clerk, SUGGEST, &json!({ "text": long }))
        .await
        .expect_error(400, "validation");
    assert_eq!(res["field"], "text");
    assert!(
        app.state
            .store
            .model("classifier")
            .await
            .expect("read")
            .is_none()
    );
}
