//! Open311 GeoReport v2 (<https://wiki.open311.org/GeoReport_v2>) for citizen reports and
//! 12345-hotline style integrations: the service list (one service per canonical dispute type),
//! posting a service request (which registers a case through [`cases::register`], the same intake
//! as the window), and reading requests back (through [`cases::list`] and
//! [`cases::load_visible`], so the token user's jurisdiction applies).
//!
//! Paths, parameters, fields and the error shape (`[{"code": 403, "description": "…"}]`) follow
//! the standard, in JSON and in XML (`.xml`). The `api_key` is a hejie bearer token (created by
//! `POST /api/v1/auth/tokens`) and is checked exactly like `Authorization: Bearer`; it is required
//! for everything but the service list, because case data is not public. `jurisdiction_id` is the
//! 12-digit code of the village or community where the dispute arose.
//!
//! A service request id is the case number, e.g. `339021-2026-00042`. The reporter becomes the
//! applicant (name = `last_name` + `first_name`, phone validated and sealed); `email`,
//! `device_id`, `account_id` and `address_id` are accepted and not kept (a case has no place for
//! them); `media_url` is kept as a line of the description.

use std::collections::{BTreeSet, HashMap};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hejie_domain::case::{Case, CaseId, CaseNumber, Channel, DisputeType};
use hejie_domain::division::DivisionCode;
use hejie_domain::timestamp::{CST, Timestamp};
use hejie_domain::user::User;
use hejie_store::{CaseFilter, CaseSummary};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth;
use crate::cases::{self, PartyInput, RegisterInput};
use crate::error::AppError;
use crate::state::AppState;

/// Every Open311 route. The OpenAPI document is checked against this list in the tests.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/services.json", get(services_json))
        .route("/open311/v2/services.xml", get(services_xml))
        .route(
            "/open311/v2/requests.json",
            get(list_requests_json).post(create_request_json),
        )
        .route(
            "/open311/v2/requests.xml",
            get(list_requests_xml).post(create_request_xml),
        )
        .route("/open311/v2/requests/{request}", get(one_request))
}

/// The most requests one query returns (the standard's suggested ceiling).
const MAX_REQUESTS: usize = 1000;
/// Without dates, a query covers the most recent 90 days, as the standard says.
const DEFAULT_DAYS: i64 = 90;
/// Marks the line of a description that carries the request's `media_url`.
const MEDIA_MARK: &str = "【附件】";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

// ---------------------------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------------------------

/// One service: a canonical dispute type.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Service {
    /// The dispute type code, e.g. `labour`.
    pub service_code: String,
    /// The dispute type's name, e.g. `劳动争议`.
    pub service_name: String,
    pub description: String,
    /// Always `false`: no extra attributes are asked for.
    pub metadata: bool,
    /// Always `realtime`: a posted request gets its id (the case number) at once.
    #[serde(rename = "type")]
    pub kind: String,
    /// Comma-separated words residents use for this kind of dispute.
    pub keywords: String,
    pub group: String,
}

/// A service request as the standard shows it. Personal data of the parties is never included.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceRequest {
    /// The case number, e.g. `339021-2026-00042`.
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// The case status in words, e.g. `调解中`.
    pub status_notes: Option<String>,
    pub service_name: Option<String>,
    pub service_code: Option<String>,
    pub description: String,
    /// The organisation holding the case.
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    /// ISO 8601, China Standard Time, e.g. `2026-03-01T09:30:00+08:00`.
    pub requested_datetime: String,
    pub updated_datetime: String,
    /// For open cases: when the case becomes overdue.
    pub expected_datetime: Option<String>,
    pub address: Option<String>,
    pub address_id: Option<String>,
    pub zipcode: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub media_url: Option<String>,
}

/// The answer to a posted request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedRequest {
    /// The new case's number.
    pub service_request_id: String,
    pub service_notice: String,
    /// Always null: hejie keeps no reporter accounts.
    pub account_id: Option<String>,
}

/// An Open311 error: the list body is `[{"code": 400, "description": "…"}]`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Open311Error {
    /// The HTTP status.
    pub code: u16,
    /// What went wrong, in Chinese, naming the Open311 parameter at fault.
    pub description: String,
}

