//! `/intake` 一窗受理: register a matter from any channel at the window, with its parties,
//! place (village or community, and grid), type and description; optionally accept it at once.
//!
//! Before registering, the open cases of the same parties (by the keyed hash of an ID or phone
//! number, never the plain value) are looked up; if there are any, the form comes back with them
//! listed and is registered only when "仍然登记为新案件" is ticked. Open cases at the same address,
//! and recent open cases of the same village whose description is near-identical, are listed too.
//! Instead of registering, the clerk may link the report to one of them ("并入此案", 一案一码):
//! the existing case records that the dispute was reported again, and no new number is issued.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hejie_domain::authz::{Action, role_may};
use hejie_domain::case::{Channel, DisputeType, PartyKind, PartyRole, Severity, Track};
use hejie_domain::division::DivisionCode;
use hejie_domain::error::CommandName;
use hejie_domain::personal::{IdNumber, PhoneNumber, PiiKind};
use hejie_store::{CaseFilter, CaseSummary};

use super::PageError;
use super::detail::{self, Extra};
use super::form::{CsrfForm, PageUser};
use super::list::{self, Row};
use super::view::{self, Chrome, Errors, Group, Opt, vocab};
use crate::api::cases::commands::{self, AcceptRequest, ToCommand};
use crate::auth::CurrentUser;
use crate::cases::{self, PartyInput, RegisterInput};
use crate::error::AppError;
use crate::state::AppState;

/// At most this many parties on one form.
const MAX_PARTIES: usize = 10;

#[derive(Debug, Clone, Default)]
pub struct PartyForm {
    pub kind: String,
    pub role: String,
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub address: String,
}

impl PartyForm {
    fn new(role: &str) -> Self {
        PartyForm {
            kind: "person".to_owned(),
            role: role.to_owned(),
            ..PartyForm::default()
        }
    }
}

/// The intake form as typed. Party fields are named `p{index}_{field}`.
#[derive(Debug, Clone, Default)]
pub struct IntakeForm {
    pub channel: String,
    pub dispute_type: String,
    pub division: String,
    pub grid: String,
    pub address: String,
    pub description: String,
    pub amount: String,
    pub head_count: String,
    pub parties: Vec<PartyForm>,
    pub accept_now: bool,
    pub severity: String,
    pub track: String,
    pub note: String,
    pub force: bool,
    add_party: bool,
    remove_party: Option<usize>,
}

impl IntakeForm {
    fn fresh() -> Self {
        IntakeForm {
            channel: Channel::Visit.code().to_owned(),
            parties: vec![PartyForm::new("applicant"), PartyForm::new("respondent")],
            ..IntakeForm::default()
        }
    }

    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut f = IntakeForm::default();
        for (k, v) in pairs {
            let v = v.clone();
            match k.as_str() {
                "channel" => f.channel = v,
                "dispute_type" => f.dispute_type = v,
                "division" => f.division = v,
                "grid" => f.grid = v,
                "address" => f.address = v,
                "description" => f.description = v,
                "amount" => f.amount = v,
                "head_count" => f.head_count = v,
                "accept_now" => f.accept_now = !v.is_empty(),
                "severity" => f.severity = v,
                "track" => f.track = v,
                "note" => f.note = v,
                "force" => f.force = !v.is_empty(),
                "add_party" => f.add_party = true,
                "remove_party" => f.remove_party = v.parse().ok(),
                other => {
                    let Some((i, field)) = other
                        .strip_prefix('p')
                        .and_then(|rest| rest.split_once('_'))
                        .and_then(|(i, field)| Some((i.parse::<usize>().ok()?, field)))
                    else {
                        continue;
                    };
                    if i >= MAX_PARTIES {
                        continue;
                    }
                    while f.parties.len() <= i {
                        f.parties.push(PartyForm::new("respondent"));
                    }
                    let p = &mut f.parties[i];
                    match field {
                        "kind" => p.kind = v,
                        "role" => p.role = v,
                        "name" => p.name = v,
                        "id_number" => p.id_number = v,
                        "phone" => p.phone = v,
                        "address" => p.address = v,
                        _ => {}
                    }
                }
            }
        }
        while f.parties.len() < 2 {
            let role = if f.parties.is_empty() {
                "applicant"
            } else {
                "respondent"
            };
            f.parties.push(PartyForm::new(role));
        }
        f
    }

    fn input(&self) -> RegisterInput {
        RegisterInput {
            channel: self.channel.clone(),
            dispute_type: self.dispute_type.clone(),
            parties: self
                .parties
                .iter()
                .map(|p| PartyInput {
                    kind: p.kind.clone(),
                    role: p.role.clone(),
                    name: p.name.clone(),
                    id_number: p.id_number.clone(),
                    phone: p.phone.clone(),
                    address: p.address.clone(),
                })
                .collect(),
            division: self.division.clone(),
            grid: self.grid.clone(),
            latitude: None,
            longitude: None,
            address: self.address.clone(),
            description: self.description.clone(),
            amount: self.amount.clone(),
            head_count: None,
        }
    }

    fn accept_request(&self, version: Option<u64>) -> AcceptRequest {
        AcceptRequest {
            dispute_type: self.dispute_type.clone(),
            severity: self.severity.clone(),
            track: self.track.clone(),
            note: self.note.clone(),
            expected_version: version,
        }
    }
}

