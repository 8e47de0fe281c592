//! Field work for the demo county (issue 7): boundaries, assignments, and two months of grid
//! workers' reports and patrols and legal advisors' visits, consultations and activities,
//! decided by the domain and written through the field store like the server writes them.
//! Some advisors fall short of their duties and one checks in outside the village, so the
//! compliance board has something to show.

use anyhow::{Context, Result};
use hejie_domain::case::GeoPoint;
use hejie_domain::division::{DivisionCode, Level};
use hejie_domain::field::{
    ActivityType, Command, Event, FenceCheck, FieldRecord, HouseholdVisit, Ledger, Meta,
    NewActivity, NewCheckIn, NewConsultation, NewPatrol, NewReport, Position, RecordId, TrackPoint,
    handle,
};
use hejie_domain::geo::{Area, Geometry};
use hejie_domain::timestamp::Timestamp;
use hejie_domain::user::{Actor, Role};
use hejie_store::Store;
use hejie_store::field::{Assignment, NewArea};
use rand::Rng;
use rand::rngs::StdRng;
use std::collections::HashMap;

use super::county::{County, stable_id};
use super::geo;

const DAY: i64 = 86_400;

/// What was written.
#[derive(Debug, Default, Clone, Copy)]
pub struct FieldSummary {
    pub areas: usize,
    pub records: usize,
}

struct Writer<'a> {
    store: &'a dyn Store,
    written: usize,
}

impl Writer<'_> {
    /// Decides `commands` on a new record and writes it with its row.
    async fn record(&mut self, key: &str, meta: Meta, commands: Vec<Command>) -> Result<()> {
        let id = RecordId(stable_id(key));
        if self.store.field_record(id).await?.is_some() {
            return Ok(());
        }
        let mut state = FieldRecord::default();
        let mut events: Vec<Event> = Vec::new();
        for c in commands {
            let mut m = meta.clone();
            // Later steps happen a little after the first (a check-out after its check-in).
            m.at = meta.at.plus_seconds(events.len() as i64 * 5_400);
            let new = handle(&state, id, &m, c).with_context(|| format!("demo record {key}"))?;
            for e in &new {
                state.apply(e);
            }
            events.extend(new);
        }
        let row = hejie_server::field::project(&events, &state);
        let at = events.last().map_or(meta.at, |e| e.meta.at);
        self.store.append_field(id, 0, events, row, at).await?;
        self.written += 1;
        Ok(())
    }
}

fn position(point: (f64, f64)) -> Option<Position> {
    GeoPoint::parse(point.1, point.0)
        .ok()
        .map(|point| Position {
            point,
            accuracy_m: Some(12),
        })
}

const HAZARDS: &[&str] = &[
    "楼道堆放杂物堵塞消防通道",
    "电动车在楼道内充电",
    "老旧房屋外墙有脱落风险",
    "路口护栏损坏",
    "燃气管道老化有异味",
];
const DISPUTES: &[&str] = &[
    "两户因排水沟堵塞发生争吵",
    "楼上漏水殃及楼下，双方协商不成",
    "邻居在公共通道搭建棚子",
    "宠物狗扰民引发口角",
];
const NEEDS: &[&str] = &[
    "独居老人需要助餐服务",
    "低保户咨询医保报销",
    "居民反映路灯不亮",
    "残疾人申请无障碍改造",
];
const TASKS: &[&str] = &[
    "入户采集流动人口信息",
    "张贴防汛宣传资料",
    "背街小巷环境整治",
];

