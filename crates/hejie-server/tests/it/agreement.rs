//! The 人民调解协议书 end to end: drafted through the API (Art. 29's contents refused field by
//! field), read as a PDF in correct Chinese, signed by the mediator (password re-entered) and by
//! each party on the tracking page (SMS code re-verified), in effect once all signed; the case
//! closes on it; a PDF checks against the record and a one-byte change does not; the joint
//! application for judicial confirmation (Art. 33) and its 司法确认申请书.

use axum::http::Method;
use serde_json::{Value, json};

use crate::support::{
    Auth, PASSWORD, PHONE, Place, Resp, TestApp, accept_body, free_port, open_court, pdf_text,
    registration, str_of,
};

const OTHER_PHONE: &str = "13987654321";

/// A case in mediation by `a-mediator`, with both parties' phones on record and one session.
async fn mediating(app: &TestApp) -> (String, Auth, Auth) {
    let clerk = app.bearer("a-window_clerk").await;
    let mut body = registration(
        Place::A,
        "两户因排水沟堵塞发生争执，要求对方疏通并赔偿损失。",
    );
    body["parties"][1]["phone"] = json!(OTHER_PHONE);
    body["parties"][1]["address"] = json!("3组14号");
    let case = app
        .post_json(&clerk, "/api/v1/cases", &body)
        .await
        .expect(201);
    let id = str_of(&case, "id").to_owned();
    app.command(&clerk, &id, "accept", accept_body()).await;
    let mediator = app.mediate(&clerk, &id, Place::A).await;
    (id, clerk, mediator)
}

fn draft_body() -> Value {
    json!({
        "facts": "2026年10月，张三与李四两户之间的排水沟堵塞，雨水倒灌张三家院内。",
        "disputed_points": "排水沟由谁疏通，张三的损失由谁承担。",
        "liability": "李四在排水沟旁堆放建筑垃圾，对堵塞负主要责任。",
        "terms": ["李四于协议生效后三日内清理建筑垃圾并疏通排水沟。", "李四赔偿张三损失。"],
        "duties": [{ "party": 1, "duty": "赔偿损失", "amount": "1200", "manner": "银行转账至张三账户", "due": "2026-12-31" }]
    })
}

/// A party's tracking-page session: the form cookie and the grant the page handed out.
struct Party {
    cookie: String,
    token: String,
    grant: String,
    index: u32,
}

fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    html.split(&key)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

async fn form(app: &TestApp, path: &str, cookie: &str, pairs: &[(&str, &str)]) -> Resp {
    let body = serde_urlencoded::to_string(pairs).expect("a form");
    app.req(Method::POST, path)
        .header("cookie", cookie)
        .raw("application/x-www-form-urlencoded", body)
        .send()
        .await
}

