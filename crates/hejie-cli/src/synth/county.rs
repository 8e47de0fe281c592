//! The demo county: 青溪市和安县 with its townships, villages, grids, organisations and staff.
//!
//! Everything is derived deterministically from the corpus, so running `gen` twice upserts the
//! same divisions, organisations and users instead of creating new ones.

use anyhow::{Context, Result};
use hejie_domain::case::OrgRef;
use hejie_domain::division::{Division, DivisionCode};
use hejie_domain::org::{
    CommitteeScope, Department, Organisation, OrganisationId, OrganisationKind, Stationing,
};
use hejie_domain::user::{Actor, Role, User, UserId};
use hejie_store::Store;
use rand::Rng;
use rand::rngs::StdRng;
use uuid::Uuid;

use super::corpus::{GIVEN_NAME_CHARS, SURNAMES, TOWNSHIPS};

pub const CITY: &str = "339000000000";
pub const COUNTY: &str = "339021000000";

/// A unit that can hold cases, with the staff member who acts for it.
#[derive(Debug, Clone)]
pub struct Unit {
    pub org: OrgRef,
    pub staff: Actor,
}

#[derive(Debug, Clone)]
pub struct Village {
    pub code: DivisionCode,
    pub name: String,
    pub population: u64,
    pub grids: Vec<(DivisionCode, Actor)>,
    pub committee: Unit,
    pub township: usize,
}

#[derive(Debug, Clone)]
pub struct Township {
    /// The window of the township centre: registers and follows up.
    pub centre: Unit,
    pub committee: Unit,
    pub brand_room: Option<Unit>,
}

/// The whole demo county, ready to be written and to drive case generation.
#[derive(Debug, Clone)]
pub struct County {
    pub divisions: Vec<Division>,
    pub organisations: Vec<Organisation>,
    pub users: Vec<User>,
    pub townships: Vec<Township>,
    pub villages: Vec<Village>,
    pub centre: Unit,
    pub labour_committee: Unit,
    pub medical_committee: Unit,
    pub traffic_committee: Unit,
}

/// A stable id derived from a label, so reruns address the same rows.
pub fn stable_id(label: &str) -> Uuid {
    let digest = hejie_crypto::sm3_hex(label.as_bytes());
    let mut bytes = [0u8; 16];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(&digest[i * 2..i * 2 + 2], 16).unwrap_or(0);
    }
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

pub fn person_name(rng: &mut StdRng) -> String {
    let mut name = SURNAMES[rng.random_range(0..SURNAMES.len())].to_owned();
    let n = if rng.random_bool(0.75) { 2 } else { 1 };
    for _ in 0..n {
        name.push_str(GIVEN_NAME_CHARS[rng.random_range(0..GIVEN_NAME_CHARS.len())]);
    }
    name
}

struct Builder<'a> {
    rng: &'a mut StdRng,
    organisations: Vec<Organisation>,
    users: Vec<User>,
}

impl Builder<'_> {
    fn org(
        &mut self,
        key: &str,
        name: &str,
        division: &DivisionCode,
        kind: OrganisationKind,
    ) -> Result<OrgRef> {
        let id = OrganisationId(stable_id(&format!("org:{key}")));
        let org = Organisation::new(id, name, division.clone(), kind)?;
        self.organisations.push(org);
        Ok(OrgRef {
            id,
            name: name.to_owned(),
            division: division.clone(),
        })
    }

    fn user(
        &mut self,
        username: &str,
        role: Role,
        jurisdiction: &DivisionCode,
        org: Option<&OrgRef>,
    ) -> Result<Actor> {
        let name = person_name(self.rng);
        let user = User::new(
            UserId(stable_id(&format!("user:{username}"))),
            username,
            &name,
            role,
            jurisdiction.clone(),
            org.map(|o| o.id),
        )?;
        let actor = Actor::of(&user);
        self.users.push(user);
        Ok(actor)
    }

    fn unit(
        &mut self,
        key: &str,
        name: &str,
        division: &DivisionCode,
        kind: OrganisationKind,
        role: Role,
    ) -> Result<Unit> {
        let org = self.org(key, name, division, kind)?;
        // The county window's clerk is the one demo users are told to sign in as.
        let username = if key == "county-centre" { "clerk" } else { key };
        let staff = self.user(username, role, division, Some(&org))?;
        Ok(Unit { org, staff })
    }
}