/// Writes boundaries, assignments and field records ending at `now`.
pub async fn generate(
    store: &dyn Store,
    county: &County,
    rng: &mut StdRng,
    now: Timestamp,
) -> Result<FieldSummary> {
    let boundaries = geo::boundaries(county);
    let areas: Vec<NewArea> = boundaries
        .iter()
        .map(|(division, geometry)| NewArea {
            division: division.clone(),
            geometry: geometry.clone(),
        })
        .collect();
    let n_areas = areas.len();
    store
        .put_areas(areas, "system", now)
        .await
        .context("saving the demo boundaries")?;
    let shapes: HashMap<DivisionCode, String> = boundaries.into_iter().collect();
    let mut w = Writer { store, written: 0 };

    // Assignments: grid workers to their grids, advisors to their villages for the year.
    let existing = store
        .assignments(&DivisionCode::parse(super::county::COUNTY)?)
        .await?;
    if existing.is_empty() {
        // The contracts run from the start of last year to the end of this one (in the demo's
        // "now"), so the generated months and the months after them are all covered whatever
        // the date the demo is made on.
        let year = now.date_cst().year();
        let (starts, ends) = (format!("{}-01-01", year - 1), format!("{year}-12-31"));
        for u in &county.users {
            let (kind, places): (&str, Vec<DivisionCode>) = match u.role {
                Role::GridWorker => ("grid_worker", vec![u.jurisdiction.clone()]),
                Role::LegalAdvisor => ("legal_advisor", vec![u.jurisdiction.clone()]),
                Role::JudicialGeneralAdvisor => (
                    "judicial_general_advisor",
                    county
                        .villages
                        .iter()
                        .filter(|v| u.jurisdiction.contains(&v.code))
                        .map(|v| v.code.clone())
                        .collect(),
                ),
                _ => continue,
            };
            for p in places {
                store
                    .put_assignment(&Assignment {
                        id: stable_id(&format!("assign:{}:{p}", u.id)).to_string(),
                        kind: kind.to_owned(),
                        division: p,
                        user_id: u.id.to_string(),
                        starts: starts.clone(),
                        ends: Some(ends.clone()),
                        created_by: "system".to_owned(),
                        created_at: now,
                    })
                    .await?;
            }
        }
    }

    // Grid workers: reports into the four ledgers and patrols over the last 60 days.
    for v in &county.villages {
        for (grid, worker) in &v.grids {
            let Some(shape) = shapes.get(grid) else {
                continue;
            };
            let meta = |at: Timestamp| Meta {
                actor: worker.clone(),
                at,
                division: grid.clone(),
            };
            for n in 0..rng.random_range(2..7) {
                let at = now.plus_seconds(-rng.random_range(DAY..60 * DAY));
                let spot = geo::point_in(
                    shape,
                    rng.random_range(0.1..0.9),
                    rng.random_range(0.1..0.9),
                );
                let ledger = Ledger::ALL[rng.random_range(0..Ledger::ALL.len())];
                let (texts, category) = match ledger {
                    Ledger::Dispute => (DISPUTES, "邻里纠纷"),
                    Ledger::Hazard => (HAZARDS, "消防安全"),
                    Ledger::Livelihood => (NEEDS, "困难帮扶"),
                    Ledger::CentralWork => (TASKS, "政策宣传"),
                };
                let report = NewReport {
                    ledger,
                    category: category.to_owned(),
                    text: texts[rng.random_range(0..texts.len())].to_owned(),
                    parties: if ledger == Ledger::Dispute {
                        vec![
                            super::county::person_name(rng),
                            super::county::person_name(rng),
                        ]
                    } else {
                        Vec::new()
                    },
                    grid: grid.clone(),
                    position: spot.and_then(position),
                    observed_at: at,
                    photos: Vec::new(),
                };
                let mut commands = vec![Command::FileReport(Box::new(report.clone()))];
                match ledger {
                    // The demo's disputes from the field were settled where they arose (the
                    // ones that became cases are among the generated cases).
                    Ledger::Dispute => commands.push(Command::ResolveOnSpot {
                        record: "经网格员现场劝导，双方各退一步，达成一致".to_owned(),
                        confirmed_by: report.parties.clone(),
                    }),
                    _ if rng.random_bool(0.6) => commands.push(Command::FollowUp {
                        note: "已联系相关部门处理完毕，向群众反馈".to_owned(),
                        close: true,
                    }),
                    _ => {}
                }
                w.record(&format!("report:{grid}:{n}"), meta(at), commands)
                    .await?;
            }
            for d in 0..rng.random_range(8..20) {
                let start = now.plus_seconds(-(d + 1) * 2 * DAY - 9 * 3_600);
                let track = (0..6)
                    .filter_map(|k| {
                        let p = geo::point_in(shape, 0.15 * f64::from(k) + 0.1, 0.5)?;
                        Some(TrackPoint {
                            point: GeoPoint::parse(p.1, p.0).ok()?,
                            at: start.plus_seconds(i64::from(k) * 600),
                        })
                    })
                    .collect();
                let patrol = NewPatrol {
                    grid: grid.clone(),
                    started_at: start,
                    ended_at: start.plus_seconds(3_600),
                    track,
                    visits: vec![HouseholdVisit {
                        household: "独居老人".to_owned(),
                        note: "身体状况良好".to_owned(),
                        at: start.plus_seconds(1_800),
                    }],
                    note: String::new(),
                };
                w.record(
                    &format!("patrol:{grid}:{d}"),
                    meta(start.plus_seconds(3_600)),
                    vec![Command::LogPatrol(Box::new(patrol))],
                )
                .await?;
            }
        }
    }

    // Legal advisors: this month and last, each duty done or, for some, missed.
    let advisors: Vec<(Actor, DivisionCode)> = county
        .users
        .iter()
        .filter(|u| u.role == Role::LegalAdvisor && u.jurisdiction.level() == Level::Village)
        .map(|u| (Actor::of(u), u.jurisdiction.clone()))
        .collect();
    for (i, (actor, village)) in advisors.iter().enumerate() {
        let Some(shape) = shapes.get(village) else {
            continue;
        };
        let area = serde_json::from_str::<Geometry>(shape)
            .ok()
            .and_then(|g| Area::from_geometry(&g).ok());
        let meta = |at: Timestamp| Meta {
            actor: actor.clone(),
            at,
            division: village.clone(),
        };
        for month in 0..2_i64 {
            let base = now.plus_seconds(-month * 30 * DAY - 2 * DAY);
            // Every fourth advisor skips the talk; every fifth has no consultation.
            let skip_talk = i % 4 == 3;
            let skip_consultation = i % 5 == 4;
            let at = base.plus_seconds(-9 * 3_600);
            // The first advisor's latest visit was checked in from 1 km outside the village.
            let (u, v) = if i == 0 && month == 0 {
                (0.5, 1.5)
            } else {
                (0.5, 0.5)
            };
            let spot = geo::point_in(shape, u, v).and_then(|p| GeoPoint::parse(p.1, p.0).ok());
            let fence = FenceCheck::judge(area.as_ref(), spot, 50.0);
            let pos = spot.map(|point| Position {
                point,
                accuracy_m: Some(10),
            });
            w.record(
                &format!("visit:{}:{month}", actor.id),
                meta(at),
                vec![
                    Command::CheckIn(Box::new(NewCheckIn {
                        village: village.clone(),
                        position: pos,
                        fence,
                        photo: None,
                    })),
                    Command::CheckOut {
                        position: pos,
                        fence,
                        log: "走访村委会和重点户，排查矛盾纠纷苗头，未发现新情况".to_owned(),
                    },
                ],
            )
            .await?;
            if !skip_consultation {
                w.record(
                    &format!("consult:{}:{month}", actor.id),
                    meta(at.plus_seconds(3_600)),
                    vec![Command::LogConsultation(Box::new(NewConsultation {
                        village: village.clone(),
                        asker: super::county::person_name(rng),
                        question: "土地承包经营权流转合同到期后如何续签？".to_owned(),
                        answer: "按原合同约定协商续签，建议书面约定期限和租金".to_owned(),
                        legal_aid: false,
                        visit: None,
                    }))],
                )
                .await?;
            }
            let mut kinds = vec![ActivityType::Publicity];
            if !skip_talk {
                kinds.push(ActivityType::Talk);
            }
            for (k, kind) in kinds.into_iter().enumerate() {
                let held = at.plus_seconds(-(k as i64 + 1) * DAY);
                w.record(
                    &format!("activity:{}:{month}:{k}", actor.id),
                    meta(held),
                    vec![Command::LogActivity(Box::new(NewActivity {
                        village: village.clone(),
                        activity: kind,
                        title: match kind {
                            ActivityType::Talk => "民法典婚姻家庭编专题讲座",
                            _ => "防范电信诈骗普法宣传",
                        }
                        .to_owned(),
                        audience: rng.random_range(20..80),
                        note: String::new(),
                        held_at: held,
                        photos: Vec::new(),
                    }))],
                )
                .await?;
            }
        }
    }
    Ok(FieldSummary {
        areas: n_areas,
        records: w.written,
    })
}
