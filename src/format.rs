//! Numbers and dates as a reader expects them. Vietnamese: `684.997`, `52,4`, `52,4 %` (a
//! non-breaking space before the sign, so it never wraps away from its number). English:
//! `684,997`, `52.4`, `52.4%`. Dates are day-first in both languages (`24/09/2026`, `30/11`,
//! `24/09/2026 09:00` in Hanoi time): the data is about Hanoi, English readers here are used to
//! day-first dates, and one form avoids the month/day ambiguity of `09/11`.
//!
//! Pages reach these through the Tera filters registered in `web::render` (`number`,
//! `decimal`, `percent`, `day`, `day_month`, `datetime`, `bytes`); the SVG charts call them
//! directly. Negative numbers carry a real minus sign (−), which screen readers say as "minus".

use time::Date;

/// The reader's language: which catalog `i18n` reads, and which marks numbers carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim() {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
}

/// What stands for a value that cannot be shown (missing, NaN or infinite).
pub const MISSING: &str = "—";

const MINUS: char = '\u{2212}';

fn group_mark(lang: Lang) -> char {
    match lang {
        Lang::Vi => '.',
        Lang::En => ',',
    }
}

fn decimal_mark(lang: Lang) -> char {
    match lang {
        Lang::Vi => ',',
        Lang::En => '.',
    }
}

/// Digits in groups of three: `1234567` → `1.234.567`.
fn grouped(digits: &str, mark: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(mark);
        }
        out.push(c);
    }
    out
}

/// A whole number: `684.997` (vi), `684,997` (en), `−2`.
pub fn integer(n: i64, lang: Lang) -> String {
    let body = grouped(&n.unsigned_abs().to_string(), group_mark(lang));
    if n < 0 {
        format!("{MINUS}{body}")
    } else {
        body
    }
}

/// A number with exactly `places` decimals, rounded half away from zero (52,45 → 52,5 as a
/// reader rounding by hand would), grouped: `1.234,5`. NaN and infinities show as "—".
pub fn decimal(v: f64, places: u32, lang: Lang) -> String {
    if !v.is_finite() {
        return MISSING.to_string();
    }
    let places = places.min(6);
    let scale = 10i128.pow(places);
    // Rounding the scaled value once avoids printing 0,30000000000000004-style noise, and the
    // nudge keeps 1,005-like values that sit a hair under the tie on the side a person expects.
    let scaled = (v.abs() * scale as f64 * (1.0 + 1e-12)).round();
    if scaled >= i128::MAX as f64 / 2.0 {
        return MISSING.to_string();
    }
    let scaled = scaled as i128;
    let (whole, fraction) = (scaled / scale, scaled % scale);
    let mut out = String::new();
    if v < 0.0 && scaled != 0 {
        out.push(MINUS);
    }
    out.push_str(&grouped(&whole.to_string(), group_mark(lang)));
    if places > 0 {
        out.push(decimal_mark(lang));
        out.push_str(&format!("{fraction:0width$}", width = places as usize));
    }
    out
}

/// A percentage of 100: `52,4 %` (vi, with a non-breaking space), `52.4%` (en).
pub fn percent(v: f64, places: u32, lang: Lang) -> String {
    if !v.is_finite() {
        return MISSING.to_string();
    }
    let n = decimal(v, places, lang);
    match lang {
        Lang::Vi => format!("{n}\u{a0}%"),
        Lang::En => format!("{n}%"),
    }
}

/// A change: `+12,5 %`, `−92,7 %`, `0,0 %` (the sign always written, so a rise reads as one).
pub fn signed_percent(v: f64, places: u32, lang: Lang) -> String {
    let p = percent(v, places, lang);
    let zero = decimal(v, places, lang)
        .chars()
        .all(|c| !c.is_ascii_digit() || c == '0');
    if v > 0.0 && !zero { format!("+{p}") } else { p }
}

/// A chart label: whole numbers grouped, small fractions with one decimal (`≈ 49,5`).
pub fn compact(v: f64, lang: Lang) -> String {
    if !v.is_finite() {
        return MISSING.to_string();
    }
    if v.fract().abs() > 1e-9 && v.abs() < 100.0 {
        decimal(v, 1, lang)
    } else {
        decimal(v, 0, lang)
    }
}

/// A byte count as a person reads a file size: `812 B`, `345 KB`, `1,2 MB` (1 KB = 1,024 B).
pub fn bytes(n: i64, lang: Lang) -> String {
    const KB: f64 = 1024.0;
    let v = n as f64;
    if v.abs() < KB {
        format!("{} B", integer(n, lang))
    } else if v.abs() < KB * KB {
        format!("{} KB", decimal(v / KB, 0, lang))
    } else {
        format!("{} MB", decimal(v / (KB * KB), 1, lang))
    }
}

/// `24/09/2026`.
pub fn date(d: Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), d.month() as u8, d.year())
}

/// `30/11`: chart axes and ranges within one year.
pub fn day_month(d: Date) -> String {
    format!("{:02}/{:02}", d.day(), d.month() as u8)
}

/// `24/09/2026 09:00`, Hanoi time.
pub fn date_time(ms: i64) -> String {
    crate::clock::format_hanoi(ms)
}

/// The Hanoi calendar day of an instant.
pub fn hanoi_date(ms: i64) -> Date {
    crate::clock::to_hanoi(ms).date()
}

