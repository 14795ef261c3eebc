//! Contract tests: the WordPress connector against the WordPress simulator over HTTP.

use super::*;
use crate::connectors::classify::test_support::{client, closed_port_url, image, now_ms, outgoing};
use crate::sandbox::{Fault, Running, wordpress as sim};

fn localhost() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn creds(running: &Running, password: Option<&str>) -> Credentials {
    Credentials::Wordpress {
        base_url: running.account["base_url"].as_str().unwrap().into(),
        username: running.account["username"].as_str().unwrap().into(),
        app_password: password
            .unwrap_or(running.account["app_password"].as_str().unwrap())
            .into(),
    }
}

async fn setup() -> (Running, WordPress) {
    let running = sim::spawn(localhost()).await.unwrap();
    let wp = WordPress::new(client(), creds(&running, None));
    (running, wp)
}

/// The post as WordPress has it, read with the admin's credentials.
async fn read_post(running: &Running, id: &str) -> (u16, serde_json::Value) {
    let r = client()
        .get(format!(
            "{}/wp-json/wp/v2/posts/{id}?context=edit",
            running.base_url()
        ))
        .basic_auth("loa", Some("abcdefghijklmnopqrstuvwx"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[test]
fn slugs_are_deterministic_and_url_safe() {
    assert_eq!(slug("5F0c-9A1b"), "loa-5f0c-9a1b");
    assert_eq!(slug("Tin tức_2025/05 "), "loa-tin-t-c-2025-05");
    assert_eq!(slug("x"), slug("x"));
    assert!(slug(&"a".repeat(500)).len() <= 190);
}

#[tokio::test]
async fn test_connection_names_the_user_and_rejects_a_wrong_password() {
    let (running, wp) = setup().await;
    assert_eq!(
        wp.test_connection().await.unwrap(),
        "Cổng thông tin điện tử Phường"
    );
    let wrong = WordPress::new(client(), creds(&running, Some("zzzz zzzz zzzz")));
    match wrong.test_connection().await {
        Err(Failure::NeedsReauth { reason }) => assert!(reason.contains("incorrect_password")),
        other => panic!("expected NeedsReauth, got {other:?}"),
    }
}

#[tokio::test]
async fn publishes_text_with_a_deterministic_slug_and_html_content() {
    let (running, wp) = setup().await;
    let out = outgoing("a1b2c3", "Phường **Điện Biên** tổ chức hội nghị.");
    let published = wp.publish(&out).await.unwrap();
    assert_eq!(
        published.url.as_deref(),
        Some(format!("{}/loa-a1b2c3/", running.base_url()).as_str())
    );
    let (status, post) = read_post(&running, &published.remote_id).await;
    assert_eq!(status, 200);
    assert_eq!(post["slug"], "loa-a1b2c3");
    assert_eq!(post["status"], "publish");
    assert_eq!(post["title"]["raw"], "Tiêu đề a1b2c3");
    assert_eq!(post["excerpt"]["raw"], "Tóm tắt ngắn gọn");
    assert_eq!(post["featured_media"], 0);
    let html = post["content"]["raw"].as_str().unwrap();
    assert!(
        html.contains("<strong>Điện Biên</strong>"),
        "content is HTML: {html}"
    );
    // find reads it back by slug.
    assert_eq!(wp.find(&out, now_ms()).await.unwrap(), vec![published]);
    let stats = running.sim.stats();
    assert_eq!((stats.created, stats.duplicates), (1, 0));
}

#[tokio::test]
async fn publishes_with_an_uploaded_featured_image_and_alt_text() {
    let (running, wp) = setup().await;
    let mut out = outgoing("img1", "Ảnh hội nghị.");
    out.image = Some(image());
    let published = wp.publish(&out).await.unwrap();
    let (_, post) = read_post(&running, &published.remote_id).await;
    let media_id = post["featured_media"].as_i64().unwrap();
    assert!(media_id > 0);
    let media: serde_json::Value = client()
        .get(format!(
            "{}/wp-json/wp/v2/media/{media_id}",
            running.base_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(media["mime_type"], "image/png");
    assert_eq!(media["alt_text"], "Người dân dự hội nghị tiếp xúc cử tri");
    assert_eq!(
        media["media_details"]["filesize"].as_u64(),
        Some(image().bytes.len() as u64)
    );
    // The file name went through Content-Disposition as plain ASCII.
    assert!(
        media["source_url"]
            .as_str()
            .unwrap()
            .ends_with("/h-i-ngh--2025.png")
    );
}

#[tokio::test]
async fn commit_then_fail_is_ambiguous_and_find_recovers_the_post() {
    let (running, wp) = setup().await;
    let out = outgoing("ctf1", "Nội dung.");
    running.sim.force_next(Fault::CommitThenFail);
    match wp.publish(&out).await {
        Err(Failure::Ambiguous { reason }) => assert!(reason.contains("504"), "{reason}"),
        other => panic!("expected Ambiguous, got {other:?}"),
    }
    let found = wp
        .find(&out, now_ms() - 60_000)
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    let (_, post) = read_post(&running, &found.remote_id).await;
    assert_eq!(post["slug"], "loa-ctf1");
    let stats = running.sim.stats();
    assert_eq!((stats.created, stats.duplicates), (1, 0));
}

#[tokio::test]
async fn a_hanging_answer_times_out_as_ambiguous_and_find_recovers_it() {
    let (running, wp) = setup().await;
    let out = outgoing("hang1", "Nội dung.");
    running.sim.force_next(Fault::CommitThenHang);
    assert!(matches!(
        wp.publish(&out).await,
        Err(Failure::Ambiguous { .. })
    ));
    assert!(!wp.find(&out, 0).await.unwrap().is_empty());
    assert_eq!(running.sim.stats().duplicates, 0);
}

#[tokio::test]
async fn a_second_create_of_the_same_slug_is_suffixed_and_counted_as_a_duplicate() {
    // What reconciliation prevents: the simulator makes the duplicate visible.
    let (running, wp) = setup().await;
    let out = outgoing("dup1", "Nội dung.");
    let first = wp.publish(&out).await.unwrap();
    let second = wp.publish(&out).await.unwrap();
    assert!(second.url.unwrap().ends_with("/loa-dup1-2/"));
    assert_eq!(running.sim.stats().duplicates, 1);
    // find matches the exact slug: the original.
    assert_eq!(wp.find(&out, 0).await.unwrap(), vec![first]);
}

#[tokio::test]
async fn error_classes_follow_the_contract() {
    let (running, wp) = setup().await;
    let out = outgoing("err1", "Nội dung.");

    running.sim.force_next(Fault::RateLimited);
    assert_eq!(
        wp.publish(&out).await.map_err(|f| match f {
            Failure::Retryable { after, .. } => after,
            other => panic!("expected Retryable, got {other:?}"),
        }),
        Err(Some(std::time::Duration::from_secs(1)))
    );

    running.sim.force_next(Fault::ExpiredToken);
    assert!(matches!(
        wp.publish(&out).await,
        Err(Failure::NeedsReauth { .. })
    ));

    running.sim.force_next(Fault::ServerError);
    match wp.publish(&out).await {
        Err(Failure::Ambiguous { reason }) => {
            assert!(reason.contains("internal_server_error"), "{reason}")
        }
        other => panic!("expected Ambiguous, got {other:?}"),
    }
    // The same answer to a read is safe to retry.
    running.sim.force_next(Fault::ServerError);
    assert!(matches!(
        wp.find(&out, 0).await,
        Err(Failure::Retryable { .. })
    ));
    // An ambiguous image upload created no post: retryable.
    let mut with_image = out.clone();
    with_image.image = Some(image());
    running.sim.force_next(Fault::CommitThenFail);
    assert!(matches!(
        wp.publish(&with_image).await,
        Err(Failure::Retryable { .. })
    ));

    // Validation: WordPress refuses a post with nothing in it.
    let empty = Outgoing {
        title: String::new(),
        summary: String::new(),
        body: String::new(),
        ..out.clone()
    };
    match wp.publish(&empty).await {
        Err(Failure::Permanent { reason }) => assert!(reason.contains("empty_content")),
        other => panic!("expected Permanent, got {other:?}"),
    }
    // Unknown post: 404 rest_post_invalid_id.
    match wp.delete("999999").await {
        Err(Failure::Permanent { reason }) => assert!(reason.contains("rest_post_invalid_id")),
        other => panic!("expected Permanent, got {other:?}"),
    }
    assert!(matches!(
        wp.metrics("../users").await,
        Err(Failure::Permanent { .. })
    ));
    // None of the failed attempts created anything.
    assert_eq!(running.sim.stats().created, 0);
}

#[tokio::test]
async fn a_user_without_the_capability_is_refused_permanently() {
    let running = sim::spawn_with(
        localhost(),
        sim::Options {
            can_publish: false,
            ..sim::Options::default()
        },
    )
    .await
    .unwrap();
    let wp = WordPress::new(client(), creds(&running, None));
    match wp.publish(&outgoing("cap1", "x")).await {
        Err(Failure::Permanent { reason }) => assert!(reason.contains("rest_cannot_create")),
        other => panic!("expected Permanent, got {other:?}"),
    }
}

#[tokio::test]
async fn a_closed_port_is_retryable() {
    let wp = WordPress::new(
        client(),
        Credentials::Wordpress {
            base_url: closed_port_url().await,
            username: "loa".into(),
            app_password: "x".into(),
        },
    );
    assert!(matches!(
        wp.publish(&outgoing("closed", "x")).await,
        Err(Failure::Retryable { .. })
    ));
}

#[tokio::test]
async fn metrics_read_the_comment_total_and_delete_removes_the_post() {
    let (running, wp) = setup().await;
    let out = outgoing("m1", "Nội dung.");
    let published = wp.publish(&out).await.unwrap();
    assert_eq!(
        wp.metrics(&published.remote_id).await.unwrap(),
        Metrics {
            comments: Some(0),
            ..Metrics::default()
        }
    );
    client()
        .post(format!("{}/_sim/engagement", running.base_url()))
        .json(&serde_json::json!({"post": published.remote_id.parse::<i64>().unwrap(), "comments": 7}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let metrics = wp.metrics(&published.remote_id).await.unwrap();
    assert_eq!(metrics.comments, Some(7));
    assert_eq!(metrics.views, None);

    wp.delete(&published.remote_id).await.unwrap();
    assert_eq!(read_post(&running, &published.remote_id).await.0, 404);
    assert!(wp.find(&out, 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_simulator_lists_with_totals_and_bounds_per_page() {
    let (running, wp) = setup().await;
    for n in 0..3 {
        wp.publish(&outgoing(&format!("list{n}"), "x"))
            .await
            .unwrap();
    }
    let http = client();
    let r = http
        .get(format!(
            "{}/wp-json/wp/v2/posts?per_page=2",
            running.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-wp-total"], "3");
    assert_eq!(r.headers()["x-wp-totalpages"], "2");
    assert_eq!(r.json::<Vec<serde_json::Value>>().await.unwrap().len(), 2);
    let r = http
        .get(format!(
            "{}/wp-json/wp/v2/posts?per_page=101",
            running.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "rest_invalid_param");
    // Drafts are not for anonymous readers.
    let r = http
        .get(format!(
            "{}/wp-json/wp/v2/posts?status=draft",
            running.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}
