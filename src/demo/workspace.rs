//! The demo workspace's people, channel accounts and campaigns: fake, and labelled as such
//! (accounts `demo-…`, titles and account names starting with `[Demo]`).

use std::collections::HashMap;

use anyhow::Context;

use crate::accounts::{AccountError, AccountInput};
use crate::connectors::Kind;
use crate::sandbox::Running;
use crate::store::{CampaignRecord, CampaignTarget, NewAccount, Store};
use crate::web::AppState;

/// Every demo account logs in with this password: the data is fake and stays on this machine.
pub const DEMO_PASSWORD: &str = "loa-demo-2026";

/// (username, role, unit code, display name).
pub const USERS: [(&str, &str, &str, &str); 5] = [
    (
        "demo-officer",
        "officer",
        "",
        "[Demo] Cán bộ truyền thông Thành phố",
    ),
    ("demo-manager", "manager", "", "[Demo] Lãnh đạo theo dõi"),
    (
        "demo-badinh",
        "district",
        "001",
        "[Demo] Cán bộ Quận Ba Đình",
    ),
    (
        "demo-hoankiem",
        "district",
        "002",
        "[Demo] Cán bộ Quận Hoàn Kiếm",
    ),
    (
        "demo-caugiay",
        "district",
        "005",
        "[Demo] Cán bộ Quận Cầu Giấy",
    ),
];

/// Districts with their own Facebook page in the demo (the first three have staff).
pub const PAGE_DISTRICTS: [&str; 6] = ["001", "002", "005", "003", "004", "006"];

/// One demo campaign: a PAPI dimension, its target districts and the page its posts link to.
pub struct DemoCampaign {
    pub title: &'static str,
    pub objective: &'static str,
    pub owner: &'static str,
    pub dimension: &'static str,
    pub targets: &'static [&'static str],
    pub landing: &'static str,
}

pub const CAMPAIGNS: [DemoCampaign; 4] = [
    DemoCampaign {
        title: "[Demo] Công khai ngân sách phường, xã 2026",
        objective: "Người dân biết nơi xem thu chi ngân sách và danh sách hộ nghèo của phường mình.",
        owner: "vp-ubnd",
        dimension: "D2",
        targets: &["001", "002", "005", "003"],
        landing: "https://demo.loa.invalid/cong-khai-ngan-sach",
    },
    DemoCampaign {
        title: "[Demo] Phản ánh, kiến nghị: chính quyền trả lời",
        objective: "Giới thiệu đường dây nóng và cách theo dõi trả lời phản ánh của người dân.",
        owner: "thanh-tra",
        dimension: "D3",
        targets: &["001", "005", "004", "006"],
        landing: "https://demo.loa.invalid/phan-anh-kien-nghi",
    },
    DemoCampaign {
        title: "[Demo] Thủ tục một cửa: đúng hẹn, không phiền hà",
        objective: "Giảm hồ sơ trễ hẹn; hướng dẫn người dân chuẩn bị giấy tờ trước khi đến bộ phận một cửa.",
        owner: "so-noi-vu",
        dimension: "D5",
        targets: &["002", "005", "003", "006"],
        landing: "https://demo.loa.invalid/mot-cua",
    },
    DemoCampaign {
        title: "[Demo] Dịch vụ công trực tuyến và VNeID",
        objective: "Tăng số hồ sơ nộp trực tuyến qua Cổng dịch vụ công và tài khoản định danh điện tử.",
        owner: "so-kh-cn",
        dimension: "D8",
        targets: &["001", "002", "004", "006"],
        landing: "https://demo.loa.invalid/dich-vu-cong",
    },
];

/// Ids the rest of the loader needs.
pub struct Workspace {
    pub users: HashMap<&'static str, i64>,
    /// Unit code → area id, for the districts the demo uses.
    pub units: HashMap<String, i64>,
    /// City accounts by kind, and each district's Facebook page.
    pub city_accounts: Vec<(Kind, i64)>,
    pub district_pages: HashMap<String, i64>,
    pub campaigns: Vec<i64>,
}

