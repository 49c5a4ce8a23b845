//! Timestamps as the domain sees them: UTC milliseconds since the Unix epoch.
//!
//! Storage keeps the same integer on SQLite and PostgreSQL, so a hash over a record is identical
//! whichever backend holds it. Display converts to JST (UTC+9, no daylight saving).

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
}
