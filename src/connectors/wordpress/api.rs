//! Where a site's REST API lives, and whether an answer came from it.
//!
//! The API is not always at `/wp-json/`: with "Plain" permalinks only `?rest_route=` works, and
//! `/wp-json/…` lands on an HTML page (often through a redirect, which turns a POST into a GET).
//! WordPress names its API root on every page, in `Link: <…>; rel="https://api.w.org/"`, so the
//! root is read from there (or probed with `?rest_route=/`), remembered per site for a few
//! minutes, and looked up again as soon as an answer is not JSON.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap, LINK};
use url::Url;

use super::text::html_title;
use crate::connectors::Failure;

/// The relation WordPress gives its API root in `Link` headers and `<link>` elements.
const API_REL: &str = "https://api.w.org/";
/// How long a discovered root is used before it is read again: long enough that a busy
/// account does not pay a request per post, short enough to follow a change of permalinks.
const ROOT_TTL: Duration = Duration::from_secs(300);

/// A site's REST API root: `https://site/wp-json/` or `https://site/index.php?rest_route=/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Root(Url);

impl Root {
    /// The address of `route` (`wp/v2/posts`) under this root, with `query` appended. Both
    /// forms take query parameters: for `?rest_route=` they follow the route parameter.
    pub(super) fn url(&self, route: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.0.clone();
        let route = route.trim_start_matches('/');
        let prefix = url
            .query_pairs()
            .find(|(k, _)| k == "rest_route")
            .map(|(_, v)| v.into_owned());
        match prefix {
            Some(prefix) => {
                let others: Vec<(String, String)> = url
                    .query_pairs()
                    .filter(|(k, _)| k != "rest_route")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                let mut pairs = url.query_pairs_mut();
                pairs.clear();
                pairs.extend_pairs(others);
                pairs.append_pair(
                    "rest_route",
                    &format!("{}/{route}", prefix.trim_end_matches('/')),
                );
                pairs.extend_pairs(query);
            }
            None => {
                let path = format!("{}/{route}", url.path().trim_end_matches('/'));
                url.set_path(&path);
                if !query.is_empty() {
                    url.query_pairs_mut().extend_pairs(query);
                }
            }
        }
        url
    }

    pub(super) fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Why a site's API root could not be found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Lost {
    /// Nothing answered (refused, DNS, TLS, timeout): worth trying again later.
    Unreachable(String),
    /// Pages answered, but none named or was WordPress's API: what answered.
    NotApi(String),
    /// The account's address is not an http(s) URL.
    BadAddress(String),
}

impl Lost {
    /// For calls made while publishing: nothing was sent, so a later attempt may succeed.
    pub(super) fn failure(self, site: &str) -> Failure {
        match self {
            Lost::Unreachable(why) => Failure::Retryable {
                reason: format!("WordPress {site}: could not connect ({why})"),
                after: None,
            },
            Lost::NotApi(what) => Failure::Retryable {
                reason: format!("{} ({what})", not_api(site)),
                after: None,
            },
            Lost::BadAddress(why) => Failure::Permanent {
                reason: format!("WordPress site address {site:?} is not usable: {why}"),
            },
        }
    }
}

/// What a person reads when the address does not lead to the API (Vietnamese first).
pub(super) fn not_api(site: &str) -> String {
    format!(
        "Địa chỉ {site} không dẫn tới API của WordPress: hãy kiểm tra địa chỉ trang và mục \
         Cài đặt › Đường dẫn tĩnh (Permalinks) của WordPress / the address does not lead to \
         the WordPress REST API: check the site address and WordPress's permalink settings"
    )
}

static ROOTS: LazyLock<Mutex<HashMap<String, (Root, Instant)>>> = LazyLock::new(Mutex::default);

fn site_key(site: &str) -> String {
    site.trim().trim_end_matches('/').to_string()
}

pub(super) fn cached(site: &str) -> Option<Root> {
    let roots = ROOTS.lock().unwrap_or_else(|p| p.into_inner());
    roots
        .get(&site_key(site))
        .filter(|(_, at)| at.elapsed() < ROOT_TTL)
        .map(|(root, _)| root.clone())
}

pub(super) fn remember(site: &str, root: &Root) {
    let mut roots = ROOTS.lock().unwrap_or_else(|p| p.into_inner());
    roots.retain(|_, (_, at)| at.elapsed() < ROOT_TTL);
    roots.insert(site_key(site), (root.clone(), Instant::now()));
}

pub(super) fn forget(site: &str) {
    let mut roots = ROOTS.lock().unwrap_or_else(|p| p.into_inner());
    roots.remove(&site_key(site));
}

