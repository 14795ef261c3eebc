//! Engagement read back from the post and its insights; deleting.

use super::*;
use crate::connectors::classify::test_support::{client, outgoing};
use crate::sandbox::facebook as sim;

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
            reach: Some(272),
            reactions: Some(41),
            reactions_by_type: vec![("like".into(), 31), ("love".into(), 8), ("care".into(), 2)],
            comments: Some(7),
            shares: Some(0),
            clicks: Some(0),
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
    // The refused metric costs views only: the others are asked one by one.
    assert_eq!(
        (metrics.views, metrics.reach, metrics.reactions),
        (None, Some(0), Some(2))
    );
    assert_eq!(metrics.reactions_by_type[0], ("like".to_string(), 2));
    // Once refused, it is no longer asked for: one request with the rest succeeds.
    let again = fb.metrics(&id).await.unwrap();
    assert_eq!((again.views, again.reactions), (None, Some(2)));
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
    assert!(fb.find(&out, 0).await.unwrap().is_empty());
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
