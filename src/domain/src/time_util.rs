//! Timestamps as the domain sees them: UTC milliseconds since the Unix epoch.
//!
//! Storage keeps the same integer on SQLite and PostgreSQL, so a hash over a record is identical
//! whichever backend holds it. Display converts to JST (UTC+9, no daylight saving). Dates as
//! directories and files write them are read here too (below the policy, which names the format).

use serde::{Deserialize, Serialize};
use time::{macros::offset, OffsetDateTime, UtcOffset};

/// Japan Standard Time. Japan has no daylight saving, so a fixed offset is exact.
pub const JST: UtcOffset = offset!(+9);

/// Milliseconds since the Unix epoch, UTC.
pub fn to_millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// The instant for `ms` milliseconds since the epoch; out-of-range values clamp to the epoch.
pub fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// RFC 3339 in UTC with milliseconds, e.g. `2026-11-22T05:00:00.000Z`.
pub fn rfc3339_utc(ms: i64) -> String {
    let t = from_millis(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// A JST wall-clock rendering for people, e.g. `2026-11-22 14:00 JST`.
pub fn jst_display(ms: i64) -> String {
    let t = from_millis(ms).to_offset(JST);
    format!("{:04}-{:02}-{:02} {:02}:{:02} JST", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

/// The end of a calendar day in Japan (the next day's 00:00 JST), as UTC milliseconds.
pub fn end_of_jst_day(d: time::Date) -> i64 {
    (d.midnight().assume_offset(JST).unix_timestamp() + 86_400) * 1000
}

/// Compares two byte strings in time that depends only on their lengths (for secrets and digests).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How a directory or a file writes dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DateFormat {
    #[serde(rename = "YYYYMMDD")]
    Compact,
    #[serde(rename = "YYYY-MM-DD")]
    Iso,
}

/// Parses `YYYYMMDD` or `YYYY-MM-DD`.
pub fn parse_date(v: &str, format: DateFormat) -> Option<time::Date> {
    // Only ASCII is sliced by position: a multi-byte character must not be cut (a panic).
    if !v.is_ascii() {
        return None;
    }
    let digits: String = match format {
        DateFormat::Compact if v.len() == 8 => v.to_string(),
        DateFormat::Iso if v.len() == 10 && &v[4..5] == "-" && &v[7..8] == "-" => {
            format!("{}{}{}", &v[..4], &v[5..7], &v[8..])
        }
        _ => return None,
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m, d) = (digits[..4].parse().ok()?, digits[4..6].parse::<u8>().ok()?, digits[6..].parse().ok()?);
    time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
}

/// Parses `YYYY-MM-DD`.
pub fn parse_iso_date(v: &str) -> Option<time::Date> {
    parse_date(v, DateFormat::Iso)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn millis_round_trip_and_formats() {
        let t = datetime!(2026-11-22 05:06:07.089 UTC);
        let ms = to_millis(t);
        assert_eq!(from_millis(ms), t);
        assert_eq!(rfc3339_utc(ms), "2026-11-22T05:06:07.089Z");
        assert_eq!(jst_display(ms), "2026-11-22 14:06 JST");
    }

    #[test]
    fn dates_in_both_formats() {
        assert_eq!(parse_date("20260401", DateFormat::Compact), Some(time::macros::date!(2026 - 04 - 01)));
        assert_eq!(parse_date("2026-04-01", DateFormat::Iso), Some(time::macros::date!(2026 - 04 - 01)));
        assert_eq!(parse_date("2026-04-01", DateFormat::Compact), None);
        assert_eq!(parse_date("2026/04/01", DateFormat::Iso), None);
        assert_eq!(parse_date("２０２６０４０１", DateFormat::Compact), None);
    }

    #[test]
    fn a_date_of_other_characters_is_refused_not_a_panic() {
        // Ten and eight bytes that are not ten or eight characters: a byte slice through a character
        // would panic (a server worker lost to one form field or directory value).
        for v in ["日本語x", "２０２６-０", "2026-0４", "年月日y", "日本xy"] {
            assert_eq!(parse_date(v, DateFormat::Iso), None, "{v}");
            assert_eq!(parse_date(v, DateFormat::Compact), None, "{v}");
        }
    }
}
