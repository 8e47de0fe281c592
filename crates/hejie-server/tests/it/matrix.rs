//! The authorization matrix, generated: every endpoint that takes a case id × every user of the
//! fixture (every role in township A, in township B and at the county) × their own and the other
//! township's case; the list and the counts for every user; registration for every role in and
//! out of the jurisdiction.
//!
//! The expectations come from the policy as this file writes it down ([`may`]), independently of
//! `hejie_domain::authz`, so a change to the policy that nobody meant shows up here.

use std::collections::BTreeSet;

use axum::http::Method;
use hejie_domain::user::{Role, User};
use hejie_store::CaseFilter;
use serde_json::{Value, json};

use crate::support::{Auth, PHONE, Place, ROLES, TestApp, accept_body, registration, str_of};

/// The case commands, as routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    Register,
    Accept,
    Decline,
    Assign,
    Route,
    Acknowledge,
    StartMediation,
    RecordSession,
    Close,
    FollowUp,
    ViewPersonalData,
    LinkReport,
    Escalate,
    HandDown,
    Transfer,
    Invite,
    Opinion,
    Refer,
    ReferralAnswer,
    Pause,
    Resume,
    Supervise,
    Reopen,
    PerformanceCheck,
    Consent,
    DraftAgreement,
    SignAgreement,
    ApplyConfirmation,
    RecordConfirmation,
    AddEvidence,
    RequestFiling,
    Schedule,
}

/// The policy, written out: which roles may run each command (anywhere in their jurisdiction).
fn may(role: Role, cmd: Cmd) -> bool {
    use Role::*;
    let roles: &[Role] = match cmd {
        Cmd::Register | Cmd::LinkReport => &[
            WindowClerk,
            GridWorker,
            Mediator,
            LegalAdvisor,
            JudicialGeneralAdvisor,
            DepartmentHandler,
            Admin,
        ],
        Cmd::Accept | Cmd::Decline => &[WindowClerk, JudicialGeneralAdvisor, Admin],
        Cmd::Assign | Cmd::Route => &[WindowClerk, JudicialGeneralAdvisor, Supervisor, Admin],
        Cmd::Acknowledge | Cmd::StartMediation | Cmd::RecordSession => {
            &[Mediator, DepartmentHandler, JudicialGeneralAdvisor, Admin]
        }
        Cmd::Close => &[
            Mediator,
            DepartmentHandler,
            JudicialGeneralAdvisor,
            WindowClerk,
            Admin,
        ],
        Cmd::FollowUp => &[
            WindowClerk,
            Mediator,
            Supervisor,
            JudicialGeneralAdvisor,
            Admin,
        ],
        Cmd::ViewPersonalData => &[WindowClerk, Mediator, JudicialGeneralAdvisor, Admin],
        // Handing the case up, sideways or out is the holder's decision; the window may do it
        // for the cases it holds itself (before dispatch).
        Cmd::Escalate | Cmd::Transfer | Cmd::Refer | Cmd::ReferralAnswer => &[
            Mediator,
            DepartmentHandler,
            JudicialGeneralAdvisor,
            WindowClerk,
            Admin,
        ],
        Cmd::Invite | Cmd::Pause | Cmd::Resume => {
            &[Mediator, DepartmentHandler, JudicialGeneralAdvisor, Admin]
        }
        // Invited units and legal advisors give opinions (会诊意见).
        Cmd::Opinion => &[
            DepartmentHandler,
            Mediator,
            LegalAdvisor,
            JudicialGeneralAdvisor,
            Admin,
        ],
        // Handing down (交办) is the upper level's: the centre's window, its coordinator, the
        // supervisors.
        Cmd::HandDown => &[Supervisor, JudicialGeneralAdvisor, WindowClerk, Admin],
        // 督办 is for supervisors only.
        Cmd::Supervise => &[Supervisor, Admin],
        Cmd::Reopen => &[
            Supervisor,
            JudicialGeneralAdvisor,
            WindowClerk,
            Mediator,
            Admin,
        ],
        Cmd::PerformanceCheck => &[
            WindowClerk,
            Mediator,
            Supervisor,
            JudicialGeneralAdvisor,
            Admin,
        ],
        // Whoever a party gave their answer to records it: the window or the mediating unit.
        Cmd::Consent => &[
            WindowClerk,
            Mediator,
            DepartmentHandler,
            JudicialGeneralAdvisor,
            Admin,
        ],
        // The mediating unit drafts the agreement; its mediator signs it (the case rules then
        // require the case's own mediator, and a party signs on the tracking page).
        Cmd::DraftAgreement => &[Mediator, DepartmentHandler, JudicialGeneralAdvisor, Admin],
        Cmd::SignAgreement => &[Mediator, DepartmentHandler, JudicialGeneralAdvisor],
        // The parties apply through the window or the mediator, who also records the ruling.
        Cmd::ApplyConfirmation | Cmd::RecordConfirmation => {
            &[WindowClerk, Mediator, JudicialGeneralAdvisor, Admin]
        }
        // Everyone who works on cases may add evidence (a party, on the tracking page).
        Cmd::AddEvidence => &[
            WindowClerk,
            GridWorker,
            Mediator,
            LegalAdvisor,
            JudicialGeneralAdvisor,
            DepartmentHandler,
            Admin,
        ],
        Cmd::Schedule => &[Mediator, DepartmentHandler, JudicialGeneralAdvisor, Admin],
        // The window or the mediating side files for a party (诉非对接).
        Cmd::RequestFiling => &[
            WindowClerk,
            Mediator,
            DepartmentHandler,
            JudicialGeneralAdvisor,
            Admin,
        ],
    };
    roles.contains(&role)
}

