//! Faults under Loa and what it keeps on disk (security review 2026-12): a lost database gives
//! a Vietnamese page fast (F8), a failed upload leaves no orphan file and `/healthz` reports
//! storage trouble (F9), the data folder is private (F10), a bad focal point is shown on the
//! upload form (F11), and public images are served with their own type.

use std::io::Cursor;
use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};

use crate::both;
use crate::helpers::{Backend, Page, TestApp, Visitor};

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 7 % 256) as u8, (y * 3 % 256) as u8, 40])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload(v: &Visitor, bytes: Vec<u8>, focal_x: &str) -> Page {
    let form = Form::new()
        .part("file", Part::bytes(bytes).file_name("anh.png"))
        .text("alt_text", "Ảnh thử")
        .text("focal_x", focal_x.to_string())
        .text("focal_y", "0.5");
    v.post_multipart("/media", form).await
}

/// Every file under `dir`, the SQLite database aside.
fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

async fn a_lost_database_gives_a_vietnamese_page_quickly(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    assert_eq!(officer.get("/campaigns").await.status, 200);
    app.state.store.close().await;

    let started = Instant::now();
    let page = officer.get("/campaigns").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(
        page.body
            .contains("Loa không kết nối được tới cơ sở dữ liệu"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("err_"), "no catalog key: {}", page.body);
    assert!(page.headers.contains_key("retry-after"));
    let post = officer.post_raw("/units/001/fields", &[]).await;
    assert_eq!(post.status, 503, "{}", post.body);
    let health = officer.get("/healthz").await;
    assert_eq!(health.status, 503);
    assert!(
        health.body.contains("\"database\":\"down\""),
        "{}",
        health.body
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}
both!(a_lost_database_gives_a_vietnamese_page_quickly);

async fn a_failed_upload_leaves_no_file_behind(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let bytes = png(800, 600);
    // Where this upload's blobs will go: the master, then its variants. A plain file where
    // a variant's folder belongs makes that write fail after the master is stored, as a full
    // disk would.
    let ingested = loa::media::ingest(&bytes, &loa::media::MediaLimits::default()).unwrap();
    let variants =
        loa::media::render_all(&ingested.bytes, loa::media::Focal { x: 0.5, y: 0.5 }).unwrap();
    let master = ingested.sha256.clone();
    let blocked = variants
        .iter()
        .map(|v| loa::media::sha256_hex(&v.bytes))
        .find(|k| k[0..2] != master[0..2])
        .expect("a variant in another folder");
    let media = app.state.config.data_dir.join("media");
    std::fs::create_dir_all(&media).unwrap();
    std::fs::write(media.join(&blocked[0..2]), b"not a folder").unwrap();

    let page = upload(&officer, bytes, "0.5").await;
    assert_eq!(page.status, 500, "{}", page.body);
    let left: Vec<_> = files(&media)
        .into_iter()
        .filter(|p| !p.ends_with(&blocked[0..2]))
        .collect();
    assert!(left.is_empty(), "orphan blobs: {left:?}");
}
both!(a_failed_upload_leaves_no_file_behind);

async fn healthz_reports_a_data_folder_that_takes_no_write(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let v = app.visitor();
    let ok = v.get("/healthz").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("\"storage\":\"ok\""), "{}", ok.body);
    // The probe's own name taken by a folder: the write fails as on a read-only disk.
    let probe = app.state.config.data_dir.join(".loa-health-probe");
    std::fs::create_dir(&probe).unwrap();
    let page = v.get("/healthz").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(
        page.body.contains("\"storage\":\"unwritable\""),
        "{}",
        page.body
    );
    std::fs::remove_dir(&probe).unwrap();
    assert_eq!(v.get("/healthz").await.status, 200);
}
both!(healthz_reports_a_data_folder_that_takes_no_write);

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_folder_and_database_are_private_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let outer = tempfile::tempdir().unwrap();
    // A data folder and database left readable by everyone, as umask 022 makes them.
    let data = outer.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = data.join("loa.db");
    let url = format!("sqlite://{}", db.display());
    let mut config = loa::config::Config::for_data_dir(&data, Some(url));
    config.admin_password = Some(crate::helpers::ADMIN_PASSWORD.into());
    config.run_worker = false;
    let app = loa::startup::Application::build(config).await.unwrap();
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&db), 0o600);
    for suffix in ["-wal", "-shm"] {
        let p = data.join(format!("loa.db{suffix}"));
        if p.exists() {
            assert_eq!(mode(&p) & 0o077, 0, "{}", p.display());
        }
    }
    assert_eq!(mode(&data.join("media")), 0o700);
    // An uploaded image is readable by Loa's user only.
    let key = state.blobs.put(&png(4, 4)).await.unwrap();
    let path = data
        .join("media")
        .join(loa::media::blob_path(&key).unwrap());
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
}

async fn an_invalid_focal_point_is_shown_on_the_upload_form(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    for bad in ["NaN", "inf", "1e309", "-1"] {
        let page = upload(&officer, png(64, 64), bad).await;
        assert_eq!(page.status, 422, "{bad}");
        assert!(
            page.body.contains(&format!(
                "Tiêu điểm phải là số từ 0 đến 1 (nhận được “{bad}”)"
            )),
            "{bad}: {}",
            page.body
        );
        assert!(page.body.contains("id=\"e-focal_x\""), "{bad}");
    }
}
both!(an_invalid_focal_point_is_shown_on_the_upload_form);

async fn a_public_png_is_served_as_png(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let page = upload(&officer, png(320, 200), "0.5").await;
    let id = crate::helpers::id_from_location(&page, "/media/");
    let item = app.state.store.media(id).await.unwrap();
    assert_eq!(item.format, "png");
    let resp = app.visitor().get(&format!("/m/{}", item.sha256)).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.headers["content-type"], "image/png");
}
both!(a_public_png_is_served_as_png);
