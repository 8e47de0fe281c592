//! The closed loop through the API with a fake clock: time limits, overdue marks and the
//! supervisors' notifications, automatic escalation of a village case to the township centre,
//! supervision (督办) with a new deadline, pausing, referral out, reopening after a dissatisfied
//! follow-up, and the periodic sweeps.

use hejie_domain::timestamp::{CST, Timestamp};
use hejie_domain::user::Role;
use hejie_server::workflow::{scheduler, sweeps};
use serde_json::{Value, json};
use time::{Date, Month, OffsetDateTime, Time};

use crate::support::{Auth, Place, TestApp, accept_body, str_of};

/// An instant given in China Standard Time.
fn cst(month: Month, day: u8, hour: u8, minute: u8) -> Timestamp {
    let date = Date::from_calendar_date(2026, month, day).expect("a valid date");
    let time = Time::from_hms(hour, minute, 0).expect("a valid time");
    Timestamp::from_datetime(OffsetDateTime::new_in_offset(date, time, CST))
}

/// The same instant as the API writes it (RFC 3339 in China time).
fn text(t: Timestamp) -> String {
    hejie_server::present::rfc3339(t)
}

/// Monday 2026-11-23 09:00 CST, when the village case is registered.
fn monday() -> Timestamp {
    cst(Month::November, 23, 9, 0)
}

async fn tick(app: &TestApp, now: Timestamp) {
    app.state.set_now(now);
    scheduler::tick(&app.state, now)
        .await
        .expect("a scheduler pass");
}

async fn events(app: &TestApp, auth: &Auth, id: &str) -> Vec<Value> {
    app.get(auth, &format!("/api/v1/cases/{id}/events"))
        .await
        .expect(200)
        .as_array()
        .expect("events")
        .clone()
}

fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| str_of(e, "kind").to_owned())
        .collect()
}

fn count(events: &[Value], kind: &str) -> usize {
    events.iter().filter(|e| e["kind"] == kind).count()
}

async fn clocks(app: &TestApp, auth: &Auth, id: &str) -> Value {
    app.get(auth, &format!("/api/v1/cases/{id}/clocks"))
        .await
        .expect(200)
}

/// The clock of a kind in a `/clocks` answer.
fn clock<'a>(clocks: &'a Value, kind: &str) -> &'a Value {
    clocks["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .find(|c| c["kind"]["code"] == kind)
        .unwrap_or_else(|| panic!("no {kind} clock in {clocks}"))
}

fn has_clock(clocks: &Value, kind: &str) -> bool {
    clocks["clocks"]
        .as_array()
        .expect("clocks")
        .iter()
        .any(|c| c["kind"]["code"] == kind)
}

/// The user's notifications whose title starts with `title`, on a channel.
async fn notified(app: &TestApp, auth: &Auth, title: &str, channel: &str) -> Vec<Value> {
    let list = app.get(auth, "/api/v1/notifications").await.expect(200);
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|n| n["channel"] == channel)
        .filter(|n| n["title"].as_str().is_some_and(|t| t.starts_with(title)))
        .cloned()
        .collect()
}

/// A case in village A, registered and accepted by the township centre's window at `monday()`,
/// dispatched to the village committee and acknowledged by its mediator half an hour later.
/// Returns the case id and number.
async fn village_case(app: &TestApp, accept: Value) -> (String, String) {
    app.state.set_now(monday());
    let clerk = app.bearer("a-window_clerk").await;
    let mediator = app.bearer("a-mediator").await;
    let case = app
        .register(
            &clerk,
            Place::A,
            "东门村两户因宅基地界址发生争执，多次协商未果。",
        )
        .await;
    let id = str_of(&case, "id").to_owned();
    app.command(&clerk, &id, "accept", accept).await;
    let committee = app.fx.orgs.committee(Place::A);
    let v = app
        .command(
            &clerk,
            &id,
            "assign",
            json!({ "organisation_id": committee.id.to_string() }),
        )
        .await;
    assert_eq!(v["holder"]["organisation_id"], committee.id.to_string());
    app.state.set_now(cst(Month::November, 23, 9, 30));
    let v = app.command(&mediator, &id, "acknowledge", json!({})).await;
    assert_eq!(v["status"]["code"], "in_progress");
    (id, str_of(&case, "number").to_owned())
}

