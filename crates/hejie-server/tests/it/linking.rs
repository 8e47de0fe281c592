//! 一案一码: a further report of the same dispute is linked to the open case instead of being
//! registered again, through the API and from the intake page's duplicate warning.

use axum::http::Method;
use hejie_domain::user::Role;
use hejie_store::CaseFilter;
use serde_json::json;

use crate::support::{Auth, Place, TestApp, str_of, username};

const DESCRIPTION: &str = "邻居在我家门口堆放杂物，堵住通道，多次协商未果，请求调解。";
const AGAIN: &str = "多次协商未果，邻居在我家门口堆放杂物堵住通道，请求调解";

async fn case_count(app: &TestApp) -> usize {
    let all = CaseFilter {
        limit: 100,
        ..CaseFilter::default()
    };
    app.state
        .store
        .list_cases(&all)
        .await
        .expect("listing")
        .len()
}

async fn event_kinds(app: &TestApp, id: &str) -> Vec<String> {
    let id = hejie_domain::case::CaseId(uuid::Uuid::parse_str(id).expect("a uuid"));
    app.state
        .store
        .events(id)
        .await
        .expect("events")
        .iter()
        .map(|e| e.event.body.kind().to_owned())
        .collect()
}

#[tokio::test]
async fn a_report_linked_through_the_api_joins_the_case_and_allocates_no_number() {
    let app = TestApp::new().await;
    let clerk = app.bearer(&username(Place::A, Role::WindowClerk)).await;
    let case = app.register(&clerk, Place::A, DESCRIPTION).await;
    let id = str_of(&case, "id").to_owned();
    let before = case_count(&app).await;

    let v = app
        .command(
            &clerk,
            &id,
            "link-report",
            json!({ "channel": "phone", "reporter": "王五", "summary": AGAIN }),
        )
        .await;
    assert_eq!(v["number"], case["number"]);
    assert_eq!(v["status"]["code"], "registered");
    assert_eq!(v["version"], 3);
    assert_eq!(
        event_kinds(&app, &id).await,
        ["registered", "time_limit_set", "report_linked"]
    );
    assert_eq!(case_count(&app).await, before, "no new case");

    let events = app
        .get(&clerk, &format!("/api/v1/cases/{id}/events"))
        .await
        .expect(200);
    let last = events
        .as_array()
        .or_else(|| events["items"].as_array())
        .and_then(|a| a.last().cloned())
        .expect("events");
    assert_eq!(last["kind"], "report_linked");
    assert_eq!(
        last["summary"],
        format!("同一纠纷再次反映：经来电由王五反映：{AGAIN}")
    );

    // A blank summary names its field; a closed case refuses the link.
    app.post_json(
        &clerk,
        &format!("/api/v1/cases/{id}/link-report"),
        &json!({ "channel": "phone", "reporter": "王五", "summary": " " }),
    )
    .await
    .expect_error(400, "validation");
    app.command(
        &clerk,
        &id,
        "close",
        json!({ "outcome": "withdrawn", "reason": "申请人撤回" }),
    )
    .await;
    app.post_json(
        &clerk,
        &format!("/api/v1/cases/{id}/link-report"),
        &json!({ "channel": "phone", "reporter": "王五", "summary": AGAIN }),
    )
    .await
    .expect_error(422, "invalid_transition");
}

fn form_body(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).expect("a form")
}

#[tokio::test]
async fn the_intake_page_lists_a_near_identical_case_and_links_to_it() {
    let app = TestApp::new().await;
    let name = username(Place::A, Role::WindowClerk);
    let bearer = app.bearer(&name).await;
    let case = app.register(&bearer, Place::A, DESCRIPTION).await;
    let id = str_of(&case, "id").to_owned();
    let before = case_count(&app).await;
    let session = app.login(&name).await;
    let csrf = session.csrf.clone();
    let auth = Auth::Session(session);

    // Other parties, no address: only the description is alike.
    let res = app
        .req(Method::POST, "/intake")
        .auth(&auth)
        .raw(
            "application/x-www-form-urlencoded",
            form_body(&[
                ("csrf", &csrf),
                ("channel", "phone"),
                ("division", Place::A.village()),
                ("description", AGAIN),
                ("p0_kind", "person"),
                ("p0_role", "applicant"),
                ("p0_name", "王五"),
                ("p1_kind", "person"),
                ("p1_role", "respondent"),
                ("p1_name", "赵六"),
            ]),
        )
        .send()
        .await;
    assert_eq!(res.status.as_u16(), 200, "{}", res.text);
    assert!(res.text.contains("描述高度相似"), "{}", res.text);
    assert!(res.text.contains(&format!("/intake/link/{id}")));
    assert!(res.text.contains("并入此案"));
    assert_eq!(case_count(&app).await, before, "nothing registered yet");

    let res = app
        .req(Method::POST, &format!("/intake/link/{id}"))
        .auth(&auth)
        .raw(
            "application/x-www-form-urlencoded",
            form_body(&[
                ("csrf", &csrf),
                ("channel", "phone"),
                ("reporter", "王五"),
                ("summary", AGAIN),
            ]),
        )
        .send()
        .await;
    assert_eq!(res.status.as_u16(), 303, "{}", res.text);
    assert_eq!(
        res.header("location"),
        Some(format!("/cases/{id}?done=link-report").as_str())
    );
    assert_eq!(
        event_kinds(&app, &id).await,
        ["registered", "time_limit_set", "report_linked"]
    );
    assert_eq!(case_count(&app).await, before, "no new case");
}
