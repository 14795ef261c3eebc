//! The click path's rules: what kind of device a user agent is, whether it is a robot, the
//! referrer's host, and a per-source flood limit. No address is kept: a visitor is a hash of
//! address and user agent under a salt that changes every day, so repeat clicks on one day can
//! be told apart from new readers and nothing identifies anyone tomorrow.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

/// One answered click, as the recorder writes it.
#[derive(Clone, Debug, PartialEq)]
pub struct NewClick {
    pub link_id: i64,
    pub at: i64,
    /// Hanoi calendar day of `at`.
    pub day: String,
    pub referrer_host: String,
    pub device: &'static str,
    pub bot: bool,
    /// The reader's key for the day (see `visitor`).
    pub visitor: u64,
}

/// A link's attribution: where its clicks count in the report rollups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ClickTarget {
    pub campaign_id: i64,
    pub post_id: Option<i64>,
    /// The unit the link is attributed to (a district, a ward, a 2025 commune).
    pub unit_id: Option<i64>,
    /// The unit a city-wide report shows it under: a ward's district, else `unit_id`.
    pub report_unit_id: Option<i64>,
    /// A QR poster's scan rather than a link in a post.
    pub qr: bool,
}

/// Link previews and crawlers: they fetch links people post, which is not a reader clicking.
const ROBOTS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "zalo-link",
    "preview",
    "mastodon/",
    "pleroma",
    "akkoma",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "go-http-client",
    "java/",
    "okhttp",
    "headlesschrome",
    "lighthouse",
    "monitor",
    "scan",
];

/// `mobile`, `tablet`, `desktop`, `bot` or `other` (no user agent at all).
pub fn device(user_agent: &str) -> &'static str {
    let ua = user_agent.to_ascii_lowercase();
    if ua.trim().is_empty() {
        return "other";
    }
    if ROBOTS.iter().any(|r| ua.contains(r)) {
        return "bot";
    }
    if ua.contains("ipad")
        || ua.contains("tablet")
        || (ua.contains("android") && !ua.contains("mobile"))
    {
        "tablet"
    } else if ua.contains("mobile") || ua.contains("iphone") || ua.contains("android") {
        "mobile"
    } else {
        "desktop"
    }
}

/// The referrer's host, lower case, at most 100 characters; empty when absent or unreadable.
pub fn referrer_host(referer: Option<&str>) -> String {
    referer
        .and_then(|r| url::Url::parse(r).ok())
        .and_then(|u| u.host_str().map(|h| h.to_ascii_lowercase()))
        .map(|h| h.chars().take(100).collect())
        .unwrap_or_default()
}

/// The day's key of a reader: the first 64 bits of a hash of the address and user agent under
/// the day's salt. Two readers of one link on one day share a key with odds of about n²/2⁶⁵,
/// nil at any real n; a number stores and compares cheaper than the hash's hex.
pub fn visitor(salt: &str, address: &str, user_agent: &str) -> u64 {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0]);
    h.update(address.as_bytes());
    h.update([0]);
    h.update(user_agent.as_bytes());
    u64::from_be_bytes(h.finalize()[..8].try_into().expect("8 bytes"))
}

/// What the flood limiter says about one more click from a source this minute.
#[derive(Debug, PartialEq, Eq)]
pub enum Flood {
    Fine,
    /// Answered, but counted as a robot and left out of reports.
    Flag,
    /// Refused with 429 and not recorded.
    Refuse,
}

/// Clicks per source per minute, in memory (per instance; a flood spread over instances is
/// still flagged by each). Thresholds of 0 turn a rule off.
pub struct FloodLimiter {
    flag_after: u32,
    refuse_after: u32,
    counts: Mutex<(i64, HashMap<u64, u32>)>,
}

impl FloodLimiter {
    pub fn new(flag_after: u32, refuse_after: u32) -> FloodLimiter {
        FloodLimiter {
            flag_after,
            refuse_after,
            counts: Mutex::new((0, HashMap::new())),
        }
    }

    pub fn check(&self, source: u64, now_ms: i64) -> Flood {
        if self.flag_after == 0 && self.refuse_after == 0 {
            return Flood::Fine;
        }
        let minute = now_ms / 60_000;
        let mut guard = self.counts.lock().expect("flood limiter lock");
        if guard.0 != minute {
            *guard = (minute, HashMap::new());
        }
        let n = guard.1.entry(source).or_insert(0);
        *n = n.saturating_add(1);
        match *n {
            n if self.refuse_after > 0 && n > self.refuse_after => Flood::Refuse,
            n if self.flag_after > 0 && n > self.flag_after => Flood::Flag,
            _ => Flood::Fine,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_robots() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Zalo iOS";
        assert_eq!(device(iphone), "mobile");
        assert_eq!(
            device("Mozilla/5.0 (Linux; Android 14; SM-S918B) Mobile Safari/537.36"),
            "mobile"
        );
        assert_eq!(
            device("Mozilla/5.0 (Linux; Android 13; SM-X700) Safari/537.36"),
            "tablet"
        );
        assert_eq!(
            device("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0"),
            "desktop"
        );
        assert_eq!(device("facebookexternalhit/1.1"), "bot");
        assert_eq!(device("TelegramBot (like TwitterBot)"), "bot");
        assert_eq!(device("curl/8.5.0"), "bot");
        assert_eq!(device(""), "other");
    }

    #[test]
    fn referrers_keep_only_the_host() {
        assert_eq!(
            referrer_host(Some("https://M.Facebook.com/story.php?id=1")),
            "m.facebook.com"
        );
        assert_eq!(referrer_host(Some("not a url")), "");
        assert_eq!(referrer_host(None), "");
    }

    #[test]
    fn visitors_differ_by_day_salt() {
        let a = visitor("s1", "10.0.0.1", "ua");
        assert_eq!(a, visitor("s1", "10.0.0.1", "ua"));
        assert_ne!(a, visitor("s2", "10.0.0.1", "ua"));
        assert_ne!(a, visitor("s1", "10.0.0.2", "ua"));
    }

    #[test]
    fn floods_are_flagged_then_refused() {
        let f = FloodLimiter::new(2, 4);
        let got: Vec<Flood> = (0..5).map(|_| f.check(7, 1_000)).collect();
        assert_eq!(
            got,
            [
                Flood::Fine,
                Flood::Fine,
                Flood::Flag,
                Flood::Flag,
                Flood::Refuse
            ]
        );
        assert_eq!(f.check(8, 1_000), Flood::Fine, "another source");
        assert_eq!(f.check(7, 61_000), Flood::Fine, "a new minute");
        assert_eq!(FloodLimiter::new(0, 0).check(7, 0), Flood::Fine);
    }
}
