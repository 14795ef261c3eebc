//! Contract tests: the webhook connector against the receiver simulator over HTTP.

use super::*;
use crate::connectors::classify::test_support::{client, closed_port_url, image, outgoing};
use crate::sandbox::{Fault, Running, webhook as sim};

fn localhost() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn creds(running: &Running, secret: Option<&str>) -> Credentials {
    Credentials::Webhook {
        url: running.account["url"].as_str().unwrap().into(),
        secret: secret
            .unwrap_or(running.account["secret"].as_str().unwrap())
            .into(),
    }
}

async fn setup() -> (Running, Webhook) {
    let running = sim::spawn(localhost()).await.unwrap();
    let hook = Webhook::new(client(), creds(&running, None));
    (running, hook)
}

async fn received(running: &Running) -> serde_json::Value {
    client()
        .get(format!("{}/_sim/received", running.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A known answer computed outside Loa, once, with Python's standard library:
/// python3 -c 'import hmac,hashlib;print(hmac.new(b"whsec-test-key", b"1764744000.d-42." +
///   "{\"id\":\"d-42\",\"title\":\"Xin chào\"}".encode(), hashlib.sha256).hexdigest())'
const KNOWN_BODY: &str = "{\"id\":\"d-42\",\"title\":\"Xin chào\"}";
const KNOWN_SIGNATURE: &str =
    "sha256=83d85d9596382cbbf578a9d870d419351371a2189c44b47e5329791c1ebd3eb6";

#[test]
fn the_signature_covers_timestamp_delivery_and_body_as_documented() {
    let sig = signature(
        "whsec-test-key",
        1_764_744_000,
        "d-42",
        KNOWN_BODY.as_bytes(),
    );
    assert_eq!(sig, KNOWN_SIGNATURE);
}

#[test]
fn signatures_verify_only_what_was_signed_and_only_while_fresh() {
    let (ts, body) = (1_764_744_000, KNOWN_BODY.as_bytes());
    let ok = |secret, t, d, b: &[u8], now| verify(secret, t, d, b, KNOWN_SIGNATURE, now);
    assert!(ok("whsec-test-key", ts, "d-42", body, ts + 10));
    assert!(!ok("other", ts, "d-42", body, ts));
    assert!(
        !ok("whsec-test-key", ts + 1, "d-42", body, ts),
        "timestamp is signed"
    );
    assert!(
        !ok("whsec-test-key", ts, "d-43", body, ts),
        "delivery id is signed"
    );
    assert!(
        !ok("whsec-test-key", ts, "d-42", b"{}", ts),
        "body is signed"
    );
    assert!(
        !ok("whsec-test-key", ts, "d-42", body, ts + MAX_AGE_SECONDS + 1),
        "a replay after five minutes"
    );
    assert!(!verify(
        "whsec-test-key",
        ts,
        "d-42",
        body,
        KNOWN_SIGNATURE.trim_start_matches("sha256="),
        ts
    ));
}

#[tokio::test]
async fn the_receiver_refuses_a_replayed_delivery_older_than_five_minutes() {
    let (running, _) = setup().await;
    let secret = running.account["secret"].as_str().unwrap().to_string();
    let url = running.account["url"].as_str().unwrap().to_string();
    let body = br#"{"id":"old-1","title":"t"}"#.to_vec();
    let send = |ts: i64| {
        client()
            .post(&url)
            .header("content-type", "application/json")
            .header(TIMESTAMP_HEADER, ts.to_string())
            .header(DELIVERY_HEADER, "old-1")
            .header(SIGNATURE_HEADER, signature(&secret, ts, "old-1", &body))
            .body(body.clone())
            .send()
    };
    let now = crate::clock::now_ms() / 1000;
    let stale = send(now - MAX_AGE_SECONDS - 5).await.unwrap();
    assert_eq!(stale.status(), 401);
    assert!(stale.text().await.unwrap().contains("replay"));
    assert_eq!(
        received(&running).await["deliveries"],
        serde_json::json!([])
    );
    // The same request signed now goes through.
    assert_eq!(send(now).await.unwrap().status(), 200);
    // A captured request with another delivery id in the header is refused.
    let swapped = client()
        .post(&url)
        .header(TIMESTAMP_HEADER, now.to_string())
        .header(DELIVERY_HEADER, "old-2")
        .header(SIGNATURE_HEADER, signature(&secret, now, "old-1", &body))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(swapped.status(), 401);
}

#[tokio::test]
async fn ping_checks_the_secret() {
    let (running, hook) = setup().await;
    assert!(hook.test_connection().await.unwrap().contains("127.0.0.1"));
    let wrong = Webhook::new(client(), creds(&running, Some("not-the-secret")));
    assert!(matches!(
        wrong.test_connection().await,
        Err(Failure::NeedsReauth { .. })
    ));
    // A ping is not a delivery.
    assert_eq!(
        received(&running).await["deliveries"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn delivers_signed_json_with_every_field() {
    let (running, hook) = setup().await;
    let mut out = outgoing("d-1", "Nội dung **đầy đủ**.");
    out.image = Some(image());
    let published = hook.publish(&out).await.unwrap();
    assert_eq!(
        published,
        Published {
            remote_id: "d-1".into(),
            url: None,
            media: None,
        }
    );
    let got = received(&running).await;
    let delivery = &got["deliveries"][0];
    assert_eq!(delivery["delivery"], "d-1");
    assert_eq!(
        delivery["body"],
        serde_json::json!({
            "id": "d-1",
            "title": "Tiêu đề d-1",
            "summary": "Tóm tắt ngắn gọn",
            "body": "Nội dung **đầy đủ**.",
            "link": "https://dienbien.hanoi.gov.vn/tin-tuc",
            "hashtags": ["#PAPI", "#HàNội"],
            "image_url": "https://cdn.example.vn/media/hoi-nghi.png",
        })
    );
}

#[tokio::test]
async fn a_wrong_secret_is_refused_and_nothing_is_stored() {
    let (running, _) = setup().await;
    let wrong = Webhook::new(client(), creds(&running, Some("not-the-secret")));
    match wrong.publish(&outgoing("bad", "x")).await {
        Err(Failure::NeedsReauth { reason }) => assert!(reason.contains("401"), "{reason}"),
        other => panic!("expected NeedsReauth, got {other:?}"),
    }
    assert_eq!(
        received(&running).await["deliveries"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn after_commit_then_fail_a_resend_is_deduped_by_the_receiver() {
    let (running, hook) = setup().await;
    let out = outgoing("ctf", "x");
    running.sim.force_next(Fault::CommitThenFail);
    assert!(matches!(
        hook.publish(&out).await,
        Err(Failure::Ambiguous { .. })
    ));
    // The receiver cannot be asked; the dispatcher resends with the same delivery id.
    assert!(hook.find(&out, 0).await.unwrap().is_empty());
    hook.publish(&out).await.unwrap();
    let got = received(&running).await;
    assert_eq!(got["deliveries"].as_array().unwrap().len(), 1);
    assert_eq!(got["repeats"], 1);
    // The simulator still counts the repeat, so a chaos run sees every resend.
    assert_eq!(running.sim.stats().duplicates, 1);
}

#[tokio::test]
async fn error_classes_follow_the_contract() {
    let (running, hook) = setup().await;
    let out = outgoing("e", "x");
    running.sim.force_next(Fault::RateLimited);
    match hook.publish(&out).await {
        Err(Failure::Retryable { after, .. }) => {
            assert_eq!(after, Some(std::time::Duration::from_secs(1)))
        }
        other => panic!("expected Retryable, got {other:?}"),
    }
    running.sim.force_next(Fault::ServerError);
    assert!(matches!(
        hook.publish(&out).await,
        Err(Failure::Ambiguous { .. })
    ));
    running.sim.force_next(Fault::ExpiredToken);
    assert!(matches!(
        hook.publish(&out).await,
        Err(Failure::NeedsReauth { .. })
    ));
    running.sim.force_next(Fault::CommitThenHang);
    assert!(matches!(
        hook.publish(&out).await,
        Err(Failure::Ambiguous { .. })
    ));
    // A URL the receiver does not serve: 404, permanent.
    let lost = Webhook::new(
        client(),
        Credentials::Webhook {
            url: format!("{}/nope", running.base_url()),
            secret: "x".into(),
        },
    );
    assert!(matches!(
        lost.publish(&out).await,
        Err(Failure::Permanent { .. })
    ));
    let closed = Webhook::new(
        client(),
        Credentials::Webhook {
            url: format!("{}/hook", closed_port_url().await),
            secret: "x".into(),
        },
    );
    assert!(matches!(
        closed.publish(&out).await,
        Err(Failure::Retryable { .. })
    ));
    assert!(matches!(
        hook.delete("e").await,
        Err(Failure::Permanent { .. })
    ));
    assert!(matches!(
        hook.metrics("e").await,
        Err(Failure::Permanent { .. })
    ));
}

#[tokio::test]
async fn a_slow_receiver_within_the_timeout_is_a_success() {
    let running = sim::spawn(localhost()).await.unwrap();
    let hook = Webhook::new(
        crate::connectors::http_client(std::time::Duration::from_secs(5)),
        creds(&running, None),
    );
    running.sim.force_next(Fault::Slow);
    hook.publish(&outgoing("slow", "x")).await.unwrap();
    assert_eq!(running.sim.stats().created, 1);
}
