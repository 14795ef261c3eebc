//! Contract tests: the Mastodon connector against the Mastodon simulator over real HTTP.

use std::time::Duration;

use super::Mastodon;
use crate::connectors::{Connector, Credentials, Failure, Image, Outgoing, http_client};
use crate::sandbox::{Fault, Running, mastodon as sim};

async fn start(options: sim::Options) -> (Running, Mastodon) {
    let running = sim::spawn_with("127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    let creds: Credentials = serde_json::from_value(running.account.clone()).unwrap();
    (running, connector(creds))
}

fn connector(creds: Credentials) -> Mastodon {
    Mastodon::new(http_client(Duration::from_secs(1)), creds)
}

/// Two paragraphs, a long link and hashtags: Mastodon renders all of them as markup.
fn post(nonce: &str, lead: &str) -> Outgoing {
    Outgoing {
        nonce: nonce.to_string(),
        title: String::new(),
        summary: String::new(),
        body: format!(
            "{lead}\n\nXem chi tiết: https://hanoi.gov.vn/tin-tuc/papi-2025/doi-thoai-nguoi-dan\n\n#PAPI #HàNội"
        ),
        link: None,
        hashtags: vec![],
        image: None,
    }
}

fn with_image(mut out: Outgoing) -> Outgoing {
    out.image = Some(Image {
        key: "blob-test".into(),
        remote_id: None,
        bytes: vec![0x89, b'P', b'N', b'G', 1, 2, 3],
        mime: "image/png".into(),
        file_name: "anh.png".into(),
        public_url: None,
        alt: "Người dân tại buổi đối thoại".into(),
    });
    out
}

async fn raw_status(running: &Running, id: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("{}/api/v1/statuses/{id}", running.base_url()))
        .bearer_auth(sim::ACCESS_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn publishes_text_and_image_reads_metrics_and_deletes() {
    let (running, mastodon) = start(sim::Options::default()).await;
    assert_eq!(
        mastodon.test_connection().await.unwrap(),
        format!("@{}", sim::USERNAME)
    );
    let text = mastodon.publish(&post("n-1", "Đối thoại")).await.unwrap();
    assert!(text.url.as_deref().unwrap().ends_with(&format!(
        "/@{}/{}",
        sim::USERNAME,
        text.remote_id
    )));
    let status = raw_status(&running, &text.remote_id).await;
    assert_eq!(status["visibility"], "public");
    assert_eq!(status["language"], "vi");

    let photo = mastodon
        .publish(&with_image(post("n-2", "Có ảnh")))
        .await
        .unwrap();
    let status = raw_status(&running, &photo.remote_id).await;
    let media = status["media_attachments"].as_array().unwrap();
    assert_eq!(media.len(), 1);
    assert_eq!(media[0]["description"], "Người dân tại buổi đối thoại");

    let metrics = mastodon.metrics(&text.remote_id).await.unwrap();
    assert_eq!(
        (metrics.shares, metrics.reactions, metrics.comments),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(metrics.views, None);

    mastodon.delete(&text.remote_id).await.unwrap();
    mastodon.delete(&text.remote_id).await.unwrap();
    assert!(matches!(
        mastodon.metrics(&text.remote_id).await,
        Err(Failure::Permanent { .. })
    ));
    let stats = running.sim.stats();
    assert_eq!((stats.created, stats.duplicates), (2, 0));
}

#[tokio::test]
async fn the_same_idempotency_key_twice_makes_one_status() {
    let (running, mastodon) = start(sim::Options::default()).await;
    let out = post("delivery-42", "Một lần thôi");
    let first = mastodon.publish(&out).await.unwrap();
    let second = mastodon.publish(&out).await.unwrap();
    assert_eq!(first, second);
    let stats = running.sim.stats();
    assert_eq!((stats.created, stats.duplicates), (1, 0));

    // Without a key, the same text is a second status, and the simulator counts it.
    for _ in 0..2 {
        let answer = reqwest::Client::new()
            .post(format!("{}/api/v1/statuses", running.base_url()))
            .bearer_auth(sim::ACCESS_TOKEN)
            .form(&[("status", "Không có khoá")])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }
    assert_eq!(running.sim.stats().duplicates, 1);
}

#[tokio::test]
async fn commit_then_fail_is_ambiguous_and_find_recovers_it_without_a_duplicate() {
    let (running, mastodon) = start(sim::Options::default()).await;
    mastodon
        .publish(&post("other", "Bài cũ hơn"))
        .await
        .unwrap();
    let out = post("n-7", "Lịch tiếp dân\ntháng 11 <UBND> & MTTQ");
    let since = crate::clock::now_ms();
    running.sim.force_next(Fault::CommitThenFail);
    let err = mastodon.publish(&out).await.unwrap_err();
    assert!(matches!(err, Failure::Ambiguous { .. }), "{err:?}");

    let found = mastodon
        .find(&out, since)
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    // Retrying with the same key within the hour also answers the original.
    assert_eq!(mastodon.publish(&out).await.unwrap(), found);
    let stats = running.sim.stats();
    assert_eq!((stats.created, stats.duplicates), (2, 0));
    assert!(
        mastodon
            .find(&post("n-8", "Chưa từng đăng"), since)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn commit_then_hang_times_out_as_ambiguous_and_is_found() {
    let (running, mastodon) = start(sim::Options::default()).await;
    // A slow upload (2 s) times out: nothing was attached, so it is safe to retry.
    running.sim.force_next(Fault::Slow);
    assert!(matches!(
        mastodon.publish(&with_image(post("n-9", "Ảnh chậm"))).await,
        Err(Failure::Retryable { .. })
    ));
    let text = post("n-10", "Treo sau khi lưu");
    running.sim.force_next(Fault::CommitThenHang);
    assert!(matches!(
        mastodon.publish(&text).await,
        Err(Failure::Ambiguous { .. })
    ));
    assert!(!mastodon.find(&text, 0).await.unwrap().is_empty());
    assert_eq!(running.sim.stats().duplicates, 0);
}

#[tokio::test]
async fn errors_map_to_their_classes() {
    let (running, mastodon) = start(sim::Options::default()).await;
    let out = post("n-e", "Lỗi");

    running.sim.force_next(Fault::RateLimited);
    match mastodon.publish(&out).await {
        Err(Failure::Retryable { reason, after }) => {
            assert!(reason.contains("429"), "{reason}");
            assert!(after.unwrap() <= Duration::from_secs(300), "{after:?}");
        }
        other => panic!("{other:?}"),
    }
    running.sim.force_next(Fault::ExpiredToken);
    assert!(matches!(
        mastodon.publish(&out).await,
        Err(Failure::NeedsReauth { .. })
    ));
    running.sim.force_next(Fault::ServerError);
    assert!(matches!(
        mastodon.publish(&out).await,
        Err(Failure::Ambiguous { .. })
    ));
    running.sim.force_next(Fault::ServerError);
    assert!(matches!(
        mastodon.metrics("1").await,
        Err(Failure::Retryable { .. })
    ));

    let long = Outgoing {
        body: "chữ ".repeat(126),
        ..out.clone()
    };
    match mastodon.publish(&long).await {
        Err(Failure::Permanent { reason }) => assert!(reason.contains("422"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // A long URL counts as 23: 470 letters and one 100-character link fit in 500.
    let fits = Outgoing {
        body: format!(
            "{} https://hanoi.gov.vn/{}",
            "a".repeat(470),
            "b".repeat(80)
        ),
        ..out.clone()
    };
    assert!(mastodon.publish(&fits).await.is_ok());

    let mut account = running.account.clone();
    account["access_token"] = "revoked".into();
    let revoked = connector(serde_json::from_value(account).unwrap());
    assert!(matches!(
        revoked.test_connection().await,
        Err(Failure::NeedsReauth { .. })
    ));
    assert_eq!(running.sim.stats().created, 1);
}

#[tokio::test]
async fn over_the_rate_limit_is_retryable_until_the_window_resets() {
    let (running, mastodon) = start(sim::Options {
        rate_limit: 3,
        ..sim::Options::default()
    })
    .await;
    for _ in 0..3 {
        mastodon.test_connection().await.unwrap();
    }
    match mastodon.publish(&post("n-r", "Quá giới hạn")).await {
        Err(Failure::Retryable {
            after: Some(after), ..
        }) => assert!(after <= Duration::from_secs(300), "{after:?}"),
        other => panic!("{other:?}"),
    }
    // The simulator's 429 is Mastodon's: headers, no Retry-After.
    let answer = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/accounts/verify_credentials",
            running.base_url()
        ))
        .bearer_auth(sim::ACCESS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 429);
    assert!(answer.headers().get("retry-after").is_none());
    assert_eq!(answer.headers()["x-ratelimit-remaining"], "0");
    let reset = answer.headers()["x-ratelimit-reset"].to_str().unwrap();
    assert_eq!(reset.len(), "2025-11-25T10:05:00.000000Z".len(), "{reset}");
    assert_eq!(running.sim.stats().created, 0);
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mastodon = connector(Credentials::Mastodon {
        base_url: base,
        access_token: "t".into(),
    });
    for result in [
        mastodon.publish(&post("n", "x")).await.map(|_| ()),
        mastodon.find(&post("n", "x"), 0).await.map(|_| ()),
    ] {
        assert!(
            matches!(result, Err(Failure::Retryable { .. })),
            "{result:?}"
        );
    }
}

#[tokio::test]
async fn an_upload_still_processing_is_awaited_before_the_status() {
    let (running, mastodon) = start(sim::Options::default()).await;
    let mut out = with_image(post("n-v", "Video"));
    if let Some(image) = out.image.as_mut() {
        image.mime = "video/mp4".into();
        image.file_name = "clip.mp4".into();
    }
    // The simulator answers 202 for anything but an image; the connector waits for 200.
    let published = mastodon.publish(&out).await.unwrap();
    let status = raw_status(&running, &published.remote_id).await;
    assert_eq!(status["media_attachments"].as_array().unwrap().len(), 1);
}
