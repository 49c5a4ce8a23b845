//! Password rules (R-AU-05, R-AU-07): length in characters, no control characters, not a common
//! password (a list shipped with tobira plus the policy's own), not built from the person's data
//! (login ID, employee number, names in kanji/kana/romaji, birth date in common and Japanese-era
//! formats, phone numbers), and when a password must be changed.
//!
//! Invariants: comparisons use one folded form (lowercase, full-width ASCII to ASCII, katakana to
//! hiragana); a problem never carries the password; `Reused` is the caller's to add (it needs the
//! stored hashes).

use super::romaji;
use crate::policy::{PasswordProfile, PasswordRule};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::OnceLock;

/// What tobira knows about the person, to refuse passwords built from it (R-AU-05).
#[derive(Debug, Clone, Default)]
pub struct PersonalData {
    pub login_id: String,
    pub employee_number: Option<String>,
    /// Names as HR gives them: kanji, kana (with or without a space), romaji if known.
    pub names: Vec<String>,
    pub birth_date: Option<time::Date>,
    pub phones: Vec<String>,
}

/// Which piece of personal data a password contained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonalField {
    LoginId,
    EmployeeNumber,
    Name,
    BirthDate,
    Phone,
}

/// Why a password was refused. Never carries the password itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum PasswordProblem {
    TooShort {
        min: u32,
    },
    TooLong {
        max: u32,
    },
    ControlCharacters,
    /// On the shipped list or the policy's blocklist, or a trivial run.
    Common,
    Personal {
        field: PersonalField,
    },
    /// One of the last passwords of the account (set by the caller).
    Reused,
}

impl PasswordProblem {
    /// Japanese message for the page, e.g. "12文字以上にしてください。"
    pub fn ja(&self) -> String {
        match self {
            PasswordProblem::TooShort { min } => format!("{min}文字以上にしてください。"),
            PasswordProblem::TooLong { max } => format!("{max}文字以下にしてください。"),
            PasswordProblem::ControlCharacters => "制御文字（改行・タブ等）は使えません。".into(),
            PasswordProblem::Common => "よく使われるパスワード、または推測しやすい並びです。".into(),
            PasswordProblem::Personal { field } => format!(
                "{}を含むパスワードは使えません。",
                match field {
                    PersonalField::LoginId => "ログインID",
                    PersonalField::EmployeeNumber => "職員番号",
                    PersonalField::Name => "氏名",
                    PersonalField::BirthDate => "生年月日",
                    PersonalField::Phone => "電話番号",
                }
            ),
            PasswordProblem::Reused => "最近使ったパスワードは再利用できません。".into(),
        }
    }

    /// English message.
    pub fn en(&self) -> String {
        match self {
            PasswordProblem::TooShort { min } => format!("Use at least {min} characters."),
            PasswordProblem::TooLong { max } => format!("Use at most {max} characters."),
            PasswordProblem::ControlCharacters => "Control characters (line breaks, tabs) are not allowed.".into(),
            PasswordProblem::Common => "This is a common password or an easily guessed sequence.".into(),
            PasswordProblem::Personal { field } => format!(
                "A password must not contain your {}.",
                match field {
                    PersonalField::LoginId => "login ID",
                    PersonalField::EmployeeNumber => "staff number",
                    PersonalField::Name => "name",
                    PersonalField::BirthDate => "birth date",
                    PersonalField::Phone => "phone number",
                }
            ),
            PasswordProblem::Reused => "A recently used password cannot be used again.".into(),
        }
    }
}

/// The comparison form: lowercase, full-width ASCII to ASCII, ideographic space to space, katakana
/// to hiragana.
pub fn fold(s: &str) -> String {
    let half: String = s
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect();
    romaji::hiragana(&half).to_lowercase()
}

fn shipped() -> &'static HashSet<String> {
    static LIST: OnceLock<HashSet<String>> = OnceLock::new();
    LIST.get_or_init(|| include_str!("common_passwords.txt").lines().map(fold).filter(|l| !l.is_empty()).collect())
}

