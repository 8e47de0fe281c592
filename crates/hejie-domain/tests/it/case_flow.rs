//! The closed loop on the case aggregate: time limits recorded by policy, the two clocks
//! (escalation resets the stage clock, never the overall one), pauses, reminders and overdue marks
//! recorded once per stage, the direction of hand-overs, referrals with receipts, reopening.

use hejie_domain::calendar::WorkCalendar;
use hejie_domain::case::{
    CaseState, ClockKind, Command, Meta, PauseReason, ReferralTarget, Satisfaction, Status, handle,
};
use hejie_domain::clock::Limit;
use hejie_domain::limits::LimitPolicy;
use hejie_domain::timestamp::Timestamp;
use hejie_domain::{DomainError, case::ContactMethod};

use crate::support::*;

/// Runs a command and the policy's companions on a state, like the application does.
fn run(state: &mut CaseState, meta: Meta, command: Command) -> Result<(), DomainError> {
    let policy = LimitPolicy::default();
    let events = handle(state, meta.clone(), command)?;
    for e in &events {
        state.apply(e);
    }
    let after = state.case().expect("registered").clone();
    for c in policy.companions(&after, &events) {
        for e in handle(state, meta.clone(), c)? {
            state.apply(&e);
        }
    }
    Ok(())
}

/// 2026-11-23 (Monday) `h:m` CST plus `days` calendar days.
fn t(days: i64, h: i64, m: i64) -> Timestamp {
    // 2026-11-23 00:00 CST = 2026-11-22 16:00 UTC.
    Timestamp::from_micros(1_795_363_200_000_000).plus_seconds(days * 86_400 + h * 3600 + m * 60)
}

fn at_time(actor: hejie_domain::user::Actor, when: Timestamp) -> Meta {
    let mut m = meta(actor, 0);
    m.at = when;
    m
}

/// A case registered Monday 09:00, accepted, dispatched to the village committee at 09:30 and
/// signed for at 10:00.
fn village_case() -> CaseState {
    let mut st = CaseState::default();
    let mut reg = register();
    reg.dispute_type = None;
    run(&mut st, at_time(clerk(), t(0, 9, 0)), register_cmd(reg)).expect("register");
    run(
        &mut st,
        at_time(clerk(), t(0, 9, 10)),
        Command::Accept {
            dispute_type: hejie_domain::case::DisputeType::Neighbour,
            severity: hejie_domain::case::Severity::Ordinary,
            track: hejie_domain::case::Track::Clinic,
            note: None,
        },
    )
    .expect("accept");
    run(
        &mut st,
        at_time(clerk(), t(0, 9, 30)),
        Command::Assign {
            organisation: committee(),
            person: None,
            note: None,
        },
    )
    .expect("assign");
    run(
        &mut st,
        at_time(mediator(), t(0, 10, 0)),
        Command::Acknowledge { person: None },
    )
    .expect("acknowledge");
    st
}

#[test]
fn policy_records_limits_for_each_stage_and_the_overall_clock_once() {
    let st = village_case();
    let c = st.case().expect("case");
    let overall = c.clocks.overall.expect("overall clock set at acceptance");
    assert_eq!(
        overall.started, c.registered_at,
        "overall counts from registration"
    );
    assert_eq!(overall.limit, Limit::calendar_days(30));
    let stage = c.clocks.stage.as_ref().expect("stage");
    assert_eq!(
        stage.no, 2,
        "intake was stage 1, the committee's is stage 2"
    );
    assert_eq!(stage.since, t(0, 9, 30));
    assert_eq!(stage.acknowledge, None, "signed for: no acknowledge clock");
    assert_eq!(
        stage.resolve.expect("resolve").limit,
        Limit::working_days(7),
        "village level: 小事不出村, 7 working days"
    );
}