#[tokio::test]
async fn an_overdue_village_case_is_escalated_supervised_and_closed() {
    let app = TestApp::manual_scheduler().await;
    let clerk = app.bearer("a-window_clerk").await;
    let town_supervisor = app.bearer("a-supervisor").await;
    let county_supervisor = app.bearer("county-supervisor").await;
    let coordinator = app.bearer("a-judicial_general_advisor").await;
    let (id, number) = village_case(&app, accept_body()).await;

    // The village's limit: 7 working days from dispatch (Monday 09:00) is Wednesday next week
    // at 09:00; the overall limit runs from registration.
    let c = clocks(&app, &clerk, &id).await;
    let resolve = clock(&c, "resolve");
    assert_eq!(resolve["limit"], "7wd", "{c}");
    assert_eq!(
        resolve["deadline"],
        text(cst(Month::December, 2, 9, 0)),
        "{c}"
    );
    assert_eq!(resolve["overdue"], false);
    assert!(!has_clock(&c, "acknowledge"), "signed for: {c}");
    let overall_started = clock(&c, "overall")["started"].clone();
    assert_eq!(overall_started, text(monday()), "{c}");
    let first_stage = c["stage"]["no"].as_u64().expect("a stage");

    // An hour past the deadline the scheduler marks the case overdue and tells the township's
    // supervisors (not the county's: the nearest level above).
    tick(&app, cst(Month::December, 2, 10, 0)).await;
    let history = events(&app, &clerk, &id).await;
    assert_eq!(
        count(&history, "marked_overdue"),
        1,
        "{:?}",
        kinds(&history)
    );
    let c = clocks(&app, &clerk, &id).await;
    assert_eq!(clock(&c, "resolve")["overdue"], true, "{c}");
    let title = format!("超期待督办 {number}");
    assert_eq!(
        notified(&app, &town_supervisor, &title, "in_app")
            .await
            .len(),
        1
    );
    assert_eq!(
        notified(&app, &town_supervisor, &title, "sms").await.len(),
        1
    );
    assert!(
        notified(&app, &county_supervisor, &title, "in_app")
            .await
            .is_empty()
    );
    // The board shows it under the village, and the committee's queue shows it overdue.
    let board = app.get(&town_supervisor, "/api/v1/board").await.expect(200);
    let row = board["divisions"]
        .as_array()
        .expect("divisions")
        .iter()
        .find(|r| r["division"] == Place::A.village())
        .unwrap_or_else(|| panic!("village A on the board: {board}"));
    assert_eq!(row["overdue"], 1);
    assert!(
        board["cases"]
            .as_array()
            .expect("cases")
            .iter()
            .any(|i| i["case_id"] == id.as_str() && i["overdue"] == true),
        "{board}"
    );
    let mediator = app.bearer("a-mediator").await;
    let queue = app.get(&mediator, "/api/v1/queue").await.expect(200);
    let item = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["case_id"] == id.as_str())
        .unwrap_or_else(|| panic!("the case in the committee's queue: {queue}"));
    assert_eq!(item["overdue"], true, "{item}");
    assert!(
        item["countdown"]
            .as_str()
            .is_some_and(|s| s.starts_with("已超期")),
        "{item}"
    );

    // One working day later it is still the village's.
    tick(&app, cst(Month::December, 3, 10, 0)).await;
    let history = events(&app, &clerk, &id).await;
    assert_eq!(count(&history, "escalated"), 0, "{:?}", kinds(&history));

    // Two working days overdue: escalated to the township centre by the system.
    let escalated_at = cst(Month::December, 4, 9, 30);
    tick(&app, escalated_at).await;
    let history = events(&app, &clerk, &id).await;
    assert_eq!(count(&history, "escalated"), 1, "{:?}", kinds(&history));
    let escalation = history
        .iter()
        .find(|e| e["kind"] == "escalated")
        .expect("escalated");
    assert_eq!(escalation["actor_role"], Role::System.label());
    assert_eq!(
        escalation["actor"],
        hejie_server::workflow::system_actor().name
    );
    let centre = app.fx.orgs.centre(Place::A);
    let view = app
        .get(&clerk, &format!("/api/v1/cases/{id}"))
        .await
        .expect(200);
    assert_eq!(view["holder"]["organisation_id"], centre.id.to_string());
    assert_eq!(view["status"]["code"], "assigned");
    // A new stage with its own limits; the overall clock still counts from registration.
    let c = clocks(&app, &clerk, &id).await;
    assert!(
        c["stage"]["no"].as_u64().expect("a stage") > first_stage,
        "{c}"
    );
    assert_eq!(c["stage"]["since"], text(escalated_at));
    let acknowledge = clock(&c, "acknowledge");
    assert_eq!(acknowledge["limit"], "4h");
    // 4 working hours from 09:30: 2½ before noon, 1½ after 13:30.
    assert_eq!(
        acknowledge["deadline"],
        text(cst(Month::December, 4, 15, 0))
    );
    let resolve = clock(&c, "resolve");
    assert_eq!(resolve["limit"], "10wd", "township limit: {c}");
    assert_eq!(resolve["overdue"], false);
    assert_eq!(clock(&c, "overall")["started"], overall_started);
    // The centre's staff were told of the new case.
    assert!(
        !notified(
            &app,
            &coordinator,
            &format!("新上报案件 {number}"),
            "in_app"
        )
        .await
        .is_empty()
    );

    // The county's supervisor supervises the centre with three working days.
    let supervised_at = cst(Month::December, 4, 10, 0);
    app.state.set_now(supervised_at);
    let note = "请镇中心三个工作日内办结并报告结果";
    app.command(
        &county_supervisor,
        &id,
        "supervise",
        json!({ "limit": "3", "note": note }),
    )
    .await;
    let got = notified(&app, &coordinator, &format!("督办 {number}"), "in_app").await;
    assert_eq!(got.len(), 1, "the holder's staff are told");
    assert!(
        got[0]["body"].as_str().is_some_and(|b| b.contains(note)),
        "{got:?}"
    );
    assert_eq!(got[0]["read"], false);
    let c = clocks(&app, &clerk, &id).await;
    let resolve = clock(&c, "resolve");
    assert_eq!(resolve["limit"], "3wd");
    // Friday 10:00 + 3 working days = Wednesday 10:00.
    assert_eq!(resolve["deadline"], text(cst(Month::December, 9, 10, 0)));
    let supervision = &c["stage"]["supervisions"][0];
    assert_eq!(supervision["note"], note);
    assert_eq!(
        supervision["by"],
        app.fx.user("county-supervisor").name.as_str()
    );
    let queue = app.get(&coordinator, "/api/v1/queue").await.expect(200);
    let item = queue["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["case_id"] == id.as_str())
        .unwrap_or_else(|| panic!("the case in the centre's queue: {queue}"));
    assert_eq!(item["supervision"]["note"], note, "{item}");

    // Notifications are read once marked.
    let before = app
        .get(&coordinator, "/api/v1/notifications")
        .await
        .expect(200);
    assert!(before["unread"].as_u64().expect("unread") >= 1);
    let read = app
        .post_json(&coordinator, "/api/v1/notifications/read", &json!({}))
        .await
        .expect(200);
    assert_eq!(read["unread"], 0);
    assert_eq!(
        app.get(&coordinator, "/api/v1/notifications")
            .await
            .expect(200)["unread"],
        0
    );

    // The centre works the case to its end.
    app.state.set_now(cst(Month::December, 4, 10, 30));
    app.command(&coordinator, &id, "acknowledge", json!({}))
        .await;
    app.command(
        &coordinator,
        &id,
        "start-mediation",
        json!({ "parties_consented": true }),
    )
    .await;
    app.state.set_now(cst(Month::December, 7, 15, 0));
    app.command(
        &coordinator,
        &id,
        "sessions",
        json!({
            "held_at": "2026-12-07T14:00", "mode": "in_person", "place": "镇调处化解中心调解室",
            "attendees": "张三、李四", "minutes": "双方同意按测量结果重新划定界址。"
        }),
    )
    .await;
    let v = app
        .command(
            &coordinator,
            &id,
            "close",
            json!({ "outcome": "succeeded", "agreement": "按测量结果划定界址，各自拆除越界部分。" }),
        )
        .await;
    assert_eq!(v["status"]["code"], "closed");
    app.state.set_now(cst(Month::December, 14, 10, 0));
    let v = app
        .command(
            &clerk,
            &id,
            "follow-up",
            json!({ "method": "phone", "satisfaction": "satisfied", "agreement_performed": true }),
        )
        .await;
    assert_eq!(v["status"]["code"], "followed_up");

    // The timeline tells the story in order.
    let history = events(&app, &clerk, &id).await;
    let got = kinds(&history);
    let story = [
        "registered",
        "accepted",
        "assigned",
        "acknowledged",
        "marked_overdue",
        "escalated",
        "supervised",
        "acknowledged",
        "mediation_started",
        "session_recorded",
        "closed",
        "followed_up",
    ];
    let mut rest = got.iter();
    for step in story {
        assert!(
            rest.any(|k| k == step),
            "{step} in order in the timeline: {got:?}"
        );
    }
    assert_eq!(count(&history, "marked_overdue"), 1, "{got:?}");

    let report = app.state.store.audit().await.expect("audit");
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.events, history.len() as u64);
}

