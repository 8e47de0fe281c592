//! Online mediation's rules of law (人民调解法 Arts. 17, 29, 33), named after the articles.

use hejie_domain::ValidationError;
use hejie_domain::calendar::WorkCalendar;
use hejie_domain::mediation::{
    AgreementDraft, AgreementParty, ConsentAnswer, Consents, Duty, MediationError, Signature,
    SignatureAlgorithm, Signer, Signing, check_confirmation, confirmation_deadline,
};
use hejie_domain::money::Money;
use hejie_domain::timestamp::Timestamp;
use time::macros::{date, datetime};

fn cst(dt: time::PrimitiveDateTime) -> Timestamp {
    Timestamp::from_datetime(dt.assume_offset(time::macros::offset!(+8)))
}

fn names() -> Vec<String> {
    vec!["张建国".to_owned(), "李秀兰".to_owned()]
}

fn refused() -> ConsentAnswer {
    ConsentAnswer::Refused {
        reason: Some("不愿调解，要求直接起诉".to_owned()),
    }
}

// ---------------------------------------------------------------------------------------------
// Art. 17: mediation needs both parties' consent; an explicit refusal stops it.
// ---------------------------------------------------------------------------------------------

#[test]
fn art17_mediation_waits_until_every_party_has_consented() {
    let at = cst(datetime!(2026-03-02 09:00));
    let mut c = Consents::new(names());
    assert_eq!(
        c.may_mediate(),
        Err(MediationError::ConsentPending("张建国、李秀兰".to_owned()))
    );
    c.answer(0, ConsentAnswer::Consented, at).expect("answers");
    assert_eq!(
        c.may_mediate(),
        Err(MediationError::ConsentPending("李秀兰".to_owned()))
    );
    c.answer(1, ConsentAnswer::Consented, at).expect("answers");
    assert_eq!(c.may_mediate(), Ok(()));
}

#[test]
fn art17_consent_refusal_by_either_party_stops_mediation() {
    let at = cst(datetime!(2026-03-02 09:00));
    for refuser in [0u32, 1] {
        let mut c = Consents::new(names());
        c.answer(1 - refuser, ConsentAnswer::Consented, at)
            .expect("answers");
        c.answer(refuser, refused(), at)
            .expect("a refusal is recorded");
        let err = c.may_mediate().expect_err("mediation must not go on");
        assert_eq!(err.code(), "consent_refused");
        assert!(
            err.to_string().contains(&names()[refuser as usize]),
            "{err}"
        );
        assert!(err.to_string().contains("第十七条"), "{err}");
        // Nothing revives it: the refusing party cannot consent afterwards on this path.
        assert_eq!(
            c.answer(refuser, ConsentAnswer::Consented, at),
            Err(MediationError::AlreadyRefused)
        );
        assert!(c.may_mediate().is_err());
    }
}

#[test]
fn art17_consent_can_be_withdrawn_and_then_mediation_stops() {
    let at = cst(datetime!(2026-03-02 09:00));
    let mut c = Consents::new(names());
    c.answer(0, ConsentAnswer::Consented, at).expect("answers");
    c.answer(1, ConsentAnswer::Consented, at).expect("answers");
    assert_eq!(c.may_mediate(), Ok(()));
    c.answer(1, refused(), at).expect("consent withdrawn");
    assert_eq!(c.refused_by(), Some(1));
    assert!(matches!(
        c.may_mediate(),
        Err(MediationError::ConsentRefused(n)) if n == "李秀兰"
    ));
}

#[test]
fn consent_of_a_party_the_case_does_not_have_is_refused() {
    let mut c = Consents::new(names());
    assert_eq!(
        c.answer(2, ConsentAnswer::Consented, Timestamp::from_micros(0)),
        Err(MediationError::NoSuchParty)
    );
}

// ---------------------------------------------------------------------------------------------
// Art. 29: what the agreement must state, and its signatures.
// ---------------------------------------------------------------------------------------------

fn draft() -> AgreementDraft {
    AgreementDraft {
        parties: vec![
            AgreementParty {
                name: "张建国".to_owned(),
                role: "申请人".to_owned(),
                id_masked: Some("339021********123X".to_owned()),
                address: Some("和安县城关街道北山社区".to_owned()),
            },
            AgreementParty {
                name: "李秀兰".to_owned(),
                role: "被申请人".to_owned(),
                id_masked: None,
                address: None,
            },
        ],
        facts: "2026年2月，被申请人装修时损坏申请人房屋外墙。".to_owned(),
        disputed_points: "赔偿数额。".to_owned(),
        liability: "被申请人对损坏负全部责任。".to_owned(),
        terms: vec!["被申请人赔偿申请人修缮费用。".to_owned()],
        duties: vec![Duty {
            party: "李秀兰".to_owned(),
            duty: "支付修缮费用".to_owned(),
            amount: Money::from_fen(320_000).ok(),
            manner: "银行转账至申请人账户".to_owned(),
            due: cst(datetime!(2026-03-20 17:30)),
        }],
        mediator: "王调解".to_owned(),
        committee: "北山社区人民调解委员会".to_owned(),
    }
}

