//! 数据研判 over the API: the indicators of an area and period with their formulas, the cases
//! behind a figure, and the dashboard's tables as CSV or Excel files.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use hejie_insight::{Figure, Metric};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::Params;
use crate::auth::ApiUser;
use crate::error::AppError;
use crate::export;
use crate::insight::{self, ScopeParams, date_text};
use crate::present::{self, CaseListItem};
use crate::state::AppState;

/// One figure: numerator over denominator, and the value (absent when the denominator is 0).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FigureView {
    pub numerator: i64,
    pub denominator: i64,
    /// A fraction for rates (0.667 = 66.7%), days, a count, or per 10,000; absent when undefined.
    pub value: Option<f64>,
    /// As the page shows it: `66.7%`, `3.5天`, `12`, or `—`.
    pub display: String,
}

/// One indicator with its published formula, 环比 and 同比.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorView {
    /// Stable code, e.g. `mediation_success_rate`.
    pub code: String,
    /// The name on the page, e.g. `调解成功率`.
    pub label: String,
    /// `count`, `percent`, `days` or `per_10k`.
    pub unit: String,
    pub numerator: i64,
    pub denominator: i64,
    pub value: Option<f64>,
    pub display: String,
    /// What the numerator and the denominator count, in words.
    pub numerator_label: String,
    pub denominator_label: String,
    /// The formula as published (计算公式).
    pub formula: String,
    /// The previous period (环比) and the same period last year (同比).
    pub previous: FigureView,
    pub last_year: FigureView,
    /// The change, e.g. `+50.0%` for counts, `-3.3个百分点` for rates, `—` when undefined.
    pub change_previous: String,
    pub change_last_year: String,
    /// The metric whose cases make up the numerator (for `/api/v1/indicators/cases`), if any.
    pub numerator_metric: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorsResponse {
    pub division: String,
    pub division_name: String,
    pub from: String,
    pub to: String,
    pub previous_from: String,
    pub previous_to: String,
    pub last_year_from: String,
    pub last_year_to: String,
    pub dispute_type: Option<String>,
    pub indicators: Vec<IndicatorView>,
}

fn figure(row: &insight::Row, f: &Figure) -> FigureView {
    FigureView {
        numerator: f.numerator,
        denominator: f.denominator,
        value: row.value(f),
        display: row.shown(f),
    }
}

/// An earlier period's figure: none for a point-in-time indicator (超期率 is only known now).
fn base_figure(row: &insight::Row, f: &Figure) -> FigureView {
    if insight::point_in_time(row.indicator) {
        FigureView {
            numerator: 0,
            denominator: 0,
            value: None,
            display: "—".to_owned(),
        }
    } else {
        figure(row, f)
    }
}

/// 数据研判：every indicator of an area (default: your jurisdiction) and period (default: this
/// month so far), with numerator, denominator, value and published formula, and the same for the
/// previous period (环比) and the same period last year (同比). For supervisors and administrators.
#[utoipa::path(get, path = "/api/v1/indicators", tag = "insight", params(ScopeParams),
    responses((status = 200, body = IndicatorsResponse), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn indicators(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Params(q): Params<ScopeParams>,
) -> Result<Json<IndicatorsResponse>, AppError> {
    let (scope, kind) = q.resolve(&state, &me.user)?;
    let rows = insight::indicators(&state, &scope, kind).await?;
    let prev = scope.period.previous(kind);
    let last = scope.period.last_year();
    let r = state.reference();
    Ok(Json(IndicatorsResponse {
        division: scope.division.to_string(),
        division_name: r.full_name(&scope.division),
        from: date_text(scope.period.from),
        to: date_text(scope.period.to),
        previous_from: date_text(prev.from),
        previous_to: date_text(prev.to),
        last_year_from: date_text(last.from),
        last_year_to: date_text(last.to),
        dispute_type: scope.dispute_type.clone(),
        indicators: rows
            .iter()
            .map(|row| {
                let i = row.indicator;
                let now = figure(row, &row.current);
                IndicatorView {
                    code: i.code().to_owned(),
                    label: i.label().to_owned(),
                    unit: unit_code(i.unit()).to_owned(),
                    numerator: now.numerator,
                    denominator: now.denominator,
                    value: now.value,
                    display: now.display,
                    numerator_label: i.numerator_label().to_owned(),
                    denominator_label: i.denominator_label().to_owned(),
                    formula: i.formula(),
                    previous: base_figure(row, &row.previous),
                    last_year: base_figure(row, &row.last_year),
                    change_previous: row.change(&row.previous),
                    change_last_year: row.change(&row.last_year),
                    numerator_metric: insight::numerator_metric(i).map(Metric::code),
                }
            })
            .collect(),
    }))
}

fn unit_code(u: hejie_insight::Unit) -> &'static str {
    match u {
        hejie_insight::Unit::Count => "count",
        hejie_insight::Unit::Percent => "percent",
        hejie_insight::Unit::Days => "days",
        hejie_insight::Unit::PerTenThousand => "per_10k",
    }
}

