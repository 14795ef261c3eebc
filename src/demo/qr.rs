//! QR posters for the demo: three wards per target district, scanned a few times a day since
//! the first week of the campaign, and a share kit whose cascade shows every unit state.

use rand::Rng;
use rand::rngs::StdRng;

use super::workspace::Workspace;
use crate::engagement::links::LinkSpec;
use crate::store::{
    BackfillClicks, BackfillDelivery, Effects, LinkRow, NewKit, PostRecord, Store, VariantRow,
};

/// QR links per ward with their daily scans; returns the number of rollup rows written.
#[allow(clippy::too_many_arguments)]
pub async fn backfill(
    store: &Store,
    ws: &Workspace,
    campaign_id: i64,
    targets: &[&str],
    landing: &str,
    first: time::Date,
    today: time::Date,
    rng: &mut StdRng,
) -> anyhow::Result<usize> {
    let snapshot = store.active_snapshot().await?;
    let officer = ws.users["demo-officer"];
    let mut specs = Vec::new();
    for code in targets {
        for (ward, _) in store.demo_wards(&snapshot, code, 3).await? {
            specs.push(LinkSpec {
                campaign_id,
                post_id: None,
                account_id: None,
                unit_id: Some(ward),
                source: "qr",
                destination: landing.to_string(),
            });
        }
    }
    let rows: Vec<LinkRow> = specs
        .iter()
        .map(|spec| LinkRow {
            spec,
            destination: format!("{landing}?utm_source=qr&utm_campaign=loa-{campaign_id}"),
            slug: crate::engagement::links::new_slug(),
        })
        .collect();
    store.ensure_links(&rows).await?;
    let placed_on = (first + time::Duration::days(7)).to_string();
    let mut scans = Vec::new();
    for link in store.campaign_links(campaign_id, "qr").await? {
        store
            .add_placement(
                link.link_id,
                "[Demo] Bảng tin nhà văn hóa tổ dân phố",
                &placed_on,
                "",
                officer,
            )
            .await?;
        // Some wards scan far more than others: that is what the ward drill-down should show.
        let busy = rng.gen_range(1..6);
        let mut day = first + time::Duration::days(7);
        while day <= today {
            let n: i64 = rng.gen_range(0..=busy);
            let bots = i64::from(rng.gen_bool(0.05));
            if n + bots > 0 {
                scans.push(BackfillClicks {
                    link_id: link.link_id,
                    day: day.to_string(),
                    clicks: n,
                    unique_visitors: n,
                    bot_clicks: bots,
                });
            }
            day += time::Duration::days(1);
        }
    }
    store.backfill_click_daily(&scans).await?;
    Ok(scans.len())
}

/// A share kit on the latest city post of the first campaign: Ba Đình shared and published it,
/// Hoàn Kiếm declined, the others have not answered yet.
pub async fn share_kit(store: &Store, ws: &Workspace, now: i64) -> anyhow::Result<Option<i64>> {
    let campaign_id = ws.campaigns[0];
    let filter = crate::store::PostFilter {
        campaign_id: Some(campaign_id),
        status: Some(crate::content::PostStatus::Published),
        ..Default::default()
    };
    let (posts, _) = store.list_posts(&filter, None, 200, 0).await?;
    let Some(parent) = posts
        .into_iter()
        .filter(|p| p.unit_id.is_none())
        .max_by_key(|p| p.published_at)
    else {
        return Ok(None);
    };
    let units: Vec<i64> = ["001", "002", "005", "003"]
        .iter()
        .map(|c| ws.units[*c])
        .collect();
    let kit_id = store
        .create_kit(
            &NewKit {
                post_id: parent.post_id,
                campaign_id,
                deadline_at: now + 3 * 86_400_000,
                hints: "[Demo] Thêm tên phường và nơi niêm yết của quận mình.".into(),
                allow_title: true,
                allow_body: true,
                max_length: None,
                unit_ids: units.clone(),
                created_by: ws.users["demo-officer"],
            },
            |_| Effects::default(),
        )
        .await?;
    let kit = store.kit(kit_id).await?;
    let staff = ws.users["demo-badinh"];
    let body = format!(
        "{} Quận Ba Đình niêm yết tại trụ sở UBND các phường.",
        parent.body
    );
    let rec = PostRecord {
        unit_id: Some(units[0]),
        title: parent.title.clone(),
        body: body.clone(),
        link: parent.link.clone(),
        hashtags: parent.hashtags.clone(),
        variants: vec![VariantRow {
            channel: "facebook".into(),
            title: parent.title.clone(),
            summary: String::new(),
            body,
            edited: true,
        }],
        ..Default::default()
    };
    let page = ws.district_pages["001"];
    if let Some(local) = store
        .create_local_version(
            &kit,
            units[0],
            staff,
            crate::content::PostStatus::Draft,
            &rec,
            &[page],
            |_| Effects::default(),
        )
        .await?
    {
        let at = now - 3 * 3_600_000;
        let d = BackfillDelivery {
            account_id: page,
            remote_id: format!("demo-{local}-{page}"),
            remote_url: format!("https://demo.loa.invalid/facebook/{local}"),
        };
        store.backfill_published(local, at, staff, &[d]).await?;
    }
    store
        .decline_kit(
            kit_id,
            units[1],
            "[Demo] Quận đã đăng bài tương tự tuần trước.",
            &Default::default(),
        )
        .await?;
    Ok(Some(kit_id))
}
