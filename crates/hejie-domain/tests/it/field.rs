//! Field records (issue 7), given (past events) / when (a command) / then (events or the error):
//! a grid worker's reports into the four ledgers, 就地化解, follow-up to the end, patrol logs,
//! and a legal advisor's visits (check-in against the village's fence, photos, check-out with
//! the work log), consultations and activities.

use hejie_domain::case::{CaseId, GeoPoint};
use hejie_domain::field::{
    ActivityType, Command, Event, EventBody, FenceCheck, FieldError, FieldRecord, HouseholdVisit,
    Ledger, Meta, NewActivity, NewCheckIn, NewConsultation, NewPatrol, NewReport, Photo, Position,
    RecordId, RecordStatus, TrackPoint, handle,
};
use hejie_domain::geo::{Area, Geometry};
use hejie_domain::user::{Actor, Role, UserId};
use uuid::Uuid;

use crate::support::{at, grid, village};

fn person(n: u128, name: &str, role: Role) -> Actor {
    Actor {
        id: UserId(Uuid::from_u128(n)),
        name: name.to_owned(),
        role,
        organisation: None,
    }
}

fn worker() -> Actor {
    person(0x61, "赵网格", Role::GridWorker)
}

fn other_worker() -> Actor {
    person(0x62, "钱网格", Role::GridWorker)
}

fn advisor() -> Actor {
    person(0x71, "孙律师", Role::LegalAdvisor)
}

fn id() -> RecordId {
    RecordId(Uuid::from_u128(0xF1))
}

fn meta(actor: Actor, hour: i64, division: hejie_domain::division::DivisionCode) -> Meta {
    Meta {
        actor,
        at: at(hour),
        division,
    }
}

fn photo(n: u8) -> Photo {
    Photo {
        sha256: format!("{n:064x}"),
        content_type: "image/jpeg".to_owned(),
        size: 12_000,
    }
}

fn point() -> Position {
    Position {
        point: GeoPoint::parse(29.12, 119.65).expect("valid point"),
        accuracy_m: Some(8),
    }
}

fn report(ledger: Ledger, category: &str) -> NewReport {
    NewReport {
        ledger,
        category: category.to_owned(),
        text: "  3号楼前堆放杂物堵塞消防通道  ".to_owned(),
        parties: vec!["张三".to_owned(), " ".to_owned()],
        grid: grid(),
        position: Some(point()),
        observed_at: at(0),
        photos: vec![photo(1)],
    }
}

/// Runs `when` against the record `given` folds to.
fn decide(given: &[Event], m: &Meta, when: Command) -> Result<Vec<Event>, FieldError> {
    handle(&FieldRecord::replay(given), id(), m, when)
}

fn filed(ledger: Ledger, category: &str) -> Vec<Event> {
    decide(
        &[],
        &meta(worker(), 1, grid()),
        Command::FileReport(Box::new(report(ledger, category))),
    )
    .expect("decided")
}

fn message(err: FieldError) -> String {
    err.to_string()
}

#[test]
fn a_report_lands_in_its_ledger_with_position_photo_and_trimmed_text() {
    let events = filed(Ledger::Hazard, "消防安全");
    let EventBody::ReportFiled { id: got, report } = &events[0].body else {
        panic!("expected report_filed, got {:?}", events[0].body);
    };
    assert_eq!(*got, id());
    assert_eq!(report.ledger, Ledger::Hazard);
    assert_eq!(report.text, "3号楼前堆放杂物堵塞消防通道");
    assert_eq!(report.position, Some(point()));
    assert_eq!(report.photos, vec![photo(1)]);
    assert_eq!(report.parties, vec!["张三".to_owned()]);
    let state = FieldRecord::replay(&events);
    assert_eq!(state.status, Some(RecordStatus::Open));
    assert_eq!(state.owner, Some(worker().id));
}

#[test]
fn a_report_synced_again_is_refused_as_existing_so_it_is_never_recorded_twice() {
    let given = filed(Ledger::Dispute, "邻里纠纷");
    let err = decide(
        &given,
        &meta(worker(), 2, grid()),
        Command::FileReport(Box::new(report(Ledger::Dispute, "邻里纠纷"))),
    )
    .unwrap_err();
    assert_eq!(err.code(), "exists");
}

