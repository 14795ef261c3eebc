//! Contract tests: the Facebook connector against the Graph simulator over HTTP.

use std::time::Duration;

use super::*;
use crate::connectors::Image;
use crate::connectors::classify::test_support::{client, closed_port_url, image, now_ms, outgoing};
use crate::sandbox::{Fault, Running, facebook as sim};

fn localhost() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn creds(running: &Running, app_secret: Option<&str>) -> Credentials {
    Credentials::Facebook {
        base_url: running.account["base_url"].as_str().unwrap().into(),
        page_id: running.account["page_id"].as_str().unwrap().into(),
        page_token: running.account["page_token"].as_str().unwrap().into(),
        app_secret: app_secret.map(str::to_string),
    }
}

async fn setup() -> (Running, Facebook) {
    let running = sim::spawn(localhost()).await.unwrap();
    let secret = running.account["app_secret"].as_str().unwrap().to_string();
    let fb = Facebook::new(client(), creds(&running, Some(&secret)));
    (running, fb)
}

/// A post's fields as Graph has them.
async fn read_post(running: &Running, id: &str, fields: &str) -> serde_json::Value {
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

fn reason_of<T: std::fmt::Debug>(result: Outcome<T>) -> Failure {
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
fn the_photo_caption_carries_the_link_the_feed_post_sends_separately() {
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
    assert_eq!(fb.find(&out, now_ms()).await.unwrap(), Some(published));
}

#[tokio::test]
async fn publishes_a_photo_by_upload_with_the_link_in_the_caption() {
    let (running, fb) = setup().await;
    let mut out = outgoing("p1", "Ảnh hội nghị tiếp xúc cử tri.");
    out.image = Some(image());
    let published = fb.publish(&out).await.unwrap();
    assert!(published.remote_id.starts_with("1000001_"));
    assert!(published.url.is_some(), "permalink read back");
    let post = read_post(
        &running,
        &published.remote_id,
        "message,status_type,full_picture",
    )
    .await;
    assert_eq!(post["status_type"], "added_photos");
    assert_eq!(post["message"], message(&out).as_str());
    assert_eq!(fb.find(&out, now_ms()).await.unwrap(), Some(published));
    // Without bytes the public URL is sent instead.
    let mut by_url = outgoing("p2", "Ảnh thứ hai.");
    by_url.image = Some(Image {
        bytes: Vec::new(),
        ..image()
    });
    let published = fb.publish(&by_url).await.unwrap();
    let post = read_post(&running, &published.remote_id, "full_picture").await;
    assert_eq!(
        post["full_picture"],
        "https://cdn.example.vn/media/hoi-nghi.png"
    );
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
    let found = fb.find(&out, since).await.unwrap().unwrap();
    assert!(found.remote_id.starts_with("1000001_"));
    // Another message does not match.
    assert_eq!(
        fb.find(&outgoing("other", "Khác."), since).await.unwrap(),
        None
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
    assert!(fb.find(&out, now_ms()).await.unwrap().is_some());
}

#[tokio::test]
async fn error_classes_follow_the_graph_codes() {
    let (running, fb) = setup().await;
    let out = outgoing("e", "Lỗi.");

    running.sim.force_next(Fault::RateLimited);
    match reason_of(fb.publish(&out).await) {
        Failure::Retryable { reason, after } => {
            assert!(reason.contains("32"), "{reason}");
            // estimated_time_to_regain_access is in minutes.
            assert_eq!(after, Some(Duration::from_secs(60)));
        }
        other => panic!("expected Retryable, got {other:?}"),
    }
    running.sim.force_next(Fault::ExpiredToken);
    match reason_of(fb.publish(&out).await) {
        Failure::NeedsReauth { reason } => assert!(reason.contains("190/463"), "{reason}"),
        other => panic!("expected NeedsReauth, got {other:?}"),
    }
    running.sim.force_next(Fault::ServerError);
    assert!(matches!(
        reason_of(fb.publish(&out).await),
        Failure::Ambiguous { .. }
    ));
    // Code 2 on a read is safe to retry.
    running.sim.force_next(Fault::ServerError);
    assert!(matches!(
        reason_of(fb.test_connection().await),
        Failure::Retryable { .. }
    ));
    // Validation: a link Graph cannot scrape, a post with nothing in it.
    let bad_link = Outgoing {
        link: Some("not a link".into()),
        ..out.clone()
    };
    match reason_of(fb.publish(&bad_link).await) {
        Failure::Permanent { reason } => assert!(reason.contains("1609005"), "{reason}"),
        other => panic!("expected Permanent, got {other:?}"),
    }
    let empty = Outgoing {
        body: String::new(),
        link: None,
        ..out.clone()
    };
    match reason_of(fb.publish(&empty).await) {
        Failure::Permanent { reason } => assert!(reason.contains("100"), "{reason}"),
        other => panic!("expected Permanent, got {other:?}"),
    }
    assert_eq!(running.sim.stats().created, 0);

    // 506: the same message twice in a row. The first may be ours: reconcile.
    fb.publish(&out).await.unwrap();
    match reason_of(fb.publish(&out).await) {
        Failure::Ambiguous { reason } => assert!(reason.contains("506"), "{reason}"),
        other => panic!("expected Ambiguous, got {other:?}"),
    }
    assert_eq!(running.sim.stats().duplicates, 0);
}

#[test]
fn classification_by_code_not_status() {
    let answer = |status: u16, body: &str, usage: Option<&str>| {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(u) = usage {
            headers.insert("x-business-use-case-usage", u.parse().unwrap());
        }
        Answer {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    };
    let err = |code: i64| {
        format!(r#"{{"error":{{"message":"m","type":"OAuthException","code":{code}}}}}"#)
    };
    for code in [4, 17, 32, 613, 80001] {
        assert!(matches!(
            failure(&answer(400, &err(code), None), false, "x"),
            Failure::Retryable { after: None, .. }
        ));
    }
    let usage =
        r#"{"1000001":[{"type":"pages","call_count":100,"estimated_time_to_regain_access":5}]}"#;
    assert_eq!(
        failure(&answer(400, &err(80001), Some(usage)), false, "x"),
        Failure::Retryable {
            reason: "x: Graph error 80001: m".into(),
            after: Some(Duration::from_secs(300)),
        }
    );
    // A throttle answered 200 or 500 is still a throttle.
    assert!(matches!(
        failure(&answer(500, &err(613), None), false, "x"),
        Failure::Retryable { .. }
    ));
    for code in [10, 200, 299, 100, 368, 1609005] {
        assert!(matches!(
            failure(&answer(400, &err(code), None), false, "x"),
            Failure::Permanent { .. }
        ));
    }
    assert!(matches!(
        failure(&answer(403, &err(190), None), true, "x"),
        Failure::NeedsReauth { .. }
    ));
    assert!(matches!(
        failure(&answer(400, &err(1), None), false, "x"),
        Failure::Ambiguous { .. }
    ));
    assert!(matches!(
        failure(&answer(400, &err(1), None), true, "x"),
        Failure::Retryable { .. }
    ));
    // No Graph body at all: a 5xx on a POST may have committed.
    assert!(matches!(
        failure(&answer(502, "<html>Bad gateway</html>", None), false, "x"),
        Failure::Ambiguous { .. }
    ));
    assert!(matches!(
        failure(&answer(502, "", None), true, "x"),
        Failure::Retryable { .. }
    ));
}

#[tokio::test]
async fn appsecret_proof_enforcement_on_and_off() {
    // Required: no proof and a wrong proof are refused (code 100), the right one passes.
    let (running, fb) = setup().await;
    fb.test_connection().await.unwrap();
    let without = Facebook::new(client(), creds(&running, None));
    match reason_of(without.publish(&outgoing("np", "x")).await) {
        Failure::Permanent { reason } => {
            assert!(reason.contains("require an appsecret_proof"), "{reason}")
        }
        other => panic!("expected Permanent, got {other:?}"),
    }
    let wrong = Facebook::new(client(), creds(&running, Some("not-the-secret")));
    match reason_of(wrong.test_connection().await) {
        Failure::Permanent { reason } => assert!(reason.contains("Invalid appsecret_proof")),
        other => panic!("expected Permanent, got {other:?}"),
    }
    // Not required: a token alone works; a proof that is sent is still checked.
    let relaxed = sim::spawn_with(
        localhost(),
        sim::Options {
            require_appsecret_proof: false,
            ..sim::Options::default()
        },
    )
    .await
    .unwrap();
    let fb = Facebook::new(client(), creds(&relaxed, None));
    fb.publish(&outgoing("nr", "Không cần proof."))
        .await
        .unwrap();
    let wrong = Facebook::new(client(), creds(&relaxed, Some("not-the-secret")));
    assert!(matches!(
        reason_of(wrong.test_connection().await),
        Failure::Permanent { .. }
    ));
}

#[tokio::test]
async fn a_closed_port_is_retryable() {
    let fb = Facebook::new(
        client(),
        Credentials::Facebook {
            base_url: format!("{}/v25.0", closed_port_url().await),
            page_id: "1".into(),
            page_token: "t".into(),
            app_secret: None,
        },
    );
    assert!(matches!(
        reason_of(fb.publish(&outgoing("c", "x")).await),
        Failure::Retryable { .. }
    ));
}

async fn set_engagement(running: &Running, post_id: &str, e: serde_json::Value) {
    let mut e = e;
    e["post_id"] = serde_json::json!(post_id);
    client()
        .post(format!("{}/_sim/engagement", running.base_url()))
        .json(&e)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

#[tokio::test]
async fn metrics_parse_summaries_absent_shares_and_views() {
    let (running, fb) = setup().await;
    let id = fb
        .publish(&outgoing("m", "Đo lường."))
        .await
        .unwrap()
        .remote_id;
    set_engagement(
        &running,
        &id,
        serde_json::json!({"reactions": 41, "comments": 7, "views": 340}),
    )
    .await;
    assert_eq!(
        fb.metrics(&id).await.unwrap(),
        Metrics {
            views: Some(340),
            reactions: Some(41),
            comments: Some(7),
            shares: Some(0),
            clicks: None,
        }
    );
    set_engagement(&running, &id, serde_json::json!({"shares": 3})).await;
    assert_eq!(fb.metrics(&id).await.unwrap().shares, Some(3));
}

#[tokio::test]
async fn metrics_survive_an_app_that_cannot_read_views() {
    let running = sim::spawn_with(
        localhost(),
        sim::Options {
            invalid_metrics: vec!["post_media_view".into()],
            ..sim::Options::default()
        },
    )
    .await
    .unwrap();
    let fb = Facebook::new(client(), creds(&running, Some("sandbox-app-secret")));
    let id = fb.publish(&outgoing("v", "x")).await.unwrap().remote_id;
    set_engagement(&running, &id, serde_json::json!({"reactions": 2})).await;
    let metrics = fb.metrics(&id).await.unwrap();
    assert_eq!((metrics.views, metrics.reactions), (None, Some(2)));
}

#[tokio::test]
async fn insights_fail_whole_on_one_invalid_metric() {
    let (running, fb) = setup().await;
    let id = fb.publish(&outgoing("i", "x")).await.unwrap().remote_id;
    let token = running.account["page_token"].as_str().unwrap();
    let base = running.account["base_url"].as_str().unwrap();
    let ask = |metric: &'static str| {
        client()
            .get(format!("{base}/{id}/insights"))
            .query(&[
                ("metric", metric),
                ("access_token", token),
                (
                    "appsecret_proof",
                    appsecret_proof("sandbox-app-secret", token).as_str(),
                ),
            ])
            .send()
    };
    let r = ask("post_media_view,post_impressions_unique")
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], 100);
    let body: serde_json::Value = ask("post_media_view").await.unwrap().json().await.unwrap();
    assert_eq!(body["data"][0]["name"], "post_media_view");
}

#[tokio::test]
async fn delete_removes_the_post() {
    let (running, fb) = setup().await;
    let out = outgoing("d", "Xoá.");
    let id = fb.publish(&out).await.unwrap().remote_id;
    fb.delete(&id).await.unwrap();
    assert_eq!(fb.find(&out, 0).await.unwrap(), None);
    match reason_of(fb.metrics(&id).await) {
        Failure::Permanent { reason } => assert!(reason.contains("100/33"), "{reason}"),
        other => panic!("expected Permanent, got {other:?}"),
    }
    assert!(matches!(
        reason_of(fb.delete(&id).await),
        Failure::Permanent { .. }
    ));
    let _ = running;
}
