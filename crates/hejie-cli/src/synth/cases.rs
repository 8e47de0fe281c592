//! Synthetic cases with realistic lives: each case is registered and then driven through the real
//! domain commands (accept, assign, acknowledge, mediate, close, follow up) with plausible delays.
//! A case whose next step would lie in the future simply stays at its current stage, so recent
//! cases are open and old ones are closed, as in a real register. Every command is followed by
//! what the default time-limit policy records with it (as the server's `workflow::plan` does), so
//! a case's clocks match its age: an old case still open is overdue, a recent one counts down.

use hejie_domain::DomainError;
use hejie_domain::case::{
    CaseId, CaseState, Channel, Command, ContactMethod, DisputeType, GeoPoint, Location, Meta,
    Obligation, Outcome, Party, PartyKind, PartyRole, PersonRef, ReferralTarget, Register,
    Satisfaction, SessionMode, Severity, Track, handle,
};
use hejie_domain::limits::LimitPolicy;
use hejie_domain::money::Money;
use hejie_domain::personal::{IdNumber, PhoneNumber, PiiSealer};
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::Actor;
use hejie_store::NewCase;
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

use super::corpus::{COMPANY_NAMES, DESCRIPTIONS, ROAD_NAMES};
use super::county::{County, Unit, person_name};

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

fn pick_weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total);
    for (item, w) in items {
        if x < *w {
            return *item;
        }
        x -= w;
    }
    items[0].0
}

const TYPES: &[(DisputeType, u32)] = &[
    (DisputeType::Neighbour, 20),
    (DisputeType::MarriageFamily, 14),
    (DisputeType::HousingHomestead, 8),
    (DisputeType::ForestLand, 6),
    (DisputeType::Contract, 7),
    (DisputeType::Business, 3),
    (DisputeType::Damages, 7),
    (DisputeType::Labour, 10),
    (DisputeType::LandRequisition, 3),
    (DisputeType::Property, 5),
    (DisputeType::Medical, 2),
    (DisputeType::TrafficAccident, 5),
    (DisputeType::Consumer, 3),
    (DisputeType::ECommerce, 2),
    (DisputeType::Pollution, 1),
    (DisputeType::FisheryMaritime, 1),
    (DisputeType::ElderSupport, 4),
    (DisputeType::Other, 2),
];

const CHANNELS: &[(Channel, u32)] = &[
    (Channel::Visit, 30),
    (Channel::Grid, 20),
    (Channel::Phone, 12),
    (Channel::Hotline12345, 10),
    (Channel::Online, 10),
    (Channel::Police110, 6),
    (Channel::Court, 4),
    (Channel::Petition, 3),
    (Channel::Letter, 2),
    (Channel::Sweep, 2),
    (Channel::Procuratorate, 1),
];

/// A valid 18-digit ID number of someone born in the county.
fn id_number(rng: &mut StdRng) -> Option<IdNumber> {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let body = format!(
        "339021{:04}{:02}{:02}{:03}",
        rng.random_range(1940..2005),
        rng.random_range(1..=12),
        rng.random_range(1..=28),
        rng.random_range(0..1000)
    );
    let sum: u32 = body
        .bytes()
        .zip(W)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    IdNumber::parse(&format!("{body}{check}")).ok()
}

fn phone(rng: &mut StdRng) -> Option<PhoneNumber> {
    let second = ["3", "5", "7", "8", "9"]
        .choose(rng)
        .copied()
        .unwrap_or("3");
    PhoneNumber::parse(&format!(
        "1{second}{:09}",
        rng.random_range(0..1_000_000_000u32)
    ))
    .ok()
}

fn yuan_text(fen: i64) -> String {
    let yuan = fen / 100;
    if yuan >= 10_000 {
        let wan = yuan as f64 / 10_000.0;
        if (wan * 10.0).fract() == 0.0 {
            format!("{wan:.1}万元").replace(".0万", "万")
        } else {
            format!("{wan:.1}万元")
        }
    } else {
        format!("{yuan}元")
    }
}

fn has_money(t: DisputeType) -> bool {
    !matches!(
        t,
        DisputeType::Neighbour | DisputeType::MarriageFamily | DisputeType::Other
    )
}