#[tokio::test]
async fn ticking_twice_at_the_same_instant_marks_overdue_once() {
    let app = TestApp::manual_scheduler().await;
    let clerk = app.bearer("a-window_clerk").await;
    let supervisor = app.bearer("a-supervisor").await;
    let (id, number) = village_case(&app, accept_body()).await;
    let late = cst(Month::December, 2, 11, 0);
    app.state.set_now(late);
    // Two passes at once (as two server processes would run them), then one more.
    let (a, b) = tokio::join!(
        scheduler::tick(&app.state, late),
        scheduler::tick(&app.state, late)
    );
    a.expect("first pass");
    b.expect("second pass");
    scheduler::tick(&app.state, late).await.expect("third pass");
    let history = events(&app, &clerk, &id).await;
    assert_eq!(
        count(&history, "marked_overdue"),
        1,
        "{:?}",
        kinds(&history)
    );
    assert_eq!(count(&history, "escalated"), 0, "{:?}", kinds(&history));
    let title = format!("超期待督办 {number}");
    assert_eq!(notified(&app, &supervisor, &title, "in_app").await.len(), 1);
    let report = app.state.store.audit().await.expect("audit");
    assert!(report.is_intact(), "{:?}", report.problems);
}

/// Works a case from acknowledged to closed with success.
async fn mediate_and_close(app: &TestApp, auth: &Auth, id: &str) {
    let view = app
        .get(auth, &format!("/api/v1/cases/{id}"))
        .await
        .expect(200);
    if view["status"]["code"] == "in_progress" {
        app.command(
            auth,
            id,
            "start-mediation",
            json!({ "parties_consented": true }),
        )
        .await;
    }
    app.command(
        auth,
        id,
        "sessions",
        json!({
            "held_at": "2026-11-23T10:00", "mode": "in_person", "place": "村调解室",
            "attendees": "张三、李四", "minutes": "双方陈述，达成一致。"
        }),
    )
    .await;
    let v = app
        .command(
            auth,
            id,
            "close",
            json!({ "outcome": "succeeded", "agreement": "李四三日内拆除越界围墙。" }),
        )
        .await;
    assert_eq!(v["status"]["code"], "closed");
}

