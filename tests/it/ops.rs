//! Operations: health, metrics, request ids, assets with cache headers, friendly 404s.

use crate::both;
use crate::helpers::{Backend, TestApp};

async fn health_metrics_and_request_ids(backend: Backend) {
    let app = TestApp::spawn(backend.clone()).await;
    let v = app.visitor();
    let health = v.get("/healthz").await;
    assert_eq!(health.status, 200);
    let expected = if matches!(backend, Backend::Sqlite) {
        "sqlite"
    } else {
        "postgres"
    };
    assert!(health.body.contains(expected), "{}", health.body);
    assert!(
        health.headers.contains_key("x-request-id"),
        "every answer carries a request id"
    );

    v.get("/login").await;
    let metrics = v.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.body.contains("loa_database_up 1"));
    assert!(
        metrics
            .body
            .contains("loa_http_requests_total{route=\"/login\",method=\"GET\",status=\"200\"}")
    );
    assert!(
        metrics
            .body
            .contains("# TYPE loa_http_request_duration_seconds histogram")
    );

    // When the database is gone, the balancer is told.
    app.state.store.close().await;
    assert_eq!(v.get("/healthz").await.status, 503);
}
both!(health_metrics_and_request_ids);

#[tokio::test]
async fn assets_are_local_versioned_and_cached_for_a_year() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let v = app.visitor();
    let login = v.get("/login").await;
    let at = login.body.find("href=\"/assets/").expect("stylesheet link") + "href=\"".len();
    let css_url = login.body[at..].split('"').next().unwrap().to_string();
    assert!(
        !login.body.contains("https://"),
        "no external resources on a closed network"
    );
    let css = v.get(&css_url).await;
    assert_eq!(css.status, 200);
    assert_eq!(
        css.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        css.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert_eq!(
        v.get("/assets/0000/app.css").await.headers["cache-control"],
        "no-cache"
    );
    assert_eq!(v.get("/assets/0000/nothing.css").await.status, 404);
}

#[tokio::test]
async fn unknown_pages_get_a_friendly_page_in_the_visitors_language() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let v = app.admin().await;
    let page = v.get("/no/such/page").await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("Không tìm thấy") && page.body.contains("Về trang chủ"));
}

#[tokio::test]
async fn the_worker_step_purges_expired_sessions() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let _v = app.admin().await;
    let mut worker = loa::worker::Worker::default();
    let now = loa::clock::now_ms();
    let quiet = worker.run_once(&app.state.store, 15, now).await.unwrap();
    assert_eq!(quiet.sessions_purged, 0, "a live session stays");
    let mut later = loa::worker::Worker::default();
    let outcome = later
        .run_once(&app.state.store, 15, now + 30 * 24 * 3_600_000)
        .await
        .unwrap();
    assert_eq!(
        outcome.sessions_purged, 1,
        "a month later the session is gone"
    );
}