/// Whether the user may register a case located at `code`: inside their jurisdiction, or (for a
/// grid worker, whose jurisdiction is a grid) the village their grid lies in.
fn may_locate(me: &CurrentUser, code: &hejie_domain::division::DivisionCode) -> bool {
    me.user.covers(code) || code.contains(&me.user.jurisdiction)
}

/// Form field names for the fields errors name.
fn rename(field: &str) -> String {
    if let Some(rest) = field.strip_prefix("parties[")
        && let Some((i, f)) = rest.split_once("].")
    {
        let f = match f {
            "PartyKind" => "kind",
            "PartyRole" => "role",
            other => other,
        };
        return format!("p{i}_{f}");
    }
    match field {
        "location.grid" => "grid".to_owned(),
        "location.address" => "address".to_owned(),
        other => other.to_owned(),
    }
}

#[derive(Debug)]
struct PartyView {
    index: usize,
    removable: bool,
    kinds: Vec<Opt>,
    roles: Vec<Opt>,
    f: PartyForm,
    e_name: String,
    e_id: String,
    e_phone: String,
    e_address: String,
    e_kind: String,
}

#[derive(Template)]
#[template(path = "intake.html")]
struct IntakePage {
    chrome: Chrome,
    f: IntakeForm,
    channels: Vec<Opt>,
    types: Vec<Opt>,
    villages: Vec<Group>,
    grids: Vec<Group>,
    parties: Vec<PartyView>,
    may_accept: bool,
    severities: Vec<Opt>,
    tracks: Vec<Opt>,
    err: Errors,
    dups: Vec<Dup>,
    /// Who is reporting, for "并入此案": the first applicant named, else the first party named.
    reporter: String,
}

async fn render(
    state: &AppState,
    me: &CurrentUser,
    f: IntakeForm,
    err: Errors,
    dups: Vec<Dup>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let r = state.reference();
    let villages = view::village_groups(&r, |c| may_locate(me, c), &f.division);
    let grids = view::grid_groups(&r, &villages, |g| may_locate(me, g), &f.grid);
    let on = |i: usize, field: &str| {
        err.on(&format!("p{i}_{field}"))
            .unwrap_or_default()
            .to_owned()
    };
    let parties = f
        .parties
        .iter()
        .enumerate()
        .map(|(i, p)| PartyView {
            index: i,
            removable: i >= 2,
            kinds: vocab!(PartyKind, &p.kind),
            roles: vocab!(PartyRole, &p.role),
            f: p.clone(),
            e_name: on(i, "name"),
            e_id: on(i, "id_number"),
            e_phone: on(i, "phone"),
            e_address: on(i, "address"),
            e_kind: format!("{}{}", on(i, "kind"), on(i, "role")),
        })
        .collect();
    let mut types = vec![Opt::new("", "待定（受理时确定）", &f.dispute_type)];
    types.extend(vocab!(DisputeType, &f.dispute_type));
    let mut severities = vec![Opt::new("", "请选择", &f.severity)];
    severities.extend(vocab!(Severity, &f.severity));
    let mut tracks = vec![Opt::new("", "请选择", &f.track)];
    tracks.extend(vocab!(Track, &f.track));
    let named = |p: &&PartyForm| !p.name.trim().is_empty();
    let reporter = f
        .parties
        .iter()
        .filter(named)
        .find(|p| p.role == PartyRole::Applicant.code())
        .or_else(|| f.parties.iter().find(named))
        .map_or_else(|| "未具名反映人".to_owned(), |p| p.name.trim().to_owned());
    let page = IntakePage {
        reporter,
        chrome: Chrome::load(state, me, "一窗受理", "intake").await,
        channels: vocab!(Channel, &f.channel),
        types,
        villages,
        grids,
        parties,
        may_accept: role_may(me.user.role, Action::Command(CommandName::Accept)),
        severities,
        tracks,
        err,
        dups,
        f,
    };
    view::render(&page, status)
}

