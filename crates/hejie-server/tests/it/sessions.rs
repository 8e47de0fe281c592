//! 安排调解: a scheduled session texts the parties an invitation at once and a reminder the day
//! before (durable scheduler jobs), reminds the mediating staff, and is offered as an `.ics`
//! file for any calendar.

use hejie_domain::timestamp::{CST, Timestamp};
use hejie_server::workflow::scheduler;
use serde_json::json;

use crate::support::{PHONE, Place, TestApp, accept_body, str_of};

fn local(t: Timestamp) -> String {
    let d = t.to_datetime().to_offset(CST);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute()
    )
}

#[tokio::test]
async fn a_scheduled_session_invites_and_reminds_the_parties_and_goes_into_calendars() {
    let app = TestApp::new().await;
    let clerk = app.bearer("a-window_clerk").await;
    let case = app
        .register(&clerk, Place::A, "两户因排水沟堵塞发生争执。")
        .await;
    let id = str_of(&case, "id").to_owned();
    let number = str_of(&case, "number").to_owned();
    app.command(&clerk, &id, "accept", accept_body()).await;
    app.assign_to_committee(&clerk, &id, Place::A).await;
    let mediator = app.bearer("a-mediator").await;
    app.command(&mediator, &id, "acknowledge", json!({})).await;

    let now = app.state.now();
    let path = format!("/api/v1/cases/{id}/schedule");
    let past = app
        .post_json(
            &mediator,
            &path,
            &json!({ "at": local(now.plus_seconds(-3600)), "mode": "in_person", "place": "东门村调解室" }),
        )
        .await
        .expect_error(400, "validation");
    assert_eq!(past["field"], "at");

    // Three days ahead, on the minute.
    let at_text = local(now.plus_seconds(3 * 86_400));
    app.post_json(
        &mediator,
        &path,
        &json!({ "at": at_text, "mode": "in_person", "place": "东门村调解室", "note": "请携带相关照片" }),
    )
    .await
    .expect(200);

    // The invitation goes out on the next pass.
    scheduler::tick(&app.state, now.plus_seconds(1))
        .await
        .expect("a pass");
    let invite = app.sms.last_to(PHONE).expect("the party was texted");
    assert!(invite.contains(&number), "{invite}");
    assert!(invite.contains("东门村调解室"), "{invite}");
    assert!(!invite.contains("提醒"), "{invite}");

    // The reminder, the day before.
    let start = {
        let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
        let dt = time::PrimitiveDateTime::parse(&at_text, &fmt).expect("a time");
        Timestamp::from_datetime(dt.assume_offset(CST))
    };
    scheduler::tick(&app.state, start.plus_seconds(-86_400 + 60))
        .await
        .expect("a pass");
    let reminder = app.sms.last_to(PHONE).expect("the reminder");
    assert!(reminder.starts_with("【和解】提醒"), "{reminder}");
    let notes = app
        .get(&mediator, "/api/v1/notifications")
        .await
        .expect(200)
        .to_string();
    assert!(notes.contains("调解提醒"), "{notes}");

    // The calendar file.
    let ics = app
        .get(&mediator, &format!("/api/v1/cases/{id}/sessions/1/ics"))
        .await;
    assert_eq!(ics.status, 200, "{}", ics.text);
    assert_eq!(
        ics.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    let d = start.to_datetime().to_offset(time::UtcOffset::UTC);
    let dtstart = format!(
        "DTSTART:{:04}{:02}{:02}T{:02}{:02}00Z",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute()
    );
    assert!(ics.text.starts_with("BEGIN:VCALENDAR\r\n"), "{}", ics.text);
    assert!(ics.text.contains(&dtstart), "{}", ics.text);
    let unfolded = ics.text.replace("\r\n ", "");
    assert!(
        unfolded.contains(&format!("SUMMARY:人民调解（案件编号{number}）")),
        "{unfolded}"
    );
    assert!(unfolded.contains("LOCATION:东门村调解室"), "{unfolded}");
    for line in ics.text.split("\r\n") {
        assert!(line.len() <= 75, "a line over 75 octets: {line}");
    }
    app.get(&mediator, &format!("/api/v1/cases/{id}/sessions/2/ics"))
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn the_obliged_party_is_reminded_three_days_before_a_duty_falls_due() {
    let app = TestApp::new().await;
    let clerk = app.bearer("a-window_clerk").await;
    let case = app
        .register(&clerk, Place::A, "两户因排水沟堵塞发生争执。")
        .await;
    let id = str_of(&case, "id").to_owned();
    app.command(&clerk, &id, "accept", accept_body()).await;
    let mediator = app.mediate(&clerk, &id, Place::A).await;
    let now = app.state.now();
    let due = now.plus_seconds(10 * 86_400).date_cst();
    app.command(
        &mediator,
        &id,
        "close",
        json!({
            "outcome": "succeeded", "agreement": "张三负责清理排水沟。",
            "obligation_party": "张三", "obligation_duty": "清理排水沟",
            "obligation_due": due.to_string(),
        }),
    )
    .await;
    // The invitation made at acceptance is dropped: mediation has started since.
    scheduler::tick(&app.state, now.plus_seconds(1))
        .await
        .expect("a pass");
    assert_eq!(app.sms.last_to(PHONE), None);
    let before = app.sms.last_to(PHONE);
    // Nothing yet a week before.
    scheduler::tick(&app.state, now.plus_seconds(3 * 86_400))
        .await
        .expect("a pass");
    assert_eq!(app.sms.last_to(PHONE), before);
    // Three days before the deadline, the obliged party is reminded.
    let remind = Timestamp::midnight_cst(due).plus_seconds(-3 * 86_400 + 60);
    scheduler::tick(&app.state, remind).await.expect("a pass");
    let text = app.sms.last_to(PHONE).expect("a reminder");
    assert!(
        text.contains(&format!(
            "您应于{}前清理排水沟",
            hejie_domain::timestamp::chinese_date(due)
        )),
        "{text}"
    );
}
