//! The writes a step is made of, on an open `Tx`: posts created or moved, their history rows,
//! deliveries created, re-armed or cancelled, audit lines and notices. Each method writes and
//! guards; deciding whether a step is allowed belongs to `crate::app`.

use super::effects::write_effects;
use super::posts::{record_transition, stale_or_missing, write_variants};
use super::{Effects, PostRecord, Step, StoreResult, Tx, on_tx};
use crate::content::PostStatus;
use crate::states::{AccountStatus, DeliveryState};

impl Tx {
    /// Creates posts, each with its variants and its "create" history row.
    pub async fn create_posts(
        &mut self,
        campaign_id: i64,
        author: i64,
        status: PostStatus,
        records: &[PostRecord],
    ) -> StoreResult<Vec<i64>> {
        self.create_posts_as(campaign_id, author, status, records, "create")
            .await
    }

    /// `create_posts` whose history names the step `action` (a kit's local version: share_kit).
    pub(super) async fn create_posts_as(
        &mut self,
        campaign_id: i64,
        author: i64,
        status: PostStatus,
        records: &[PostRecord],
        action: &str,
    ) -> StoreResult<Vec<i64>> {
        let now = self.now;
        let mut ids = Vec::with_capacity(records.len());
        for rec in records {
            self.point("post")?;
            let id = on_tx!(self, c => {
                let id: i64 = sqlx::query_scalar(
                    "insert into post (campaign_id, unit_id, author_id, title, body, link, hashtags, media_id, \
                     status, scheduled_at, created_at, updated_at) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) returning post_id")
                    .bind(campaign_id).bind(rec.unit_id).bind(author).bind(&rec.title).bind(&rec.body)
                    .bind(&rec.link).bind(&rec.hashtags).bind(rec.media_id).bind(status)
                    .bind(rec.scheduled_at).bind(now)
                    .fetch_one(&mut *c).await?;
                write_variants!(c, id, &rec.variants);
                record_transition!(c, id, Some(author), now, action, None::<&str>, status.as_str(), "");
                id
            });
            ids.push(id);
        }
        Ok(ids)
    }

    /// Moves a post from `from` to `to` if it is still at `from` and at `version`, with its
    /// history row. `Stale` when someone changed it meanwhile, `NotFound` when it is gone.
    pub async fn move_post(
        &mut self,
        post_id: i64,
        version: i64,
        (from, to): (PostStatus, PostStatus),
        step: &Step<'_>,
    ) -> StoreResult<()> {
        let now = self.now;
        self.point("post status")?;
        on_tx!(self, c => {
            let done = sqlx::query(
                "update post set status = $1, scheduled_at = coalesce($2, scheduled_at), updated_at = $3, \
                 version = version + 1 where post_id = $4 and version = $5 and status = $6")
                .bind(to).bind(step.scheduled_at).bind(now).bind(post_id).bind(version).bind(from)
                .execute(&mut *c).await?;
            if done.rows_affected() == 0 {
                return Err(stale_or_missing!(c, post_id));
            }
        });
        self.point("post history")?;
        on_tx!(self, c => {
            record_transition!(c, post_id, step.actor, now, step.action, Some(from.as_str()), to.as_str(), step.comment);
        });
        Ok(())
    }

    /// Replaces the content if `version` is current; a status change caused by the edit (an
    /// approved post going back to review) is recorded with it.
    pub async fn update_post(
        &mut self,
        post_id: i64,
        version: i64,
        rec: &PostRecord,
        (from, to): (PostStatus, PostStatus),
        actor: i64,
    ) -> StoreResult<()> {
        let now = self.now;
        self.point("post text")?;
        on_tx!(self, c => {
            let done = sqlx::query(
                "update post set title = $1, body = $2, link = $3, hashtags = $4, media_id = $5, \
                 scheduled_at = $6, status = $7, updated_at = $8, version = version + 1 \
                 where post_id = $9 and version = $10 and status = $11")
                .bind(&rec.title).bind(&rec.body).bind(&rec.link).bind(&rec.hashtags).bind(rec.media_id)
                .bind(rec.scheduled_at).bind(to).bind(now).bind(post_id).bind(version).bind(from)
                .execute(&mut *c).await?;
            if done.rows_affected() == 0 {
                return Err(stale_or_missing!(c, post_id));
            }
        });
        self.point("post variants")?;
        on_tx!(self, c => {
            sqlx::query("delete from post_variant where post_id = $1").bind(post_id).execute(&mut *c).await?;
            write_variants!(c, post_id, &rec.variants);
            if from != to {
                record_transition!(c, post_id, Some(actor), now, "edit", Some(from.as_str()), to.as_str(), "");
            }
        });
        Ok(())
    }

