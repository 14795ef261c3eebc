//! What moves while the newcomer watches: posts scheduled a few seconds ahead that the real
//! dispatcher publishes to the simulators (then the poller collects their metrics), and a
//! trickle of clicks through the real redirect with varied browsers and a few bots.

use std::time::Duration;

use rand::Rng;

use super::workspace::CAMPAIGNS;
use crate::connectors::Kind;
use crate::store::{CampaignFilter, PostRecord, Store, VariantRow};

/// Schedules one city post and two district posts in the next minute or so; returns their ids.
/// Runs on every start, so each demo shows fresh publishing.
pub async fn schedule(store: &Store, now: i64) -> anyhow::Result<Vec<i64>> {
    let campaigns = demo_campaigns(store).await?;
    let Some(&campaign_id) = campaigns.first() else {
        return Ok(Vec::new());
    };
    let mut ids = Vec::new();
    let landing = CAMPAIGNS[0].landing;
    let snapshot = store.active_snapshot().await?;
    let officer = store.user_for_login("demo-officer").await?.0.user_id;
    let clock = crate::clock::format_hanoi(now);
    let city_channels = [
        Kind::Facebook,
        Kind::Wordpress,
        Kind::Telegram,
        Kind::Mastodon,
    ];
    let plan: [(Option<&str>, &[Kind], i64); 3] = [
        (None, &city_channels, 20_000),
        (Some("001"), &[Kind::Facebook], 45_000),
        (Some("005"), &[Kind::Facebook], 70_000),
    ];
    for (unit, kinds, delay) in plan {
        let (unit_id, author, who) = match unit {
            Some(code) => {
                let area = store.area_by_code(&snapshot, code).await?;
                let user = if code == "001" {
                    "demo-badinh"
                } else {
                    "demo-caugiay"
                };
                (
                    Some(area.area_id),
                    store.user_for_login(user).await?.0.user_id,
                    area.name,
                )
            }
            None => (None, officer, "Thành phố".to_string()),
        };
        let title = format!("[Demo] Trực tiếp ({who}, {clock}): ngân sách phường đã được niêm yết");
        let body = format!(
            "Bài đăng trực tiếp của bản demo Loa: thu chi ngân sách phường năm nay đã niêm yết. Xem tại {landing}"
        );
        let rec = PostRecord {
            unit_id,
            title: title.clone(),
            body: body.clone(),
            link: Some(landing.into()),
            hashtags: "#HaNoi #PAPI".into(),
            scheduled_at: Some(now + delay),
            variants: kinds
                .iter()
                .map(|k| VariantRow {
                    channel: k.channel().as_str().into(),
                    title: title.clone(),
                    summary: "Ngân sách phường đã được niêm yết".into(),
                    body: body.clone(),
                    edited: false,
                })
                .collect(),
            ..Default::default()
        };
        let id = store
            .create_posts(
                campaign_id,
                author,
                crate::content::PostStatus::Scheduled,
                &[rec],
            )
            .await?[0];
        store.schedule_deliveries(id, now + delay).await?;
        ids.push(id);
    }
    Ok(ids)
}

/// The poller's first round comes an hour after publishing; the demo asks for the live posts'
/// metrics every 30 s for ten minutes instead (the "refresh now" of the post page), so the
/// simulated audience's reactions show up while the newcomer watches.
pub fn spawn_metric_refresh(store: Store, posts: Vec<i64>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_secs(30)).await;
            for id in &posts {
                let _ = store
                    .refresh_post_metrics(*id, crate::clock::now_ms())
                    .await;
            }
        }
    })
}

/// The demo's campaigns, by title prefix.
pub async fn demo_campaigns(store: &Store) -> anyhow::Result<Vec<i64>> {
    let filter = CampaignFilter {
        query: Some("[demo]".into()),
        ..Default::default()
    };
    let (list, _) = store.list_campaigns(&filter, None, 50, 0).await?;
    let mut ids: Vec<i64> = list.iter().map(|c| c.campaign_id).collect();
    ids.sort();
    Ok(ids)
}

const AGENTS: [&str; 7] = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; Redmi Note 12) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Mobile Safari/537.36 Zalo android/12",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/470.0]",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
];

/// Every couple of seconds, one click on a random demo link through `base` (Loa's own
/// redirect), as a phone, a desktop or now and then a crawler would.
pub fn spawn_traffic(store: Store, base: String) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let Ok(client) = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(5))
            .build()
        else {
            return;
        };
        let mut slugs: Vec<String> = Vec::new();
        for round in 0u64.. {
            if round % 30 == 0 {
                slugs.clear();
                for id in demo_campaigns(&store).await.unwrap_or_default() {
                    for source in ["post", "qr"] {
                        if let Ok(links) = store.campaign_links(id, source).await {
                            slugs.extend(links.into_iter().map(|l| l.slug));
                        }
                    }
                }
            }
            let pick = {
                let mut rng = rand::thread_rng();
                let wait = rng.gen_range(2_000..4_000);
                let slug =
                    (!slugs.is_empty()).then(|| slugs[rng.gen_range(0..slugs.len())].clone());
                let agent = AGENTS[if rng.gen_bool(0.05) {
                    6
                } else {
                    rng.gen_range(0..6)
                }];
                (wait, slug, agent)
            };
            tokio::time::sleep(Duration::from_millis(pick.0)).await;
            if let Some(slug) = pick.1 {
                let _ = client
                    .get(format!("{base}/{slug}"))
                    .header(reqwest::header::USER_AGENT, pick.2)
                    .header(reqwest::header::REFERER, "https://m.facebook.com/")
                    .send()
                    .await;
            }
        }
    })
}