/// A posted service request (form-urlencoded as the standard says, or JSON).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CreateRequest {
    /// A hejie API token (`POST /api/v1/auth/tokens`). Required.
    pub api_key: Option<String>,
    /// 12-digit code of the village or community where the dispute arose. Required.
    pub jurisdiction_id: Option<String>,
    /// A `service_code` from the service list (code or Chinese name). Required.
    pub service_code: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub address_string: Option<String>,
    /// Accepted and not kept.
    pub address_id: Option<String>,
    /// Accepted and not kept.
    pub email: Option<String>,
    /// Accepted and not kept.
    pub device_id: Option<String>,
    /// Accepted and not kept.
    pub account_id: Option<String>,
    /// The reporter becomes the applicant, named `last_name` + `first_name`.
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Mainland mobile or landline number; validated.
    pub phone: Option<String>,
    /// What happened. Required.
    pub description: Option<String>,
    /// An http(s) link to a photo or document; kept with the description.
    pub media_url: Option<String>,
}

/// Query parameters of `GET requests`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// A hejie API token. Required: case data is not public.
    pub api_key: Option<String>,
    /// Only requests located inside this division (must lie in the token user's jurisdiction).
    pub jurisdiction_id: Option<String>,
    /// Comma-separated case numbers; when given, the other filters are ignored.
    pub service_request_id: Option<String>,
    /// Comma-separated service codes.
    pub service_code: Option<String>,
    /// ISO 8601 (`2026-01-01T00:00:00Z`, or a date); default 90 days ago.
    pub start_date: Option<String>,
    /// ISO 8601 (inclusive).
    pub end_date: Option<String>,
    /// Comma-separated `open`, `closed`.
    pub status: Option<String>,
}

/// Query parameters of `GET requests/{id}`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OneParams {
    /// A hejie API token. Required.
    pub api_key: Option<String>,
    /// Accepted and ignored.
    pub jurisdiction_id: Option<String>,
}

/// Query parameters of `GET services`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServicesParams {
    /// Accepted and ignored: the service list is the same everywhere.
    pub jurisdiction_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

/// Open311: the service list, one service per dispute type (public).
#[utoipa::path(get, path = "/open311/v2/services.json", tag = "open311", params(ServicesParams),
    responses((status = 200, body = [Service]), (status = 400, body = [Open311Error])))]
pub async fn services_json() -> Response {
    render(
        Format::Json,
        StatusCode::OK,
        "services",
        "service",
        &services(),
    )
}

/// Open311: the service list as XML (`<services><service>…`).
#[utoipa::path(get, path = "/open311/v2/services.xml", tag = "open311", params(ServicesParams),
    responses((status = 200, body = [Service], content_type = "text/xml"),
              (status = 400, body = [Open311Error], content_type = "text/xml")))]
pub async fn services_xml() -> Response {
    render(
        Format::Xml,
        StatusCode::OK,
        "services",
        "service",
        &services(),
    )
}

/// Open311: post a service request; it is registered as a case (channel 12345热线) by the
/// token's user, in the same intake as the window. Answers 201 with the case number.
#[utoipa::path(post, path = "/open311/v2/requests.json", tag = "open311",
    request_body(content(
        (CreateRequest = "application/x-www-form-urlencoded"),
        (CreateRequest = "application/json"))),
    responses((status = 201, body = [CreatedRequest]), (status = 400, body = [Open311Error]),
              (status = 403, body = [Open311Error])))]
pub async fn create_request_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    create_request(&state, Format::Json, &headers, query.as_deref(), &body).await
}

/// Open311: post a service request, answered in XML.
#[utoipa::path(post, path = "/open311/v2/requests.xml", tag = "open311",
    request_body(content(
        (CreateRequest = "application/x-www-form-urlencoded"),
        (CreateRequest = "application/json"))),
    responses((status = 201, body = [CreatedRequest], content_type = "text/xml"),
              (status = 400, body = [Open311Error], content_type = "text/xml"),
              (status = 403, body = [Open311Error], content_type = "text/xml")))]
pub async fn create_request_xml(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    create_request(&state, Format::Xml, &headers, query.as_deref(), &body).await
}

/// Open311: the service requests in the token user's jurisdiction, newest first.
#[utoipa::path(get, path = "/open311/v2/requests.json", tag = "open311", params(ListParams),
    responses((status = 200, body = [ServiceRequest]), (status = 400, body = [Open311Error]),
              (status = 403, body = [Open311Error])))]
