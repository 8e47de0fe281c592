//! Folding events into the current state of a case. No rules live here.

use serde::{Deserialize, Serialize};

use super::{
    CaseId, CaseNumber, Channel, ClockKind, Clocks, Consultant, DisputeType, Event, EventBody,
    Holder, Location, OrgRef, Outcome, Party, PendingReferral, PersonRef, Satisfaction, Severity,
    Stage, Status, Supervision, Track,
};
use crate::clock::{Clock, Pause};
use crate::money::Money;
use crate::timestamp::Timestamp;

/// The current state of a registered case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub id: CaseId,
    pub number: CaseNumber,
    pub status: Status,
    pub channel: Channel,
    pub dispute_type: Option<DisputeType>,
    pub severity: Option<Severity>,
    pub track: Option<Track>,
    pub parties: Vec<Party>,
    pub location: Location,
    pub description: String,
    pub amount: Option<Money>,
    pub head_count: Option<u32>,
    pub holder: Option<Holder>,
    pub mediator: Option<PersonRef>,
    pub sessions: u32,
    pub outcome: Option<Outcome>,
    pub follow_ups: u32,
    pub satisfaction: Option<Satisfaction>,
    /// The party's own rating, given through self-service.
    pub party_rating: Option<Satisfaction>,
    pub registered_at: Timestamp,
    pub updated_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    /// The two clocks (两个时钟) and their pauses.
    pub clocks: Clocks,
    /// Departments and experts invited to a joint consultation (会诊).
    pub consultants: Vec<Consultant>,
    /// A referral waiting for its receipt.
    pub referral: Option<PendingReferral>,
    /// When the next follow-up (回访) is due, if one is scheduled and not yet done.
    pub follow_up_due: Option<Timestamp>,
    /// The latest performance check (履行检查) of each obligation: (index, performed).
    pub performance: Vec<(u32, bool)>,
    /// How many times the case was escalated (上报) to a higher level; the indicators count a
    /// case resolved without any escalation as resolved where it arose (就地化解).
    #[serde(default)]
    pub escalations: u32,
    /// How many times the case was reopened (重新办理) after being closed.
    #[serde(default)]
    pub reopenings: u32,
    /// Reports of the same dispute linked to this case (一案一码): the channel and when, oldest
    /// first. Repeated visits and petitions about an open case are read from here.
    #[serde(default)]
    pub linked_reports: Vec<(Channel, Timestamp)>,
    /// The parties' answers to the invitation to mediate (Art. 17), by party index, in order.
    #[serde(default)]
    pub consents: Vec<(u32, crate::mediation::ConsentAnswer, Timestamp)>,
    /// The current version of the 人民调解协议书 and its signatures (Art. 29).
    #[serde(default)]
    pub agreement: Option<crate::mediation::AgreementRecord>,
    /// The joint application for judicial confirmation and the court's ruling (Art. 33).
    #[serde(default)]
    pub confirmation: Option<crate::mediation::ConfirmationRecord>,
    /// The files in the case's evidence, oldest first.
    #[serde(default)]
    pub evidence: Vec<crate::mediation::Evidence>,
    /// Requests to file with the court (诉非对接) and their receipts, oldest first.
    #[serde(default)]
    pub filings: Vec<crate::mediation::Filing>,
    /// Sessions scheduled (安排调解), in order: when, how, where.
    #[serde(default)]
    pub scheduled: Vec<ScheduledSession>,
    /// The organisation and mediator the applicant chose, if they chose.
    #[serde(default)]
    pub preference: Option<Preference>,
}

/// The organisation and the mediator an applicant chose (either may be left to the window).
pub type Preference = (Option<OrgRef>, Option<PersonRef>);

/// A session scheduled for the parties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledSession {
    pub number: u32,
    pub at: Timestamp,
    pub mode: super::SessionMode,
    pub place: String,
    pub note: Option<String>,
    /// When it was scheduled.
    pub scheduled_at: Timestamp,
}

impl Case {
    /// Starts the next holder's stage.
    fn next_stage(&mut self, at: Timestamp) {
        let no = self.clocks.stage_no() + 1;
        self.clocks.stage = Some(Stage::new(no, at));
    }

