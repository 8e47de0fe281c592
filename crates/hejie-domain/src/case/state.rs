//! Folding events into the current state of a case. No rules live here.

use serde::{Deserialize, Serialize};

use super::{
    CaseId, CaseNumber, Channel, DisputeType, Event, EventBody, Holder, Location, Outcome, Party,
    PersonRef, Satisfaction, Severity, Status, Track,
};
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
            }
            EventBody::Assigned {
                organisation,
                person,
                ..
            } => {
                c.status = Status::Assigned;
                c.holder = Some(Holder {
                    organisation: organisation.clone(),
                    person: person.clone(),
                });
            }
            EventBody::Routed { organisation, .. } => {
                c.status = Status::Assigned;
                c.holder = Some(Holder {
                    organisation: organisation.clone(),
                    person: None,
                });
            }
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
            }
            EventBody::MediationStarted { mediator } => {
                c.status = Status::Mediating;
                c.mediator = Some(mediator.clone());
            }
            EventBody::SessionRecorded { .. } => c.sessions += 1,
            EventBody::Closed { outcome } => {
                c.status = Status::Closed;
                c.outcome = Some(outcome.clone());
                c.closed_at = Some(at);
            }
            // Viewing personal data changes nothing but the record of who looked.
            EventBody::PersonalDataViewed { .. } => {}
            // A linked report adds to the record; the case goes on as it was.
            EventBody::ReportLinked { .. } => {}
            EventBody::RatedByParty { satisfaction, .. } => c.party_rating = Some(*satisfaction),
            EventBody::FollowedUp { satisfaction, .. } => {
                c.status = Status::FollowedUp;
                c.follow_ups += 1;
                c.satisfaction = Some(*satisfaction);
            }
        }
    }
}
