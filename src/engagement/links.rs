//! Tracked links: short slugs, UTM parameters on the destination, and rewriting the links of a
//! post's text as it leaves for a channel. Platforms do not say where a reader lives, so Loa
//! attributes by design: one link per (post, channel account, unit), one per ward for posters.

use rand::Rng;
use sha2::{Digest, Sha256};

/// Longest destination accepted (browsers and channels cope with far less in practice).
pub const MAX_DESTINATION: usize = 2_000;

const SLUG_LEN: usize = 7;
/// No 0/O or 1/l/I: slugs are typed from printed posters.
const ALPHABET: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";

/// A fresh slug. It always holds a digit, so it can never shadow a page such as `/metrics`.
pub fn new_slug() -> String {
    let mut rng = rand::thread_rng();
    loop {
        let s: String = (0..SLUG_LEN)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect();
        if s.bytes().any(|b| b.is_ascii_digit()) {
            return s;
        }
    }
}

/// Whether `s` could be a slug at all; anything else is answered without touching the database.
pub fn plausible_slug(s: &str) -> bool {
    s.len() == SLUG_LEN
        && s.bytes().all(|b| ALPHABET.contains(&b))
        && s.bytes().any(|b| b.is_ascii_digit())
}

/// What a link is attributed to; `key` identifies it so the same link is reused on retries.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkSpec {
    pub campaign_id: i64,
    pub post_id: Option<i64>,
    pub account_id: Option<i64>,
    pub unit_id: Option<i64>,
    /// `post` or `qr`.
    pub source: &'static str,
    pub destination: String,
}

impl LinkSpec {
    /// Stable identity: the same post, account, unit, source and original destination give
    /// the same short link, however often a delivery is attempted.
    pub fn key(&self) -> String {
        let digest = Sha256::digest(self.destination.as_bytes());
        let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
        format!(
            "{}:c{}:p{}:a{}:u{}:{}",
            self.source,
            self.campaign_id,
            opt(self.post_id),
            opt(self.account_id),
            opt(self.unit_id),
            &hex::encode(digest)[..20]
        )
    }
}

/// Accepts an http(s) destination within limits; the error says what is wrong.
pub fn check_destination(raw: &str) -> Result<url::Url, String> {
    if raw.len() > MAX_DESTINATION {
        return Err(format!(
            "the address is {} characters long; at most {MAX_DESTINATION} are accepted",
            raw.len()
        ));
    }
    let url = url::Url::parse(raw).map_err(|e| format!("not a web address ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("only http and https addresses can be tracked".into());
    }
    Ok(url)
}

/// The destination with UTM parameters added (existing ones are kept as the author set them).
pub fn with_utm(
    destination: &url::Url,
    source: &str,
    medium: &str,
    campaign: &str,
    content: &str,
) -> String {
    let mut url = destination.clone();
    let present: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in [
            ("utm_source", source),
            ("utm_medium", medium),
            ("utm_campaign", campaign),
            ("utm_content", content),
        ] {
            if !present.iter().any(|p| p == k) && !v.is_empty() {
                q.append_pair(k, v);
            }
        }
    }
    url.to_string()
}

/// The http(s) addresses in a text, in order, each once. A trailing full stop, comma or
/// closing bracket belongs to the sentence, not the address.
pub fn find_urls(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("http") {
        let tail = &rest[at..];
        if !(tail.starts_with("http://") || tail.starts_with("https://")) {
            rest = &rest[at + 4..];
            continue;
        }
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '`'))
            .unwrap_or(tail.len());
        let candidate = tail[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']']);
        if check_destination(candidate).is_ok() && !found.iter().any(|f| f == candidate) {
            found.push(candidate.to_string());
        }
        rest = &tail[end.max(1)..];
    }
    found
}

/// Replaces each address of `map` (original → short) in `text`, longest first so an address
/// that is a prefix of another is not replaced inside it.
pub fn rewrite(text: &str, map: &[(String, String)]) -> String {
    let mut pairs: Vec<&(String, String)> = map.iter().collect();
    pairs.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
    let mut out = text.to_string();
    for (from, to) in pairs {
        // A placeholder first, so a short link is never rewritten again by a shorter match.
        out = out.replace(from.as_str(), &format!("\u{1}{to}\u{2}"));
    }
    out.replace(['\u{1}', '\u{2}'], "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_plausible_and_never_words() {
        for _ in 0..1000 {
            let s = new_slug();
            assert!(plausible_slug(&s), "{s}");
        }
        assert!(!plausible_slug("metrics"));
        assert!(!plausible_slug("abc"));
        assert!(!plausible_slug("ab0cdef"), "0 is not in the alphabet");
        assert!(!plausible_slug("../etc/"));
    }

    #[test]
    fn utm_is_added_without_overwriting() {
        let u = check_destination("https://hanoi.gov.vn/papi?utm_source=mine#top").unwrap();
        let out = with_utm(&u, "facebook", "social", "loa-7", "ba-dinh");
        assert_eq!(
            out,
            "https://hanoi.gov.vn/papi?utm_source=mine&utm_medium=social&utm_campaign=loa-7&utm_content=ba-dinh#top"
        );
    }

    #[test]
    fn destinations_are_checked() {
        assert!(check_destination("javascript:alert(1)").is_err());
        assert!(check_destination("ftp://x.vn/a").is_err());
        assert!(check_destination(&format!("https://x.vn/{}", "a".repeat(3000))).is_err());
        assert!(check_destination("https://dichvucong.hanoi.gov.vn/").is_ok());
    }

    #[test]
    fn urls_in_text_are_found_and_rewritten() {
        let text = "Xem https://a.vn/x. Và (https://a.vn/x/y) hoặc https://a.vn/x!";
        let urls = find_urls(text);
        assert_eq!(urls, vec!["https://a.vn/x", "https://a.vn/x/y"]);
        let out = rewrite(
            text,
            &[
                ("https://a.vn/x".into(), "https://l.vn/aa2".into()),
                ("https://a.vn/x/y".into(), "https://l.vn/bb3".into()),
            ],
        );
        assert_eq!(
            out,
            "Xem https://l.vn/aa2. Và (https://l.vn/bb3) hoặc https://l.vn/aa2!"
        );
    }

    #[test]
    fn keys_are_stable_and_distinct() {
        let a = LinkSpec {
            campaign_id: 1,
            post_id: Some(2),
            account_id: Some(3),
            unit_id: None,
            source: "post",
            destination: "https://a.vn".into(),
        };
        let mut b = a.clone();
        assert_eq!(a.key(), b.key());
        b.unit_id = Some(9);
        assert_ne!(a.key(), b.key());
    }
}
