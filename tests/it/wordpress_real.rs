//! The WordPress connector against a real WordPress (Debian's `wordpress` package on PHP's
//! built-in server and MariaDB, `wordpress_real/site.rs`): what the simulator claims, checked
//! against the software itself. Skipped with the reason printed where WordPress cannot run;
//! `LOA_REQUIRE_ALL=1` makes that a failure.

mod proxy;
mod site;

use std::time::{Duration, Instant};

use loa::connectors::{Connector, Credentials, Failure, Image, Outgoing, wordpress::WordPress};
use serde_json::Value;

use self::proxy::Proxy;
use self::site::Site;
use crate::helpers::skip;

fn site(plain: bool) -> Option<&'static Site> {
    let started = if plain { site::plain() } else { site::pretty() };
    match started {
        Ok(site) => Some(site),
        Err(why) => {
            skip(&format!("real WordPress not run: {why}"));
            None
        }
    }
}

fn connector(site: &Site, base_url: &str, timeout: Duration) -> WordPress {
    WordPress::new(
        loa::connectors::http_client(timeout),
        Credentials::Wordpress {
            base_url: base_url.into(),
            username: site.username.clone(),
            app_password: site.app_password.clone(),
        },
    )
}

fn wordpress(site: &Site) -> WordPress {
    connector(site, &site.url, Duration::from_secs(20))
}

/// A nonce of the kind the store makes, unique per test run.
fn nonce(tag: &str) -> String {
    format!(
        "{tag}-{}-{}",
        std::process::id(),
        loa::clock::now_ms() % 1_000_000
    )
}

fn outgoing(nonce: &str) -> Outgoing {
    Outgoing {
        nonce: nonce.into(),
        title: format!("Thông báo lịch tiếp dân {nonce}"),
        summary: "Tóm tắt ngắn gọn".into(),
        body: "Phường **Điện Biên** tiếp dân vào sáng thứ Bảy.".into(),
        link: None,
        hashtags: vec![],
        image: None,
    }
}

