//! Open311 GeoReport v2: the service list, posting a request (form-urlencoded as in the
//! standard's example, and JSON) into the same intake as the window, reading requests back within
//! the token user's jurisdiction, and errors in the standard's shape.

use axum::http::Method;
use serde_json::{Value, json};

use crate::support::{Auth, PHONE, Place, Resp, TestApp, VILLAGE_A, VILLAGE_B, str_of};

const FORM: &str = "application/x-www-form-urlencoded";

fn key(auth: &Auth) -> &str {
    match auth {
        Auth::Bearer(t) => t,
        other => panic!("not a bearer token: {other:?}"),
    }
}

/// A request in the style of the standard's example (`POST requests.json`), as a form body.
fn example_form(api_key: &str, service_code: &str, jurisdiction_id: &str) -> Vec<(String, String)> {
    [
        ("api_key", api_key),
        ("jurisdiction_id", jurisdiction_id),
        ("service_code", service_code),
        ("lat", "30.2741"),
        ("long", "120.1551"),
        ("address_string", "东门村3组12号"),
        ("email", "zhangsan@example.cn"),
        ("device_id", "tt222111"),
        ("account_id", "123456"),
        ("first_name", "三"),
        ("last_name", "张"),
        ("phone", PHONE),
        (
            "description",
            "在村口砖厂干了半年活，老板拖欠工资两万元一直不给，快过年了。",
        ),
        ("media_url", "https://example.cn/photos/ious.jpg"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

async fn post_form(app: &TestApp, path: &str, fields: &[(String, String)]) -> Resp {
    let body = serde_urlencoded::to_string(fields).expect("a form body");
    app.req(Method::POST, path).raw(FORM, body).send().await
}

/// Asserts an Open311 error: the status, and a body `[{"code": status, "description": …}]`.
#[track_caller]
fn expect_open311_error(res: &Resp, status: u16) -> String {
    let body = res.expect(status);
    let errors = body.as_array().expect("an error list");
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["code"], status, "{body}");
    errors[0]["description"]
        .as_str()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| panic!("an error has a description: {body}"))
        .to_owned()
}

/// Posts the example request as `auth`; returns the new service_request_id (case number).
async fn post_example(app: &TestApp, auth: &Auth) -> String {
    let res = post_form(
        app,
        "/open311/v2/requests.json",
        &example_form(key(auth), "labour", VILLAGE_A),
    )
    .await;
    let body = res.expect(201);
    let created = body.as_array().expect("a list");
    assert_eq!(created.len(), 1, "{body}");
    assert!(created[0]["account_id"].is_null(), "{body}");
    let number = str_of(&created[0], "service_request_id").to_owned();
    assert!(
        str_of(&created[0], "service_notice").contains(&number),
        "{body}"
    );
    number
}

/// The hejie view of the case with this number, as `auth` sees it.
async fn case_by_number(app: &TestApp, auth: &Auth, number: &str) -> Value {
    let list = app.get(auth, "/api/v1/cases?limit=200").await.expect(200);
    let id = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["number"] == number)
        .map(|c| str_of(c, "id").to_owned())
        .unwrap_or_else(|| panic!("case {number} in the list: {list}"));
    app.get(auth, &format!("/api/v1/cases/{id}"))
        .await
        .expect(200)
}