/// Proves `phone` on the tracking page, as a resident does.
async fn track(app: &TestApp, number: &str, phone: &str) -> Party {
    let page = app.req(Method::GET, "/track").send().await;
    let set = page.header("set-cookie").expect("a form cookie").to_owned();
    let cookie = set.split(';').next().expect("a pair").to_owned();
    let token = cookie.split('=').nth(1).expect("a value").to_owned();
    let sent = form(
        app,
        "/track/code",
        &cookie,
        &[("csrf", &token), ("number", number), ("phone", phone)],
    )
    .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    let sms = app.sms.last_to(phone).expect("a code was sent");
    let code: String = sms.chars().filter(char::is_ascii_digit).take(6).collect();
    let shown = form(
        app,
        "/track",
        &cookie,
        &[
            ("csrf", &token),
            ("number", number),
            ("phone", phone),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    Party {
        grant: hidden(&shown.text, "grant"),
        index: hidden(&shown.text, "party").parse().expect("a party index"),
        cookie,
        token,
    }
}

impl Party {
    fn pairs<'a>(
        &'a self,
        id: &'a str,
        number: &'a str,
        index: &'a str,
    ) -> Vec<(&'a str, &'a str)> {
        vec![
            ("csrf", &self.token),
            ("case_id", id),
            ("party", index),
            ("grant", &self.grant),
            ("number", number),
        ]
    }

    /// Asks for a signing code and signs with it; the page after signing.
    async fn sign(&self, app: &TestApp, id: &str, number: &str, phone: &str) -> Resp {
        let index = self.index.to_string();
        let asked = form(
            app,
            "/track/sign-code",
            &self.cookie,
            &self.pairs(id, number, &index),
        )
        .await;
        assert_eq!(asked.status, 200, "{}", asked.text);
        let sms = app.sms.last_to(phone).expect("a signing code");
        assert!(sms.contains("签署人民调解协议书"), "{sms}");
        let code: String = sms.chars().filter(char::is_ascii_digit).take(6).collect();
        let mut pairs = self.pairs(id, number, &index);
        pairs.push(("code", &code));
        form(app, "/track/sign", &self.cookie, &pairs).await
    }
}

/// The mediator (password re-entered) and both parties (tracking page, SMS code) sign the
/// drafted agreement, which takes effect; returns the case number.
async fn sign_all(app: &TestApp, id: &str, clerk: &Auth, mediator: &Auth) -> String {
    app.post_json(
        mediator,
        &format!("/api/v1/cases/{id}/agreement/sign"),
        &json!({ "password": PASSWORD }),
    )
    .await
    .expect(200);
    let case = app
        .get(clerk, &format!("/api/v1/cases/{id}"))
        .await
        .expect(200);
    let number = str_of(&case, "number").to_owned();
    for phone in [PHONE, OTHER_PHONE] {
        let party = track(app, &number, phone).await;
        let page = party.sign(app, id, &number, phone).await;
        assert_eq!(page.status, 200, "{}", page.text);
    }
    number
}

#[tokio::test]
async fn art29_an_agreement_is_drafted_read_signed_by_all_and_checked_against_the_record() {
    let app = TestApp::new().await;
    let (id, clerk, mediator) = mediating(&app).await;
    let path = format!("/api/v1/cases/{id}/agreement");
    assert!(app.get(&mediator, &path).await.expect(200).is_null());

    // Every part Art. 29 requires is refused when missing, and nothing is recorded.
    let mut no_facts = draft_body();
    no_facts["facts"] = json!("  ");
    let err = app
        .post_json(&mediator, &path, &no_facts)
        .await
        .expect_error(400, "validation");
    assert_eq!(err["field"], "agreement.facts");
    assert!(
        err["message"]
            .as_str()
            .unwrap_or_default()
            .contains("第二十九条"),
        "{err}"
    );
    let mut bad_due = draft_body();
    bad_due["duties"][0]["due"] = json!("明年");
    app.post_json(&mediator, &path, &bad_due)
        .await
        .expect_error(400, "validation");

    let drafted = app
        .post_json(&mediator, &path, &draft_body())
        .await
        .expect(200);
    assert_eq!(drafted["version"], 1);
    let hash = str_of(&drafted, "content_hash").to_owned();
    assert_eq!(hash.len(), 64);
    assert_eq!(drafted["missing"], json!(["张三", "李四", "调解员"]));
    assert_eq!(drafted["duties"][0]["party"], "李四");

    // The PDF reads in correct Chinese, with the case number and the hash.
    let pdf = app.get(&mediator, &format!("{path}/pdf")).await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    let text = pdf_text(&pdf.bytes);
    let flat: String = text.split_whitespace().collect();
    for expected in [
        "人民调解协议书",
        "张三",
        "李四",
        "李四于协议生效后三日内清理建筑垃圾并疏通排水沟",
        "银行转账至张三账户",
        "2026年12月31日",
        "第三十三条",
    ] {
        assert!(flat.contains(expected), "{expected} missing from:\n{text}");
    }
    assert!(flat.contains(&hash[..16]), "the hash is printed:\n{text}");

    // The mediator re-enters their password to sign; a wrong one signs nothing.
    let sign = format!("{path}/sign");
    let wrong = app
        .post_json(&mediator, &sign, &json!({ "password": "not-it" }))
        .await
        .expect_error(400, "validation");
    assert_eq!(wrong["field"], "password");
    // Only the case's mediator signs as the mediator.
    let other = app.bearer("a-window_clerk").await;
    app.post_json(&other, &sign, &json!({ "password": PASSWORD }))
        .await
        .expect_error(403, "forbidden_role");
    let signed = app
        .post_json(&mediator, &sign, &json!({ "password": PASSWORD }))
        .await
        .expect(200);
    assert_eq!(signed["missing"], json!(["张三", "李四"]));
    assert_eq!(signed["signatures"][0]["algorithm"], "sm2");
    assert!(signed["effective_at"].is_null());

    // Closing as 调解成功 waits for the parties' signatures.
    app.post_json(
        &mediator,
        &format!("/api/v1/cases/{id}/close"),
        &json!({ "outcome": "succeeded" }),
    )
    .await
    .expect_error(422, "not_effective");

    // Each party proves their phone on the tracking page and signs with a fresh SMS code.
    let number = str_of(&drafted, "doc_number").to_owned();
    let case = app
        .get(&clerk, &format!("/api/v1/cases/{id}"))
        .await
        .expect(200);
    let case_number = str_of(&case, "number").to_owned();
    assert!(number.contains("和调字"), "{number}");
    let zhang = track(&app, &case_number, PHONE).await;
    assert_eq!(zhang.index, 0);
    let page = zhang.sign(&app, &id, &case_number, PHONE).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("您已电子签名"), "{}", page.text);
    let li = track(&app, &case_number, OTHER_PHONE).await;
    assert_eq!(li.index, 1);
    // A wrong code signs nothing.
    let index = li.index.to_string();
    let mut pairs = li.pairs(&id, &case_number, &index);
    pairs.push(("code", "000000"));
    let refused = form(&app, "/track/sign", &li.cookie, &pairs).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    let page = li.sign(&app, &id, &case_number, OTHER_PHONE).await;
    assert!(page.text.contains("调解协议自即日起生效"), "{}", page.text);

    let effective = app.get(&mediator, &path).await.expect(200);
    assert!(effective["effective_at"].is_string(), "{effective}");
    assert_eq!(effective["missing"], json!([]));
    assert_eq!(effective["signatures"].as_array().map(Vec::len), Some(3));
    assert!(effective["confirmation_deadline"].is_string());

    // The case closes on the signed agreement without retyping it.
    let closed = app
        .command(&mediator, &id, "close", json!({ "outcome": "succeeded" }))
        .await;
    assert_eq!(closed["status"]["code"], "closed");

    // The signed PDF checks against the record; one changed byte does not.
    let signed_pdf = app.get(&mediator, &format!("{path}/pdf")).await.bytes;
    let checked = app
        .req(Method::POST, "/api/v1/documents/verify")
        .raw("application/pdf", signed_pdf.clone())
        .send()
        .await
        .expect(200);
    assert_eq!(checked["ok"], true, "{checked}");
    let findings = checked["document"]["findings"].to_string();
    assert_eq!(findings.matches("签名有效").count(), 3, "{findings}");
    assert!(findings.contains("协议于"), "{findings}");
    let mut tampered = signed_pdf.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x01;
    let checked = app
        .req(Method::POST, "/api/v1/documents/verify")
        .raw("application/pdf", tampered)
        .send()
        .await
        .expect(200);
    assert_eq!(checked["ok"], false);
    assert!(checked["document"].is_null());
    // The earlier, unsigned copy is still recognised as what it was.
    let first = app
        .req(Method::POST, "/api/v1/documents/verify")
        .raw("application/pdf", pdf.bytes.clone())
        .send()
        .await
        .expect(200);
    assert_eq!(first["ok"], true, "{first}");

    // The timeline says who signed and when it took effect.
    let events = app
        .get(&clerk, &format!("/api/v1/cases/{id}/events"))
        .await
        .expect(200)
        .to_string();
    assert!(events.contains("起草人民调解协议书第1版"), "{events}");
    assert!(events.contains("短信验证码核验身份"), "{events}");
    assert!(events.contains("调解协议自即日起生效"), "{events}");
}

