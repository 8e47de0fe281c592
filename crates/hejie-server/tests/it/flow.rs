//! A case's whole life through the API, and its hash-chained history.

use serde_json::{Value, json};

use hejie_domain::user::Role;

use crate::support::{Auth, ID_NUMBER, PHONE, Place, TestApp, accept_body, str_of, username};

fn actions(view: &Value) -> Vec<&str> {
    view["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

#[tokio::test]
async fn a_case_runs_its_whole_course_and_the_history_is_chained() {
    let app = TestApp::new().await;
    // The window clerk signs in with a browser session (cookie + CSRF); the mediator uses one too.
    let clerk = Auth::Session(app.login("a-window_clerk").await);
    let mediator = Auth::Session(app.login("a-mediator").await);
    let committee = app.fx.orgs.committee(Place::A);

    let case = app
        .register(
            &clerk,
            Place::A,
            "两户因排水沟堵塞引发争执，要求对方疏通并赔偿损失。",
        )
        .await;
    let id = str_of(&case, "id").to_owned();
    let number = str_of(&case, "number").to_owned();
    assert!(number.starts_with("339021"), "{number}");
    assert_eq!(case["status"]["code"], "registered");
    assert_eq!(case["division"], Place::A.village());
    // Registration records the intake time limit with it (ADR 0009).
    assert_eq!(case["version"], 2);
    assert_eq!(
        case["holder"]["organisation_name"],
        "城关镇矛盾纠纷调处化解中心"
    );
    assert_eq!(actions(&case), ["accept", "decline", "close"]);
    // Personal data is masked in every view.
    assert_eq!(case["parties"][0]["phone"], "138****5678");
    assert_eq!(case["parties"][0]["id_number"], "110105********002X");
    assert!(!case.to_string().contains(PHONE) && !case.to_string().contains(ID_NUMBER));

    let v = app.command(&clerk, &id, "accept", accept_body()).await;
    assert_eq!(v["status"]["code"], "accepted");
    assert_eq!(v["severity"]["code"], "ordinary");
    let v = app
        .command(
            &clerk,
            &id,
            "assign",
            json!({ "organisation_id": committee.id.to_string(), "note": "请东门村调委会办理" }),
        )
        .await;
    assert_eq!(v["status"]["code"], "assigned");
    assert_eq!(v["holder"]["organisation_name"], committee.name);
    // Now the clerk may only reassign (by hand, by the rules, or 交办 to a lower level); the
    // committee's mediator sees its work.
    assert_eq!(actions(&v), ["assign", "route", "hand-down"]);
    let seen = app
        .get(&mediator, &format!("/api/v1/cases/{id}"))
        .await
        .expect(200);
    // The holder's mediator signs for it, closes it, or hands it on (上报/移交/会诊/引导分流), and may
    // stop the clocks.
    assert_eq!(
        actions(&seen),
        [
            "acknowledge",
            "close",
            "escalate",
            "transfer",
            "invite",
            "refer",
            "pause"
        ]
    );

    let v = app.command(&mediator, &id, "acknowledge", json!({})).await;
    assert_eq!(v["status"]["code"], "in_progress");
    assert_eq!(v["holder"]["person_name"], app.fx.user("a-mediator").name);
    let v = app
        .command(
            &mediator,
            &id,
            "start-mediation",
            json!({ "parties_consented": true, "expected_version": 8 }),
        )
        .await;
    assert_eq!(v["status"]["code"], "mediating");
    assert_eq!(v["mediator"], app.fx.user("a-mediator").name);
    let v = app
        .command(
            &mediator,
            &id,
            "sessions",
            json!({
                "mode": "in_person",
                "place": "东门村调解室",
                "attendees": "张三、李四",
                "minutes": "双方陈述事实，调解员释法说理，双方同意共同疏通排水沟。"
            }),
        )
        .await;
    assert_eq!(v["sessions"], 1);
    let v = app
        .command(
            &mediator,
            &id,
            "close",
            json!({
                "outcome": "succeeded",
                "agreement": "李四于三日内疏通排水沟并赔偿张三损失800元。",
                "amount": "800",
                "obligation_party": "李四",
                "obligation_duty": "赔偿损失",
                "obligation_due": "2099-01-31"
            }),
        )
        .await;
    assert_eq!(v["status"]["code"], "closed");
    assert_eq!(v["outcome"]["code"], "succeeded");
    assert!(v["closed_at"].is_string());
    // The agreement has obligations, so 履行检查 is offered besides 回访.
    assert_eq!(actions(&v), ["follow-up", "performance-check"]);
    let v = app
        .command(
            &clerk,
            &id,
            "follow-up",
            json!({ "method": "phone", "satisfaction": "satisfied", "agreement_performed": true }),
        )
        .await;
    assert_eq!(v["status"]["code"], "followed_up");
    assert_eq!(v["satisfaction"]["code"], "satisfied");
    assert_eq!(v["follow_ups"], 1);
    let final_version = v["version"].clone();

    // The history: every event, oldest first, each chained to the one before.
    let events = app
        .get(&clerk, &format!("/api/v1/cases/{id}/events"))
        .await
        .expect(200);
    let events = events.as_array().expect("a list of events");
    assert_eq!(final_version, events.len(), "the case is at its last event");
    // Time limits (and a sampled follow-up) are recorded with the steps; the steps themselves:
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| str_of(e, "kind"))
        .filter(|k| !matches!(*k, "time_limit_set" | "follow_up_scheduled"))
        .collect();
    assert_eq!(
        kinds,
        [
            "registered",
            "accepted",
            "assigned",
            "acknowledged",
            "mediation_started",
            "session_recorded",
            "closed",
            "followed_up"
        ]
    );
    let mut prev = "0".repeat(64);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["version"], i + 1);
        let hash = str_of(e, "hash");
        assert_eq!(hash.len(), 64, "{e}");
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{e}");
        assert_eq!(
            str_of(e, "prev_hash"),
            prev,
            "event {} links to its predecessor",
            i + 1
        );
        assert!(!str_of(e, "summary").is_empty());
        assert!(!str_of(e, "actor").is_empty());
        prev = hash.to_owned();
    }
    assert_eq!(events[0]["actor"], app.fx.user("a-window_clerk").name);
    // The acknowledgement (version 8, after the dispatch and its two time limits).
    let acknowledged = &events[7];
    assert_eq!(acknowledged["kind"], "acknowledged");
    assert_eq!(acknowledged["actor"], app.fx.user("a-mediator").name);
    assert_eq!(acknowledged["actor_role"], "人民调解员");
    // Where each step happened: the acting unit's division.
    assert_eq!(events[0]["division"], Place::A.town());
    assert_eq!(acknowledged["division"], Place::A.village());
    let text = serde_json::to_string(events).expect("json");
    assert!(
        !text.contains(PHONE) && !text.contains(ID_NUMBER),
        "history is masked"
    );

    // And the record as a whole verifies.
    let report = app.state.store.audit().await.expect("audit");
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.events, events.len() as u64);
}