pub async fn create(
    state: &AppState,
    sims: &[Running],
    today: time::Date,
) -> anyhow::Result<Workspace> {
    let store = &state.store;
    let snapshot = store.active_snapshot().await?;
    let mut units = HashMap::new();
    for code in PAGE_DISTRICTS {
        let area = store
            .area_by_code(&snapshot, code)
            .await
            .with_context(|| format!("district {code} is not in snapshot {snapshot}"))?;
        units.insert(code.to_string(), area.area_id);
    }
    let mut users = HashMap::new();
    for (username, role, unit, name) in USERS {
        let input = AccountInput {
            username: username.into(),
            display_name: name.into(),
            role: role.into(),
            unit_code: unit.into(),
            password: DEMO_PASSWORD.into(),
        };
        let id = match crate::accounts::create(store, None, &input).await {
            Ok(c) => c.user_id,
            Err(AccountError::Invalid(e)) => anyhow::bail!("demo user {username}: {e:?}"),
            Err(AccountError::NotFound) => anyhow::bail!("demo user {username}: not found"),
            Err(AccountError::Other(e)) => return Err(e),
        };
        users.insert(username, id);
    }
    let mut city_accounts = Vec::new();
    for kind in [
        Kind::Facebook,
        Kind::Wordpress,
        Kind::Zalo,
        Kind::Telegram,
        Kind::Mastodon,
    ] {
        let name = match kind {
            Kind::Facebook => "[Demo] Fanpage Thành phố Hà Nội",
            Kind::Wordpress => "[Demo] Cổng thông tin Thành phố",
            Kind::Zalo => "[Demo] Zalo OA Hà Nội",
            Kind::Telegram => "[Demo] Kênh Telegram Thành phố",
            _ => "[Demo] Mastodon Thành phố",
        };
        city_accounts.push((kind, add_account(state, sims, kind, name, None).await?));
    }
    let mut district_pages = HashMap::new();
    for code in PAGE_DISTRICTS {
        let area = store.area_by_code(&snapshot, code).await?;
        let name = format!("[Demo] Fanpage {}", area.name);
        let id = add_account(state, sims, Kind::Facebook, &name, Some(area.area_id)).await?;
        district_pages.insert(code.to_string(), id);
    }
    let mut campaigns = Vec::new();
    for c in &CAMPAIGNS {
        let rec = CampaignRecord {
            title: c.title.into(),
            objective: c.objective.into(),
            owner_code: c.owner.into(),
            snapshot: snapshot.clone(),
            status: "active".into(),
            starts_on: (today - time::Duration::days(super::HISTORY_DAYS)).to_string(),
            ends_on: (today + time::Duration::days(28)).to_string(),
            dimensions: vec![c.dimension.into()],
            targets: c
                .targets
                .iter()
                .map(|code| CampaignTarget {
                    area_id: units[*code],
                    kpi_posts: Some(10),
                    kpi_reach: Some(25_000),
                    kpi_clicks: Some(900),
                    kpi_scans: Some(250),
                    ..Default::default()
                })
                .collect(),
        };
        campaigns.push(
            store
                .create_campaign(&rec, users["demo-officer"], |_| Default::default())
                .await?,
        );
    }
    Ok(Workspace {
        users,
        units,
        city_accounts,
        district_pages,
        campaigns,
    })
}

async fn add_account(
    state: &AppState,
    sims: &[Running],
    kind: Kind,
    name: &str,
    unit_id: Option<i64>,
) -> anyhow::Result<i64> {
    let sealed = seal_for(state, sims, kind)?;
    Ok(state
        .store
        .create_account(&NewAccount {
            kind: kind.as_str(),
            name,
            unit_id,
            sealed_credentials: &sealed,
            sandbox: true,
            rate_per_minute: 30,
            concurrency: 2,
        })
        .await?)
}

/// Sealed credentials for the running simulator of `kind`.
pub fn seal_for(state: &AppState, sims: &[Running], kind: Kind) -> anyhow::Result<String> {
    let sim = sims
        .iter()
        .find(|r| r.kind == kind)
        .with_context(|| format!("no {} simulator running", kind.as_str()))?;
    let creds = crate::sandbox::accounts::credentials(sim);
    Ok(state.secret.seal(&serde_json::to_vec(&creds)?))
}

/// On reuse, points the demo's sandbox accounts at the simulators running now (their ports
/// may differ from last time).
pub async fn repoint_accounts(
    store: &Store,
    state: &AppState,
    sims: &[Running],
) -> anyhow::Result<()> {
    for a in store.list_accounts(None).await? {
        if !a.sandbox || !a.name.starts_with("[Demo]") {
            continue;
        }
        let Some(kind) = Kind::ALL.into_iter().find(|k| k.as_str() == a.kind) else {
            continue;
        };
        let sealed = seal_for(state, sims, kind)?;
        store
            .swap_credentials(a.account_id, &a.sealed_credentials, &sealed)
            .await?;
    }
    Ok(())
}