/// Checks that a draft changed by `change` is refused on `field`, or accepted when `None`.
fn check(change: impl FnOnce(&mut AgreementDraft), field: Option<&str>) {
    let mut d = draft();
    change(&mut d);
    match (d.check(), field) {
        (Ok(_), None) => {}
        (
            Err(ValidationError {
                field: got,
                message,
            }),
            Some(want),
        ) => {
            assert_eq!(got, want, "{message}");
            assert!(!message.is_empty());
        }
        (r, want) => panic!("expected {want:?}, got {r:?}"),
    }
}

#[test]
fn art29_the_agreement_requires_every_part_the_law_names() {
    check(|_| {}, None);
    check(|d| d.parties.truncate(1), Some("agreement.parties"));
    check(
        |d| d.parties[1].name = " ".into(),
        Some("agreement.parties.name"),
    );
    check(|d| d.facts = String::new(), Some("agreement.facts"));
    check(
        |d| d.disputed_points = "  ".into(),
        Some("agreement.disputed_points"),
    );
    check(|d| d.liability = String::new(), Some("agreement.liability"));
    check(|d| d.terms = vec![" ".into()], Some("agreement.terms"));
    check(
        |d| d.duties[0].manner = String::new(),
        Some("agreement.duties.manner"),
    );
    check(
        |d| d.duties[0].duty = String::new(),
        Some("agreement.duties.duty"),
    );
    check(
        |d| d.duties[0].party = "赵某".into(),
        Some("agreement.duties.party"),
    );
    check(|d| d.mediator = String::new(), Some("agreement.mediator"));
    check(|d| d.committee = String::new(), Some("agreement.committee"));
    // An agreement with no money to pay still needs its terms, and may have no duties.
    check(|d| d.duties.clear(), None);
}

#[test]
fn art29_a_missing_part_is_named_in_chinese_with_the_article() {
    let mut d = draft();
    d.facts = String::new();
    let e = d.check().expect_err("refused");
    assert!(e.message.contains("纠纷的主要事实"), "{}", e.message);
    assert!(e.message.contains("第二十九条"), "{}", e.message);
}

fn signature(signer: Signer, hash: &str, at: Timestamp) -> Signature {
    Signature {
        signer,
        document_hash: hash.to_owned(),
        algorithm: SignatureAlgorithm::Ed25519,
        public_key: "ab".repeat(32),
        signature: "cd".repeat(64),
        identity_verified: true,
        at,
    }
}

const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

#[test]
fn art29_the_agreement_takes_effect_when_every_party_and_the_mediator_have_signed() {
    let t = |h: i64| cst(datetime!(2026-03-05 10:00)).plus_seconds(h * 3600);
    let mut s = Signing::new(names(), HASH.to_owned());
    assert_eq!(
        s.missing(),
        vec![Signer::Party(0), Signer::Party(1), Signer::Mediator]
    );
    assert_eq!(s.sign(signature(Signer::Party(1), HASH, t(0))), Ok(None));
    assert_eq!(s.sign(signature(Signer::Mediator, HASH, t(1))), Ok(None));
    assert_eq!(s.effective_at(), None, "one party has not signed");
    assert_eq!(
        s.sign(signature(Signer::Party(0), HASH, t(2))),
        Ok(Some(t(2))),
        "the last signature makes it take effect"
    );
    assert_eq!(s.effective_at(), Some(t(2)));
    assert!(s.missing().is_empty());
}

#[test]
fn art29_a_signature_must_be_over_this_version_after_reverifying_identity_and_only_once() {
    let at = cst(datetime!(2026-03-05 10:00));
    let mut s = Signing::new(names(), HASH.to_owned());
    let other = HASH.replace('9', "8");
    assert_eq!(
        s.sign(signature(Signer::Party(0), &other, at)),
        Err(MediationError::DocumentChanged)
    );
    let mut unverified = signature(Signer::Party(0), HASH, at);
    unverified.identity_verified = false;
    assert_eq!(s.sign(unverified), Err(MediationError::IdentityNotVerified));
    assert_eq!(
        s.sign(signature(Signer::Party(5), HASH, at)),
        Err(MediationError::NoSuchParty)
    );
    assert_eq!(s.sign(signature(Signer::Party(0), HASH, at)), Ok(None));
    assert_eq!(
        s.sign(signature(Signer::Party(0), HASH, at)),
        Err(MediationError::AlreadySigned("张建国".to_owned()))
    );
    assert!(s.signatures.len() == 1, "refused signatures are not kept");
}

// ---------------------------------------------------------------------------------------------
// Art. 33: judicial confirmation is applied for jointly, within 30 days of taking effect.
// ---------------------------------------------------------------------------------------------

fn effective_on(day: time::PrimitiveDateTime) -> Signing {
    let at = cst(day);
    let mut s = Signing::new(names(), HASH.to_owned());
    for signer in [Signer::Party(0), Signer::Party(1), Signer::Mediator] {
        s.sign(signature(signer, HASH, at)).expect("signs");
    }
    s
}