/// Every staff role may read the cases of its jurisdiction; residents and system accounts not
/// through staff routes.
fn may_view(role: Role) -> bool {
    !matches!(role, Role::Resident | Role::System)
}

/// Work that belongs to the unit holding the case. Coordinators may do it for any unit, except
/// signing for receipt, which only the holder itself can do.
fn holder_only(cmd: Cmd) -> bool {
    matches!(
        cmd,
        Cmd::Acknowledge
            | Cmd::StartMediation
            | Cmd::RecordSession
            | Cmd::Close
            | Cmd::Escalate
            | Cmd::Transfer
            | Cmd::Invite
            | Cmd::Refer
            | Cmd::ReferralAnswer
            | Cmd::Pause
            | Cmd::Resume
            | Cmd::DraftAgreement
            | Cmd::Schedule
    )
}

fn coordinator_may(role: Role, cmd: Cmd) -> bool {
    matches!(role, Role::Admin | Role::JudicialGeneralAdvisor) && cmd != Cmd::Acknowledge
}

/// What a route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    View,
    /// A document of the case (a PDF): viewers get it, or 422 while there is nothing to make.
    Document,
    /// One evidence file by hash: viewers get it, or 404 for a hash the case does not have.
    File,
    /// A download made from the record (the dossier ZIP): viewers get it.
    Download,
    /// A document the case does not warrant yet: viewers are told why, with this code.
    Refused(&'static str),
    Command(Cmd),
}

