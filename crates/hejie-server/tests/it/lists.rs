//! The case list: filters and cursor pagination. Unmasking personal data.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::support::{Auth, ID_NUMBER, PHONE, Place, TestApp, accept_body, str_of};

fn numbers(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| str_of(i, "number").to_owned())
        .collect()
}

fn cst_date(days_from_today: i64) -> String {
    let cst = UtcOffset::from_hms(8, 0, 0).expect("CST");
    let d = (OffsetDateTime::now_utc().to_offset(cst) + Duration::days(days_from_today)).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[tokio::test]
async fn the_list_filters_and_pages_with_a_cursor() {
    let app = TestApp::new().await;
    let clerk = app.bearer("a-window_clerk").await;
    let mut all = Vec::new();
    for i in 0..5 {
        let mut body = crate::support::registration(Place::A, &format!("第{i}件纠纷。"));
        if i == 4 {
            body["dispute_type"] = json!("labour");
            body["grid"] = json!("");
            body["division"] = json!(Place::A.town());
        }
        let v = app
            .post_json(&clerk, "/api/v1/cases", &body)
            .await
            .expect(201);
        all.push((str_of(&v, "id").to_owned(), str_of(&v, "number").to_owned()));
    }
    let accepted = &all[1];
    app.command(&clerk, &accepted.0, "accept", accept_body())
        .await;
    let assigned = &all[2];
    app.command(&clerk, &assigned.0, "accept", accept_body())
        .await;
    let committee = app.fx.orgs.committee(Place::A).id.to_string();
    app.command(
        &clerk,
        &assigned.0,
        "assign",
        json!({ "organisation_id": committee }),
    )
    .await;

    // Newest first.
    let list = app.get(&clerk, "/api/v1/cases").await.expect(200);
    let newest_first: Vec<String> = all.iter().rev().map(|(_, n)| n.clone()).collect();
    assert_eq!(numbers(&list), newest_first);
    assert!(list["next_cursor"].is_null());
    let first = &list["items"][0];
    assert_eq!(first["status"]["code"], "registered");
    assert!(
        first["party_names"]
            .as_str()
            .is_some_and(|p| p.contains("张三"))
    );
    assert_eq!(first["overdue"], false);

    // Pages of two: 2 + 2 + 1, no repeats, nothing lost, same order.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = cursor.map_or(String::new(), |c| format!("&cursor={c}"));
        let page = app
            .get(&clerk, &format!("/api/v1/cases?limit=2{q}"))
            .await
            .expect(200);
        paged.extend(numbers(&page));
        pages += 1;
        assert!(pages <= 3, "pagination ends");
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(paged, newest_first);

    // Filters, each with the cases it must return.
    let by =
        |pick: &[usize]| -> BTreeSet<String> { pick.iter().map(|i| all[*i].1.clone()).collect() };
    let today = cst_date(0);
    let tomorrow = cst_date(1);
    let yesterday = cst_date(-1);
    let cases: Vec<(String, BTreeSet<String>)> = vec![
        ("status=registered".into(), by(&[0, 3, 4])),
        ("status=accepted".into(), by(&[1])),
        ("status=待签收".into(), by(&[2])),
        ("type=labour".into(), by(&[4])),
        ("type=邻里".into(), by(&[0, 1, 2, 3])),
        (
            format!("division={}", Place::A.village()),
            by(&[0, 1, 2, 3]),
        ),
        (format!("division={}", Place::A.grid()), by(&[0, 1, 2, 3])),
        (
            format!("division={}", Place::A.town()),
            by(&[0, 1, 2, 3, 4]),
        ),
        (format!("holder={committee}"), by(&[2])),
        (
            format!("holder={}", app.fx.orgs.centre(Place::A).id),
            by(&[0, 1, 3, 4]),
        ),
        (format!("from={today}&to={today}"), by(&[0, 1, 2, 3, 4])),
        (format!("from={tomorrow}"), by(&[])),
        (format!("to={yesterday}"), by(&[])),
        ("overdue=true".into(), by(&[])),
        ("overdue=false".into(), by(&[0, 1, 2, 3, 4])),
        ("status=registered&type=labour".into(), by(&[4])),
    ];
    for (query, expected) in cases {
        let list = app
            .get(&clerk, &format!("/api/v1/cases?{query}"))
            .await
            .expect(200);
        let got: BTreeSet<String> = numbers(&list).into_iter().collect();
        assert_eq!(got, expected, "?{query}");
    }
}

#[tokio::test]
async fn overdue_cases_are_those_open_longer_than_the_limit() {
    let app = TestApp::with_config(hejie_server::Config {
        overdue_days: 0,
        ..hejie_server::Config::default()
    })
    .await;
    let clerk = app.bearer("a-window_clerk").await;
    let open = app.register(&clerk, Place::A, "久拖未决。").await;
    let closed = app.register(&clerk, Place::A, "已经撤回。").await;
    app.command(
        &clerk,
        str_of(&closed, "id"),
        "close",
        json!({ "outcome": "withdrawn", "reason": "申请人撤回调解申请" }),
    )
    .await;
    let list = app
        .get(&clerk, "/api/v1/cases?overdue=true")
        .await
        .expect(200);
    assert_eq!(numbers(&list), [str_of(&open, "number")]);
    assert_eq!(list["items"][0]["overdue"], true);
}

#[tokio::test]
async fn unmasking_needs_the_permission_and_a_reason_and_is_recorded() {
    let app = TestApp::new().await;
    let clerk = app.bearer("a-window_clerk").await;
    let case = app.register(&clerk, Place::A, "需要联系当事人。").await;
    let id = str_of(&case, "id");
    let path = format!("/api/v1/cases/{id}/personal-data");
    let events = |auth: Auth| {
        let app = &app;
        let id = id.to_owned();
        async move {
            let list = app
                .get(&auth, &format!("/api/v1/cases/{id}/events"))
                .await
                .expect(200);
            list.as_array()
                .expect("events")
                .iter()
                .map(|e| str_of(e, "kind").to_owned())
                .collect::<Vec<_>>()
        }
    };
    let reason = "电话联系当事人确认调解时间";
    let ask = |field: &str, reason: &str, party: u32| json!({ "party": party, "field": field, "reason": reason });

    // A supervisor may see the case but not unmask it.
    let supervisor = app.bearer("a-supervisor").await;
    app.get(&supervisor, &format!("/api/v1/cases/{id}"))
        .await
        .expect(200);
    let res = app
        .post_json(&supervisor, &path, &ask("phone", reason, 0))
        .await;
    res.expect_error(403, "forbidden_role");
    assert!(!res.text.contains(PHONE));
    // A reason is required, and must say something.
    for empty in ["", "  ", "看看"] {
        let res = app.post_json(&clerk, &path, &ask("phone", empty, 0)).await;
        assert_eq!(
            res.expect_error(400, "validation")["field"],
            "reason",
            "{empty:?}"
        );
        assert!(!res.text.contains(PHONE));
    }
    // Only the two kinds of personal data, of a party that has them.
    let res = app
        .post_json(&clerk, &path, &ask("address", reason, 0))
        .await;
    assert_eq!(res.expect_error(400, "validation")["field"], "field");
    let res = app.post_json(&clerk, &path, &ask("phone", reason, 1)).await;
    assert_eq!(res.expect_error(400, "validation")["field"], "party");
    let res = app.post_json(&clerk, &path, &ask("phone", reason, 9)).await;
    assert_eq!(res.expect_error(400, "validation")["field"], "party");
    // Refusals record nothing.
    assert_eq!(
        events(clerk.clone()).await,
        ["registered", "time_limit_set"]
    );

    let phone = app
        .post_json(&clerk, &path, &ask("phone", reason, 0))
        .await
        .expect(200);
    assert_eq!(phone["value"], PHONE);
    let id_number = app
        .post_json(&clerk, &path, &ask("id_number", "核实当事人身份信息", 0))
        .await
        .expect(200);
    assert_eq!(id_number["value"], ID_NUMBER);
    assert_eq!(
        events(clerk.clone()).await,
        [
            "registered",
            "time_limit_set",
            "personal_data_viewed",
            "personal_data_viewed"
        ]
    );
    // The record says who looked and why, and never the value.
    let list = app
        .get(&supervisor, &format!("/api/v1/cases/{id}/events"))
        .await
        .expect(200);
    let viewed = &list[2];
    assert_eq!(viewed["actor"], app.fx.user("a-window_clerk").name);
    assert!(str_of(viewed, "summary").contains(reason), "{viewed}");
    assert!(!list.to_string().contains(PHONE) && !list.to_string().contains(ID_NUMBER));
    // Looking changes nothing else about the case.
    let after = app
        .get(&clerk, &format!("/api/v1/cases/{id}"))
        .await
        .expect(200);
    assert_eq!(after["status"]["code"], "registered");
    assert_eq!(after["parties"][0]["phone"], "138****5678");
}
