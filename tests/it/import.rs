//! Bulk CSV import: 500 Vietnamese rows land in one go; one broken row, a wrong encoding or a
//! missing column imports nothing and names the line and column.

use reqwest::multipart::{Form, Part};

use crate::both;
use crate::helpers::{Backend, TestApp, hanoi_day};
use crate::posts::campaign;

fn csv(rows: usize, bad_line: Option<usize>) -> String {
    let mut s = String::from("title,body,channels,link,hashtags,scheduled_at,unit\n");
    for i in 0..rows {
        // Line numbers count the header as line 1.
        let line = i + 2;
        let channels = if Some(line) == bad_line {
            "facebook;fax"
        } else {
            "facebook;telegram;portal"
        };
        let unit = ["001", "002", "003", ""][i % 4];
        s.push_str(&format!(
            "\"Bài số {i}: Công khai ngân sách\",\"Phường công khai dự toán, quyết toán.\nNgười dân xem tại trụ sở, gồm cả \"\"bảng tin\"\".\",{channels},https://hanoi.gov.vn/papi/{i},#PAPI,{} 0{}:{:02},{unit}\n",
            hanoi_day(1 + (i % 20) as i64),
            7 + i % 3,
            i % 60
        ));
    }
    s
}

/// Uploads like the page does and follows a good import to its result page (POST-redirect-GET).
async fn upload(
    app: &TestApp,
    v: &crate::helpers::Visitor,
    cid: i64,
    bytes: Vec<u8>,
    schedule: bool,
) -> crate::helpers::Page {
    upload_once(app, v, cid, bytes, schedule, None).await
}

async fn upload_once(
    app: &TestApp,
    v: &crate::helpers::Visitor,
    cid: i64,
    bytes: Vec<u8>,
    schedule: bool,
    once: Option<&str>,
) -> crate::helpers::Page {
    let _ = app;
    let page = post_file(v, cid, bytes, schedule, once).await;
    if page.redirects_to(&format!("/campaigns/{cid}/imports/")) {
        return v.get(page.location.as_deref().unwrap()).await;
    }
    page
}

async fn post_file(
    v: &crate::helpers::Visitor,
    cid: i64,
    bytes: Vec<u8>,
    schedule: bool,
    once: Option<&str>,
) -> crate::helpers::Page {
    let mut form = Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name("bai-dang.csv")
            .mime_str("text/csv")
            .unwrap(),
    );
    if schedule {
        form = form.text("schedule", "1");
    }
    if let Some(key) = once {
        form = form.text("once", key.to_string());
    }
    v.post_multipart(&format!("/campaigns/{cid}/import"), form)
        .await
}

async fn count(app: &TestApp) -> i64 {
    app.state
        .store
        .list_posts(&Default::default(), None, 1, 0)
        .await
        .unwrap()
        .1
}

async fn five_hundred_rows_import_and_one_bad_row_imports_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = campaign(&app, &officer).await;

    let bad = upload(&app, &officer, cid, csv(500, Some(37)).into_bytes(), false).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(
        bad.body.contains("<td>37</td><td>channels</td>"),
        "the row and column are named"
    );
    assert!(bad.body.contains("fax"), "the bad value is quoted");
    assert_eq!(count(&app).await, 0, "nothing imported");

    let good = upload(&app, &officer, cid, csv(500, None).into_bytes(), true).await;
    assert_eq!(good.status, 200, "{}", good.body);
    assert!(good.body.contains("Đã nhập 500 bài"));
    assert_eq!(count(&app).await, 500);
    let (posts, _) = app
        .state
        .store
        .list_posts(&Default::default(), None, 500, 0)
        .await
        .unwrap();
    assert!(
        posts
            .iter()
            .all(|p| p.status.as_str() == "scheduled" && p.scheduled_at.is_some())
    );
    let sample = posts
        .iter()
        .find(|p| p.title == "Bài số 5: Công khai ngân sách")
        .unwrap();
    assert_eq!(sample.unit_code.as_deref(), Some("002"));
    assert!(
        sample.body.contains("\"bảng tin\""),
        "quoted Vietnamese text survives"
    );
    let history = app.state.store.post_history(sample.post_id).await.unwrap();
    assert_eq!(history[0].to_status.as_str(), "scheduled");
}
both!(five_hundred_rows_import_and_one_bad_row_imports_nothing);