#[tokio::test]
async fn declining_and_withdrawing_and_referring_end_a_case() {
    let app = TestApp::new().await;
    let clerk = app.bearer("b-window_clerk").await;
    let declined = app.register(&clerk, Place::B, "属于刑事案件。").await;
    let v = app
        .command(
            &clerk,
            str_of(&declined, "id"),
            "decline",
            json!({ "reason": "属于刑事案件，不属于人民调解范围", "guidance": "已引导当事人向公安机关报案" }),
        )
        .await;
    assert_eq!(v["status"]["code"], "declined");
    assert!(actions(&v).is_empty());

    let withdrawn = app.register(&clerk, Place::B, "申请人撤回。").await;
    let v = app
        .command(
            &clerk,
            str_of(&withdrawn, "id"),
            "close",
            json!({ "outcome": "withdrawn", "reason": "申请人撤回调解申请" }),
        )
        .await;
    assert_eq!(v["outcome"]["code"], "withdrawn");

    let referred = app.register(&clerk, Place::B, "当事人坚持诉讼。").await;
    let rid = str_of(&referred, "id");
    app.command(&clerk, rid, "accept", accept_body()).await;
    let v = app
        .command(
            &clerk,
            rid,
            "close",
            json!({ "outcome": "referred", "referral_target": "court", "reason": "当事人坚持诉讼" }),
        )
        .await;
    assert_eq!(v["outcome"]["code"], "referred");
    // Failing needs a session first, and the remedies told.
    let failing = app.register(&clerk, Place::B, "调解不成。").await;
    let fid = str_of(&failing, "id");
    app.command(&clerk, fid, "accept", accept_body()).await;
    app.assign_to_committee(&clerk, fid, Place::B).await;
    let mediator = app.bearer("b-mediator").await;
    app.command(&mediator, fid, "acknowledge", json!({})).await;
    app.command(
        &mediator,
        fid,
        "start-mediation",
        json!({ "parties_consented": "true" }),
    )
    .await;
    let fail = json!({ "outcome": "failed", "reason": "双方分歧较大", "remedies_informed": true });
    app.post_json(&mediator, &format!("/api/v1/cases/{fid}/close"), &fail)
        .await
        .expect_error(422, "no_session_recorded");
    app.command(
        &mediator,
        fid,
        "sessions",
        json!({ "mode": "phone", "place": "电话", "attendees": "张三,李四", "minutes": "分歧较大。" }),
    )
    .await;
    let mut uninformed = fail.clone();
    uninformed["remedies_informed"] = json!(false);
    app.post_json(
        &mediator,
        &format!("/api/v1/cases/{fid}/close"),
        &uninformed,
    )
    .await
    .expect_error(422, "remedies_not_informed");
    let v = app.command(&mediator, fid, "close", fail).await;
    assert_eq!(v["outcome"]["code"], "failed");
}

