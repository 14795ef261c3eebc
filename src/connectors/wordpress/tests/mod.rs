//! Contract tests: the WordPress connector against the WordPress simulator over HTTP
//! (`roots.rs`: API discovery and answers that are not the API; `media.rs`: featured images).

mod media;
mod roots;

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
    setup_with(sim::Options::default()).await
}

async fn setup_with(opts: sim::Options) -> (Running, WordPress) {
    let running = sim::spawn_with(localhost(), opts).await.unwrap();
    let wp = WordPress::new(client(), creds(&running, None));
    (running, wp)
}

/// The simulator's own answer at `/wp-json/wp/v2/{route}`, read with the admin's credentials.
async fn read(running: &Running, route: &str) -> (u16, serde_json::Value) {
    let r = client()
        .get(format!("{}/wp-json/wp/v2/{route}", running.base_url()))
        .basic_auth("loa", Some("abcdefghijklmnopqrstuvwx"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// The post as WordPress has it.
async fn read_post(running: &Running, id: &str) -> (u16, serde_json::Value) {
    read(running, &format!("posts/{id}?context=edit")).await
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
async fn publishes_text_with_a_findable_slug_and_html_content() {
    let (running, wp) = setup().await;
    let out = outgoing("a1b2c3", "Phường **Điện Biên** tổ chức hội nghị.");
    let published = wp.publish(&out).await.unwrap();
    assert_eq!(
        published.url.as_deref(),
        Some(format!("{}/tieu-de-a1b2c3-a1b2c3/", running.base_url()).as_str())
    );
    let (status, post) = read_post(&running, &published.remote_id).await;
    assert_eq!(status, 200);
    assert_eq!(post["slug"], "tieu-de-a1b2c3-a1b2c3");
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
async fn titles_and_excerpts_read_back_as_the_text_loa_sent() {
    let (running, wp) = setup().await;
    let mut out = outgoing("esc1", "Nội dung.");
    out.title =
        "Hỏi & đáp: thủ tục <1 ngày, \"nhanh\" 'gọn' 🎉 <img src=x onerror=alert(1)>".into();
    out.summary = "Giờ làm việc 7h30–17h <b>không</b> nghỉ trưa & thứ Bảy 😊".into();
    let published = wp.publish(&out).await.unwrap();
    let (_, post) = read_post(&running, &published.remote_id).await;
    // WordPress prints these fields as HTML: what a reader sees is the decoded text.
    let title = post["title"]["rendered"].as_str().unwrap();
    assert!(!title.contains('<'), "title holds markup: {title}");
    assert_eq!(html_escape::decode_html_entities(title), out.title);
    let excerpt = post["excerpt"]["rendered"].as_str().unwrap();
    let inner = excerpt
        .trim()
        .trim_start_matches("<p>")
        .trim_end_matches("</p>");
    assert!(!inner.contains('<'), "excerpt holds markup: {excerpt}");
    assert_eq!(html_escape::decode_html_entities(inner), out.summary);
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
    let found = wp.find(&out, now_ms() - 60_000).await.unwrap();
    assert_eq!(found.len(), 1);
    let (_, post) = read_post(&running, &found[0].remote_id).await;
    assert_eq!(post["slug"], "tieu-de-ctf1-ctf1");
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
    assert_eq!(wp.find(&out, 0).await.unwrap().len(), 1);
    assert_eq!(running.sim.stats().duplicates, 0);
}

#[tokio::test]
async fn find_returns_every_copy_whatever_slug_wordpress_gave_it_oldest_first() {
    // What a slow WordPress makes of a request Loa gave up on and sent again: `slug-2`, `-3`.
    let (running, wp) = setup().await;
    let out = outgoing("dup1", "Nội dung.");
    let first = wp.publish(&out).await.unwrap();
    let second = wp.publish(&out).await.unwrap();
    let third = wp.publish(&out).await.unwrap();
    assert!(
        second
            .url
            .as_deref()
            .unwrap()
            .ends_with("/tieu-de-dup1-dup1-2/")
    );
    assert!(
        third
            .url
            .as_deref()
            .unwrap()
            .ends_with("/tieu-de-dup1-dup1-3/")
    );
    assert_eq!(running.sim.stats().duplicates, 2);
    assert_eq!(
        wp.find(&out, 0).await.unwrap(),
        vec![first.clone(), second.clone(), third.clone()]
    );
    // Reconciliation trashes the extras; a trashed copy is not found again.
    wp.delete(&third.remote_id).await.unwrap();
    wp.delete(&third.remote_id).await.unwrap();
    wp.delete(&second.remote_id).await.unwrap();
    assert_eq!(
        read_post(&running, &third.remote_id).await.1["status"],
        "trash"
    );
    assert_eq!(wp.find(&out, 0).await.unwrap(), vec![first]);
    // Another delivery's post, even with a similar title, is never one of them.
    let other = outgoing("dup12", "Nội dung.");
    wp.publish(&other).await.unwrap();
    assert_eq!(wp.find(&out, 0).await.unwrap().len(), 1);
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
    // An ambiguous image upload (after the library was searched) created no post: retryable.
    let mut with_image = out.clone();
    with_image.image = Some(image());
    running.sim.force_after(1, Fault::CommitThenFail);
    match wp.publish(&with_image).await {
        Err(Failure::Retryable { reason, .. }) => {
            assert!(reason.contains("image only"), "{reason}")
        }
        other => panic!("expected Retryable, got {other:?}"),
    }

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
    // None of the failed attempts created a post.
    assert_eq!(running.sim.stats().created, 0);
}

#[tokio::test]
async fn a_user_without_the_capability_is_refused_permanently() {
    let (_running, wp) = setup_with(sim::Options {
        can_publish: false,
        ..sim::Options::default()
    })
    .await;
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
async fn metrics_read_the_comment_total_and_delete_trashes_the_post() {
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
    assert_eq!(
        read_post(&running, &published.remote_id).await.1["status"],
        "trash"
    );
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