#[tokio::test]
async fn a_dissatisfied_follow_up_reopens_a_satisfied_one_does_not() {
    let app = TestApp::manual_scheduler().await;
    let clerk = app.bearer("a-window_clerk").await;
    let mediator = app.bearer("a-mediator").await;
    let supervisor = app.bearer("a-supervisor").await;
    let (id, _) = village_case(&app, accept_body()).await;
    app.state.set_now(cst(Month::November, 23, 11, 0));
    mediate_and_close(&app, &mediator, &id).await;

    // Nothing to reopen before a follow-up says the party is dissatisfied.
    let res = app
        .post_json(
            &supervisor,
            &format!("/api/v1/cases/{id}/reopen"),
            &json!({ "reason": "复查发现协议未履行" }),
        )
        .await;
    res.expect_error(422, "not_dissatisfied");

    app.state.set_now(cst(Month::November, 30, 10, 0));
    app.command(
        &clerk,
        &id,
        "follow-up",
        json!({ "method": "visit", "satisfaction": "dissatisfied", "agreement_performed": false }),
    )
    .await;
    let v = app
        .command(
            &supervisor,
            &id,
            "reopen",
            json!({ "reason": "回访不满意，协议未履行，重新组织调解" }),
        )
        .await;
    assert_eq!(v["status"]["code"], "in_progress");
    let c = clocks(&app, &clerk, &id).await;
    let resolve = clock(&c, "resolve");
    assert_eq!(resolve["started"], text(cst(Month::November, 30, 10, 0)));
    assert_eq!(resolve["overdue"], false);
    assert!(
        !notified(&app, &mediator, "案件重新办理", "in_app")
            .await
            .is_empty()
    );

    app.state.set_now(cst(Month::December, 1, 10, 0));
    mediate_and_close(&app, &mediator, &id).await;
    app.command(
        &clerk,
        &id,
        "follow-up",
        json!({ "method": "phone", "satisfaction": "satisfied", "agreement_performed": true }),
    )
    .await;
    let res = app
        .post_json(
            &supervisor,
            &format!("/api/v1/cases/{id}/reopen"),
            &json!({ "reason": "再次重新办理" }),
        )
        .await;
    res.expect_error(422, "not_dissatisfied");
    let history = events(&app, &clerk, &id).await;
    assert_eq!(count(&history, "reopened"), 1, "{:?}", kinds(&history));
}

#[tokio::test]
async fn a_referral_refused_returns_the_case_and_one_accepted_closes_it() {
    let app = TestApp::manual_scheduler().await;
    let clerk = app.bearer("a-window_clerk").await;
    let mediator = app.bearer("a-mediator").await;
    // A major case: its follow-up is always scheduled, whatever the sample.
    let (id, number) = village_case(
        &app,
        json!({ "dispute_type": "neighbour", "severity": "major", "track": "consultation" }),
    )
    .await;
    let path = |route: &str| format!("/api/v1/cases/{id}/{route}");

    // Validation: a target that does not exist, and a court referral without telling the parties
    // of the remedy.
    let res = app
        .post_json(
            &mediator,
            &path("refer"),
            &json!({ "target": "oracle", "receiver": "某单位", "reason": "无" }),
        )
        .await;
    assert_eq!(res.expect_error(400, "validation")["field"], "target");
    app.post_json(
        &mediator,
        &path("refer"),
        &json!({ "target": "court", "receiver": "城关人民法庭", "reason": "当事人要求诉讼" }),
    )
    .await
    .expect_error(422, "remedies_not_informed");
    // No referral is pending yet.
    app.post_json(
        &mediator,
        &path("referral-answer"),
        &json!({ "accepted": false, "note": "无" }),
    )
    .await
    .expect_error(422, "no_referral_pending");

    let refer = json!({
        "target": "court", "receiver": "城关人民法庭",
        "reason": "当事人要求通过诉讼解决", "remedies_informed": true
    });
    app.command(&mediator, &id, "refer", refer.clone()).await;
    app.state.set_now(cst(Month::November, 25, 10, 0));
    let v = app
        .command(
            &mediator,
            &id,
            "referral-answer",
            json!({ "accepted": false, "note": "不属于本庭管辖" }),
        )
        .await;
    assert_eq!(v["status"]["code"], "in_progress", "the case continues");
    assert!(
        !notified(&app, &mediator, &format!("分流被退回 {number}"), "in_app")
            .await
            .is_empty()
    );

    // Accepted needs a receipt.
    app.command(&mediator, &id, "refer", refer).await;
    app.post_json(
        &mediator,
        &path("referral-answer"),
        &json!({ "accepted": true }),
    )
    .await
    .expect_error(400, "validation");
    let answered_at = cst(Month::November, 26, 10, 0);
    app.state.set_now(answered_at);
    let v = app
        .command(
            &mediator,
            &id,
            "referral-answer",
            json!({ "accepted": true, "receipt": "（2026）浙0921民诉前调1234号" }),
        )
        .await;
    assert_eq!(v["status"]["code"], "closed");
    assert_eq!(v["outcome"]["code"], "referred", "{v}");
    let history = events(&app, &clerk, &id).await;
    assert_eq!(count(&history, "referred_out"), 2, "{:?}", kinds(&history));
    assert_eq!(count(&history, "referral_answered"), 2);
    assert_eq!(count(&history, "follow_up_scheduled"), 1, "major: always");
    let c = clocks(&app, &clerk, &id).await;
    assert_eq!(c["paused"], true, "a closed case's clocks stand still: {c}");
}