/// `GET /intake`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
) -> Result<Response, PageError> {
    if !role_may(me.user.role, Action::Command(CommandName::Register)) {
        return Err(AppError::from(hejie_domain::authz::Denied::Role).into());
    }
    let mut f = IntakeForm::fresh();
    // With a single village to choose from, choose it.
    let r = state.reference();
    let villages = view::village_groups(&r, |c| may_locate(&me, c), "");
    if let [g] = villages.as_slice()
        && let [o] = g.options.as_slice()
    {
        f.division = o.value.clone();
    }
    // A grid worker reports from their own grid.
    if me.user.jurisdiction.level() == hejie_domain::division::Level::Grid {
        f.grid = me.user.jurisdiction.to_string();
    }
    render(&state, &me, f, Errors::none(), Vec::new(), StatusCode::OK).await
}

/// Candidates for the near-identical description check: at most this many recent open cases of
/// the same village are compared.
const SIMILAR_CANDIDATES: u32 = 200;

/// How far back the near-identical description check looks.
const SIMILAR_WINDOW_DAYS: i64 = 30;

/// An open case that may be the same dispute, and why it was found.
#[derive(Debug)]
pub struct Dup {
    pub row: Row,
    pub reason: String,
}

/// Open cases (that this user may see) of any party with the same ID or phone number, at the same
/// address, or registered in the same village within the last 30 days with a near-identical
/// description.
async fn duplicates(
    state: &AppState,
    me: &CurrentUser,
    f: &IntakeForm,
) -> Result<Vec<Dup>, AppError> {
    const PARTY: &str = "同一当事人";
    const ADDRESS: &str = "同一地址";
    let mut hashes = Vec::new();
    for p in &f.parties {
        if let Ok(id) = IdNumber::parse(&p.id_number) {
            hashes.push(state.sealer.keyed_hash(PiiKind::IdNumber, id.as_str()));
        }
        if let Ok(phone) = PhoneNumber::parse(&p.phone) {
            hashes.push(state.sealer.keyed_hash(PiiKind::Phone, phone.as_str()));
        }
    }
    let mut filters: Vec<(CaseFilter, &str)> = hashes
        .into_iter()
        .map(|h| {
            let filter = CaseFilter {
                party_hash: Some(h),
                limit: 20,
                ..CaseFilter::default()
            };
            (filter, PARTY)
        })
        .collect();
    // The same address where the dispute arose (the address as typed, trimmed).
    let address = f.address.trim();
    if !address.is_empty() {
        let filter = CaseFilter {
            address: Some(address.to_owned()),
            limit: 20,
            ..CaseFilter::default()
        };
        filters.push((filter, ADDRESS));
    }
    // Cases found, in order, each with its reasons.
    let mut found: Vec<(CaseSummary, Vec<String>)> = Vec::new();
    let mut note = |s: CaseSummary, reason: String| {
        if !s.status.is_open() {
            return;
        }
        match found.iter_mut().find(|(c, _)| c.id == s.id) {
            Some((_, reasons)) => {
                if !reasons.contains(&reason) {
                    reasons.push(reason);
                }
            }
            None => found.push((s, vec![reason])),
        }
    };
    for (filter, reason) in filters {
        for s in cases::list(state, &me.user, filter).await? {
            note(s, reason.to_owned());
        }
    }
    // A near-identical description of a recent open case in the same village.
    let description = f.description.trim();
    if !description.is_empty()
        && let Ok(village) = DivisionCode::parse(&f.division)
    {
        let at = state.now();
        let filter = CaseFilter {
            within: Some(village),
            registered_from: Some(at.plus_seconds(-86_400 * SIMILAR_WINDOW_DAYS)),
            open_registered_before: Some(at),
            limit: SIMILAR_CANDIDATES,
            ..CaseFilter::default()
        };
        for s in cases::list(state, &me.user, filter).await? {
            let score = hejie_intake::similarity(description, &s.description);
            if score >= hejie_intake::NEAR_IDENTICAL {
                let percent = (score * 100.0).round() as u32;
                note(s, format!("描述高度相似 {percent}%"));
            }
        }
    }
    let (summaries, reasons): (Vec<CaseSummary>, Vec<Vec<String>>) = found.into_iter().unzip();
    Ok(list::rows(state, &summaries)
        .into_iter()
        .zip(reasons)
        .map(|(row, reasons)| Dup {
            row,
            reason: reasons.join("、"),
        })
        .collect())
}

