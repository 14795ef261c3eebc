//! Photo posts by the multi-photo flow (channel-apis.md A.3): unpublished uploads attached to
//! one feed post with `attached_media`, the simulator's checks of those ids, and
//! reconciliation when an answer is lost.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;
use crate::connectors::classify::test_support::{client, image, now_ms, outgoing};
use crate::sandbox::Fault;

/// A raw Graph call to the simulator with the sandbox token and proof in the form.
async fn graph_post(running: &Running, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let token = running.account["page_token"].as_str().unwrap();
    let secret = running.account["app_secret"].as_str().unwrap();
    let proof = appsecret_proof(secret, token);
    let mut body: Vec<(&str, &str)> = form.to_vec();
    body.extend([("access_token", token), ("appsecret_proof", proof.as_str())]);
    let base = running.account["base_url"].as_str().unwrap();
    let answer = client()
        .post(format!("{base}/{path}"))
        .form(&body)
        .send()
        .await
        .unwrap();
    let status = answer.status();
    (status, answer.json().await.unwrap())
}

/// Uploads an unpublished photo by URL: its id.
async fn unpublished(running: &Running, n: u32) -> String {
    let url = format!("https://cdn.example.vn/media/anh-{n}.jpg");
    let (status, v) = graph_post(
        running,
        "1000001/photos",
        &[("url", url.as_str()), ("published", "false")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(
        v.get("post_id").is_none(),
        "an unpublished photo is no post: {v}"
    );
    v["id"].as_str().unwrap().to_string()
}

async fn published_posts(running: &Running) -> usize {
    let v = read_post(running, "1000001/published_posts", "id").await;
    v["data"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_photo_is_uploaded_unpublished_then_attached_to_one_feed_post() {
    let (running, fb) = setup().await;
    let mut out = outgoing("p1", "Ảnh hội nghị tiếp xúc cử tri.");
    out.image = Some(image());
    let published = fb.publish(&out).await.unwrap();
    assert!(published.remote_id.starts_with("1000001_"));
    assert!(published.url.is_some(), "permalink read back with the post");
    let fields = "message,status_type,full_picture,attachments";
    let post = read_post(&running, &published.remote_id, fields).await;
    assert_eq!(post["status_type"], "added_photos");
    assert_eq!(post["message"], message(&out).as_str());
    assert!(
        post["message"].as_str().unwrap().contains("https://"),
        "link kept"
    );
    assert_eq!(post["attachments"]["data"][0]["type"], "photo");
    // The photo is part of the post, not a post of its own.
    assert_eq!(published_posts(&running).await, 1);
    assert_eq!(fb.find(&out, now_ms()).await.unwrap(), vec![published]);
    // Without bytes the public URL is sent instead.
    let mut by_url = outgoing("p2", "Ảnh thứ hai.");
    by_url.image = Some(Image {
        key: "blob-test".into(),
        remote_id: None,
        bytes: Vec::new(),
        ..image()
    });
    let published = fb.publish(&by_url).await.unwrap();
    let post = read_post(&running, &published.remote_id, "full_picture").await;
    assert_eq!(
        post["full_picture"],
        "https://cdn.example.vn/media/hoi-nghi.png"
    );
    let stats = running.sim.stats();
    assert_eq!((stats.created, stats.duplicates), (2, 0));
}

#[tokio::test]
async fn several_photos_make_one_album_post_in_every_encoding() {
    let (running, _fb) = setup().await;
    // Form fields attached_media[i], as the reference describes.
    let (a, b) = (
        unpublished(&running, 1).await,
        unpublished(&running, 2).await,
    );
    let (first, second) = (
        json!({ "media_fbid": a }).to_string(),
        json!({ "media_fbid": b }).to_string(),
    );
    let (status, v) = graph_post(
        &running,
        "1000001/feed",
        &[
            ("message", "Hai ảnh."),
            ("attached_media[1]", second.as_str()),
            ("attached_media[0]", first.as_str()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let post = read_post(&running, v["id"].as_str().unwrap(), "attachments").await;
    let album = &post["attachments"]["data"][0];
    assert_eq!(album["type"], "album");
    let ids: Vec<&str> = album["subattachments"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["target"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [a.as_str(), b.as_str()], "in the order of the indexes");
    // One field holding the JSON array.
    let c = unpublished(&running, 3).await;
    let list = json!([{ "media_fbid": c }]).to_string();
    let (status, v) = graph_post(
        &running,
        "1000001/feed",
        &[("message", "Một ảnh."), ("attached_media", list.as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(published_posts(&running).await, 2);
}

#[tokio::test]
async fn attached_media_must_name_unpublished_photos_of_the_page() {
    let (running, fb) = setup().await;
    let attach = |id: &str| json!({ "media_fbid": id }).to_string();
    let mut out = outgoing("p", "Bài có ảnh.");
    out.image = Some(image());
    let post_id = fb.publish(&out).await.unwrap().remote_id;
    let used = read_post(&running, &post_id, "attachments").await["attachments"]["data"][0]
        ["target"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let fresh = unpublished(&running, 9).await;
    let (_, photo_post) = graph_post(
        &running,
        "1000001/photos",
        &[
            ("url", "https://cdn.example.vn/a.jpg"),
            ("caption", "Ảnh đã đăng."),
        ],
    )
    .await;
    let published_photo = photo_post["id"].as_str().unwrap().to_string();
    let refused = [
        ("an unknown id", vec![attach("424242")]),
        ("a post id", vec![attach(&post_id)]),
        ("a photo already attached to a post", vec![attach(&used)]),
        (
            "a photo published on its own",
            vec![attach(&published_photo)],
        ),
        (
            "a good id then a bad one",
            vec![attach(&fresh), attach("424242")],
        ),
        ("the same photo twice", vec![attach(&fresh), attach(&fresh)]),
        ("no media_fbid", vec![json!({ "id": fresh }).to_string()]),
    ];
    let before = published_posts(&running).await;
    for (case, items) in refused {
        let keys: Vec<String> = (0..items.len())
            .map(|i| format!("attached_media[{i}]"))
            .collect();
        let mut form = vec![("message", "Không được đăng.")];
        form.extend(
            keys.iter()
                .map(String::as_str)
                .zip(items.iter().map(String::as_str)),
        );
        let (status, v) = graph_post(&running, "1000001/feed", &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case}: {v}");
        assert_eq!(v["error"]["code"], 100, "{case}: {v}");
        assert_eq!(v["error"]["type"], "OAuthException", "{case}");
        let answer = crate::connectors::classify::Answer {
            status,
            headers: Default::default(),
            body: v.to_string().into_bytes(),
        };
        let failure = crate::connectors::facebook::errors::failure(&answer, false, "post");
        assert!(
            matches!(failure, Failure::Permanent { .. }),
            "{case}: {failure:?}"
        );
    }
    assert_eq!(
        published_posts(&running).await,
        before,
        "nothing was posted"
    );
    // The refusals attached nothing: the fresh photo can still be used once.
    let (status, v) = graph_post(
        &running,
        "1000001/feed",
        &[("attached_media[0]", attach(&fresh).as_str())],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
}

#[tokio::test]
async fn a_lost_upload_answer_is_retryable_and_publishes_nothing() {
    let (running, fb) = setup().await;
    let mut out = outgoing("lost-upload", "Ảnh mất câu trả lời khi tải lên.");
    out.image = Some(image());
    running.sim.force_next(Fault::CommitThenFail);
    assert!(matches!(
        reason_of(fb.publish(&out).await),
        Failure::Retryable { .. }
    ));
    assert!(fb.find(&out, now_ms() - 60_000).await.unwrap().is_empty());
    assert_eq!(published_posts(&running).await, 0);
}

#[tokio::test]
async fn a_lost_feed_answer_is_ambiguous_and_find_recovers_the_photo_post() {
    let (running, fb) = setup().await;
    let since = now_ms();
    let mut out = outgoing("lost-feed", "Ảnh mất câu trả lời khi đăng.");
    out.image = Some(image());
    // The upload passes; the feed post is made and its answer lost.
    running.sim.force_after(1, Fault::CommitThenFail);
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
        .expect("found");
    let post = read_post(&running, &found.remote_id, "status_type").await;
    assert_eq!(post["status_type"], "added_photos");
    let stats = running.sim.stats();
    assert_eq!((stats.created, stats.duplicates), (1, 0));
}
