//! `/cases`: the case list with filters (status, type, division, dates, overdue) and cursor
//! pagination. A table on a desktop; the same rows become cards on a phone.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use hejie_domain::case::{DisputeType, Status};
use hejie_domain::division::Level;
use hejie_domain::user::User;
use hejie_store::CaseSummary;

use super::PageError;
use super::form::{PageQuery, PageUser};
use super::view::{self, Chrome, Errors, Group, Opt, vocab};
use crate::api::cases::{ListQuery, filter_of};
use crate::cases;
use crate::error::AppError;
use crate::present::{self, CaseListItem};
use crate::state::{AppState, Reference};

/// One row of a case table.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub number: String,
    pub status_code: String,
    pub status_label: String,
    pub type_label: String,
    pub division_name: String,
    pub holder: String,
    pub parties: String,
    pub description: String,
    pub when: String,
    pub overdue: bool,
}

impl Row {
    pub fn from_item(
        i: CaseListItem,
        r: &Reference,
        division: &hejie_domain::division::DivisionCode,
    ) -> Self {
        // The list shows the village and township, not the whole chain from the city.
        let short = r
            .tree
            .path(division)
            .iter()
            .filter(|d| d.level() >= Level::Township)
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        Row {
            id: i.id,
            number: i.number,
            status_code: i.status.code,
            status_label: i.status.label,
            type_label: i
                .dispute_type
                .map(|t| t.label)
                .unwrap_or_else(|| "待定".to_owned()),
            division_name: if short.is_empty() {
                i.division_name
            } else {
                short
            },
            holder: i.holder_name.unwrap_or_else(|| "—".to_owned()),
            parties: i.party_names,
            description: i.description,
            when: view::short_time(&i.registered_at),
            overdue: i.overdue,
        }
    }
}

/// Rows for summaries, using the server's overdue setting.
pub fn rows(state: &AppState, list: &[CaseSummary]) -> Vec<Row> {
    let r = state.reference();
    let overdue_before = state
        .now()
        .plus_seconds(-86_400 * state.config.overdue_days);
    list.iter()
        .map(|s| Row::from_item(present::list_item(s, &r, overdue_before), &r, &s.division))
        .collect()
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListPage {
    chrome: Chrome,
    statuses: Vec<Opt>,
    types: Vec<Opt>,
    divisions: Vec<Group>,
    from: String,
    to: String,
    overdue: bool,
    holder_name: String,
    holder: String,
    rows: Vec<Row>,
    total: u64,
    err: Errors,
    next_url: String,
    first_url: String,
    paged: bool,
}

/// The divisions a user may filter by: townships and villages in their jurisdiction.
pub fn division_filter(r: &Reference, me: &User, selected: &str) -> Vec<Group> {
    r.tree
        .iter()
        .filter(|t| t.level() == Level::Township)
        .filter_map(|t| {
            let options: Vec<Opt> = r
                .tree
                .subtree(&t.code)
                .filter(|d| {
                    me.covers(&d.code) && (d.level() <= Level::Village || d.code == me.jurisdiction)
                })
                .map(|d| {
                    let label = if d.level() == Level::Township {
                        format!("{}（全镇/街道）", d.name)
                    } else {
                        d.name.clone()
                    };
                    Opt::new(d.code.as_str(), &label, selected)
                })
                .collect();
            (!options.is_empty()).then(|| Group {
                label: t.name.clone(),
                key: t.code.to_string(),
                options,
            })
        })
        .collect()
}

/// `GET /cases`.
pub async fn show(
    State(state): State<AppState>,
    PageUser(me): PageUser,
    PageQuery(mut q): PageQuery<ListQuery>,
) -> Result<Response, PageError> {
    q.limit = Some(q.limit.unwrap_or(20));
    let r = state.reference();
    let s = |o: &Option<String>| o.as_deref().unwrap_or("").trim().to_owned();
    let (status, dtype, division, from, to, holder) = (
        s(&q.status),
        s(&q.dispute_type),
        s(&q.division),
        s(&q.from),
        s(&q.to),
        s(&q.holder),
    );
    let dtype_code = DisputeType::parse(&dtype).map_or(dtype.clone(), |t| t.code().to_owned());
    let overdue = q.overdue == Some(true);
    let overdue_s = if overdue { "true" } else { "" };
    let limit_s = q.limit.map(|l| l.to_string()).unwrap_or_default();
    let base = [
        ("status", status.as_str()),
        ("type", dtype_code.as_str()),
        ("division", division.as_str()),
        ("from", from.as_str()),
        ("to", to.as_str()),
        ("overdue", overdue_s),
        ("holder", holder.as_str()),
    ];

    let mut err = Errors::none();
    let mut rows = Vec::new();
    let mut total = 0;
    let mut next_url = String::new();
    let mut status_code = StatusCode::OK;
    let result: Result<(), AppError> = async {
        let filter = filter_of(&state, &q)?;
        let limit = filter.limit as usize;
        let counts = cases::counts(&state, &me.user, filter.clone()).await?;
        total = counts.iter().map(|(_, n)| n).sum();
        let list = cases::list(&state, &me.user, filter).await?;
        if list.len() == limit
            && let Some(last) = list.last()
        {
            let cursor = format!("{}_{}", last.registered_at.micros(), last.id);
            let mut pairs = base.to_vec();
            pairs.push(("cursor", &cursor));
            if limit != 20 {
                pairs.push(("limit", &limit_s));
            }
            next_url = format!("/cases?{}", view::query(&pairs));
        }
        rows = self::rows(&state, &list);
        Ok(())
    }
    .await;
    if let Err(e) = result {
        if matches!(e, AppError::Internal(_)) {
            return Err(e.into());
        }
        status_code = e.status();
        err = Errors::from_app(&e, |f| f.to_owned());
    }

    let holder_name = uuid::Uuid::parse_str(&holder)
        .ok()
        .and_then(|id| r.orgs.get(&hejie_domain::org::OrganisationId(id)))
        .map(|o| o.name.clone())
        .unwrap_or_default();
    let mut statuses = vec![Opt::new("", "全部状态", &status)];
    statuses.extend(vocab!(Status, &status));
    let mut types = vec![Opt::new("", "全部类型", &dtype_code)];
    types.extend(vocab!(DisputeType, &dtype_code));
    let first_url = format!("/cases?{}", view::query(&base));
    let page = ListPage {
        chrome: Chrome::load(&state, &me, "案件列表", "cases").await,
        statuses,
        types,
        divisions: division_filter(&r, &me.user, &division),
        from,
        to,
        overdue,
        holder_name,
        holder: holder.clone(),
        rows,
        total,
        err,
        first_url,
        next_url,
        paged: q.cursor.as_deref().is_some_and(|c| !c.trim().is_empty()),
    };
    view::render(&page, status_code)
}
