//! 人民调解法 Art. 17 through the API: consent is recorded party by party, and a recorded
//! refusal stops mediation, with the refusal on the case's timeline.

use serde_json::json;

use crate::support::{Place, TestApp, accept_body, str_of};

#[tokio::test]
async fn a_recorded_refusal_stops_mediation_through_the_api() {
    let app = TestApp::new().await;
    let clerk = app.bearer("a-window_clerk").await;
    let case = app
        .register(&clerk, Place::A, "两户因排水沟堵塞发生争执。")
        .await;
    let id = str_of(&case, "id").to_owned();
    app.command(&clerk, &id, "accept", accept_body()).await;
    app.assign_to_committee(&clerk, &id, Place::A).await;
    let mediator = app.bearer("a-mediator").await;
    app.command(&mediator, &id, "acknowledge", json!({})).await;
    let path = format!("/api/v1/cases/{id}/consent");

    app.command(
        &clerk,
        &id,
        "consent",
        json!({ "party": 0, "consented": true }),
    )
    .await;
    // Bad input is refused and records nothing.
    let long = app
        .post_json(
            &clerk,
            &path,
            &json!({ "party": 1, "consented": false, "reason": "长".repeat(501) }),
        )
        .await;
    assert_eq!(
        long.expect_error(400, "validation")["field"],
        "consent.reason"
    );
    app.post_json(&clerk, &path, &json!({ "party": 9, "consented": true }))
        .await
        .expect_error(422, "no_such_party");
    // Only one party has consented: mediation cannot start on the record alone.
    let start = format!("/api/v1/cases/{id}/start-mediation");
    app.post_json(&mediator, &start, &json!({ "parties_consented": false }))
        .await
        .expect_error(422, "consent_pending");

    // The other party refuses.
    app.command(
        &clerk,
        &id,
        "consent",
        json!({ "party": 1, "consented": false, "reason": "坚持起诉" }),
    )
    .await;
    let err = app
        .post_json(&mediator, &start, &json!({ "parties_consented": true }))
        .await
        .expect_error(422, "consent_refused");
    let message = err["message"].as_str().unwrap_or_default();
    assert!(message.contains("李四"), "{message}");
    assert!(message.contains("第十七条"), "{message}");
    app.post_json(&clerk, &path, &json!({ "party": 1, "consented": true }))
        .await
        .expect_error(422, "already_refused");

    let events = app
        .get(&clerk, &format!("/api/v1/cases/{id}/events"))
        .await
        .expect(200)
        .to_string();
    assert!(events.contains("第1位当事人同意调解"), "{events}");
    assert!(
        events.contains("第2位当事人明确拒绝调解") && events.contains("坚持起诉"),
        "{events}"
    );
}