    /// Moves a scheduled post to another time, guarded by version, with its history row.
    pub async fn reschedule_post(
        &mut self,
        post_id: i64,
        version: i64,
        at: i64,
        actor: i64,
    ) -> StoreResult<()> {
        let now = self.now;
        self.point("post time")?;
        on_tx!(self, c => {
            let done = sqlx::query(
                "update post set scheduled_at = $1, updated_at = $2, version = version + 1 \
                 where post_id = $3 and version = $4 and status = $5")
                .bind(at).bind(now).bind(post_id).bind(version).bind(PostStatus::Scheduled)
                .execute(&mut *c).await?;
            if done.rows_affected() == 0 {
                return Err(stale_or_missing!(c, post_id));
            }
        });
        self.point("post history")?;
        let comment = crate::clock::format_hanoi(at);
        on_tx!(self, c => {
            record_transition!(c, post_id, Some(actor), now, "reschedule", Some("scheduled"), "scheduled", comment);
        });
        Ok(())
    }

    /// Creates (or re-arms) the deliveries of a scheduled post: one per usable account of the
    /// post's unit (the city's for a city post) whose kind carries one of its channels, or only
    /// the accounts chosen for the post when it has a choice (a unit sharing a kit). Read and
    /// written in this transaction, so the accounts are those of the moment of scheduling.
    pub async fn schedule_deliveries(&mut self, post_id: i64, due_at: i64) -> StoreResult<usize> {
        let now = self.now;
        let (channels, candidates): (Vec<String>, Vec<(i64, String)>) = on_tx!(self, c => {
            let channels = sqlx::query_scalar("select channel from post_variant where post_id = $1")
                .bind(post_id).fetch_all(&mut *c).await?;
            let candidates = sqlx::query_as(
                "select a.account_id, a.kind from channel_account a join post p on p.post_id = $1 \
                 where (a.unit_id = p.unit_id or (a.unit_id is null and p.unit_id is null)) \
                 and a.status <> $2 and (not exists (select 1 from post_account x where x.post_id = $1) \
                   or exists (select 1 from post_account x where x.post_id = $1 and x.account_id = a.account_id)) \
                 order by a.account_id")
                .bind(post_id).bind(AccountStatus::Disabled).fetch_all(&mut *c).await?;
            (channels, candidates)
        });
        let kinds: Vec<&str> = channels
            .iter()
            .filter_map(|ch| super::kind_for_channel(ch))
            .collect();
        let rearm = DeliveryState::sql_list(&DeliveryState::REARMABLE);
        let sql = format!(
            "insert into delivery (post_id, account_id, nonce, state, due_at, created_at, updated_at) \
             values ($1, $2, $3, $4, $5, $6, $6) on conflict (post_id, account_id) do update \
             set due_at = excluded.due_at, state = excluded.state, updated_at = excluded.updated_at \
             where delivery.state in {rearm}"
        );
        let mut made = 0;
        for (account_id, _) in candidates
            .iter()
            .filter(|(_, k)| kinds.contains(&k.as_str()))
        {
            self.point("delivery")?;
            let token = crate::secrets::random_token();
            let nonce = format!("{post_id}-{account_id}-{}", &token[..12].to_lowercase());
            on_tx!(self, c => {
                sqlx::query(&sql)
                    .bind(post_id).bind(account_id).bind(&nonce).bind(DeliveryState::Pending)
                    .bind(due_at).bind(now)
                    .execute(&mut *c).await?;
            });
            made += 1;
        }
        Ok(made)
    }

    /// Cancels the deliveries of a post that nothing has left Loa from yet.
    pub async fn cancel_deliveries(&mut self, post_id: i64) -> StoreResult<u64> {
        let now = self.now;
        self.point("cancel deliveries")?;
        let sql = format!(
            "update delivery set state = $1, updated_at = $2 where post_id = $3 and state in {}",
            DeliveryState::sql_list(&DeliveryState::NOT_STARTED)
        );
        Ok(on_tx!(self, c => sqlx::query(&sql)
            .bind(DeliveryState::Cancelled).bind(now).bind(post_id)
            .execute(&mut *c).await?.rows_affected()))
    }

    /// The audit line and notices of the step.
    pub async fn write_effects(&mut self, effects: &Effects) -> StoreResult<()> {
        let now = self.now;
        if effects.audit.is_none() && effects.notices.is_empty() {
            return Ok(());
        }
        self.point("audit and notices")?;
        on_tx!(self, c => write_effects!(c, effects, now));
        Ok(())
    }
}
