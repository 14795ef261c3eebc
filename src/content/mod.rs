//! Posts and their per-channel variants.
//!
//! An author writes one [`Master`]; [`derive`] turns it into one [`Variant`] per channel that
//! already fits that channel's limits, which the author may then edit. [`validate`] checks an
//! edited variant the way the channel will, [`preview`] shows it, and [`workflow`] decides who
//! may move a post through review and publishing. Nothing here does I/O.

mod channel;
mod markdown;
mod preview;
mod text;
mod variant;
pub mod workflow;

pub use channel::{
    BODY_MAX, Channel, EXCERPT_MAX, FACEBOOK_MAX, Limits, MASTODON_MAX, TELEGRAM_CAPTION_MAX,
    TELEGRAM_TEXT_MAX, TITLE_MAX, VariantField, ZALO_DESCRIPTION_MAX, ZALO_TITLE_MAX, count,
    limits,
};
pub use markdown::{portal_html, telegram_html, text_html};
pub use preview::{Counter, Counters, Preview, preview};
/// Channels that render plain text fields as HTML (WordPress titles) escape them with this.
pub(crate) use text::escape_html;
pub use variant::{Variant, derive, validate};
pub use workflow::{Action, Actor, PostStatus};

use crate::domain::FieldError;

/// The master text an author writes once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Master {
    pub title: String,
    /// Plain text with line breaks and bare links; the portal reads it as Markdown.
    pub body: String,
    pub link: Option<String>,
    /// Without the leading '#'.
    pub hashtags: Vec<String>,
}

pub const LINK_MAX: usize = 2000;
pub const HASHTAGS_MAX: usize = 10;
pub const HASHTAG_LEN_MAX: usize = 50;

impl Master {
    /// The master form (`master_title`, `master_body`, `master_link`, `master_hashtags`),
    /// reporting every bad field at once.
    pub fn parse(
        title: &str,
        body: &str,
        link: &str,
        hashtags: &str,
    ) -> Result<Master, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = required_text("master_title", title, TITLE_MAX).map_err(|e| errors.push(e));
        let body = required_text("master_body", body, BODY_MAX).map_err(|e| errors.push(e));
        let link = parse_link("master_link", link).map_err(|e| errors.push(e));
        let hashtags = parse_hashtags("master_hashtags", hashtags).map_err(|e| errors.push(e));
        match (title, body, link, hashtags) {
            (Ok(title), Ok(body), Ok(link), Ok(hashtags)) => Ok(Master {
                title,
                body,
                link,
                hashtags,
            }),
            _ => Err(errors),
        }
    }

    /// The same rules for a master that was stored or built elsewhere.
    pub fn validate(&self) -> Vec<FieldError> {
        let tags = self.hashtags.join(" ");
        match Master::parse(
            &self.title,
            &self.body,
            self.link.as_deref().unwrap_or(""),
            &tags,
        ) {
            Ok(_) => Vec::new(),
            Err(errors) => errors,
        }
    }
}

fn required_text(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    // Line endings from browsers are CRLF; storing LF keeps counts equal to what channels see.
    let v = value.replace("\r\n", "\n");
    let v = v.trim();
    match v.chars().count() {
        0 => Err(FieldError::new(field, "err_required")),
        len if len > max => Err(FieldError::new(field, "err_too_long")
            .arg("max", max)
            .arg("len", len)),
        _ => Ok(v.to_string()),
    }
}

/// An absolute http(s) link, or `None` when blank. Deliberately narrower than RFC 3986: no
/// spaces, no control characters, no user-info (`https://hanoi.gov.vn@evil.example` misleads
/// readers), and a host of letters, digits, `-`, `.`, and an optional port.
pub fn parse_link(field: &str, value: &str) -> Result<Option<String>, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let len = v.chars().count();
    if len > LINK_MAX {
        return Err(FieldError::new(field, "err_too_long")
            .arg("max", LINK_MAX)
            .arg("len", len));
    }
    let invalid = || FieldError::new(field, "err_link_invalid").arg("value", v);
    let lower = v.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &v[8..]
    } else if lower.starts_with("http://") {
        &v[7..]
    } else {
        return Err(invalid());
    };
    if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority
        .rsplit_once(':')
        .filter(|(_, port)| !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()))
        .map_or(authority, |(host, _)| host);
    let host_ok = !host.is_empty()
        && !host.starts_with(['.', '-'])
        && !host.ends_with('-')
        && !host.contains("..")
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.'));
    if !host_ok {
        return Err(invalid());
    }
    Ok(Some(v.to_string()))
}