/// Which cases, and which page of them.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CasesParams {
    /// A metric code, e.g. `succeeded`, `mediated`, `registered` (see `docs/indicators.md`).
    pub metric: String,
    #[serde(default)]
    pub offset: u32,
    /// At most 200 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorCasesResponse {
    pub metric: String,
    /// What the cases are, e.g. `调解成功的纠纷`.
    pub label: String,
    pub total: u64,
    pub offset: u32,
    pub limit: u32,
    pub cases: Vec<CaseListItem>,
}

/// Reads a metric code a person or a link sent.
pub fn metric(code: &str) -> Result<Metric, AppError> {
    Metric::from_code(code.trim())
        .filter(|m| insight::listable(*m))
        .ok_or_else(|| AppError::validation("metric", format!("无法识别的统计项“{code}”")))
}

/// The cases behind one figure (drill-down): the cases that count in a metric of an area and
/// period, newest first, paged. Always agrees with the count.
#[utoipa::path(get, path = "/api/v1/indicators/cases", tag = "insight", params(ScopeParams, CasesParams),
    responses((status = 200, body = IndicatorCasesResponse), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn cases(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Params(q): Params<ScopeParams>,
    Params(c): Params<CasesParams>,
) -> Result<Json<IndicatorCasesResponse>, AppError> {
    let (scope, _) = q.resolve(&state, &me.user)?;
    let m = metric(&c.metric)?;
    let limit = c.limit.unwrap_or(50).clamp(1, 200);
    let (list, total) = insight::metric_cases(&state, &scope, m, c.offset, limit).await?;
    let r = state.reference();
    let overdue_before = state
        .now()
        .plus_seconds(-86_400 * state.config.overdue_days);
    Ok(Json(IndicatorCasesResponse {
        metric: m.code(),
        label: insight::metric_label(m).to_owned(),
        total,
        offset: c.offset,
        limit,
        cases: list
            .iter()
            .map(|s| present::list_item(s, &r, overdue_before))
            .collect(),
    }))
}

/// Which table, in which format.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `indicators` (主要指标), `divisions` (下级区划), `types` (纠纷类型) or `months` (月度趋势).
    pub table: String,
    /// `csv` (UTF-8 with BOM) or `xlsx`.
    pub format: String,
}

/// A table of the dashboard as a file: CSV (UTF-8 with a byte-order mark, RFC 4180) or Excel.
#[utoipa::path(get, path = "/api/v1/indicators/export", tag = "insight", params(ScopeParams, ExportParams),
    responses((status = 200, description = "The table as a file", content(
                  (String = "text/csv"),
                  (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
              (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Params(q): Params<ScopeParams>,
    Params(e): Params<ExportParams>,
) -> Result<Response, AppError> {
    let (scope, kind) = q.resolve(&state, &me.user)?;
    if !insight::TABLES.iter().any(|(n, _)| *n == e.table) {
        return Err(AppError::validation(
            "table",
            "表格应为 indicators、divisions、types 或 months",
        ));
    }
    let table = insight::table(&state, &scope, kind, &e.table).await?;
    file(&table, &scope, &e.format)
}

/// The table as a download named after the table, the area and the period.
pub fn file(
    table: &export::Table,
    scope: &insight::Scope,
    format: &str,
) -> Result<Response, AppError> {
    let base = format!(
        "{}-{}-{}-{}",
        table.name,
        scope.division,
        date_text(scope.period.from),
        date_text(scope.period.to)
    );
    let (content_type, name, body) = match format {
        "csv" => (
            "text/csv; charset=utf-8",
            format!("{base}.csv"),
            export::csv(table).into_bytes(),
        ),
        "xlsx" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            format!("{base}.xlsx"),
            export::xlsx(table).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
        ),
        _ => return Err(AppError::validation("format", "文件格式应为 csv 或 xlsx")),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}
