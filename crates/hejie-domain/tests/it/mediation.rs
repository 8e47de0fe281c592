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