fn respondent_is_company(t: DisputeType) -> bool {
    matches!(
        t,
        DisputeType::Labour
            | DisputeType::Contract
            | DisputeType::Property
            | DisputeType::Consumer
            | DisputeType::ECommerce
            | DisputeType::Medical
            | DisputeType::Business
            | DisputeType::Pollution
    )
}

fn person_party(rng: &mut StdRng, sealer: &dyn PiiSealer, role: PartyRole, village: &str) -> Party {
    let road = ROAD_NAMES.choose(rng).copied().unwrap_or("人民路");
    Party {
        kind: PartyKind::Person,
        role,
        name: person_name(rng),
        id_number: if rng.random_bool(0.8) {
            id_number(rng).map(|i| i.seal(sealer))
        } else {
            None
        },
        phone: phone(rng).map(|p| p.seal(sealer)),
        address: Some(format!("{village}{road}{}号", rng.random_range(1..200))),
    }
}

/// Everything decided up front for one case; the store supplies only the number.
pub struct Plan {
    pub new_case: NewCase,
    /// Commands, the registration included; the time limits recorded with them add events.
    pub steps: usize,
}

/// The policy the synthetic cases' time limits come from: the built-in default, which is what a
/// demo server runs with.
static POLICY: std::sync::LazyLock<LimitPolicy> = std::sync::LazyLock::new(LimitPolicy::default);

