//! Contract tests: the Facebook connector against the Graph simulator over HTTP.

mod errors;
mod metrics;
mod photos;

use std::time::Duration;

use super::*;
use crate::connectors::Image;
use crate::connectors::classify::test_support::{client, image, now_ms, outgoing};
use crate::sandbox::{Fault, Running, facebook as sim};

pub(super) fn localhost() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

pub(super) fn creds(running: &Running, app_secret: Option<&str>) -> Credentials {
    Credentials::Facebook {
        base_url: running.account["base_url"].as_str().unwrap().into(),
        page_id: running.account["page_id"].as_str().unwrap().into(),
        page_token: running.account["page_token"].as_str().unwrap().into(),
        app_secret: app_secret.map(str::to_string),
    }
}

pub(super) async fn setup() -> (Running, Facebook) {
    let running = sim::spawn(localhost()).await.unwrap();
    let secret = running.account["app_secret"].as_str().unwrap().to_string();
    let fb = Facebook::new(client(), creds(&running, Some(&secret)));
    (running, fb)
}

/// A post's fields as Graph has them.
pub(super) async fn read_post(running: &Running, id: &str, fields: &str) -> serde_json::Value {
    let token = running.account["page_token"].as_str().unwrap();
    let secret = running.account["app_secret"].as_str().unwrap();
    client()
        .get(format!(
            "{}/{id}",
            running.account["base_url"].as_str().unwrap()
        ))
        .query(&[
            ("fields", fields),
            ("access_token", token),
            ("appsecret_proof", appsecret_proof(secret, token).as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub(super) fn reason_of<T: std::fmt::Debug>(result: Outcome<T>) -> Failure {
    result.expect_err("expected a failure")
}

#[test]
fn appsecret_proof_is_hex_hmac_sha256_of_the_token() {
    let proof = appsecret_proof("secret", "token");
    assert_eq!(proof.len(), 64);
    assert!(
        proof
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    );
    assert_eq!(
        proof,
        crate::connectors::classify::hmac_sha256_hex(b"secret", b"token")
    );
}

#[test]
fn with_photos_the_message_carries_the_link_a_text_post_sends_separately() {
    let mut out = outgoing("n", "Thông báo.");
    assert_eq!(message(&out), "Thông báo.");
    out.image = Some(image());
    assert_eq!(
        message(&out),
        "Thông báo.\n\nhttps://dienbien.hanoi.gov.vn/tin-tuc"
    );
}

#[tokio::test]
async fn test_connection_names_the_page_and_a_wrong_token_needs_reauth() {
    let (running, fb) = setup().await;
    assert_eq!(fb.test_connection().await.unwrap(), "UBND Phường Điện Biên");
    let wrong = Facebook::new(
        client(),
        Credentials::Facebook {
            base_url: running.account["base_url"].as_str().unwrap().into(),
            page_id: "1000001".into(),
            page_token: "EAAGnot-the-token".into(),
            app_secret: None,
        },
    );
    match reason_of(wrong.test_connection().await) {
        Failure::NeedsReauth { reason } => assert!(reason.contains("190"), "{reason}"),
        other => panic!("expected NeedsReauth, got {other:?}"),
    }
}

#[tokio::test]
async fn publishes_a_text_post_with_link_and_reads_after_write() {
    let (running, fb) = setup().await;
    let out = outgoing("t1", "Phường Điện Biên thông báo lịch tiếp dân. #PAPI");
    let published = fb.publish(&out).await.unwrap();
    assert!(published.remote_id.starts_with("1000001_"));
    assert!(
        published
            .url
            .as_deref()
            .unwrap()
            .starts_with("https://www.facebook.com/1000001/posts/")
    );
    let post = read_post(&running, &published.remote_id, "id,message,status_type").await;
    assert_eq!(post["message"], out.body.as_str());
    assert_eq!(post["status_type"], "shared_story");
    assert_eq!(fb.find(&out, now_ms()).await.unwrap(), vec![published]);
}

#[tokio::test]
async fn commit_then_fail_is_ambiguous_and_find_recovers_the_post() {
    let (running, fb) = setup().await;
    let since = now_ms();
    let out = outgoing("ctf", "Bài viết sẽ bị mất câu trả lời.");
    running.sim.force_next(Fault::CommitThenFail);
    assert!(matches!(
        reason_of(fb.publish(&out).await),
        Failure::Ambiguous { .. }
    ));
    let found = fb
        .find(&out, since)
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    assert!(found.remote_id.starts_with("1000001_"));
    // Another message does not match.
    assert!(
        fb.find(&outgoing("other", "Khác."), since)
            .await
            .unwrap()
            .is_empty()
    );
    let stats = running.sim.stats();
    assert_eq!((stats.created, stats.duplicates), (1, 0));
}

#[tokio::test]
async fn a_hanging_answer_times_out_as_ambiguous() {
    let (running, fb) = setup().await;
    let out = outgoing("hang", "Treo.");
    running.sim.force_next(Fault::CommitThenHang);
    assert!(matches!(
        reason_of(fb.publish(&out).await),
        Failure::Ambiguous { .. }
    ));
    assert!(!fb.find(&out, now_ms()).await.unwrap().is_empty());
}
