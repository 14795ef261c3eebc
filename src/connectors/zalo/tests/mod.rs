//! Contract tests: the Zalo connector against the Zalo simulator over real HTTP.

mod oauth;

use std::time::Duration;

use super::{Polling, Zalo};
use crate::connectors::{Connector, Credentials, Failure, Image, Outgoing, http_client};
use crate::sandbox::{Fault, Running, zalo as sim};

fn fast() -> Polling {
    Polling {
        attempts: 8,
        first: Duration::from_millis(20),
        max: Duration::from_millis(80),
    }
}

fn options(processing_ms: u64) -> sim::Options {
    sim::Options {
        processing: Duration::from_millis(processing_ms),
        ..sim::Options::default()
    }
}

fn connector(creds: Credentials) -> Zalo {
    Zalo::new(http_client(Duration::from_secs(1)), creds).with_polling(fast())
}

async fn start(options: sim::Options) -> (Running, Zalo) {
    let running = sim::spawn_with("127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    let creds: Credentials = serde_json::from_value(running.account.clone()).unwrap();
    (running, connector(creds))
}

fn post(title: &str) -> Outgoing {
    Outgoing {
        nonce: format!("nonce-{title}"),
        title: title.to_string(),
        summary: "Người dân góp ý về dịch vụ công".into(),
        body: "Phường tổ chức đối thoại.\n\nChi tiết: https://hanoi.gov.vn/papi".into(),
        link: None,
        hashtags: vec![],
        image: Some(Image {
            key: "blob-test".into(),
            remote_id: None,
            bytes: vec![1, 2, 3],
            mime: "image/jpeg".into(),
            file_name: "cover.jpg".into(),
            // A space and Vietnamese letters: Zalo takes the URL only percent-encoded.
            public_url: Some("https://cdn.example.vn/media/ảnh bìa.jpg".into()),
            alt: "Ảnh bìa".into(),
        }),
    }
}

fn with_cover(mut out: Outgoing, url: &str) -> Outgoing {
    if let Some(image) = out.image.as_mut() {
        image.public_url = Some(url.to_string());
    }
    out
}

async fn control(running: &Running, path: &str) {
    reqwest::Client::new()
        .post(format!("{}{path}", running.base_url()))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

#[tokio::test]
async fn publish_polls_verify_until_processed_then_find_and_metrics_see_it() {
    let (running, zalo) = start(options(150)).await;
    assert_eq!(zalo.test_connection().await.unwrap(), sim::OA_NAME);
    let out = post("Hội nghị đối thoại PAPI 2025");
    let published = zalo.publish(&out).await.unwrap();
    assert!(!published.remote_id.is_empty());
    let stats = running.sim.stats();
    assert_eq!((stats.created, stats.duplicates), (1, 0));
    // create, then verify answered -214 at least once before the id.
    assert!(stats.calls >= 3, "verify polled {} times", stats.calls - 1);

    let found = zalo
        .find(&out, 0)
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    assert_eq!(found.remote_id, published.remote_id);
    assert!(zalo.find(&post("Bài khác"), 0).await.unwrap().is_empty());

    let first = zalo.metrics(&published.remote_id).await.unwrap();
    let second = zalo.metrics(&published.remote_id).await.unwrap();
    assert_eq!((first.views, first.shares), (Some(1), Some(0)));
    assert_eq!(second.views, Some(2));
    assert_eq!(first.reactions, None);

    zalo.delete(&published.remote_id).await.unwrap();
    assert!(zalo.find(&out, 0).await.unwrap().is_empty());
    assert!(matches!(
        zalo.delete(&published.remote_id).await,
        Err(Failure::Permanent { .. })
    ));
}

#[tokio::test]
async fn an_article_without_a_cover_is_permanent_before_any_call() {
    let (running, zalo) = start(options(0)).await;
    let mut out = post("Không có ảnh");
    out.image = None;
    let err = zalo.publish(&out).await.unwrap_err();
    assert!(matches!(err, Failure::Permanent { .. }), "{err:?}");
    assert!(err.reason().contains("cover"));
    assert_eq!(running.sim.stats().calls, 0);
}

#[tokio::test]
async fn a_cover_zalo_cannot_fetch_fails_at_verify_as_permanent() {
    let (running, zalo) = start(options(0)).await;
    let out = with_cover(post("Ảnh quá lớn"), "https://cdn.example.vn/fail-cover.jpg");
    let err = zalo.publish(&out).await.unwrap_err();
    assert!(matches!(err, Failure::Permanent { .. }), "{err:?}");
    assert!(err.reason().contains("-200"), "{}", err.reason());
    assert_eq!(running.sim.stats().created, 0);
    assert!(zalo.find(&out, 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn validation_errors_are_permanent() {
    let (_running, zalo) = start(options(0)).await;
    let err = zalo.publish(&post("   ")).await.unwrap_err();
    assert!(matches!(err, Failure::Permanent { .. }), "{err:?}");
    assert!(err.reason().contains("-201"), "{}", err.reason());
}

#[tokio::test]
async fn injected_faults_map_to_their_classes() {
    let (running, zalo) = start(options(0)).await;
    let out = post("Lỗi giả lập");

    running.sim.force_next(Fault::RateLimited);
    match zalo.publish(&out).await {
        Err(Failure::Retryable { reason, after }) => {
            assert!(reason.contains("-32"), "{reason}");
            assert_eq!(after, Some(Duration::from_secs(60)));
        }
        other => panic!("{other:?}"),
    }

    running.sim.force_next(Fault::ExpiredToken);
    assert!(matches!(
        zalo.publish(&out).await,
        Err(Failure::TokenExpired { .. })
    ));

    // A 500 on create: Zalo may or may not have stored it.
    running.sim.force_next(Fault::ServerError);
    assert!(matches!(
        zalo.publish(&out).await,
        Err(Failure::Ambiguous { .. })
    ));
    // A 500 on a read changed nothing.
    running.sim.force_next(Fault::ServerError);
    assert!(matches!(
        zalo.find(&out, 0).await,
        Err(Failure::Retryable { .. })
    ));

    assert_eq!(running.sim.stats().created, 0);
    running.sim.force_next(Fault::Slow);
    let err = zalo.publish(&out).await.unwrap_err();
    assert!(matches!(err, Failure::Ambiguous { .. }), "{err:?}");
}

#[tokio::test]
async fn commit_then_fail_is_ambiguous_and_find_recovers_it_without_a_duplicate() {
    let (running, zalo) = start(options(0)).await;
    let out = post("Lịch tiếp công dân tháng 11");
    running.sim.force_next(Fault::CommitThenFail);
    let err = zalo.publish(&out).await.unwrap_err();
    assert!(matches!(err, Failure::Ambiguous { .. }), "{err:?}");
    let found = zalo.find(&out, 0).await.unwrap();
    assert!(!found.is_empty());
    let stats = running.sim.stats();
    assert_eq!((stats.created, stats.duplicates), (1, 0));
}

#[tokio::test]
async fn commit_then_hang_times_out_as_ambiguous_and_is_found() {
    let (running, zalo) = start(options(0)).await;
    let out = post("Treo sau khi lưu");
    running.sim.force_next(Fault::CommitThenHang);
    let err = zalo.publish(&out).await.unwrap_err();
    assert!(matches!(err, Failure::Ambiguous { .. }), "{err:?}");
    assert!(!zalo.find(&out, 0).await.unwrap().is_empty());
    assert_eq!(running.sim.stats().duplicates, 0);
}

#[tokio::test]
async fn processing_longer_than_the_polling_is_ambiguous_and_find_recovers_it() {
    let (running, zalo) = start(options(5_000)).await;
    let zalo = zalo.with_polling(Polling {
        attempts: 3,
        first: Duration::from_millis(10),
        max: Duration::from_millis(20),
    });
    let out = post("Đang xử lý lâu");
    let err = zalo.publish(&out).await.unwrap_err();
    assert!(matches!(err, Failure::Ambiguous { .. }), "{err:?}");
    assert!(err.reason().contains("-214"), "{}", err.reason());
    assert!(!zalo.find(&out, 0).await.unwrap().is_empty());
    assert_eq!(running.sim.stats().duplicates, 0);
}

#[tokio::test]
async fn expired_token_refreshes_and_the_spent_refresh_token_needs_reauth() {
    let (running, zalo) = start(options(0)).await;
    control(&running, "/_sim/zalo/expire").await;
    match zalo.test_connection().await {
        Err(Failure::TokenExpired { reason }) => assert!(reason.contains("-220"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        zalo.publish(&post("Sau khi hết hạn")).await,
        Err(Failure::TokenExpired { .. })
    ));

    let before = crate::clock::now_ms();
    let fresh = zalo.refresh().await.unwrap();
    let Credentials::Zalo {
        access_token,
        refresh_token,
        ..
    } = serde_json::from_value(running.account.clone()).unwrap()
    else {
        panic!("not Zalo credentials");
    };
    assert_ne!(fresh.access_token, access_token);
    assert_ne!(fresh.refresh_token, refresh_token);
    // `expires_in` comes as the string "90000"; 25 h here.
    let lifetime = fresh.expires_at - before;
    assert!((25 * 3600 * 1000 - 5_000..=25 * 3600 * 1000 + 5_000).contains(&lifetime));

    let mut account = running.account.clone();
    account["access_token"] = fresh.access_token.clone().into();
    account["refresh_token"] = fresh.refresh_token.clone().into();
    let renewed = connector(serde_json::from_value(account).unwrap());
    assert_eq!(renewed.test_connection().await.unwrap(), sim::OA_NAME);
    assert!(renewed.publish(&post("Sau khi làm mới")).await.is_ok());

    // The old refresh token was single-use.
    match zalo.refresh().await {
        Err(Failure::NeedsReauth { reason }) => assert!(reason.contains("-14014"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // The new one still works, once.
    assert!(renewed.refresh().await.is_ok());
    assert!(matches!(
        renewed.refresh().await,
        Err(Failure::NeedsReauth { .. })
    ));
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime() {
    let (_running, zalo) = start(sim::Options {
        token_lifetime: Duration::from_millis(300),
        processing: Duration::ZERO,
    })
    .await;
    assert!(zalo.test_connection().await.is_ok());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(matches!(
        zalo.test_connection().await,
        Err(Failure::TokenExpired { .. })
    ));
}

#[tokio::test]
async fn an_unknown_token_is_token_expired() {
    let (running, _) = start(options(0)).await;
    let mut account = running.account.clone();
    account["access_token"] = "stolen".into();
    let zalo = connector(serde_json::from_value(account).unwrap());
    match zalo.test_connection().await {
        Err(Failure::TokenExpired { reason }) => assert!(reason.contains("-216"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn getslice_serves_at_most_ten_and_find_pages_through() {
    let (running, zalo) = start(options(0)).await;
    let Credentials::Zalo { access_token, .. } =
        serde_json::from_value(running.account.clone()).unwrap()
    else {
        panic!("not Zalo credentials");
    };
    let slice = |limit: u32| {
        reqwest::Client::new()
            .get(format!(
                "{}/v2.0/article/getslice?offset=0&limit={limit}&type=normal",
                running.base_url()
            ))
            .header("access_token", access_token.clone())
            .send()
    };
    let over: serde_json::Value = slice(11).await.unwrap().json().await.unwrap();
    assert_eq!(over["error"], -201);
    assert_eq!(over["message"], "maximum limit is 10");

    for i in 0..12 {
        zalo.publish(&post(&format!("Bài số {i}"))).await.unwrap();
    }
    let page: serde_json::Value = slice(10).await.unwrap().json().await.unwrap();
    assert_eq!(page["data"]["medias"].as_array().unwrap().len(), 10);
    // The oldest article is on the second page.
    assert!(!zalo.find(&post("Bài số 0"), 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let zalo = connector(Credentials::Zalo {
        api_base: base.clone(),
        oauth_base: base,
        app_id: "app".into(),
        secret_key: "secret".into(),
        access_token: "token".into(),
        refresh_token: "refresh".into(),
        expires_at: 0,
    });
    for result in [
        zalo.publish(&post("Không kết nối")).await.map(|_| ()),
        zalo.refresh().await.map(|_| ()),
    ] {
        assert!(
            matches!(result, Err(Failure::Retryable { .. })),
            "{result:?}"
        );
    }
}
