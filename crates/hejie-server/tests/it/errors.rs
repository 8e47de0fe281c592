//! Errors are JSON `{code, message, field?}` with the right status.

use axum::http::Method;
use serde_json::json;

use crate::support::{Auth, Place, TestApp, accept_body, registration, str_of};

#[tokio::test]
async fn validation_errors_name_the_field() {
    let app = TestApp::new().await;
    let clerk = app.bearer("a-window_clerk").await;
    let cases: Vec<(&str, serde_json::Value)> = vec![
        ("parties[0].id_number", {
            let mut r = registration(Place::A, "身份证号码有误。");
            r["parties"][0]["id_number"] = json!("110105194912310021");
            r
        }),
        ("parties[1].phone", {
            let mut r = registration(Place::A, "手机号码有误。");
            r["parties"][1]["phone"] = json!("1234");
            r
        }),
        ("parties[0].name", {
            let mut r = registration(Place::A, "没有姓名。");
            r["parties"][0]["name"] = json!(" ");
            r
        }),
        ("channel", {
            let mut r = registration(Place::A, "渠道不明。");
            r["channel"] = json!("carrier_pigeon");
            r
        }),
        ("division", {
            let mut r = registration(Place::A, "区划不存在。");
            r["division"] = json!("339021199201");
            r
        }),
        ("amount", {
            let mut r = registration(Place::A, "金额有误。");
            r["amount"] = json!("十二元");
            r
        }),
    ];
    for (field, body) in cases {
        let res = app.post_json(&clerk, "/api/v1/cases", &body).await;
        let err = res.expect_error(400, "validation");
        assert_eq!(err["field"], field, "{}", res.text);
        assert!(
            res.header("content-type")
                .is_some_and(|c| c.starts_with("application/json"))
        );
    }
    // A malformed body, and a body missing a required member.
    for raw in ["{not json", r#"{"channel": "visit"}"#, "[]"] {
        let res = app
            .req(Method::POST, "/api/v1/cases")
            .auth(&clerk)
            .raw("application/json", raw)
            .send()
            .await;
        assert_eq!(
            res.expect_error(400, "validation")["field"],
            "body",
            "{raw}"
        );
    }
    // Not JSON at all.
    let res = app
        .req(Method::POST, "/api/v1/cases")
        .auth(&clerk)
        .raw("text/plain", "hello")
        .send()
        .await;
    assert_eq!(res.expect_error(400, "validation")["field"], "body");
    // Query parameters: malformed, and well-formed but unknown values.
    for (query, field) in [
        ("limit=many", "query"),
        ("overdue=perhaps", "query"),
        ("status=bogus", "status"),
        ("type=bogus", "type"),
        ("division=12", "division"),
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("cursor=garbage", "cursor"),
    ] {
        let res = app.get(&clerk, &format!("/api/v1/cases?{query}")).await;
        assert_eq!(
            res.expect_error(400, "validation")["field"],
            field,
            "{query}"
        );
    }
    // A command's fields.
    let case = app.register(&clerk, Place::A, "受理信息有误。").await;
    let id = str_of(&case, "id");
    let mut bad = accept_body();
    bad["severity"] = json!("catastrophic");
    let res = app
        .post_json(&clerk, &format!("/api/v1/cases/{id}/accept"), &bad)
        .await;
    assert_eq!(res.expect_error(400, "validation")["field"], "severity");
}

#[tokio::test]
async fn each_failure_has_its_status_and_code() {
    let app = TestApp::new().await;
    let clerk = app.bearer("a-window_clerk").await;
    let case = app
        .register(&clerk, Place::A, "两户因排水沟堵塞发生争执。")
        .await;
    let id = str_of(&case, "id").to_owned();
    // Registration records the intake time limit with it (ADR 0009).
    assert_eq!(case["version"], 2);

    // 401: nobody signed in.
    app.get(&Auth::None, &format!("/api/v1/cases/{id}"))
        .await
        .expect_error(401, "unauthorized");
    // 403: the role may not (a supervisor does not register).
    let supervisor = app.bearer("a-supervisor").await;
    app.post_json(
        &supervisor,
        "/api/v1/cases",
        &registration(Place::A, "督办人不能登记。"),
    )
    .await
    .expect_error(403, "forbidden_role");
    // 403: registering outside one's jurisdiction.
    app.post_json(
        &clerk,
        "/api/v1/cases",
        &registration(Place::B, "跨辖区登记。"),
    )
    .await
    .expect_error(403, "out_of_jurisdiction");
    // 404: no such case, or not even a case id.
    let missing = uuid::Uuid::now_v7();
    app.get(&clerk, &format!("/api/v1/cases/{missing}"))
        .await
        .expect_error(404, "not_found");
    app.get(&clerk, "/api/v1/cases/not-a-uuid")
        .await
        .expect_error(404, "not_found");
    app.post_json(
        &clerk,
        &format!("/api/v1/cases/{missing}/accept"),
        &accept_body(),
    )
    .await
    .expect_error(404, "not_found");

    // 409: acting on a version that is no longer current.
    let mut stale = accept_body();
    stale["expected_version"] = json!(0);
    app.post_json(&clerk, &format!("/api/v1/cases/{id}/accept"), &stale)
        .await
        .expect_error(409, "conflict");
    let mut current = accept_body();
    current["expected_version"] = json!(2);
    let accepted = app.command(&clerk, &id, "accept", current.clone()).await;
    assert_eq!(accepted["status"]["code"], "accepted");
    // Acceptance records the overall time limit with it.
    assert_eq!(accepted["version"], 4);
    // The same form submitted twice: the second is stale.
    app.post_json(&clerk, &format!("/api/v1/cases/{id}/accept"), &current)
        .await
        .expect_error(409, "conflict");
    // Form-style text versions are understood too.
    let mut text_version = accept_body();
    text_version["expected_version"] = json!("2");
    app.post_json(&clerk, &format!("/api/v1/cases/{id}/accept"), &text_version)
        .await
        .expect_error(409, "conflict");

    // 422: a transition the state does not allow.
    app.post_json(
        &clerk,
        &format!("/api/v1/cases/{id}/accept"),
        &accept_body(),
    )
    .await
    .expect_error(422, "invalid_transition");
    let fresh = app.register(&clerk, Place::A, "刚登记的案件。").await;
    let advisor = app.bearer("a-judicial_general_advisor").await;
    let res = app
        .post_json(
            &advisor,
            &format!("/api/v1/cases/{}/acknowledge", str_of(&fresh, "id")),
            &json!({}),
        )
        .await;
    let err = res.expect_error(422, "invalid_transition");
    assert!(err.get("field").is_none(), "{}", res.text);
    // 422: a rule of the domain (mediation needs both parties' consent).
    app.assign_to_committee(&clerk, &id, Place::A).await;
    let mediator = app.bearer("a-mediator").await;
    app.command(&mediator, &id, "acknowledge", json!({})).await;
    app.post_json(
        &mediator,
        &format!("/api/v1/cases/{id}/start-mediation"),
        &json!({ "parties_consented": false }),
    )
    .await
    .expect_error(422, "consent_required");
    // 403: holder work by a mediator of another committee of the same township.
    let other = app.bearer("a-town_mediator").await;
    app.post_json(
        &other,
        &format!("/api/v1/cases/{id}/start-mediation"),
        &json!({ "parties_consented": true }),
    )
    .await
    .expect_error(403, "not_holder");
}
