//! CSV files: an export from the HR system as a source (`kind = "csv"`), and the contract register
//! (R-LC-12). The header row names the columns, which the mapping's attribute names refer to, and
//! each further row is one person (or contract). An export is always a full read.
//!
//! Invariants: a file that cannot be read or decoded, or that ends inside a quoted field (a cut-short
//! export), is an error and changes nothing; a row whose field count differs from the header's is
//! reported with its line and skipped, never read as a person who left.

use super::{DirectoryError, RawDirectory, ReadMethod};
use std::collections::BTreeMap;
use tobira_domain::hr::{EntryProblem, RawEntry};
use tobira_domain::policy::directory::{ContractRegisterMapping, CsvEncoding, DirectoryMapping};

/// The file a `directory.url` names: `file:///path`, `file:/path` or a plain path.
pub fn path_of(url: &str) -> &str {
    url.strip_prefix("file://").or_else(|| url.strip_prefix("file:")).unwrap_or(url)
}

fn decode(bytes: &[u8], encoding: CsvEncoding) -> Option<String> {
    match encoding {
        CsvEncoding::Utf8 => {
            std::str::from_utf8(bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes)).ok().map(str::to_string)
        }
        CsvEncoding::ShiftJis => {
            encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes).map(|c| c.into_owned())
        }
    }
}

/// One record: its fields and the line it starts on.
type Record = (usize, Vec<String>);

/// RFC 4180 records: fields split by commas, quoted with `"` (a quote inside doubled), lines ending
/// in CRLF or LF. Err when the text ends inside a quoted field.
fn records(text: &str) -> Result<Vec<Record>, usize> {
    let mut out = Vec::new();
    let (mut field, mut fields) = (String::new(), Vec::new());
    let (mut line, mut start_line) = (1, 1);
    let (mut quoted, mut at_field_start) = (false, true);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                quoted = true;
                at_field_start = false;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                if !(fields.len() == 1 && fields[0].is_empty()) {
                    out.push((start_line, std::mem::take(&mut fields)));
                }
                fields.clear();
                line += 1;
                start_line = line;
                at_field_start = true;
            }
            c => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if quoted {
        return Err(start_line);
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        out.push((start_line, fields));
    }
    Ok(out)
}

/// The rows of a CSV file: each a [`RawEntry`] named `name:line`, with its header's column names
/// (lower-cased) as attributes; `multi` is a column whose cells list several values, and their
/// separator. Rows with the wrong field count are returned apart, as problems.
fn table(
    name: &str,
    bytes: &[u8],
    encoding: CsvEncoding,
    multi: Option<(&str, &str)>,
) -> Result<(Vec<RawEntry>, Vec<EntryProblem>), DirectoryError> {
    let fail = |reason: String| DirectoryError::File { path: name.into(), reason };
    let text = decode(bytes, encoding).ok_or_else(|| {
        fail(format!("it is not valid {}", if encoding == CsvEncoding::Utf8 { "UTF-8" } else { "Shift_JIS" }))
    })?;
    let mut rows = records(&text)
        .map_err(|line| fail(format!("a quoted field opened on line {line} never closes (a cut-short export?)")))?
        .into_iter();
    let header: Vec<String> =
        rows.next().map(|(_, h)| h.into_iter().map(|c| c.trim().to_lowercase()).collect()).unwrap_or_default();
    if header.is_empty() && bytes.iter().any(|b| !b.is_ascii_whitespace()) {
        return Err(fail("it has no header row".into()));
    }
    let multi = multi.map(|(col, sep)| (col.to_lowercase(), sep));
    let (mut entries, mut unreadable) = (Vec::new(), Vec::new());
    for (line, fields) in rows {
        let dn = format!("{name}:{line}");
        if fields.len() != header.len() {
            unreadable.push(EntryProblem {
                dn,
                employee_number: None,
                attribute: "(row)".into(),
                reason: format!("has {} fields where the header has {}", fields.len(), header.len()),
            });
            continue;
        }
        let mut attrs: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (col, value) in header.iter().zip(fields) {
            if value.trim().is_empty() {
                continue;
            }
            let values = match &multi {
                Some((m, sep)) if m == col => {
                    value.split(sep).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect()
                }
                _ => vec![value],
            };
            attrs.insert(col.clone(), values);
        }
        entries.push(RawEntry::new(dn, attrs));
    }
    Ok((entries, unreadable))
}