#[test]
fn reports_that_cannot_be_what_they_say_are_refused_with_the_field() {
    fn check(edit: fn(&mut NewReport), hour: i64, field: &str, fragment: &str) {
        let mut r = report(Ledger::Hazard, "消防安全");
        edit(&mut r);
        let err = decide(
            &[],
            &meta(worker(), hour, grid()),
            Command::FileReport(Box::new(r)),
        )
        .unwrap_err();
        let FieldError::Validation(v) = &err else {
            panic!("expected a validation error, got {err:?}");
        };
        assert_eq!(v.field, field);
        assert!(
            v.message.contains(fragment),
            "{} lacks {fragment}",
            v.message
        );
    }
    check(
        |r| r.category = "邻里纠纷".to_owned(),
        1,
        "category",
        "不是安全隐患台账的类别",
    );
    check(|r| r.text = "   ".to_owned(), 1, "text", "请填写情况描述");
    check(|r| r.text = "长".repeat(2_001), 1, "text", "不能超过2000字");
    check(|r| r.grid = village(), 1, "grid", "网格编码的层级不正确");
    // The phone's clock ran an hour ahead of the server's.
    check(|r| r.observed_at = at(2), 1, "observed_at", "晚于当前时间");
    // Queued for 31 days.
    check(
        |r| r.observed_at = at(0),
        31 * 24 + 1,
        "observed_at",
        "早于30天前",
    );
    check(
        |r| r.photos = (0..7).map(photo).collect(),
        1,
        "photos",
        "不能超过6张",
    );
    fn dispute_without_parties(r: &mut NewReport) {
        r.ledger = Ledger::Dispute;
        r.category = "邻里纠纷".to_owned();
        r.parties = vec!["  ".to_owned()];
    }
    check(dispute_without_parties, 1, "parties", "至少填写一名当事人");
}

#[test]
fn only_a_grid_worker_files_reports_and_patrols() {
    let err = decide(
        &[],
        &meta(advisor(), 1, grid()),
        Command::FileReport(Box::new(report(Ledger::Hazard, "消防安全"))),
    )
    .unwrap_err();
    assert_eq!(err.code(), "forbidden");
}

#[test]
fn a_dispute_is_resolved_on_the_spot_only_with_a_record_and_a_party_confirming() {
    let given = filed(Ledger::Dispute, "邻里纠纷");
    let m = meta(worker(), 2, grid());
    let refused = decide(
        &given,
        &m,
        Command::ResolveOnSpot {
            record: "双方同意各退一步".to_owned(),
            confirmed_by: vec!["  ".to_owned()],
        },
    )
    .unwrap_err();
    assert!(message(refused).contains("须经当事人确认"));

    let events = decide(
        &given,
        &m,
        Command::ResolveOnSpot {
            record: "双方同意各退一步，杂物当天清走".to_owned(),
            confirmed_by: vec!["张三".to_owned(), " 李四 ".to_owned()],
        },
    )
    .expect("decided");
    assert_eq!(
        events[0].body,
        EventBody::ResolvedOnSpot {
            record: "双方同意各退一步，杂物当天清走".to_owned(),
            confirmed_by: vec!["张三".to_owned(), "李四".to_owned()],
        }
    );
    let all = [given, events].concat();
    assert_eq!(
        FieldRecord::replay(&all).status,
        Some(RecordStatus::ResolvedOnSpot)
    );
    // Once resolved it is neither resolved again nor turned into a case.
    let again = decide(
        &all,
        &m,
        Command::LinkCase {
            case_id: CaseId(Uuid::from_u128(9)),
            number: "339021-2026-00001".to_owned(),
        },
    )
    .unwrap_err();
    assert_eq!(again.code(), "not_open");
}

#[test]
fn a_hazard_is_not_resolved_on_the_spot_as_a_dispute_would_be() {
    let given = filed(Ledger::Hazard, "消防安全");
    let err = decide(
        &given,
        &meta(worker(), 2, grid()),
        Command::ResolveOnSpot {
            record: "已清理".to_owned(),
            confirmed_by: vec!["张三".to_owned()],
        },
    )
    .unwrap_err();
    assert_eq!(err.code(), "not_a_dispute");
}

#[test]
fn a_dispute_not_settled_becomes_a_case_and_stays_linked_to_it() {
    let given = filed(Ledger::Dispute, "劳资纠纷");
    let case_id = CaseId(Uuid::from_u128(9));
    let events = decide(
        &given,
        &meta(worker(), 2, grid()),
        Command::LinkCase {
            case_id,
            number: "339021-2026-00001".to_owned(),
        },
    )
    .expect("decided");
    let state = FieldRecord::replay(&[given, events].concat());
    assert_eq!(state.status, Some(RecordStatus::BecameCase));
    assert_eq!(state.case, Some((case_id, "339021-2026-00001".to_owned())));
}