#[tokio::test]
async fn the_service_list_has_the_eighteen_dispute_types_and_is_public() {
    let app = TestApp::new().await;
    let services = app
        .get(
            &Auth::None,
            "/open311/v2/services.json?jurisdiction_id=339021",
        )
        .await
        .expect(200);
    let services = services.as_array().expect("a list");
    assert_eq!(services.len(), 18);
    let labour = services
        .iter()
        .find(|s| s["service_code"] == "labour")
        .expect("labour");
    assert_eq!(labour["service_name"], "劳动争议");
    assert_eq!(labour["metadata"], false);
    assert_eq!(labour["type"], "realtime");
    assert_eq!(labour["group"], "矛盾纠纷");
    assert!(str_of(labour, "keywords").contains("欠薪"));
    assert!(!str_of(labour, "description").is_empty());
    let names: Vec<_> = services
        .iter()
        .map(|s| str_of(s, "service_name").to_owned())
        .collect();
    for name in [
        "婚姻家庭",
        "邻里",
        "房屋宅基地",
        "山林土地",
        "合同",
        "生产经营",
        "损害赔偿",
        "劳动争议",
        "征地拆迁",
        "物业",
        "医疗",
        "道路交通事故",
        "消费",
        "电子商务",
        "环境污染",
        "涉渔涉海",
        "赡养",
        "其他",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }

    let xml = app.get(&Auth::None, "/open311/v2/services.xml").await;
    assert_eq!(xml.status.as_u16(), 200);
    assert!(
        xml.header("content-type")
            .is_some_and(|c| c.starts_with("text/xml"))
    );
    assert!(
        xml.text.contains(
            "<services><service><service_code>marriage_family</service_code>\
             <service_name>婚姻家庭</service_name>"
        ),
        "{}",
        xml.text
    );
    assert_eq!(xml.text.matches("<service>").count(), 18);
    assert!(
        xml.text
            .contains("<metadata>false</metadata><type>realtime</type>")
    );
}

#[tokio::test]
async fn a_posted_request_is_registered_as_a_case_through_the_same_intake() {
    let app = TestApp::new().await;
    let clerk = app.bearer("a-window_clerk").await;
    let number = post_example(&app, &clerk).await;

    let case = case_by_number(&app, &clerk, &number).await;
    assert_eq!(case["status"]["code"], "registered");
    assert_eq!(case["channel"]["code"], "hotline_12345");
    assert_eq!(case["dispute_type"]["code"], "labour");
    assert_eq!(case["division"], VILLAGE_A);
    assert_eq!(case["address"], "东门村3组12号");
    assert!(
        str_of(&case, "description").starts_with("在村口砖厂干了半年活"),
        "{case}"
    );
    assert!(
        str_of(&case, "description").contains("https://example.cn/photos/ious.jpg"),
        "{case}"
    );
    let parties = case["parties"].as_array().expect("parties");
    assert_eq!(parties.len(), 1, "{case}");
    assert_eq!(parties[0]["name"], "张三");
    assert_eq!(parties[0]["role"]["code"], "applicant");
    assert_eq!(parties[0]["phone"], "138****5678");
    // The received-by organisation is the clerk's centre, which holds the case.
    assert_eq!(
        case["holder"]["organisation_name"],
        app.fx.orgs.centre_a.name
    );
    // Nothing of the unkept fields reached the record.
    assert!(!case.to_string().contains("zhangsan@example.cn"));

    // JSON bodies are accepted too, numbers as numbers; an anonymous reporter is named so.
    let res = app
        .req(Method::POST, "/open311/v2/requests.json")
        .json(&json!({
            "api_key": key(&clerk), "jurisdiction_id": VILLAGE_A, "service_code": "邻里",
            "lat": 30.27, "long": 120.15, "description": "楼上邻居半夜装修，噪音很大。",
        }))
        .send()
        .await;
    let body = res.expect(201);
    let second = str_of(&body[0], "service_request_id");
    assert_ne!(second, number);
    let case = case_by_number(&app, &clerk, second).await;
    assert_eq!(case["dispute_type"]["code"], "neighbour");
    assert_eq!(case["parties"][0]["name"], "匿名反映人");
    assert!(case["parties"][0]["phone"].is_null());

    // As the `open311` client libraries send it: api_key and jurisdiction_id in the query.
    let mut form = example_form("", "damages", VILLAGE_A);
    form.retain(|(k, _)| k != "api_key" && k != "jurisdiction_id");
    let res = app
        .req(
            Method::POST,
            &format!(
                "/open311/v2/requests.json?jurisdiction_id={VILLAGE_A}&api_key={}",
                key(&clerk)
            ),
        )
        .raw(FORM, serde_urlencoded::to_string(&form).expect("a form"))
        .send()
        .await;
    let body = res.expect(201);
    let case = case_by_number(&app, &clerk, str_of(&body[0], "service_request_id")).await;
    assert_eq!(case["dispute_type"]["code"], "damages");

    // The XML variant answers in the standard's elements.
    let body = serde_urlencoded::to_string(example_form(key(&clerk), "contract", VILLAGE_A))
        .expect("a form");
    let res = app
        .req(Method::POST, "/open311/v2/requests.xml")
        .raw(FORM, body)
        .send()
        .await;
    assert_eq!(res.status.as_u16(), 201, "{}", res.text);
    assert!(
        res.text
            .contains("<service_requests><request><service_request_id>339021-"),
        "{}",
        res.text
    );
    assert!(res.text.contains("<account_id/>"), "{}", res.text);
}