async fn wrong_encoding_missing_columns_and_bad_values_are_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = campaign(&app, &officer).await;

    // "Bài đăng" in Windows-1258 is not UTF-8.
    let legacy = b"title,body,channels\nB\xe0i \xf0\xe3ng,N\xf4i dung,facebook\n".to_vec();
    let page = upload(&app, &officer, cid, legacy, false).await;
    assert!(
        page.status == 422 && page.body.contains("không phải mã UTF-8"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<td>2</td>"),
        "the first line with bad bytes is named"
    );

    let utf16 = vec![0xFF, 0xFE, b't', 0, b'i', 0];
    assert!(
        upload(&app, &officer, cid, utf16, false)
            .await
            .body
            .contains("UTF-16")
    );

    let missing = upload(
        &app,
        &officer,
        cid,
        b"title,link\nA,https://x.vn\n".to_vec(),
        false,
    )
    .await;
    assert!(missing.body.contains("<td>body</td>") && missing.body.contains("<td>channels</td>"));

    let rows = format!(
        "title,body,channels,scheduled_at,unit,media\nA,B,facebook,2020-01-01 08:00,001,\nC,D,zalo,{} 08:00,005,\nE,F,portal,,,khong-co.jpg\nG,\"H\",facebook,31/12/2026,,\nI,J\n",
        hanoi_day(2)
    );
    let page = upload(&app, &officer, cid, rows.into_bytes(), false).await;
    assert_eq!(page.status, 422);
    for fragment in [
        "<td>2</td><td>scheduled_at</td><td>Thời điểm đăng đã qua.",
        "<td>3</td><td>unit</td>",
        "<td>4</td><td>media</td>",
        "<td>5</td><td>scheduled_at</td>",
        "<td>6</td><td></td>",
    ] {
        assert!(page.body.contains(fragment), "missing {fragment}");
    }
    let scheduled_without_time = "title,body,channels\nA,B,facebook\n".to_string();
    let page = upload(
        &app,
        &officer,
        cid,
        scheduled_without_time.into_bytes(),
        true,
    )
    .await;
    assert!(page.body.contains("<td>2</td><td>scheduled_at</td>"));
    assert_eq!(count(&app).await, 0);
}
both!(wrong_encoding_missing_columns_and_bad_values_are_named);

async fn vietnamese_headers_name_the_real_column_and_cause(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = campaign(&app, &officer).await;
    let rows = "tieu_de,noi_dung,kenh,link,lich,don_vi\n\
         ,Nội dung có đủ,facebook;zalo,,,\n\
         Tiêu đề,Nội dung có đủ,facebook,hanoi.gov.vn,,\n";
    let page = upload(&app, &officer, cid, rows.as_bytes().to_vec(), false).await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("<td>2</td><td>tieu_de</td>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<td>3</td><td>link</td>"));
    assert!(
        !page.body.contains("<td>2</td><td>noi_dung</td>")
            && !page.body.contains("<td>3</td><td>noi_dung</td>"),
        "a filled body is never reported missing"
    );
    assert!(!page.body.contains("<td>title</td>") && !page.body.contains("<td>body</td>"));
    // One channel's problem names the channel, under the file's own column name.
    let zalo = format!(
        "tieu_de,noi_dung,kenh,lich\nBài Zalo,Nội dung,zalo,{} 08:00\n",
        hanoi_day(2)
    );
    let page = upload(&app, &officer, cid, zalo.into_bytes(), true).await;
    assert!(
        page.body.contains("<td>2</td><td>anh</td><td>Zalo OA: "),
        "{}",
        page.body
    );
    let missing = upload(
        &app,
        &officer,
        cid,
        b"tieu_de,kenh\nA,facebook\n".to_vec(),
        false,
    )
    .await;
    assert!(
        missing.body.contains("<td>noi_dung</td>"),
        "{}",
        missing.body
    );
    assert_eq!(count(&app).await, 0);
}
both!(vietnamese_headers_name_the_real_column_and_cause);