#[test]
fn a_report_is_followed_until_it_is_closed_and_then_no_more() {
    let given = filed(Ledger::Livelihood, "为老服务");
    let m = meta(worker(), 3, grid());
    let progress = decide(
        &given,
        &m,
        Command::FollowUp {
            note: "已联系村委会".to_owned(),
            close: false,
        },
    )
    .expect("decided");
    let given = [given, progress].concat();
    assert_eq!(FieldRecord::replay(&given).status, Some(RecordStatus::Open));
    let closing = decide(
        &given,
        &m,
        Command::FollowUp {
            note: "助餐服务已落实".to_owned(),
            close: true,
        },
    )
    .expect("decided");
    let given = [given, closing].concat();
    assert_eq!(
        FieldRecord::replay(&given).status,
        Some(RecordStatus::Closed)
    );
    let err = decide(
        &given,
        &m,
        Command::FollowUp {
            note: "再次回访".to_owned(),
            close: false,
        },
    )
    .unwrap_err();
    assert_eq!(err.code(), "not_open");
}

#[test]
fn a_patrol_keeps_its_track_in_time_order_and_refuses_an_end_before_its_start() {
    let track = |h| TrackPoint {
        point: GeoPoint::parse(29.12, 119.65).expect("valid point"),
        at: at(h),
    };
    let patrol = NewPatrol {
        grid: grid(),
        started_at: at(0),
        ended_at: at(2),
        track: vec![track(2), track(0), track(1)],
        visits: vec![HouseholdVisit {
            household: "独居老人王某".to_owned(),
            note: "身体尚好".to_owned(),
            at: at(1),
        }],
        note: String::new(),
    };
    let events = decide(
        &[],
        &meta(worker(), 3, grid()),
        Command::LogPatrol(Box::new(patrol.clone())),
    )
    .expect("decided");
    let EventBody::PatrolLogged { patrol: got, .. } = &events[0].body else {
        panic!("expected patrol_logged");
    };
    let hours: Vec<_> = got.track.iter().map(|t| t.at).collect();
    assert_eq!(hours, vec![at(0), at(1), at(2)]);

    let backwards = NewPatrol {
        ended_at: at(-1),
        ..patrol
    };
    let err = decide(
        &[],
        &meta(worker(), 3, grid()),
        Command::LogPatrol(Box::new(backwards)),
    )
    .unwrap_err();
    assert!(message(err).contains("结束时间早于开始时间"));
}

/// A 1 km square village around (119.65, 29.12).
fn square_village() -> Area {
    let (w, e, s, n) = (119.645, 119.655, 29.115, 29.125);
    Area::from_geometry(&Geometry::Polygon {
        coordinates: vec![vec![[w, s], [e, s], [e, n], [w, n]]],
    })
    .expect("decided")
}

#[test]
fn the_fence_flags_a_check_in_outside_the_village_but_never_refuses_it() {
    let area = square_village();
    let inside = GeoPoint::parse(29.12, 119.65).ok();
    // About 30 m north of the northern edge, then about 300 m.
    let near = GeoPoint::parse(29.12527, 119.65).ok();
    let far = GeoPoint::parse(29.1277, 119.65).ok();
    assert_eq!(
        FenceCheck::judge(Some(&area), inside, 50.0),
        FenceCheck::Inside
    );
    let FenceCheck::WithinTolerance { metres } = FenceCheck::judge(Some(&area), near, 50.0) else {
        panic!("30 m out should be within a 50 m tolerance");
    };
    assert!((25..=35).contains(&metres), "{metres}");
    let outside = FenceCheck::judge(Some(&area), far, 50.0);
    assert!(matches!(outside, FenceCheck::Outside { metres } if (290..=320).contains(&metres)));
    assert!(outside.flagged());
    assert!(FenceCheck::judge(None, inside, 50.0).flagged());
    assert!(FenceCheck::judge(Some(&area), None, 50.0).flagged());

    // Recorded, with the flag, not refused.
    let events = decide(
        &[],
        &meta(advisor(), 1, village()),
        Command::CheckIn(Box::new(NewCheckIn {
            village: village(),
            position: far.map(|point| Position {
                point,
                accuracy_m: Some(10),
            }),
            fence: outside,
            photo: Some(photo(2)),
        })),
    )
    .expect("decided");
    let state = FieldRecord::replay(&events);
    assert_eq!(state.status, Some(RecordStatus::CheckedIn));
    assert!(state.check_in.unwrap().fence.flagged());
}

