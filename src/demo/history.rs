//! Ten weeks of past activity for the demo workspace: posts published by the city and by
//! district pages, the metrics the poller would have collected (reach growing fast, then
//! levelling off), tracked links with daily clicks (a small share flagged as bots) and QR
//! posters scanned in wards. Written through the store's backfill functions, never through
//! the dispatcher.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::workspace::{CAMPAIGNS, USERS, Workspace};
use crate::connectors::Kind;
use crate::engagement::links::LinkSpec;
use crate::store::{
    BackfillClicks, BackfillDelivery, BackfillSnapshot, LinkRow, PostRecord, Store, VariantRow,
};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// Counts of what was written, for the summary.
#[derive(Default, Debug)]
pub struct Written {
    pub posts: usize,
    pub deliveries: usize,
    pub snapshots: usize,
    pub click_days: usize,
}

/// Subjects rotated week by week, per campaign.
const SUBJECTS: [[&str; 3]; 4] = [
    [
        "Xem thu chi ngân sách phường ở đâu?",
        "Danh sách hộ nghèo được niêm yết công khai",
        "Hỏi đáp: dự toán ngân sách năm nay của phường",
    ],
    [
        "Đường dây nóng tiếp nhận phản ánh của người dân",
        "Theo dõi kết quả trả lời phản ánh trên Cổng",
        "Tiếp công dân định kỳ: lịch tháng này",
    ],
    [
        "Chuẩn bị hồ sơ trước khi đến bộ phận một cửa",
        "Tra cứu tình trạng hồ sơ bằng mã biên nhận",
        "Hồ sơ trễ hẹn giảm: kết quả tháng qua",
    ],
    [
        "Nộp hồ sơ trực tuyến bằng tài khoản VNeID",
        "Thanh toán lệ phí trực tuyến: từng bước",
        "Dịch vụ công mức độ toàn trình: những thủ tục nào?",
    ],
];

/// Midnight of a Hanoi day, in UTC ms, plus `hour` Hanoi hours.
pub fn hanoi_at(day: time::Date, hour: i64) -> i64 {
    day.midnight().assume_utc().unix_timestamp() * 1000 - 7 * HOUR + hour * HOUR
}

fn hanoi_day(ms: i64) -> String {
    crate::clock::to_hanoi(ms).date().to_string()
}

/// Writes the history; `today` is the Hanoi day, `now` UTC ms.
pub async fn backfill(
    store: &Store,
    ws: &Workspace,
    today: time::Date,
    now: i64,
) -> anyhow::Result<Written> {
    let mut rng = StdRng::seed_from_u64(2026);
    let mut w = Written::default();
    let first = today - time::Duration::days(super::HISTORY_DAYS);
    let officer = ws.users["demo-officer"];
    let staff: HashMap<&str, i64> = USERS
        .iter()
        .filter(|u| !u.2.is_empty())
        .map(|u| (u.2, ws.users[u.0]))
        .collect();
    for (ci, (&campaign_id, spec)) in ws.campaigns.iter().zip(CAMPAIGNS.iter()).enumerate() {
        let (targets, landing) = (spec.targets, spec.landing);
        // (post, account, unit, published at, reach) of every delivery, for links and clicks.
        let mut published: Vec<(i64, i64, Option<i64>, i64, i64)> = Vec::new();
        for week in 0..super::HISTORY_DAYS / 7 {
            let day = first + time::Duration::days(week * 7 + ci as i64);
            let subject = SUBJECTS[ci][week as usize % 3];
            let at = hanoi_at(day, 9 + ci as i64);
            if at > now - 2 * HOUR {
                continue;
            }
            let kinds: Vec<(Kind, i64)> = ws
                .city_accounts
                .iter()
                .copied()
                .filter(|(k, _)| match k {
                    Kind::Zalo => week % 2 == 0,
                    Kind::Telegram => week % 2 == 1,
                    Kind::Mastodon => week % 3 == 0,
                    _ => true,
                })
                .collect();
            let post =
                new_post(store, campaign_id, officer, None, subject, landing, &kinds).await?;
            for (d, (kind, account)) in post_deliveries(store, post, at, officer, &kinds).await? {
                let reach = final_reach(&mut rng, kind, true);
                w.snapshots += snapshots(store, d, at, now, reach, &mut rng).await?;
                published.push((post, account, None, at, reach));
                w.deliveries += 1;
            }
            w.posts += 1;
            for code in targets.iter() {
                let Some(&page) = ws.district_pages.get(*code) else {
                    continue;
                };
                if rng.gen_bool(0.25) {
                    continue;
                }
                let at = hanoi_at(day + time::Duration::days(1), 15);
                if at > now - 2 * HOUR {
                    continue;
                }
                let unit = ws.units[*code];
                let author = staff.get(code).copied().unwrap_or(officer);
                let kinds = [(Kind::Facebook, page)];
                let post = new_post(
                    store,
                    campaign_id,
                    author,
                    Some(unit),
                    subject,
                    landing,
                    &kinds,
                )
                .await?;
                for (d, _) in post_deliveries(store, post, at, author, &kinds).await? {
                    let reach = final_reach(&mut rng, Kind::Facebook, false);
                    w.snapshots += snapshots(store, d, at, now, reach, &mut rng).await?;
                    published.push((post, page, Some(unit), at, reach));
                    w.deliveries += 1;
                }
                w.posts += 1;
            }
        }
        w.click_days += post_clicks(store, campaign_id, landing, &published, now, &mut rng).await?;
        w.click_days += super::qr::backfill(
            store,
            ws,
            campaign_id,
            targets,
            landing,
            first,
            today,
            &mut rng,
        )
        .await?;
    }
    Ok(w)
}

