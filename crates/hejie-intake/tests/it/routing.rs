//! Routing rules, data-driven over a fixture county: each row is a case and the organisation and
//! rule it must be routed to.

use std::collections::HashMap;

use hejie_domain::case::{DisputeType, Severity, Track};
use hejie_domain::division::DivisionCode;
use hejie_domain::org::{
    CommitteeScope, Department, Organisation, OrganisationId, OrganisationKind, Stationing,
};
use hejie_intake::{CaseFacts, RoutingError, RoutingRules};
use uuid::Uuid;

const COUNTY: &str = "330521000000";
/// 甲镇: has a committee, a centre and a brand room.
const TOWN_A: &str = "330521001000";
/// 东村 in 甲镇, with a village committee.
const EAST: &str = "330521001001";
/// 西村 in 甲镇, without a village committee.
const WEST: &str = "330521001002";
/// 乙镇: has a committee and a centre, no brand room.
const TOWN_B: &str = "330521002000";
/// 北村 in 乙镇, with a village committee.
const NORTH: &str = "330521002001";

fn code(s: &str) -> DivisionCode {
    DivisionCode::parse(s).expect("valid division code")
}

fn org(n: u128, name: &str, division: &str, kind: OrganisationKind) -> Organisation {
    Organisation::new(
        OrganisationId(Uuid::from_u128(n)),
        name,
        code(division),
        kind,
    )
    .expect("valid organisation")
}

fn committee(scope: CommitteeScope) -> OrganisationKind {
    OrganisationKind::MediationCommittee { scope }
}

/// A county with two townships, three villages (西村 without a committee), one brand room.
fn county() -> Vec<Organisation> {
    use CommitteeScope::{Industry, Township, Village};
    vec![
        org(
            1,
            "县矛盾纠纷调处化解中心",
            COUNTY,
            OrganisationKind::Centre,
        ),
        org(2, "县劳动争议人民调解委员会", COUNTY, committee(Industry)),
        org(3, "县医疗纠纷人民调解委员会", COUNTY, committee(Industry)),
        org(
            4,
            "县道路交通事故人民调解委员会",
            COUNTY,
            committee(Industry),
        ),
        org(
            5,
            "县住建局",
            COUNTY,
            OrganisationKind::Department {
                department: Department::Housing,
                stationing: Stationing::Rotating,
            },
        ),
        org(10, "甲镇调处化解中心", TOWN_A, OrganisationKind::Centre),
        org(11, "甲镇人民调解委员会", TOWN_A, committee(Township)),
        org(12, "老吴调解室", TOWN_A, OrganisationKind::BrandRoom),
        org(13, "东村人民调解委员会", EAST, committee(Village)),
        org(20, "乙镇调处化解中心", TOWN_B, OrganisationKind::Centre),
        org(21, "乙镇人民调解委员会", TOWN_B, committee(Township)),
        org(23, "北村人民调解委员会", NORTH, committee(Village)),
    ]
}

fn id_of(orgs: &[Organisation], name: &str) -> OrganisationId {
    orgs.iter()
        .find(|o| o.name == name)
        .map(|o| o.id)
        .expect("organisation in fixture")
}

/// An ordinary, routine, individual, local case of this type in this place.
fn case(division: &str, dispute_type: DisputeType) -> CaseFacts {
    CaseFacts {
        division: code(division),
        dispute_type,
        severity: Severity::Ordinary,
        track: Track::Clinic,
        head_count: None,
        cross_division: false,
    }
}

trait Facts {
    fn sev(self, s: Severity) -> Self;
    fn track(self, t: Track) -> Self;
    fn heads(self, n: u32) -> Self;
    fn cross(self) -> Self;
}

impl Facts for CaseFacts {
    fn sev(self, severity: Severity) -> Self {
        Self { severity, ..self }
    }
    fn track(self, track: Track) -> Self {
        Self { track, ..self }
    }
    fn heads(self, n: u32) -> Self {
        Self {
            head_count: Some(n),
            ..self
        }
    }
    fn cross(self) -> Self {
        Self {
            cross_division: true,
            ..self
        }
    }
}

