//! Dates stored as text, as Better Auth writes them on SQLite.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use super::StorageError;
use crate::model::format_date;

/// Formats a date for a TEXT column: `2026-12-04T19:47:17.933Z`.
pub fn to_text(date: &DateTime<Utc>) -> String {
    format_date(date)
}

/// Parses a date from a TEXT column. ISO 8601 with an offset is the format
/// Better Auth writes; SQLite's own `YYYY-MM-DD HH:MM:SS` (taken as UTC) and
/// Unix milliseconds are accepted as well, because hand-edited rows use them.
pub fn from_text(column: &'static str, text: &str) -> Result<DateTime<Utc>, StorageError> {
    if let Ok(parsed) = DateTime::parse_from_rfc3339(text) {
        return Ok(parsed.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(Utc.from_utc_datetime(&naive));
        }
    }
    if let Ok(millis) = text.parse::<i64>() {
        if let Some(date) = DateTime::from_timestamp_millis(millis) {
            return Ok(date);
        }
    }
    Err(StorageError::Corrupt {
        column,
        reason: format!("{text:?} is not a date"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip_keeps_milliseconds() {
        let date = from_text("d", "2026-12-04T19:47:17.933Z").expect("parses");
        assert_eq!(to_text(&date), "2026-12-04T19:47:17.933Z");
    }

    #[test]
    fn offsets_and_sqlite_format_are_read_as_utc() {
        let with_offset = from_text("d", "2026-12-05T09:47:17.933+14:00").expect("parses");
        assert_eq!(to_text(&with_offset), "2026-12-04T19:47:17.933Z");
        let sqlite = from_text("d", "2026-12-04 19:47:17").expect("parses");
        assert_eq!(to_text(&sqlite), "2026-12-04T19:47:17.000Z");
        assert!(from_text("d", "yesterday").is_err());
    }
}
