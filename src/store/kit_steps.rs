//! The writes of a kit's steps on an open `Tx`: offering a post to its units, and a unit's
//! local version bound to the kit.

use super::{Kit, NewKit, PostRecord, StoreResult, Tx, on_tx};
use crate::content::PostStatus;

impl Tx {
    /// Offers a city post to its target units: the kit and one row per unit.
    pub async fn create_kit(&mut self, new: &NewKit) -> StoreResult<i64> {
        let now = self.now;
        self.point("kit")?;
        let id: i64 = on_tx!(self, c => sqlx::query_scalar(
            "insert into share_kit (post_id, campaign_id, deadline_at, hints, allow_title, allow_body, \
             max_length, created_by, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning kit_id")
            .bind(new.post_id).bind(new.campaign_id).bind(new.deadline_at).bind(&new.hints)
            .bind(new.allow_title).bind(new.allow_body).bind(new.max_length).bind(new.created_by).bind(now)
            .fetch_one(&mut *c).await?);
        self.point("kit targets")?;
        on_tx!(self, c => {
            for unit in &new.unit_ids {
                sqlx::query("insert into kit_target (kit_id, unit_id) values ($1, $2)")
                    .bind(id).bind(unit).execute(&mut *c).await?;
            }
        });
        Ok(id)
    }

    /// Creates the unit's local version and binds it to the kit. `None` (and the caller drops
    /// the transaction) when the unit already has a live local version or declined: two staff
    /// sharing at once, one wins and nothing half-made remains.
    pub async fn create_local_version(
        &mut self,
        kit: &Kit,
        unit_id: i64,
        author: i64,
        status: PostStatus,
        rec: &PostRecord,
        accounts: &[i64],
    ) -> StoreResult<Option<i64>> {
        let now = self.now;
        let mut ids = self
            .create_posts_as(
                kit.campaign_id,
                author,
                status,
                std::slice::from_ref(&PostRecord {
                    unit_id: Some(unit_id),
                    ..rec.clone()
                }),
                "share_kit",
            )
            .await?;
        let id = ids.pop().expect("one post created");
        self.point("post accounts")?;
        let bound = on_tx!(self, c => {
            for account in accounts {
                sqlx::query("insert into post_account (post_id, account_id) values ($1, $2)")
                    .bind(id).bind(account).execute(&mut *c).await?;
            }
            sqlx::query(
                "update kit_target set local_post_id = $1, opened_at = coalesce(opened_at, $2) \
                 where kit_id = $3 and unit_id = $4 and declined_at is null and (local_post_id is null or \
                 exists (select 1 from post p where p.post_id = kit_target.local_post_id and p.status = 'cancelled'))")
                .bind(id).bind(now).bind(kit.kit_id).bind(unit_id)
                .execute(&mut *c).await?.rows_affected()
        });
        Ok((bound == 1).then_some(id))
    }
}
