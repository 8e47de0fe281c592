//! Downloads of the dashboards' tables: CSV and Excel (.xlsx).
//!
//! CSV is written as UTF-8 with a byte-order mark, because Excel on Chinese Windows reads a CSV
//! without one in the local code page (GBK) and shows the names as mojibake; fields are quoted as
//! RFC 4180 says (commas, quotes and line breaks inside quotes, quotes doubled) and lines end in
//! CRLF. The workbook is written with `rust_xlsxwriter` (without its optional features, so it
//! pulls in little more than `zip`), numbers as numbers so that they can be summed in Excel.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// No value (a rate over 0): an empty cell, never 0.
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Number(n as f64)
    }
}

impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Cell::Empty, Cell::Number)
    }
}

/// A table as it is downloaded: a title (the sheet name), the column headers and the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The file's base name, ASCII (e.g. `indicators`).
    pub name: String,
    /// The sheet's title, in Chinese.
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The UTF-8 byte-order mark.
pub const BOM: &str = "\u{feff}";

/// Quotes one CSV field when it needs it (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Numbers without a needless `.0`, and with enough digits for a rate.
fn csv_number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 && v.abs() < 1e15 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// The table as CSV text, starting with the byte-order mark.
pub fn csv(t: &Table) -> String {
    let mut out = String::from(BOM);
    let line = |cells: Vec<String>| cells.join(",") + "\r\n";
    out.push_str(&line(t.headers.iter().map(|h| csv_field(h)).collect()));
    for row in &t.rows {
        out.push_str(&line(
            row.iter()
                .map(|c| match c {
                    Cell::Text(s) => csv_field(s),
                    Cell::Number(v) => csv_number(*v),
                    Cell::Empty => String::new(),
                })
                .collect(),
        ));
    }
    out
}

/// Sheet names may not contain `[]:*?/\` and are at most 31 characters long.
fn sheet_name(title: &str) -> String {
    let clean: String = title
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    if clean.is_empty() {
        "Sheet1".to_owned()
    } else {
        clean
    }
}

/// The table as an .xlsx workbook with one sheet: bold headers, numbers as numbers.
pub fn xlsx(t: &Table) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name(&t.title))?;
    for (col, h) in t.headers.iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        sheet.write_string_with_format(0, col, h, &bold)?;
        // Wide enough for a division's name or an indicator's label in CJK characters.
        sheet.set_column_width(col, if col == 0 { 24 } else { 14 })?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (col, cell) in row.iter().enumerate() {
            let col = u16::try_from(col).unwrap_or(u16::MAX);
            match cell {
                Cell::Text(s) => {
                    sheet.write_string(r, col, s)?;
                }
                Cell::Number(v) => {
                    sheet.write_number(r, col, *v)?;
                }
                Cell::Empty => {}
            }
        }
    }
    book.save_to_buffer()
}