#[tokio::test]
async fn pausing_moves_the_deadline_by_the_working_time_paused() {
    let app = TestApp::manual_scheduler().await;
    let clerk = app.bearer("a-window_clerk").await;
    let mediator = app.bearer("a-mediator").await;
    let (id, _) = village_case(&app, accept_body()).await;
    let before = clocks(&app, &clerk, &id).await;
    assert_eq!(
        clock(&before, "resolve")["deadline"],
        text(cst(Month::December, 2, 9, 0))
    );

    // A bad reason code is refused with the field named.
    let res = app
        .post_json(
            &mediator,
            &format!("/api/v1/cases/{id}/pause"),
            &json!({ "reason": "holiday", "note": "申请人外出务工" }),
        )
        .await;
    assert_eq!(res.expect_error(400, "validation")["field"], "reason");

    // Paused from Tuesday 09:00 to Thursday 09:00: two working days.
    app.state.set_now(cst(Month::November, 24, 9, 0));
    app.command(
        &mediator,
        &id,
        "pause",
        json!({ "reason": "awaiting_party", "note": "申请人外出务工，待其返乡后调解" }),
    )
    .await;
    app.state.set_now(cst(Month::November, 25, 9, 0));
    let during = clocks(&app, &clerk, &id).await;
    assert_eq!(during["paused"], true);
    let resolve = clock(&during, "resolve");
    assert_eq!(resolve["paused"], true);
    assert!(resolve["deadline"].is_null(), "{during}");
    assert_eq!(resolve["remaining"], "已暂停");
    // Pausing twice is refused.
    app.post_json(
        &mediator,
        &format!("/api/v1/cases/{id}/pause"),
        &json!({ "reason": "appraisal", "note": "等待鉴定结论" }),
    )
    .await
    .expect_error(422, "already_paused");

    app.state.set_now(cst(Month::November, 26, 9, 0));
    app.command(&mediator, &id, "resume", json!({ "note": "申请人已返乡" }))
        .await;
    let after = clocks(&app, &clerk, &id).await;
    assert_eq!(after["paused"], false);
    assert_eq!(
        clock(&after, "resolve")["deadline"],
        text(cst(Month::December, 4, 9, 0)),
        "{after}"
    );
    let pauses = after["pauses"].as_array().expect("pauses");
    assert_eq!(pauses.len(), 1);
    assert_eq!(pauses[0]["from"], text(cst(Month::November, 24, 9, 0)));
    assert_eq!(pauses[0]["to"], text(cst(Month::November, 26, 9, 0)));
}