/// "#PAPI, minh bạch #HaNoi" → ["PAPI", "minh", "bạch", "HaNoi"].
///
/// Separators are `,` `;` `#` and whitespace, since a hashtag cannot contain a space on any
/// channel; the preview shows the author the result. A tag holds letters (Vietnamese
/// included, precomposed or with combining accents), digits and `_`, needs at least one
/// letter (channels do not link all-digit tags), and repeats are dropped ignoring case.
pub fn parse_hashtags(field: &str, value: &str) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for tag in value
        .split(|c: char| matches!(c, ',' | ';' | '#') || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let chars_ok = tag
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || text::is_combining(c));
        if !chars_ok || !tag.chars().any(char::is_alphabetic) {
            return Err(FieldError::new(field, "err_hashtag_invalid").arg("value", tag));
        }
        let len = tag.chars().count();
        if len > HASHTAG_LEN_MAX {
            return Err(FieldError::new(field, "err_hashtag_too_long")
                .arg("value", tag)
                .arg("max", HASHTAG_LEN_MAX));
        }
        if !out.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
            out.push(tag.to_string());
        }
    }
    if out.len() > HASHTAGS_MAX {
        return Err(FieldError::new(field, "err_hashtags_too_many")
            .arg("max", HASHTAGS_MAX)
            .arg("len", out.len()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtags_split_strip_and_dedup() {
        assert_eq!(
            parse_hashtags("h", "#PAPI, minh bạch #HaNoi;#papi #Hà_Nội#2025x").unwrap(),
            ["PAPI", "minh", "bạch", "HaNoi", "Hà_Nội", "2025x"]
        );
        assert_eq!(parse_hashtags("h", "  ").unwrap(), Vec::<String>::new());
        // Decomposed accents (as some keyboards type them) are part of the letter.
        assert_eq!(parse_hashtags("h", "#Vie\u{323}\u{302}t").unwrap().len(), 1);
    }

    #[test]
    fn hashtags_reject_bad_input() {
        let e = parse_hashtags("master_hashtags", "#ok #hà-nội").unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.key),
            ("master_hashtags", "err_hashtag_invalid")
        );
        assert_eq!(e.args, vec![("value", "hà-nội".to_string())]);
        assert_eq!(
            parse_hashtags("h", "#2025").unwrap_err().key,
            "err_hashtag_invalid"
        );
        let long = "a".repeat(51);
        assert_eq!(
            parse_hashtags("h", &long).unwrap_err().key,
            "err_hashtag_too_long"
        );
        assert!(parse_hashtags("h", &"a".repeat(50)).is_ok());
        let many = (0..11)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let e = parse_hashtags("h", &many).unwrap_err();
        assert_eq!(e.key, "err_hashtags_too_many");
        assert_eq!(
            e.args,
            vec![("max", "10".to_string()), ("len", "11".to_string())]
        );
    }

    #[test]
    fn links_must_be_absolute_http() {
        for ok in [
            "https://hanoi.gov.vn/papi?x=1#a",
            "HTTP://localhost:8080",
            "https://bộ.vn/tin",
        ] {
            assert_eq!(parse_link("l", ok), Ok(Some(ok.to_string())), "{ok}");
        }
        assert_eq!(parse_link("l", "  "), Ok(None));
        for bad in [
            "javascript:alert(1)",
            "ftp://a.vn",
            "https://",
            "https:///path",
            "//a.vn",
            "https://a.vn/x y",
            "https://a.vn/\u{7}",
            "https://hanoi.gov.vn@evil.example/",
            "https://a..vn",
            "hanoi.gov.vn",
        ] {
            assert_eq!(
                parse_link("l", bad).unwrap_err().key,
                "err_link_invalid",
                "{bad}"
            );
        }
        let long = format!("https://a.vn/{}", "x".repeat(2000));
        let e = parse_link("l", &long).unwrap_err();
        assert_eq!((e.key, e.args[0].1.as_str()), ("err_too_long", "2000"));
    }

    #[test]
    fn master_reports_every_bad_field() {
        let errs = Master::parse(" ", &"x".repeat(20_001), "ftp://x", "#a-b").unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.field.as_str(), e.key)).collect();
        assert_eq!(
            got,
            [
                ("master_title", "err_required"),
                ("master_body", "err_too_long"),
                ("master_link", "err_link_invalid"),
                ("master_hashtags", "err_hashtag_invalid"),
            ]
        );
        let m = Master::parse(" Tiêu đề ", "Dòng 1\r\nDòng 2", "", "PAPI").unwrap();
        assert_eq!(
            (m.title.as_str(), m.body.as_str()),
            ("Tiêu đề", "Dòng 1\nDòng 2")
        );
        assert!(m.validate().is_empty());
        assert_eq!(m.link, None);
    }
}