/// Parses an export already in memory; `name` is how problems and errors refer to it.
pub fn parse(name: &str, bytes: &[u8], m: &DirectoryMapping) -> Result<RawDirectory, DirectoryError> {
    let multi = m.attributes.concurrent_departments.as_deref().map(|c| (c, m.csv.multi_value_separator.as_str()));
    let (people, unreadable) = table(name, bytes, m.csv.encoding, multi)?;
    Ok(RawDirectory { complete: true, method: ReadMethod::Search, people, unreadable, ..Default::default() })
}

/// A contract register as read: its rows, the rows that could not be read, and the SHA-256 of the
/// file (a changed register makes the next sync read everyone).
#[derive(Debug, Default)]
pub struct RegisterFile {
    pub rows: Vec<RawEntry>,
    pub unreadable: Vec<EntryProblem>,
    pub digest: String,
}

fn read_file(path: &str) -> Result<Vec<u8>, DirectoryError> {
    std::fs::read(path).map_err(|e| DirectoryError::File { path: path.into(), reason: e.to_string() })
}

fn digest(bytes: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

/// The SHA-256 of the register at `url`, hex.
pub fn register_digest(url: &str) -> Result<String, DirectoryError> {
    Ok(digest(&read_file(path_of(url))?))
}

/// Reads the contract register at `url` (R-LC-12).
pub fn read_register(url: &str, m: &ContractRegisterMapping) -> Result<RegisterFile, DirectoryError> {
    let path = path_of(url);
    let bytes = read_file(path)?;
    let (rows, unreadable) = table(path, &bytes, m.encoding, None)?;
    Ok(RegisterFile { rows, unreadable, digest: digest(&bytes) })
}

/// Reads the export `directory.url` names.
pub fn read(url: &str, m: &DirectoryMapping) -> Result<RawDirectory, DirectoryError> {
    if url.is_empty() {
        return Err(DirectoryError::NotConfigured);
    }
    let path = path_of(url);
    parse(path, &read_file(path)?, m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4180_quotes_commas_and_line_breaks() {
        let r = records("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n\n1,2,3").unwrap();
        assert_eq!(
            r,
            vec![
                (1, vec!["a".into(), "b".into(), "c".into()]),
                (2, vec!["x, y".into(), "say \"hi\"".into(), "two\nlines".into()]),
                (5, vec!["1".into(), "2".into(), "3".into()])
            ]
        );
        assert_eq!(records("a,b\n\"open,2\n3,4\n"), Err(2), "a quote that never closes is a cut-short file");
    }

    #[test]
    fn paths_from_the_url() {
        assert_eq!(path_of("file:///var/lib/tobira/hr.csv"), "/var/lib/tobira/hr.csv");
        assert_eq!(path_of("file:hr.csv"), "hr.csv");
        assert_eq!(path_of("/srv/hr.csv"), "/srv/hr.csv");
    }

    #[test]
    fn shift_jis_and_utf8_with_a_bom() {
        let (sjis, _, bad) = encoding_rs::SHIFT_JIS.encode("職員番号\n");
        assert!(!bad);
        assert_eq!(decode(&sjis, CsvEncoding::ShiftJis).as_deref(), Some("職員番号\n"));
        assert_eq!(decode("\u{feff}職員番号".as_bytes(), CsvEncoding::Utf8).as_deref(), Some("職員番号"));
        assert_eq!(decode(&sjis, CsvEncoding::Utf8), None, "Shift_JIS read as UTF-8 is refused, not garbled");
    }
}