#[tokio::test]
async fn art33_confirmation_is_applied_for_jointly_and_its_application_is_made() {
    let app = TestApp::new().await;
    let (id, clerk, mediator) = mediating(&app).await;
    let path = format!("/api/v1/cases/{id}/agreement");
    let confirm = format!("/api/v1/cases/{id}/confirmation");
    app.post_json(&mediator, &path, &draft_body())
        .await
        .expect(200);
    app.post_json(
        &clerk,
        &confirm,
        &json!({ "applicants": [0, 1], "court": "和安县人民法院" }),
    )
    .await
    .expect_error(422, "not_effective");
    sign_all(&app, &id, &clerk, &mediator).await;
    let one_sided = app
        .post_json(
            &clerk,
            &confirm,
            &json!({ "applicants": [0], "court": "和安县人民法院" }),
        )
        .await
        .expect_error(422, "not_joint");
    assert!(
        one_sided["message"]
            .as_str()
            .unwrap_or_default()
            .contains("李四"),
        "{one_sided}"
    );
    let applied = app
        .post_json(
            &clerk,
            &confirm,
            &json!({ "applicants": [1, 0], "court": "和安县人民法院" }),
        )
        .await
        .expect(200);
    assert_eq!(
        applied["confirmation"]["applicants"],
        json!(["张三", "李四"])
    );
    app.post_json(
        &clerk,
        &confirm,
        &json!({ "applicants": [0, 1], "court": "和安县人民法院" }),
    )
    .await
    .expect_error(422, "already_applied");

    let pdf = app.get(&clerk, &format!("{confirm}/pdf")).await;
    assert_eq!(pdf.status, 200, "{}", pdf.text);
    let flat: String = pdf_text(&pdf.bytes).split_whitespace().collect();
    for expected in [
        "司法确认申请书",
        "张三",
        "李四",
        "和安县人民法院",
        "第三十三条",
    ] {
        assert!(flat.contains(expected), "{expected} missing from {flat}");
    }

    let ruled = app
        .post_json(
            &clerk,
            &format!("{confirm}/ruling"),
            &json!({ "confirmed": true, "ruling": "（2026）浙0121民特123号" }),
        )
        .await
        .expect(200);
    assert_eq!(ruled["confirmation"]["ruling"]["confirmed"], true);
}

