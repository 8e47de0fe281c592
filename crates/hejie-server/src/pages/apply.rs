//! `/apply` 网上申请调解: a resident, with no staff account, applies for mediation. They give
//! their name and phone, receive a 6-digit code by SMS, describe the other party and the dispute,
//! and get the case number to track it with.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hejie_domain::case::{CaseNumber, DisputeType, PartyKind};
use hejie_domain::personal::PhoneNumber;
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
    err: Errors,
    notice: String,
}

fn render(
    state: &AppState,
    token: &PublicToken,
    f: ApplyForm,
    err: Errors,
    notice: String,
    status: StatusCode,
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
        err,
        notice,
        f,
    };
    Ok(with_token(view::render(&page, status)?, token, state))
}

fn failed(
    state: &AppState,
    token: &PublicToken,
    f: ApplyForm,
    e: AppError,
) -> Result<Response, PageError> {
    if matches!(e, AppError::Internal(_)) {
        return Err(e.into());
    }
    let status = e.status();
    render(
        state,
        token,
        f,
        Errors::from_app(&e, rename),
        String::new(),
        status,
    )
}

/// `GET /apply`.
pub async fn show(
    State(state): State<AppState>,
    token: PublicToken,
) -> Result<Response, PageError> {
    render(
        &state,
        &token,
        ApplyForm::default(),
        Errors::none(),
        String::new(),
        StatusCode::OK,
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
            render(&state, &token, form, Errors::none(), notice, StatusCode::OK)
        }
        Err(e) => failed(&state, &token, form, e),
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
        if form.description.trim().chars().count() < 10 {
            return Err(AppError::validation(
                "description",
                "请简要说明纠纷经过和您的请求（至少10个字）",
            ));
        }
        verify::check(&state, Purpose::Apply, &phone, &form.code).await?;
        let committed = cases::register_online(&state, form.name.trim(), &phone, &input).await?;
        verify::consume(&state, Purpose::Apply, &phone).await?;
        Ok(committed.number)
    }
    .await;
    match done {
        Ok(number) => Ok(view::see_other(&format!(
            "/apply/done?{}",
            view::query(&[("number", number.as_str())])
        ))),
        Err(e) => failed(&state, &token, form, e),
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
