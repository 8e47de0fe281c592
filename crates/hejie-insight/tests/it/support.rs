//! Case histories built event by event, folded with `CaseState` as the store would fold them.

use hejie_domain::case::{
    Case, CaseId, CaseNumber, CaseState, Channel, ContactMethod, DisputeType, Event, EventBody,
    Location, Meta, Obligation, OrgRef, Outcome, Party, PartyKind, PartyRole, PersonRef,
    ReferralTarget, Satisfaction, SessionMode, Severity, Track,
};
use hejie_domain::clock::{Limit, LimitUnit};
use hejie_domain::division::DivisionCode;
use hejie_domain::org::OrganisationId;
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::{Actor, Role, UserId};
use uuid::Uuid;

pub fn code(s: &str) -> DivisionCode {
    DivisionCode::parse(s).expect("valid division code")
}

pub fn village() -> DivisionCode {
    code("339021100201")
}

pub fn other_village() -> DivisionCode {
    code("339021101001")
}

/// 2026-03-02 09:00 CST.
pub const BASE_MICROS: i64 = 1_772_413_200_000_000;

/// `hours` after 2026-03-02 09:00 CST.
pub fn at(hours: i64) -> Timestamp {
    Timestamp::from_micros(BASE_MICROS).plus_seconds(hours * 3600)
}

fn org(n: u128, name: &str, division: DivisionCode) -> OrgRef {
    OrgRef {
        id: OrganisationId(Uuid::from_u128(n)),
        name: name.to_owned(),
        division,
    }
}

pub fn committee() -> OrgRef {
    org(0xB2, "东门村人民调解委员会", village())
}

pub fn town_centre() -> OrgRef {
    org(0xA1, "城关镇矛盾纠纷调处化解中心", code("339021100000"))
}

fn actor() -> Actor {
    Actor {
        id: UserId(Uuid::from_u128(2)),
        name: "吴建国".to_owned(),
        role: Role::Mediator,
        organisation: Some(committee().id),
    }
}

/// One case's history, written as the workflow would record it.
#[derive(Debug, Clone)]
pub struct Story {
    pub events: Vec<Event>,
    /// Hours after [`BASE_MICROS`] of the next event.
    pub now: i64,
}

impl Story {
    pub fn register(
        n: u64,
        channel: Channel,
        dispute_type: Option<DisputeType>,
        division: DivisionCode,
        hour: i64,
    ) -> Self {
        let mut s = Self {
            events: Vec::new(),
            now: hour,
        };
        s.push(EventBody::Registered {
            id: CaseId(Uuid::from_u128(u128::from(n) + 1)),
            number: CaseNumber::new("339021", 2026, n + 1).expect("valid number"),
            channel,
            dispute_type,
            parties: vec![Party {
                kind: PartyKind::Person,
                role: PartyRole::Applicant,
                name: "张三".to_owned(),
                id_number: None,
                phone: None,
                address: None,
            }],
            location: Location {
                division,
                grid: None,
                point: None,
                address: None,
            },
            description: "两户因排水沟堵塞引发争执。".to_owned(),
            amount: None,
            head_count: None,
            received_by: Some(town_centre()),
        });
        s
    }

    pub fn push(&mut self, body: EventBody) -> &mut Self {
        self.events.push(Event {
            meta: Meta {
                actor: actor(),
                at: at(self.now),
                division: village(),
            },
            body,
        });
        self
    }

    /// Moves the clock to `hours` after the base instant.
    pub fn at(&mut self, hour: i64) -> &mut Self {
        self.now = hour;
        self
    }

    pub fn accept(&mut self, t: DisputeType, severity: Severity) -> &mut Self {
        self.push(EventBody::Accepted {
            dispute_type: t,
            severity,
            track: Track::Clinic,
            note: None,
        })
        .push(EventBody::Assigned {
            organisation: committee(),
            person: None,
            note: None,
        })
        .push(EventBody::Acknowledged {
            organisation: committee(),
            person: None,
        })
    }

