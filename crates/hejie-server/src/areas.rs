//! Grid and village boundaries as GeoJSON (issue 7): the import (a FeatureCollection whose
//! features name their division by `properties.code`, every geometry checked, all or nothing)
//! and the export of what is stored, so boundaries drawn in a GIS tool come in and go back out.

use hejie_domain::authz::{Action, role_may};
use hejie_domain::division::{DivisionCode, Level};
use hejie_domain::geo::{Area, Geometry};
use hejie_domain::user::User;
use hejie_store::field::NewArea;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::state::AppState;

/// The most features one import takes (a large county has a few thousand grids).
pub const MAX_FEATURES: usize = 20_000;

fn bad(message: String) -> AppError {
    AppError::validation("geojson", message)
}

/// Checks every feature and, when all are good, keeps them as the divisions' new boundaries.
/// Returns how many were imported. Only administrators import, inside their jurisdiction.
pub async fn import(state: &AppState, user: &User, text: &str) -> Result<usize, AppError> {
    if !role_may(user.role, Action::Administer) {
        return Err(AppError::Forbidden {
            code: "forbidden",
            message: "只有系统管理员可以导入网格边界".to_owned(),
        });
    }
    let doc: Value =
        serde_json::from_str(text.trim()).map_err(|e| bad(format!("不是有效的GeoJSON：{e}")))?;
    let features: Vec<&Value> = match doc.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => doc
            .get("features")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("FeatureCollection缺少features数组".to_owned()))?
            .iter()
            .collect(),
        Some("Feature") => vec![&doc],
        _ => return Err(bad("应为GeoJSON的FeatureCollection或Feature".to_owned())),
    };
    if features.is_empty() {
        return Err(bad("没有任何要素".to_owned()));
    }
    if features.len() > MAX_FEATURES {
        return Err(bad(format!("一次最多导入{MAX_FEATURES}个要素")));
    }
    let r = state.reference();
    let mut areas = Vec::with_capacity(features.len());
    let mut seen = std::collections::HashSet::new();
    for (i, f) in features.iter().enumerate() {
        let n = i + 1;
        let code = f
            .get("properties")
            .and_then(|p| p.get("code"))
            .and_then(|c| {
                c.as_str()
                    .map(str::to_owned)
                    .or_else(|| c.as_u64().map(|v| v.to_string()))
            })
            .ok_or_else(|| bad(format!("第{n}个要素缺少properties.code（区划或网格编码）")))?;
        let division = DivisionCode::parse(&code)
            .map_err(|e| bad(format!("第{n}个要素的编码“{code}”无效：{}", e.message)))?;
        if !matches!(division.level(), Level::Village | Level::Grid) {
            return Err(bad(format!(
                "第{n}个要素“{code}”不是村（社区）或网格，只能导入村（社区）和网格边界"
            )));
        }
        if r.division(&division).is_none() {
            return Err(bad(format!(
                "第{n}个要素的编码“{code}”在区划中不存在，请先建立该区划"
            )));
        }
        if !user.covers(&division) {
            return Err(bad(format!("第{n}个要素“{code}”不在您的辖区内")));
        }
        if !seen.insert(division.clone()) {
            return Err(bad(format!("编码“{code}”重复出现")));
        }
        let geometry: Geometry = f
            .get("geometry")
            .cloned()
            .ok_or_else(|| bad(format!("第{n}个要素“{code}”缺少geometry")))
            .and_then(|g| {
                serde_json::from_value(g).map_err(|_| {
                    bad(format!(
                        "第{n}个要素“{code}”的几何须为Polygon或MultiPolygon"
                    ))
                })
            })?;
        Area::from_geometry(&geometry)
            .map_err(|e| bad(format!("第{n}个要素“{code}”：{}", e.message)))?;
        areas.push(NewArea {
            division,
            geometry: serde_json::to_string(&geometry).map_err(AppError::internal)?,
        });
    }
    let count = areas.len();
    state
        .store
        .put_areas(areas, &user.id.to_string(), state.now())
        .await?;
    Ok(count)
}

/// The stored boundaries inside `within` as a GeoJSON FeatureCollection.
pub async fn export(state: &AppState, within: &DivisionCode) -> Result<String, AppError> {
    let r = state.reference();
    let stored = state.store.areas(within).await?;
    let features: Vec<Value> = stored
        .iter()
        .filter_map(|a| {
            let geometry: Value = serde_json::from_str(&a.geometry).ok()?;
            Some(json!({
                "type": "Feature",
                "properties": {
                    "code": a.division.to_string(),
                    "name": r.division(&a.division).map(|d| d.name.clone()),
                    "level": a.division.level().as_str(),
                    "version": a.version,
                },
                "geometry": geometry,
            }))
        })
        .collect();
    Ok(json!({"type": "FeatureCollection", "features": features}).to_string())
}