/// Both ends of a period, the year written once when they share it:
/// `01/12–03/12/2026`, `28/12/2026–03/01/2027`, `03/12/2026` for a single day.
pub fn date_range(from: Date, to: Date) -> String {
    if from == to {
        date(from)
    } else if from.year() == to.year() {
        format!("{}–{}", day_month(from), date(to))
    } else {
        format!("{}–{}", date(from), date(to))
    }
}

/// A stored `YYYY-MM-DD` day (or the day part of an ISO date-time).
pub fn parse_iso_date(s: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.get(..10)?, format).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn integers_group_by_three_with_the_languages_mark() {
        let cases = [
            (0, "0", "0"),
            (7, "7", "7"),
            (999, "999", "999"),
            (1000, "1.000", "1,000"),
            (684_997, "684.997", "684,997"),
            (1_234_567, "1.234.567", "1,234,567"),
            (-2, "−2", "−2"),
            (-1000, "−1.000", "−1,000"),
            (
                i64::MIN,
                "−9.223.372.036.854.775.808",
                "−9,223,372,036,854,775,808",
            ),
        ];
        for (n, vi, en) in cases {
            assert_eq!(integer(n, Lang::Vi), vi, "{n}");
            assert_eq!(integer(n, Lang::En), en, "{n}");
        }
    }

    #[test]
    fn decimals_round_half_away_from_zero_and_never_print_float_noise() {
        assert_eq!(decimal(52.4, 1, Lang::Vi), "52,4");
        assert_eq!(decimal(52.4, 1, Lang::En), "52.4");
        assert_eq!(decimal(0.0, 1, Lang::Vi), "0,0");
        assert_eq!(decimal(0.25, 1, Lang::Vi), "0,3");
        assert_eq!(decimal(-0.25, 1, Lang::Vi), "−0,3");
        assert_eq!(decimal(1.005, 2, Lang::En), "1.01");
        assert_eq!(decimal(0.1 + 0.2, 2, Lang::Vi), "0,30");
        assert_eq!(decimal(27.91, 2, Lang::Vi), "27,91");
        assert_eq!(decimal(999.96, 1, Lang::Vi), "1.000,0");
        assert_eq!(decimal(1_234_567.891, 2, Lang::Vi), "1.234.567,89");
        assert_eq!(decimal(1_234_567.891, 2, Lang::En), "1,234,567.89");
        assert_eq!(decimal(-0.04, 1, Lang::Vi), "0,0", "no minus on a zero");
        assert_eq!(decimal(684_997.4, 0, Lang::Vi), "684.997");
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300] {
            assert_eq!(decimal(bad, 1, Lang::Vi), MISSING, "{bad}");
        }
    }

    #[test]
    fn percentages_keep_their_sign_beside_the_number() {
        assert_eq!(percent(52.44, 1, Lang::Vi), "52,4\u{a0}%");
        assert_eq!(percent(52.44, 1, Lang::En), "52.4%");
        assert_eq!(percent(-92.66, 1, Lang::Vi), "−92,7\u{a0}%");
        assert_eq!(percent(100.0, 0, Lang::Vi), "100\u{a0}%");
        assert_eq!(percent(f64::NAN, 1, Lang::En), MISSING);
        assert_eq!(signed_percent(12.46, 1, Lang::Vi), "+12,5\u{a0}%");
        assert_eq!(signed_percent(-92.66, 1, Lang::En), "−92.7%");
        assert_eq!(signed_percent(0.01, 1, Lang::Vi), "0,0\u{a0}%");
        assert_eq!(signed_percent(f64::INFINITY, 1, Lang::Vi), MISSING);
    }

    #[test]
    fn chart_labels_and_file_sizes() {
        assert_eq!(compact(49.5, Lang::Vi), "49,5");
        assert_eq!(compact(10_312.0, Lang::Vi), "10.312");
        assert_eq!(compact(150.4, Lang::En), "150");
        assert_eq!(bytes(0, Lang::Vi), "0 B");
        assert_eq!(bytes(1023, Lang::Vi), "1.023 B");
        assert_eq!(bytes(1024, Lang::Vi), "1 KB");
        assert_eq!(bytes(353_280, Lang::Vi), "345 KB");
        assert_eq!(bytes(1_258_291, Lang::Vi), "1,2 MB");
        assert_eq!(bytes(1_258_291, Lang::En), "1.2 MB");
    }

    #[test]
    fn dates_are_day_first() {
        assert_eq!(date(date!(2026 - 09 - 24)), "24/09/2026");
        assert_eq!(day_month(date!(2026 - 11 - 30)), "30/11");
        // 2026-09-24 02:00 UTC is 09:00 in Hanoi.
        assert_eq!(date_time(1_790_215_200_000), "24/09/2026 09:00");
        assert_eq!(hanoi_date(1_790_215_200_000), date!(2026 - 09 - 24));
        assert_eq!(
            date_range(date!(2026 - 12 - 01), date!(2026 - 12 - 03)),
            "01/12–03/12/2026"
        );
        assert_eq!(
            date_range(date!(2026 - 12 - 28), date!(2027 - 01 - 03)),
            "28/12/2026–03/01/2027"
        );
        assert_eq!(
            date_range(date!(2026 - 12 - 03), date!(2026 - 12 - 03)),
            "03/12/2026"
        );
        assert_eq!(parse_iso_date("2026-12-03"), Some(date!(2026 - 12 - 03)));
        assert_eq!(
            parse_iso_date("2026-12-03T09:00"),
            Some(date!(2026 - 12 - 03))
        );
        assert_eq!(parse_iso_date("03/12/2026"), None);
        assert_eq!(parse_iso_date(""), None);
    }
}