#[test]
fn art33_confirmation_is_refused_when_not_joint() {
    let cal = WorkCalendar::china_default();
    let s = effective_on(datetime!(2026-03-05 10:00));
    let now = cst(datetime!(2026-03-06 09:00));
    let err = check_confirmation(&s, &[0], now, &cal).expect_err("one-sided");
    assert_eq!(err, MediationError::NotJoint("李秀兰".to_owned()));
    assert!(err.to_string().contains("第三十三条"));
    assert_eq!(
        check_confirmation(&s, &[], now, &cal),
        Err(MediationError::NotJoint("张建国、李秀兰".to_owned()))
    );
    assert_eq!(
        check_confirmation(&s, &[0, 1], now, &cal),
        Ok(date!(2026 - 04 - 07)),
        "30 days from 5 March is 4 April, a holiday (清明); the next working day is 7 April"
    );
}

#[test]
fn art33_confirmation_is_refused_after_30_days() {
    let cal = WorkCalendar::china_default();
    // Took effect on Tuesday 12 May 2026: the 30th day is Thursday 11 June, a working day.
    let s = effective_on(datetime!(2026-05-12 16:00));
    assert_eq!(
        confirmation_deadline(s.effective_at().expect("effective"), &cal),
        date!(2026 - 06 - 11)
    );
    let last_day = cst(datetime!(2026-06-11 23:59));
    assert_eq!(
        check_confirmation(&s, &[1, 0], last_day, &cal),
        Ok(date!(2026 - 06 - 11))
    );
    let late = cst(datetime!(2026-06-12 00:01));
    let err = check_confirmation(&s, &[0, 1], late, &cal).expect_err("late");
    assert_eq!(
        err,
        MediationError::TooLate {
            effective: "2026年5月12日".to_owned(),
            deadline: "2026年6月11日".to_owned(),
        }
    );
    assert_eq!(err.code(), "too_late");
}

#[test]
fn art33_the_deadline_moves_past_a_holiday() {
    let cal = WorkCalendar::china_default();
    // Took effect on 1 September 2026: the 30th day is 1 October, 国庆节 (1–7 October).
    let s = effective_on(datetime!(2026-09-01 10:00));
    assert_eq!(
        confirmation_deadline(s.effective_at().expect("effective"), &cal),
        date!(2026 - 10 - 08)
    );
}

#[test]
fn confirmation_of_an_agreement_not_yet_in_effect_is_refused() {
    let cal = WorkCalendar::china_default();
    let mut s = Signing::new(names(), HASH.to_owned());
    s.sign(signature(Signer::Party(0), HASH, Timestamp::from_micros(0)))
        .expect("signs");
    assert_eq!(
        check_confirmation(&s, &[0, 1], Timestamp::from_micros(0), &cal),
        Err(MediationError::NotEffective)
    );
}

// ---------------------------------------------------------------------------------------------
// Art. 17 on the case: consent recorded party by party, and a refusal that stops everything.
// ---------------------------------------------------------------------------------------------

mod on_the_case {
    use hejie_domain::DomainError;
    use hejie_domain::case::{Command, EventBody, Status};
    use hejie_domain::mediation::{ConsentAnswer, MediationError};

    use crate::support::{
        bodies_to, close_cmd, given, history, mediation_started, mediator, meta, record_cmd,
        referred, start_cmd, succeeded, withdrawn,
    };

    fn answer(yes: bool) -> ConsentAnswer {
        if yes {
            ConsentAnswer::Consented
        } else {
            ConsentAnswer::Refused {
                reason: Some("坚持起诉".to_owned()),
            }
        }
    }

    fn consent_cmd(party: u32, yes: bool) -> Command {
        Command::RecordConsent {
            party,
            answer: answer(yes),
        }
    }

    fn consent(party: u32, yes: bool) -> EventBody {
        EventBody::ConsentRecorded {
            party,
            answer: answer(yes),
        }
    }

    fn refused_by_li_si() -> DomainError {
        DomainError::Mediation(MediationError::ConsentRefused("李四".to_owned()))
    }

    #[test]
    fn art17_consent_refusal_recorded_on_the_case_stops_mediation() {
        let mut bodies = bodies_to(Status::InProgress);
        bodies.push(consent(0, true));
        given(history(bodies.clone()))
            .when(meta(mediator(), 20), consent_cmd(1, false))
            .then_events(vec![consent(1, false)]);
        bodies.push(consent(1, false));
        // Not even the mediator's word that the parties agreed starts it.
        given(history(bodies.clone()))
            .when(meta(mediator(), 21), start_cmd(true))
            .then_error(refused_by_li_si());
        given(history(bodies.clone()))
            .when(meta(mediator(), 21), consent_cmd(1, true))
            .then_error(DomainError::Mediation(MediationError::AlreadyRefused));
        // The case ends another way: referred to the court, with the refusal on record.
        given(history(bodies))
            .when(meta(mediator(), 21), close_cmd(referred()))
            .then_ok();
    }