#[tokio::test]
async fn only_the_cases_people_enter_its_room_and_only_while_it_is_mediated() {
    let app = TestApp::new().await;
    let page = |user: &'static str, id: String| {
        let app = &app;
        async move {
            let session = app.login(user).await;
            app.req(Method::GET, &format!("/cases/{id}/room"))
                .header("cookie", &session.cookie)
                .send()
                .await
        }
    };
    let clerk = app.bearer("a-window_clerk").await;
    let case = app
        .register(&clerk, Place::A, "两户因排水沟堵塞发生争执。")
        .await;
    let waiting = str_of(&case, "id").to_owned();
    app.command(&clerk, &waiting, "accept", accept_body()).await;
    // Not yet in mediation: the room is closed.
    let closed = page("a-judicial_general_advisor", waiting).await;
    assert_eq!(closed.status, 422, "{}", closed.text);
    assert!(closed.text.contains("在线调解室未开放"), "{}", closed.text);

    let (id, _, _) = mediating(&app).await;
    let ok = page("a-mediator", id.clone()).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(
        ok.text
            .contains(&format!("data-ws=\"/cases/{id}/room/ws\"")),
        "{}",
        ok.text
    );
    // A window clerk of the same township is not one of the case's people.
    let outsider = page("a-window_clerk", id.clone()).await;
    assert_eq!(outsider.status, 403, "{}", outsider.text);
    // Another township's staff do not learn the case exists.
    let other = page("b-mediator", id.clone()).await;
    assert_eq!(other.status, 404, "{}", other.text);
}

#[tokio::test]
async fn art33_a_confirmed_agreement_found_unperformed_gets_an_enforcement_application() {
    let app = TestApp::new().await;
    let (id, clerk, mediator) = mediating(&app).await;
    let path = format!("/api/v1/cases/{id}/agreement");
    app.post_json(&mediator, &path, &draft_body())
        .await
        .expect(200);
    sign_all(&app, &id, &clerk, &mediator).await;
    app.command(&mediator, &id, "close", json!({ "outcome": "succeeded" }))
        .await;
    let enforcement = format!("/api/v1/cases/{id}/enforcement/pdf");
    // Not confirmed yet: nothing to enforce.
    app.get(&clerk, &enforcement)
        .await
        .expect_error(422, "not_enforceable");
    let confirm = format!("/api/v1/cases/{id}/confirmation");
    app.post_json(
        &clerk,
        &confirm,
        &json!({ "applicants": [0, 1], "court": "和安县人民法院" }),
    )
    .await
    .expect(200);
    app.post_json(
        &clerk,
        &format!("{confirm}/ruling"),
        &json!({ "confirmed": true, "ruling": "（2026）浙0121民特123号" }),
    )
    .await
    .expect(200);
    // Confirmed, but performed: still nothing to enforce.
    app.command(
        &clerk,
        &id,
        "performance-check",
        json!({ "obligation": 0, "performed": true }),
    )
    .await;
    app.get(&clerk, &enforcement)
        .await
        .expect_error(422, "not_enforceable");
    // A later check finds it unperformed.
    app.command(
        &clerk,
        &id,
        "performance-check",
        json!({ "obligation": 0, "performed": false, "note": "李四称无力支付" }),
    )
    .await;
    let pdf = app.get(&clerk, &enforcement).await;
    assert_eq!(pdf.status, 200, "{}", pdf.text);
    let flat: String = pdf_text(&pdf.bytes).split_whitespace().collect();
    for expected in [
        "强制执行申请书",
        "申请执行人：张三",
        "被执行人：李四",
        "（2026）浙0121民特123号",
        "赔偿损失",
        "1200元",
        "第三十三条第二款",
    ] {
        assert!(flat.contains(expected), "{expected} missing from {flat}");
    }
}