    fn stop_clocks(&mut self, at: Timestamp) {
        if !self.clocks.is_paused() {
            self.clocks.pauses.push(Pause { from: at, to: None });
        }
    }

    fn restart_clocks(&mut self, at: Timestamp) {
        if let Some(p) = self.clocks.pauses.last_mut()
            && p.to.is_none()
        {
            p.to = Some(at);
        }
    }

    fn hand_to(&mut self, organisation: &super::OrgRef, at: Timestamp) {
        self.status = Status::Assigned;
        self.holder = Some(Holder {
            organisation: organisation.clone(),
            person: None,
        });
        self.mediator = None;
        self.next_stage(at);
    }
}

fn clear_overdue(stage: &mut Stage, kind: ClockKind) {
    stage.overdue.retain(|k| *k != kind);
    stage.reminded.retain(|k| *k != kind);
    if stage.overdue.is_empty() {
        stage.overdue_since = None;
    }
}

/// A case's state as rebuilt from its events, with the number of events folded so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseState {
    case: Option<Case>,
    version: u64,
}

impl CaseState {
    /// Rebuilds a state from a whole stream.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut s = Self::default();
        for e in events {
            s.apply(e);
        }
        s
    }

    pub fn case(&self) -> Option<&Case> {
        self.case.as_ref()
    }

    /// Number of events applied: the expected version for the next append.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn apply(&mut self, event: &Event) {
        self.version += 1;
        let at = event.meta.at;
        if let EventBody::Registered {
            id,
            number,
            channel,
            dispute_type,
            parties,
            location,
            description,
            amount,
            head_count,
            received_by,
        } = &event.body
        {
            self.case = Some(Case {
                id: *id,
                number: number.clone(),
                status: Status::Registered,
                channel: *channel,
                dispute_type: *dispute_type,
                severity: None,
                track: None,
                parties: parties.clone(),
                location: location.clone(),
                description: description.clone(),
                amount: *amount,
                head_count: *head_count,
                holder: received_by.clone().map(|organisation| Holder {
                    organisation,
                    person: None,
                }),
                mediator: None,
                sessions: 0,
                outcome: None,
                follow_ups: 0,
                satisfaction: None,
                party_rating: None,
                registered_at: at,
                updated_at: at,
                closed_at: None,
                clocks: Clocks {
                    stage: Some(Stage::new(1, at)),
                    ..Clocks::default()
                },
                consultants: Vec::new(),
                referral: None,
                follow_up_due: None,
                performance: Vec::new(),
                escalations: 0,
                reopenings: 0,
                linked_reports: Vec::new(),
                consents: Vec::new(),
                agreement: None,
                confirmation: None,
                evidence: Vec::new(),
                filings: Vec::new(),
                scheduled: Vec::new(),
                preference: None,
            });
            return;
        }
        let Some(c) = self.case.as_mut() else {
            return;
        };
        c.updated_at = at;
        match &event.body {
            EventBody::Registered { .. } => {}
            EventBody::Accepted {
                dispute_type,
                severity,
                track,
                ..
            } => {
                c.status = Status::Accepted;
                c.dispute_type = Some(*dispute_type);
                c.severity = Some(*severity);
                c.track = Some(*track);
            }
            EventBody::Declined { .. } => {
                c.status = Status::Declined;
                c.holder = None;
                c.closed_at = Some(at);
                c.stop_clocks(at);
            }
            EventBody::Assigned {
                organisation,
                person,
                ..
            } => {
                c.hand_to(organisation, at);
                if let Some(h) = c.holder.as_mut() {
                    h.person = person.clone();
                }
            }
            EventBody::Routed { organisation, .. } => c.hand_to(organisation, at),
            EventBody::Acknowledged {
                organisation,
                person,
            } => {
                c.status = Status::InProgress;
                let keep = c.holder.as_ref().and_then(|h| h.person.clone());
                c.holder = Some(Holder {
                    organisation: organisation.clone(),
                    person: person.clone().or(keep),
                });
                if let Some(stage) = c.clocks.stage.as_mut() {
                    stage.acknowledge = None;
                    clear_overdue(stage, ClockKind::Acknowledge);
                }
            }
            EventBody::MediationStarted { mediator } => {
                c.status = Status::Mediating;
                c.mediator = Some(mediator.clone());
            }
            EventBody::ConsentRecorded { party, answer } => {
                c.consents.push((*party, answer.clone(), at));
            }
            EventBody::AgreementDrafted {
                version,
                agreement,
                content_hash,
            } => {
                c.agreement = Some(crate::mediation::AgreementRecord::new(
                    c.parties.iter().map(|p| p.name.clone()).collect(),
                    *version,
                    agreement.clone(),
                    content_hash.clone(),
                    at,
                ));
            }
            EventBody::AgreementSigned {
                signature,
                effective,
            } => {
                if let Some(a) = c.agreement.as_mut() {
                    a.signing.signatures.push(signature.clone());
                    if *effective {
                        a.effective_at = Some(at);
                    }
                }
            }
            EventBody::ConfirmationApplied {
                applicants,
                court,
                deadline,
            } => {
                c.confirmation = Some(crate::mediation::ConfirmationRecord {
                    applicants: applicants.clone(),
                    court: court.clone(),
                    deadline: *deadline,
                    applied_at: at,
                    ruling: None,
                    receipt: None,
                });
            }
            EventBody::EvidenceAdded { evidence } => c.evidence.push(evidence.clone()),
            EventBody::ConfirmationRuled {
                confirmed,
                ruling,
                note,
            } => {
                if let Some(conf) = c.confirmation.as_mut() {
                    conf.ruling = Some(crate::mediation::ConfirmationRuling {
                        confirmed: *confirmed,
                        ruling: ruling.clone(),
                        note: note.clone(),
                        at,
                    });
                }
            }
            EventBody::SessionRecorded { .. } => c.sessions += 1,
            EventBody::Closed { outcome } => {
                c.status = Status::Closed;
                c.outcome = Some(outcome.clone());
                c.closed_at = Some(at);
                c.referral = None;
                c.stop_clocks(at);
            }
            // Viewing personal data changes nothing but the record of who looked.
            EventBody::PersonalDataViewed { .. } => {}
            // The room's comings, goings and chat are the record of the online session; the
            // case's state does not change.
            EventBody::ConfirmationReceived { receipt } => {
                if let Some(conf) = c.confirmation.as_mut() {
                    conf.receipt = Some((receipt.clone(), at));
                }
            }
            EventBody::PreferenceStated {
                organisation,
                mediator,
            } => c.preference = Some((organisation.clone(), mediator.clone())),
            EventBody::SessionScheduled {
                number,
                at: when,
                mode,
                place,
                note,
            } => c.scheduled.push(ScheduledSession {
                number: *number,
                at: *when,
                mode: *mode,
                place: place.clone(),
                note: note.clone(),
                scheduled_at: at,
            }),
            EventBody::FilingRequested {
                filing_id,
                court,
                claims,
                party,
            } => c.filings.push(crate::mediation::Filing {
                filing_id: filing_id.clone(),
                court: court.clone(),
                claims: claims.clone(),
                party: *party,
                requested_at: at,
                receipt: None,
            }),
            EventBody::FilingReceived { filing_id, receipt } => {
                if let Some(f) = c.filings.iter_mut().find(|f| &f.filing_id == filing_id) {
                    f.receipt = Some((receipt.clone(), at));
                }
            }
            EventBody::RoomJoined { .. }
            | EventBody::RoomLeft { .. }
            | EventBody::RoomMessage { .. } => {}
            // A linked report is remembered (repeat visits, petitions); the case goes on.
            EventBody::ReportLinked { channel, .. } => c.linked_reports.push((*channel, at)),
            EventBody::RatedByParty { satisfaction, .. } => c.party_rating = Some(*satisfaction),
            EventBody::FollowedUp { satisfaction, .. } => {
                c.status = Status::FollowedUp;
                c.follow_ups += 1;
                c.satisfaction = Some(*satisfaction);
                c.follow_up_due = None;
            }
            EventBody::TimeLimitSet { clock, limit, .. } => {
                let limit = *limit;
                match clock {
                    ClockKind::Overall => {
                        c.clocks.overall = Some(Clock {
                            started: c.registered_at,
                            limit,
                        });
                    }
                    ClockKind::Acknowledge => {
                        if let Some(stage) = c.clocks.stage.as_mut() {
                            stage.acknowledge = Some(Clock {
                                started: stage.since,
                                limit,
                            });
                        }
                    }
                    ClockKind::Resolve => {
                        if let Some(stage) = c.clocks.stage.as_mut() {
                            stage.resolve = Some(Clock {
                                started: stage.since,
                                limit,
                            });
                        }
                    }
                }
            }
            EventBody::Escalated { to, .. } => {
                c.escalations += 1;
                c.hand_to(to, at);
            }
            EventBody::Transferred { to, .. } => c.hand_to(to, at),
            EventBody::HandedDown {
                to, instructions, ..
            } => {
                c.hand_to(to, at);
                if let Some(stage) = c.clocks.stage.as_mut() {
                    stage.instructions = Some(instructions.clone());
                }
            }
            EventBody::ConsultationInvited {
                organisation,
                purpose,
            } => c.consultants.push(Consultant {
                organisation: organisation.clone(),
                purpose: purpose.clone(),
                opinions: 0,
            }),
            EventBody::OpinionRecorded { organisation, .. } => {
                if let Some(k) = c
                    .consultants
                    .iter_mut()
                    .find(|k| k.organisation.id == organisation.id)
                {
                    k.opinions += 1;
                }
            }
            EventBody::ReferredOut {
                target,
                receiver,
                reason,
                ..
            } => {
                c.referral = Some(PendingReferral {
                    target: *target,
                    receiver: receiver.clone(),
                    reason: reason.clone(),
                    at,
                });
            }
            EventBody::ReferralAnswered { accepted, .. } => {
                if let Some(r) = c.referral.take()
                    && *accepted
                {
                    c.status = Status::Closed;
                    c.outcome = Some(Outcome::Referred {
                        target: r.target,
                        reason: r.reason,
                    });
                    c.closed_at = Some(at);
                    c.stop_clocks(at);
                }
            }
            EventBody::Paused { .. } => c.stop_clocks(at),
            EventBody::Resumed { .. } => c.restart_clocks(at),
            EventBody::Supervised { limit, note, .. } => {
                if let Some(stage) = c.clocks.stage.as_mut() {
                    stage.resolve = Some(Clock {
                        started: at,
                        limit: *limit,
                    });
                    clear_overdue(stage, ClockKind::Resolve);
                    stage.supervisions.push(Supervision {
                        by: PersonRef {
                            id: event.meta.actor.id,
                            name: event.meta.actor.name.clone(),
                        },
                        note: note.clone(),
                        at,
                        limit: *limit,
                    });
                }
            }
            EventBody::Reminded { clock, .. } => match clock {
                ClockKind::Overall => c.clocks.overall_reminded = true,
                kind => {
                    if let Some(stage) = c.clocks.stage.as_mut() {
                        stage.reminded.push(*kind);
                    }
                }
            },
            EventBody::MarkedOverdue { clock, .. } => match clock {
                ClockKind::Overall => c.clocks.overall_overdue = true,
                kind => {
                    if let Some(stage) = c.clocks.stage.as_mut() {
                        stage.overdue.push(*kind);
                        stage.overdue_since.get_or_insert(at);
                    }
                }
            },
            EventBody::Reopened { .. } => {
                c.reopenings += 1;
                c.status = Status::InProgress;
                c.outcome = None;
                c.closed_at = None;
                c.follow_up_due = None;
                c.restart_clocks(at);
                c.next_stage(at);
            }
            EventBody::FollowUpScheduled { due, .. } => c.follow_up_due = Some(*due),
            EventBody::PerformanceChecked {
                obligation,
                performed,
                ..
            } => {
                c.performance.retain(|(i, _)| i != obligation);
                c.performance.push((*obligation, *performed));
            }
        }
    }
}