#[tokio::test]
async fn unknown_organisations_and_limits_are_validation_errors() {
    let app = &TestApp::manual_scheduler().await;
    let mediator = app.bearer("a-mediator").await;
    let supervisor = app.bearer("county-supervisor").await;
    let (id, _) = village_case(app, accept_body()).await;
    let path = |route: &str| format!("/api/v1/cases/{id}/{route}");
    for (route, body, field) in [
        (
            "escalate",
            json!({ "to": uuid::Uuid::now_v7().to_string(), "reason": "村级难以化解" }),
            "to",
        ),
        (
            "transfer",
            json!({ "to": "not-an-id", "reason": "当事人申请" }),
            "to",
        ),
        (
            "invite",
            json!({ "organisation": "", "purpose": "协助核实" }),
            "organisation",
        ),
    ] {
        let res = app.post_json(&mediator, &path(route), &body).await;
        assert_eq!(
            res.expect_error(400, "validation")["field"],
            field,
            "{route}"
        );
    }
    for limit in ["0", "abc", "9999wd"] {
        let res = app
            .post_json(
                &supervisor,
                &path("supervise"),
                &json!({ "limit": limit, "note": "请加快办理" }),
            )
            .await;
        assert_eq!(
            res.expect_error(400, "validation")["field"],
            "limit",
            "{limit}"
        );
    }
    // Escalating sideways is the case rules' refusal; upwards to the township centre works.
    let sideways = app.fx.orgs.committee(Place::B).id.to_string();
    let res = app
        .post_json(
            &mediator,
            &path("escalate"),
            &json!({ "to": sideways, "reason": "村级难以化解" }),
        )
        .await;
    assert_eq!(res.status.as_u16(), 422, "{}", res.text);
    let centre = app.fx.orgs.centre(Place::A);
    let v = app
        .command(
            &mediator,
            &id,
            "escalate",
            json!({ "to": centre.id.to_string(), "reason": "涉及多户村民，村级难以化解" }),
        )
        .await;
    assert_eq!(v["holder"]["organisation_id"], centre.id.to_string());
    assert_eq!(v["status"]["code"], "assigned");
}

#[tokio::test]
async fn sweeps_are_created_by_the_scheduler_and_completed_once() {
    let app = TestApp::manual_scheduler().await;
    let now = monday();
    app.state.set_now(now);
    sweeps::ensure_scheduled(&app.state)
        .await
        .expect("scheduling sweeps");
    tick(&app, now).await;

    let mediator = app.bearer("a-mediator").await;
    let open = app
        .get(&mediator, "/api/v1/sweeps?open=true")
        .await
        .expect(200);
    let tasks = open.as_array().expect("sweeps");
    let village = tasks
        .iter()
        .find(|t| t["division"] == Place::A.village())
        .unwrap_or_else(|| panic!("village A's sweep: {open}"));
    assert_eq!(village["cadence"], "村级·每周");
    assert_eq!(
        village["period_start"],
        text(cst(Month::November, 23, 0, 0))
    );
    assert_eq!(village["due_at"], text(cst(Month::November, 30, 0, 0)));
    assert_eq!(village["overdue"], false);
    assert!(village["completed"].is_null());
    assert!(
        tasks.iter().all(|t| t["division"] != Place::B.village()),
        "another township's sweep is not shown: {open}"
    );
    let sweep_id = str_of(village, "id").to_owned();
    let path = format!("/api/v1/sweeps/{sweep_id}/complete");

    // Another township cannot complete it; an empty finding is refused.
    let other = app.bearer("b-mediator").await;
    app.post_json(&other, &path, &json!({ "findings": "无新情况" }))
        .await
        .expect_error(404, "not_found");
    let res = app
        .post_json(&mediator, &path, &json!({ "findings": " " }))
        .await;
    assert_eq!(res.expect_error(400, "validation")["field"], "findings");

    let done = app
        .post_json(&mediator, &path, &json!({ "findings": "无新情况" }))
        .await
        .expect(200);
    assert_eq!(done["completed"]["findings"], "无新情况");
    assert_eq!(
        done["completed"]["by"],
        app.fx.user("a-mediator").name.as_str()
    );
    let again = app
        .post_json(&mediator, &path, &json!({ "findings": "无新情况" }))
        .await;
    assert!(
        [409, 422].contains(&again.status.as_u16()),
        "completing twice is refused: {} {}",
        again.status,
        again.text
    );
    let open = app
        .get(&mediator, "/api/v1/sweeps?open=true")
        .await
        .expect(200);
    assert!(
        open.as_array()
            .expect("sweeps")
            .iter()
            .all(|t| t["id"] != sweep_id.as_str()),
        "{open}"
    );
    let all = app.get(&mediator, "/api/v1/sweeps").await.expect(200);
    assert!(
        all.as_array()
            .expect("sweeps")
            .iter()
            .any(|t| t["id"] == sweep_id.as_str() && !t["completed"].is_null()),
        "{all}"
    );
    // The next pass on the same day creates nothing new.
    tick(&app, now.plus_seconds(3600)).await;
    let open_after = app
        .get(&mediator, "/api/v1/sweeps?open=true")
        .await
        .expect(200);
    assert_eq!(
        open_after.as_array().expect("sweeps").len(),
        tasks.len() - 1
    );
}

