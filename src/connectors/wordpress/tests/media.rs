//! The featured image: uploaded once per (image, account), attached, reused.

use super::*;
use crate::connectors::Image;

async fn media_count(running: &Running) -> usize {
    read(running, "media?per_page=100")
        .await
        .1
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn publishes_with_an_uploaded_featured_image_attached_with_alt_text() {
    let (running, wp) = setup().await;
    let mut out = outgoing("img1", "Ảnh hội nghị.");
    let mut img = image();
    img.alt = "Người dân dự hội nghị <tiếp xúc> cử tri".into();
    out.image = Some(img.clone());
    let published = wp.publish(&out).await.unwrap();
    let (_, post) = read_post(&running, &published.remote_id).await;
    let media_id = post["featured_media"].as_i64().unwrap();
    assert!(media_id > 0);
    // The store remembers it for the next post of this image on this account.
    assert_eq!(published.media, Some(media_id.to_string()));
    let (_, media) = read(&running, &format!("media/{media_id}")).await;
    assert_eq!(media["mime_type"], "image/png");
    assert_eq!(
        html_escape::decode_html_entities(media["alt_text"].as_str().unwrap()),
        img.alt
    );
    assert_eq!(media["post"].as_i64(), Some(post["id"].as_i64().unwrap()));
    assert_eq!(media["slug"], "loa-blobtest");
    assert_eq!(
        media["media_details"]["filesize"].as_u64(),
        Some(img.bytes.len() as u64)
    );
    // The file is named after the image's content key, plain ASCII.
    assert!(
        media["source_url"]
            .as_str()
            .unwrap()
            .ends_with("/loa-blobtest.png")
    );
}

#[tokio::test]
async fn a_remembered_image_is_reused_and_a_lost_upload_is_found_by_its_slug() {
    let (running, wp) = setup().await;
    let mut first = outgoing("reuse1", "Một.");
    first.image = Some(image());
    let published = wp.publish(&first).await.unwrap();
    let media = published.media.clone().unwrap();

    // The batch fills `remote_id` from what the store remembered: no upload, no search.
    let mut second = outgoing("reuse2", "Hai.");
    second.image = Some(Image {
        remote_id: Some(media.clone()),
        ..image()
    });
    let again = wp.publish(&second).await.unwrap();
    assert_eq!(again.media.as_deref(), Some(media.as_str()));
    assert_eq!(media_count(&running).await, 1);
    // It stays attached to the post it was uploaded for.
    let (_, m) = read(&running, &format!("media/{media}")).await;
    assert_eq!(
        m["post"].as_i64(),
        Some(published.remote_id.parse().unwrap())
    );

    // Nothing remembered (the upload's answer was lost): found by its slug, not uploaded.
    let mut third = outgoing("reuse3", "Ba.");
    third.image = Some(image());
    assert_eq!(wp.publish(&third).await.unwrap().media, Some(media.clone()));
    assert_eq!(media_count(&running).await, 1);

    // A remembered id that is gone from the library: uploaded again, once.
    let mut fourth = outgoing("reuse4", "Bốn.");
    fourth.image = Some(Image {
        remote_id: Some("999999".into()),
        key: "blob-other".into(),
        ..image()
    });
    let fresh = wp.publish(&fourth).await.unwrap().media.unwrap();
    assert_ne!(fresh, media);
    assert_eq!(media_count(&running).await, 2);
}

#[tokio::test]
async fn an_upload_whose_answer_was_lost_is_not_uploaded_twice() {
    let (running, wp) = setup().await;
    let mut out = outgoing("lost1", "Nội dung.");
    out.image = Some(image());
    // The library search passes; the upload is saved but its answer lost.
    running.sim.force_after(1, Fault::CommitThenFail);
    assert!(matches!(
        wp.publish(&out).await,
        Err(Failure::Retryable { .. })
    ));
    assert_eq!(media_count(&running).await, 1);
    let published = wp.publish(&out).await.unwrap();
    assert_eq!(media_count(&running).await, 1);
    let (_, m) = read(&running, &format!("media/{}", published.media.unwrap())).await;
    // Found again unattached, it is attached to the post it was uploaded for.
    assert_eq!(
        m["post"].as_i64(),
        Some(published.remote_id.parse().unwrap())
    );
}

/// WordPress saves a post, then sets its featured image in a second query of the same request.
/// A lookup after Loa gave up may land between the two (or the request may die there): the
/// post found has no image yet. The lookup finishes the job: the image Loa uploaded is found
/// by its slug, set as the post's featured image, attached, and its alt text set.
#[tokio::test]
async fn a_post_found_before_its_image_was_set_gets_it_from_the_lookup() {
    let (running, _) = setup_with(sim::Options {
        featured_after_ms: 3_000,
        ..sim::Options::default()
    })
    .await;
    let wp = WordPress::new(
        crate::connectors::http_client(std::time::Duration::from_millis(500)),
        creds(&running, None),
    );
    let mut out = outgoing("half1", "Nội dung có ảnh.");
    let mut img = image();
    img.alt = "Bảng niêm yết ngân sách".into();
    out.image = Some(img.clone());
    assert!(matches!(
        wp.publish(&out).await,
        Err(Failure::Ambiguous { .. })
    ));
    let found = wp.find(&out, 0).await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let media = found[0]
        .media
        .clone()
        .expect("the image is found and set by the lookup");
    let (_, post) = read_post(&running, &found[0].remote_id).await;
    assert_eq!(post["featured_media"].as_i64(), media.parse().ok());
    let (_, m) = read(&running, &format!("media/{media}")).await;
    assert_eq!(
        m["post"].as_i64(),
        found[0].remote_id.parse().ok(),
        "attached"
    );
    assert_eq!(
        html_escape::decode_html_entities(m["alt_text"].as_str().unwrap()),
        img.alt
    );
    assert_eq!(media_count(&running).await, 1, "one image");
}