#[test]
fn escalation_resets_the_stage_clock_but_not_the_overall_one() {
    let mut st = village_case();
    let before = st.case().expect("case").clocks.overall;
    run(
        &mut st,
        at_time(mediator(), t(2, 14, 0)),
        Command::Escalate {
            to: centre(),
            reason: "涉及宅基地确权，村级无法调处".to_owned(),
        },
    )
    .expect("escalate");
    let c = st.case().expect("case");
    assert_eq!(c.status, Status::Assigned, "the township must sign for it");
    assert_eq!(c.holder.as_ref().expect("holder").organisation, centre());
    assert_eq!(c.clocks.overall, before, "overall clock untouched");
    let stage = c.clocks.stage.as_ref().expect("stage");
    assert_eq!(stage.no, 3);
    assert_eq!(stage.since, t(2, 14, 0));
    assert_eq!(stage.acknowledge.expect("ack").started, t(2, 14, 0));
    assert_eq!(
        stage.resolve.expect("resolve").limit,
        Limit::working_days(10)
    );
}

/// (what happens, when it is read) → (clock, remaining working/real minutes, overdue).
#[test]
fn clocks_read_through_the_case_history() {
    let cal = WorkCalendar::china_default();
    type Step = fn(&mut CaseState);
    let escalate: Step = |st| {
        run(
            st,
            at_time(mediator(), t(1, 9, 0)),
            Command::Escalate {
                to: centre(),
                reason: "村级无法调处".to_owned(),
            },
        )
        .expect("escalate");
    };
    let pause_tue_to_thu: Step = |st| {
        run(
            st,
            at_time(mediator(), t(1, 8, 30)),
            Command::Pause {
                reason: PauseReason::Appraisal,
                note: "等待伤情鉴定结论".to_owned(),
            },
        )
        .expect("pause");
        run(
            st,
            at_time(mediator(), t(3, 8, 30)),
            Command::Resume { note: None },
        )
        .expect("resume");
    };
    let nothing: Step = |_| {};
    #[rustfmt::skip]
    let table: Vec<(&str, Step, Timestamp, ClockKind, i64, bool)> = vec![
        // Stage since Mon 09:30; 7 working days of 450 minutes = 3150; Mon 09:30→17:30 used 390.
        ("resolve at end of Monday", nothing, t(0, 17, 30), ClockKind::Resolve, 3150 - 390, false),
        // Saturday and Sunday do not count: same as Friday evening. Mon 390 + 4 × 450.
        ("resolve over the weekend", nothing, t(6, 12, 0), ClockKind::Resolve, 3150 - 390 - 4 * 450, false),
        // Next Wednesday 17:30: 390 + 6 × 450 + … overdue by a day's work after 7 working days.
        ("resolve overdue", nothing, t(9, 17, 30), ClockKind::Resolve, 3150 - 390 - 7 * 450, true),
        // Overall: 30 calendar days from Mon 09:00; at Mon 17:00 8 hours used.
        ("overall on day one", nothing, t(0, 17, 0), ClockKind::Overall, 30 * 1440 - 480, false),
        // After escalation on Tue 09:00 the township has 10 working days from then; Tue 09:00 →
        // 17:30 is 180 + 240 working minutes.
        ("resolve after escalation", escalate, t(1, 17, 30), ClockKind::Resolve, 4500 - 420, false),
        // …and the overall clock went on from registration.
        ("overall after escalation", escalate, t(1, 17, 0), ClockKind::Overall, 30 * 1440 - 1440 - 480, false),
        // Acknowledge clock of the new stage: 4 working hours from Tue 09:00, read 11:00.
        ("acknowledge after escalation", escalate, t(1, 11, 0), ClockKind::Acknowledge, 240 - 120, false),
        // Paused Tue 08:30 → Thu 08:30: Tue and Wed do not count. Thu 17:30 = Mon 390 + Thu 450.
        ("resolve with a pause", pause_tue_to_thu, t(3, 17, 30), ClockKind::Resolve, 3150 - 390 - 450, false),
        // The overall clock stands still too: Mon 09:00 → Tue 08:30, then Thu 08:30 → 17:30.
        ("overall with a pause", pause_tue_to_thu, t(3, 17, 30), ClockKind::Overall, 30 * 1440 - (23 * 60 + 30) - 9 * 60, false),
    ];
    for (name, step, now, kind, remaining, overdue) in table {
        let mut st = village_case();
        step(&mut st);
        let c = st.case().expect("case");
        let r = c.clocks.read(kind, &cal, now).expect("clock running");
        assert_eq!(
            (r.remaining_minutes, r.overdue),
            (remaining, overdue),
            "{name}"
        );
    }
}