/// The board counts how long a case has been overdue from its deadline, not from when the
/// scheduler got round to marking it; the queue names the responsible person.
#[tokio::test]
async fn the_board_counts_overdue_time_from_the_deadline() {
    let app = TestApp::manual_scheduler().await;
    let supervisor = app.bearer("a-supervisor").await;
    let mediator = app.bearer("a-mediator").await;
    let (id, _) = village_case(&app, accept_body()).await;
    // No scheduler ran for days: the case is marked overdue only now.
    let late = cst(Month::December, 2, 11, 0);
    tick(&app, late).await;
    let board = app.get(&supervisor, "/api/v1/board").await.expect(200);
    let item = board["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|i| i["case_id"] == id.as_str())
        .unwrap_or_else(|| panic!("the case on the board: {board}"))
        .clone();
    assert_eq!(item["marked_overdue_at"], text(late), "{item}");
    let deadline = item["deadline"].as_str().expect("a deadline").to_owned();
    assert_eq!(item["overdue_since"], deadline.as_str(), "{item}");
    assert!(deadline < text(late), "{item}");
    let overdue_for = str_of(&item, "overdue_for");
    assert!(
        overdue_for.contains('天') || overdue_for.contains("小时"),
        "overdue for days, not since the mark: {item}"
    );
    let mediator_user = app.fx.user("a-mediator");
    assert_eq!(item["holder_user_id"], mediator_user.id.to_string());
    assert_eq!(item["holder_person"], mediator_user.name.as_str());

    let queue = app.get(&mediator, "/api/v1/queue").await.expect(200);
    assert_eq!(
        (
            &queue["page"],
            &queue["pages"],
            &queue["total"],
            &queue["overdue"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(1)),
        "{queue}"
    );
    let past_the_end = app.get(&mediator, "/api/v1/queue?page=9").await.expect(200);
    assert_eq!(past_the_end["page"], 1, "{past_the_end}");
    assert_eq!(past_the_end["items"].as_array().map(Vec::len), Some(1));

    // The pages say the same.
    let page = |who: &'static str, path: &'static str| {
        let app = &app;
        async move {
            let s = app.login(who).await;
            let res = app
                .req(axum::http::Method::GET, path)
                .header("cookie", &s.cookie)
                .send()
                .await;
            assert_eq!(res.status.as_u16(), 200, "{path}: {}", res.text);
            res.text
        }
    };
    let html = page("a-supervisor", "/board").await;
    assert!(
        html.contains(&format!("<dt>已超期</dt><dd>{overdue_for}</dd>")),
        "{html}"
    );
    assert!(!html.contains("标记超期"), "{html}");
    let html = page("a-mediator", "/queue?page=x").await;
    assert!(html.contains(mediator_user.name.as_str()), "{html}");
}

/// A session recorded without a time is held "now" on the server's clock, and the list's
/// overdue filter reads the same clock: with a fixed clock both follow it.
#[tokio::test]
async fn commands_and_lists_read_the_servers_clock() {
    let app = TestApp::manual_scheduler().await;
    let mediator = app.bearer("a-mediator").await;
    let clerk = app.bearer("a-window_clerk").await;
    let (id, _) = village_case(&app, accept_body()).await;
    app.command(
        &mediator,
        &id,
        "start-mediation",
        json!({ "parties_consented": true }),
    )
    .await;
    let held = cst(Month::November, 24, 15, 0);
    app.state.set_now(held);
    app.command(
        &mediator,
        &id,
        "sessions",
        json!({
            "held_at": "", "mode": "in_person", "place": "村调解室",
            "attendees": "张三、李四", "minutes": "双方陈述，尚未达成一致。"
        }),
    )
    .await;
    let history = events(&app, &clerk, &id).await;
    let session = history
        .iter()
        .find(|e| e["kind"] == "session_recorded")
        .unwrap_or_else(|| panic!("a session: {:?}", kinds(&history)));
    let body = session.to_string();
    assert!(
        body.contains(&text(held)) || body.contains(&held.micros().to_string()),
        "held at the fixed clock's now: {session}"
    );

    let days = app.state.config.overdue_days + 1;
    app.state.set_now(monday().plus_seconds(86_400 * days));
    let list = app
        .get(&clerk, "/api/v1/cases?overdue=true")
        .await
        .expect(200);
    assert!(
        list.to_string().contains(&id),
        "open past the overdue days by the fixed clock: {list}"
    );
}

/// A registration's first time-limit check is scheduled with it.
#[tokio::test]
async fn a_registered_case_has_its_check_scheduled() {
    let app = TestApp::manual_scheduler().await;
    let clerk = app.bearer("a-window_clerk").await;
    app.state.set_now(monday());
    let case = app
        .register(&clerk, Place::A, "两户因排水沟堵塞发生争执，要求调解。")
        .await;
    let id = str_of(&case, "id");
    let job = app
        .state
        .store
        .job(&format!("case:{id}"))
        .await
        .expect("a job query")
        .expect("the case's check");
    assert_eq!(job.status, "pending");
    assert!(job.due_at > monday(), "{job:?}");
}

/// Records, for each SMS sent, how many jobs were still pending at that moment.
struct PendingAtSend {
    store: std::sync::Arc<dyn hejie_store::Store>,
    seen: std::sync::Mutex<Vec<u64>>,
}

impl hejie_server::workflow::delivery::Sender for PendingAtSend {
    fn send(&self, _: &hejie_store::work::Notification, _: &str, _: &str) -> Result<(), String> {
        let counts = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(self.store.job_counts())
        })
        .map_err(|e| e.to_string())?;
        self.seen.lock().expect("lock").push(counts.pending);
        Ok(())
    }
}

