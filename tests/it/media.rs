//! The media library over HTTP: uploads are judged by their bytes, stripped of location data,
//! turned into channel variants of the right sizes, scoped to units, and a post with an image
//! lacking alt text cannot be approved.

use std::io::Cursor;

use reqwest::multipart::{Form, Part};

use crate::both;
use crate::helpers::{Backend, Page, TestApp, Visitor, id_from_location};
use crate::posts::{campaign, post_form};

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A JPEG carrying an Exif APP1 segment with a GPS IFD pointer (as phones write them).
fn jpeg_with_gps() -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x / 3) as u8, (y / 2) as u8, 128])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    let jpeg = out.into_inner();
    // TIFF header (little endian), IFD0 with one entry: GPSInfo (0x8825) → offset 26, then an
    // empty GPS IFD with a latitude-ref entry.
    let mut tiff: Vec<u8> = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&[1, 0, 0x25, 0x88, 4, 0, 1, 0, 0, 0, 26, 0, 0, 0, 0, 0, 0, 0]);
    tiff.extend_from_slice(&[1, 0, 1, 0, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let len = (app1.len() + 2) as u16;
    let mut with = jpeg[..2].to_vec();
    with.extend_from_slice(&[0xFF, 0xE1]);
    with.extend_from_slice(&len.to_be_bytes());
    with.extend_from_slice(&app1);
    with.extend_from_slice(&jpeg[2..]);
    with
}

pub async fn upload(v: &Visitor, name: &str, bytes: Vec<u8>, alt: &str) -> Page {
    let form = Form::new()
        .part("file", Part::bytes(bytes).file_name(name.to_string()))
        .text("alt_text", alt.to_string())
        .text("focal_x", "0.5")
        .text("focal_y", "0.5");
    v.post_multipart("/media", form).await
}

async fn fetch(v: &Visitor, path: &str) -> Vec<u8> {
    let resp = v
        .http
        .get(format!("{}{path}", v.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.bytes().await.unwrap().to_vec()
}

async fn uploads_are_sniffed_stripped_and_get_channel_variants(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;

    // A PNG named .jpg is judged by its bytes.
    let page = upload(&officer, "poster.jpg", png(2400, 1600), "Áp phích PAPI").await;
    assert!(
        page.redirects_to("/media/"),
        "{} {}",
        page.status,
        page.body
    );
    let id = id_from_location(&page, "/media/");
    let item = app.state.store.media(id).await.unwrap();
    assert_eq!(
        (item.format.as_str(), item.width, item.height),
        ("png", 2400, 1600)
    );
    for (kind, w, h) in [
        ("facebook_link", 1200, 630),
        ("square", 1080, 1080),
        ("thumbnail", 320, 320),
    ] {
        let bytes = fetch(&officer, &format!("/media/{id}/file/{kind}")).await;
        let img = image::load_from_memory(&bytes).unwrap();
        assert_eq!((img.width(), img.height()), (w, h), "{kind}");
    }
    let zalo = fetch(&officer, &format!("/media/{id}/file/zalo_cover")).await;
    let img = image::load_from_memory(&zalo).unwrap();
    assert!(
        zalo.len() < 1_000_000 && img.width() * 9 == img.height() * 16,
        "Zalo cover is 16:9 under 1 MB"
    );

    // Location data does not survive.
    let page = upload(&officer, "phone.jpg", jpeg_with_gps(), "Ảnh chụp").await;
    let id = id_from_location(&page, "/media/");
    let original = fetch(&officer, &format!("/media/{id}/file/original")).await;
    assert!(
        !original.windows(6).any(|w| w == b"Exif\0\0"),
        "EXIF is stripped"
    );

    // Not an image: refused by its bytes.
    let text = upload(&officer, "anh.png", b"day khong phai anh".to_vec(), "").await;
    assert_eq!(text.status, 422);
    assert!(text.body.contains("id=\"e-file\""));
    // The limit is 20 MiB: a picture of exactly that size is taken, one byte more is refused
    // with the file's own message (the form's hint "tối đa 20 MB" is on every page, so the
    // check reads the error tied to the field), and so is a body past the multipart limit.
    let limit = 20 * 1024 * 1024;
    let mut exact = png(64, 64);
    exact.resize(limit, 0);
    let taken = upload(&officer, "exact.png", exact.clone(), "Đúng 20 MB").await;
    assert!(
        taken.redirects_to("/media/"),
        "{} {}",
        taken.status,
        taken.body
    );
    // From here on: refused, nothing stored.
    let before = app.state.store.list_media(None, 100, 0).await.unwrap().1;
    let file_error = |body: &str| -> String {
        let at = body
            .find("id=\"e-file\">")
            .expect("an error tied to the file field");
        body[at..].split("</p>").next().unwrap().to_string()
    };
    exact.push(0);
    let over = upload(&officer, "over.png", exact, "").await;
    assert_eq!(over.status, 422);
    assert_eq!(file_error(&over.body), "id=\"e-file\">Ảnh lớn hơn 20 MB.");
    let huge = upload(&officer, "scan.png", vec![0u8; 22 * 1024 * 1024], "").await;
    assert_eq!(huge.status, 422);
    assert_eq!(file_error(&huge.body), "id=\"e-file\">Ảnh lớn hơn 20 MB.");
    let form = Form::new().part("file", Part::bytes(png(10, 10)).file_name("a.png"));
    let no_token = officer
        .http
        .post(format!("{}/media", officer.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 403);
    assert_eq!(
        app.state.store.list_media(None, 100, 0).await.unwrap().1,
        before
    );
}
both!(uploads_are_sniffed_stripped_and_get_channel_variants);

async fn alt_text_is_required_to_approve_and_units_are_scoped(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let ba_dinh = app.logged_in("badinh", "district", "001").await;
    let hoan_kiem = app.logged_in("hoankiem", "district", "002").await;
    let cid = campaign(&app, &officer).await;

    let page = upload(&ba_dinh, "cho-hang-da.png", png(1600, 900), "").await;
    let media = id_from_location(&page, "/media/");
    assert_eq!(hoan_kiem.get(&format!("/media/{media}")).await.status, 404);
    assert_eq!(
        hoan_kiem
            .http
            .get(format!("{}/media/{media}/file/thumbnail", hoan_kiem.base))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // Hoàn Kiếm cannot attach Ba Đình's image either.
    let media_s = media.to_string();
    let refused = hoan_kiem
        .post_pairs(
            &format!("/campaigns/{cid}/posts/new"),
            &post_form("Mượn ảnh", &[("media_id", &media_s)]),
        )
        .await;
    assert_eq!(refused.status, 422);

    let page = ba_dinh
        .post_pairs(
            &format!("/campaigns/{cid}/posts/new"),
            &post_form("Có ảnh", &[("media_id", &media_s), ("channel", "zalo")]),
        )
        .await;
    let post = id_from_location(&page, "/posts/");
    let v = app
        .state
        .store
        .post(post)
        .await
        .unwrap()
        .version
        .to_string();
    assert!(
        ba_dinh
            .post(
                &format!("/posts/{post}/transition"),
                &[("action", "submit"), ("version", &v)]
            )
            .await
            .redirects_to("/posts/")
    );
    let v = app
        .state
        .store
        .post(post)
        .await
        .unwrap()
        .version
        .to_string();
    let page = officer
        .post(
            &format!("/posts/{post}/transition"),
            &[("action", "approve"), ("version", &v)],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("chưa có mô tả (alt)"));
    assert_eq!(
        app.state.store.post(post).await.unwrap().status.as_str(),
        "submitted"
    );

    // Alt text added (and the focal point moved): approval goes through.
    let saved = ba_dinh
        .post(
            &format!("/media/{media}"),
            &[
                ("alt_text", "Chợ Hàng Da sáng sớm"),
                ("focal_x", "0.2"),
                ("focal_y", "0.5"),
            ],
        )
        .await;
    assert!(
        saved.redirects_to(&format!("/media/{media}")),
        "{} {}",
        saved.status,
        saved.body
    );
    let page = officer
        .post(
            &format!("/posts/{post}/transition"),
            &[("action", "approve"), ("version", &v)],
        )
        .await;
    assert!(
        page.redirects_to("/posts/"),
        "{} {}",
        page.status,
        page.body
    );
}
both!(alt_text_is_required_to_approve_and_units_are_scoped);
