//! Posts, their per-channel variants and their approval history. Every write is guarded: an
//! edit by the version the editor saw, a transition by the status it starts from, and each
//! change of status is recorded in `post_transition` in the same transaction as the change.

use serde::Serialize;

use super::{Store, StoreResult, on_pool};
use crate::content::PostStatus;

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Post {
    pub post_id: i64,
    pub campaign_id: i64,
    pub campaign_title: String,
    pub unit_id: Option<i64>,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    pub author_id: i64,
    pub author_name: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub hashtags: String,
    pub media_id: Option<i64>,
    pub status: PostStatus,
    pub scheduled_at: Option<i64>,
    pub published_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, sqlx::FromRow)]
pub struct VariantRow {
    pub channel: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    /// Written by a person rather than derived from the master text.
    pub edited: bool,
}

/// A validated post ready to write (see `posts::PostInput`).
#[derive(Clone, Debug, Default)]
pub struct PostRecord {
    pub unit_id: Option<i64>,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub hashtags: String,
    pub media_id: Option<i64>,
    pub scheduled_at: Option<i64>,
    pub variants: Vec<VariantRow>,
}

/// A workflow step as the history records it: the action, who took it (`None`: Loa itself),
/// their comment, and the time it sets (scheduling), if any.
#[derive(Clone, Debug)]
pub struct Step<'a> {
    pub action: &'a str,
    pub actor: Option<i64>,
    pub comment: &'a str,
    pub scheduled_at: Option<i64>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Transition {
    pub at: i64,
    pub actor_name: Option<String>,
    pub action: String,
    pub from_status: Option<PostStatus>,
    pub to_status: PostStatus,
    pub comment: String,
}

/// What a unit-bound reader may see: the unit's own posts and the city's posts of campaigns
/// that target the unit.
#[derive(Clone, Debug)]
pub struct UnitScope {
    pub unit_id: i64,
    pub code: String,
}

#[derive(Clone, Debug, Default)]
pub struct PostFilter {
    pub campaign_id: Option<i64>,
    pub status: Option<PostStatus>,
    pub unit_code: Option<String>,
    pub channel: Option<String>,
    pub dimension: Option<String>,
    /// Scheduled (or published) in [from, to), UTC ms.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

const SELECT_POST: &str = "select p.post_id, p.campaign_id, c.title as campaign_title, p.unit_id, \
     a.code as unit_code, a.name as unit_name, p.author_id, u.display_name as author_name, p.title, \
     p.body, p.link, p.hashtags, p.media_id, p.status, p.scheduled_at, p.published_at, p.created_at, \
     p.updated_at, p.version from post p join campaign c on c.campaign_id = p.campaign_id \
     join app_user u on u.user_id = p.author_id left join area a on a.area_id = p.unit_id";

/// The filter and scope as SQL over `p` (post) and `c` (campaign), binding $1..$9.
const POST_COND: &str = "($1 is null or p.campaign_id = $1) and ($2 is null or p.status = $2) \
     and ($3 is null or a.code = $3) \
     and ($4 is null or exists (select 1 from post_variant v where v.post_id = p.post_id and v.channel = $4)) \
     and ($5 is null or exists (select 1 from campaign_dimension cd where cd.campaign_id = p.campaign_id \
          and (cd.dimension_code = $5 or cd.dimension_code like $5 || '.%'))) \
     and ($6 is null or coalesce(p.scheduled_at, p.published_at) >= $6) \
     and ($7 is null or coalesce(p.scheduled_at, p.published_at) < $7) \
     and ($8 is null or p.unit_id = $8 or (p.unit_id is null and exists (select 1 from campaign_target t \
          join area ta on ta.area_id = t.area_id where t.campaign_id = p.campaign_id \
          and (ta.code = $9 or ta.parent_code = $9))))";

/// After a guarded update touched nothing: was the post changed meanwhile, or is it gone?
macro_rules! stale_or_missing {
    ($tx:ident, $id:expr) => {{
        let exists: Option<i64> = sqlx::query_scalar("select post_id from post where post_id = $1")
            .bind($id)
            .fetch_optional(&mut *$tx)
            .await?;
        if exists.is_some() {
            crate::store::StoreError::Stale
        } else {
            crate::store::StoreError::NotFound
        }
    }};
}

pub(super) use stale_or_missing;

macro_rules! bind_filter {
    ($q:expr, $f:expr, $scope:expr) => {
        $q.bind($f.campaign_id)
            .bind(&$f.status)
            .bind(&$f.unit_code)
            .bind(&$f.channel)
            .bind(&$f.dimension)
            .bind($f.from)
            .bind($f.to)
            .bind($scope.map(|s: &UnitScope| s.unit_id))
            .bind($scope.map(|s: &UnitScope| s.code.clone()))
    };
}

macro_rules! write_variants {
    ($tx:ident, $id:expr, $variants:expr) => {
        for v in $variants {
            sqlx::query(
                "insert into post_variant (post_id, channel, title, summary, body, edited) \
                 values ($1, $2, $3, $4, $5, $6)",
            )
            .bind($id)
            .bind(&v.channel)
            .bind(&v.title)
            .bind(&v.summary)
            .bind(&v.body)
            .bind(v.edited)
            .execute(&mut *$tx)
            .await?;
        }
    };
}

macro_rules! record_transition {
    ($tx:ident, $id:expr, $actor:expr, $at:expr, $action:expr, $from:expr, $to:expr, $comment:expr) => {
        sqlx::query(
            "insert into post_transition (post_id, actor_id, at, action, from_status, to_status, comment) \
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($id)
        .bind($actor)
        .bind($at)
        .bind($action)
        .bind($from)
        .bind($to)
        .bind($comment)
        .execute(&mut *$tx)
        .await?;
    };
}
pub(super) use {record_transition, write_variants};

impl Store {
    /// Creates posts in one transaction: all of them or none (seeding and benchmarks; people's
    /// steps go through `crate::app`, which adds the audit line and the form key).
    pub async fn create_posts(
        &self,
        campaign_id: i64,
        author: i64,
        status: PostStatus,
        records: &[PostRecord],
    ) -> StoreResult<Vec<i64>> {
        let mut tx = self.begin().await?;
        let ids = tx
            .create_posts(campaign_id, author, status, records)
            .await?;
        tx.commit().await?;
        Ok(ids)
    }

    pub async fn post(&self, post_id: i64) -> StoreResult<Post> {
        let sql = format!("{SELECT_POST} where p.post_id = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(post_id).fetch_one(pool).await)?)
    }

    pub async fn post_variants(&self, post_id: i64) -> StoreResult<Vec<VariantRow>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select channel, title, summary, body, edited from post_variant where post_id = $1 order by channel")
            .bind(post_id).fetch_all(pool).await)?)
    }