async fn the_sample_file_imports_and_imported_posts_are_listed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = campaign(&app, &officer).await;
    let form = officer.get(&format!("/campaigns/{cid}/import")).await.body;
    let href = format!("/campaigns/{cid}/import/mau-nhap-bai.csv");
    assert!(form.contains(&format!("href=\"{href}\"")));
    let sample = officer
        .http
        .get(format!("{}{href}", officer.base))
        .send()
        .await
        .unwrap();
    assert_eq!(sample.status(), 200);
    assert!(
        sample.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("mau-nhap-bai.csv")
    );
    let bytes = sample.bytes().await.unwrap().to_vec();
    assert!(
        bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
        "a byte-order mark for Excel"
    );
    assert!(String::from_utf8_lossy(&bytes).contains("tieu_de,noi_dung,kenh"));

    let page = upload(&app, &officer, cid, bytes, false).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Đã nhập 2 bài"));
    let (posts, _) = app
        .state
        .store
        .list_posts(&Default::default(), None, 10, 0)
        .await
        .unwrap();
    assert_eq!(posts.len(), 2);
    for p in &posts {
        assert!(
            page.body.contains(&format!(
                "<a href=\"/posts/{}\"><span lang=\"vi\">{}</span></a>",
                p.post_id, p.title
            )),
            "{} is listed with its link",
            p.title
        );
    }
}
both!(the_sample_file_imports_and_imported_posts_are_listed);

/// Posts imported "as scheduled" get their deliveries from the worker and go out on their day,
/// each once, through the city's own accounts.
async fn imported_scheduled_posts_are_published_on_their_day(backend: Backend) {
    use loa::sandbox;
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = campaign(&app, &officer).await;
    let any = "127.0.0.1:0".parse().unwrap();
    let fb = sandbox::facebook::spawn(any).await.unwrap();
    let tg = sandbox::telegram::spawn(any).await.unwrap();
    crate::publishing::connect(&app, &fb, None).await;
    crate::publishing::connect(&app, &tg, None).await;
    let mut file = String::from("title,body,channels,scheduled_at,unit\n");
    for i in 0..3 {
        file.push_str(&format!(
            "Lịch tiếp dân số {i},Chủ tịch phường tiếp công dân sáng thứ Năm.,facebook;telegram,{} 08:0{i},\n",
            hanoi_day(1)
        ));
    }
    let page = upload(&app, &officer, cid, file.into_bytes(), true).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let (posts, _) = app
        .state
        .store
        .list_posts(&Default::default(), None, 10, 0)
        .await
        .unwrap();
    assert_eq!(posts.len(), 3);

    // The worker a day and a half later: the repair step gives each post its deliveries, the
    // dispatcher sends them.
    let publisher = crate::publishing::publisher(&app, "w1");
    let later = loa::clock::now_ms() + 36 * 3_600_000;
    // Telegram takes about one message a second per chat (429 with retry_after otherwise),
    // in real time, so the steps wait for it.
    for step in 0..30 {
        publisher.step(later + step * 2_000).await.unwrap();
        let mut open = 0;
        for p in &posts {
            let deliveries = app.state.store.deliveries_of_post(p.post_id).await.unwrap();
            open += deliveries
                .iter()
                .filter(|d| d.state.as_str() != "published")
                .count();
        }
        if open == 0 && step > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    }
    for p in &posts {
        let deliveries = app.state.store.deliveries_of_post(p.post_id).await.unwrap();
        assert_eq!(deliveries.len(), 2, "{}: one per channel", p.title);
        assert!(
            deliveries.iter().all(|d| d.state.as_str() == "published"),
            "{}: {deliveries:?}",
            p.title
        );
        assert_eq!(
            app.state
                .store
                .post(p.post_id)
                .await
                .unwrap()
                .status
                .as_str(),
            "published"
        );
    }
    for sim in [&fb, &tg] {
        let stats = sim.sim.stats();
        assert_eq!(
            (stats.created, stats.duplicates),
            (3, 0),
            "{:?}: {stats:?}",
            sim.kind
        );
    }
}
both!(imported_scheduled_posts_are_published_on_their_day);

