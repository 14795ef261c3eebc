//! Form helpers shared by the resource modules: field errors shown next to their fields, and
//! pagination.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::FieldError;
use crate::i18n::{I18n, Lang};

/// Messages per field, already in the reader's language; templates show `errors.FIELD`.
#[derive(Default, Serialize)]
pub struct FormErrors(BTreeMap<String, Vec<String>>);

impl FormErrors {
    pub fn add(&mut self, i18n: &I18n, lang: Lang, e: &FieldError) {
        self.0
            .entry(e.field.clone())
            .or_default()
            .push(i18n.field_error(lang, e));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl super::AppState {
    /// Field errors in the visitor's language, ready for a form; workflow names (statuses,
    /// actions) in their arguments are shown by their labels.
    pub fn form_errors(&self, v: &super::Visitor, list: &[FieldError]) -> FormErrors {
        let mut errors = FormErrors::default();
        for e in list {
            errors.add(&self.i18n, v.lang, &readable(self, v, e));
        }
        errors
    }
}

pub const PER_PAGE: i64 = 50;

#[derive(Serialize)]
pub struct Pagination {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub first_item: i64,
    pub last_item: i64,
    pub prev: Option<i64>,
    pub next: Option<i64>,
}

impl Pagination {
    /// Page numbers start at 1; anything unparsable or out of range is clamped.
    pub fn requested(page: Option<&str>) -> i64 {
        page.and_then(|p| p.parse::<i64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
            .min(1_000_000)
    }

    pub fn offset(page: i64) -> i64 {
        (page - 1) * PER_PAGE
    }

    pub fn new(page: i64, total: i64, shown: usize) -> Pagination {
        let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
        let first_item = if shown == 0 {
            0
        } else {
            Pagination::offset(page) + 1
        };
        Pagination {
            page,
            pages,
            total,
            first_item,
            last_item: first_item + shown as i64 - i64::from(shown > 0),
            prev: (page > 1).then(|| (page - 1).min(pages)),
            next: (page < pages).then_some(page + 1),
        }
    }
}

/// A `next=` target after login or a language switch: only paths on this site, else `/`.
///
/// Browsers drop tabs and line breaks from URLs (WHATWG URL), so `/\t/evil.example` becomes
/// `//evil.example`, another site; a line break would also make the `Location` header invalid.
/// Anything with a control or whitespace character is therefore refused outright, and what is
/// left must resolve, as a relative reference, to a path on this origin without an authority.
pub fn safe_next(next: Option<&str>) -> String {
    next.and_then(local_path).unwrap_or_else(|| "/".to_string())
}

fn local_path(n: &str) -> Option<String> {
    if n.len() > 2000
        || !n.starts_with('/')
        || n.starts_with("//")
        || n.contains('\\')
        || n.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return None;
    }
    let base = url::Url::parse("http://loa.invalid/").expect("a valid base");
    let joined = base.join(n).ok()?;
    if joined.origin() != base.origin() || !joined.username().is_empty() {
        return None;
    }
    let mut out = joined.path().to_string();
    if let Some(q) = joined.query() {
        out.push('?');
        out.push_str(q);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_counts_items_and_pages() {
        let p = Pagination::new(2, 120, 50);
        assert_eq!(
            (p.pages, p.first_item, p.last_item, p.prev, p.next),
            (3, 51, 100, Some(1), Some(3))
        );
        let empty = Pagination::new(1, 0, 0);
        assert_eq!(
            (empty.pages, empty.first_item, empty.last_item, empty.next),
            (1, 0, 0, None)
        );
        assert_eq!(Pagination::requested(Some("-3")), 1);
        assert_eq!(Pagination::requested(Some("abc")), 1);
    }

    #[test]
    fn next_targets_stay_on_this_site() {
        assert_eq!(safe_next(Some("/areas?page=2")), "/areas?page=2");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn next_targets_with_control_or_blank_characters_fall_back_home() {
        for bad in [
            "/\t/127.0.0.1:18099/pwned",
            "/\n/evil.example",
            "/\r\nSet-Cookie: x=1",
            "/%0d%0a\r\n",
            "/ /evil.example",
            "/\u{85}/evil.example",
            "/\u{a0}/evil.example",
            "/\\evil.example",
            "/\u{0}",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        // Percent-encoded forms stay on this site and are kept as they were sent.
        assert_eq!(safe_next(Some("/%09/x")), "/%09/x");
        assert_eq!(safe_next(Some("/areas?q=H%C3%A0ng")), "/areas?q=H%C3%A0ng");
        assert_eq!(safe_next(Some("/a/../b")), "/b");
    }
}

/// The workflow names statuses and actions by their machine names; show their labels instead.
pub fn readable(state: &super::AppState, v: &super::Visitor, e: &FieldError) -> FieldError {
    let mut e = e.clone();
    for (name, value) in e.args.iter_mut() {
        let key = match *name {
            "from" | "status" => format!("post_status_{value}"),
            "action" => format!("action_{value}"),
            "role" => format!("role_{value}"),
            _ => continue,
        };
        *value = state.i18n.text(v.lang, &key).to_string();
    }
    e
}

/// The fields of a urlencoded form body, in order (repeated names kept).
pub fn pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// Notices a redirect may ask the next page to show; anything else is ignored.
pub const NOTICES: &[&str] = &[
    "password_changed",
    "settings_saved",
    "user_updated",
    "user_disabled",
    "user_enabled",
    "post_saved",
    "metrics_refresh_queued",
    "post_back_to_review",
    "post_submit",
    "post_approve",
    "post_request_changes",
    "post_schedule",
    "post_unschedule",
    "post_cancel",
    "post_reopen",
    "post_rescheduled",
    "media_saved",
    "account_saved",
    "kit_created",
    "kit_shared",
    "kit_shared_at",
    "kit_shared_review",
    "kit_declined",
    "kit_withdrawn",
    "kit_reminded",
    "proposal_sent",
    "proposal_adopted",
    "proposal_declined",
];

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

impl NoticeQuery {
    pub fn key(&self) -> Option<&'static str> {
        self.notice
            .as_deref()
            .and_then(|n| NOTICES.iter().copied().find(|k| *k == n))
    }
}
