//! `/apply` 网上申请调解: a resident, with no staff account, applies for mediation. They give
//! their name and phone, receive a 6-digit code by SMS, describe the other party and the dispute,
//! and get the case number to track it with.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hejie_domain::case::{
    CaseNumber, Command, DisputeType, Meta, OrgRef, PartyKind, PersonRef, Preference,
};
use hejie_domain::mediation::ConsentAnswer;
use hejie_domain::org::OrganisationId;
use hejie_domain::personal::PhoneNumber;
use hejie_domain::user::{Role, UserId};
use serde::Deserialize;

use super::PageError;
use super::form::{PageQuery, PublicForm, PublicToken, with_token};
use super::verify::{self, Purpose};
use super::view::{self, Chrome, Errors, Group, Opt, vocab};
use crate::cases::{self, PartyInput, RegisterInput};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ApplyForm {
    pub name: String,
    pub phone: String,
    pub id_number: String,
    pub address: String,
    pub other_kind: String,
    pub other_name: String,
    pub other_phone: String,
    pub other_address: String,
    pub division: String,
    pub dispute_type: String,
    pub description: String,
    /// `org:<id>`, `person:<id>`, or empty for the system's suggestion.
    pub preference: String,
    pub code: String,
}

impl ApplyForm {
    fn input(&self) -> RegisterInput {
        RegisterInput {
            channel: "online".to_owned(),
            dispute_type: self.dispute_type.clone(),
            parties: vec![
                PartyInput {
                    kind: "person".to_owned(),
                    role: "applicant".to_owned(),
                    name: self.name.clone(),
                    id_number: self.id_number.clone(),
                    phone: self.phone.clone(),
                    address: self.address.clone(),
                },
                PartyInput {
                    kind: self.other_kind.clone(),
                    role: "respondent".to_owned(),
                    name: self.other_name.clone(),
                    id_number: String::new(),
                    phone: self.other_phone.clone(),
                    address: self.other_address.clone(),
                },
            ],
            division: self.division.clone(),
            grid: String::new(),
            latitude: None,
            longitude: None,
            address: String::new(),
            description: self.description.clone(),
            amount: String::new(),
            head_count: None,
        }
    }
}

/// Form field names for the fields errors name.
fn rename(field: &str) -> String {
    match field {
        "parties[0].name" => "name",
        "parties[0].phone" => "phone",
        "parties[0].id_number" => "id_number",
        "parties[0].address" | "parties.address" => "address",
        "parties[1].name" => "other_name",
        "parties[1].phone" => "other_phone",
        "parties[1].address" => "other_address",
        "parties[1].PartyKind" => "other_kind",
        "location.address" => "division",
        other => other,
    }
    .to_owned()
}

#[derive(Template)]
#[template(path = "apply.html")]
struct ApplyPage {
    chrome: Chrome,
    csrf: String,
    f: ApplyForm,
    kinds: Vec<Opt>,
    villages: Vec<Group>,
    types: Vec<Opt>,
    /// The organisations and mediators the applicant may choose.
    choices: Vec<Group>,
    err: Errors,
    notice: String,
}

/// The choice of organisation or mediator, grouped by organisation, each with its record.
async fn choices(state: &AppState, selected: &str) -> Result<Vec<Group>, AppError> {
    let mut groups = vec![Group {
        key: "suggest".to_owned(),
        label: "由系统推荐".to_owned(),
        options: vec![Opt::new(
            "",
            "由系统按纠纷类型和所在地推荐（默认）",
            selected,
        )],
    }];
    for o in crate::profiles::all(state).await? {
        let mut options = vec![Opt::new(
            &format!("org:{}", o.id),
            &format!(
                "{}（{}，成功调解{}件，成功率{}）",
                o.name,
                o.kind,
                o.record.succeeded,
                o.record.rate()
            ),
            selected,
        )];
        options.extend(o.mediators.iter().map(|m| {
            let strengths = m.record.strengths();
            Opt::new(
                &format!("person:{}", m.id),
                &format!(
                    "　调解员 {}（成功调解{}件{}）",
                    m.name,
                    m.record.succeeded,
                    if strengths.is_empty() {
                        String::new()
                    } else {
                        format!("，擅长{}", strengths.join("、"))
                    }
                ),
                selected,
            )
        }));
        groups.push(Group {
            key: o.id.clone(),
            label: format!("{} · {}", o.place, o.name),
            options,
        });
    }
    Ok(groups)
}

/// The organisation and mediator a choice names, when it names existing ones.
fn preference_of(state: &AppState, choice: &str) -> Result<Option<Preference>, AppError> {
    let bad = || AppError::validation("preference", "所选调解组织或调解员不存在，请重新选择");
    let r = state.reference();
    let parse = |s: &str| uuid::Uuid::parse_str(s).map_err(|_| bad());
    match choice.trim().split_once(':') {
        None if choice.trim().is_empty() => Ok(None),
        Some(("org", id)) => {
            let org = r
                .orgs
                .get(&OrganisationId(parse(id)?))
                .filter(|o| crate::profiles::choosable(o))
                .ok_or_else(bad)?;
            Ok(Some((Some(OrgRef::of(org)), None)))
        }
        Some(("person", id)) => {
            let id = UserId(parse(id)?);
            let user = r
                .users
                .iter()
                .find(|u| u.id == id && u.role == Role::Mediator)
                .ok_or_else(bad)?;
            let org = user
                .organisation
                .and_then(|o| r.orgs.get(&o))
                .filter(|o| crate::profiles::choosable(o))
                .ok_or_else(bad)?;
            Ok(Some((
                Some(OrgRef::of(org)),
                Some(PersonRef {
                    id: user.id,
                    name: user.name.clone(),
                }),
            )))
        }
        _ => Err(bad()),
    }
}