    #[test]
    fn art17_consent_recorded_party_by_party_lets_mediation_start() {
        let mut bodies = bodies_to(Status::InProgress);
        bodies.push(consent(0, true));
        let err = given(history(bodies.clone()))
            .when(meta(mediator(), 20), start_cmd(false))
            .then_err();
        assert_eq!(
            err,
            DomainError::Mediation(MediationError::ConsentPending("李四".to_owned()))
        );
        assert_eq!(err.code(), "consent_pending");
        bodies.push(consent(1, true));
        given(history(bodies))
            .when(meta(mediator(), 21), start_cmd(false))
            .then_events(vec![mediation_started()]);
    }

    #[test]
    fn art17_withdrawn_consent_stops_sessions_and_any_agreement() {
        let mut bodies = bodies_to(Status::Mediating);
        bodies.push(consent(1, false));
        given(history(bodies.clone()))
            .when(meta(mediator(), 20), record_cmd())
            .then_error(refused_by_li_si());
        given(history(bodies.clone()))
            .when(meta(mediator(), 20), close_cmd(succeeded()))
            .then_error(refused_by_li_si());
        given(history(bodies))
            .when(meta(mediator(), 20), close_cmd(withdrawn()))
            .then_ok();
    }

    #[test]
    fn consent_is_not_asked_of_a_party_the_case_does_not_have_nor_after_closing() {
        given(history(bodies_to(Status::InProgress)))
            .when(meta(mediator(), 20), consent_cmd(2, true))
            .then_error(DomainError::Mediation(MediationError::NoSuchParty));
        let closed = given(history(bodies_to(Status::Closed)))
            .when(meta(mediator(), 30), consent_cmd(0, true))
            .then_err();
        assert_eq!(closed.code(), "invalid_transition");
    }
}

/// The agreement, its signatures and judicial confirmation as events of a case (Arts. 29, 33).
mod agreement_on_the_case {
    use hejie_domain::DomainError;
    use hejie_domain::calendar::WorkCalendar;
    use hejie_domain::case::{Command, Event, EventBody, Status};
    use hejie_domain::mediation::{
        AgreementDraft, AgreementParty, ConsentAnswer, MediationError, Signature,
        SignatureAlgorithm, Signer,
    };
    use hejie_domain::timestamp::Timestamp;
    use hejie_domain::user::{Actor, Role, UserId};
    use uuid::Uuid;

    use crate::support::{
        at, bodies_to, clerk, close_cmd, given, history, mediator, meta, second_mediator, succeeded,
    };

    const V1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
    const V2: &str = "2222222222222222222222222222222222222222222222222222222222222222";

    fn resident(name: &str) -> Actor {
        Actor {
            id: UserId(Uuid::from_u128(0x5E51_DE47 + name.len() as u128)),
            name: name.to_owned(),
            role: Role::Resident,
            organisation: None,
        }
    }

    fn draft() -> AgreementDraft {
        let party = |name: &str, role: &str| AgreementParty {
            name: name.to_owned(),
            role: role.to_owned(),
            id_masked: None,
            address: None,
        };
        AgreementDraft {
            parties: vec![party("张三", "申请人"), party("李四", "被申请人")],
            facts: "两户因排水沟堵塞引发争执。".to_owned(),
            disputed_points: "由谁疏通、损失如何赔偿。".to_owned(),
            liability: "双方均有责任。".to_owned(),
            terms: vec!["双方共同疏通排水沟。".to_owned()],
            duties: Vec::new(),
            mediator: "吴建国".to_owned(),
            committee: "东门村人民调解委员会".to_owned(),
        }
    }

    fn draft_cmd(hash: &str) -> Command {
        Command::DraftAgreement {
            agreement: draft(),
            content_hash: hash.to_owned(),
        }
    }

    fn signature(signer: Signer, hash: &str) -> Signature {
        Signature {
            signer,
            document_hash: hash.to_owned(),
            algorithm: SignatureAlgorithm::Sm2,
            public_key: "04ab".to_owned(),
            signature: "cd".to_owned(),
            identity_verified: true,
            at: Timestamp::from_micros(0),
        }
    }

    fn sign_cmd(signer: Signer, hash: &str) -> Command {
        Command::SignAgreement {
            signature: signature(signer, hash),
        }
    }

    /// A mediating case with version 1 drafted, then the events that `steps` record, each a
    /// command run in turn (so their events are what the rules decided).
    fn mediating_with(steps: Vec<(Actor, Command)>) -> Vec<Event> {
        let mut events = history(bodies_to(Status::Mediating));
        let mut all = vec![(mediator(), draft_cmd(V1))];
        all.extend(steps);
        for (actor, command) in all {
            let hour = events.len() as i64;
            let (new, _) = given(events.clone())
                .when(meta(actor, hour), command)
                .then_ok();
            events.extend(new);
        }
        events
    }

    fn all_signed() -> Vec<Event> {
        mediating_with(vec![
            (resident("张三"), sign_cmd(Signer::Party(0), V1)),
            (resident("李四"), sign_cmd(Signer::Party(1), V1)),
            (mediator(), sign_cmd(Signer::Mediator, V1)),
        ])
    }