#[track_caller]
fn check_with(
    rules: &RoutingRules,
    orgs: &[Organisation],
    load: &HashMap<OrganisationId, u32>,
    facts: CaseFacts,
    expected_org: &str,
    expected_rule: &str,
) {
    let d = rules
        .route(&facts, orgs, load)
        .unwrap_or_else(|| panic!("{facts:?}: no organisation chosen"));
    assert_eq!(
        (d.organisation.name.as_str(), d.rule_id.as_str()),
        (expected_org, expected_rule),
        "{facts:?}: {}",
        d.reason
    );
    assert!(d.reason.contains(expected_rule), "{}", d.reason);
    assert!(d.reason.contains(expected_org), "{}", d.reason);
    assert!(!d.rule_name.is_empty());
}

#[track_caller]
fn check(facts: CaseFacts, expected_org: &str, expected_rule: &str) {
    check_with(
        &RoutingRules::default_rules(),
        &county(),
        &HashMap::new(),
        facts,
        expected_org,
        expected_rule,
    );
}

use DisputeType::*;
use Severity::{Major, Significant};

#[test]
fn ordinary_civil_disputes_stay_in_the_village() {
    check(
        case(EAST, Neighbour),
        "东村人民调解委员会",
        "ordinary-village",
    );
    check(
        case(EAST, MarriageFamily),
        "东村人民调解委员会",
        "ordinary-village",
    );
    check(
        case(NORTH, ElderSupport),
        "北村人民调解委员会",
        "ordinary-village",
    );
    check(
        case(NORTH, HousingHomestead),
        "北村人民调解委员会",
        "ordinary-village",
    );
    // A grid's case goes to its village's committee.
    check(
        case("330521001001001", Contract),
        "东村人民调解委员会",
        "ordinary-village",
    );
}

#[test]
fn labour_disputes_go_to_the_township_committee() {
    check(case(EAST, Labour), "甲镇人民调解委员会", "labour-township");
    check(case(NORTH, Labour), "乙镇人民调解委员会", "labour-township");
    // Fewer than five people is not a group dispute.
    check(
        case(WEST, Labour).heads(4),
        "甲镇人民调解委员会",
        "labour-township",
    );
}

#[test]
fn significant_major_or_group_labour_disputes_go_to_the_county_labour_committee() {
    check(
        case(EAST, Labour).sev(Significant),
        "县劳动争议人民调解委员会",
        "labour-county",
    );
    check(
        case(NORTH, Labour).sev(Major),
        "县劳动争议人民调解委员会",
        "labour-county",
    );
    check(
        case(EAST, Labour).heads(12),
        "县劳动争议人民调解委员会",
        "labour-county",
    );
}

#[test]
fn medical_and_traffic_disputes_go_to_county_industry_committees() {
    check(
        case(EAST, Medical),
        "县医疗纠纷人民调解委员会",
        "medical-county",
    );
    check(
        case(NORTH, Medical).sev(Major),
        "县医疗纠纷人民调解委员会",
        "medical-county",
    );
    check(
        case(WEST, TrafficAccident),
        "县道路交通事故人民调解委员会",
        "traffic-county",
    );
}

#[test]
fn major_urgent_joint_or_cross_division_disputes_go_to_the_county_centre() {
    let centre = "县矛盾纠纷调处化解中心";
    check(case(EAST, Neighbour).sev(Major), centre, "major-county");
    check(
        case(EAST, Neighbour).track(Track::Emergency),
        centre,
        "major-county",
    );
    check(
        case(NORTH, LandRequisition).track(Track::Consultation),
        centre,
        "major-county",
    );
    check(case(NORTH, Contract).cross(), centre, "major-county");
}