/// Plans one synthetic case registered between `from` and `now`.
///
/// With `life` false only the registration is planned (for registration benchmarks).
pub fn plan(
    rng: &mut StdRng,
    county: &County,
    sealer: &dyn PiiSealer,
    from: Timestamp,
    now: Timestamp,
    life: bool,
) -> Plan {
    let weights: Vec<(usize, u32)> = county
        .villages
        .iter()
        .enumerate()
        .map(|(i, v)| (i, u32::try_from(v.population / 100).unwrap_or(1).max(1)))
        .collect();
    let village = &county.villages[pick_weighted(rng, &weights)];
    let township = &county.townships[village.township];
    let (grid, grid_worker) = village
        .grids
        .choose(rng)
        .cloned()
        .unwrap_or_else(|| (village.code.clone(), township.centre.staff.clone()));
    let dispute_type = pick_weighted(rng, TYPES);
    let channel = pick_weighted(rng, CHANNELS);

    let applicant = person_party(rng, sealer, PartyRole::Applicant, &village.name);
    let company = COMPANY_NAMES
        .choose(rng)
        .copied()
        .unwrap_or("和安县顺达建筑劳务有限公司");
    let respondent = if respondent_is_company(dispute_type) && rng.random_bool(0.7) {
        Party {
            kind: PartyKind::Organisation,
            role: PartyRole::Respondent,
            name: company.to_owned(),
            id_number: None,
            phone: phone(rng).map(|p| p.seal(sealer)),
            address: None,
        }
    } else {
        person_party(rng, sealer, PartyRole::Respondent, &village.name)
    };

    let amount = if has_money(dispute_type) && rng.random_bool(0.8) {
        // Log-uniform between 500 and 800,000 yuan, rounded to hundreds.
        let yuan = (500f64.ln() + rng.random::<f64>() * (800_000f64 / 500.0).ln()).exp();
        Money::from_fen(((yuan / 100.0).round() as i64).max(1) * 10_000).ok()
    } else {
        None
    };
    let group = matches!(
        dispute_type,
        DisputeType::Labour
            | DisputeType::LandRequisition
            | DisputeType::Pollution
            | DisputeType::Property
    ) && rng.random_bool(0.3);
    let head_count = group.then(|| rng.random_range(5..80u32));

    let templates = DESCRIPTIONS
        .iter()
        .find(|(code, _)| *code == dispute_type.code())
        .map(|(_, t)| *t)
        .unwrap_or(&["{a}与{b}发生纠纷，请求调解。"]);
    let description = templates
        .choose(rng)
        .copied()
        .unwrap_or("{a}与{b}发生纠纷，请求调解。")
        .replace("{a}", &applicant.name)
        .replace("{b}", &respondent.name)
        .replace("{village}", &village.name)
        .replace("{company}", company)
        .replace("{amount}", &yuan_text(amount.map_or(800_000, Money::fen)))
        .replace(
            "{n}",
            &head_count.unwrap_or(rng.random_range(5..40)).to_string(),
        )
        .replace("{months}", &rng.random_range(2..10).to_string());

    let severity = match (head_count, amount.map(Money::fen)) {
        (Some(n), _) if n >= 30 => Severity::Major,
        (_, Some(f)) if f >= 50_000_000 => Severity::Major,
        (Some(_), _) => Severity::Significant,
        (_, Some(f)) if f >= 10_000_000 => Severity::Significant,
        _ if rng.random_bool(0.05) => Severity::Significant,
        _ => Severity::Ordinary,
    };
    let track = match severity {
        Severity::Major if rng.random_bool(0.5) => Track::Consultation,
        Severity::Major => Track::Emergency,
        Severity::Significant if rng.random_bool(0.2) => Track::Consultation,
        _ => Track::Clinic,
    };
    let handler: &Unit = match (dispute_type, severity) {
        (_, Severity::Major) => &county.centre,
        (DisputeType::Labour, Severity::Significant) => &county.labour_committee,
        (DisputeType::Labour, _) => &township.committee,
        (DisputeType::Medical, _) => &county.medical_committee,
        (DisputeType::TrafficAccident, _) => &county.traffic_committee,
        (_, Severity::Significant) => township.brand_room.as_ref().unwrap_or(&township.committee),
        _ => &village.committee,
    };

    // Who registers, and where: county-level channels come in at the county centre.
    let (clerk, reception): (Actor, &Unit) = match channel {
        Channel::Court | Channel::Petition | Channel::Hotline12345 | Channel::Procuratorate => {
            (county.centre.staff.clone(), &county.centre)
        }
        Channel::Grid => (grid_worker.clone(), &township.centre),
        _ => (township.centre.staff.clone(), &township.centre),
    };
    let span = (now.micros() - from.micros()).max(1);
    let registered_at = Timestamp::from_micros(from.micros() + rng.random_range(0..span));
    let reg_meta = Meta {
        actor: clerk.clone(),
        at: registered_at,
        division: reception.org.division.clone(),
    };
    let point = GeoPoint::parse(
        29.05 + f64::from(rng.random_range(0..2000)) / 10_000.0,
        119.10 + f64::from(rng.random_range(0..3000)) / 10_000.0,
    )
    .ok();
    let location = Location {
        division: village.code.clone(),
        grid: Some(grid),
        point,
        address: applicant.address.clone(),
    };

    // The rest of the case's life, each step later than the one before.
    let mut steps: Vec<(Meta, Command)> = Vec::new();
    let mut t = registered_at;
    let mut at = |rng: &mut StdRng, min: i64, max: i64| {
        t = t.plus_seconds(rng.random_range(min..max));
        t
    };
    let meta = |actor: &Actor, at: Timestamp, unit: &Unit| Meta {
        actor: actor.clone(),
        at,
        division: unit.org.division.clone(),
    };
    let mediator = PersonRef {
        id: handler.staff.id,
        name: handler.staff.name.clone(),
    };
    if rng.random_bool(0.04) {
        steps.push((
            meta(&reception.staff, at(rng, HOUR / 2, DAY), reception),
            Command::Decline {
                reason: "该事项属于劳动人事争议仲裁委员会受理范围，不适宜人民调解".to_owned(),
                guidance: "已告知当事人向和安县劳动人事争议仲裁委员会申请仲裁，并发放指引材料"
                    .to_owned(),
            },
        ));
    } else {
        steps.push((
            meta(&reception.staff, at(rng, HOUR / 2, DAY), reception),
            Command::Accept {
                dispute_type,
                severity,
                track,
                note: None,
            },
        ));
        steps.push((
            meta(&reception.staff, at(rng, HOUR, 8 * HOUR), reception),
            Command::Assign {
                organisation: handler.org.clone(),
                person: Some(mediator.clone()),
                note: Some("请按时限签收办理".to_owned()),
            },
        ));
        steps.push((
            meta(&handler.staff, at(rng, HOUR, DAY), handler),
            Command::Acknowledge { person: None },
        ));
        // Escalation (here: one party refuses mediation and is referred to court) is likelier
        // in the cases people in the field worry about: threats, group disputes, major ones
        // and petitions. This is the signal a generated county gives the escalation model to
        // find; everything else about an escalated case is drawn as for any other.
        let mut refer = 0.01;
        if !hejie_insight::warning::threat_words(&description).is_empty() {
            refer += 0.3;
        }
        if head_count.is_some_and(|n| n >= 5) {
            refer += 0.12;
        }
        if severity == Severity::Major {
            refer += 0.06;
        }
        if channel == Channel::Petition {
            refer += 0.1;
        }
        let roll: f64 = rng.random();
        if roll < 0.03 {
            steps.push((
                meta(&handler.staff, at(rng, DAY, 5 * DAY), handler),
                Command::Close {
                    outcome: Outcome::Withdrawn {
                        reason: "双方已自行和解，申请人撤回调解申请".to_owned(),
                    },
                },
            ));
        } else if roll < 0.03 + refer {
            steps.push((
                meta(&handler.staff, at(rng, DAY, 5 * DAY), handler),
                Command::Close {
                    outcome: Outcome::Referred {
                        target: ReferralTarget::Court,
                        reason: "一方明确拒绝调解，引导当事人依法向人民法院起诉".to_owned(),
                    },
                },
            ));
        } else {
            steps.push((
                meta(&handler.staff, at(rng, HOUR, 3 * DAY), handler),
                Command::StartMediation {
                    mediator: mediator.clone(),
                    parties_consented: true,
                },
            ));
            for _ in 0..rng.random_range(1..=3) {
                let held = at(rng, DAY, 10 * DAY);
                steps.push((
                    meta(&handler.staff, held.plus_seconds(2 * HOUR), handler),
                    Command::RecordSession {
                        held_at: held,
                        mode: if rng.random_bool(0.2) {
                            SessionMode::Online
                        } else {
                            SessionMode::InPerson
                        },
                        place: format!("{}调解室", handler.org.name),
                        attendees: vec![
                            applicant.name.clone(),
                            respondent.name.clone(),
                            handler.staff.name.clone(),
                        ],
                        minutes: format!(
                            "调解员{}主持调解。申请人{}陈述了诉求，被申请人{}作了答辩。调解员释法说理，分析利弊，双方就争议焦点充分交换了意见。",
                            handler.staff.name, applicant.name, respondent.name
                        ),
                    },
                ));
            }
            let close_at = at(rng, 3 * HOUR, 5 * DAY);
            let succeeded = rng.random_bool(0.9);
            let outcome = if succeeded {
                let pay = amount.map(|a| {
                    Money::from_fen(a.fen() * rng.random_range(50..=100) / 100).unwrap_or(a)
                });
                Outcome::Succeeded {
                    agreement: format!(
                        "经调解，双方自愿达成如下协议：一、{}于协议签订之日起十五日内向{}履行约定义务{}；二、双方就本纠纷再无其他争议。",
                        respondent.name,
                        applicant.name,
                        pay.map(|p| format!("，支付{p}")).unwrap_or_default()
                    ),
                    amount: pay,
                    obligations: vec![Obligation {
                        party: respondent.name.clone(),
                        duty: "按协议约定履行义务".to_owned(),
                        amount: pay,
                        due: Some(close_at.plus_seconds(15 * DAY)),
                    }],
                }
            } else {
                Outcome::Failed {
                    reason: "双方分歧较大，经多次调解未能达成一致，依法终止调解".to_owned(),
                    remedies_informed: true,
                }
            };
            steps.push((
                meta(&handler.staff, close_at, handler),
                Command::Close { outcome },
            ));
            if severity == Severity::Major || rng.random_bool(0.6) {
                let satisfaction = pick_weighted(
                    rng,
                    &[
                        (Satisfaction::Satisfied, 80),
                        (Satisfaction::FairlySatisfied, 15),
                        (Satisfaction::Dissatisfied, 5),
                    ],
                );
                steps.push((
                    meta(
                        &township.centre.staff,
                        at(rng, 3 * DAY, 20 * DAY),
                        &township.centre,
                    ),
                    Command::FollowUp {
                        method: ContactMethod::Phone,
                        satisfaction,
                        agreement_performed: succeeded.then(|| rng.random_bool(0.92)),
                        note: Some("当事人表示协议已基本履行，关系缓和".to_owned()),
                    },
                ));
            }
        }
    }
    // Steps that would happen after `now` have not happened yet.
    steps.retain(|(m, _)| life && m.at <= now);
    // Work in progress: many recent cases are still waiting at some step (to be accepted,
    // dispatched, acknowledged, mediated), so a register shows every state.
    if !steps.is_empty()
        && now.micros() - registered_at.micros() < 45 * DAY * 1_000_000
        && rng.random_bool(0.6)
    {
        let keep = rng.random_range(0..steps.len());
        steps.truncate(keep);
    }
    let n_steps = steps.len() + 1;

    let mut random = [0u8; 10];
    rng.fill(&mut random);
    let millis = u64::try_from(registered_at.micros() / 1000).unwrap_or(0);
    let id = CaseId(uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid());
    let prefix = reg_meta.division.county_prefix().to_owned();
    let year = registered_at.year_cst();
    let parties = vec![applicant, respondent];
    let received_by = Some(reception.org.clone());
    let build = move |number| -> Result<Vec<hejie_domain::case::Event>, DomainError> {
        let mut state = CaseState::default();
        let mut events = Vec::with_capacity(n_steps);
        let register = Register {
            id,
            number,
            channel,
            dispute_type: Some(dispute_type),
            parties,
            location,
            description,
            amount,
            head_count,
            received_by,
        };
        // A command, then the policy's companions for the events it produced.
        let mut run =
            |state: &mut CaseState, meta: Meta, command: Command| -> Result<(), DomainError> {
                let first = events.len();
                for e in handle(state, meta.clone(), command)? {
                    state.apply(&e);
                    events.push(e);
                }
                if let Some(after) = state.case().cloned() {
                    for c in POLICY.companions(&after, &events[first..]) {
                        for e in handle(state, meta.clone(), c)? {
                            state.apply(&e);
                            events.push(e);
                        }
                    }
                }
                Ok(())
            };
        run(&mut state, reg_meta, Command::Register(Box::new(register)))?;
        for (meta, command) in steps {
            run(&mut state, meta, command)?;
        }
        Ok(events)
    };
    Plan {
        new_case: NewCase {
            id,
            prefix,
            year,
            // Generated cases are recorded at the generator's "now", after all their events.
            at: now,
            build: Box::new(build),
            effects: None,
        },
        steps: n_steps,
    }
}