/// One repeated character, or a run along the digits, the alphabet or a keyboard row (either
/// direction, wrapping: "7890123", "qwertyui", "zyxwv").
fn trivial_run(s: &str) -> bool {
    if s.chars().count() < 4 {
        return false;
    }
    let first = s.chars().next();
    if s.chars().all(|c| Some(c) == first) {
        return true;
    }
    const RUNS: [&str; 6] = [
        "0123456789012345678901234567890123456789",
        "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
        "qwertyuiopqwertyuiop",
        "asdfghjklasdfghjkl",
        "zxcvbnmzxcvbnm",
        "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    ];
    RUNS.iter().any(|r| r.contains(s) || r.chars().rev().collect::<String>().contains(s))
}

/// Listed (shipped or policy list), listed once leading/trailing digits and punctuation are
/// stripped (base of at least 4 characters), containing a policy entry (of at least 4 ASCII or 2
/// other characters, so a stray letter never blocks everything), or a trivial run.
fn is_common(folded: &str, extra: &[String]) -> bool {
    let extra: Vec<String> = extra.iter().map(|e| fold(e).trim().to_string()).filter(|e| !e.is_empty()).collect();
    let base = folded.trim_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation() || c.is_whitespace());
    let base_counts = base.chars().count() >= 4 && base != folded;
    let listed = |w: &str| shipped().contains(w) || extra.iter().any(|e| e == w);
    listed(folded)
        || (base_counts && listed(base))
        || extra.iter().any(|e| e.chars().count() >= if e.is_ascii() { 4 } else { 2 } && folded.contains(e.as_str()))
        || trivial_run(folded)
        || (base_counts && trivial_run(base))
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

fn birth_forms(d: time::Date) -> Vec<String> {
    let (y, m, dd) = (d.year(), u8::from(d.month()), d.day());
    let mut v = vec![
        format!("{y:04}{m:02}{dd:02}"),
        format!("{:02}{m:02}{dd:02}", y % 100),
        format!("{m:02}{dd:02}{y:04}"),
        format!("{dd:02}{m:02}{y:04}"),
        format!("{y:04}-{m:02}-{dd:02}"),
        format!("{y:04}/{m:02}/{dd:02}"),
        format!("{y:04}.{m:02}.{dd:02}"),
    ];
    // Japanese eras: letter, two-digit era year, MMDD (e.g. 昭和63年4月15日 → s630415, and 630415),
    // and the written form itself.
    let eras = [('r', "令和", 2019, 5, 1), ('h', "平成", 1989, 1, 8), ('s', "昭和", 1926, 12, 25)];
    if let Some((letter, name, start, ..)) = eras.iter().find(|(_, _, sy, sm, sd)| (y, m, dd) >= (*sy, *sm, *sd)) {
        let era_year = y - start + 1;
        v.push(format!("{letter}{era_year:02}{m:02}{dd:02}"));
        v.push(format!("{era_year:02}{m:02}{dd:02}"));
        v.push(format!("{name}{era_year}年{m}月{dd}日"));
    }
    v
}

fn personal(folded: &str, p: &PersonalData) -> Vec<PersonalField> {
    let mut found = Vec::new();
    let login = fold(&p.login_id);
    if login.chars().count() >= 3 && folded.contains(&login) {
        found.push(PersonalField::LoginId);
    }
    if let Some(n) = p.employee_number.as_deref().map(fold).filter(|n| n.chars().count() >= 4) {
        if folded.contains(&n) {
            found.push(PersonalField::EmployeeNumber);
        }
    }
    let squeezed: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
    let name_hit = p.names.iter().any(|name| {
        let parts: Vec<String> = fold(name).split([' ', '・']).filter(|s| !s.is_empty()).map(str::to_string).collect();
        let whole: String = parts.concat();
        let mut candidates: Vec<String> = parts.iter().chain(std::iter::once(&whole)).cloned().collect();
        for part in parts.iter().chain(std::iter::once(&whole)) {
            candidates.extend(romaji::variants(part));
        }
        candidates.iter().any(|c| {
            // "shin'ichi" from HR still matches "shinichi" in the password.
            let c: String = c.chars().filter(|c| c.is_alphanumeric()).collect();
            let n = c.chars().count();
            let ascii = c.is_ascii();
            ((ascii && n >= 3) || (!ascii && n >= 2)) && squeezed.contains(c.as_str())
        })
    });
    if name_hit {
        found.push(PersonalField::Name);
    }
    let only_digits = digits(folded);
    if let Some(d) = p.birth_date {
        if birth_forms(d).iter().any(|f| {
            folded.contains(f.as_str()) || (f.bytes().all(|b| b.is_ascii_digit()) && only_digits.contains(f.as_str()))
        }) {
            found.push(PersonalField::BirthDate);
        }
    }
    let phone_hit = p.phones.iter().map(|ph| digits(&fold(ph))).filter(|d| d.len() >= 6).any(|d| {
        let tail = if d.len() > 8 { &d[d.len() - 8..] } else { d.as_str() };
        only_digits.contains(&d) || only_digits.contains(tail)
    });
    if phone_hit {
        found.push(PersonalField::Phone);
    }
    found
}

/// Every problem of `candidate` under `rule`, each kind once; empty means acceptable. Length is
/// counted in Unicode scalar values (characters), so Japanese passphrases count per character.
pub fn check(
    candidate: &str,
    rule: &PasswordRule,
    extra_blocklist: &[String],
    personal_data: &PersonalData,
) -> Vec<PasswordProblem> {
    let mut problems = Vec::new();
    let len = u32::try_from(candidate.chars().count()).unwrap_or(u32::MAX);
    let (min, max) = (*rule.min_length.get_ref(), *rule.max_length.get_ref());
    if len < min {
        problems.push(PasswordProblem::TooShort { min });
    }
    if len > max {
        problems.push(PasswordProblem::TooLong { max });
    }
    if candidate.chars().any(char::is_control) {
        problems.push(PasswordProblem::ControlCharacters);
    }
    let folded = fold(candidate);
    if is_common(&folded, extra_blocklist) {
        problems.push(PasswordProblem::Common);
    }
    problems.extend(personal(&folded, personal_data).into_iter().map(|field| PasswordProblem::Personal { field }));
    problems
}

/// When a password set at `set_at_ms` must be changed; `None` under the NIST profile or with no
/// maximum age (R-AU-07).
pub fn expires_at(rule: &PasswordRule, set_at_ms: i64) -> Option<i64> {
    let days = *rule.max_age_days.get_ref();
    (rule.profile == PasswordProfile::Municipal && days > 0).then(|| set_at_ms + i64::from(days) * 86_400_000)
}

#[cfg(test)]
mod tests;