#[test]
fn significant_disputes_go_to_the_township_committee_or_brand_room_by_load() {
    // 乙镇 has only its committee.
    check(
        case(NORTH, Neighbour).sev(Significant),
        "乙镇人民调解委员会",
        "significant-township",
    );
    // 甲镇 has a committee and a brand room; with equal load the name decides (甲 before 老).
    check(
        case(EAST, Neighbour).sev(Significant),
        "甲镇人民调解委员会",
        "significant-township",
    );

    let orgs = county();
    let rules = RoutingRules::default_rules();
    let committee = id_of(&orgs, "甲镇人民调解委员会");
    let room = id_of(&orgs, "老吴调解室");
    let facts = case(EAST, Neighbour).sev(Significant);
    let busy = HashMap::from([(committee, 3), (room, 1)]);
    check_with(
        &rules,
        &orgs,
        &busy,
        facts.clone(),
        "老吴调解室",
        "significant-township",
    );
    let even = HashMap::from([(committee, 2), (room, 2)]);
    check_with(
        &rules,
        &orgs,
        &even,
        facts.clone(),
        "甲镇人民调解委员会",
        "significant-township",
    );
    let free = HashMap::from([(committee, 1)]);
    let d = rules.route(&facts, &orgs, &free).expect("routed");
    assert_eq!(d.organisation.name, "老吴调解室");
    assert!(
        d.reason.contains("2 个可选单位中在办案件最少（0 件）"),
        "{}",
        d.reason
    );
}

#[test]
fn the_fallback_catches_what_no_rule_places() {
    // 西村 has no committee: the village rule is passed over.
    check(case(WEST, Neighbour), "甲镇调处化解中心", "fallback");
    // Not an ordinary village type.
    check(case(EAST, Pollution), "甲镇调处化解中心", "fallback");
    check(case(NORTH, LandRequisition), "乙镇调处化解中心", "fallback");
    // Registered at the county itself: there is no township, so the county centre.
    check(
        case(COUNTY, Neighbour),
        "县矛盾纠纷调处化解中心",
        "fallback",
    );
    // A township without a centre falls through to the county centre.
    let orgs: Vec<_> = county()
        .into_iter()
        .filter(|o| o.name != "乙镇调处化解中心")
        .collect();
    check_with(
        &RoutingRules::default_rules(),
        &orgs,
        &HashMap::new(),
        case(NORTH, Pollution),
        "县矛盾纠纷调处化解中心",
        "fallback",
    );
    // Without a county labour committee, a significant labour dispute stays in the township.
    let orgs: Vec<_> = county()
        .into_iter()
        .filter(|o| !o.name.contains("劳动"))
        .collect();
    check_with(
        &RoutingRules::default_rules(),
        &orgs,
        &HashMap::new(),
        case(EAST, Labour).sev(Significant),
        "甲镇人民调解委员会",
        "labour-township",
    );
    // Nothing at all: no decision.
    let none = RoutingRules::default_rules().route(&case(EAST, Neighbour), &[], &HashMap::new());
    assert_eq!(none, None);
}

#[test]
fn the_reason_names_the_facts_the_organisation_and_the_rule() {
    let d = RoutingRules::default_rules()
        .route(
            &case(EAST, Labour).sev(Significant),
            &county(),
            &HashMap::new(),
        )
        .expect("routed");
    assert_eq!(
        d.reason,
        "劳动争议，较大，转县劳动争议人民调解委员会（规则 labour-county）"
    );
    assert_eq!(d.organisation.division, code(COUNTY));

    let d = RoutingRules::default_rules()
        .route(&case(WEST, Neighbour).heads(6), &county(), &HashMap::new())
        .expect("routed");
    assert_eq!(
        d.reason,
        "邻里，一般，群体性纠纷（6人），转甲镇调处化解中心（规则 fallback；ordinary-village 在本地无对应单位）"
    );
}

#[test]
fn the_default_rules_are_in_order_and_end_with_the_fallback() {
    let rules = RoutingRules::default_rules();
    let ids: Vec<_> = rules.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "labour-county",
            "labour-township",
            "medical-county",
            "traffic-county",
            "major-county",
            "significant-township",
            "ordinary-village",
            "fallback",
        ]
    );
    assert!(rules.rules().last().is_some_and(|r| r.fallback));
    assert_eq!(RoutingRules::default(), rules);
}

const FALLBACK: &str = r#"
[[rules]]
id = "fallback"
name = "兜底"
fallback = true
targets = [[{ kind = "centre", level = "county" }]]
"#;