#[tokio::test]
async fn a_grid_workers_report_lands_in_the_nearest_centres_queue() {
    let app = TestApp::new().await;
    let worker = app.bearer(&username(Place::A, Role::GridWorker)).await;
    let case = app
        .register(&worker, Place::A, "网格员巡查发现两户因排水沟堵塞争吵")
        .await;
    // The grid worker has no unit, so the township centre above the village receives the case.
    let holder = &case["holder"]["organisation_id"];
    assert_eq!(
        holder.as_str(),
        Some(app.fx.orgs.centre(Place::A).id.to_string().as_str()),
        "{case}"
    );
    // And it is in that centre's queue: the township clerk sees it when filtering by holder.
    let clerk = app.bearer(&username(Place::A, Role::WindowClerk)).await;
    let path = format!("/api/v1/cases?holder={}", app.fx.orgs.centre(Place::A).id);
    let list = app.get(&clerk, &path).await.expect(200);
    let numbers: Vec<&str> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["number"].as_str())
        .collect();
    assert!(
        numbers.contains(&case["number"].as_str().expect("number")),
        "{list}"
    );
}

#[tokio::test]
async fn routing_by_the_rules_records_the_rule_that_fired() {
    let app = TestApp::new().await;
    let clerk = app.bearer(&username(Place::A, Role::WindowClerk)).await;
    let case = app
        .register(&clerk, Place::A, "邻居在楼道堆放杂物，多次协商未果")
        .await;
    let id = str_of(&case, "id").to_owned();
    let accepted = app.command(&clerk, &id, "accept", accept_body()).await;
    assert!(actions(&accepted).contains(&"route"), "{accepted}");
    let v = app.command(&clerk, &id, "route", json!({})).await;
    // An ordinary civil dispute goes to the committee of the village where it arose.
    assert_eq!(v["status"]["code"], "assigned");
    assert_eq!(
        v["holder"]["organisation_name"],
        app.fx.orgs.committee(Place::A).name
    );
    let events = app
        .get(&clerk, &format!("/api/v1/cases/{id}/events"))
        .await
        .expect(200);
    // Dispatch records the new holder's time limits after it; find the dispatch itself.
    let last = events
        .as_array()
        .and_then(|e| e.iter().rev().find(|e| e["kind"] == "routed"))
        .expect("routed event");
    assert_eq!(last["kind"], "routed");
    let summary = last["summary"].as_str().expect("summary");
    assert!(summary.contains("规则 ordinary-village"), "{summary}");
}
