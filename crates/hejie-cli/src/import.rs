//! `hejie import population|litigation FILE.csv`: reference figures the indicators divide by
//! (ADR 0010). A file is checked whole before anything is written, so a bad row never leaves
//! half an import behind; every bad row is named by its line number.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use hejie_domain::division::DivisionCode;
use hejie_store::Store;
use hejie_store::insight::{Litigation, Population, valid_month};

/// How many bad rows an error message lists before it says how many more there are.
const SHOWN_ERRORS: usize = 20;

/// The data lines of a CSV file: (line number, fields), without a header line naming
/// `header`, blank lines or a byte-order mark.
fn rows<'a>(text: &'a str, header: &str) -> Vec<(usize, Vec<&'a str>)> {
    text.trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty())
        .filter(|(n, line)| !(*n == 1 && line.replace(' ', "").eq_ignore_ascii_case(header)))
        .map(|(n, line)| (n, line.split(',').map(str::trim).collect()))
        .collect()
}

fn division(n: usize, s: &str) -> Result<DivisionCode, String> {
    DivisionCode::parse(s).map_err(|e| format!("第 {n} 行：区划代码“{s}”无效（{e}）"))
}

fn count(n: usize, what: &str, s: &str) -> Result<i64, String> {
    match s.parse::<i64>() {
        Ok(v) if v >= 0 => Ok(v),
        _ => Err(format!("第 {n} 行：{what}“{s}”应为不小于 0 的整数")),
    }
}

/// Fails with every error found, or passes the rows on.
fn all_or_nothing<T>(rows: Vec<T>, errors: Vec<String>, file: &str) -> Result<Vec<T>> {
    if errors.is_empty() {
        if rows.is_empty() {
            bail!("{file} 中没有数据行，未导入任何数据");
        }
        return Ok(rows);
    }
    let mut message = format!(
        "{file} 有 {} 处错误，未导入任何数据：\n  {}",
        errors.len(),
        errors
            .iter()
            .take(SHOWN_ERRORS)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    if errors.len() > SHOWN_ERRORS {
        message.push_str(&format!(
            "\n  ……另有 {} 处错误",
            errors.len() - SHOWN_ERRORS
        ));
    }
    bail!(message)
}

/// Parses `division,year,population` rows.
pub fn parse_population(text: &str, file: &str) -> Result<Vec<Population>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut seen: BTreeMap<(String, i32), usize> = BTreeMap::new();
    for (n, fields) in rows(text, "division,year,population") {
        let [d, y, p] = fields[..] else {
            errors.push(format!(
                "第 {n} 行：应有 3 列（division,year,population），实有 {} 列",
                fields.len()
            ));
            continue;
        };
        let year = match y.parse::<i32>() {
            Ok(v) if (1949..=2100).contains(&v) => Ok(v),
            _ => Err(format!("第 {n} 行：年份“{y}”应为 1949 至 2100 之间的整数")),
        };
        match (division(n, d), year, count(n, "人口", p)) {
            (Ok(division), Ok(year), Ok(population)) => {
                if let Some(first) = seen.insert((division.to_string(), year), n) {
                    errors.push(format!(
                        "第 {n} 行：{division} 的 {year} 年人口与第 {first} 行重复"
                    ));
                }
                out.push(Population {
                    division,
                    year,
                    population,
                });
            }
            (d, y, p) => errors.extend([d.err(), y.err(), p.err()].into_iter().flatten()),
        }
    }
    all_or_nothing(out, errors, file)
}

/// Parses `division,month,filings` rows (`month` as `YYYY-MM`).
pub fn parse_litigation(text: &str, file: &str) -> Result<Vec<Litigation>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (n, fields) in rows(text, "division,month,filings") {
        let [d, m, f] = fields[..] else {
            errors.push(format!(
                "第 {n} 行：应有 3 列（division,month,filings），实有 {} 列",
                fields.len()
            ));
            continue;
        };
        let month = if valid_month(m) {
            Ok(m.to_owned())
        } else {
            Err(format!("第 {n} 行：月份“{m}”应为 YYYY-MM 格式，如 2026-03"))
        };
        match (division(n, d), month, count(n, "收案数", f)) {
            (Ok(division), Ok(month), Ok(filings)) => {
                if let Some(first) = seen.insert((division.to_string(), month.clone()), n) {
                    errors.push(format!(
                        "第 {n} 行：{division} 的 {month} 收案数与第 {first} 行重复"
                    ));
                }
                out.push(Litigation {
                    division,
                    month,
                    filings,
                });
            }
            (d, m, f) => errors.extend([d.err(), m.err(), f.err()].into_iter().flatten()),
        }
    }
    all_or_nothing(out, errors, file)
}

fn read(file: &Path) -> Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("无法读取 {}", file.display()))
}

pub async fn population(store: &dyn Store, file: &Path) -> Result<()> {
    let rows = parse_population(&read(file)?, &file.display().to_string())?;
    let n = store
        .put_population(&rows)
        .await
        .context("writing the population figures")?;
    println!("已导入 {n} 条人口数据");
    Ok(())
}

pub async fn litigation(store: &dyn Store, file: &Path) -> Result<()> {
    let rows = parse_litigation(&read(file)?, &file.display().to_string())?;
    let n = store
        .put_litigation(&rows)
        .await
        .context("writing the litigation figures")?;
    println!("已导入 {n} 条一审民商事收案数据");
    Ok(())
}