#[tokio::test]
async fn art33_the_joint_application_reaches_the_court_with_the_signed_agreement() {
    let port = free_port();
    let app = TestApp::with_court(port).await;
    let receiver = open_court(&app, port).await;

    let (id, clerk, mediator) = mediating(&app).await;
    let path = format!("/api/v1/cases/{id}/agreement");
    app.post_json(&mediator, &path, &draft_body())
        .await
        .expect(200);
    sign_all(&app, &id, &clerk, &mediator).await;
    let signed = app.get(&clerk, &path).await.expect(200);
    app.post_json(
        &clerk,
        &format!("/api/v1/cases/{id}/confirmation"),
        &json!({ "applicants": [0, 1], "court": "和安县人民法院" }),
    )
    .await
    .expect(200);
    hejie_server::workflow::scheduler::tick(&app.state, app.state.now().plus_seconds(1))
        .await
        .expect("a pass");
    let events = app
        .get(&clerk, &format!("/api/v1/cases/{id}/events"))
        .await
        .expect(200)
        .to_string();
    assert!(events.contains("法院已接收司法确认申请"), "{events}");
    let taken = receiver.confirmations.lock().expect("lock");
    assert_eq!(taken.len(), 1);
    let application = &taken[0].1;
    assert_eq!(application.schema, "hejie.confirmation-application/v1");
    assert_eq!(application.applicants.len(), 2);
    assert_eq!(application.content_hash, str_of(&signed, "content_hash"));
    // Every signature in the application verifies against the agreement's hash.
    assert_eq!(application.signatures.len(), 3);
    for s in &application.signatures {
        hejie_crypto::sign::verify(
            hejie_domain::mediation::SignatureAlgorithm::Sm2,
            &s.public_key,
            application.content_hash.as_bytes(),
            &s.signature,
        )
        .unwrap_or_else(|e| panic!("{}'s signature: {e}", s.signer));
    }
}

#[tokio::test]
async fn art26_a_party_asks_on_the_tracking_page_for_filing_after_mediation_failed() {
    let app = TestApp::new().await;
    let (id, clerk, mediator) = mediating(&app).await;
    app.command(
        &mediator,
        &id,
        "close",
        json!({ "outcome": "failed", "reason": "双方分歧较大", "remedies_informed": true }),
    )
    .await;
    let case = app
        .get(&clerk, &format!("/api/v1/cases/{id}"))
        .await
        .expect(200);
    let number = str_of(&case, "number").to_owned();
    let party = track(&app, &number, OTHER_PHONE).await;
    let index = party.index.to_string();
    let mut pairs = party.pairs(&id, &number, &index);
    pairs.push(("reason", "  "));
    let empty = form(&app, "/track/filing", &party.cookie, &pairs).await;
    assert_eq!(empty.status, 400, "{}", empty.text);
    let mut pairs = party.pairs(&id, &number, &index);
    pairs.push(("reason", "请求判令张三疏通排水沟并赔偿损失1200元。"));
    let asked = form(&app, "/track/filing", &party.cookie, &pairs).await;
    assert_eq!(asked.status, 200, "{}", asked.text);
    assert!(asked.text.contains("已申请将纠纷移送"), "{}", asked.text);
    let filings = app
        .get(&clerk, &format!("/api/v1/cases/{id}/filing"))
        .await
        .expect(200);
    assert_eq!(filings.as_array().map(Vec::len), Some(1));
    assert!(
        filings[0]["claims"]
            .as_str()
            .is_some_and(|c| c.contains("赔偿损失1200元"))
    );
    let events = app
        .get(&clerk, &format!("/api/v1/cases/{id}/events"))
        .await
        .expect(200)
        .to_string();
    assert!(events.contains("第2位当事人申请诉讼对接"), "{events}");
}
