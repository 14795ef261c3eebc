//! Report periods in Hanoi calendar days: this week (from Monday), this month, quarter or year,
//! each *to date* (ending today, never in the future), or custom days. A period is compared
//! like with like: a preset with the same number of days at the start of the previous week,
//! month, quarter or year (1–3 December against 1–3 November), a custom period with the days
//! of the same length just before it.

use time::{Date, Duration, Month};

use crate::domain::FieldError;

/// The longest custom period: three years of daily rollups.
pub const MAX_DAYS: i64 = 3 * 366;

/// What a report covers and what it is compared with, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
    pub previous: (Date, Date),
}

pub fn today() -> Date {
    crate::clock::to_hanoi(crate::clock::now_ms()).date()
}

pub fn parse_day(field: &str, value: &str) -> Result<Date, FieldError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(value.trim(), format).map_err(|_| FieldError::new(field, "err_report_day"))
}

/// The first day of the quarter holding `d`.
fn quarter_start(d: Date) -> Date {
    let first = Month::try_from((d.month() as u8 - 1) / 3 * 3 + 1).unwrap_or(Month::January);
    Date::from_calendar_date(d.year(), first, 1).unwrap_or(d)
}

/// `from` to `to` against the same number of days from `earlier`, cut at the end of the
/// earlier unit (31 March to date meets a February of 28 days).
fn like_with_like(from: Date, to: Date, earlier: Date) -> Period {
    let days = (to - from).whole_days();
    let end = (earlier + Duration::days(days)).min(from.previous_day().unwrap_or(from));
    Period {
        from,
        to,
        previous: (earlier, end),
    }
}

/// The days just before `from`, as many as from `from` to `to`.
pub fn just_before(from: Date, to: Date) -> (Date, Date) {
    let days = (to - from).whole_days() + 1;
    let end = from.previous_day().unwrap_or(from);
    (end - Duration::days(days - 1), end)
}

/// The period of a preset on `today`, or of custom days.
pub fn resolve(
    preset: &str,
    from: Option<&str>,
    to: Option<&str>,
    today: Date,
) -> Result<Period, FieldError> {
    let month_start = today.replace_day(1).unwrap_or(today);
    let year_start = Date::from_calendar_date(today.year(), Month::January, 1).unwrap_or(today);
    Ok(match preset {
        "week" => {
            let monday = today - Duration::days(today.weekday().number_days_from_monday() as i64);
            like_with_like(monday, today, monday - Duration::days(7))
        }
        "month" | "" => {
            let earlier = month_start
                .previous_day()
                .and_then(|d| d.replace_day(1).ok())
                .unwrap_or(month_start);
            like_with_like(month_start, today, earlier)
        }
        "quarter" => {
            let start = quarter_start(today);
            let earlier = quarter_start(start.previous_day().unwrap_or(start));
            like_with_like(start, today, earlier)
        }
        "year" => {
            let earlier =
                Date::from_calendar_date(today.year() - 1, Month::January, 1).unwrap_or(year_start);
            like_with_like(year_start, today, earlier)
        }
        "custom" => {
            let from = parse_day("from", from.unwrap_or_default())?;
            let to = parse_day("to", to.unwrap_or_default())?;
            if to < from {
                return Err(FieldError::new("to", "err_report_order"));
            }
            if (to - from).whole_days() >= MAX_DAYS {
                return Err(FieldError::new("to", "err_report_span").arg("days", MAX_DAYS));
            }
            Period {
                from,
                to,
                previous: just_before(from, to),
            }
        }
        _ => return Err(FieldError::new("period", "err_report_period")),
    })
}

/// A comparison period given explicitly (a shared link keeps the one it was made with).
pub fn explicit_previous(from: &str, to: &str) -> Result<(Date, Date), FieldError> {
    let (from, to) = (parse_day("prev_from", from)?, parse_day("prev_to", to)?);
    if to < from || (to - from).whole_days() >= MAX_DAYS {
        return Err(FieldError::new("prev_to", "err_report_order"));
    }
    Ok((from, to))
}

/// A period as a person names it: a month, quarter or year (possibly only to some day of it),
/// or plain days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    Month { month: u8, year: i32 },
    Quarter { quarter: u8, year: i32 },
    Year { year: i32 },
    Days,
}

/// How to name `from`–`to`, and whether it covers its unit to the end (`false`: to date).
pub fn span_of(from: Date, to: Date) -> (Span, bool) {
    let same_year = from.year() == to.year();
    let q = quarter_start(from);
    if from.day() == 1 && same_year && from.month() == to.month() {
        let whole = to.next_day().is_none_or(|d| d.month() != to.month());
        return (
            Span::Month {
                month: from.month() as u8,
                year: from.year(),
            },
            whole,
        );
    }
    if from == q && quarter_start(to) == q {
        let whole = to.next_day().is_none_or(|d| quarter_start(d) != q);
        return (
            Span::Quarter {
                quarter: (from.month() as u8 - 1) / 3 + 1,
                year: from.year(),
            },
            whole,
        );
    }
    if from.day() == 1 && from.month() == Month::January && same_year {
        let whole = to.month() == Month::December && to.day() == 31;
        return (Span::Year { year: from.year() }, whole);
    }
    (Span::Days, true)
}