/// Every route that takes a case id. Checked against the OpenAPI document below, so a new one
/// cannot be left out of the matrix.
const ENDPOINTS: [(&str, &str, Kind); 43] = [
    ("get", "", Kind::View),
    ("get", "/events", Kind::View),
    ("get", "/clocks", Kind::View),
    ("post", "/accept", Kind::Command(Cmd::Accept)),
    ("post", "/decline", Kind::Command(Cmd::Decline)),
    ("post", "/assign", Kind::Command(Cmd::Assign)),
    ("post", "/route", Kind::Command(Cmd::Route)),
    ("post", "/acknowledge", Kind::Command(Cmd::Acknowledge)),
    ("post", "/consent", Kind::Command(Cmd::Consent)),
    (
        "post",
        "/start-mediation",
        Kind::Command(Cmd::StartMediation),
    ),
    ("post", "/sessions", Kind::Command(Cmd::RecordSession)),
    ("post", "/close", Kind::Command(Cmd::Close)),
    ("post", "/follow-up", Kind::Command(Cmd::FollowUp)),
    ("post", "/link-report", Kind::Command(Cmd::LinkReport)),
    (
        "post",
        "/personal-data",
        Kind::Command(Cmd::ViewPersonalData),
    ),
    ("post", "/escalate", Kind::Command(Cmd::Escalate)),
    ("post", "/hand-down", Kind::Command(Cmd::HandDown)),
    ("post", "/transfer", Kind::Command(Cmd::Transfer)),
    ("post", "/invite", Kind::Command(Cmd::Invite)),
    ("post", "/opinion", Kind::Command(Cmd::Opinion)),
    ("post", "/refer", Kind::Command(Cmd::Refer)),
    (
        "post",
        "/referral-answer",
        Kind::Command(Cmd::ReferralAnswer),
    ),
    ("post", "/pause", Kind::Command(Cmd::Pause)),
    ("post", "/resume", Kind::Command(Cmd::Resume)),
    ("post", "/supervise", Kind::Command(Cmd::Supervise)),
    ("post", "/reopen", Kind::Command(Cmd::Reopen)),
    (
        "post",
        "/performance-check",
        Kind::Command(Cmd::PerformanceCheck),
    ),
    ("get", "/agreement", Kind::View),
    ("post", "/agreement", Kind::Command(Cmd::DraftAgreement)),
    ("post", "/agreement/sign", Kind::Command(Cmd::SignAgreement)),
    ("get", "/agreement/pdf", Kind::Document),
    (
        "post",
        "/confirmation",
        Kind::Command(Cmd::ApplyConfirmation),
    ),
    (
        "post",
        "/confirmation/ruling",
        Kind::Command(Cmd::RecordConfirmation),
    ),
    ("get", "/confirmation/pdf", Kind::Document),
    ("get", "/enforcement/pdf", Kind::Refused("not_enforceable")),
    ("get", "/evidence", Kind::View),
    ("post", "/evidence", Kind::Command(Cmd::AddEvidence)),
    ("get", "/evidence/{sha256}", Kind::File),
    ("get", "/filing", Kind::View),
    ("get", "/dossier", Kind::Download),
    ("post", "/schedule", Kind::Command(Cmd::Schedule)),
    ("get", "/sessions/{number}/ics", Kind::File),
    ("post", "/filing", Kind::Command(Cmd::RequestFiling)),
];