fn render(
    state: &AppState,
    token: &PublicToken,
    f: ApplyForm,
    err: Errors,
    notice: String,
    status: StatusCode,
    choices: Vec<Group>,
) -> Result<Response, PageError> {
    let r = state.reference();
    let mut types = vec![Opt::new("", "请选择（不确定可选“其他”）", &f.dispute_type)];
    types.extend(vocab!(DisputeType, &f.dispute_type));
    let kind = if f.other_kind.is_empty() {
        "person".to_owned()
    } else {
        f.other_kind.clone()
    };
    let page = ApplyPage {
        chrome: Chrome::public("网上申请调解", "apply"),
        csrf: token.value.clone(),
        kinds: vocab!(PartyKind, &kind),
        villages: view::village_groups(&r, |_| true, &f.division),
        types,
        choices,
        err,
        notice,
        f,
    };
    Ok(with_token(view::render(&page, status)?, token, state))
}

async fn failed(
    state: &AppState,
    token: &PublicToken,
    f: ApplyForm,
    e: AppError,
) -> Result<Response, PageError> {
    if matches!(e, AppError::Internal(_)) {
        return Err(e.into());
    }
    let status = e.status();
    let choices = choices(state, &f.preference).await?;
    render(
        state,
        token,
        f,
        Errors::from_app(&e, rename),
        String::new(),
        status,
        choices,
    )
}

/// `GET /apply`.
pub async fn show(
    State(state): State<AppState>,
    token: PublicToken,
) -> Result<Response, PageError> {
    let choices = choices(&state, "").await?;
    render(
        &state,
        &token,
        ApplyForm::default(),
        Errors::none(),
        String::new(),
        StatusCode::OK,
        choices,
    )
}

fn phone_of(f: &ApplyForm) -> Result<PhoneNumber, AppError> {
    PhoneNumber::parse(&f.phone).map_err(|e| AppError::validation("phone", e.message))
}

/// `POST /apply/code`: sends the code; the form comes back as typed.
pub async fn send_code(
    State(state): State<AppState>,
    PublicForm { form, token, .. }: PublicForm<ApplyForm>,
) -> Result<Response, PageError> {
    let sent = async {
        let phone = phone_of(&form)?;
        verify::send(&state, Purpose::Apply, &phone).await?;
        Ok::<_, AppError>(phone)
    }
    .await;
    match sent {
        Ok(phone) => {
            let notice = format!("验证码已发送至 {}，10分钟内有效。", phone.masked());
            let choices = choices(&state, &form.preference).await?;
            render(
                &state,
                &token,
                form,
                Errors::none(),
                notice,
                StatusCode::OK,
                choices,
            )
        }
        Err(e) => failed(&state, &token, form, e).await,
    }
}

/// `POST /apply`: checks the form and the code, registers the case, shows its number.
pub async fn submit(
    State(state): State<AppState>,
    PublicForm { form, token, .. }: PublicForm<ApplyForm>,
) -> Result<Response, PageError> {
    let done = async {
        if form.name.trim().is_empty() {
            return Err(AppError::validation("name", "请填写您的姓名"));
        }
        let phone = phone_of(&form)?;
        if form.other_name.trim().is_empty() {
            return Err(AppError::validation(
                "other_name",
                "请填写对方当事人的姓名或单位名称",
            ));
        }
        let input = form.input();
        cases::parse_registration(&state, &input)?;
        let preference = preference_of(&state, &form.preference)?;
        if form.description.trim().chars().count() < 10 {
            return Err(AppError::validation(
                "description",
                "请简要说明纠纷经过和您的请求（至少10个字）",
            ));
        }
        verify::check(&state, Purpose::Apply, &phone, &form.code).await?;
        let committed = cases::register_online(&state, form.name.trim(), &phone, &input).await?;
        verify::consume(&state, Purpose::Apply, &phone).await?;
        // Applying for mediation is the applicant's consent to it (Art. 17); their choice of
        // organisation or mediator goes on record for the window's dispatch.
        let mut commands = vec![Command::RecordConsent {
            party: 0,
            answer: ConsentAnswer::Consented,
        }];
        if let Some((organisation, mediator)) = preference {
            commands.push(Command::StatePreference {
                organisation,
                mediator,
            });
        }
        for command in commands {
            let st = state.store.load(committed.case_id).await?;
            let meta = Meta {
                actor: cases::resident_actor(&state, form.name.trim(), &phone),
                at: state.now(),
                division: st
                    .case()
                    .map(|c| c.location.division.clone())
                    .ok_or(AppError::NotFound)?,
            };
            cases::commit(&state, &st, meta, command).await?;
        }
        Ok(committed.number)
    }
    .await;
    match done {
        Ok(number) => Ok(view::see_other(&format!(
            "/apply/done?{}",
            view::query(&[("number", number.as_str())])
        ))),
        Err(e) => failed(&state, &token, form, e).await,
    }
}

#[derive(Template)]
#[template(path = "apply_done.html")]
struct DonePage {
    chrome: Chrome,
    number: String,
    track_href: String,
}

#[derive(Debug, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    number: String,
}

/// `GET /apply/done?number=…`: the case number, prominently.
pub async fn done(PageQuery(q): PageQuery<DoneQuery>) -> Result<Response, PageError> {
    let number =
        CaseNumber::parse(&q.number).map_err(|e| AppError::validation("number", e.message))?;
    let page = DonePage {
        chrome: Chrome::public("申请已提交", "apply"),
        track_href: format!("/track?{}", view::query(&[("number", number.as_str())])),
        number: number.to_string(),
    };
    view::render(&page, StatusCode::OK)
}