enum Outcome {
    Duplicates(Vec<Dup>),
    Registered {
        id: hejie_domain::case::CaseId,
        accepted: Result<bool, AppError>,
    },
}

async fn try_register(
    state: &AppState,
    me: &CurrentUser,
    f: &IntakeForm,
) -> Result<Outcome, AppError> {
    let mut input = f.input();
    input.head_count = match f.head_count.trim() {
        "" => None,
        s => Some(
            s.parse()
                .map_err(|_| AppError::validation("head_count", "涉及人数应为整数"))?,
        ),
    };
    // Validate everything before looking for duplicates or writing anything.
    cases::parse_registration(state, &input)?;
    // A mediation needs someone on the other side.
    match f
        .parties
        .iter()
        .position(|p| p.role == PartyRole::Respondent.code())
    {
        None => {
            return Err(AppError::validation(
                "parties[1].role",
                "至少需要一名被申请人",
            ));
        }
        Some(i) if f.parties[i].name.trim().is_empty() => {
            return Err(AppError::validation(
                &format!("parties[{i}].name"),
                "请填写被申请人姓名或名称",
            ));
        }
        Some(_) => {}
    }
    if f.accept_now {
        f.accept_request(None).to_command(state, &me.user)?;
    }
    if !f.force {
        let dups = duplicates(state, me, f).await?;
        if !dups.is_empty() {
            return Ok(Outcome::Duplicates(dups));
        }
    }
    let committed = cases::register(state, &me.user, &input).await?;
    let id = committed.case_id;
    let accepted = if f.accept_now {
        commands::apply(
            state,
            &me.user,
            &id.to_string(),
            &f.accept_request(Some(committed.version)),
        )
        .await
        .map(|_| true)
    } else {
        Ok(false)
    };
    Ok(Outcome::Registered { id, accepted })
}

/// `POST /intake`.
pub async fn submit(
    State(state): State<AppState>,
    CsrfForm { user: me, raw, .. }: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let mut f = IntakeForm::from_pairs(&raw);
    if f.add_party || f.remove_party.is_some() {
        if let Some(i) = f.remove_party.filter(|i| *i >= 2 && *i < f.parties.len()) {
            f.parties.remove(i);
        } else if f.add_party && f.parties.len() < MAX_PARTIES {
            f.parties.push(PartyForm::new("respondent"));
        }
        return render(&state, &me, f, Errors::none(), Vec::new(), StatusCode::OK).await;
    }
    match try_register(&state, &me, &f).await {
        Ok(Outcome::Duplicates(dups)) => {
            render(&state, &me, f, Errors::none(), dups, StatusCode::OK).await
        }
        Ok(Outcome::Registered { id, accepted }) => match accepted {
            Ok(true) => Ok(view::see_other(&format!(
                "/cases/{id}?done=register-accept"
            ))),
            Ok(false) => Ok(view::see_other(&format!("/cases/{id}?done=register"))),
            Err(e) => {
                // Registered, but acceptance was refused: show the case with the accept form
                // filled in and the reason next to it.
                let extra = Extra::failed(
                    "accept",
                    &raw,
                    &e,
                    "案件已登记，但未能立即受理，请核对后重新提交受理。",
                );
                detail::render_case(&state, &me, id, extra, e.status()).await
            }
        },
        Err(e @ AppError::Internal(_)) => Err(e.into()),
        Err(e) => {
            let status = e.status();
            render(
                &state,
                &me,
                f,
                Errors::from_app(&e, rename),
                Vec::new(),
                status,
            )
            .await
        }
    }
}

/// The report being linked to an existing case instead of registered (一案一码).
#[derive(Debug, Default, serde::Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub reporter: String,
    #[serde(default)]
    pub summary: String,
}

/// `POST /intake/link/{id}` ("并入此案"): record on the existing case that the same dispute was
/// reported again, instead of registering a duplicate.
pub async fn link(
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    CsrfForm { user: me, form, .. }: CsrfForm<LinkForm>,
) -> Result<Response, PageError> {
    let req = commands::LinkReportRequest {
        channel: form.channel,
        reporter: form.reporter,
        summary: form.summary,
        expected_version: None,
    };
    commands::apply(&state, &me.user, &id, &req).await?;
    Ok(view::see_other(&format!("/cases/{id}?done=link-report")))
}
