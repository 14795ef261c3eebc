//! Report periods in Hanoi calendar days: this week (Monday to Sunday), month, quarter, year,
//! or custom days; each compared with the period of the same length just before it.

use time::{Date, Month};

use crate::domain::FieldError;

/// The longest custom period: three years of daily rollups.
pub const MAX_DAYS: i64 = 3 * 366;

pub fn today() -> Date {
    crate::clock::to_hanoi(crate::clock::now_ms()).date()
}

pub fn parse_day(field: &str, value: &str) -> Result<Date, FieldError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(value.trim(), format).map_err(|_| FieldError::new(field, "err_report_day"))
}

/// The (from, to) days of a preset around `today`, or of a custom period.
pub fn resolve(
    preset: &str,
    from: Option<&str>,
    to: Option<&str>,
    today: Date,
) -> Result<(Date, Date), FieldError> {
    let year = today.year();
    let first_of = |m: Month| Date::from_calendar_date(year, m, 1).unwrap_or(today);
    let last_of = |m: Month| {
        let days = m.length(year);
        Date::from_calendar_date(year, m, days).unwrap_or(today)
    };
    Ok(match preset {
        "week" => {
            let monday =
                today - time::Duration::days(today.weekday().number_days_from_monday() as i64);
            (monday, monday + time::Duration::days(6))
        }
        "month" | "" => (first_of(today.month()), last_of(today.month())),
        "quarter" => {
            let q = (today.month() as u8 - 1) / 3;
            let start = Month::try_from(q * 3 + 1).unwrap_or(Month::January);
            let end = Month::try_from(q * 3 + 3).unwrap_or(Month::December);
            (first_of(start), last_of(end))
        }
        "year" => (first_of(Month::January), last_of(Month::December)),
        "custom" => {
            let from = parse_day("from", from.unwrap_or_default())?;
            let to = parse_day("to", to.unwrap_or_default())?;
            if to < from {
                return Err(FieldError::new("to", "err_report_order"));
            }
            if (to - from).whole_days() >= MAX_DAYS {
                return Err(FieldError::new("to", "err_report_span").arg("days", MAX_DAYS));
            }
            (from, to)
        }
        _ => return Err(FieldError::new("period", "err_report_period")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn presets_cover_whole_calendar_units() {
        let day = date!(2026 - 11 - 26); // a Thursday
        assert_eq!(
            resolve("week", None, None, day).unwrap(),
            (date!(2026 - 11 - 23), date!(2026 - 11 - 29))
        );
        assert_eq!(
            resolve("month", None, None, day).unwrap(),
            (date!(2026 - 11 - 01), date!(2026 - 11 - 30))
        );
        assert_eq!(
            resolve("quarter", None, None, day).unwrap(),
            (date!(2026 - 10 - 01), date!(2026 - 12 - 31))
        );
        assert_eq!(
            resolve("year", None, None, day).unwrap(),
            (date!(2026 - 01 - 01), date!(2026 - 12 - 31))
        );
        assert_eq!(
            resolve("custom", Some("2026-02-01"), Some("2026-01-01"), day)
                .unwrap_err()
                .key,
            "err_report_order"
        );
        assert_eq!(
            resolve("custom", Some("1/2/2026"), Some("2026-01-01"), day)
                .unwrap_err()
                .field,
            "from"
        );
        assert_eq!(
            resolve("nope", None, None, day).unwrap_err().key,
            "err_report_period"
        );
    }
}
