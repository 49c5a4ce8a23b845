//! The two forms of a numbered batch (R-ZN-04): JSON lines (UTF-8, one object per change) and a CSV
//! a vendor's import tool can read (header row, RFC 4180 quoting, CRLF, UTF-8 or Shift_JIS).
//!
//! Invariant: a value Shift_JIS cannot hold is refused with its column and character, never
//! written as `?`; the JSON lines and the CSV list the same rows in the same order.

use crate::store::provisioning::Item;
use encoding_rs::SHIFT_JIS;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tobira_domain::policy::provisioning::{FileEncoding, Provisioning};
use tobira_domain::provisioning::{Event, Resource};

/// The CSV's fixed columns, before the mapped attributes.
pub const FIXED: [&str; 8] = ["batch", "line", "item", "seq", "operation", "active", "externalId", "userName"];

/// One change as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub item: String,
    pub seq: i64,
    pub operation: &'static str,
    pub active: bool,
    pub external_id: String,
    pub user_name: String,
    pub attributes: BTreeMap<String, Value>,
}

/// The operation a vendor applies: a reactivation is an update with `active` true.
pub fn operation(e: Event) -> &'static str {
    match e {
        Event::Create => "create",
        Event::Update | Event::Reactivate => "update",
        Event::Deactivate => "deactivate",
        Event::Delete => "delete",
    }
}

/// The row of an outbox item.
pub fn row(item: &Item) -> Result<Row, String> {
    let r: Resource =
        serde_json::from_str(&item.resource_json).map_err(|e| format!("the queued item cannot be read: {e}"))?;
    let event = Event::parse(&item.event).ok_or_else(|| format!("unknown event `{}`", item.event))?;
    let text = |k: &str| r.attributes.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let attributes = r
        .attributes
        .iter()
        .filter(|(k, _)| *k != "userName" && *k != "externalId")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(Row {
        item: item.id.clone(),
        seq: item.seq,
        operation: operation(event),
        active: r.active,
        external_id: text("externalId"),
        user_name: text("userName"),
        attributes,
    })
}

/// The JSON lines of batch `batch`.
pub fn jsonl(batch: i64, rows: &[Row]) -> String {
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let line = json!({
            "batch": batch, "line": i + 1, "item": r.item, "seq": r.seq, "operation": r.operation, "active": r.active,
            "externalId": r.external_id, "userName": r.user_name, "attributes": r.attributes,
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}

/// The mapped attribute columns of a system, after [`FIXED`].
pub fn attribute_columns(p: &Provisioning) -> Vec<String> {
    p.attributes.keys().filter(|k| *k != "userName" && *k != "externalId").cloned().collect()
}

/// A value as one CSV cell: a multi-valued attribute's values joined by `;`.
pub fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(|x| x.get("value").map_or_else(|| cell(x), cell)).collect::<Vec<_>>().join(";"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// RFC 4180: quoted when it holds a comma, a quote, a line break or edge spaces.
pub fn escape(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The cells of a row, in the column order.
pub fn cells(batch: i64, line: usize, r: &Row, columns: &[String]) -> Vec<String> {
    let mut out = vec![
        batch.to_string(),
        line.to_string(),
        r.item.clone(),
        r.seq.to_string(),
        r.operation.into(),
        r.active.to_string(),
        r.external_id.clone(),
        r.user_name.clone(),
    ];
    out.extend(columns.iter().map(|c| r.attributes.get(c).map(cell).unwrap_or_default()));
    out
}

/// Why `r` cannot be written in `enc`: the column and the first character refused.
pub fn unencodable(r: &Row, columns: &[String], enc: FileEncoding) -> Option<String> {
    if enc == FileEncoding::Utf8 {
        return None;
    }
    let names: Vec<&str> = FIXED.iter().copied().chain(columns.iter().map(String::as_str)).collect();
    for (name, value) in names.iter().zip(cells(0, 0, r, columns)) {
        if let Some(ch) = value.chars().find(|c| SHIFT_JIS.encode(c.encode_utf8(&mut [0; 4])).2) {
            return Some(format!(
                "column {name}: the character {ch} (U+{:04X}) cannot be written in Shift_JIS",
                u32::from(ch)
            ));
        }
    }
    None
}

/// The CSV of batch `batch`, encoded; every row must have passed [`unencodable`].
pub fn csv(batch: i64, rows: &[Row], columns: &[String], enc: FileEncoding) -> Result<Vec<u8>, String> {
    let mut text =
        FIXED.iter().map(|c| c.to_string()).chain(columns.iter().map(|c| escape(c))).collect::<Vec<_>>().join(",");
    text.push_str("\r\n");
    for (i, r) in rows.iter().enumerate() {
        text.push_str(&cells(batch, i + 1, r, columns).iter().map(|c| escape(c)).collect::<Vec<_>>().join(","));
        text.push_str("\r\n");
    }
    match enc {
        FileEncoding::Utf8 => Ok(text.into_bytes()),
        FileEncoding::ShiftJis => {
            let (bytes, _, bad) = SHIFT_JIS.encode(&text);
            if bad {
                return Err("a value cannot be written in Shift_JIS".into());
            }
            Ok(bytes.into_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str) -> Row {
        let attributes = BTreeMap::from([
            ("displayName".to_string(), json!(name)),
            ("roles".to_string(), json!([{ "value": "a" }, { "value": "b" }])),
        ]);
        Row {
            item: "i1".into(),
            seq: 1,
            operation: "create",
            active: true,
            external_id: "acc".into(),
            user_name: "100001".into(),
            attributes,
        }
    }

    #[test]
    fn cells_are_escaped_and_multi_values_joined() {
        assert_eq!(escape("a,b"), "\"a,b\"");
        assert_eq!(escape("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(escape("plain"), "plain");
        let cols = vec!["displayName".to_string(), "roles".to_string()];
        let out = String::from_utf8(csv(3, &[r("東雲, 太郎")], &cols, FileEncoding::Utf8).unwrap()).unwrap();
        assert_eq!(out, "batch,line,item,seq,operation,active,externalId,userName,displayName,roles\r\n3,1,i1,1,create,true,acc,100001,\"東雲, 太郎\",a;b\r\n");
    }

    #[test]
    fn shift_jis_refuses_what_it_cannot_hold() {
        let cols = vec!["displayName".to_string(), "roles".to_string()];
        assert_eq!(
            unencodable(&r("髙橋 太郎"), &cols, FileEncoding::ShiftJis),
            None,
            "IBM extension kanji are in Windows-31J"
        );
        let why = unencodable(&r("𠮷田 太郎"), &cols, FileEncoding::ShiftJis).expect("refused");
        assert!(why.contains("displayName") && why.contains("U+20BB7"), "{why}");
        let bytes = csv(1, &[r("東雲 太郎")], &cols, FileEncoding::ShiftJis).unwrap();
        assert_eq!(SHIFT_JIS.decode(&bytes).0.lines().nth(1).unwrap(), "1,1,i1,1,create,true,acc,100001,東雲 太郎,a;b");
    }
}