fn png(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(8, 6, |x, y| image::Rgb([x as u8 * 30, y as u8 * 40, seed]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn image(key: &str, seed: u8) -> Image {
    Image {
        key: key.into(),
        remote_id: None,
        bytes: png(seed),
        mime: "image/png".into(),
        file_name: "ảnh hội nghị.png".into(),
        public_url: None,
        alt: "Người dân dự hội nghị <tiếp xúc> cử tri".into(),
    }
}

/// What the site's REST API answers at `route` (`posts/12&context=edit`), read as the admin
/// at `?rest_route=`, which answers whatever the permalinks.
async fn rest(site: &Site, route: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{}/?rest_route=/wp/v2/{route}", site.url))
        .basic_auth(&site.username, Some(&site.app_password))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap_or_else(|e| panic!("{route}: {e}"))
}

/// Every post (any status but trash) whose slug starts with `slug`.
async fn posts_like(site: &Site, slug: &str) -> Vec<Value> {
    let all = rest(
        site,
        "posts&status=publish,draft,pending,private&per_page=100&context=edit",
    )
    .await;
    let all = all.as_array().cloned().unwrap_or_default();
    all.into_iter()
        .filter(|p| p["slug"].as_str().is_some_and(|s| s.starts_with(slug)))
        .collect()
}

async fn media_like(site: &Site, slug: &str) -> Vec<Value> {
    let all = rest(site, "media&per_page=100&context=edit").await;
    let all = all.as_array().cloned().unwrap_or_default();
    all.into_iter()
        .filter(|m| m["slug"].as_str().is_some_and(|s| s.starts_with(slug)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_escaped_text_and_one_featured_image_reused_by_the_next_post() {
    let Some(site) = site(false) else { return };
    let wp = wordpress(site);
    assert_eq!(
        wp.test_connection().await.unwrap(),
        "Cổng thông tin điện tử Phường"
    );
    let key = nonce("blob");
    let mut first = outgoing(&nonce("esc"));
    first.title =
        "Hỏi & đáp: thủ tục <1 ngày, \"nhanh\" 'gọn' 🎉 <img src=x onerror=alert(1)>".into();
    first.summary = "Giờ làm việc 7h30–17h <b>không</b> nghỉ trưa & thứ Bảy 😊".into();
    first.image = Some(image(&key, 1));
    let published = wp.publish(&first).await.unwrap();

    let post = rest(site, &format!("posts/{}&context=edit", published.remote_id)).await;
    // What a reader of the portal sees is the text Loa's preview showed, never markup.
    let title = post["title"]["rendered"].as_str().unwrap();
    assert!(!title.contains('<'), "title holds markup: {title}");
    assert_eq!(html_escape::decode_html_entities(title), first.title);
    let excerpt = post["excerpt"]["rendered"].as_str().unwrap().trim();
    let excerpt = excerpt.trim_start_matches("<p>").trim_end_matches("</p>");
    assert!(!excerpt.contains('<'), "excerpt holds markup: {excerpt}");
    assert_eq!(html_escape::decode_html_entities(excerpt), first.summary);
    assert!(
        post["content"]["rendered"]
            .as_str()
            .unwrap()
            .contains("<strong>Điện Biên</strong>")
    );

    // The image: uploaded once, attached to its post, with its alt text.
    let media_id = post["featured_media"].as_i64().unwrap();
    assert_eq!(published.media, Some(media_id.to_string()));
    let media = rest(site, &format!("media/{media_id}&context=edit")).await;
    assert_eq!(media["post"].as_i64(), post["id"].as_i64());
    assert_eq!(
        html_escape::decode_html_entities(media["alt_text"].as_str().unwrap()),
        "Người dân dự hội nghị <tiếp xúc> cử tri"
    );
    let media_slug = media["slug"].as_str().unwrap().to_string();
    assert!(media_slug.starts_with("loa-"), "{media_slug}");

    // The next post: with the id the store remembered, and with nothing remembered.
    let mut second = outgoing(&nonce("reuse"));
    second.image = Some(Image {
        remote_id: published.media.clone(),
        ..image(&key, 1)
    });
    let mut third = outgoing(&nonce("found"));
    third.image = Some(image(&key, 1));
    for out in [&second, &third] {
        let p = wp.publish(out).await.unwrap();
        assert_eq!(p.media, published.media);
        let post = rest(site, &format!("posts/{}&context=edit", p.remote_id)).await;
        assert_eq!(post["featured_media"].as_i64(), Some(media_id));
    }
    assert_eq!(
        media_like(site, &media_slug).await.len(),
        1,
        "one copy of the image"
    );
    // The copy stays attached to the post it was uploaded for.
    let media = rest(site, &format!("media/{media_id}&context=edit")).await;
    assert_eq!(media["post"].as_i64(), post["id"].as_i64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_is_found_by_lookup_and_extra_copies_go_to_the_trash() {
    let Some(site) = site(false) else { return };
    let proxy = Proxy::start(site.url.trim_start_matches("http://")).await;
    let wp = connector(site, &proxy.url, Duration::from_secs(20));
    let out = outgoing(&nonce("lost"));
    proxy.drop_next_creates(1);
    match wp.publish(&out).await {
        Err(Failure::Ambiguous { .. }) => {}
        other => panic!("expected Ambiguous, got {other:?}"),
    }
    let found = wp.find(&out, 0).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    // Sent again anyway (what reconciliation prevents): WordPress makes the slug unique, and
    // the lookup still finds both, oldest first.
    let again = wp.publish(&out).await.unwrap();
    let both = wp.find(&out, 0).await.unwrap();
    assert_eq!(both, vec![found[0].clone(), again.clone()]);
    let slug = &rest(site, &format!("posts/{}&context=edit", again.remote_id)).await["slug"];
    assert!(slug.as_str().unwrap().ends_with("-2"), "{slug}");
    wp.delete(&again.remote_id).await.unwrap();
    let trashed = rest(site, &format!("posts/{}&context=edit", again.remote_id)).await;
    assert_eq!(trashed["status"], "trash");
    assert_eq!(wp.find(&out, 0).await.unwrap(), found);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_saved_after_loa_gave_up_is_there_once_with_one_image() {
    let Some(site) = site(false) else { return };
    // WordPress holds the create 30 s before saving it; Loa gives up after 5 s.
    let wp = connector(site, &site.url, Duration::from_secs(5));
    let n = nonce("slow");
    std::fs::write(site.dir.join("wp-content/loa-delays").join(&n), "30").unwrap();
    let mut out = outgoing(&n);
    let key = nonce("slowblob");
    out.image = Some(image(&key, 2));
    let started = Instant::now();
    match wp.publish(&out).await {
        Err(Failure::Ambiguous { reason }) => assert!(reason.contains("timed out"), "{reason}"),
        other => panic!("expected Ambiguous, got {other:?}"),
    }
    // Nothing to find yet: the request is still on its way to the database.
    assert!(wp.find(&out, 0).await.unwrap().is_empty());
    let found = loop {
        let found = wp.find(&out, 0).await.unwrap();
        if !found.is_empty() || started.elapsed() > Duration::from_secs(60) {
            break found;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(started.elapsed() >= Duration::from_secs(29));
    let slug = rest(site, &format!("posts/{}&context=edit", found[0].remote_id)).await["slug"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(posts_like(site, &slug).await.len(), 1);
    let media = found[0].media.clone().expect("the featured image");
    let media = rest(site, &format!("media/{media}&context=edit")).await;
    let media_slug = media["slug"].as_str().unwrap();
    assert_eq!(media_like(site, media_slug).await.len(), 1, "one image");
    // The lookup attached the image the lost answer left unattached.
    assert_eq!(media["post"].as_i64(), found[0].remote_id.parse().ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_permalinks_site_is_reached_at_rest_route() {
    let Some(site) = site(true) else { return };
    // What the old fixed `/wp-json/` address got there: the front page, as HTML.
    let r = reqwest::Client::new()
        .get(format!("{}/wp-json/wp/v2/users/me", site.url))
        .basic_auth(&site.username, Some(&site.app_password))
        .send()
        .await
        .unwrap();
    let kind = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(kind.contains("text/html"), "{kind}");
    let wp = wordpress(site);
    assert_eq!(
        wp.test_connection().await.unwrap(),
        "Cổng thông tin điện tử Phường"
    );
    let mut out = outgoing(&nonce("plain"));
    out.image = Some(image(&nonce("plainblob"), 3));
    let published = wp.publish(&out).await.unwrap();
    assert!(published.media.is_some());
    assert_eq!(wp.find(&out, 0).await.unwrap(), vec![published]);
}
