//! The days that forms, the JSON API and the console's filters take: `YYYY-MM-DD`, a day in Japan
//! (JST), read in one place and refused in both languages naming the field.

use super::words::date_field_ja;
use super::AppError;
use tobira_domain::time_util::end_of_jst_day;

/// A day, `YYYY-MM-DD` (JST); refused as invalid input naming the field `what`.
pub fn day(s: &str, what: &str) -> Result<time::Date, AppError> {
    tobira_domain::time_util::parse_iso_date(s.trim()).ok_or_else(|| {
        AppError::invalid(
            "not_a_date",
            format!("{}（{what}）は日付（YYYY-MM-DD、日本時間）で入力してください", date_field_ja(what)),
            format!("{what} must be a date, YYYY-MM-DD (JST)"),
        )
    })
}

/// A day as [`day`], or none when the field is empty (a filter left open).
pub fn optional_day(s: &str, what: &str) -> Result<Option<time::Date>, AppError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    day(s, what).map(Some)
}

/// The end of the day `s` (JST: a last day), in UTC milliseconds.
pub fn last_day(s: &str, what: &str) -> Result<i64, AppError> {
    Ok(end_of_jst_day(day(s, what)?))
}

/// The start of the day `s` (JST: a first day), in UTC milliseconds.
pub fn first_day(s: &str, what: &str) -> Result<i64, AppError> {
    let d = day(s, what)?;
    d.previous_day().map(end_of_jst_day).ok_or_else(|| {
        AppError::invalid(
            "date_out_of_range",
            format!("{}（{what}）が範囲外です", date_field_ja(what)),
            format!("{what} is out of range"),
        )
    })
}
