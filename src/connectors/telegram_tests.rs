//! Contract tests: the Telegram connector against the Telegram simulator over real HTTP.

use std::time::Duration;

use super::Telegram;
use crate::connectors::{Connector, Credentials, Failure, Image, Outgoing, http_client};
use crate::sandbox::{Fault, Running, telegram as sim};

/// No per-chat pacing, so a test can send several messages in a row.
fn unpaced() -> sim::Options {
    sim::Options {
        per_chat_interval: Duration::ZERO,
    }
}

async fn start(options: sim::Options) -> (Running, Telegram) {
    let running = sim::spawn_with("127.0.0.1:0".parse().unwrap(), options)
        .await
        .unwrap();
    let creds: Credentials = serde_json::from_value(running.account.clone()).unwrap();
    (running, connector(creds))
}

fn connector(creds: Credentials) -> Telegram {
    Telegram::new(http_client(Duration::from_secs(1)), creds)
}

fn text(body: &str) -> Outgoing {
    Outgoing {
        nonce: "n-1".into(),
        title: String::new(),
        summary: String::new(),
        body: body.to_string(),
        link: None,
        hashtags: vec![],
        image: None,
    }
}

fn photo(body: &str) -> Outgoing {
    Outgoing {
        image: Some(Image {
            key: "blob-test".into(),
            remote_id: None,
            bytes: vec![0xff, 0xd8, 0xff, 0xe0, 1, 2, 3],
            mime: "image/jpeg".into(),
            file_name: "anh.jpg".into(),
            public_url: None,
            alt: "Ảnh".into(),
        }),
        ..text(body)
    }
}

fn with(running: &Running, key: &str, value: &str) -> Telegram {
    let mut account = running.account.clone();
    account[key] = value.into();
    connector(serde_json::from_value(account).unwrap())
}

const BODY: &str = "Đối thoại <Chủ tịch> & người dân\nXem https://hanoi.gov.vn/papi #PAPI";

#[tokio::test]
async fn publishes_text_and_photo_with_links_to_the_public_channel() {
    let (running, telegram) = start(unpaced()).await;
    assert_eq!(
        telegram.test_connection().await.unwrap(),
        format!("@{}", sim::BOT_USERNAME)
    );
    // `<`, `&` and the link go through Telegram's HTML parser, which refuses `<p>`/`<br>`.
    let first = telegram.publish(&text(BODY)).await.unwrap();
    assert_eq!(first.remote_id, "1");
    assert_eq!(first.url.as_deref(), Some("https://t.me/ubnd_sandbox/1"));
    let second = telegram.publish(&photo(BODY)).await.unwrap();
    assert_eq!(second.remote_id, "2");
    let stats = running.sim.stats();
    assert_eq!((stats.created, stats.duplicates), (2, 0));

    telegram.delete("1").await.unwrap();
    // Already gone counts as deleted.
    telegram.delete("1").await.unwrap();
    assert!(matches!(
        telegram.metrics("2").await,
        Err(Failure::Permanent { .. })
    ));
}

#[tokio::test]
async fn a_private_chat_has_no_public_url() {
    let (running, _) = start(unpaced()).await;
    let telegram = with(&running, "chat_id", "-1001000000001");
    let published = telegram.publish(&text("Tin nội bộ")).await.unwrap();
    assert_eq!(published.url, None);
}

#[tokio::test]
async fn the_simulator_refuses_what_telegram_refuses() {
    let (running, _) = start(unpaced()).await;
    let url = format!("{}/bot{}/sendMessage", running.base_url(), sim::BOT_TOKEN);
    let answer = reqwest::Client::new()
        .post(&url)
        .json(&serde_json::json!({"chat_id": sim::CHAT, "text": "<p>x</p>", "parse_mode": "HTML"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["ok"], false);
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .contains("can't parse entities")
    );
}

#[tokio::test]
async fn sending_faster_than_once_a_second_is_retryable_after_telegrams_hint() {
    let (running, telegram) = start(sim::Options::default()).await;
    telegram.publish(&text("Tin thứ nhất")).await.unwrap();
    match telegram.publish(&text("Tin thứ hai")).await {
        Err(Failure::Retryable { reason, after }) => {
            assert!(reason.contains("429"), "{reason}");
            assert_eq!(after, Some(Duration::from_secs(1)));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(running.sim.stats().created, 1);
}

#[tokio::test]
async fn errors_map_to_their_classes() {
    let (running, telegram) = start(unpaced()).await;
    let out = text("Thông báo");

    running.sim.force_next(Fault::RateLimited);
    assert_eq!(
        telegram.publish(&out).await.unwrap_err(),
        Failure::Retryable {
            reason: "Telegram sendMessage: 429 Too Many Requests: retry after 3".into(),
            after: Some(Duration::from_secs(3)),
        }
    );
    running.sim.force_next(Fault::ExpiredToken);
    assert!(matches!(
        telegram.publish(&out).await,
        Err(Failure::NeedsReauth { .. })
    ));
    running.sim.force_next(Fault::ServerError);
    assert!(matches!(
        telegram.publish(&photo("Ảnh")).await,
        Err(Failure::Ambiguous { .. })
    ));
    running.sim.force_next(Fault::Slow);
    assert!(matches!(
        telegram.publish(&out).await,
        Err(Failure::Ambiguous { .. })
    ));

    let wrong_token = with(&running, "bot_token", "123:nope");
    assert!(matches!(
        wrong_token.test_connection().await,
        Err(Failure::NeedsReauth { .. })
    ));
    let wrong_chat = with(&running, "chat_id", "@khong_co");
    let err = wrong_chat.publish(&out).await.unwrap_err();
    assert!(matches!(err, Failure::Permanent { .. }), "{err:?}");
    assert!(err.reason().contains("chat not found"));

    let long = "a".repeat(4097);
    let err = telegram.publish(&text(&long)).await.unwrap_err();
    assert!(err.reason().contains("message is too long"), "{err:?}");
    assert!(matches!(err, Failure::Permanent { .. }));
    let err = telegram
        .publish(&photo(&"ă".repeat(1025)))
        .await
        .unwrap_err();
    assert!(err.reason().contains("caption is too long"), "{err:?}");
    assert!(matches!(
        telegram.publish(&text("   ")).await,
        Err(Failure::Permanent { .. })
    ));
}

#[tokio::test]
async fn an_ambiguous_send_cannot_be_found() {
    let (running, telegram) = start(unpaced()).await;
    let out = text("Gửi rồi mới lỗi");
    running.sim.force_next(Fault::CommitThenFail);
    assert!(matches!(
        telegram.publish(&out).await,
        Err(Failure::Ambiguous { .. })
    ));
    // Telegram did post it, but there is no way to look it up: the send stays unconfirmed.
    assert_eq!(running.sim.stats().created, 1);
    assert!(telegram.find(&out, 0).await.unwrap().is_empty());

    running.sim.force_next(Fault::CommitThenHang);
    assert!(matches!(
        telegram.publish(&text("Treo")).await,
        Err(Failure::Ambiguous { .. })
    ));
}

#[tokio::test]
async fn connection_refused_is_retryable_and_the_reason_hides_the_token() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let telegram = connector(Credentials::Telegram {
        base_url: base,
        bot_token: "999:secret-token".into(),
        chat_id: "@kenh".into(),
    });
    let err = telegram.publish(&text("x")).await.unwrap_err();
    assert!(matches!(err, Failure::Retryable { .. }), "{err:?}");
    assert!(!err.reason().contains("secret-token"), "{}", err.reason());
}