    pub fn escalate(&mut self) -> &mut Self {
        self.push(EventBody::Escalated {
            from: Some(committee()),
            to: town_centre(),
            reason: "涉及多户，需上级协调".to_owned(),
        })
    }

    pub fn mediate(&mut self) -> &mut Self {
        let held_at = at(self.now);
        self.push(EventBody::MediationStarted {
            mediator: PersonRef {
                id: UserId(Uuid::from_u128(2)),
                name: "吴建国".to_owned(),
            },
        })
        .push(EventBody::SessionRecorded {
            held_at,
            mode: SessionMode::InPerson,
            place: "村委会".to_owned(),
            attendees: vec!["张三".to_owned()],
            minutes: "双方陈述".to_owned(),
        })
    }

    pub fn succeed(&mut self) -> &mut Self {
        self.push(EventBody::Closed {
            outcome: Outcome::Succeeded {
                agreement: "双方同意共同疏通排水沟".to_owned(),
                amount: None,
                obligations: vec![Obligation {
                    party: "李四".to_owned(),
                    duty: "疏通排水沟".to_owned(),
                    amount: None,
                    due: None,
                }],
            },
        })
    }

    pub fn fail(&mut self) -> &mut Self {
        self.push(EventBody::Closed {
            outcome: Outcome::Failed {
                reason: "双方分歧较大".to_owned(),
                remedies_informed: true,
            },
        })
    }

    pub fn withdraw(&mut self) -> &mut Self {
        self.push(EventBody::Closed {
            outcome: Outcome::Withdrawn {
                reason: "申请人撤回".to_owned(),
            },
        })
    }

    pub fn refer(&mut self, target: ReferralTarget) -> &mut Self {
        self.push(EventBody::ReferredOut {
            target,
            receiver: "县人民法院".to_owned(),
            reason: "当事人坚持诉讼".to_owned(),
            remedies_informed: true,
        })
        .push(EventBody::ReferralAnswered {
            accepted: true,
            receipt: Some("已立案".to_owned()),
            note: None,
        })
    }

    pub fn decline(&mut self) -> &mut Self {
        self.push(EventBody::Declined {
            reason: "属于刑事案件".to_owned(),
            guidance: "已引导报案".to_owned(),
        })
    }

    pub fn follow_up(&mut self, satisfaction: Satisfaction) -> &mut Self {
        self.push(EventBody::FollowedUp {
            method: ContactMethod::Phone,
            satisfaction,
            agreement_performed: None,
            note: None,
        })
    }

    pub fn rate(&mut self, satisfaction: Satisfaction) -> &mut Self {
        self.push(EventBody::RatedByParty {
            satisfaction,
            comment: None,
        })
    }

    pub fn reopen(&mut self) -> &mut Self {
        self.push(EventBody::Reopened {
            reason: "当事人不满意".to_owned(),
        })
    }

    pub fn check(&mut self, obligation: u32, performed: bool) -> &mut Self {
        self.push(EventBody::PerformanceChecked {
            obligation,
            performed,
            note: None,
        })
    }

    pub fn link(&mut self, channel: Channel) -> &mut Self {
        self.push(EventBody::ReportLinked {
            channel,
            reporter: "李四".to_owned(),
            summary: "再次反映".to_owned(),
        })
    }

    pub fn supervise(&mut self) -> &mut Self {
        self.push(EventBody::Supervised {
            holder: Some(committee()),
            limit: Limit {
                amount: 3,
                unit: LimitUnit::CalendarDays,
            },
            note: "请尽快办结".to_owned(),
        })
    }

    /// The case after every event so far.
    pub fn case(&self) -> Case {
        CaseState::replay(&self.events)
            .case()
            .expect("registered")
            .clone()
    }

    /// The case after each event, in order.
    pub fn states(&self) -> Vec<Case> {
        let mut st = CaseState::default();
        self.events
            .iter()
            .map(|e| {
                st.apply(e);
                st.case().expect("registered").clone()
            })
            .collect()
    }
}

/// A small deterministic generator (xorshift64*), so the property tests need no crate.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}