#[test]
fn reminders_and_overdue_marks_are_recorded_once_per_stage() {
    let mut st = village_case();
    let deadline = t(10, 9, 30);
    let mark = Command::MarkOverdue {
        clock: ClockKind::Resolve,
        deadline,
    };
    assert_eq!(
        run(&mut st, at_time(clerk(), t(9, 9, 0)), mark.clone()),
        Err(DomainError::NotYetDue)
    );
    run(&mut st, at_time(clerk(), t(10, 10, 0)), mark.clone()).expect("first mark");
    assert_eq!(
        st.case().expect("case").clocks.overdue_since(),
        Some(t(10, 10, 0))
    );
    assert!(matches!(
        run(&mut st, at_time(clerk(), t(10, 11, 0)), mark.clone()),
        Err(DomainError::AlreadyRecorded(_))
    ));
    // A supervision gives a new deadline and clears the overdue mark of the resolve clock.
    let mut sup = supervisor_actor();
    sup.organisation = None;
    run(
        &mut st,
        at_time(sup, t(10, 14, 0)),
        Command::Supervise {
            limit: Limit::working_days(3),
            note: "请于3个工作日内办结并报告".to_owned(),
        },
    )
    .expect("supervise");
    let c = st.case().expect("case");
    assert_eq!(c.clocks.overdue_since(), None);
    let s = c.clocks.latest_supervision().expect("supervision");
    assert_eq!(s.note, "请于3个工作日内办结并报告");
    assert_eq!(
        c.clocks
            .stage
            .as_ref()
            .expect("stage")
            .resolve
            .expect("r")
            .started,
        t(10, 14, 0)
    );
    // The new deadline can be marked overdue again, once.
    run(&mut st, at_time(clerk(), t(20, 10, 0)), mark).expect("overdue again after supervision");
}

fn supervisor_actor() -> hejie_domain::user::Actor {
    let mut a = clerk();
    a.role = hejie_domain::user::Role::Supervisor;
    a.name = "李督办".to_owned();
    a
}

#[test]
fn hand_overs_go_in_their_direction() {
    let st = village_case();
    // Escalating to an organisation of the same village, or below, is refused.
    let mut other = committee();
    other.id = department().id;
    assert_eq!(
        handle(
            &st,
            at_time(mediator(), t(1, 9, 0)),
            Command::Escalate {
                to: other,
                reason: "理由".to_owned()
            }
        ),
        Err(DomainError::EscalateNotUpward)
    );
    // Handing down to a county department (above the village holder) is refused.
    assert_eq!(
        handle(
            &st,
            at_time(clerk(), t(1, 9, 0)),
            Command::HandDown {
                to: department(),
                instructions: "请依法处理".to_owned()
            }
        ),
        Err(DomainError::HandDownNotDownward)
    );
    // Transfer to another organisation works and starts a new stage.
    let mut st2 = st.clone();
    run(
        &mut st2,
        at_time(mediator(), t(1, 9, 0)),
        Command::Transfer {
            to: department(),
            reason: "属于劳动保障监察事项".to_owned(),
        },
    )
    .expect("transfer");
    assert_eq!(
        st2.case()
            .expect("case")
            .holder
            .as_ref()
            .expect("h")
            .organisation,
        department()
    );
}

#[test]
fn referral_waits_for_its_receipt_and_returns_when_refused() {
    let mut st = village_case();
    let refer = Command::ReferOut {
        target: ReferralTarget::Court,
        receiver: "和安县人民法院".to_owned(),
        reason: "当事人要求诉讼".to_owned(),
        remedies_informed: false,
    };
    assert_eq!(
        handle(&st, at_time(mediator(), t(1, 9, 0)), refer.clone()),
        Err(DomainError::RemediesNotInformed),
        "Art. 26: the parties must be told of the judicial remedy"
    );
    let Command::ReferOut {
        target,
        receiver,
        reason,
        ..
    } = refer
    else {
        unreachable!()
    };
    let refer = Command::ReferOut {
        target,
        receiver,
        reason,
        remedies_informed: true,
    };
    run(&mut st, at_time(mediator(), t(1, 9, 0)), refer.clone()).expect("refer");
    run(
        &mut st,
        at_time(mediator(), t(2, 9, 0)),
        Command::AnswerReferral {
            accepted: false,
            receipt: None,
            note: Some("不属于受案范围".to_owned()),
        },
    )
    .expect("refused");
    let c = st.case().expect("case");
    assert_eq!(c.status, Status::InProgress, "returned: the holder goes on");
    assert!(c.referral.is_none());
    run(&mut st, at_time(mediator(), t(3, 9, 0)), refer).expect("refer again");
    run(
        &mut st,
        at_time(mediator(), t(4, 9, 0)),
        Command::AnswerReferral {
            accepted: true,
            receipt: Some("(2026)浙0921民诉前123号".to_owned()),
            note: None,
        },
    )
    .expect("accepted");
    assert_eq!(st.case().expect("case").status, Status::Closed);
}