/// The Mondays of the weeks a period touches, each marked partial when the period covers only
/// some of its days (the trend chart says so instead of showing a week that merely looks low).
pub fn weeks(from: Date, to: Date) -> Vec<(Date, bool)> {
    let mut monday = from - Duration::days(from.weekday().number_days_from_monday() as i64);
    let mut out = Vec::new();
    while monday <= to {
        let sunday = monday + Duration::days(6);
        out.push((monday, monday < from || sunday > to));
        monday += Duration::days(7);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn preset(name: &str, day: Date) -> Period {
        resolve(name, None, None, day).unwrap()
    }

    #[test]
    fn presets_run_to_today_and_meet_the_same_days_of_the_unit_before() {
        let day = date!(2026 - 12 - 03); // a Thursday
        assert_eq!(
            preset("month", day),
            Period {
                from: date!(2026 - 12 - 01),
                to: day,
                previous: (date!(2026 - 11 - 01), date!(2026 - 11 - 03)),
            }
        );
        assert_eq!(
            preset("week", day),
            Period {
                from: date!(2026 - 11 - 30),
                to: day,
                previous: (date!(2026 - 11 - 23), date!(2026 - 11 - 26)),
            }
        );
        assert_eq!(
            preset("quarter", day),
            Period {
                from: date!(2026 - 10 - 01),
                to: day,
                previous: (date!(2026 - 07 - 01), date!(2026 - 09 - 02)),
            }
        );
        assert_eq!(
            preset("year", day),
            Period {
                from: date!(2026 - 01 - 01),
                to: day,
                previous: (date!(2025 - 01 - 01), date!(2025 - 12 - 03)),
            }
        );
        // The first day of a month meets the first day of the last; January meets December.
        assert_eq!(
            preset("month", date!(2027 - 01 - 01)).previous,
            (date!(2026 - 12 - 01), date!(2026 - 12 - 01))
        );
        assert_eq!(
            preset("quarter", date!(2027 - 02 - 10)).previous,
            (date!(2026 - 10 - 01), date!(2026 - 11 - 10))
        );
        // 31 March to date against February: cut at February's last day, not into March.
        assert_eq!(
            preset("month", date!(2026 - 03 - 31)).previous,
            (date!(2026 - 02 - 01), date!(2026 - 02 - 28))
        );
        // The 29th of February of a leap year against a year with none.
        assert_eq!(
            preset("year", date!(2028 - 12 - 31)).previous,
            (date!(2027 - 01 - 01), date!(2027 - 12 - 31))
        );
    }

    #[test]
    fn custom_days_meet_the_days_just_before() {
        let day = date!(2026 - 11 - 26);
        assert_eq!(
            resolve("custom", Some("2026-11-10"), Some("2026-11-12"), day).unwrap(),
            Period {
                from: date!(2026 - 11 - 10),
                to: date!(2026 - 11 - 12),
                previous: (date!(2026 - 11 - 07), date!(2026 - 11 - 09)),
            }
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
        assert_eq!(
            explicit_previous("2026-11-01", "2026-11-03").unwrap(),
            (date!(2026 - 11 - 01), date!(2026 - 11 - 03))
        );
        assert!(explicit_previous("2026-11-03", "2026-11-01").is_err());
    }

    #[test]
    fn weeks_at_either_end_of_a_period_are_marked_partial() {
        // Tuesday 1 December to Thursday 17 December 2026.
        let w = weeks(date!(2026 - 12 - 01), date!(2026 - 12 - 17));
        assert_eq!(
            w,
            vec![
                (date!(2026 - 11 - 30), true),
                (date!(2026 - 12 - 07), false),
                (date!(2026 - 12 - 14), true),
            ]
        );
        // Monday to Sunday: one whole week.
        assert_eq!(
            weeks(date!(2026 - 12 - 07), date!(2026 - 12 - 13)),
            vec![(date!(2026 - 12 - 07), false)]
        );
    }

    #[test]
    fn periods_are_named_as_people_name_them() {
        let m = Span::Month {
            month: 12,
            year: 2026,
        };
        assert_eq!(
            span_of(date!(2026 - 12 - 01), date!(2026 - 12 - 31)),
            (m, true)
        );
        assert_eq!(
            span_of(date!(2026 - 12 - 01), date!(2026 - 12 - 03)),
            (m, false)
        );
        let q4 = Span::Quarter {
            quarter: 4,
            year: 2026,
        };
        assert_eq!(
            span_of(date!(2026 - 10 - 01), date!(2026 - 12 - 31)),
            (q4, true)
        );
        assert_eq!(
            span_of(date!(2026 - 10 - 01), date!(2026 - 11 - 05)),
            (q4, false)
        );
        let y = Span::Year { year: 2026 };
        assert_eq!(
            span_of(date!(2026 - 01 - 01), date!(2026 - 12 - 31)),
            (y, true)
        );
        assert_eq!(
            span_of(date!(2026 - 01 - 01), date!(2026 - 05 - 01)),
            (y, false)
        );
        assert_eq!(
            span_of(date!(2026 - 11 - 28), date!(2026 - 12 - 03)),
            (Span::Days, true)
        );
    }
}
