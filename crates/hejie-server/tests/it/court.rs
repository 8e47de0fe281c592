//! 诉非对接: after mediation failed, a filing with the court is assembled from the record and
//! delivered through the durable outbox. The court is down for several attempts, then up but
//! its first answer is lost; the filing still arrives exactly once, and its receipt is recorded
//! once on the case.

use hejie_server::court;
use hejie_server::workflow::scheduler;
use serde_json::json;

use crate::support::{
    ID_NUMBER, PHONE, Place, TestApp, accept_body, free_port, open_court, str_of,
};

/// A case whose mediation failed after one session; returns its id.
async fn failed_case(app: &TestApp) -> String {
    let clerk = app.bearer("a-window_clerk").await;
    let case = app
        .register(&clerk, Place::A, "两户因宅基地界址发生争执，多次协商未果。")
        .await;
    let id = str_of(&case, "id").to_owned();
    app.command(&clerk, &id, "accept", accept_body()).await;
    let mediator = app.mediate(&clerk, &id, Place::A).await;
    app.command(
        &mediator,
        &id,
        "close",
        json!({ "outcome": "failed", "reason": "双方对界址分歧较大，无法达成协议", "remedies_informed": true }),
    )
    .await;
    id
}

#[tokio::test]
async fn art26_a_filing_reaches_a_court_that_was_down_exactly_once() {
    // The court's address is known but nothing listens there yet: the court is down.
    let port = free_port();
    let app = TestApp::with_court(port).await;
    let id = failed_case(&app).await;
    let clerk = app.bearer("a-window_clerk").await;
    let path = format!("/api/v1/cases/{id}/filing");
    let requested = app
        .post_json(
            &clerk,
            &path,
            &json!({ "court": "和安县人民法院", "claims": "请求确认宅基地界址，判令李四拆除越界围墙。", "party": 0 }),
        )
        .await
        .expect(200);
    assert_eq!(requested[0]["delivery"], "pending");
    // One filing at a time.
    app.post_json(
        &clerk,
        &path,
        &json!({ "court": "和安县人民法院", "claims": "再次申请" }),
    )
    .await
    .expect_error(422, "filing_pending");

    // Three attempts while the court is down; each is retried later, none is lost.
    let mut now = app.state.now().plus_seconds(1);
    for attempt in 1..=3u32 {
        scheduler::tick(&app.state, now).await.expect("a pass");
        let view = app.get(&clerk, &path).await.expect(200);
        assert_eq!(view[0]["delivery"], "pending", "{view}");
        assert_eq!(view[0]["attempts"], attempt, "{view}");
        assert!(
            view[0]["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("connect")),
            "{view}"
        );
        now = now.plus_seconds(court::backoff_secs(attempt - 1) + 1);
    }

    // The court comes up; its first answer is lost on the way back.
    let receiver = open_court(&app, port).await;
    *receiver.lose_answers.lock().expect("lock") = 1;

    scheduler::tick(&app.state, now).await.expect("a pass");
    assert_eq!(receiver.count(), 1, "the court filed it");
    let view = app.get(&clerk, &path).await.expect(200);
    assert_eq!(
        view[0]["delivery"], "pending",
        "the answer was lost: {view}"
    );
    now = now.plus_seconds(court::backoff_secs(3) + 1);
    scheduler::tick(&app.state, now).await.expect("a pass");
    let view = app.get(&clerk, &path).await.expect(200);
    assert_eq!(view[0]["delivery"], "delivered", "{view}");
    let receipt = view[0]["receipt"].as_str().unwrap_or_default().to_owned();
    assert!(receipt.contains("诉前调1号"), "{receipt}");
    // Later passes send nothing more.
    scheduler::tick(&app.state, now.plus_seconds(86_400))
        .await
        .expect("a pass");
    assert_eq!(receiver.count(), 1, "filed exactly once");
    assert_eq!(
        *receiver.repeats.lock().expect("lock"),
        1,
        "the retry was recognised"
    );

    // The receipt is on the case once.
    let events = app
        .get(&clerk, &format!("/api/v1/cases/{id}/events"))
        .await
        .expect(200);
    let received = events
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "filing_received")
        .count();
    assert_eq!(received, 1, "{events}");
    assert!(events.to_string().contains(&receipt));

    // What the court got: the documented schema, the parties as the court needs them, the
    // mediation record.
    let filed = receiver.filed.lock().expect("lock");
    let package = &filed[0].1;
    assert_eq!(package.schema, "hejie.court-filing/v1");
    assert_eq!(package.court, "和安县人民法院");
    assert_eq!(package.parties[0].id_number.as_deref(), Some(ID_NUMBER));
    assert_eq!(package.parties[0].phone.as_deref(), Some(PHONE));
    assert_eq!(package.mediation.outcome, "failed");
    assert!(package.mediation.remedies_informed);
    assert_eq!(package.mediation.sessions.len(), 1);
    assert!(package.claims.contains("越界围墙"));
    assert_eq!(package.record_head.len(), 64);

    // The documented schema names exactly the package's fields, and everything it requires is
    // there.
    let schema: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../docs/schemas/court-filing-v1.schema.json"
    ))
    .expect("the schema is JSON");
    let sent = serde_json::to_value(package).expect("the package as JSON");
    let keys = |v: &serde_json::Value| -> std::collections::BTreeSet<String> {
        v.as_object().expect("an object").keys().cloned().collect()
    };
    assert_eq!(keys(&schema["properties"]), keys(&sent));
    assert_eq!(
        keys(&schema["properties"]["mediation"]["properties"]),
        keys(&sent["mediation"])
    );
    for required in schema["required"].as_array().expect("required") {
        let name = required.as_str().expect("a name");
        assert!(!sent[name].is_null(), "{name} is required");
    }
}

#[tokio::test]
async fn filing_is_only_for_a_failed_mediation() {
    let app = TestApp::new().await;
    let clerk = app.bearer("a-window_clerk").await;
    let case = app.register(&clerk, Place::A, "邻里噪音纠纷。").await;
    let id = str_of(&case, "id").to_owned();
    app.command(&clerk, &id, "accept", accept_body()).await;
    app.post_json(
        &clerk,
        &format!("/api/v1/cases/{id}/filing"),
        &json!({ "court": "和安县人民法院", "claims": "请求判令停止噪音侵害。" }),
    )
    .await
    .expect_error(422, "invalid_transition");
}