#[test]
fn reopening_needs_a_dissatisfied_follow_up_and_does_not_count_closed_time() {
    let mut st = village_case();
    run(
        &mut st,
        at_time(mediator(), t(1, 9, 0)),
        Command::Close {
            outcome: hejie_domain::case::Outcome::Withdrawn {
                reason: "申请人撤回".to_owned(),
            },
        },
    )
    .expect("close");
    let follow = |s: Satisfaction| Command::FollowUp {
        method: ContactMethod::Phone,
        satisfaction: s,
        agreement_performed: None,
        note: None,
    };
    run(
        &mut st,
        at_time(clerk(), t(3, 9, 0)),
        follow(Satisfaction::Satisfied),
    )
    .expect("f1");
    let reopen = Command::Reopen {
        reason: "当事人反映问题未解决".to_owned(),
    };
    assert_eq!(
        handle(&st, at_time(clerk(), t(3, 10, 0)), reopen.clone()),
        Err(DomainError::NotDissatisfied)
    );
    run(
        &mut st,
        at_time(clerk(), t(4, 9, 0)),
        follow(Satisfaction::Dissatisfied),
    )
    .expect("f2");
    run(&mut st, at_time(clerk(), t(7, 9, 0)), reopen).expect("reopen");
    let c = st.case().expect("case");
    assert_eq!(c.status, Status::InProgress);
    // Overall: Mon 09:00 → Tue 09:00 open (1 day), closed Tue → next Mon 09:00 not counted.
    let cal = WorkCalendar::china_default();
    let r = c
        .clocks
        .read(ClockKind::Overall, &cal, t(7, 9, 0))
        .expect("overall");
    assert_eq!(r.remaining_minutes, 30 * 1440 - 1440);
    assert_eq!(c.clocks.stage.as_ref().expect("stage").since, t(7, 9, 0));
}

#[test]
fn policy_picks_the_most_specific_rule_and_always_follows_up_major_cases() {
    use hejie_domain::case::{Channel, DisputeType, Track};
    use hejie_domain::division::Level;
    use hejie_domain::limits::LimitContext;
    let p = LimitPolicy::default();
    let ctx = |level, dispute_type, track, channel| LimitContext {
        intake: false,
        level,
        dispute_type,
        track,
        channel,
    };
    let check = |c: LimitContext, clock: ClockKind, expected: Limit| {
        assert_eq!(
            p.rule_for(clock, &c).map(|r| r.limit),
            Some(expected),
            "{c:?} {clock:?}"
        );
    };
    check(
        ctx(Some(Level::Village), None, None, Channel::Visit),
        ClockKind::Resolve,
        Limit::working_days(7),
    );
    check(
        ctx(Some(Level::Township), None, None, Channel::Visit),
        ClockKind::Resolve,
        Limit::working_days(10),
    );
    check(
        ctx(None, Some(DisputeType::Labour), None, Channel::Visit),
        ClockKind::Overall,
        Limit::calendar_days(15),
    );
    check(
        ctx(None, None, None, Channel::Petition),
        ClockKind::Overall,
        Limit::calendar_days(60),
    );
    check(
        ctx(None, None, None, Channel::Visit),
        ClockKind::Overall,
        Limit::calendar_days(30),
    );
    check(
        ctx(None, None, Some(Track::Emergency), Channel::Visit),
        ClockKind::Acknowledge,
        Limit::working_hours(1),
    );
    let intake = LimitContext {
        intake: true,
        ..ctx(None, None, None, Channel::Petition)
    };
    check(intake, ClockKind::Resolve, Limit::calendar_days(15));
}
