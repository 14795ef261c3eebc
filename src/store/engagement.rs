//! Engagement read back for pages: wards a campaign reaches, its QR codes with scans and
//! placements, totals by unit (clicks from rollups, metrics from each delivery's latest
//! snapshot), and a post's links. Reports read `click_daily`, never raw clicks.

use serde::Serialize;

use super::{Store, StoreResult, on_pool};

/// A ward or commune a campaign reaches, with its district.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Ward {
    pub area_id: i64,
    pub code: String,
    pub name: String,
    pub district_code: String,
    pub district_name: String,
}

/// A QR code of a campaign with what it gathered.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct QrCodeRow {
    pub link_id: i64,
    pub slug: String,
    pub unit_id: Option<i64>,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    pub district_code: Option<String>,
    pub destination: String,
    pub scans: i64,
    pub placements: i64,
}

/// One unit's engagement in a campaign: links and QR from rollups, channel metrics summed
/// from each delivery's latest snapshot. `unit_code` None is the city.
#[derive(Clone, Debug, Default, Serialize, sqlx::FromRow)]
pub struct UnitEngagement {
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    pub link_clicks: i64,
    pub qr_scans: i64,
    pub unique_visitors: i64,
    pub views: i64,
    pub reactions: i64,
    pub comments: i64,
    pub shares: i64,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Placement {
    pub placement_id: i64,
    pub link_id: i64,
    pub place: String,
    pub placed_on: String,
    pub note: String,
    pub created_by: String,
    pub created_at: i64,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct LinkClicks {
    pub unit_id: Option<i64>,
    pub slug: String,
    pub destination: String,
    pub account: Option<String>,
    pub unit_name: Option<String>,
    pub clicks: i64,
    pub unique_visitors: i64,
    pub bot_clicks: i64,
}

/// The district of a link's unit: the unit itself, or the parent of a ward.
const DISTRICT_OF_LINK: &str = "left join area u on u.area_id = l.unit_id \
     left join area up on up.snapshot = u.snapshot and up.code = u.parent_code and up.level = 'district' ";

impl Store {
    /// Wards of the campaign's target districts, and target communes themselves (2025-07).
    pub async fn campaign_wards(&self, campaign_id: i64) -> StoreResult<Vec<Ward>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select c.area_id, c.code, c.name, d.code as district_code, d.name as district_name \
             from campaign_target t join area d on d.area_id = t.area_id \
             join area c on c.snapshot = d.snapshot and c.parent_code = d.code and c.level = 'commune' \
             where t.campaign_id = $1 \
             union all \
             select d.area_id, d.code, d.name, d.code, d.name from campaign_target t \
             join area d on d.area_id = t.area_id where t.campaign_id = $1 and d.level = 'commune' \
             order by 4, 2")
            .bind(campaign_id).fetch_all(pool).await)?)
    }

    pub async fn campaign_qr_codes(&self, campaign_id: i64) -> StoreResult<Vec<QrCodeRow>> {
        self.fold_clicks().await?;
        let sql = format!(
            "select l.link_id, l.slug, l.unit_id, u.code as unit_code, u.name as unit_name, \
             coalesce(up.code, u.code) as district_code, l.destination, \
             coalesce((select cast(sum(cd.clicks) as bigint) from click_daily cd where cd.link_id = l.link_id), 0) as scans, \
             (select count(*) from qr_placement p where p.link_id = l.link_id) as placements \
             from tracked_link l {DISTRICT_OF_LINK} \
             where l.campaign_id = $1 and l.source = 'qr' order by district_code, unit_code, l.link_id"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(campaign_id).fetch_all(pool).await)?)
    }

    /// Totals by district (wards roll up into their district); the city's own row has no code.
    pub async fn campaign_engagement(&self, campaign_id: i64) -> StoreResult<Vec<UnitEngagement>> {
        self.fold_clicks().await?;
        let sql = format!(
            "with clicks as (select coalesce(up.code, u.code) as unit_code, coalesce(up.name, u.name) as unit_name, \
               cast(sum(case when l.source = 'post' then cd.clicks else 0 end) as bigint) as link_clicks, \
               cast(sum(case when l.source = 'qr' then cd.clicks else 0 end) as bigint) as qr_scans, \
               cast(sum(cd.unique_visitors) as bigint) as unique_visitors \
               from click_daily cd join tracked_link l on l.link_id = cd.link_id {DISTRICT_OF_LINK} \
               where l.campaign_id = $1 group by 1, 2), \
             latest as (select s.delivery_id, max(s.snapshot_id) as snapshot_id from metric_snapshot s \
               join delivery d on d.delivery_id = s.delivery_id join post p on p.post_id = d.post_id \
               where p.campaign_id = $1 and s.note = '' group by s.delivery_id), \
             metrics as (select u.code as unit_code, u.name as unit_name, \
               cast(sum(coalesce(s.views, 0)) as bigint) as views, cast(sum(coalesce(s.reactions, 0)) as bigint) as reactions, \
               cast(sum(coalesce(s.comments, 0)) as bigint) as comments, cast(sum(coalesce(s.shares, 0)) as bigint) as shares \
               from latest join metric_snapshot s on s.snapshot_id = latest.snapshot_id \
               join delivery d on d.delivery_id = s.delivery_id \
               join channel_account a on a.account_id = d.account_id \
               left join area u on u.area_id = a.unit_id group by 1, 2), \
             units as (select unit_code, unit_name from clicks union select unit_code, unit_name from metrics) \
             select units.unit_code, units.unit_name, \
               coalesce(c.link_clicks, 0) as link_clicks, coalesce(c.qr_scans, 0) as qr_scans, \
               coalesce(c.unique_visitors, 0) as unique_visitors, coalesce(m.views, 0) as views, \
               coalesce(m.reactions, 0) as reactions, coalesce(m.comments, 0) as comments, \
               coalesce(m.shares, 0) as shares \
             from units left join clicks c on c.unit_code is not distinct from units.unit_code \
             left join metrics m on m.unit_code is not distinct from units.unit_code \
             order by units.unit_code nulls first"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(campaign_id).fetch_all(pool).await)?)
    }

    /// A post's tracked links with their clicks.
    pub async fn post_link_clicks(&self, post_id: i64) -> StoreResult<Vec<LinkClicks>> {
        self.fold_clicks().await?;
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select l.unit_id, l.slug, l.destination, a.name as account, u.name as unit_name, \
             coalesce(cast(sum(cd.clicks) as bigint), 0) as clicks, coalesce(cast(sum(cd.unique_visitors) as bigint), 0) as unique_visitors, \
             coalesce(cast(sum(cd.bot_clicks) as bigint), 0) as bot_clicks \
             from tracked_link l left join channel_account a on a.account_id = l.account_id \
             left join area u on u.area_id = l.unit_id left join click_daily cd on cd.link_id = l.link_id \
             where l.post_id = $1 group by l.link_id, l.unit_id, l.slug, l.destination, a.name, u.name order by l.link_id")
            .bind(post_id).fetch_all(pool).await)?)
    }

    pub async fn add_placement(
        &self,
        link_id: i64,
        place: &str,
        placed_on: &str,
        note: &str,
        user_id: i64,
    ) -> StoreResult<i64> {
        let now = crate::clock::now_ms();
        Ok(on_pool!(self, pool => sqlx::query_scalar(
            "insert into qr_placement (link_id, place, placed_on, note, created_by, created_at) \
             values ($1, $2, $3, $4, $5, $6) returning placement_id")
            .bind(link_id).bind(place).bind(placed_on).bind(note).bind(user_id).bind(now)
            .fetch_one(pool).await)?)
    }

    pub async fn campaign_placements(&self, campaign_id: i64) -> StoreResult<Vec<Placement>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select p.placement_id, p.link_id, p.place, p.placed_on, p.note, u.display_name as created_by, p.created_at \
             from qr_placement p join tracked_link l on l.link_id = p.link_id \
             join app_user u on u.user_id = p.created_by where l.campaign_id = $1 \
             order by p.placed_on desc, p.placement_id desc")
            .bind(campaign_id).fetch_all(pool).await)?)
    }
}
