//! Engagement per district: links in published posts become tracked short links per account
//! and unit, clicks land in daily rollups (robots apart), metrics are polled from the channel,
//! and bad slugs get a citizen's page, not an error.

use std::time::Duration;

use hmac::{Hmac, Mac};
use loa::connectors::Credentials;
use loa::engagement::poller::Poller;
use loa::sandbox::{self, Running};
use sha2::Sha256;

use crate::both;
use crate::helpers::{Backend, TestApp};
use crate::publishing::{connect, publisher};
use loa::store::{PostRecord, VariantRow};

pub const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";

/// A client as a citizen's browser: no cookies, redirects not followed.
pub fn citizen() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn follow(app: &TestApp, slug: &str, ua: &str) -> reqwest::Response {
    citizen()
        .get(format!("{}/{slug}", app.base))
        .header("user-agent", ua)
        .header("referer", "https://m.facebook.com/story.php?id=1")
        .send()
        .await
        .unwrap()
}

/// The message of a post on a simulated page, read through the Graph API like a client.
async fn message_on_page(r: &Running, post_id: &str) -> String {
    let Credentials::Facebook {
        base_url,
        page_token,
        app_secret,
        ..
    } = sandbox::accounts::credentials(r)
    else {
        unreachable!()
    };
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret.unwrap_or_default().as_bytes()).unwrap();
    mac.update(page_token.as_bytes());
    let proof = hex::encode(mac.finalize().into_bytes());
    let v: serde_json::Value = reqwest::Client::new()
        .get(format!("{base_url}/{post_id}"))
        .query(&[
            ("fields", "message"),
            ("access_token", &page_token),
            ("appsecret_proof", &proof),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["message"].as_str().unwrap_or_default().to_string()
}

/// A city page and the pages of districts 001 and 002, each with its own post (the city's,
/// and each district's) carrying a link in the text; all three published.
pub async fn published_to_three_pages(app: &TestApp) -> (Vec<i64>, Vec<Running>, Vec<i64>) {
    let snapshot = app.state.store.active_snapshot().await.unwrap();
    let officer = app.logged_in("hoa", "officer", "").await;
    let cid = officer.new_campaign("Tương tác").await;
    let author = app.state.store.campaign(cid).await.unwrap().created_by;
    let any = "127.0.0.1:0".parse().unwrap();
    let (mut sims, mut units, mut posts) = (Vec::new(), Vec::new(), Vec::new());
    let due = loa::clock::now_ms() - 1_000;
    for code in [None, Some("001"), Some("002")] {
        let r = sandbox::facebook::spawn(any).await.unwrap();
        let unit = match code {
            Some(c) => Some(
                app.state
                    .store
                    .area_by_code(&snapshot, c)
                    .await
                    .unwrap()
                    .area_id,
            ),
            None => None,
        };
        connect(app, &r, unit).await;
        let body = "Xem chi tiết tại https://hanoi.gov.vn/papi/0.".to_string();
        let record = PostRecord {
            unit_id: unit,
            title: "Công khai ngân sách".into(),
            body: body.clone(),
            link: Some("https://hanoi.gov.vn/papi/0".into()),
            scheduled_at: Some(due),
            variants: vec![VariantRow {
                channel: "facebook".into(),
                title: "Công khai ngân sách".into(),
                summary: String::new(),
                body,
                edited: false,
            }],
            ..PostRecord::default()
        };
        let id = app
            .state
            .store
            .create_posts(cid, author, loa::content::PostStatus::Scheduled, &[record])
            .await
            .unwrap()[0];
        app.state.store.schedule_deliveries(id, due).await.unwrap();
        units.push(unit.unwrap_or(0));
        sims.push(r);
        posts.push(id);
    }
    let p = publisher(app, "engagement");
    for _ in 0..50 {
        p.step(loa::clock::now_ms()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut done = true;
        for id in &posts {
            done &= app.state.store.post(*id).await.unwrap().status.as_str() == "published";
        }
        if done {
            break;
        }
    }
    for id in &posts {
        assert_eq!(
            app.state.store.post(*id).await.unwrap().status.as_str(),
            "published"
        );
    }
    (posts, sims, units)
}

async fn published_links_are_tracked_per_district(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (posts, sims, units) = published_to_three_pages(&app).await;
    // Each page got its own short link in place of the original address.
    let mut slugs = Vec::new();
    for ((post, r), unit) in posts.iter().zip(&sims).zip(&units) {
        let d = &app.state.store.deliveries_of_post(*post).await.unwrap()[0];
        let message = message_on_page(r, d.remote_id.as_deref().unwrap()).await;
        let links = app.state.store.post_link_clicks(*post).await.unwrap();
        assert_eq!(links.len(), 1, "one address, one link");
        assert_eq!(links[0].unit_id.unwrap_or(0), *unit);
        assert_eq!(
            message,
            format!("Xem chi tiết tại {}/{}.", app.base, links[0].slug)
        );
        slugs.push(links[0].slug.clone());
    }
    let post = posts[1];
    let ba_dinh = slugs[1].clone();
    let answer = follow(&app, &ba_dinh, IPHONE).await;
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(
            "https://hanoi.gov.vn/papi/0?utm_source=facebook&utm_medium=social&utm_campaign=loa-"
        ),
        "{location}"
    );
    assert!(location.ends_with("&utm_content=001"), "{location}");
    // The same reader twice more, a robot once on district 002's link.
    follow(&app, &ba_dinh, IPHONE).await;
    follow(&app, &ba_dinh, IPHONE).await;
    assert_eq!(
        follow(&app, &slugs[2], "facebookexternalhit/1.1")
            .await
            .status(),
        302
    );
    assert_eq!(app.state.store.click_count().await.unwrap(), 4);
    let campaign = app.state.store.post(post).await.unwrap().campaign_id;
    let rows = app.state.store.campaign_engagement(campaign).await.unwrap();
    let row = |code: &str| {
        rows.iter()
            .find(|r| r.unit_code.as_deref() == Some(code))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!((row("001").link_clicks, row("001").unique_visitors), (3, 1));
    assert_eq!(row("002").link_clicks, 0, "robots are left out");
    let links = app.state.store.post_link_clicks(posts[2]).await.unwrap();
    assert_eq!((links[0].clicks, links[0].bot_clicks), (0, 1));

    // Unknown, malformed and absurd slugs: a friendly page, nothing recorded.
    for path in ["zzzz2zz", "abc", "%00", &"a".repeat(3000)] {
        let r = citizen()
            .get(format!("{}/{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert!(
            r.text().await.unwrap().contains("Liên kết không còn"),
            "{path}"
        );
    }
    assert_eq!(app.state.store.click_count().await.unwrap(), 4);

    // Days later the visitor keys and the salt are gone; counts and rollups stay.
    let mut worker = loa::worker::Worker::default();
    let later = loa::clock::now_ms() + 3 * 86_400_000;
    let outcome = worker.run_once(&app.state.store, 15, later).await.unwrap();
    assert!(outcome.click_keys_purged >= 2, "{outcome:?}");
    assert_eq!(app.state.store.click_rollup_total().await.unwrap(), 4);

    // Officers see every unit; district staff only their own row.
    let officer = app.logged_in("lan", "officer", "").await;
    let page = officer.get(&format!("/campaigns/{campaign}")).await;
    assert!(page.body.contains("Tương tác theo đơn vị"), "{}", page.body);
    let district = app.logged_in("tuan", "district", "002").await;
    let page = district.get(&format!("/campaigns/{campaign}")).await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains(">3<"),
        "district 002 sees 001's clicks: {}",
        page.body
    );
    assert_eq!(
        district.get(&format!("/posts/{post}")).await.status,
        404,
        "001's post"
    );
}
both!(published_links_are_tracked_per_district);

async fn metrics_are_polled_on_schedule_and_on_demand(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (posts, sims, _) = published_to_three_pages(&app).await;
    let mut deliveries = Vec::new();
    for p in &posts {
        deliveries.extend(app.state.store.deliveries_of_post(*p).await.unwrap());
    }
    for (i, (d, r)) in deliveries.iter().zip(&sims).enumerate() {
        let body = serde_json::json!({"post_id": d.remote_id, "views": 100 * (i + 1), "reactions": 7, "comments": 2, "shares": 1});
        let status = reqwest::Client::new()
            .post(format!("{}/_sim/engagement", r.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success());
    }
    let poller = Poller {
        store: app.state.store.clone(),
        secret: app.state.secret.clone(),
        http: loa::connectors::http_client(Duration::from_secs(5)),
        batch: 50,
    };
    let now = loa::clock::now_ms();
    // Nothing is due before the first hour.
    assert_eq!(poller.step(now).await.unwrap().polled, 0);
    let report = poller.step(now + 3_600_000 + 1_000).await.unwrap();
    assert_eq!(report.polled, 3, "{report:?}");
    let mut snaps = Vec::new();
    for p in &posts {
        snaps.extend(app.state.store.post_snapshots(*p).await.unwrap());
    }
    let mut views: Vec<i64> = snaps.iter().filter_map(|s| s.views).collect();
    views.sort();
    assert_eq!(views, vec![100, 200, 300]);
    assert!(
        snaps
            .iter()
            .all(|s| s.reactions == Some(7) && s.shares == Some(1))
    );
    // The next round is six hours after publishing; "refresh now" polls again at once.
    assert_eq!(
        poller.step(now + 3_600_000 + 2_000).await.unwrap().polled,
        0
    );
    let post = posts[2];
    let officer = app.logged_in("lan", "officer", "").await;
    let page = officer.post(&format!("/posts/{post}/metrics"), &[]).await;
    assert!(
        page.redirects_to(&format!("/posts/{post}?notice=metrics_refresh_queued")),
        "{}",
        page.status
    );
    assert_eq!(poller.step(loa::clock::now_ms()).await.unwrap().polled, 1);
    assert_eq!(app.state.store.post_snapshots(post).await.unwrap().len(), 2);
    let page = officer.get(&format!("/posts/{post}")).await;
    assert!(
        page.body.contains("Lượt xem") && page.body.contains(">300<"),
        "{}",
        page.body
    );
    // A manager may read but not ask.
    let manager = app.logged_in("mai", "manager", "").await;
    assert_eq!(
        manager
            .post(&format!("/posts/{post}/metrics"), &[])
            .await
            .status,
        403
    );
}
both!(metrics_are_polled_on_schedule_and_on_demand);
