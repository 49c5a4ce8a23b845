//! A posted HTML form (`application/x-www-form-urlencoded`) as the pages read it: its fields in
//! order, and one field by name (empty when absent, so a missing field is refused by the check that
//! reads it, never by a panic); and the days the forms and the JSON API take (`YYYY-MM-DD`, JST),
//! read in one place.

use crate::app::words::date_field_ja;
use crate::app::AppError;
use tobira_domain::time_util::end_of_jst_day;

/// The fields of a posted form body, in order.
pub fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// The first field named `k`, or an empty string.
pub fn field(f: &[(String, String)], k: &str) -> String {
    f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default()
}

/// A day as the forms and the API take it, `YYYY-MM-DD` (JST); refused as invalid input naming the
/// field `what`.
pub fn day(s: &str, what: &str) -> Result<time::Date, AppError> {
    tobira_domain::hr::parse_date(s.trim(), tobira_domain::policy::directory::DateFormat::Iso)
        .ok_or_else(|| AppError::invalid(format!("{}（{what}）は日付（YYYY-MM-DD）で入力してください", date_field_ja(what)), format!("{what} must be a date, YYYY-MM-DD")))
}

/// The end of the day `s` (JST: a last day), in UTC milliseconds.
pub fn last_day(s: &str, what: &str) -> Result<i64, AppError> {
    Ok(end_of_jst_day(day(s, what)?))
}

/// The start of the day `s` (JST: a first day), in UTC milliseconds.
pub fn first_day(s: &str, what: &str) -> Result<i64, AppError> {
    let d = day(s, what)?;
    d.previous_day().map(end_of_jst_day).ok_or_else(|| AppError::invalid(format!("{}（{what}）が範囲外です", date_field_ja(what)), format!("{what} is out of range")))
}