async fn new_post(
    store: &Store,
    campaign_id: i64,
    author: i64,
    unit_id: Option<i64>,
    subject: &str,
    landing: &str,
    kinds: &[(Kind, i64)],
) -> anyhow::Result<i64> {
    let body = format!(
        "{subject}. Thông tin chi tiết và hướng dẫn tại {landing} — (dữ liệu minh họa của bản demo Loa)"
    );
    let rec = PostRecord {
        unit_id,
        title: format!("[Demo] {subject}"),
        body: body.clone(),
        link: Some(landing.to_string()),
        hashtags: "#HaNoi #PAPI".into(),
        variants: kinds
            .iter()
            .map(|(k, _)| VariantRow {
                channel: k.channel().as_str().into(),
                title: format!("[Demo] {subject}"),
                summary: subject.into(),
                body: body.clone(),
                edited: false,
            })
            .collect(),
        ..Default::default()
    };
    Ok(store
        .create_posts(
            campaign_id,
            author,
            crate::content::PostStatus::Draft,
            &[rec],
        )
        .await?[0])
}

async fn post_deliveries(
    store: &Store,
    post: i64,
    at: i64,
    actor: i64,
    kinds: &[(Kind, i64)],
) -> anyhow::Result<Vec<(i64, (Kind, i64))>> {
    let rows: Vec<BackfillDelivery> = kinds
        .iter()
        .map(|(k, a)| BackfillDelivery {
            account_id: *a,
            remote_id: format!("demo-{post}-{a}"),
            remote_url: format!("https://demo.loa.invalid/{}/{post}", k.as_str()),
        })
        .collect();
    let ids = store.backfill_published(post, at, actor, &rows).await?;
    Ok(ids.into_iter().zip(kinds.iter().copied()).collect())
}

/// Where a post's reach levels off: big city pages reach more than a district page.
fn final_reach(rng: &mut StdRng, kind: Kind, city: bool) -> i64 {
    let (lo, hi) = match (kind, city) {
        (Kind::Facebook, true) => (6_000, 15_000),
        (Kind::Facebook, false) => (700, 4_000),
        (Kind::Wordpress, _) => (500, 2_500),
        (Kind::Zalo, _) => (2_000, 5_000),
        (Kind::Telegram, _) => (300, 900),
        _ => (50, 300),
    };
    rng.gen_range(lo..hi)
}

/// Share of the final reach after `t` ms: fast at first, then levelling off.
fn curve(t: i64) -> f64 {
    1.0 - (-(t as f64) / (1.5 * DAY as f64)).exp()
}

async fn snapshots(
    store: &Store,
    delivery: i64,
    at: i64,
    now: i64,
    reach: i64,
    rng: &mut StdRng,
) -> anyhow::Result<usize> {
    let rows: Vec<BackfillSnapshot> = [
        HOUR,
        6 * HOUR,
        DAY,
        2 * DAY,
        4 * DAY,
        7 * DAY,
        14 * DAY,
        28 * DAY,
    ]
    .into_iter()
    .filter(|o| at + o < now)
    .map(|o| {
        let r = (reach as f64 * curve(o)) as i64;
        BackfillSnapshot {
            delivery_id: delivery,
            at: at + o,
            views: r + r * rng.gen_range(20..60) / 100,
            reach: r,
            reactions: r * rng.gen_range(15..45) / 1000,
            comments: r * rng.gen_range(2..8) / 1000,
            shares: r * rng.gen_range(1..4) / 1000,
            clicks: r * rng.gen_range(5..15) / 1000,
        }
    })
    .collect();
    store.backfill_snapshots(&rows).await?;
    Ok(rows.len())
}

/// One tracked link per delivery, with daily clicks decaying over two weeks after publishing.
async fn post_clicks(
    store: &Store,
    campaign_id: i64,
    landing: &str,
    published: &[(i64, i64, Option<i64>, i64, i64)],
    now: i64,
    rng: &mut StdRng,
) -> anyhow::Result<usize> {
    let specs: Vec<LinkSpec> = published
        .iter()
        .map(|(post, account, unit, _, _)| LinkSpec {
            campaign_id,
            post_id: Some(*post),
            account_id: Some(*account),
            unit_id: *unit,
            source: "post",
            destination: landing.to_string(),
        })
        .collect();
    for chunk in specs.chunks(100) {
        let rows: Vec<LinkRow> = chunk
            .iter()
            .map(|spec| LinkRow {
                spec,
                destination: format!(
                    "{landing}?utm_source=loa-demo&utm_campaign=loa-{campaign_id}"
                ),
                slug: crate::engagement::links::new_slug(),
            })
            .collect();
        store.ensure_links(&rows).await?;
    }
    let ids: HashMap<(i64, i64), i64> = store
        .campaign_links(campaign_id, "post")
        .await?
        .into_iter()
        .filter_map(|l| Some(((l.post_id?, l.account_id?), l.link_id)))
        .collect();
    let mut rows = Vec::new();
    for (post, account, _, at, reach) in published {
        let Some(&link_id) = ids.get(&(*post, *account)) else {
            continue;
        };
        let total = (*reach as f64) * rng.gen_range(0.008..0.02);
        for d in 0..14 {
            let t = at + d * DAY;
            if t > now {
                break;
            }
            let clicks = (total * (curve((d + 1) * DAY) - curve(d * DAY))).round() as i64;
            let bots = i64::from(rng.gen_bool(0.3)) + clicks / 25;
            if clicks + bots == 0 {
                continue;
            }
            rows.push(BackfillClicks {
                link_id,
                day: hanoi_day(t),
                clicks,
                unique_visitors: clicks * 85 / 100,
                bot_clicks: bots,
            });
        }
    }
    store.backfill_click_daily(&rows).await?;
    Ok(rows.len())
}