#[cfg(test)]
mod tests {
    use hejie_crypto::{KeyedSealer, MasterKey};
    use hejie_domain::calendar::WorkCalendar;
    use hejie_domain::case::{CaseNumber, EventBody};
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn synthetic_cases_carry_time_limits_that_match_their_age() {
        let mut rng = StdRng::seed_from_u64(7);
        let county = crate::synth::county::build(&mut rng, 2).expect("a county");
        let sealer = KeyedSealer::new(&MasterKey::generate());
        let now = Timestamp::from_micros(1_795_000_000_000_000);
        let from = now.plus_seconds(-120 * DAY);
        let calendar = WorkCalendar::china_default();
        let (mut open, mut overdue, mut counting_down) = (0, 0, 0);
        for seq in 1..=300 {
            let plan = plan(&mut rng, &county, &sealer, from, now, true);
            let new = plan.new_case;
            let number = CaseNumber::new(&new.prefix, new.year, seq).expect("a number");
            let events = (new.build)(number).expect("a valid life");
            assert!(
                events
                    .iter()
                    .any(|e| matches!(e.body, EventBody::TimeLimitSet { .. })),
                "every case has time limits"
            );
            let state = CaseState::replay(&events);
            let case = state.case().expect("a case");
            if !case.status.is_open() {
                continue;
            }
            open += 1;
            match case.clocks.most_urgent(&calendar, now) {
                Some((_, r)) if r.overdue => overdue += 1,
                Some((_, r)) if !r.paused => counting_down += 1,
                _ => {}
            }
        }
        assert!(open > 0, "some cases are open");
        assert!(overdue > 0, "old open cases are overdue");
        assert!(counting_down > 0, "recent open cases count down");
    }
}
