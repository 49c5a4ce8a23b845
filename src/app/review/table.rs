//! One shape for every review report — a title, columns with Japanese and English headings, and
//! rows — rendered as text for the terminal, JSON, or CSV that Excel opens with Japanese intact
//! (UTF-8 with a byte-order mark, CRLF line ends, RFC 4180 quoting).

use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt::Write;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Report)]
pub struct Table {
    /// The report's name (`campaigns`, `dormant` …).
    #[schema(value_type = String)]
    pub report: &'static str,
    pub title: String,
    /// (key, heading) pairs, in order.
    #[schema(value_type = Vec<Vec<String>>)]
    pub columns: Vec<(&'static str, &'static str)>,
    /// One object per row, keyed by the columns' keys.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<Map<String, Value>>,
    /// Figures about the whole report (counts, the audit chain's verification …).
    #[schema(value_type = Object)]
    pub summary: Map<String, Value>,
}

/// A time as report rows show it: JST, or null when there is none.
pub fn when(ms: Option<i64>) -> Value {
    ms.map(|t| Value::String(tobira_domain::time_util::jst_display(t))).unwrap_or(Value::Null)
}

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a.iter().map(|x| cell(Some(x))).collect::<Vec<_>>().join("; "),
        Some(other) => other.to_string(),
    }
}

/// One CSV field. A text that Excel would read as a formula (`=`, `+`, `-`, `@`, tab, CR first) is
/// prefixed with `'`, so a name or a comment never runs as one (CSV injection).
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

impl Table {
    pub fn new(report: &'static str, title: impl Into<String>, columns: Vec<(&'static str, &'static str)>) -> Table {
        Table { report, title: title.into(), columns, rows: Vec::new(), summary: Map::new() }
    }

    pub fn push(&mut self, row: Value) {
        if let Value::Object(m) = row {
            self.rows.push(m);
        }
    }

    pub fn to_csv(&self) -> String {
        let mut out = String::from("\u{feff}");
        let head: Vec<String> = self.columns.iter().map(|(_, h)| csv_field(h)).collect();
        out.push_str(&head.join(","));
        out.push_str("\r\n");
        for r in &self.rows {
            let line: Vec<String> = self.columns.iter().map(|(k, _)| csv_field(&cell(r.get(*k)))).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        out
    }

    /// The cells as text, row by row, in column order (for the pages).
    pub fn cells(&self) -> Vec<Vec<String>> {
        self.rows.iter().map(|r| self.columns.iter().map(|(k, _)| cell(r.get(*k))).collect()).collect()
    }

    /// The summary as (name, text) pairs.
    pub fn summary_text(&self) -> Vec<(String, String)> {
        self.summary.iter().map(|(k, v)| (k.clone(), cell(Some(v)))).collect()
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.title);
        for (k, v) in self.summary_text() {
            let _ = writeln!(out, "  {k}: {v}");
        }
        let cells = self.cells();
        let width = |i: usize, h: &str| {
            cells.iter().map(|r| r[i].chars().count()).chain([h.chars().count()]).max().unwrap_or(0).min(48)
        };
        let widths: Vec<usize> = self.columns.iter().enumerate().map(|(i, (_, h))| width(i, h)).collect();
        let pad = |s: &str, w: usize| {
            let t: String = s.chars().take(w).collect();
            format!("{t}{}", " ".repeat(w.saturating_sub(t.chars().count())))
        };
        let _ = writeln!(
            out,
            "{}",
            self.columns.iter().zip(&widths).map(|((_, h), w)| pad(h, *w)).collect::<Vec<_>>().join("  ")
        );
        for r in &cells {
            let _ = writeln!(out, "{}", r.iter().zip(&widths).map(|(c, w)| pad(c, *w)).collect::<Vec<_>>().join("  "));
        }
        let _ = writeln!(out, "({} 件 / rows)", self.rows.len());
        out
    }
}

/// The formats a report is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Table,
    Json,
    Csv,
}

impl Format {
    pub fn render(self, t: &Table) -> String {
        match self {
            Format::Table => t.to_text(),
            Format::Json => serde_json::to_string_pretty(t).unwrap_or_default(),
            Format::Csv => t.to_csv(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn r_rv_06_csv_opens_in_excel_with_japanese_intact() {
        let mut t = Table::new("x", "報告", vec![("name", "氏名 / name"), ("note", "備考")]);
        t.push(json!({ "name": "山田 太郎", "note": "a,\"b\"\nc" }));
        let csv = t.to_csv();
        assert!(csv.starts_with('\u{feff}'), "a byte-order mark for Excel");
        assert_eq!(csv, "\u{feff}氏名 / name,備考\r\n山田 太郎,\"a,\"\"b\"\"\nc\"\r\n");
    }

    #[test]
    fn r_rv_06_a_cell_never_runs_as_a_formula_in_excel() {
        let mut t = Table::new("x", "報告", vec![("note", "備考")]);
        for v in ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "普通の理由"] {
            t.push(json!({ "note": v }));
        }
        let csv = t.to_csv();
        let lines: Vec<&str> = csv.lines().skip(1).collect();
        assert_eq!(lines, ["\"'=HYPERLINK(\"\"http://x\"\")\"", "'+1", "'-2+3", "'@SUM(A1)", "普通の理由"]);
    }
}