/// A backlog of due jobs does not hold back the SMS waiting to be sent: deliveries go out after
/// each batch of jobs, within the same pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_are_not_starved_by_a_backlog_of_jobs() {
    use hejie_store::work::{Effects, NewJob, NewNotification, NotifyChannel};
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store: std::sync::Arc<dyn hejie_store::Store> = std::sync::Arc::new(
        hejie_store::sqlite::SqliteStore::open(dir.path().join("hejie.db")).expect("SQLite"),
    );
    store.migrate(monday()).await.expect("migrating");
    let sealer = std::sync::Arc::new(hejie_crypto::KeyedSealer::new(
        &hejie_crypto::MasterKey::generate(),
    ));
    let config = hejie_server::Config {
        scheduler_poll_ms: 0,
        ..hejie_server::Config::default()
    };
    let mut state = hejie_server::AppState::new(
        store.clone(),
        sealer,
        std::sync::Arc::new(hejie_server::sms::MemorySms::default()),
        config,
    )
    .await
    .expect("the state");
    let recorder = std::sync::Arc::new(PendingAtSend {
        store: store.clone(),
        seen: std::sync::Mutex::new(Vec::new()),
    });
    std::sync::Arc::get_mut(&mut state.0)
        .expect("the only handle on the state")
        .sender = recorder.clone();
    let now = monday();
    state.set_now(now);
    let recipient = uuid::Uuid::now_v7();
    const JOBS: usize = 120;
    let jobs = (0..JOBS)
        .map(|i| NewJob {
            key: format!("test:backlog:{i:03}"),
            kind: "notify".to_owned(),
            due_at: now.plus_seconds(-60),
            payload: json!({ "recipient": recipient, "title": format!("提醒{i}"),
                             "body": "请及时处理。", "sms": true })
            .to_string(),
        })
        .collect();
    store
        .apply_effects(
            Effects {
                notify: vec![NewNotification {
                    recipient: hejie_domain::user::UserId(recipient),
                    channel: NotifyChannel::Sms,
                    title: "已在等待的短信".to_owned(),
                    body: "请及时处理。".to_owned(),
                    case_id: None,
                    dedupe: None,
                }],
                schedule: jobs,
                ..Effects::default()
            },
            now,
        )
        .await
        .expect("a backlog");
    let report = scheduler::tick(&state, now).await.expect("a pass");
    assert_eq!(report.jobs, JOBS);
    assert_eq!(report.delivered, JOBS + 1, "{report:?}");
    let seen = recorder.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), JOBS + 1);
    assert!(
        seen[0] > 0,
        "the first SMS went out while jobs were still pending: {:?}",
        &seen[..5]
    );
}

#[tokio::test]
async fn an_unknown_kind_and_a_payload_of_the_wrong_shape_fail_with_their_own_error_and_wait_to_be_retried()
 {
    use hejie_store::work::{Effects, NewJob};
    let app = TestApp::manual_scheduler().await;
    let now = monday();
    app.state.set_now(now);
    let job = |key: &str, kind: &str, payload: &str| NewJob {
        key: key.to_owned(),
        kind: kind.to_owned(),
        due_at: now.plus_seconds(-60),
        payload: payload.to_owned(),
    };
    app.state
        .store
        .apply_effects(
            Effects {
                schedule: vec![
                    job("test:unknown", "no_such_job", "{}"),
                    job("test:shape", "case_check", "{\"case\": 42}"),
                ],
                ..Effects::default()
            },
            now,
        )
        .await
        .expect("two jobs");
    let report = scheduler::tick(&app.state, now).await.expect("a pass");
    assert_eq!((report.jobs, report.failed), (0, 2), "{report:?}");
    let unknown = app
        .state
        .store
        .job("test:unknown")
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(unknown.status, "pending", "retried later, not dropped");
    assert_eq!(
        unknown.last_error.as_deref(),
        Some("unknown job kind no_such_job")
    );
    let shape = app
        .state
        .store
        .job("test:shape")
        .await
        .expect("read")
        .expect("kept");
    let error = shape.last_error.unwrap_or_default();
    assert!(
        error.starts_with("job kind case_check: the payload does not parse"),
        "{error}"
    );
    // Every kind the application schedules is one the runner knows.
    let kinds: Vec<&str> = hejie_server::workflow::jobs::kinds().collect();
    for kind in [
        hejie_server::workflow::CASE_JOB,
        "notify",
        sweeps::SWEEP_JOB,
        hejie_server::warnings::WARNING_JOB,
        hejie_server::report::MONTHLY_JOB,
        hejie_server::court::FILING_JOB,
        hejie_server::court::CONFIRMATION_JOB,
        hejie_server::sessions::PARTY_SMS_JOB,
    ] {
        assert!(kinds.contains(&kind), "{kind} is registered");
    }
}
