//! How Mastodon renders statuses and accounts, and how it counts characters.

use axum::http::HeaderMap;
use serde_json::{Value, json};
use time::macros::format_description;

use super::state::Status;
use super::{ACCOUNT_ID, URL_WEIGHT, USERNAME};

/// `http://{host}`: the instance's own address in URLs.
pub(super) fn base(headers: &HeaderMap) -> String {
    format!("http://{}", crate::sandbox::host(headers))
}

pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub(super) fn is_url(word: &str) -> bool {
    word.starts_with("https://") || word.starts_with("http://")
}

/// Mastodon's rendering of plain text: paragraphs, `<br />`, shortened links, hashtag links.
pub(super) fn render(text: &str, base: &str) -> String {
    let mut html = String::new();
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        html.push_str("<p>");
        for (i, line) in paragraph.lines().enumerate() {
            if i > 0 {
                html.push_str("<br />");
            }
            let words: Vec<String> = line.split(' ').map(|w| render_word(w, base)).collect();
            html.push_str(&words.join(" "));
        }
        html.push_str("</p>");
    }
    html
}

pub(super) fn render_word(word: &str, base: &str) -> String {
    if is_url(word) {
        let (scheme, rest) = word.split_at(word.find("://").map_or(0, |i| i + 3));
        let shown: String = rest.chars().take(30).collect();
        let hidden: String = rest.chars().skip(30).collect();
        return format!(
            "<a href=\"{}\" target=\"_blank\" rel=\"nofollow noopener noreferrer\">\
             <span class=\"invisible\">{}</span><span class=\"{}\">{}</span>\
             <span class=\"invisible\">{}</span></a>",
            escape(word),
            escape(scheme),
            if hidden.is_empty() { "" } else { "ellipsis" },
            escape(&shown),
            escape(&hidden)
        );
    }
    if let Some(tag) = word.strip_prefix('#') {
        let name: String = tag
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            let rest = &tag[name.len()..];
            return format!(
                "<a href=\"{base}/tags/{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>{}",
                escape(&name.to_lowercase()),
                escape(&name),
                escape(rest)
            );
        }
    }
    escape(word)
}

/// Characters as Mastodon counts them: every http(s) URL weighs 23.
pub(super) fn weight(text: &str) -> usize {
    let long_urls: usize = text
        .split_whitespace()
        .filter(|w| is_url(w))
        .map(|w| w.chars().count().saturating_sub(URL_WEIGHT))
        .sum();
    text.chars().count() - long_urls
}

pub(super) fn account_json(base: &str) -> Value {
    json!({
        "id": ACCOUNT_ID,
        "username": USERNAME,
        "acct": USERNAME,
        "display_name": "UBND Phường Sandbox",
        "url": format!("{base}/@{USERNAME}"),
        "statuses_count": 0,
    })
}

pub(super) fn status_json(status: &Status, base: &str) -> Value {
    let at = status
        .created_at
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .unwrap_or_default();
    json!({
        "id": status.id.to_string(),
        "created_at": at,
        "uri": format!("{base}/users/{USERNAME}/statuses/{}", status.id),
        "url": format!("{base}/@{USERNAME}/{}", status.id),
        "content": render(&status.text, base),
        "visibility": status.visibility,
        "language": status.language,
        "sensitive": false,
        "spoiler_text": "",
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "media_attachments": status.media,
        "account": account_json(base),
    })
}