#[tokio::test]
async fn a_missing_or_unknown_api_key_is_a_403_in_the_open311_shape() {
    let app = TestApp::new().await;
    let clerk = app.bearer("a-window_clerk").await;
    let number = post_example(&app, &clerk).await;

    let mut without: Vec<_> = example_form("", "labour", VILLAGE_A);
    without.retain(|(k, _)| k != "api_key");
    let d = expect_open311_error(
        &post_form(&app, "/open311/v2/requests.json", &without).await,
        403,
    );
    assert!(d.contains("api_key"), "{d}");
    expect_open311_error(
        &post_form(
            &app,
            "/open311/v2/requests.json",
            &example_form("not-a-token", "labour", VILLAGE_A),
        )
        .await,
        403,
    );
    // An empty body is no better.
    expect_open311_error(
        &app.req(Method::POST, "/open311/v2/requests.json")
            .raw(FORM, "")
            .send()
            .await,
        403,
    );
    for path in [
        "/open311/v2/requests.json".to_owned(),
        "/open311/v2/requests.json?api_key=not-a-token".to_owned(),
        format!("/open311/v2/requests/{number}.json"),
    ] {
        expect_open311_error(&app.get(&Auth::None, &path).await, 403);
    }
    // A browser session is not an api_key (its cookie must not stand in for one).
    let session = Auth::Session(app.login("a-window_clerk").await);
    expect_open311_error(&app.get(&session, "/open311/v2/requests.json").await, 403);
    // The XML variant answers errors in XML.
    let res = app.get(&Auth::None, "/open311/v2/requests.xml").await;
    assert_eq!(res.status.as_u16(), 403);
    assert!(
        res.text
            .contains("<errors><error><code>403</code><description>"),
        "{}",
        res.text
    );
    // `Authorization: Bearer` works in place of api_key.
    let listed = app
        .get(&clerk, "/open311/v2/requests.json")
        .await
        .expect(200);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn invalid_requests_are_400_and_foreign_places_403() {
    let app = TestApp::new().await;
    let clerk = app.bearer("a-window_clerk").await;
    let k = key(&clerk);
    let with = |field: &str, value: &str| {
        let mut form = example_form(k, "labour", VILLAGE_A);
        form.retain(|(f, _)| f != field);
        if !value.is_empty() {
            form.push((field.to_owned(), value.to_owned()));
        }
        form
    };
    for (field, value, mentions) in [
        ("service_code", "pothole", "service_code"),
        ("service_code", "", "service_code"),
        ("jurisdiction_id", "", "jurisdiction_id"),
        ("jurisdiction_id", "city.gov", "jurisdiction_id"),
        ("jurisdiction_id", "339021100299", "jurisdiction_id"),
        ("phone", "12345", "phone"),
        ("lat", "north", "lat"),
        ("lat", "", "lat"),
        ("media_url", "javascript:alert(1)", "media_url"),
        ("description", "", "description"),
    ] {
        let res = post_form(&app, "/open311/v2/requests.json", &with(field, value)).await;
        assert_eq!(res.status.as_u16(), 400, "{field}={value}: {}", res.text);
        let d = expect_open311_error(&res, 400);
        assert!(d.contains(mentions), "{field}={value}: {d}");
    }
    // A village of the other township is outside the clerk's jurisdiction.
    let res = post_form(
        &app,
        "/open311/v2/requests.json",
        &example_form(k, "labour", VILLAGE_B),
    )
    .await;
    expect_open311_error(&res, 403);
    // A role that may not register cases is refused too.
    let resident = app.bearer("a-resident").await;
    let res = post_form(
        &app,
        "/open311/v2/requests.json",
        &example_form(key(&resident), "labour", VILLAGE_A),
    )
    .await;
    expect_open311_error(&res, 403);
    // Nothing was registered.
    let listed = app.get(&clerk, "/api/v1/cases").await.expect(200);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn requests_are_listed_and_read_back_with_the_standard_fields() {
    let app = TestApp::new().await;
    let clerk = app.bearer("a-window_clerk").await;
    let k = key(&clerk).to_owned();
    let number = post_example(&app, &clerk).await;

    let list = app
        .get(
            &Auth::None,
            &format!("/open311/v2/requests.json?api_key={k}"),
        )
        .await
        .expect(200);
    let list = list.as_array().expect("a list");
    assert_eq!(list.len(), 1);
    let r = &list[0];
    assert_eq!(r["service_request_id"], number);
    assert_eq!(r["status"], "open");
    assert_eq!(r["status_notes"], "待受理");
    assert_eq!(r["service_code"], "labour");
    assert_eq!(r["service_name"], "劳动争议");
    assert_eq!(
        r["description"],
        "在村口砖厂干了半年活，老板拖欠工资两万元一直不给，快过年了。"
    );
    assert_eq!(r["media_url"], "https://example.cn/photos/ious.jpg");
    assert_eq!(r["agency_responsible"], app.fx.orgs.centre_a.name);
    assert_eq!(r["address"], "东门村3组12号");
    assert_eq!(r["lat"], 30.2741);
    assert_eq!(r["long"], 120.1551);
    for field in ["address_id", "zipcode", "service_notice"] {
        assert!(r[field].is_null(), "{field}: {r}");
    }
    for field in [
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
    ] {
        let t = str_of(r, field);
        assert!(t.len() == 25 && t.ends_with("+08:00"), "{field}: {t}");
    }
    // No personal data of the parties.
    assert!(!r.to_string().contains("5678"), "{r}");

    // One request, as a one-element list, in JSON and in XML.
    let one = app
        .get(
            &Auth::None,
            &format!("/open311/v2/requests/{number}.json?api_key={k}"),
        )
        .await
        .expect(200);
    assert_eq!(one.as_array().map(Vec::len), Some(1));
    assert_eq!(&one[0], r);
    let xml = app
        .get(
            &Auth::None,
            &format!("/open311/v2/requests/{number}.xml?api_key={k}"),
        )
        .await;
    assert_eq!(xml.status.as_u16(), 200, "{}", xml.text);
    assert!(
        xml.text.contains(&format!(
            "<service_requests><request><service_request_id>{number}</service_request_id>\
             <status>open</status>"
        )),
        "{}",
        xml.text
    );
    assert!(xml.text.contains("<zipcode/>"), "{}", xml.text);
    // Unknown ids and formats are 404 in the Open311 shape.
    for path in [
        format!("/open311/v2/requests/339021-2020-99999.json?api_key={k}"),
        format!("/open311/v2/requests/not-a-number.json?api_key={k}"),
        format!("/open311/v2/requests/{number}.csv?api_key={k}"),
    ] {
        expect_open311_error(&app.get(&Auth::None, &path).await, 404);
    }

    // Filters: status, service_code, dates, ids, jurisdiction.
    let count = |q: String| {
        let app = &app;
        let k = k.clone();
        async move {
            let res = app
                .get(
                    &Auth::None,
                    &format!("/open311/v2/requests.json?api_key={k}&{q}"),
                )
                .await;
            res.expect(200).as_array().map_or(0, Vec::len)
        }
    };
    assert_eq!(count("status=open".into()).await, 1);
    assert_eq!(count("status=closed".into()).await, 0);
    assert_eq!(count("status=open,closed".into()).await, 1);
    assert_eq!(count("service_code=labour".into()).await, 1);
    assert_eq!(count("service_code=neighbour".into()).await, 0);
    assert_eq!(count("service_code=neighbour,labour".into()).await, 1);
    assert_eq!(count("start_date=2000-01-01T00:00:00Z".into()).await, 1);
    assert_eq!(
        count("start_date=2999-01-01T00:00:00%2B08:00".into()).await,
        0
    );
    assert_eq!(count("end_date=2000-01-01".into()).await, 0);
    assert_eq!(
        count(format!("service_request_id={number},339021-2020-99999")).await,
        1
    );
    assert_eq!(count(format!("jurisdiction_id={VILLAGE_A}")).await, 1);
    for (q, status) in [
        ("status=pending", 400),
        ("service_code=pothole", 400),
        ("start_date=yesterday", 400),
        ("jurisdiction_id=339021101000", 403),
    ] {
        let res = app
            .get(
                &Auth::None,
                &format!("/open311/v2/requests.json?api_key={k}&{q}"),
            )
            .await;
        expect_open311_error(&res, status);
    }

    // A declined case is closed.
    let case = case_by_number(&app, &clerk, &number).await;
    app.command(
        &clerk,
        str_of(&case, "id"),
        "decline",
        json!({ "reason": "属于劳动仲裁范围", "guidance": "已引导申请人向劳动人事争议仲裁委员会申请仲裁" }),
    )
    .await;
    let closed = app
        .get(
            &Auth::None,
            &format!("/open311/v2/requests.json?api_key={k}&status=closed"),
        )
        .await
        .expect(200);
    assert_eq!(closed[0]["status"], "closed");
    assert_eq!(closed[0]["status_notes"], "不予受理");
    assert!(closed[0]["expected_datetime"].is_null());
}

#[tokio::test]
async fn a_case_in_another_township_is_invisible() {
    let app = TestApp::new().await;
    let clerk_a = app.bearer("a-window_clerk").await;
    let clerk_b = app.bearer("b-window_clerk").await;
    let in_a = post_example(&app, &clerk_a).await;
    let in_b = str_of(
        &app.register(&clerk_b, Place::B, "上溪村两户因排水沟堵塞发生争执。")
            .await,
        "number",
    )
    .to_owned();

    for (auth, mine, theirs) in [(&clerk_a, &in_a, &in_b), (&clerk_b, &in_b, &in_a)] {
        let k = key(auth);
        let list = app
            .get(
                &Auth::None,
                &format!("/open311/v2/requests.json?api_key={k}"),
            )
            .await
            .expect(200);
        let ids: Vec<_> = list
            .as_array()
            .expect("a list")
            .iter()
            .map(|r| str_of(r, "service_request_id").to_owned())
            .collect();
        assert_eq!(ids, [mine.as_str()]);
        expect_open311_error(
            &app.get(
                &Auth::None,
                &format!("/open311/v2/requests/{theirs}.json?api_key={k}"),
            )
            .await,
            404,
        );
        let asked = app
            .get(
                &Auth::None,
                &format!("/open311/v2/requests.json?api_key={k}&service_request_id={theirs}"),
            )
            .await
            .expect(200);
        assert_eq!(asked, json!([]));
    }
    // The county sees both.
    let county = app.bearer("county-supervisor").await;
    let list = app
        .get(
            &Auth::None,
            &format!("/open311/v2/requests.json?api_key={}", key(&county)),
        )
        .await
        .expect(200);
    assert_eq!(list.as_array().map(Vec::len), Some(2));
}