/// Finds the API root of the site at `site`: the `Link` header of a HEAD or GET of the
/// address (redirects followed), or of the site's front page, or a `<link>` in the page;
/// failing those, `?rest_route=/` when it answers the API's JSON index.
pub(super) async fn discover(http: &reqwest::Client, site: &str) -> Result<Root, Lost> {
    let site_url = Url::parse(site.trim()).map_err(|e| Lost::BadAddress(e.to_string()))?;
    if !matches!(site_url.scheme(), "http" | "https") || site_url.host_str().is_none() {
        return Err(Lost::BadAddress("not an http(s) address".into()));
    }
    let mut tries = vec![
        (Method::HEAD, site_url.clone()),
        (Method::GET, site_url.clone()),
    ];
    let front = site_url
        .join("/")
        .map_err(|e| Lost::BadAddress(e.to_string()))?;
    if front != site_url {
        tries.push((Method::GET, front));
    }
    let mut seen: Option<String> = None;
    for (method, url) in tries {
        let resp = match http.request(method.clone(), url).send().await {
            Ok(resp) => resp,
            Err(e) if e.is_connect() || e.is_timeout() => {
                return Err(Lost::Unreachable(e.without_url().to_string()));
            }
            Err(e) => {
                seen.get_or_insert_with(|| e.without_url().to_string());
                continue;
            }
        };
        let (status, at) = (resp.status(), resp.url().clone());
        let headers = resp.headers().clone();
        if let Some(root) = link_header_root(&headers, &at, &site_url) {
            return Ok(root);
        }
        if method == Method::GET {
            let body = resp.bytes().await.unwrap_or_default();
            if let Some(root) = link_element_root(&body, &at, &site_url) {
                return Ok(root);
            }
            seen.get_or_insert_with(|| describe(status.as_u16(), &headers, &body));
        }
    }
    // No page names the root: WordPress answers `?rest_route=` whatever its permalinks.
    let mut probe = site_url.clone();
    if !probe.path().ends_with('/') {
        probe.set_path(&format!("{}/", probe.path()));
    }
    probe.set_fragment(None);
    probe.set_query(Some("rest_route=/"));
    let probe = Root(probe);
    match http.get(probe.url("", &[])).send().await {
        Ok(resp) => {
            let (status, headers) = (resp.status(), resp.headers().clone());
            let body = resp.bytes().await.unwrap_or_default();
            let index = is_json(&headers)
                .then(|| serde_json::from_slice::<serde_json::Value>(&body).ok())
                .flatten();
            if index.is_some_and(|v| v.get("namespaces").is_some() || v.get("routes").is_some()) {
                return Ok(probe);
            }
            seen.get_or_insert_with(|| describe(status.as_u16(), &headers, &body));
        }
        Err(e) if e.is_connect() || e.is_timeout() => {
            return Err(Lost::Unreachable(e.without_url().to_string()));
        }
        Err(e) => {
            seen.get_or_insert_with(|| e.without_url().to_string());
        }
    }
    Err(Lost::NotApi(seen.unwrap_or_else(|| "no answer".into())))
}

/// A root named by a `Link` header (`<…>; rel="https://api.w.org/"`, possibly among others).
fn link_header_root(headers: &HeaderMap, at: &Url, site: &Url) -> Option<Root> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(split_links)
        .find(|(_, params)| {
            params.split(';').any(|p| {
                let Some((name, value)) = p.split_once('=') else {
                    return false;
                };
                name.trim().eq_ignore_ascii_case("rel")
                    && value
                        .trim()
                        .trim_matches('"')
                        .split_whitespace()
                        .any(|rel| rel == API_REL)
            })
        })
        .and_then(|(target, _)| trusted(at.join(target.trim()).ok()?, at, site))
}

/// `<a>; x, <b>; y` as `[("a", "; x"), ("b", "; y")]`; commas inside `<…>` do not split.
fn split_links(value: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>').map(|c| open + c) else {
            break;
        };
        let target = &rest[open + 1..close];
        let after = &rest[close + 1..];
        let end = after.find(",").unwrap_or(after.len());
        out.push((target, &after[..end]));
        rest = &after[end..];
    }
    out
}

/// A root named by `<link rel="https://api.w.org/" href="…">` in a page's head, for proxies
/// that drop `Link` headers.
fn link_element_root(body: &[u8], at: &Url, site: &Url) -> Option<Root> {
    let text = String::from_utf8_lossy(&body[..body.len().min(256 * 1024)]);
    let rel = text.find(API_REL)?;
    let start = text[..rel].rfind('<')?;
    let end = rel + text[rel..].find('>')?;
    let tag = &text[start..end];
    if !tag.to_ascii_lowercase().starts_with("<link") {
        return None;
    }
    let href = tag.find("href=")? + 5;
    let quote = tag[href..].chars().next()?;
    let value = tag[href + 1..].split(quote).next()?;
    let value = value.replace("&#038;", "&").replace("&amp;", "&");
    trusted(at.join(&value).ok()?, at, site)
}

/// Credentials go only where the person pointed Loa (or where that address redirected): a
/// root on another host is ignored. A root that drops to http on an https site is raised back.
fn trusted(mut root: Url, at: &Url, site: &Url) -> Option<Root> {
    let host = root.host_str()?.to_ascii_lowercase();
    let known = [site, at]
        .iter()
        .any(|u| u.host_str().is_some_and(|h| h.eq_ignore_ascii_case(&host)));
    if !known {
        return None;
    }
    if root.scheme() == "http" && (site.scheme() == "https" || at.scheme() == "https") {
        root.set_scheme("https").ok()?;
        if root.port() == Some(80) {
            root.set_port(None).ok()?;
        }
    }
    root.set_fragment(None);
    Some(Root(root))
}

pub(super) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase())
        .is_some_and(|mime| mime == "application/json" || mime.ends_with("+json"))
}

/// `HTTP 502, page «502 Bad Gateway»`: enough for a person to recognise what answered.
pub(super) fn describe(status: u16, headers: &HeaderMap, body: &[u8]) -> String {
    let kind = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("no content type")
        .trim()
        .to_string();
    match html_title(body) {
        Some(title) => format!("HTTP {status}, {kind} page «{title}»"),
        None => format!("HTTP {status}, {kind}"),
    }
}

#[cfg(test)]
#[path = "api_tests.rs"]
mod tests;
