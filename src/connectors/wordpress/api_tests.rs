//! Root addresses, `Link` headers and which roots are trusted.

use super::*;
use reqwest::header::HeaderValue;

fn root(s: &str) -> Root {
    Root(Url::parse(s).unwrap())
}

#[test]
fn routes_and_queries_under_both_root_forms() {
    let pretty = root("https://site.vn/wp-json/");
    assert_eq!(
        pretty
            .url("wp/v2/posts", &[("slug", "a,b"), ("status", "publish")])
            .as_str(),
        "https://site.vn/wp-json/wp/v2/posts?slug=a%2Cb&status=publish"
    );
    assert_eq!(
        pretty.url("/wp/v2/media/7", &[]).as_str(),
        "https://site.vn/wp-json/wp/v2/media/7"
    );
    let plain = root("http://site.vn/index.php?rest_route=/");
    assert_eq!(
        plain.url("wp/v2/posts", &[("slug", "a,b")]).as_str(),
        "http://site.vn/index.php?rest_route=%2Fwp%2Fv2%2Fposts&slug=a%2Cb"
    );
    assert_eq!(
        plain.url("", &[]).as_str(),
        "http://site.vn/index.php?rest_route=%2F"
    );
    // A site in a folder, with another parameter before the route.
    let nested = root("https://cong.vn/phuong/?lang=vi&rest_route=/");
    assert_eq!(
        nested.url("wp/v2/users/me", &[]).as_str(),
        "https://cong.vn/phuong/?lang=vi&rest_route=%2Fwp%2Fv2%2Fusers%2Fme"
    );
}

fn headers(links: &[&str]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for l in links {
        h.append(LINK, HeaderValue::from_str(l).unwrap());
    }
    h
}

#[test]
fn the_api_root_is_read_from_link_headers() {
    let site = Url::parse("http://site.vn/").unwrap();
    let h = headers(&[
        "<http://site.vn/wp-json/wp/v2/pages/2>; rel=\"alternate\"; type=\"application/json\"",
        "<http://site.vn/wp-json/>; rel=\"https://api.w.org/\"",
    ]);
    assert_eq!(
        link_header_root(&h, &site, &site),
        Some(root("http://site.vn/wp-json/"))
    );
    // Several links in one header, the root last; a relative target.
    let h = headers(&[
        "<http://site.vn/?p=2>; rel=shortlink, </index.php?rest_route=/>; rel=\"https://api.w.org/\"",
    ]);
    assert_eq!(
        link_header_root(&h, &site, &site),
        Some(root("http://site.vn/index.php?rest_route=/"))
    );
    assert_eq!(
        link_header_root(&headers(&["<http://site.vn/>; rel=next"]), &site, &site),
        None
    );
}

#[test]
fn only_roots_on_the_sites_own_host_are_trusted() {
    let site = Url::parse("https://site.vn/").unwrap();
    let moved = Url::parse("https://www.site.vn/").unwrap();
    let h = headers(&["<https://evil.example/wp-json/>; rel=\"https://api.w.org/\""]);
    assert_eq!(link_header_root(&h, &site, &site), None);
    // Where the address redirected is trusted; http on an https site is raised to https.
    let h = headers(&["<http://www.site.vn/wp-json/>; rel=\"https://api.w.org/\""]);
    assert_eq!(
        link_header_root(&h, &moved, &site),
        Some(root("https://www.site.vn/wp-json/"))
    );
}

#[test]
fn the_api_root_is_read_from_a_link_element() {
    let site = Url::parse("http://site.vn/").unwrap();
    let page = b"<head><link rel='dns-prefetch' href='//s.w.org' />\n<link rel=\"https://api.w.org/\" href=\"http://site.vn/index.php?rest_route=/&#038;lang=vi\" /></head>";
    assert_eq!(
        link_element_root(page, &site, &site),
        Some(root("http://site.vn/index.php?rest_route=/&lang=vi"))
    );
    assert_eq!(
        link_element_root(b"<a href=\"https://api.w.org/\">", &site, &site),
        None
    );
}

#[test]
fn json_content_types() {
    let mut h = HeaderMap::new();
    assert!(!is_json(&h));
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    assert!(is_json(&h));
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    assert!(is_json(&h));
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=UTF-8"),
    );
    assert!(!is_json(&h));
}
