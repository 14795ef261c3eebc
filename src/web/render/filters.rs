//! Tera filters that write numbers and dates the reader's way (see `crate::format`). Every page
//! has one template set per language with these filters bound to it, so templates stay short:
//!
//! | filter | value | Vietnamese | English |
//! |---|---|---|---|
//! | `number` | integer or float (rounded) | `684.997` | `684,997` |
//! | `decimal(places=1)` | number | `52,4` | `52.4` |
//! | `percent(places=1)` | number, already ×100 | `52,4 %` | `52.4%` |
//! | `percent(signed=true)` | a change, ×100 | `+12,5 %`, `−3,0 %` | `+12.5%` |
//! | `bytes` | byte count | `1,2 MB` | `1.2 MB` |
//! | `day` | `YYYY-MM-DD…` or epoch ms | `24/09/2026` | same |
//! | `day_month` | `YYYY-MM-DD…` or epoch ms | `30/11` | same |
//! | `datetime` | epoch ms | `24/09/2026 09:00` (Hanoi) | same |
//!
//! A missing value (null) shows as "—" (a date-time as nothing); a value of the wrong kind is
//! shown unchanged (escaped) rather than failing the whole page.

use std::collections::HashMap;

use tera::{Filter, Tera, Value};

use crate::format;
use crate::i18n::Lang;

type Args = HashMap<String, Value>;

#[derive(Clone, Copy)]
enum Kind {
    Number,
    Decimal,
    Percent,
    Bytes,
    Day,
    DayMonth,
    DateTime,
}

/// One filter bound to a language. Its output is digits, marks and "—", so it is declared
/// safe: `24/09/2026` reaches the page as written instead of as `24&#x2F;09&#x2F;2026`. A value
/// it cannot format is passed through escaped.
struct Format {
    kind: Kind,
    lang: Lang,
}

fn places(args: &Args, default: u32) -> u32 {
    args.get("places")
        .and_then(Value::as_u64)
        .map_or(default, |p| p.min(6) as u32)
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A day from a stored `YYYY-MM-DD` string or an instant in epoch milliseconds.
fn date_of(v: &Value) -> Option<time::Date> {
    match v {
        Value::String(s) => format::parse_iso_date(s.trim()),
        Value::Number(n) => n.as_i64().map(format::hanoi_date),
        _ => None,
    }
}

impl Format {
    fn apply(&self, v: &Value, args: &Args) -> Option<String> {
        let lang = self.lang;
        Some(match self.kind {
            Kind::Number => match v.as_i64() {
                Some(n) => format::integer(n, lang),
                None => format::decimal(as_f64(v)?, 0, lang),
            },
            Kind::Decimal => format::decimal(as_f64(v)?, places(args, 1), lang),
            Kind::Percent if args.get("signed") == Some(&Value::Bool(true)) => {
                format::signed_percent(as_f64(v)?, places(args, 1), lang)
            }
            Kind::Percent => format::percent(as_f64(v)?, places(args, 1), lang),
            Kind::Bytes => format::bytes(as_f64(v)? as i64, lang),
            Kind::Day => format::date(date_of(v)?),
            Kind::DayMonth => format::day_month(date_of(v)?),
            Kind::DateTime => format::date_time(v.as_i64()?),
        })
    }
}

impl Filter for Format {
    fn filter(&self, v: &Value, args: &Args) -> tera::Result<Value> {
        if v.is_null() {
            // A date-time that was never set reads as nothing; a missing number as "—".
            return Ok(Value::String(match self.kind {
                Kind::DateTime => String::new(),
                _ => format::MISSING.to_string(),
            }));
        }
        Ok(Value::String(match self.apply(v, args) {
            Some(s) => s,
            None => tera::escape_html(&match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
        }))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// Binds the filters of one language to a template set.
pub fn register(tera: &mut Tera, lang: Lang) {
    for (name, kind) in [
        ("number", Kind::Number),
        ("decimal", Kind::Decimal),
        ("percent", Kind::Percent),
        ("bytes", Kind::Bytes),
        ("day", Kind::Day),
        ("day_month", Kind::DayMonth),
        ("datetime", Kind::DateTime),
    ] {
        tera.register_filter(name, Format { kind, lang });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(lang: Lang, template: &str, value: Value) -> String {
        let mut tera = Tera::default();
        tera.add_raw_template("t", template).unwrap();
        register(&mut tera, lang);
        let mut ctx = tera::Context::new();
        ctx.insert("v", &value);
        tera.render("t", &ctx).unwrap()
    }

    #[test]
    fn filters_follow_the_language_of_their_template_set() {
        let cases = [
            ("{{ v | number }}", json!(684997), "684.997", "684,997"),
            ("{{ v | number }}", json!(0), "0", "0"),
            ("{{ v | number }}", json!(-2), "−2", "−2"),
            ("{{ v | number }}", json!(1234.6), "1.235", "1,235"),
            ("{{ v | number }}", json!(null), "—", "—"),
            ("{{ v | decimal }}", json!(52.44), "52,4", "52.4"),
            (
                "{{ v | decimal(places=2) }}",
                json!(27.906),
                "27,91",
                "27.91",
            ),
            ("{{ v | percent }}", json!(52.44), "52,4\u{a0}%", "52.4%"),
            (
                "{{ v | percent(places=0) }}",
                json!(100),
                "100\u{a0}%",
                "100%",
            ),
            (
                "{{ v | percent(signed=true) }}",
                json!(12.46),
                "+12,5\u{a0}%",
                "+12.5%",
            ),
            ("{{ v | bytes }}", json!(1_258_291), "1,2 MB", "1.2 MB"),
            (
                "{{ v | day }}",
                json!("2026-09-24"),
                "24/09/2026",
                "24/09/2026",
            ),
            (
                "{{ v | day }}",
                json!(1_790_215_200_000i64),
                "24/09/2026",
                "24/09/2026",
            ),
            ("{{ v | day_month }}", json!("2026-11-30"), "30/11", "30/11"),
            (
                "{{ v | datetime }}",
                json!(1_790_215_200_000i64),
                "24/09/2026 09:00",
                "24/09/2026 09:00",
            ),
            // Not a number or not a day: shown as it is rather than breaking the page.
            ("{{ v | number }}", json!("abc"), "abc", "abc"),
            ("{{ v | day }}", json!("soon"), "soon", "soon"),
            ("{{ v | number }}", json!("<b>"), "&lt;b&gt;", "&lt;b&gt;"),
            ("{{ v | datetime }}", json!(null), "", ""),
        ];
        for (template, value, vi, en) in cases {
            assert_eq!(
                render(Lang::Vi, template, value.clone()),
                vi,
                "{template} {value}"
            );
            assert_eq!(
                render(Lang::En, template, value.clone()),
                en,
                "{template} {value}"
            );
        }
    }
}