/// A valid request body for a command; `expected_version` as given.
fn body_for(app: &TestApp, cmd: Cmd, place: Place, expected_version: Option<u64>) -> Value {
    let mut body = match cmd {
        Cmd::Register => registration(place, "矩阵测试登记。"),
        Cmd::Accept => accept_body(),
        Cmd::Decline => json!({ "reason": "不属于调解范围", "guidance": "引导至法院起诉" }),
        Cmd::Assign => {
            json!({ "organisation_id": app.fx.orgs.centre(place).id.to_string() })
        }
        Cmd::Acknowledge | Cmd::Route => json!({}),
        Cmd::StartMediation => json!({ "parties_consented": true }),
        Cmd::RecordSession => json!({
            "mode": "in_person", "place": "调解室", "attendees": "张三、李四", "minutes": "双方陈述。"
        }),
        Cmd::Close => json!({ "outcome": "withdrawn", "reason": "申请人撤回调解申请" }),
        Cmd::FollowUp => json!({ "method": "phone", "satisfaction": "satisfied" }),
        Cmd::LinkReport => {
            json!({ "channel": "phone", "reporter": "王五", "summary": "邻居又来电反映同一纠纷" })
        }
        Cmd::ViewPersonalData => {
            json!({ "party": 0, "field": "phone", "reason": "电话联系当事人确认调解时间" })
        }
        Cmd::Escalate => json!({
            "to": app.fx.orgs.centre(place).id.to_string(),
            "reason": "涉及多户村民，村级难以化解",
        }),
        Cmd::HandDown => json!({
            "to": app.fx.orgs.committee(place).id.to_string(),
            "instructions": "请村调委会三日内组织调解",
        }),
        Cmd::Transfer => json!({
            "to": app.fx.orgs.town_committee(place).id.to_string(),
            "reason": "当事人申请由镇调委会调解",
        }),
        Cmd::Invite => json!({
            "organisation": app.fx.orgs.police(place).id.to_string(),
            "purpose": "请派出所协助核实事实",
        }),
        Cmd::Opinion => json!({ "opinion": "建议先行测量界址再行调解" }),
        Cmd::Refer => json!({
            "target": "court",
            "receiver": "城关人民法庭",
            "reason": "当事人要求诉讼解决",
            "remedies_informed": true,
        }),
        Cmd::ReferralAnswer => json!({ "accepted": false, "note": "不属于受理范围" }),
        Cmd::Pause => json!({ "reason": "awaiting_party", "note": "申请人外出务工，待其返乡" }),
        Cmd::Resume => json!({ "note": "申请人已返乡" }),
        Cmd::Supervise => json!({ "limit": "3", "note": "请加快办理，三日内办结" }),
        Cmd::Reopen => json!({ "reason": "回访不满意，重新组织调解" }),
        Cmd::PerformanceCheck => json!({ "obligation": 0, "performed": true }),
        Cmd::Consent => json!({ "party": 0, "consented": true }),
        Cmd::DraftAgreement => json!({
            "facts": "两户因排水沟堵塞发生争执。", "disputed_points": "由谁疏通。",
            "liability": "双方均有责任。", "terms": ["双方共同疏通排水沟。"]
        }),
        Cmd::SignAgreement => json!({ "password": crate::support::PASSWORD }),
        Cmd::ApplyConfirmation => json!({ "applicants": [0, 1], "court": "和安县人民法院" }),
        Cmd::RecordConfirmation => json!({ "confirmed": true, "ruling": "（2026）浙0121民特1号" }),
        // A JSON body is not an upload: refused after authorization, recording nothing.
        Cmd::AddEvidence => json!({}),
        Cmd::Schedule => {
            json!({ "at": "2099-01-05T09:30", "mode": "in_person", "place": "调解室" })
        }
        Cmd::RequestFiling => json!({ "court": "和安县人民法院", "claims": "请求判令被告赔偿。" }),
    };
    if let Some(v) = expected_version {
        body["expected_version"] = json!(v);
    }
    body
}

fn method(m: &str) -> Method {
    Method::from_bytes(m.to_uppercase().as_bytes()).expect("a method")
}

/// The case of each township, registered through the API by its clerk, accepted and assigned to
/// its village committee (status `assigned`; `version` is the stream version then, which counts
/// the time limits recorded alongside each step).
#[derive(Debug)]
struct Target {
    id: String,
    number: String,
    version: u64,
}

async fn setup() -> (TestApp, Target, Target) {
    let app = TestApp::new().await;
    let mut targets = Vec::new();
    for place in [Place::A, Place::B] {
        let clerk = app.bearer(&format!("{}-window_clerk", place.key())).await;
        let case = app.register(&clerk, place, "矩阵测试的案件。").await;
        let id = str_of(&case, "id").to_owned();
        app.command(&clerk, &id, "accept", accept_body()).await;
        let v = app.assign_to_committee(&clerk, &id, place).await;
        assert_eq!(v["status"]["code"], "assigned");
        let version = v["version"].as_u64().expect("a version");
        // Three commands, each with what the time-limit policy records alongside it.
        assert!(version > 3, "time limits were recorded: version {version}");
        targets.push(Target {
            id,
            number: str_of(&case, "number").to_owned(),
            version,
        });
    }
    let b = targets.pop().expect("case B");
    let a = targets.pop().expect("case A");
    (app, a, b)
}