fn code(s: &str) -> Result<DivisionCode> {
    DivisionCode::parse(s).with_context(|| format!("demo division code {s}"))
}

/// Builds the demo county with its first `townships` townships (all of them when larger). Staff
/// names come from `rng`, everything else is fixed.
pub fn build(rng: &mut StdRng, townships: usize) -> Result<County> {
    let city = code(CITY)?;
    let county = code(COUNTY)?;
    let specs = &TOWNSHIPS[..townships.clamp(1, TOWNSHIPS.len())];
    let population: u64 = specs.iter().map(|t| t.population).sum();
    let mut divisions = vec![
        Division::new(city.clone(), "青溪市", None, population * 5)?,
        Division::new(county.clone(), "和安县", Some(city.clone()), population)?,
    ];
    let mut b = Builder {
        rng,
        organisations: Vec::new(),
        users: Vec::new(),
    };
    let centre = b.unit(
        "county-centre",
        "和安县矛盾纠纷调处化解中心",
        &county,
        OrganisationKind::Centre,
        Role::WindowClerk,
    )?;
    let labour_committee = b.unit(
        "county-labour",
        "和安县劳动争议人民调解委员会",
        &county,
        OrganisationKind::MediationCommittee {
            scope: CommitteeScope::Industry,
        },
        Role::Mediator,
    )?;
    let medical_committee = b.unit(
        "county-medical",
        "和安县医疗纠纷人民调解委员会",
        &county,
        OrganisationKind::MediationCommittee {
            scope: CommitteeScope::Industry,
        },
        Role::Mediator,
    )?;
    let traffic_committee = b.unit(
        "county-traffic",
        "和安县道路交通事故纠纷人民调解委员会",
        &county,
        OrganisationKind::MediationCommittee {
            scope: CommitteeScope::Industry,
        },
        Role::Mediator,
    )?;
    let departments = [
        (
            Department::Police,
            Stationing::Permanent,
            "和安县公安局驻中心工作站",
        ),
        (
            Department::Court,
            Stationing::Permanent,
            "和安县人民法院诉调对接工作室",
        ),
        (
            Department::HumanResources,
            Stationing::Permanent,
            "和安县人力资源和社会保障局驻中心窗口",
        ),
        (
            Department::LettersAndVisits,
            Stationing::Permanent,
            "和安县信访局驻中心窗口",
        ),
        (
            Department::Housing,
            Stationing::Rotating,
            "和安县住房和城乡建设局",
        ),
        (
            Department::NaturalResources,
            Stationing::Rotating,
            "和安县自然资源和规划局",
        ),
        (
            Department::WomensFederation,
            Stationing::OnCall,
            "和安县妇女联合会",
        ),
        (Department::CivilAffairs, Stationing::OnCall, "和安县民政局"),
    ];
    for (i, (department, stationing, name)) in departments.into_iter().enumerate() {
        let org = b.org(
            &format!("county-dept-{i}"),
            name,
            &county,
            OrganisationKind::Department {
                department,
                stationing,
            },
        )?;
        let role = if department == Department::Court {
            Role::CourtLiaison
        } else {
            Role::DepartmentHandler
        };
        b.user(&format!("dept{i}"), role, &county, Some(&org))?;
    }
    b.user("admin", Role::Admin, &county, None)?;
    b.user("supervisor", Role::Supervisor, &county, Some(&centre.org))?;
    b.user("resident", Role::Resident, &county, None)?;

    let mut townships = Vec::new();
    let mut villages = Vec::new();
    for (ti, t) in specs.iter().enumerate() {
        let tcode = code(&format!("339021{:03}000", 100 + ti))?;
        divisions.push(Division::new(
            tcode.clone(),
            t.name,
            Some(county.clone()),
            t.population,
        )?);
        let key = format!("t{ti}");
        let centre = b.unit(
            &format!("{key}-centre"),
            &format!("{}矛盾纠纷调处化解中心", t.name),
            &tcode,
            OrganisationKind::Centre,
            Role::WindowClerk,
        )?;
        let committee = b.unit(
            &format!("{key}-committee"),
            &format!("{}人民调解委员会", t.name),
            &tcode,
            OrganisationKind::MediationCommittee {
                scope: CommitteeScope::Township,
            },
            Role::Mediator,
        )?;
        b.user(
            &format!("{key}-advisor"),
            Role::JudicialGeneralAdvisor,
            &tcode,
            Some(&centre.org),
        )?;
        let brand_room = if ti % 3 == 0 {
            let surname = SURNAMES[(ti * 7) % SURNAMES.len()];
            Some(b.unit(
                &format!("{key}-brand"),
                &format!("老{surname}调解室"),
                &tcode,
                OrganisationKind::BrandRoom,
                Role::Mediator,
            )?)
        } else {
            None
        };
        let weights: u64 = t.villages.len() as u64;
        let (mut community_no, mut village_no) = (1, 201);
        for (vi, vname) in t.villages.iter().enumerate() {
            let serial = if vname.ends_with("社区") {
                community_no += 1;
                community_no - 1
            } else {
                village_no += 1;
                village_no - 1
            };
            let vcode = code(&format!("339021{:03}{:03}", 100 + ti, serial))?;
            let vpop = t.population / weights + (vi as u64 * 317) % 900;
            divisions.push(Division::new(
                vcode.clone(),
                vname,
                Some(tcode.clone()),
                vpop,
            )?);
            let vkey = format!("{key}v{vi}");
            let committee = b.unit(
                &vkey,
                &format!("{vname}人民调解委员会"),
                &vcode,
                OrganisationKind::MediationCommittee {
                    scope: CommitteeScope::Village,
                },
                Role::Mediator,
            )?;
            b.user(&format!("{vkey}-lawyer"), Role::LegalAdvisor, &vcode, None)?;
            let mut grids = Vec::new();
            let n_grids = 2 + (vi % 3);
            for g in 1..=n_grids {
                let gcode = code(&format!("{vcode}{g:03}"))?;
                divisions.push(Division::new(
                    gcode.clone(),
                    &format!("{vname}第{g}网格"),
                    Some(vcode.clone()),
                    vpop / n_grids as u64,
                )?);
                let worker = b.user(&format!("{vkey}g{g}"), Role::GridWorker, &gcode, None)?;
                grids.push((gcode, worker));
            }
            villages.push(Village {
                code: vcode,
                name: (*vname).to_owned(),
                population: vpop,
                grids,
                committee,
                township: ti,
            });
        }
        townships.push(Township {
            centre,
            committee,
            brand_room,
        });
    }
    Ok(County {
        divisions,
        organisations: b.organisations,
        users: b.users,
        townships,
        villages,
        centre,
        labour_committee,
        medical_committee,
        traffic_committee,
    })
}

/// Writes the county's reference data (idempotent upserts; parents before children).
pub async fn save(store: &dyn Store, county: &County) -> Result<()> {
    for d in &county.divisions {
        store
            .put_division(d)
            .await
            .with_context(|| format!("saving division {}", d.code))?;
    }
    for o in &county.organisations {
        store
            .put_organisation(o)
            .await
            .with_context(|| format!("saving organisation {}", o.name))?;
    }
    for u in &county.users {
        store
            .put_user(u)
            .await
            .with_context(|| format!("saving user {}", u.username))?;
    }
    Ok(())
}