/// The database failing at row 300 of 500 (here a trigger standing for a full disk or a lost
/// connection) leaves no post of the file behind: the import is one transaction.
async fn a_failure_in_the_middle_of_the_write_leaves_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = campaign(&app, &officer).await;
    let url = app._db.url.clone();
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        for sql in [
            "create function fail_300() returns trigger language plpgsql as $$ begin \
             if new.title like 'Bài số 300:%' then raise exception 'disk went away'; end if; \
             return new; end $$",
            "create trigger fail_300 before insert on post for each row execute function fail_300()",
        ] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query(
            "create trigger fail_300 before insert on post when new.title like 'Bài số 300:%' \
             begin select raise(abort, 'disk went away'); end",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    let page = upload(&app, &officer, cid, csv(500, None).into_bytes(), true).await;
    assert_eq!(page.status, 500, "{}", page.body);
    assert_eq!(count(&app).await, 0, "not one post of the file stayed");
}
both!(a_failure_in_the_middle_of_the_write_leaves_nothing);

/// The same import form submitted twice (a double click, or a resend after the answer was
/// lost) creates its posts — and, imported as scheduled, their deliveries — once; the repeat
/// lands on the first import's result. Two submissions racing each other do the same.
async fn a_double_submitted_import_creates_its_posts_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = campaign(&app, &officer).await;
    let form = officer.get(&format!("/campaigns/{cid}/import")).await.body;
    let key = form
        .split("name=\"once\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the import form carries a one-time key")
        .to_string();
    let bytes = csv(20, None).into_bytes();
    let first = post_file(&officer, cid, bytes.clone(), true, Some(&key)).await;
    assert!(
        first.redirects_to(&format!("/campaigns/{cid}/imports/")),
        "{}",
        first.status
    );
    let second = post_file(&officer, cid, bytes.clone(), true, Some(&key)).await;
    assert_eq!(
        second.location, first.location,
        "the repeat answers with the first result"
    );
    assert_eq!(count(&app).await, 20, "the posts exist once");
    let result = officer.get(first.location.as_deref().unwrap()).await;
    assert_eq!(result.status, 200);
    assert!(result.body.contains("Đã nhập 20 bài"), "{}", result.body);

    // Two at once with a fresh key: one creates, the other answers with its result.
    let key2 = "hai-lan-cung-luc-0123456789";
    let (a, b) = tokio::join!(
        post_file(&officer, cid, bytes.clone(), false, Some(key2)),
        post_file(&officer, cid, bytes.clone(), false, Some(key2)),
    );
    assert!(
        a.redirects_to("/campaigns/") && b.redirects_to("/campaigns/"),
        "{} {}",
        a.status,
        b.status
    );
    assert_eq!(a.location, b.location);
    assert_eq!(count(&app).await, 40, "the racing pair created one import");
    // A new key is a new import.
    let third = post_file(&officer, cid, bytes, false, Some("mot-lan-nua-0123456789")).await;
    assert!(third.redirects_to("/campaigns/"));
    assert_eq!(count(&app).await, 60);
}
both!(a_double_submitted_import_creates_its_posts_once);