pub async fn list_requests_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    list_requests(&state, Format::Json, &headers, query.as_deref()).await
}

/// Open311: the service requests as XML (`<service_requests><request>…`).
#[utoipa::path(get, path = "/open311/v2/requests.xml", tag = "open311", params(ListParams),
    responses((status = 200, body = [ServiceRequest], content_type = "text/xml"),
              (status = 400, body = [Open311Error], content_type = "text/xml"),
              (status = 403, body = [Open311Error], content_type = "text/xml")))]
pub async fn list_requests_xml(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    list_requests(&state, Format::Xml, &headers, query.as_deref()).await
}

/// Open311: one service request, as a one-element list. `request` is the service_request_id
/// (case number) followed by the format, e.g. `339021-2026-00042.json` or `.xml`: the router
/// matches whole path segments, so the standard's `requests/{id}.json` is one parameter here.
#[utoipa::path(get, path = "/open311/v2/requests/{request}", tag = "open311",
    params(("request" = String, Path,
            description = "service_request_id（案件编号）加格式后缀，如 339021-2026-00042.json"),
           OneParams),
    responses((status = 200, body = [ServiceRequest]), (status = 403, body = [Open311Error]),
              (status = 404, body = [Open311Error])))]
pub async fn one_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(request): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (number, format) = if let Some(n) = request.strip_suffix(".json") {
        (n, Format::Json)
    } else if let Some(n) = request.strip_suffix(".xml") {
        (n, Format::Xml)
    } else {
        return fail(Format::Json, AppError::NotFound);
    };
    let found = async {
        let q: OneParams = parse_query(query.as_deref())?;
        let user = user_of(&state, q.api_key.as_deref(), &headers).await?;
        let case = find(&state, &user, number)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok::<_, AppError>(vec![request_view(&state, &case)])
    }
    .await;
    match found {
        Ok(items) => render(
            format,
            StatusCode::OK,
            "service_requests",
            "request",
            &items,
        ),
        Err(e) => fail(format, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

async fn create_request(
    state: &AppState,
    format: Format,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Response {
    let created = async {
        let req = parse_body(headers, query, body)?;
        let user = user_of(state, req.api_key.as_deref(), headers).await?;
        let input = registration(&req)?;
        let committed = cases::register(state, &user, &input).await?;
        Ok::<_, AppError>(committed.number)
    }
    .await;
    match created {
        Ok(number) => render(
            format,
            StatusCode::CREATED,
            "service_requests",
            "request",
            &[CreatedRequest {
                service_notice: format!(
                    "已登记为矛盾纠纷案件，编号 {number}，可凭此编号查询办理进度"
                ),
                service_request_id: number.to_string(),
                account_id: None,
            }],
        ),
        Err(e) => fail(format, e),
    }
}

/// Turns a posted request into a window registration (channel 12345热线, reporter as applicant).
fn registration(req: &CreateRequest) -> Result<RegisterInput, AppError> {
    let given = |o: &Option<String>| {
        o.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let code = given(&req.service_code)
        .ok_or_else(|| AppError::validation("service_code", "请填写 service_code（纠纷类型）"))?;
    let dispute_type = DisputeType::parse(&code).map_err(|_| {
        AppError::validation(
            "service_code",
            format!("未知的 service_code“{code}”，请从服务列表中选择"),
        )
    })?;
    let division = given(&req.jurisdiction_id).ok_or_else(|| {
        AppError::validation(
            "jurisdiction_id",
            "请填写 jurisdiction_id（事发村、社区的12位区划代码）",
        )
    })?;
    let coordinate = |field: &str, o: &Option<String>| {
        given(o)
            .map(|s| {
                s.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| AppError::validation(field, format!("{field} 应为十进制度数")))
            })
            .transpose()
    };
    let latitude = coordinate("lat", &req.lat)?;
    let longitude = coordinate("long", &req.long)?;
    if latitude.is_some() != longitude.is_some() {
        return Err(AppError::validation("lat", "lat 与 long 须同时提供"));
    }
    // A case needs words: a link alone is not a description.
    let mut description = given(&req.description)
        .ok_or_else(|| AppError::validation("description", "请填写 description（纠纷情况）"))?;
    if let Some(url) = given(&req.media_url) {
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://"))
            || url.chars().any(char::is_whitespace)
        {
            return Err(AppError::validation(
                "media_url",
                "media_url 应为 http(s) 链接",
            ));
        }
        description = format!("{description}\n{MEDIA_MARK}{url}");
    }
    let name = format!(
        "{}{}",
        given(&req.last_name).unwrap_or_default(),
        given(&req.first_name).unwrap_or_default()
    );
    let applicant = PartyInput {
        role: "applicant".to_owned(),
        name: if name.is_empty() {
            "匿名反映人".to_owned()
        } else {
            name
        },
        phone: given(&req.phone).unwrap_or_default(),
        ..PartyInput::default()
    };
    Ok(RegisterInput {
        channel: Channel::Hotline12345.code().to_owned(),
        dispute_type: dispute_type.code().to_owned(),
        parties: vec![applicant],
        division,
        latitude,
        longitude,
        address: given(&req.address_string).unwrap_or_default(),
        description,
        ..RegisterInput::default()
    })
}

async fn list_requests(
    state: &AppState,
    format: Format,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Response {
    let listed = async {
        let q: ListParams = parse_query(query)?;
        let user = user_of(state, q.api_key.as_deref(), headers).await?;
        query_requests(state, &user, &q).await
    }
    .await;
    match listed {
        Ok(items) => render(
            format,
            StatusCode::OK,
            "service_requests",
            "request",
            &items,
        ),
        Err(e) => fail(format, e),
    }
}

fn split(o: &Option<String>) -> Vec<String> {
    o.as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn query_requests(
    state: &AppState,
    user: &User,
    q: &ListParams,
) -> Result<Vec<ServiceRequest>, AppError> {
    let ids = split(&q.service_request_id);
    if !ids.is_empty() {
        let mut out = Vec::new();
        for id in ids.iter().take(MAX_REQUESTS) {
            if let Some(case) = find(state, user, id).await? {
                out.push(request_view(state, &case));
            }
        }
        return Ok(out);
    }

    let codes = split(&q.service_code)
        .iter()
        .map(|c| {
            DisputeType::parse(c).map(DisputeType::code).map_err(|_| {
                AppError::validation("service_code", format!("未知的 service_code“{c}”"))
            })
        })
        .collect::<Result<BTreeSet<_>, _>>()?;
    let (mut wants_open, mut wants_closed) = (false, false);
    for s in split(&q.status) {
        match s.as_str() {
            "open" => wants_open = true,
            "closed" => wants_closed = true,
            _ => {
                return Err(AppError::validation(
                    "status",
                    format!("未知的 status“{s}”，应为 open 或 closed"),
                ));
            }
        }
    }
    // Only one of the two narrows the list; both or neither is every status.
    let open = (wants_open != wants_closed).then_some(wants_open);

    let mut filter = CaseFilter {
        limit: 200,
        ..CaseFilter::default()
    };
    if let Some(d) = q
        .jurisdiction_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        filter.within = Some(
            DivisionCode::parse(d)
                .map_err(|e| AppError::validation("jurisdiction_id", e.message))?,
        );
    }
    if codes.len() == 1 {
        filter.dispute_type = codes.iter().next().map(|c| (*c).to_owned());
    }
    let start = q
        .start_date
        .as_deref()
        .map(|s| parse_datetime("start_date", s, false))
        .transpose()?;
    let end = q
        .end_date
        .as_deref()
        .map(|s| parse_datetime("end_date", s, true))
        .transpose()?;
    filter.registered_from = match (start, end) {
        (None, None) => Some(state.now().plus_seconds(-86_400 * DEFAULT_DAYS)),
        (s, _) => s,
    };
    filter.registered_to = end;

    let wanted = |s: &CaseSummary| {
        open.is_none_or(|o| s.status.is_open() == o)
            && (codes.len() <= 1 || s.dispute_type.as_deref().is_some_and(|t| codes.contains(t)))
    };
    let mut rows = Vec::new();
    loop {
        let page = cases::list(state, user, filter.clone()).await?;
        let full = page.len() == filter.limit as usize;
        filter.before = page.last().map(|s| (s.registered_at, s.id));
        rows.extend(page.into_iter().filter(|s| wanted(s)));
        if !full || rows.len() >= MAX_REQUESTS {
            break;
        }
    }
    rows.truncate(MAX_REQUESTS);

    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(case) = load(state, user, row.id).await? {
            out.push(request_view(state, &case));
        }
    }
    Ok(out)
}

/// A case the user may see, by number; `None` when unknown or out of their jurisdiction.
async fn find(state: &AppState, user: &User, number: &str) -> Result<Option<Case>, AppError> {
    let Ok(number) = CaseNumber::parse(number) else {
        return Ok(None);
    };
    let Some(id) = state.store.find_by_number(&number).await? else {
        return Ok(None);
    };
    load(state, user, id).await
}

async fn load(state: &AppState, user: &User, id: CaseId) -> Result<Option<Case>, AppError> {
    match cases::load_visible(state, user, id).await {
        Ok(st) => Ok(st.case().cloned()),
        Err(AppError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

fn request_view(state: &AppState, case: &Case) -> ServiceRequest {
    let reference = state.reference();
    let mut media_url = None;
    let description = case
        .description
        .lines()
        .filter(|line| match line.strip_prefix(MEDIA_MARK) {
            Some(url) => {
                media_url = Some(url.trim().to_owned());
                false
            }
            None => true,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let address = case.location.address.clone().or_else(|| {
        reference
            .division(&case.location.division)
            .map(|_| reference.full_name(&case.location.division))
    });
    let open = case.status.is_open();
    ServiceRequest {
        service_request_id: case.number.to_string(),
        status: if open { "open" } else { "closed" }.to_owned(),
        status_notes: Some(case.status.label().to_owned()),
        service_name: case.dispute_type.map(|t| t.label().to_owned()),
        service_code: case.dispute_type.map(|t| t.code().to_owned()),
        description,
        agency_responsible: case.holder.as_ref().map(|h| h.organisation.name.clone()),
        service_notice: None,
        requested_datetime: iso(case.registered_at),
        updated_datetime: iso(case.updated_at),
        expected_datetime: open.then(|| {
            iso(case
                .registered_at
                .plus_seconds(86_400 * state.config.overdue_days))
        }),
        address,
        address_id: None,
        zipcode: None,
        lat: case.location.point.map(|p| p.lat()),
        long: case.location.point.map(|p| p.lon()),
        media_url,
    }
}

/// The services: one per canonical dispute type, in the order of the vocabulary.
pub fn services() -> Vec<Service> {
    DisputeType::ALL
        .iter()
        .map(|t| {
            let (description, keywords) = about(*t);
            Service {
                service_code: t.code().to_owned(),
                service_name: t.label().to_owned(),
                description: description.to_owned(),
                metadata: false,
                kind: "realtime".to_owned(),
                keywords: keywords.to_owned(),
                group: "矛盾纠纷".to_owned(),
            }
        })
        .collect()
}

/// What each dispute type covers, and words residents use for it.
fn about(t: DisputeType) -> (&'static str, &'static str) {
    match t {
        DisputeType::MarriageFamily => (
            "婚姻、离婚、抚养、继承、家庭成员之间的纠纷",
            "离婚,彩礼,抚养费,家暴,继承,分家",
        ),
        DisputeType::Neighbour => (
            "相邻关系、通行、采光、噪音、排水等邻里之间的纠纷",
            "邻居,噪音,漏水,通行,采光,占道",
        ),
        DisputeType::HousingHomestead => (
            "房屋买卖租赁、建房、宅基地使用与界址纠纷",
            "宅基地,建房,房屋,租房,界址,漏雨",
        ),
        DisputeType::ForestLand => (
            "山林权属、承包地、土地流转与界线纠纷",
            "山林,承包地,土地流转,地界,林权",
        ),
        DisputeType::Contract => (
            "借款、买卖、承揽、服务等合同履行纠纷",
            "欠款,借条,合同,违约,定金",
        ),
        DisputeType::Business => (
            "生产经营活动中的合伙、货款、工程等纠纷",
            "货款,合伙,工程款,经营,供货",
        ),
        DisputeType::Damages => (
            "人身伤害、财产损坏等侵权损害赔偿纠纷",
            "打伤,损坏,赔偿,狗咬,摔伤",
        ),
        DisputeType::Labour => (
            "拖欠工资、劳动合同、工伤、社会保险等劳动争议",
            "欠薪,工资,讨薪,工伤,辞退,社保,加班费",
        ),
        DisputeType::LandRequisition => (
            "征地补偿、房屋征收与拆迁安置纠纷",
            "征地,拆迁,补偿款,安置,征收",
        ),
        DisputeType::Property => (
            "物业服务、物业费、公共维修与业主之间的纠纷",
            "物业,物业费,停车,电梯,业委会",
        ),
        DisputeType::Medical => (
            "医疗损害、医疗费用与医患之间的纠纷",
            "医院,医疗事故,医患,误诊,手术",
        ),
        DisputeType::TrafficAccident => {
            ("道路交通事故损害赔偿纠纷", "车祸,交通事故,撞车,刮蹭,电动车")
        }
        DisputeType::Consumer => (
            "购物、餐饮、服务消费中的质量与退换纠纷",
            "退款,假货,质量问题,预付卡,退货",
        ),
        DisputeType::ECommerce => (
            "网络购物、直播带货、平台交易纠纷",
            "网购,快递,直播带货,平台,网店",
        ),
        DisputeType::Pollution => (
            "噪声、废水、废气、粉尘、养殖等环境污染纠纷",
            "污染,废水,臭味,粉尘,排污",
        ),
        DisputeType::FisheryMaritime => (
            "渔船、养殖海域、渔具与海上作业纠纷",
            "渔船,海域,养殖,渔网,海上",
        ),
        DisputeType::ElderSupport => (
            "子女赡养、老人生活照料与赡养费纠纷",
            "赡养,老人,养老,赡养费,照顾父母",
        ),
        DisputeType::Other => ("不属于以上类型的其他矛盾纠纷", "其他"),
    }
}

// ---------------------------------------------------------------------------------------------
// Plumbing: authentication, parsing, rendering
// ---------------------------------------------------------------------------------------------

/// The token's user. The `api_key` is checked exactly as `Authorization: Bearer` is, by
/// [`auth::resolve`], from a header map holding nothing else (so a browser cookie never stands in
/// for it). Without `api_key`, an `Authorization` header the client sent is used instead.
async fn user_of(
    state: &AppState,
    api_key: Option<&str>,
    headers: &HeaderMap,
) -> Result<User, AppError> {
    let mut only = HeaderMap::new();
    match api_key.map(str::trim).filter(|k| !k.is_empty()) {
        Some(key) => {
            let value = HeaderValue::from_str(&format!("Bearer {key}"))
                .map_err(|_| AppError::Unauthorized)?;
            only.insert(header::AUTHORIZATION, value);
        }
        None => {
            let sent = headers
                .get(header::AUTHORIZATION)
                .ok_or(AppError::Unauthorized)?;
            only.insert(header::AUTHORIZATION, sent.clone());
        }
    }
    Ok(auth::resolve(state, &only).await?.user)
}

fn parse_query<T: serde::de::DeserializeOwned>(query: Option<&str>) -> Result<T, AppError> {
    serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| AppError::validation("query", format!("查询参数无效：{e}")))
}

/// A posted request: JSON when the content type says so, form-urlencoded otherwise. Parameters
/// in the query string count too (some clients, e.g. the `open311` Ruby gem and its Python port,
/// send `api_key` and `jurisdiction_id` there); the body wins when both carry one.
fn parse_body(
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Result<CreateRequest, AppError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    let fields: HashMap<String, String> = if is_json {
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| AppError::validation("body", format!("请求内容不是有效的 JSON：{e}")))?;
        let serde_json::Value::Object(map) = value else {
            return Err(AppError::validation("body", "请求内容应为 JSON 对象"));
        };
        map.into_iter()
            .filter_map(|(k, v)| match v {
                serde_json::Value::String(s) => Some((k, s)),
                serde_json::Value::Null => None,
                other => Some((k, other.to_string())),
            })
            .collect()
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map_err(|e| AppError::validation("body", format!("表单内容无效：{e}")))?
            .into_iter()
            .collect()
    };
    let mut all: HashMap<String, String> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(query.unwrap_or(""))
            .map_err(|e| AppError::validation("query", format!("查询参数无效：{e}")))?
            .into_iter()
            .collect();
    all.extend(fields);
    let object = all
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    serde_json::from_value(serde_json::Value::Object(object))
        .map_err(|e| AppError::validation("body", format!("请求内容无效：{e}")))
}

/// An ISO 8601 instant (`2026-01-01T00:00:00Z`, with an offset, without one meaning China time,
/// or a date). A date as `end` means the end of that day; an instant as `end` is inclusive.
fn parse_datetime(field: &str, s: &str, end: bool) -> Result<Timestamp, AppError> {
    use time::format_description::well_known::Rfc3339;
    let s = s.trim();
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        let t = Timestamp::from_datetime(t);
        return Ok(if end {
            Timestamp::from_micros(t.micros() + 1)
        } else {
            t
        });
    }
    let naive = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    if let Ok(t) = time::PrimitiveDateTime::parse(s, &naive) {
        let t = Timestamp::from_datetime(t.assume_offset(CST));
        return Ok(if end {
            Timestamp::from_micros(t.micros() + 1)
        } else {
            t
        });
    }
    crate::api::cases::parse_date(field, s, end)
        .map_err(|_| AppError::validation(field, format!("{field} 应为 ISO 8601 时间")))
}

/// `2026-03-01T09:30:00+08:00`.
fn iso(t: Timestamp) -> String {
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    t.to_datetime()
        .to_offset(CST)
        .format(&fmt)
        .unwrap_or_else(|_| t.to_string())
}

/// The Open311 name of the parameter behind a hejie validation field.
fn open311_field(field: &str) -> &str {
    match field {
        "dispute_type" => "service_code",
        "division" | "grid" => "jurisdiction_id",
        "coordinates" => "lat/long",
        "address" => "address_string",
        f if f.starts_with("parties[") && f.ends_with(".phone") => "phone",
        f if f.starts_with("parties[") && f.ends_with(".name") => "first_name/last_name",
        f => f,
    }
}

/// An error in the Open311 shape. A missing or unknown `api_key` is 403, as the standard says.
fn fail(format: Format, e: AppError) -> Response {
    let status = match e.status() {
        StatusCode::UNAUTHORIZED => StatusCode::FORBIDDEN,
        s => s,
    };
    let description = match &e {
        AppError::Unauthorized => {
            "api_key 缺失或无效：请使用 hejie 接口令牌（POST /api/v1/auth/tokens 创建）".to_owned()
        }
        AppError::Validation { field, message } => {
            format!("{}：{message}", open311_field(field))
        }
        AppError::NotFound => "未找到该服务请求".to_owned(),
        AppError::Internal(err) => {
            tracing::error!(error = ?err, "internal error");
            e.to_string()
        }
        other => other.to_string(),
    };
    render(
        format,
        status,
        "errors",
        "error",
        &[Open311Error {
            code: status.as_u16(),
            description,
        }],
    )
}

/// A list of flat records as JSON (`[{…}]`) or XML (`<root><item><field>…</field></item></root>`).
fn render<T: Serialize>(
    format: Format,
    status: StatusCode,
    root: &str,
    item: &str,
    items: &[T],
) -> Response {
    match format {
        Format::Json => (status, axum::Json(items)).into_response(),
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
            out.push_str(&format!("<{root}>"));
            for Ordered(fields) in items.iter().filter_map(|i| {
                let json = serde_json::to_string(i).ok()?;
                serde_json::from_str::<Ordered>(&json).ok()
            }) {
                out.push_str(&format!("<{item}>"));
                for (k, v) in fields {
                    match v {
                        serde_json::Value::Null => out.push_str(&format!("<{k}/>")),
                        serde_json::Value::String(s) => {
                            out.push_str(&format!("<{k}>{}</{k}>", crate::charts::escape(&s)));
                        }
                        other => out.push_str(&format!("<{k}>{other}</{k}>")),
                    }
                }
                out.push_str(&format!("</{item}>"));
            }
            out.push_str(&format!("</{root}>"));
            (
                status,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                out,
            )
                .into_response()
        }
    }
}

/// A JSON object's fields in the order they were written (a struct's declaration order), which
/// `serde_json::Map` would sort; XML readers expect the standard's element order.
struct Ordered(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Ordered, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    fields.push(entry);
                }
                Ok(Ordered(fields))
            }
        }
        d.deserialize_map(Fields)
    }
}