    fn mediation(e: MediationError) -> DomainError {
        DomainError::Mediation(e)
    }

    #[test]
    fn art29_agreement_takes_effect_on_the_case_when_every_party_and_the_mediator_signed() {
        let events = all_signed();
        let effective: Vec<bool> = events
            .iter()
            .filter_map(|e| match &e.body {
                EventBody::AgreementSigned { effective, .. } => Some(*effective),
                _ => None,
            })
            .collect();
        assert_eq!(effective, vec![false, false, true]);
        let last_at = events.last().expect("signed").meta.at;
        let (_, state) = given(events)
            .when(meta(mediator(), 30), close_cmd(succeeded()))
            .then_ok();
        let case = state.case().expect("case");
        let record = case.agreement.as_ref().expect("agreement");
        assert_eq!(record.version, 1);
        assert_eq!(record.effective_at, Some(last_at));
        assert_eq!(record.signing.signatures.len(), 3);
        assert_eq!(case.status, Status::Closed);
    }

    #[test]
    fn closing_on_a_signed_agreement_takes_its_terms_and_duties_as_the_outcome() {
        let mut with_duty = draft();
        with_duty.duties = vec![hejie_domain::mediation::Duty {
            party: "李四".to_owned(),
            duty: "支付疏通费用".to_owned(),
            amount: hejie_domain::money::Money::from_fen(60_000).ok(),
            manner: "现金当面交付".to_owned(),
            due: at(48),
        }];
        let mut events = history(bodies_to(Status::Mediating));
        for (actor, command) in [
            (
                mediator(),
                Command::DraftAgreement {
                    agreement: with_duty,
                    content_hash: V1.to_owned(),
                },
            ),
            (resident("张三"), sign_cmd(Signer::Party(0), V1)),
            (resident("李四"), sign_cmd(Signer::Party(1), V1)),
            (mediator(), sign_cmd(Signer::Mediator, V1)),
        ] {
            let hour = events.len() as i64;
            let (new, _) = given(events.clone())
                .when(meta(actor, hour), command)
                .then_ok();
            events.extend(new);
        }
        let blank = hejie_domain::case::Outcome::Succeeded {
            agreement: String::new(),
            amount: None,
            obligations: Vec::new(),
        };
        let (_, state) = given(events)
            .when(meta(mediator(), 30), close_cmd(blank))
            .then_ok();
        match state.case().and_then(|c| c.outcome.clone()) {
            Some(hejie_domain::case::Outcome::Succeeded {
                agreement,
                amount,
                obligations,
            }) => {
                assert!(agreement.contains("人民调解协议书第1版"), "{agreement}");
                assert!(agreement.contains("双方共同疏通排水沟"), "{agreement}");
                assert_eq!(amount.map(|m| m.fen()), Some(60_000));
                assert_eq!(obligations.len(), 1);
                assert_eq!(obligations[0].party, "李四");
                assert_eq!(obligations[0].duty, "支付疏通费用（现金当面交付）");
                assert_eq!(obligations[0].due, Some(at(48)));
            }
            other => panic!("expected a successful outcome, got {other:?}"),
        }
    }

    #[test]
    fn art29_case_cannot_close_as_succeeded_before_its_agreement_is_signed_by_all() {
        let events = mediating_with(vec![
            (resident("张三"), sign_cmd(Signer::Party(0), V1)),
            (mediator(), sign_cmd(Signer::Mediator, V1)),
        ]);
        given(events)
            .when(meta(mediator(), 30), close_cmd(succeeded()))
            .then_error(mediation(MediationError::NotEffective));
    }

    #[test]
    fn art29_agreement_must_state_the_required_contents_and_name_the_case_parties() {
        let events = history(bodies_to(Status::Mediating));
        let mut no_facts = draft();
        no_facts.facts = " ".to_owned();
        let err = given(events.clone())
            .when(
                meta(mediator(), 10),
                Command::DraftAgreement {
                    agreement: no_facts,
                    content_hash: V1.to_owned(),
                },
            )
            .then_invalid("agreement.facts");
        assert!(err.message.contains("第二十九条"), "{}", err.message);
        let mut stranger = draft();
        stranger.parties[1].name = "王五".to_owned();
        given(events.clone())
            .when(
                meta(mediator(), 10),
                Command::DraftAgreement {
                    agreement: stranger,
                    content_hash: V1.to_owned(),
                },
            )
            .then_invalid("agreement.parties");
        given(events)
            .when(meta(mediator(), 10), draft_cmd("not-a-hash"))
            .then_error(mediation(MediationError::BadHash));
    }

