//! Applying online with a choice of mediator (网上申请调解): the applicant sees the mediation
//! organisations and mediators with their record, chooses one, and their consent and choice go on
//! record; the window's dispatch starts from the choice; once accepted, the other party is texted
//! an invitation to answer whether they consent (人民调解法第十七条).

use crate::support::{PHONE, Place, Resp, TestApp, accept_body};
use axum::http::Method;

const OTHER_PHONE: &str = "13900001111";

async fn form(app: &TestApp, path: &str, cookie: &str, pairs: &[(String, String)]) -> Resp {
    let body = serde_urlencoded::to_string(pairs).expect("a form");
    app.req(Method::POST, path)
        .header("cookie", cookie)
        .raw("application/x-www-form-urlencoded", body)
        .send()
        .await
}

#[tokio::test]
async fn art17_an_online_applicant_chooses_a_mediator_and_the_other_party_is_invited() {
    let app = TestApp::new().await;
    let mediator = app.fx.user("a-mediator").clone();
    let page = app.req(Method::GET, "/apply").send().await;
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains(&format!("person:{}", mediator.id)),
        "the mediator is offered"
    );
    assert!(page.text.contains("成功率"), "with their record");
    let cookie = page
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a form cookie")
        .to_owned();
    let token = cookie.split('=').nth(1).expect("a token").to_owned();
    let choice = format!("person:{}", mediator.id);
    let fields = |code: &str, preference: &str| {
        vec![
            ("csrf".to_owned(), token.clone()),
            ("name".to_owned(), "张三".to_owned()),
            ("phone".to_owned(), PHONE.to_owned()),
            ("other_kind".to_owned(), "person".to_owned()),
            ("other_name".to_owned(), "李四".to_owned()),
            ("other_phone".to_owned(), OTHER_PHONE.to_owned()),
            ("division".to_owned(), Place::A.village().to_owned()),
            ("dispute_type".to_owned(), "neighbour".to_owned()),
            (
                "description".to_owned(),
                "楼上李四家卫生间漏水，导致我家天花板发霉，多次沟通未果。".to_owned(),
            ),
            ("preference".to_owned(), preference.to_owned()),
            ("code".to_owned(), code.to_owned()),
        ]
    };
    let sent = form(&app, "/apply/code", &cookie, &fields("", &choice)).await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    let sms = app.sms.last_to(PHONE).expect("a code");
    let code: String = sms.chars().filter(char::is_ascii_digit).take(6).collect();
    // A choice that names nobody is refused, and nothing is registered.
    let bad = form(&app, "/apply", &cookie, &fields(&code, "org:nobody")).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert!(
        bad.text.contains("所选调解组织或调解员不存在"),
        "{}",
        bad.text
    );
    let done = form(&app, "/apply", &cookie, &fields(&code, &choice)).await;
    assert_eq!(done.status, 303, "{}", done.text);
    let number = done
        .header("location")
        .and_then(|l| l.split("number=").nth(1))
        .expect("the case number")
        .to_owned();

    let clerk = app.bearer("a-window_clerk").await;
    let found = app
        .state
        .store
        .find_by_number(&hejie_domain::case::CaseNumber::parse(&number).expect("number"))
        .await
        .expect("find")
        .expect("the case")
        .to_string();
    let events = app
        .get(&clerk, &format!("/api/v1/cases/{found}/events"))
        .await
        .expect(200)
        .to_string();
    assert!(events.contains("第1位当事人同意调解"), "{events}");
    assert!(
        events.contains(&format!("调解员：{}", mediator.name)),
        "{events}"
    );

    // Accepted: the other party is invited; the applicant, who already consented, is not.
    app.command(&clerk, &found, "accept", accept_body()).await;
    hejie_server::workflow::scheduler::tick(&app.state, app.state.now().plus_seconds(1))
        .await
        .expect("a pass");
    let invite = app
        .sms
        .last_to(OTHER_PHONE)
        .expect("the other party was invited");
    assert!(
        invite.contains("同意调解") && invite.contains(&number),
        "{invite}"
    );
    assert!(invite.contains("张三申请与您"), "{invite}");
    assert_eq!(
        app.sms.last_to(PHONE),
        Some(sms),
        "no invitation to the applicant"
    );

    // The window's dispatch starts from the choice.
    let session = app.login("a-window_clerk").await;
    let case_page = app
        .req(Method::GET, &format!("/cases/{found}"))
        .header("cookie", &session.cookie)
        .send()
        .await;
    let org = app.fx.orgs.committee(Place::A).id.to_string();
    assert!(case_page.text.contains("申请人选择"), "{}", case_page.text);
    assert!(
        case_page
            .text
            .contains(&format!("<option value=\"{org}\" selected>")),
        "the chosen committee is preselected for dispatch"
    );
}
