//! Legal hold of audit records (R-LG-06) and their retention deletion (R-LG-01), the rules only.
//!
//! A hold names a time range and the people (login IDs) or systems concerned (none: everyone),
//! with a reason and a case number. While it is not released, pruning stops before the first record
//! of its range: pruning only ever removes a prefix of the chain, so every record from the earliest
//! active hold's start on survives (more than the hold strictly needs, never less), and the chain
//! that remains verifies from the anchor the pruning leaves.

use crate::audit::AuditRecord;

/// Most subjects one hold names.
pub const MAX_SUBJECTS: usize = 100;

/// A hold as asked for, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHold {
    pub case_number: String,
    pub reason: String,
    pub from_at: i64,
    pub until_at: i64,
    pub subjects: Vec<String>,
}

/// What is wrong with a hold request: its words in Japanese and in English.
pub fn check(h: &NewHold) -> Result<(), (String, String)> {
    if h.case_number.trim().is_empty() || h.case_number.chars().count() > 64 {
        return Err((
            "事案番号を64文字以内で入力してください".into(),
            "a case number of at most 64 characters is required".into(),
        ));
    }
    if h.reason.trim().is_empty() || h.reason.chars().count() > 500 {
        return Err((
            "理由を500文字以内で入力してください".into(),
            "a reason of at most 500 characters is required".into(),
        ));
    }
    if h.until_at <= h.from_at {
        return Err(("期間の終わりは始まりより後にしてください".into(), "the range must end after it starts".into()));
    }
    if h.subjects.len() > MAX_SUBJECTS {
        return Err((format!("対象は{MAX_SUBJECTS}件までです"), format!("at most {MAX_SUBJECTS} subjects")));
    }
    if let Some(bad) = h
        .subjects
        .iter()
        .find(|s| s.is_empty() || s.chars().count() > 64 || s.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        return Err((
            format!("対象 `{bad}` はログインIDまたはシステムIDとして正しくありません"),
            format!("not a login ID or system ID: `{bad}`"),
        ));
    }
    Ok(())
}

/// Splits a subjects field (commas, spaces or new lines) into distinct IDs, in order.
pub fn parse_subjects(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in text.split(|c: char| c == ',' || c == '、' || c.is_whitespace()).map(str::trim).filter(|s| !s.is_empty())
    {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

/// Whether a record of the hold's range concerns one of `subjects` (all records when none): the
/// subject acted, or is the target (`account:LOGIN`, `system:ID`, or the bare ID), or is named as a
/// value in the details (a client's system, a grant's login).
pub fn concerns(subjects: &[String], r: &AuditRecord) -> bool {
    if subjects.is_empty() {
        return true;
    }
    let details = r.event.details.to_string();
    subjects.iter().any(|s| {
        r.event.actor == *s
            || r.event.target == *s
            || r.event.target.rsplit_once(':').is_some_and(|(_, id)| id == s)
            || details.contains(&format!("\"{}\"", s.replace('"', "")))
    })
}

/// The last record pruning may delete: the retention cut, but never at or past the record before
/// the first one of an active hold's range (`hold_cuts`: for each active hold, the last record
/// before its start). Only a prefix is ever deleted.
pub fn prune_through(retention_cut: i64, hold_cuts: &[i64]) -> i64 {
    hold_cuts.iter().copied().fold(retention_cut, i64::min).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{seal, AuditEvent, ChainHead};

    #[test]
    fn r_lg_06_a_hold_stops_pruning_before_its_range_and_names_what_it_concerns() {
        assert_eq!(prune_through(100, &[]), 100);
        assert_eq!(prune_through(100, &[40, 70]), 40, "the earliest active hold wins");
        assert_eq!(prune_through(10, &[40]), 10, "retention may stop earlier");
        let rs = seal(
            &ChainHead::genesis(),
            0,
            vec![
                AuditEvent::new("taro", "auth.signed_in", "account:taro"),
                AuditEvent::new("p-so-1", "account.suspended", "account:jiro"),
                AuditEvent::new("system", "token.issued", "client:t-juki")
                    .with_details(serde_json::json!({ "system": "juki" })),
            ],
        )
        .0;
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(rs.iter().filter(|r| concerns(&s(&["taro"]), r)).count(), 1);
        assert_eq!(rs.iter().filter(|r| concerns(&s(&["jiro", "juki"]), r)).count(), 2);
        assert_eq!(rs.iter().filter(|r| concerns(&[], r)).count(), 3);
    }

    #[test]
    fn a_hold_request_is_checked() {
        let ok = NewHold {
            case_number: "CSIRT-2026-001".into(),
            reason: "不正アクセスの疑い".into(),
            from_at: 0,
            until_at: 1,
            subjects: parse_subjects("taro, juki\njiro taro"),
        };
        assert_eq!(ok.subjects, vec!["taro", "juki", "jiro"]);
        assert!(check(&ok).is_ok());
        assert!(check(&NewHold { until_at: 0, ..ok.clone() }).is_err());
        assert!(check(&NewHold { case_number: " ".into(), ..ok.clone() }).is_err());
        assert!(check(&NewHold { subjects: vec!["a\u{7}".into()], ..ok }).is_err());
    }
}
