//! Message catalogs. Every string a person reads comes from `locales/vi.toml` (the default) or
//! `locales/en.toml`; templates read them as `t.key`, code as `I18n::text`. Placeholders are
//! written `{name}`. A test keeps the two catalogs' keys identical and every `t.key` used in a
//! template defined.

use std::collections::BTreeMap;

use crate::domain::FieldError;
// Defined beside the number formats, which depend on it; named here, where callers look.
pub use crate::format::Lang;

pub struct I18n {
    vi: Catalog,
    en: Catalog,
}

struct Catalog {
    texts: BTreeMap<String, String>,
    /// The same map as a template value, built once instead of on every render.
    value: tera::Value,
}

pub const VI_SOURCE: &str = include_str!("../locales/vi.toml");
pub const EN_SOURCE: &str = include_str!("../locales/en.toml");

impl I18n {
    pub fn load() -> anyhow::Result<I18n> {
        Ok(I18n {
            vi: Catalog::parse(VI_SOURCE, "vi")?,
            en: Catalog::parse(EN_SOURCE, "en")?,
        })
    }

    fn catalog(&self, lang: Lang) -> &Catalog {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }

    /// The text for `key`; the key itself when it is missing, so a gap shows instead of crashing.
    pub fn text<'a>(&'a self, lang: Lang, key: &'a str) -> &'a str {
        self.catalog(lang)
            .texts
            .get(key)
            .map(String::as_str)
            .unwrap_or(key)
    }

    pub fn format(&self, lang: Lang, key: &str, args: &[(&str, String)]) -> String {
        let mut out = self.text(lang, key).to_string();
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    /// A field's message. Counts in it (a limit, a length, days) are written the reader's way
    /// (4.096 ký tự); quoted input and row numbers are left as they were, but cut to
    /// [`ECHO_MAX`] characters: a 5,000-character address repeated in full buries the message.
    pub fn field_error(&self, lang: Lang, e: &FieldError) -> String {
        const COUNTS: [&str; 4] = ["max", "min", "len", "days"];
        let args: Vec<(&str, String)> = e
            .args
            .iter()
            .map(|(name, value)| match value.parse::<i64>() {
                Ok(n) if COUNTS.contains(name) => (*name, crate::format::integer(n, lang)),
                _ => (*name, shorten(value, ECHO_MAX)),
            })
            .collect();
        self.format(lang, e.key, &args)
    }

    /// The whole catalog, for templates.
    pub fn table(&self, lang: Lang) -> &tera::Value {
        &self.catalog(lang).value
    }

    pub fn keys(&self, lang: Lang) -> impl Iterator<Item = &String> {
        self.catalog(lang).texts.keys()
    }
}

/// How much of a typed value an error message repeats.
pub const ECHO_MAX: usize = 80;

/// `text` cut to `max` characters, ending in "…" when something was cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

impl Catalog {
    fn parse(source: &str, name: &str) -> anyhow::Result<Catalog> {
        let table: toml::Table = source
            .parse()
            .map_err(|e| anyhow::anyhow!("locales/{name}.toml: {e}"))?;
        let mut texts = BTreeMap::new();
        for (k, v) in table {
            let toml::Value::String(s) = v else {
                anyhow::bail!("locales/{name}.toml: `{k}` must be a string");
            };
            texts.insert(k, s);
        }
        let value = serde_json::to_value(&texts)?;
        Ok(Catalog { texts, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_have_the_same_keys() {
        let i18n = I18n::load().unwrap();
        let vi: Vec<_> = i18n.keys(Lang::Vi).collect();
        let en: Vec<_> = i18n.keys(Lang::En).collect();
        let only_vi: Vec<_> = vi.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !vi.contains(k)).collect();
        assert!(
            only_vi.is_empty() && only_en.is_empty(),
            "only in vi: {only_vi:?}; only in en: {only_en:?}"
        );
    }

    #[test]
    fn placeholders_are_filled() {
        let i18n = I18n::load().unwrap();
        let e = FieldError::new("password", "err_password_short").arg("min", 10);
        assert!(i18n.field_error(Lang::En, &e).contains("10"));
        assert!(i18n.field_error(Lang::Vi, &e).contains("10"));
        assert_eq!(i18n.text(Lang::Vi, "no_such_key"), "no_such_key");
    }

    #[test]
    fn counts_in_messages_are_grouped_but_quoted_input_is_not() {
        let i18n = I18n::load().unwrap();
        let e = FieldError::new("to", "err_report_span").arg("days", 1098);
        assert!(
            i18n.field_error(Lang::Vi, &e).contains("1.098"),
            "{}",
            i18n.field_error(Lang::Vi, &e)
        );
        assert!(i18n.field_error(Lang::En, &e).contains("1,098"));
        let e = FieldError::new("kpi", "err_kpi_invalid").arg("value", "50000");
        assert!(!i18n.field_error(Lang::Vi, &e).contains("50.000"));
    }

    #[test]
    fn echoed_values_are_cut_to_eighty_characters() {
        let i18n = I18n::load().unwrap();
        let long = "đ".repeat(5000);
        let e = FieldError::new("hashtags", "err_hashtag_invalid").arg("value", &long);
        let text = i18n.field_error(Lang::Vi, &e);
        let shown = format!("{}…", "đ".repeat(79));
        assert!(text.contains(&shown), "{text}");
        assert!(!text.contains(&"đ".repeat(80)), "{text}");
        assert!(text.chars().count() < 200, "{text}");
        assert_eq!(shorten("ngắn", 80), "ngắn");
    }
}
