//! The vocabulary of a case: channels, dispute types, severity, tracks, parties, outcomes.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::division::DivisionCode;
use crate::error::ValidationError;
use crate::money::Money;
use crate::org::OrganisationId;
use crate::personal::Sealed;
use crate::timestamp::Timestamp;
use crate::user::UserId;

/// Internal, immutable identity of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaseId(pub Uuid);

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The number people read and say on the phone: county prefix, year, sequence within both,
/// e.g. `339021-2026-00042`. Unique per deployment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseNumber(String);

impl CaseNumber {
    pub fn new(prefix: &str, year: i32, sequence: u64) -> Result<Self, ValidationError> {
        Self::parse(&format!("{prefix}-{year:04}-{sequence:05}"))
    }

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let s = input.trim();
        let err = || {
            ValidationError::new(
                "case_number",
                format!("案件编号“{s}”格式不正确，应如 339021-2026-00042"),
            )
        };
        let mut parts = s.split('-');
        let (Some(p), Some(y), Some(n), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err());
        };
        let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
        if p.len() != 6
            || !digits(p)
            || y.len() != 4
            || !digits(y)
            || n.len() < 5
            || n.len() > 9
            || !digits(n)
        {
            return Err(err());
        }
        if n.bytes().all(|b| b == b'0') {
            return Err(err());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `prefix-year` part that sequences are counted within.
    pub fn series(&self) -> &str {
        &self.0[..11]
    }

    pub fn sequence(&self) -> u64 {
        self.0[12..].parse().unwrap_or(0)
    }
}

impl fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CaseNumber {
    type Error = ValidationError;
    fn try_from(v: String) -> Result<Self, Self::Error> {
        Self::parse(&v)
    }
}

impl From<CaseNumber> for String {
    fn from(v: CaseNumber) -> String {
        v.0
    }
}

/// Declares a field-vocabulary enum with a stable snake_case code and its Chinese label.
macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $code:literal, $label:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// Stable code used in storage and APIs.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// The term used in the field.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            /// Accepts the code or the Chinese label.
            pub fn parse(s: &str) -> Result<Self, ValidationError> {
                let s = s.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.code() == s || v.label() == s)
                    .ok_or_else(|| ValidationError::new(
                        stringify!($name),
                        format!("无法识别的取值“{s}”"),
                    ))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

// Other modules of the domain declare their vocabularies the same way.
pub(crate) use vocabulary;

vocabulary! {
    /// Where a matter came from (受理渠道).
    Channel {
        Visit = "visit", "来访";
        Phone = "phone", "来电";
        Letter = "letter", "来信";
        Online = "online", "网上申请";
        Grid = "grid", "网格上报";
        Hotline12345 = "hotline_12345", "12345热线";
        Police110 = "police_110", "110非警务警情";
        Court = "court", "法院诉前调解";
        Procuratorate = "procuratorate", "检调对接";
        Petition = "petition", "信访";
        Sweep = "sweep", "排查发现";
    }
}

vocabulary! {
    /// The 18 canonical dispute types (纠纷类型).
    DisputeType {
        MarriageFamily = "marriage_family", "婚姻家庭";
        Neighbour = "neighbour", "邻里";
        HousingHomestead = "housing_homestead", "房屋宅基地";
        ForestLand = "forest_land", "山林土地";
        Contract = "contract", "合同";
        Business = "business", "生产经营";
        Damages = "damages", "损害赔偿";
        Labour = "labour", "劳动争议";
        LandRequisition = "land_requisition", "征地拆迁";
        Property = "property", "物业";
        Medical = "medical", "医疗";
        TrafficAccident = "traffic_accident", "道路交通事故";
        Consumer = "consumer", "消费";
        ECommerce = "e_commerce", "电子商务";
        Pollution = "pollution", "环境污染";
        FisheryMaritime = "fishery_maritime", "涉渔涉海";
        ElderSupport = "elder_support", "赡养";
        Other = "other", "其他";
    }
}

impl DisputeType {
    /// Civil and commercial types, for 民商事调解成功率.
    pub fn is_civil_commercial(self) -> bool {
        !matches!(
            self,
            DisputeType::LandRequisition | DisputeType::Pollution | DisputeType::Other
        )
    }
}

vocabulary! {
    /// 一般 / 较大 / 重大.
    Severity {
        Ordinary = "ordinary", "一般";
        Significant = "significant", "较大";
        Major = "major", "重大";
    }
}

vocabulary! {
    /// The "three clinics" (三诊) triage track.
    Track {
        Clinic = "clinic", "门诊";
        Emergency = "emergency", "急诊";
        Consultation = "consultation", "会诊";
    }
}

vocabulary! {
    /// Where a case stands.
    Status {
        Registered = "registered", "待受理";
        Declined = "declined", "不予受理";
        Accepted = "accepted", "待派单";
        Assigned = "assigned", "待签收";
        InProgress = "in_progress", "办理中";
        Mediating = "mediating", "调解中";
        Closed = "closed", "已结案";
        FollowedUp = "followed_up", "已回访";
    }
}

impl Status {
    /// Whether the case still needs work before it can be closed.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Registered
                | Status::Accepted
                | Status::Assigned
                | Status::InProgress
                | Status::Mediating
        )
    }
}

vocabulary! {
    PartyKind {
        Person = "person", "自然人";
        Organisation = "organisation", "单位";
    }
}

vocabulary! {
    PartyRole {
        Applicant = "applicant", "申请人";
        Respondent = "respondent", "被申请人";
        ThirdParty = "third_party", "第三人";
    }
}

vocabulary! {
    SessionMode {
        InPerson = "in_person", "现场调解";
        Online = "online", "线上视频调解";
        Phone = "phone", "电话调解";
    }
}