    #[test]
    fn a_new_version_starts_without_signatures_and_an_effective_agreement_is_final() {
        let events = mediating_with(vec![
            (resident("张三"), sign_cmd(Signer::Party(0), V1)),
            (mediator(), draft_cmd(V2)),
        ]);
        // 张三's signature was on version 1; version 2 needs it again, on version 2.
        let (_, state) = given(events.clone())
            .when(meta(resident("张三"), 20), sign_cmd(Signer::Party(0), V2))
            .then_ok();
        let record = state.case().and_then(|c| c.agreement.clone()).expect("v2");
        assert_eq!(record.version, 2);
        assert_eq!(record.signing.signatures.len(), 1);
        given(events)
            .when(meta(resident("李四"), 20), sign_cmd(Signer::Party(1), V1))
            .then_error(mediation(MediationError::DocumentChanged));
        given(all_signed())
            .when(meta(mediator(), 30), draft_cmd(V2))
            .then_error(mediation(MediationError::AlreadyEffective));
        given(all_signed())
            .when(meta(resident("张三"), 30), sign_cmd(Signer::Party(0), V1))
            .then_error(mediation(MediationError::AlreadyEffective));
    }

    #[test]
    fn each_signs_only_as_themselves_once_after_re_verifying_identity() {
        let events = mediating_with(vec![(resident("张三"), sign_cmd(Signer::Party(0), V1))]);
        let check = |actor: Actor, command: Command, expected: MediationError| {
            given(events.clone())
                .when(meta(actor, 20), command)
                .then_error(mediation(expected));
        };
        check(
            second_mediator(),
            sign_cmd(Signer::Mediator, V1),
            MediationError::NotTheMediator,
        );
        check(
            clerk(),
            sign_cmd(Signer::Party(1), V1),
            MediationError::NotTheParty,
        );
        check(
            resident("张三"),
            sign_cmd(Signer::Party(1), V1),
            MediationError::NotTheParty,
        );
        check(
            resident("李四"),
            sign_cmd(Signer::Party(2), V1),
            MediationError::NoSuchParty,
        );
        check(
            resident("张三"),
            sign_cmd(Signer::Party(0), V1),
            MediationError::AlreadySigned("张三".to_owned()),
        );
        let mut unverified = signature(Signer::Party(1), V1);
        unverified.identity_verified = false;
        check(
            resident("李四"),
            Command::SignAgreement {
                signature: unverified,
            },
            MediationError::IdentityNotVerified,
        );
    }

    #[test]
    fn art17_no_agreement_after_a_party_refused() {
        let events = mediating_with(vec![(
            clerk(),
            Command::RecordConsent {
                party: 1,
                answer: ConsentAnswer::Refused { reason: None },
            },
        )]);
        given(events.clone())
            .when(meta(mediator(), 20), draft_cmd(V2))
            .then_error(mediation(MediationError::ConsentRefused("李四".to_owned())));
        given(events)
            .when(meta(resident("张三"), 20), sign_cmd(Signer::Party(0), V1))
            .then_error(mediation(MediationError::ConsentRefused("李四".to_owned())));
    }

    fn apply_cmd(applicants: Vec<u32>) -> Command {
        Command::ApplyConfirmation {
            applicants,
            court: "和安县人民法院".to_owned(),
            calendar: Box::new(WorkCalendar::china_default()),
        }
    }

    fn rule_cmd() -> Command {
        Command::RecordConfirmation {
            confirmed: true,
            ruling: "（2026）浙0121民特123号".to_owned(),
            note: None,
        }
    }

    #[test]
    fn art33_confirmation_on_the_case_is_joint_in_time_and_once() {
        // Signed on 2 March 2026: the 30th day is 1 April, a Wednesday.
        let effective = all_signed();
        given(mediating_with(Vec::new()))
            .when(meta(clerk(), 20), apply_cmd(vec![0, 1]))
            .then_error(mediation(MediationError::NotEffective));
        given(effective.clone())
            .when(meta(clerk(), 20), apply_cmd(vec![1]))
            .then_error(mediation(MediationError::NotJoint("张三".to_owned())));
        let late = at(30 * 24 + 24);
        let err = given(effective.clone())
            .when(
                hejie_domain::case::Meta {
                    at: late,
                    ..meta(clerk(), 0)
                },
                apply_cmd(vec![0, 1]),
            )
            .then_err();
        assert_eq!(err.code(), "too_late");
        assert!(err.to_string().contains("2026年4月1日"), "{err}");
        given(effective.clone())
            .when(meta(clerk(), 20), rule_cmd())
            .then_error(mediation(MediationError::NotApplied));
        // On the last day, after the case was closed, both parties together: accepted.
        let (closed, _) = given(effective.clone())
            .when(meta(mediator(), 20), close_cmd(succeeded()))
            .then_ok();
        let mut events = effective;
        events.extend(closed);
        let last_day = at(30 * 24 + 8);
        let (applied, state) = given(events.clone())
            .when(
                hejie_domain::case::Meta {
                    at: last_day,
                    ..meta(clerk(), 0)
                },
                apply_cmd(vec![1, 0, 1]),
            )
            .then_ok();
        assert_eq!(
            applied[0].body,
            EventBody::ConfirmationApplied {
                applicants: vec![0, 1],
                court: "和安县人民法院".to_owned(),
                deadline: Timestamp::midnight_cst(time::macros::date!(2026 - 04 - 01)),
            }
        );
        assert_eq!(state.case().map(|c| c.status), Some(Status::Closed));
        events.extend(applied);
        given(events.clone())
            .when(meta(clerk(), 30 * 24 + 9), apply_cmd(vec![0, 1]))
            .then_error(mediation(MediationError::AlreadyApplied));
        let (ruled, state) = given(events.clone())
            .when(meta(clerk(), 30 * 24 + 9), rule_cmd())
            .then_ok();
        let ruling = state
            .case()
            .and_then(|c| c.confirmation.clone())
            .and_then(|c| c.ruling)
            .expect("ruling");
        assert!(ruling.confirmed);
        events.extend(ruled);
        given(events)
            .when(meta(clerk(), 30 * 24 + 10), rule_cmd())
            .then_error(mediation(MediationError::AlreadyRuled));
    }
}

