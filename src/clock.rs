//! Time: stored as UTC milliseconds since the Unix epoch on both databases (one portable type,
//! cheap to compare and bucket), shown in Asia/Ho_Chi_Minh. Viet Nam has kept UTC+07:00 without
//! daylight saving since 1975, so a fixed offset is exact and needs no time-zone database.

use time::{
    OffsetDateTime, UtcOffset, format_description::BorrowedFormatItem, macros::format_description,
};

pub const HANOI: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("UTC+7 is a valid offset"),
};

/// Milliseconds since the epoch, UTC.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn to_hanoi(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(HANOI)
}

const DATE_TIME: &[BorrowedFormatItem<'static>] =
    format_description!("[day]/[month]/[year] [hour]:[minute]");

/// `25/11/2026 18:34`: the day-first form Vietnamese readers expect.
pub fn format_hanoi(ms: i64) -> String {
    to_hanoi(ms).format(DATE_TIME).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midnight_utc_is_seven_in_the_morning_in_hanoi() {
        // 2026-01-01T00:00:00Z
        assert_eq!(format_hanoi(1_767_225_600_000), "01/01/2026 07:00");
    }
}