    pub async fn post_history(&self, post_id: i64) -> StoreResult<Vec<Transition>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select t.at, u.display_name as actor_name, t.action, t.from_status, t.to_status, t.comment \
             from post_transition t left join app_user u on u.user_id = t.actor_id \
             where t.post_id = $1 order by t.at, t.transition_id")
            .bind(post_id).fetch_all(pool).await)?)
    }

    /// One page of posts, newest first, and the total that match.
    pub async fn list_posts(
        &self,
        filter: &PostFilter,
        scope: Option<&UnitScope>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<Post>, i64)> {
        let sql = format!(
            "{SELECT_POST} where {POST_COND} order by coalesce(p.scheduled_at, p.created_at) desc, p.post_id desc \
             limit $10 offset $11"
        );
        let count_sql = format!(
            "select count(*) from post p left join area a on a.area_id = p.unit_id where {POST_COND}"
        );
        let rows: Vec<Post> = on_pool!(self, pool => bind_filter!(sqlx::query_as(&sql), filter, scope)
            .bind(limit).bind(offset).fetch_all(pool).await)?;
        let total: i64 = on_pool!(self, pool => bind_filter!(sqlx::query_scalar(&count_sql), filter, scope)
            .fetch_one(pool).await)?;
        Ok((rows, total))
    }

    /// Every post in the filter's time window (the calendar), ordered by time.
    pub async fn calendar_posts(
        &self,
        filter: &PostFilter,
        scope: Option<&UnitScope>,
    ) -> StoreResult<Vec<CalendarPost>> {
        let sql = format!(
            "select p.post_id, p.title, p.status, coalesce(p.scheduled_at, p.published_at) as at, \
             a.code as unit_code, p.version from post p left join area a on a.area_id = p.unit_id \
             where {POST_COND} and coalesce(p.scheduled_at, p.published_at) is not null \
             and p.status not in ('cancelled') order by at, p.post_id"
        );
        Ok(
            on_pool!(self, pool => bind_filter!(sqlx::query_as(&sql), filter, scope).fetch_all(pool).await)?,
        )
    }

    /// The channels of these posts, by post. A month view shows a few posts a day, so this is
    /// asked only for those, not for every post of the month.
    pub async fn post_channels(
        &self,
        ids: &[i64],
    ) -> StoreResult<std::collections::HashMap<i64, Vec<String>>> {
        let mut by_post: std::collections::HashMap<i64, Vec<String>> =
            std::collections::HashMap::new();
        // Bounded batches keep the statement under every driver's parameter limit.
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "select post_id, channel from post_variant where post_id in ({}) order by post_id, channel",
                marks.join(", ")
            );
            let rows: Vec<(i64, String)> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(pool).await
            })?;
            for (id, ch) in rows {
                by_post.entry(id).or_default().push(ch);
            }
        }
        Ok(by_post)
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct CalendarPost {
    pub post_id: i64,
    pub title: String,
    pub status: PostStatus,
    pub at: i64,
    pub unit_code: Option<String>,
    pub version: i64,
}
