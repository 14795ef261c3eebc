//! Where the API is, and answers that do not come from it.

use super::*;

#[tokio::test]
async fn a_plain_permalinks_site_is_reached_at_rest_route() {
    let (running, wp) = setup_with(sim::Options {
        permalinks: sim::Permalinks::Plain,
        ..sim::Options::default()
    })
    .await;
    // The old fixed `/wp-json/` lands on the HTML front page there.
    let r = client()
        .get(format!("{}/wp-json/wp/v2/users/me", running.base_url()))
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("html")
    );
    assert_eq!(
        wp.test_connection().await.unwrap(),
        "Cổng thông tin điện tử Phường"
    );
    let mut out = outgoing("plain1", "Nội dung.");
    out.image = Some(image());
    let published = wp.publish(&out).await.unwrap();
    assert_eq!(wp.find(&out, 0).await.unwrap(), vec![published.clone()]);
    assert!(published.media.is_some());
    let stats = running.sim.stats();
    assert_eq!((stats.created, stats.duplicates), (1, 0));
}

#[tokio::test]
async fn test_connection_fails_clearly_where_only_html_answers() {
    let (_running, wp) = setup_with(sim::Options {
        permalinks: sim::Permalinks::Hidden,
        ..sim::Options::default()
    })
    .await;
    match wp.test_connection().await {
        Err(Failure::Permanent { reason }) => {
            assert!(
                reason.contains("không dẫn tới API của WordPress"),
                "{reason}"
            );
            assert!(
                reason.contains("Cổng thông tin điện tử Phường"),
                "names the page: {reason}"
            );
        }
        other => panic!("expected Permanent, got {other:?}"),
    }
    // Publishing sent nothing: worth trying again once the site is fixed.
    assert!(matches!(
        wp.publish(&outgoing("hid1", "x")).await,
        Err(Failure::Retryable { .. })
    ));
}

#[tokio::test]
async fn html_where_json_was_expected_is_ambiguous_for_a_write_and_retryable_for_a_read() {
    let (running, wp) = setup().await;
    let out = outgoing("html1", "Nội dung.");
    running.sim.force_next(Fault::HtmlOk);
    match wp.publish(&out).await {
        Err(Failure::Ambiguous { reason }) => {
            assert!(reason.contains("«Bảo trì»"), "{reason}");
            assert!(reason.contains("HTTP 200"), "{reason}");
        }
        other => panic!("expected Ambiguous, got {other:?}"),
    }
    running.sim.force_next(Fault::HtmlError);
    match wp.find(&out, 0).await {
        Err(Failure::Retryable { reason, .. }) => assert!(reason.contains("502"), "{reason}"),
        other => panic!("expected Retryable, got {other:?}"),
    }
    // A cut-off answer to a create is ambiguous too, and the post is then found.
    running.sim.force_next(Fault::CommitThenTruncate);
    assert!(matches!(
        wp.publish(&out).await,
        Err(Failure::Ambiguous { .. })
    ));
    assert_eq!(wp.find(&out, 0).await.unwrap().len(), 1);
    assert_eq!(running.sim.stats().created, 1);
}