/// Where a fixture user works, from their username.
fn place_of(u: &User) -> Place {
    match u.username.split('-').next() {
        Some("a") => Place::A,
        Some("b") => Place::B,
        _ => Place::County,
    }
}

/// Every fixture user: each role at the county and in each township, and the extras.
fn everyone(app: &TestApp) -> Vec<User> {
    let users = app.fx.users.clone();
    for place in [Place::County, Place::A, Place::B] {
        for role in ROLES {
            assert!(
                users.iter().any(|u| u.role == role && place_of(u) == place),
                "the fixture has a {role:?} at {place:?}"
            );
        }
    }
    users
}

#[tokio::test]
async fn the_matrix_covers_every_case_route_of_the_api() {
    let app = TestApp::new().await;
    let doc = app.get(&Auth::None, "/api/openapi.json").await.expect(200);
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .filter(|(p, _)| p.starts_with("/api/v1/cases/{id}"))
        .flat_map(|(p, item)| {
            item.as_object()
                .expect("a path item")
                .keys()
                .map(|m| (m.clone(), p.clone()))
                .collect::<Vec<_>>()
        })
        .filter(|(m, _)| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
        .collect();
    let in_matrix: BTreeSet<(String, String)> = ENDPOINTS
        .iter()
        .map(|(m, suffix, _)| ((*m).to_owned(), format!("/api/v1/cases/{{id}}{suffix}")))
        .collect();
    assert_eq!(in_matrix, documented);
}

#[tokio::test]
async fn other_townships_cases_are_not_found_by_anyone_by_any_route() {
    let (app, a, b) = setup().await;
    let missing = uuid::Uuid::now_v7().to_string();
    let mut checked = 0;
    for user in everyone(&app) {
        let Some(other) = place_of(&user).other() else {
            continue;
        };
        let target = if other == Place::A { &a } else { &b };
        let auth = app.bearer(&user.username).await;
        for (m, suffix, kind) in ENDPOINTS {
            // A body that would succeed if the request got through (no version guard).
            let body = match kind {
                Kind::View | Kind::Document | Kind::File | Kind::Download | Kind::Refused(_) => {
                    None
                }
                Kind::Command(cmd) => Some(body_for(&app, cmd, other, None)),
            };
            let send = |id: &str| {
                let mut req = app
                    .req(method(m), &format!("/api/v1/cases/{id}{suffix}"))
                    .auth(&auth);
                if let Some(b) = &body {
                    req = req.json(b);
                }
                req.send()
            };
            let res = send(&target.id).await;
            let context = format!("{} ({:?}) {m} …{suffix}", user.username, user.role);
            assert_eq!(res.status.as_u16(), 404, "{context}: {}", res.text);
            assert_eq!(res.json()["code"], "not_found", "{context}");
            assert!(
                !res.text.contains(&target.number),
                "{context}: {}",
                res.text
            );
            assert!(!res.text.contains(PHONE), "{context}: {}", res.text);
            // Indistinguishable from a case that does not exist.
            let absent = send(&missing).await;
            assert_eq!(
                (absent.status, &absent.text),
                (res.status, &res.text),
                "{context}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, (2 * ROLES.len() + 2) * ENDPOINTS.len());
    // Nothing happened to either case: no command and no unmasking went through.
    for t in [&a, &b] {
        let id = hejie_domain::case::CaseId(uuid::Uuid::parse_str(&t.id).expect("a uuid"));
        let events = app.state.store.events(id).await.expect("events");
        assert_eq!(
            events.len() as u64,
            t.version,
            "case {} was not touched",
            t.number
        );
    }
}

#[tokio::test]
async fn in_their_jurisdiction_each_role_may_exactly_what_the_policy_says() {
    let (app, a, b) = setup().await;
    let mut checked = 0;
    for user in everyone(&app) {
        let place = place_of(&user);
        let own: Vec<(Place, &Target)> = match place {
            Place::County => vec![(Place::A, &a), (Place::B, &b)],
            Place::A => vec![(Place::A, &a)],
            Place::B => vec![(Place::B, &b)],
        };
        let auth = app.bearer(&user.username).await;
        for (case_place, target) in own {
            let holds = user.organisation == Some(app.fx.orgs.committee(case_place).id);
            for (m, suffix, kind) in ENDPOINTS {
                let context = format!("{} ({:?}) {m} …{suffix}", user.username, user.role);
                let path = format!("/api/v1/cases/{}{suffix}", target.id);
                let res = match kind {
                    Kind::View
                    | Kind::Document
                    | Kind::File
                    | Kind::Download
                    | Kind::Refused(_) => app.get(&auth, &path).await,
                    // A version from the future: a permitted command stops at 409 and changes
                    // nothing, so every cell of the matrix sees the same case.
                    Kind::Command(cmd) => {
                        let body = body_for(&app, cmd, case_place, Some(999));
                        app.post_json(&auth, &path, &body).await
                    }
                };
                let (status, code) = match kind {
                    Kind::View if may_view(user.role) => (200, None),
                    Kind::View => (403, Some("forbidden_role")),
                    // Nothing is drafted on the matrix's case: nothing to make, but not denied.
                    Kind::Document if may_view(user.role) => (422, Some("no_agreement")),
                    Kind::Document => (403, Some("forbidden_role")),
                    Kind::File if may_view(user.role) => (404, Some("not_found")),
                    Kind::File => (403, Some("forbidden_role")),
                    Kind::Download if may_view(user.role) => (200, None),
                    Kind::Download => (403, Some("forbidden_role")),
                    Kind::Refused(code) if may_view(user.role) => (422, Some(code)),
                    Kind::Refused(_) => (403, Some("forbidden_role")),
                    Kind::Command(cmd) if !may(user.role, cmd) => (403, Some("forbidden_role")),
                    Kind::Command(cmd)
                        if holder_only(cmd) && !holds && !coordinator_may(user.role, cmd) =>
                    {
                        (403, Some("not_holder"))
                    }
                    // Unmasking takes no version: it goes through.
                    Kind::Command(Cmd::ViewPersonalData) => (200, None),
                    // An upload takes no version; the matrix's JSON body is not an upload.
                    Kind::Command(Cmd::AddEvidence) => (400, Some("validation")),
                    Kind::Command(_) => (409, Some("conflict")),
                };
                assert_eq!(res.status.as_u16(), status, "{context}: {}", res.text);
                if kind == Kind::Download && status == 200 {
                    assert_eq!(
                        res.header("content-type"),
                        Some("application/zip"),
                        "{context}"
                    );
                    checked += 1;
                    continue;
                }
                let body = res.json();
                if let Some(code) = code {
                    assert_eq!(body["code"], code, "{context}");
                }
                if status == 200 && suffix.is_empty() {
                    assert_eq!(body["number"], target.number.as_str(), "{context}");
                    assert_actions(&user, holds, &body, &context);
                }
                if kind == Kind::Command(Cmd::ViewPersonalData) && status == 200 {
                    assert_eq!(body["value"], PHONE, "{context}");
                }
                if status != 200 {
                    assert!(!res.text.contains(PHONE), "{context}");
                }
                checked += 1;
            }
        }
    }
    // Each township's users on their case, and the county's on both.
    assert_eq!(
        checked,
        (2 * (ROLES.len() + 1) + 2 * ROLES.len()) * ENDPOINTS.len()
    );
}

/// The actions a case view offers at `assigned`: the commands the state allows (assign,
/// acknowledge, close, and the closed loop's hand-overs, consultation, referral, pausing and
/// supervision) that the policy lets this user run. Nothing is offered that the case would refuse
/// outright: no opinion without an invitation, no referral answer without a referral, no resuming
/// what is not paused, and no supervising one's own unit.
fn assert_actions(user: &User, holds: bool, view: &Value, context: &str) {
    let expected: Vec<&str> = [
        (Cmd::Assign, "assign"),
        (Cmd::Route, "route"),
        (Cmd::Acknowledge, "acknowledge"),
        (Cmd::Close, "close"),
        (Cmd::Escalate, "escalate"),
        (Cmd::HandDown, "hand-down"),
        (Cmd::Transfer, "transfer"),
        (Cmd::Invite, "invite"),
        (Cmd::Refer, "refer"),
        (Cmd::Pause, "pause"),
        (Cmd::Supervise, "supervise"),
    ]
    .into_iter()
    .filter(|(cmd, _)| may(user.role, *cmd))
    .filter(|(cmd, _)| *cmd != Cmd::Supervise || !holds)
    .filter(|(cmd, _)| !holder_only(*cmd) || holds || coordinator_may(user.role, *cmd))
    .map(|(_, code)| code)
    .collect();
    let actions: Vec<&str> = view["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(actions, expected, "{context}: offered actions");
}

#[tokio::test]
async fn lists_and_counts_never_show_another_townships_cases() {
    let (app, a, b) = setup().await;
    // More cases, in other states, so the counts have something to count.
    for place in [Place::A, Place::B] {
        let clerk = app.bearer(&format!("{}-window_clerk", place.key())).await;
        app.register(&clerk, place, "另一件待受理的案件。").await;
    }
    let everything = CaseFilter {
        limit: 100,
        ..CaseFilter::default()
    };
    let all = app
        .state
        .store
        .list_cases(&everything)
        .await
        .expect("listing");
    let numbers_in = |place: Place| -> BTreeSet<String> {
        all.iter()
            .filter(|s| s.division.to_string().starts_with(&place.town()[..9]))
            .map(|s| s.number.to_string())
            .collect()
    };
    let (in_a, in_b) = (numbers_in(Place::A), numbers_in(Place::B));
    assert_eq!((in_a.len(), in_b.len()), (2, 2));
    assert!(in_a.contains(&a.number) && in_b.contains(&b.number));

    for user in everyone(&app) {
        let place = place_of(&user);
        let auth = app.bearer(&user.username).await;
        let context = format!("{} ({:?})", user.username, user.role);
        let list = app.get(&auth, "/api/v1/cases?limit=200").await;
        let counts = hejie_server::cases::counts(&app.state, &user, CaseFilter::default()).await;
        if !may_view(user.role) {
            list.expect_error(403, "forbidden_role");
            assert!(counts.is_err(), "{context}: counts refused");
            continue;
        }
        let got: BTreeSet<String> = list.expect(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| str_of(i, "number").to_owned())
            .collect();
        let (visible, hidden) = match place {
            Place::County => (&in_a | &in_b, BTreeSet::new()),
            Place::A => (in_a.clone(), in_b.clone()),
            Place::B => (in_b.clone(), in_a.clone()),
        };
        assert_eq!(
            got, visible,
            "{context}: the list is the jurisdiction's cases"
        );
        for n in &hidden {
            assert!(!list.text.contains(n.as_str()), "{context}: {n} leaked");
        }
        let total: u64 = counts.expect("counts").iter().map(|(_, n)| n).sum();
        assert_eq!(total, visible.len() as u64, "{context}: counts");

        let Some(other) = place.other() else {
            continue;
        };
        // Asking for the other township, its village or its grid is refused outright.
        for division in [other.town(), other.village(), other.grid()] {
            let res = app
                .get(&auth, &format!("/api/v1/cases?division={division}"))
                .await;
            res.expect_error(403, "out_of_jurisdiction");
            let filter = CaseFilter {
                within: Some(crate::support::code(division)),
                ..CaseFilter::default()
            };
            assert!(
                hejie_server::cases::counts(&app.state, &user, filter)
                    .await
                    .is_err(),
                "{context}: counts of {division}"
            );
        }
        // Other filters only narrow what the jurisdiction shows.
        let theirs = app.fx.orgs.committee(other).id;
        for query in [
            format!("holder={theirs}"),
            "status=assigned".to_owned(),
            "status=registered".to_owned(),
            "type=neighbour".to_owned(),
        ] {
            let res = app
                .get(&auth, &format!("/api/v1/cases?limit=200&{query}"))
                .await;
            res.expect(200);
            for n in &hidden {
                assert!(
                    !res.text.contains(n.as_str()),
                    "{context} ?{query}: {n} leaked"
                );
            }
        }
    }
}

#[tokio::test]
async fn registering_needs_the_role_and_the_jurisdiction() {
    let app = TestApp::new().await;
    for user in everyone(&app) {
        let place = place_of(&user);
        let auth = app.bearer(&user.username).await;
        let context = format!("{} ({:?})", user.username, user.role);
        let here = if place == Place::County {
            Place::A
        } else {
            place
        };
        let res = app
            .post_json(&auth, "/api/v1/cases", &registration(here, "辖区内登记。"))
            .await;
        if may(user.role, Cmd::Register) {
            let view = res.expect(201);
            assert_eq!(view["division"], here.village(), "{context}");
        } else {
            res.expect_error(403, "forbidden_role");
        }
        if let Some(other) = place.other() {
            let res = app
                .post_json(&auth, "/api/v1/cases", &registration(other, "辖区外登记。"))
                .await;
            let code = if may(user.role, Cmd::Register) {
                "out_of_jurisdiction"
            } else {
                "forbidden_role"
            };
            res.expect_error(403, code);
        }
    }
    // Only the permitted registrations exist, and all in the registrant's jurisdiction.
    let all = app
        .state
        .store
        .list_cases(&CaseFilter {
            limit: 200,
            ..CaseFilter::default()
        })
        .await
        .expect("listing");
    let permitted = everyone(&app)
        .iter()
        .filter(|u| may(u.role, Cmd::Register))
        .count();
    assert_eq!(all.len(), permitted);
}

/// Who may read the indicators (数据研判), written out: supervisors and administrators.
fn may_read_indicators(role: Role) -> bool {
    matches!(role, Role::Supervisor | Role::Admin)
}

/// Every `/api/v1/indicators…` route of the OpenAPI document, with a query that would succeed.
fn indicator_requests(division: &str) -> Vec<String> {
    vec![
        format!("/api/v1/indicators?division={division}"),
        format!("/api/v1/indicators/cases?division={division}&metric=registered"),
        format!("/api/v1/indicators/export?division={division}&table=indicators&format=csv"),
    ]
}

#[tokio::test]
async fn indicators_are_for_supervisors_and_administrators_of_the_area() {
    let app = TestApp::new().await;
    let doc = app.get(&Auth::None, "/api/openapi.json").await.expect(200);
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .filter(|p| p.starts_with("/api/v1/indicators"))
        .cloned()
        .collect();
    let covered: BTreeSet<String> = indicator_requests("x")
        .iter()
        .map(|r| r.split('?').next().expect("a path").to_owned())
        .collect();
    assert_eq!(
        covered, documented,
        "every indicators route is in the matrix"
    );
    let mut checked = 0;
    for user in everyone(&app) {
        let auth = app.bearer(&user.username).await;
        let place = place_of(&user);
        for path in indicator_requests(place.town()) {
            let res = app.get(&auth, &path).await;
            let context = format!("{} ({:?}) {path}", user.username, user.role);
            if may_read_indicators(user.role) {
                assert_eq!(res.status.as_u16(), 200, "{context}: {}", res.text);
            } else {
                assert_eq!(res.status.as_u16(), 403, "{context}: {}", res.text);
                assert_eq!(res.json()["code"], "forbidden_role", "{context}");
            }
            checked += 1;
            // The other township's figures are not found, as its cases are not.
            if let Some(other) = place.other()
                && may_read_indicators(user.role)
            {
                let res = app
                    .get(&auth, &path.replace(place.town(), other.town()))
                    .await;
                assert_eq!(res.status.as_u16(), 404, "{context}: {}", res.text);
                assert_eq!(res.json()["code"], "not_found", "{context}");
            }
        }
    }
    assert_eq!(checked, (3 * ROLES.len() + 2) * 3);
}