vocabulary! {
    /// Where a case is referred when mediation cannot or should not solve it.
    ReferralTarget {
        Court = "court", "诉讼";
        LabourArbitration = "labour_arbitration", "劳动仲裁";
        AdministrativeReconsideration = "administrative_reconsideration", "行政复议";
        Police = "police", "公安机关";
        LegalAid = "legal_aid", "法律援助";
        LettersAndVisits = "letters_and_visits", "信访部门";
        Other = "other", "其他部门";
    }
}

vocabulary! {
    Satisfaction {
        Satisfied = "satisfied", "满意";
        FairlySatisfied = "fairly_satisfied", "基本满意";
        Dissatisfied = "dissatisfied", "不满意";
    }
}

vocabulary! {
    ContactMethod {
        Phone = "phone", "电话回访";
        Visit = "visit", "上门回访";
        Online = "online", "网上回访";
    }
}

/// A party to the dispute. Personal identifiers are sealed before they reach the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub kind: PartyKind,
    pub role: PartyRole,
    pub name: String,
    pub id_number: Option<Sealed>,
    pub phone: Option<Sealed>,
    pub address: Option<String>,
}

/// A point in WGS-84, stored as integer micro-degrees so it hashes identically everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeoPoint {
    lat_e6: i32,
    lon_e6: i32,
}

impl GeoPoint {
    pub fn parse(lat: f64, lon: f64) -> Result<Self, ValidationError> {
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(ValidationError::new(
                "coordinates",
                "坐标超出范围（纬度-90至90，经度-180至180）".to_owned(),
            ));
        }
        Ok(Self {
            lat_e6: (lat * 1e6).round() as i32,
            lon_e6: (lon * 1e6).round() as i32,
        })
    }

    pub fn lat(self) -> f64 {
        f64::from(self.lat_e6) / 1e6
    }

    pub fn lon(self) -> f64 {
        f64::from(self.lon_e6) / 1e6
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The division where the dispute arose (village or community as a rule).
    pub division: DivisionCode,
    pub grid: Option<DivisionCode>,
    pub point: Option<GeoPoint>,
    pub address: Option<String>,
}

/// A snapshot of an organisation as the record names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRef {
    pub id: OrganisationId,
    pub name: String,
    pub division: DivisionCode,
}

impl OrgRef {
    /// The snapshot of an organisation as it is now.
    pub fn of(o: &crate::org::Organisation) -> Self {
        Self {
            id: o.id,
            name: o.name.clone(),
            division: o.division.clone(),
        }
    }
}

/// A snapshot of a person (staff member) as the record names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonRef {
    pub id: UserId,
    pub name: String,
}

/// Who holds the case now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub organisation: OrgRef,
    pub person: Option<PersonRef>,
}

/// One duty from an agreement: who must do what, by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Obligation {
    pub party: String,
    pub duty: String,
    pub amount: Option<Money>,
    pub due: Option<Timestamp>,
}

/// How a case ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// 调解成功: an agreement was reached.
    Succeeded {
        agreement: String,
        amount: Option<Money>,
        obligations: Vec<Obligation>,
    },
    /// 调解不成: terminated; the parties were told of other remedies (Art. 26).
    Failed {
        reason: String,
        remedies_informed: bool,
    },
    /// 撤回.
    Withdrawn { reason: String },
    /// 移送/引导至其他途径.
    Referred {
        target: ReferralTarget,
        reason: String,
    },
}

impl Outcome {
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::Succeeded { .. } => "succeeded",
            Outcome::Failed { .. } => "failed",
            Outcome::Withdrawn { .. } => "withdrawn",
            Outcome::Referred { .. } => "referred",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Succeeded { .. } => "调解成功",
            Outcome::Failed { .. } => "调解不成",
            Outcome::Withdrawn { .. } => "撤回",
            Outcome::Referred { .. } => "移送",
        }
    }
}

/// Trims and checks a free-text field: required, at most `max` characters.
pub(crate) fn text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<String, ValidationError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ValidationError::new(field, "不能为空".to_owned()));
    }
    if v.chars().count() > max {
        return Err(ValidationError::new(field, format!("不能超过{max}字")));
    }
    Ok(v.to_owned())
}

/// Like [`text`] but the field may be left out.
pub(crate) fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, ValidationError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_numbers_are_readable_and_validated() {
        let n = CaseNumber::new("339021", 2026, 42).unwrap();
        assert_eq!(n.as_str(), "339021-2026-00042");
        assert_eq!(n.series(), "339021-2026");
        assert_eq!(n.sequence(), 42);
        assert_eq!(
            CaseNumber::new("339021", 2026, 1_234_567).unwrap().as_str(),
            "339021-2026-1234567"
        );
        for bad in [
            "339021-2026-42",
            "33902-2026-00042",
            "339021-26-00042",
            "339021-2026-00000",
            "x",
            "339021-2026-00042-1",
        ] {
            assert!(CaseNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn vocabulary_parses_codes_and_labels() {
        assert_eq!(DisputeType::ALL.len(), 18);
        assert_eq!(DisputeType::parse("劳动争议").unwrap(), DisputeType::Labour);
        assert_eq!(DisputeType::parse("labour").unwrap(), DisputeType::Labour);
        assert!(DisputeType::parse("吵架").is_err());
        assert_eq!(Track::parse("急诊").unwrap(), Track::Emergency);
    }

    #[test]
    fn geo_points_are_bounded() {
        let p = GeoPoint::parse(29.123456, 119.654321).unwrap();
        assert!((p.lat() - 29.123456).abs() < 1e-9);
        assert!(GeoPoint::parse(91.0, 0.0).is_err());
        assert!(GeoPoint::parse(0.0, -181.0).is_err());
    }
}