#[test]
fn an_administrator_can_write_rules_with_labels_and_departments() {
    let text = format!(
        r#"
[[rules]]
id = "property-housing"
name = "物业纠纷转县住建局"
when = [{{ types = ["物业"], severities = ["一般", "较大"] }}]
targets = [[{{ kind = "department", department = "housing", level = "county" }}]]
{FALLBACK}"#
    );
    let rules = RoutingRules::from_toml(&text).expect("valid rules");
    let orgs = county();
    let load = HashMap::new();
    check_with(
        &rules,
        &orgs,
        &load,
        case(EAST, Property),
        "县住建局",
        "property-housing",
    );
    let major = case(EAST, Property).sev(Major);
    check_with(
        &rules,
        &orgs,
        &load,
        major,
        "县矛盾纠纷调处化解中心",
        "fallback",
    );
    check_with(
        &rules,
        &orgs,
        &load,
        case(EAST, Neighbour),
        "县矛盾纠纷调处化解中心",
        "fallback",
    );
}

#[track_caller]
fn refused(text: &str) -> RoutingError {
    match RoutingRules::from_toml(text) {
        Ok(rules) => panic!("accepted: {rules:?}"),
        Err(e) => {
            assert!(!e.to_string().is_empty());
            e
        }
    }
}

#[test]
fn invalid_rule_sets_are_refused() {
    let rule = |id: &str, when: &str| {
        format!(
            "[[rules]]\nid = \"{id}\"\nname = \"规则\"\nwhen = [{when}]\n\
             targets = [[{{ kind = \"centre\", level = \"township\" }}]]\n"
        )
    };
    let labour = rule("labour", r#"{ types = ["labour"] }"#);

    let dup = format!("{labour}{labour}{FALLBACK}");
    assert_eq!(
        refused(&dup),
        RoutingError::DuplicateId("labour".to_owned())
    );

    let unknown = format!("{}{FALLBACK}", rule("x", r#"{ types = ["wages"] }"#));
    assert_eq!(
        refused(&unknown),
        RoutingError::UnknownCode {
            rule: "x".to_owned(),
            field: "纠纷类型",
            value: "wages".to_owned()
        }
    );
    let unknown = format!("{}{FALLBACK}", rule("x", r#"{ severities = ["huge"] }"#));
    assert!(matches!(
        refused(&unknown),
        RoutingError::UnknownCode {
            field: "严重程度",
            ..
        }
    ));
    let unknown = format!("{}{FALLBACK}", rule("x", r#"{ tracks = ["icu"] }"#));
    assert!(matches!(
        refused(&unknown),
        RoutingError::UnknownCode {
            field: "分诊", ..
        }
    ));

    assert_eq!(refused(&labour), RoutingError::NoFallback);
    assert_eq!(
        refused(&format!("{FALLBACK}{labour}")),
        RoutingError::FallbackNotLast("fallback".to_owned())
    );
    assert_eq!(refused(""), RoutingError::Empty);
    assert_eq!(
        refused(&format!("{}{FALLBACK}", rule("empty", "{}"))),
        RoutingError::NoCondition("empty".to_owned())
    );
    assert_eq!(
        refused(&format!("{}{FALLBACK}", rule("none", ""))),
        RoutingError::NoCondition("none".to_owned())
    );
    let no_scope = format!(
        "[[rules]]\nid = \"c\"\nname = \"规则\"\nwhen = [{{ types = [\"labour\"] }}]\n\
         targets = [[{{ kind = \"committee\", level = \"township\" }}]]\n{FALLBACK}"
    );
    assert!(matches!(refused(&no_scope), RoutingError::Target { .. }));
    let no_target = "[[rules]]\nid = \"f\"\nname = \"兜底\"\nfallback = true\ntargets = []\n";
    assert!(matches!(refused(no_target), RoutingError::Target { .. }));
    assert!(matches!(
        refused("[[rules]]\nid = 1\n"),
        RoutingError::Syntax(_)
    ));
    let typo = FALLBACK.replace("fallback = true", "fallback = true\nfalback = true");
    assert!(matches!(refused(&typo), RoutingError::Syntax(_)));
    let bad_level = FALLBACK.replace("\"county\"", "\"province\"");
    assert!(matches!(refused(&bad_level), RoutingError::Syntax(_)));
}