/// Evidence on the case: recorded by hash, once, for an existing party, only while open.
mod evidence_on_the_case {
    use hejie_domain::DomainError;
    use hejie_domain::case::{Command, EventBody, Status};
    use hejie_domain::mediation::{Evidence, MediationError};

    use crate::support::{bodies_to, clerk, given, history, meta};

    fn photo(sha: &str, party: Option<u32>) -> Evidence {
        Evidence {
            sha256: sha.to_owned(),
            name: " 现场.jpg ".to_owned(),
            content_type: "image/jpeg".to_owned(),
            size: 4096,
            description: Some(" ".to_owned()),
            party,
        }
    }

    const SHA: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    #[test]
    fn evidence_is_recorded_by_its_hash_once_and_only_while_the_case_is_open() {
        let add = |e: Evidence| Command::AddEvidence { evidence: e };
        let state = given(history(bodies_to(Status::Accepted)))
            .when(meta(clerk(), 10), add(photo(SHA, Some(1))))
            .then_events(vec![EventBody::EvidenceAdded {
                evidence: Evidence {
                    name: "现场.jpg".to_owned(),
                    description: None,
                    ..photo(SHA, Some(1))
                },
            }]);
        assert_eq!(state.case().map(|c| c.evidence.len()), Some(1));
        let mut bodies = bodies_to(Status::Accepted);
        bodies.push(EventBody::EvidenceAdded {
            evidence: photo(SHA, None),
        });
        given(history(bodies))
            .when(meta(clerk(), 10), add(photo(SHA, None)))
            .then_error(DomainError::DuplicateEvidence);
        given(history(bodies_to(Status::Accepted)))
            .when(meta(clerk(), 10), add(photo("not-a-hash", None)))
            .then_error(DomainError::Mediation(MediationError::BadHash));
        given(history(bodies_to(Status::Accepted)))
            .when(meta(clerk(), 10), add(photo(SHA, Some(5))))
            .then_error(DomainError::Mediation(MediationError::NoSuchParty));
        let closed = given(history(bodies_to(Status::Closed)))
            .when(meta(clerk(), 30), add(photo(SHA, None)))
            .then_err();
        assert_eq!(closed.code(), "invalid_transition");
    }
}

/// The online room's record: who joined, left and said what, each as themselves.
mod room_on_the_case {
    use hejie_domain::DomainError;
    use hejie_domain::case::{Command, EventBody, Status};
    use hejie_domain::mediation::{MediationError, RoomActivity};
    use hejie_domain::user::{Actor, Role, UserId};
    use uuid::Uuid;

    use crate::support::{bodies_to, clerk, given, history, mediator, meta};

    fn party(name: &str) -> Actor {
        Actor {
            id: UserId(Uuid::from_u128(0x9A27)),
            name: name.to_owned(),
            role: Role::Resident,
            organisation: None,
        }
    }

    fn said(text: &str, party: Option<u32>) -> Command {
        Command::UseRoom {
            activity: RoomActivity::Message {
                text: text.to_owned(),
            },
            party,
        }
    }

    #[test]
    fn the_room_records_each_participant_as_themselves_while_mediating() {
        let mediating = || given(history(bodies_to(Status::Mediating)));
        mediating()
            .when(
                meta(party("张三"), 10),
                Command::UseRoom {
                    activity: RoomActivity::Joined,
                    party: Some(0),
                },
            )
            .then_events(vec![EventBody::RoomJoined { party: Some(0) }]);
        mediating()
            .when(meta(mediator(), 10), said("  请双方陈述。 ", None))
            .then_events(vec![EventBody::RoomMessage {
                party: None,
                text: "请双方陈述。".to_owned(),
            }]);
        // Nobody speaks for someone else.
        mediating()
            .when(meta(party("张三"), 10), said("我是李四", Some(1)))
            .then_error(DomainError::Mediation(MediationError::NotTheParty));
        mediating()
            .when(meta(party("张三"), 10), said("我是工作人员", None))
            .then_error(DomainError::Mediation(MediationError::NotTheParty));
        mediating()
            .when(meta(mediator(), 10), said(&"长".repeat(1001), None))
            .then_invalid("text");
        // The room is open only while the case is in mediation.
        let closed = given(history(bodies_to(Status::Closed)))
            .when(meta(clerk(), 30), said("还在吗", None))
            .then_err();
        assert_eq!(closed.code(), "invalid_transition");
    }
}

