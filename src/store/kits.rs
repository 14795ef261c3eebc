//! District share kits: a city post offered to target units with a deadline, one row per unit
//! recording whether it opened, declined or shared (its local version is an ordinary post of the
//! unit, so it publishes through the normal engine), and the reminders sent when it is late.
//!
//! A unit's state is derived, never stored twice: "scheduled" and "published" are read from the
//! local post's status, "shared at" from the first time that post was scheduled.

use serde::Serialize;

use super::effects::write_effects;
use super::posts::record_transition;
use super::{Effects, PostRecord, Store, StoreResult, on_pool, on_tx};
use crate::content::PostStatus;
use crate::states::KitStatus;

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Kit {
    pub kit_id: i64,
    pub post_id: i64,
    pub campaign_id: i64,
    pub campaign_title: String,
    pub title: String,
    pub deadline_at: i64,
    pub hints: String,
    pub allow_title: bool,
    pub allow_body: bool,
    pub max_length: Option<i64>,
    pub status: KitStatus,
    pub created_by: i64,
    pub created_at: i64,
    pub withdrawn_at: Option<i64>,
}

pub struct NewKit {
    pub post_id: i64,
    pub campaign_id: i64,
    pub deadline_at: i64,
    pub hints: String,
    pub allow_title: bool,
    pub allow_body: bool,
    pub max_length: Option<i64>,
    pub unit_ids: Vec<i64>,
    pub created_by: i64,
}

/// One target unit of a kit with its local version, if any.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct KitTarget {
    pub kit_id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub opened_at: Option<i64>,
    pub declined_at: Option<i64>,
    pub decline_reason: String,
    pub local_post_id: Option<i64>,
    pub local_status: Option<PostStatus>,
    pub local_title: Option<String>,
    /// First time the local version was scheduled.
    pub shared_at: Option<i64>,
    pub reminded_at: Option<i64>,
}

/// Share rate and timeliness of one unit over the kits due in a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct UnitShareRate {
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub kits_targeted: i64,
    pub shared: i64,
    pub shared_on_time: i64,
}

/// Engagement of one local version: clicks from rollups, channel metrics from each
/// delivery's latest snapshot.
#[derive(Clone, Debug, Default, Serialize, sqlx::FromRow)]
pub struct LocalEngagement {
    pub post_id: i64,
    pub clicks: i64,
    pub views: i64,
    pub reactions: i64,
    pub comments: i64,
    pub shares: i64,
}

/// Post statuses after which a local version counts as shared.
pub const SHARED_STATUSES: &str = "('scheduled', 'publishing', 'published', 'partially_published')";
/// Statuses from which withdrawing a kit cancels the local version.
const CANCELLABLE: &str = "('draft', 'submitted', 'changes_requested', 'approved', 'scheduled')";

const SELECT_KIT: &str = "select k.kit_id, k.post_id, k.campaign_id, c.title as campaign_title, \
     p.title, k.deadline_at, k.hints, k.allow_title, k.allow_body, k.max_length, k.status, \
     k.created_by, k.created_at, k.withdrawn_at from share_kit k join post p on p.post_id = k.post_id \
     join campaign c on c.campaign_id = k.campaign_id";

const SELECT_TARGET: &str = "select t.kit_id, t.unit_id, a.code as unit_code, a.name as unit_name, \
     t.opened_at, t.declined_at, t.decline_reason, t.local_post_id, lp.status as local_status, \
     lp.title as local_title, \
     (select min(tr.at) from post_transition tr where tr.post_id = t.local_post_id \
      and tr.to_status = 'scheduled') as shared_at, t.reminded_at \
     from kit_target t join area a on a.area_id = t.unit_id \
     left join post lp on lp.post_id = t.local_post_id";