fn checked_in() -> Vec<Event> {
    decide(
        &[],
        &meta(advisor(), 1, village()),
        Command::CheckIn(Box::new(NewCheckIn {
            village: village(),
            position: Some(point()),
            fence: FenceCheck::Inside,
            photo: None,
        })),
    )
    .expect("decided")
}

#[test]
fn a_visit_takes_photos_then_checks_out_with_its_work_log_once() {
    let m = meta(advisor(), 2, village());
    let given = checked_in();
    let photo_added = decide(&given, &m, Command::AddPhoto { photo: photo(3) }).expect("decided");
    let given = [given, photo_added].concat();
    let no_log = decide(
        &given,
        &m,
        Command::CheckOut {
            position: Some(point()),
            fence: FenceCheck::Inside,
            log: " ".to_owned(),
        },
    )
    .unwrap_err();
    assert!(message(no_log).contains("请填写工作日志"));
    let out = decide(
        &given,
        &m,
        Command::CheckOut {
            position: Some(point()),
            fence: FenceCheck::Inside,
            log: "走访村委会，排查土地流转纠纷两起".to_owned(),
        },
    )
    .expect("decided");
    let given = [given, out].concat();
    let state = FieldRecord::replay(&given);
    assert_eq!(state.status, Some(RecordStatus::CheckedOut));
    assert_eq!(state.photos, vec![photo(3)]);
    let twice = decide(
        &given,
        &m,
        Command::CheckOut {
            position: None,
            fence: FenceCheck::NoPosition,
            log: "再签退".to_owned(),
        },
    )
    .unwrap_err();
    assert_eq!(twice.code(), "not_checked_in");
    let late_photo = decide(&given, &m, Command::AddPhoto { photo: photo(4) }).unwrap_err();
    assert_eq!(late_photo.code(), "not_checked_in");
}

#[test]
fn nobody_adds_to_another_persons_visit_or_report() {
    let visit = checked_in();
    let err = decide(
        &visit,
        &meta(person(0x72, "周律师", Role::LegalAdvisor), 2, village()),
        Command::AddPhoto { photo: photo(5) },
    )
    .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let report = filed(Ledger::Dispute, "邻里纠纷");
    let err = decide(
        &report,
        &meta(other_worker(), 2, grid()),
        Command::ResolveOnSpot {
            record: "已调解".to_owned(),
            confirmed_by: vec!["张三".to_owned()],
        },
    )
    .unwrap_err();
    assert_eq!(err.code(), "forbidden");
}

#[test]
fn a_consultation_keeps_question_answer_and_referral_and_an_unnamed_asker_is_anonymous() {
    let events = decide(
        &[],
        &meta(advisor(), 1, village()),
        Command::LogConsultation(Box::new(NewConsultation {
            village: village(),
            asker: " ".to_owned(),
            question: "工资被拖欠三个月怎么办？".to_owned(),
            answer: "可申请劳动仲裁，符合条件的可申请法律援助".to_owned(),
            legal_aid: true,
            visit: None,
        })),
    )
    .expect("decided");
    let EventBody::ConsultationLogged { consultation, .. } = &events[0].body else {
        panic!("expected consultation_logged");
    };
    assert_eq!(consultation.asker, "匿名");
    assert!(consultation.legal_aid);
}

#[test]
fn an_activity_needs_a_title_and_only_an_advisor_logs_it() {
    let talk = |title: &str| NewActivity {
        village: village(),
        activity: ActivityType::Talk,
        title: title.to_owned(),
        audience: 40,
        note: String::new(),
        held_at: at(0),
        photos: vec![],
    };
    let err = decide(
        &[],
        &meta(advisor(), 1, village()),
        Command::LogActivity(Box::new(talk(""))),
    )
    .unwrap_err();
    assert!(message(err).contains("请填写活动主题"));
    let err = decide(
        &[],
        &meta(worker(), 1, village()),
        Command::LogActivity(Box::new(talk("民法典进村"))),
    )
    .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    assert!(
        decide(
            &[],
            &meta(advisor(), 1, village()),
            Command::LogActivity(Box::new(talk("民法典进村")))
        )
        .is_ok()
    );
}