/// 诉非对接 on the case: only after mediation failed (Art. 26), one pending filing at a time,
/// the receipt recorded once by the platform.
mod filing_on_the_case {
    use hejie_domain::DomainError;
    use hejie_domain::case::{Command, EventBody, Status};

    use crate::support::{bodies_to, clerk, failed, given, history, meta};

    fn request(id: &str) -> Command {
        Command::RequestFiling {
            filing_id: id.to_owned(),
            court: "和安县人民法院".to_owned(),
            claims: "请求判令疏通排水沟并赔偿损失。".to_owned(),
            party: Some(0),
        }
    }

    fn requested(id: &str) -> EventBody {
        EventBody::FilingRequested {
            filing_id: id.to_owned(),
            court: "和安县人民法院".to_owned(),
            claims: "请求判令疏通排水沟并赔偿损失。".to_owned(),
            party: Some(0),
        }
    }

    fn failed_case() -> Vec<EventBody> {
        let mut bodies = bodies_to(Status::Mediating);
        bodies.push(EventBody::Closed {
            outcome: failed(true),
        });
        bodies
    }

    #[test]
    fn art26_filing_follows_a_failed_mediation_once_at_a_time() {
        given(history(failed_case()))
            .when(meta(clerk(), 20), request("f1"))
            .then_events(vec![requested("f1")]);
        // A successful mediation is not filed.
        given(history(bodies_to(Status::Closed)))
            .when(meta(clerk(), 20), request("f1"))
            .then_error(DomainError::NotForFiling);
        let mut pending = failed_case();
        pending.push(requested("f1"));
        given(history(pending.clone()))
            .when(meta(clerk(), 20), request("f2"))
            .then_error(DomainError::FilingPending);
        // Only the platform records the court's receipt, once.
        let receipt = Command::RecordFilingReceipt {
            filing_id: "f1".to_owned(),
            receipt: "（2026）浙0121诉前调1号".to_owned(),
        };
        let system = hejie_domain::user::Actor {
            id: hejie_domain::user::UserId(uuid::Uuid::nil()),
            name: "系统".to_owned(),
            role: hejie_domain::user::Role::System,
            organisation: None,
        };
        let (_, state) = given(history(pending.clone()))
            .when(meta(system.clone(), 21), receipt.clone())
            .then_ok();
        let filing = &state.case().expect("case").filings[0];
        assert_eq!(
            filing.receipt.as_ref().map(|(r, _)| r.as_str()),
            Some("（2026）浙0121诉前调1号")
        );
        pending.push(EventBody::FilingReceived {
            filing_id: "f1".to_owned(),
            receipt: "（2026）浙0121诉前调1号".to_owned(),
        });
        given(history(pending.clone()))
            .when(meta(system, 22), receipt)
            .then_error(DomainError::NoSuchFiling);
        // Once received, the party may file again (e.g. another claim).
        given(history(pending))
            .when(meta(clerk(), 23), request("f2"))
            .then_events(vec![requested("f2")]);
    }
}

/// 安排调解: sessions are scheduled ahead, numbered, and not after a refusal.
mod scheduling_on_the_case {
    use hejie_domain::DomainError;
    use hejie_domain::case::{Command, EventBody, SessionMode, Status};
    use hejie_domain::mediation::{ConsentAnswer, MediationError};

    use crate::support::{at, bodies_to, given, history, mediator, meta};

    fn schedule(hours: i64) -> Command {
        Command::ScheduleSession {
            at: at(hours),
            mode: SessionMode::InPerson,
            place: " 东门村调解室 ".to_owned(),
            note: None,
        }
    }

    #[test]
    fn sessions_are_scheduled_ahead_in_order_and_not_after_a_refusal() {
        let mut bodies = bodies_to(Status::InProgress);
        given(history(bodies.clone()))
            .when(meta(mediator(), 10), schedule(9))
            .then_invalid("at");
        let state = given(history(bodies.clone()))
            .when(meta(mediator(), 10), schedule(72))
            .then_events(vec![EventBody::SessionScheduled {
                number: 1,
                at: at(72),
                mode: SessionMode::InPerson,
                place: "东门村调解室".to_owned(),
                note: None,
            }]);
        assert_eq!(state.case().map(|c| c.scheduled.len()), Some(1));
        bodies.push(EventBody::SessionScheduled {
            number: 1,
            at: at(72),
            mode: SessionMode::InPerson,
            place: "东门村调解室".to_owned(),
            note: None,
        });
        let (events, _) = given(history(bodies.clone()))
            .when(meta(mediator(), 10), schedule(96))
            .then_ok();
        assert!(matches!(
            events[0].body,
            EventBody::SessionScheduled { number: 2, .. }
        ));
        bodies.push(EventBody::ConsentRecorded {
            party: 1,
            answer: ConsentAnswer::Refused { reason: None },
        });
        given(history(bodies))
            .when(meta(mediator(), 10), schedule(96))
            .then_error(DomainError::Mediation(MediationError::ConsentRefused(
                "李四".to_owned(),
            )));
    }
}