impl Store {
    /// `Tx::create_kit` with `effects` for the new kit, in its own transaction (seeding).
    pub async fn create_kit(
        &self,
        new: &NewKit,
        effects: impl Fn(i64) -> Effects,
    ) -> StoreResult<i64> {
        let mut tx = self.begin().await?;
        let id = tx.create_kit(new).await?;
        tx.write_effects(&effects(id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn kit(&self, kit_id: i64) -> StoreResult<Kit> {
        let sql = format!("{SELECT_KIT} where k.kit_id = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(kit_id).fetch_one(pool).await)?)
    }

    /// Every kit, newest first.
    pub async fn list_kits(&self) -> StoreResult<Vec<Kit>> {
        let sql = format!("{SELECT_KIT} order by k.created_at desc, k.kit_id desc limit 500");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await)?)
    }

    /// Kits of a master post (the post page links to them).
    pub async fn kits_of_post(&self, post_id: i64) -> StoreResult<Vec<Kit>> {
        let sql = format!("{SELECT_KIT} where k.post_id = $1 order by k.kit_id");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(post_id).fetch_all(pool).await)?)
    }

    /// The kit a post is a unit's local version of, if any.
    pub async fn kit_of_local_post(&self, post_id: i64) -> StoreResult<Option<Kit>> {
        let sql = format!(
            "{SELECT_KIT} where exists (select 1 from kit_target t where t.kit_id = k.kit_id \
             and t.local_post_id = $1)"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(post_id).fetch_optional(pool).await)?)
    }

    pub async fn kit_targets(&self, kit_id: i64) -> StoreResult<Vec<KitTarget>> {
        let sql = format!("{SELECT_TARGET} where t.kit_id = $1 order by a.code");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(kit_id).fetch_all(pool).await)?)
    }

    pub async fn kit_target(&self, kit_id: i64, unit_id: i64) -> StoreResult<Option<KitTarget>> {
        let sql = format!("{SELECT_TARGET} where t.kit_id = $1 and t.unit_id = $2");
        Ok(
            on_pool!(self, pool => sqlx::query_as(&sql).bind(kit_id).bind(unit_id).fetch_optional(pool).await)?,
        )
    }

    /// Open kits targeting a unit with that unit's row, soonest deadline first.
    pub async fn open_kits_for_unit(&self, unit_id: i64) -> StoreResult<Vec<(Kit, KitTarget)>> {
        let sql = format!(
            "{SELECT_KIT} where k.status = 'open' and exists (select 1 from kit_target t \
             where t.kit_id = k.kit_id and t.unit_id = $1) order by k.deadline_at, k.kit_id"
        );
        let kits: Vec<Kit> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(unit_id).fetch_all(pool).await)?;
        let mut out = Vec::with_capacity(kits.len());
        for kit in kits {
            if let Some(t) = self.kit_target(kit.kit_id, unit_id).await? {
                out.push((kit, t));
            }
        }
        Ok(out)
    }

    /// Records the first time the unit's staff opened the kit.
    pub async fn mark_kit_opened(&self, kit_id: i64, unit_id: i64) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "update kit_target set opened_at = $1 where kit_id = $2 and unit_id = $3 and opened_at is null")
            .bind(crate::clock::now_ms()).bind(kit_id).bind(unit_id).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Declines for the unit with a reason; false when it has already shared or declined.
    pub async fn decline_kit(
        &self,
        kit_id: i64,
        unit_id: i64,
        reason: &str,
        effects: &Effects,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let now = tx.now;
        tx.point("kit decline")?;
        let n = on_tx!(tx, c => sqlx::query(
            "update kit_target set declined_at = $1, decline_reason = $2, opened_at = coalesce(opened_at, $1) \
             where kit_id = $3 and unit_id = $4 and declined_at is null and (local_post_id is null or \
             exists (select 1 from post p where p.post_id = kit_target.local_post_id and p.status = 'cancelled'))")
            .bind(now).bind(reason).bind(kit_id).bind(unit_id).execute(&mut *c).await?.rows_affected());
        if n != 1 {
            return Ok(false);
        }
        tx.write_effects(effects).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// `Tx::create_local_version` with `effects` for the new post, in its own transaction
    /// (the demo's seeding; a person's share is `crate::app::kits::share`).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_local_version(
        &self,
        kit: &Kit,
        unit_id: i64,
        author: i64,
        status: PostStatus,
        rec: &PostRecord,
        accounts: &[i64],
        effects: impl Fn(i64) -> Effects,
    ) -> StoreResult<Option<i64>> {
        let mut tx = self.begin().await?;
        let Some(id) = tx
            .create_local_version(kit, unit_id, author, status, rec, accounts)
            .await?
        else {
            return Ok(None);
        };
        tx.write_effects(&effects(id)).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Withdraws an open kit: cancels every local version not yet out (and its waiting
    /// deliveries) in the same transaction. Returns the target units to tell, or `None` when
    /// the kit was not open. `effects` gets the target units (their notices, the audit entry).
    pub async fn withdraw_kit(
        &self,
        kit_id: i64,
        actor: i64,
        effects: impl Fn(&[i64]) -> Effects,
    ) -> StoreResult<Option<Vec<i64>>> {
        let now = crate::clock::now_ms();
        let cancellable = format!(
            "select post_id, status from post where status in {CANCELLABLE} and post_id in \
             (select local_post_id from kit_target where kit_id = $1)"
        );
        Ok(on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("update share_kit set status = 'withdrawn', withdrawn_at = $1 \
                                 where kit_id = $2 and status = 'open'")
                .bind(now).bind(kit_id).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                tx.rollback().await?;
                return Ok(None);
            }
            let posts: Vec<(i64, String)> = sqlx::query_as(&cancellable).bind(kit_id).fetch_all(&mut *tx).await?;
            for (post_id, status) in &posts {
                sqlx::query("update post set status = 'cancelled', updated_at = $1, version = version + 1 \
                             where post_id = $2")
                    .bind(now).bind(post_id).execute(&mut *tx).await?;
                record_transition!(tx, *post_id, Some(actor), now, "withdraw_kit", Some(status.as_str()), "cancelled", "");
            }
            // Deliveries not yet taken by a worker never go out, whatever the post's status.
            sqlx::query("update delivery set state = 'cancelled', updated_at = $1 where state in ('pending', 'retry', 'paused') \
                         and post_id in (select local_post_id from kit_target where kit_id = $2)")
                .bind(now).bind(kit_id).execute(&mut *tx).await?;
            let units: Vec<i64> = sqlx::query_scalar("select unit_id from kit_target where kit_id = $1 order by unit_id")
                .bind(kit_id).fetch_all(&mut *tx).await?;
            write_effects!(tx, &effects(&units), now);
            tx.commit().await?;
            Some(units)
        }))
    }

    /// Claims the reminders due at `now`: units of open kits past their deadline that have
    /// neither shared nor declined and were never reminded. The claim is a conditional update,
    /// so across restarts and instances each (kit, unit) is claimed exactly once.
    pub async fn claim_overdue_reminders(&self, now: i64) -> StoreResult<Vec<(i64, i64)>> {
        let sql = format!(
            "select t.kit_id, t.unit_id from kit_target t join share_kit k on k.kit_id = t.kit_id \
             where k.status = 'open' and k.deadline_at < $1 and t.reminded_at is null and t.declined_at is null \
             and not exists (select 1 from post p where p.post_id = t.local_post_id and p.status in {SHARED_STATUSES}) \
             order by t.kit_id, t.unit_id limit 200"
        );
        let due: Vec<(i64, i64)> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(now).fetch_all(pool).await)?;
        let mut claimed = Vec::new();
        for (kit, unit) in due {
            if self.stamp_reminder(kit, unit, now, true).await? {
                claimed.push((kit, unit));
            }
        }
        Ok(claimed)
    }

    /// Records a reminder; with `only_first`, only if none was sent before (the worker's claim).
    pub async fn stamp_reminder(
        &self,
        kit_id: i64,
        unit_id: i64,
        now: i64,
        only_first: bool,
    ) -> StoreResult<bool> {
        let n = on_pool!(self, pool => sqlx::query(
            "update kit_target set reminded_at = $1 where kit_id = $2 and unit_id = $3 \
             and ($4 = false or reminded_at is null)")
            .bind(now).bind(kit_id).bind(unit_id).bind(only_first).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Per unit, over open kits whose deadline falls in [from_ms, to_ms): kits targeted, kits
    /// shared (the local version reached scheduling) and those shared by the deadline.
    pub async fn share_rates(&self, from_ms: i64, to_ms: i64) -> StoreResult<Vec<UnitShareRate>> {
        let sql = format!(
            "with rows as (select t.unit_id, k.deadline_at, \
               case when lp.status in {SHARED_STATUSES} then \
                 (select min(tr.at) from post_transition tr where tr.post_id = lp.post_id and tr.to_status = 'scheduled') \
               end as shared_at \
               from kit_target t join share_kit k on k.kit_id = t.kit_id left join post lp on lp.post_id = t.local_post_id \
               where k.status = 'open' and k.deadline_at >= $1 and k.deadline_at < $2) \
             select r.unit_id, a.code as unit_code, a.name as unit_name, count(*) as kits_targeted, \
               cast(sum(case when r.shared_at is not null then 1 else 0 end) as bigint) as shared, \
               cast(sum(case when r.shared_at is not null and r.shared_at <= r.deadline_at then 1 else 0 end) as bigint) as shared_on_time \
             from rows r join area a on a.area_id = r.unit_id group by r.unit_id, a.code, a.name order by a.code"
        );
        Ok(
            on_pool!(self, pool => sqlx::query_as(&sql).bind(from_ms).bind(to_ms).fetch_all(pool).await)?,
        )
    }

    /// Engagement of a kit's local versions.
    pub async fn kit_engagement(&self, kit_id: i64) -> StoreResult<Vec<LocalEngagement>> {
        self.fold_clicks().await?;
        Ok(on_pool!(self, pool => sqlx::query_as(
            "with locals as (select local_post_id as post_id from kit_target where kit_id = $1 and local_post_id is not null), \
             clicks as (select l.post_id, cast(sum(cd.clicks) as bigint) as clicks from tracked_link l \
               join click_daily cd on cd.link_id = l.link_id where l.post_id in (select post_id from locals) group by l.post_id), \
             latest as (select s.delivery_id, max(s.snapshot_id) as snapshot_id from metric_snapshot s \
               join delivery d on d.delivery_id = s.delivery_id where d.post_id in (select post_id from locals) \
               and s.note = '' group by s.delivery_id), \
             metrics as (select d.post_id, cast(sum(coalesce(s.views, 0)) as bigint) as views, \
               cast(sum(coalesce(s.reactions, 0)) as bigint) as reactions, cast(sum(coalesce(s.comments, 0)) as bigint) as comments, \
               cast(sum(coalesce(s.shares, 0)) as bigint) as shares from latest \
               join metric_snapshot s on s.snapshot_id = latest.snapshot_id join delivery d on d.delivery_id = s.delivery_id \
               group by d.post_id) \
             select locals.post_id, coalesce(c.clicks, 0) as clicks, coalesce(m.views, 0) as views, \
               coalesce(m.reactions, 0) as reactions, coalesce(m.comments, 0) as comments, coalesce(m.shares, 0) as shares \
             from locals left join clicks c on c.post_id = locals.post_id left join metrics m on m.post_id = locals.post_id")
            .bind(kit_id).fetch_all(pool).await)?)
    }

    /// Moves a kit's deadline (an officer extending it; tests travel past it).
    pub async fn set_kit_deadline(&self, kit_id: i64, deadline_at: i64) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("update share_kit set deadline_at = $1 where kit_id = $2")
            .bind(deadline_at).bind(kit_id).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Units whose adapted kits publish without review (an officer's setting).
    pub async fn trusted_units(&self) -> StoreResult<Vec<i64>> {
        Ok(self
            .setting(TRUSTED_UNITS)
            .await?
            .unwrap_or_default()
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect())
    }

    /// Replaces the trusted units, with the step's audit line, in one transaction.
    pub async fn set_trusted_units(&self, ids: &[i64], effects: &Effects) -> StoreResult<()> {
        let value: Vec<String> = ids.iter().map(i64::to_string).collect();
        let mut tx = self.begin().await?;
        tx.set_setting(TRUSTED_UNITS, &value.join(",")).await?;
        tx.write_effects(effects).await?;
        tx.commit().await
    }
}

const TRUSTED_UNITS: &str = "kit_trusted_units";
