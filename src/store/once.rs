//! One-time form keys. Every form that creates something carries a random key; the creating
//! transaction inserts it first, so a double submission (a double click, a resent POST after a
//! lost answer) finds it taken and answers with where the first one led. On PostgreSQL a
//! concurrent twin waits on the key's row until the first commits, then sees it.

use super::{StoreResult, Tx, on_tx};
use crate::store::{Store, on_pool};

/// Keys are kept this long: far longer than any resend, short enough to stay small.
pub const ONCE_KEEP_MS: i64 = 7 * 86_400_000;

impl Tx {
    /// Takes `key` for `user`: `None` when it is fresh (now taken by this transaction),
    /// `Some(location)` when an earlier submission used it.
    pub async fn claim_once(&mut self, user: i64, key: &str) -> StoreResult<Option<String>> {
        let now = self.now;
        self.point("form key")?;
        let taken = on_tx!(self, c => sqlx::query(
            "insert into form_once (user_id, once_key, location, created_at) values ($1, $2, '', $3) \
             on conflict (user_id, once_key) do nothing")
            .bind(user).bind(key).bind(now).execute(&mut *c).await?.rows_affected() == 0);
        if !taken {
            return Ok(None);
        }
        let location: String = on_tx!(self, c => sqlx::query_scalar(
            "select location from form_once where user_id = $1 and once_key = $2")
            .bind(user).bind(key).fetch_one(&mut *c).await?);
        Ok(Some(location))
    }

    /// Records where the first submission led.
    pub async fn finish_once(&mut self, user: i64, key: &str, location: &str) -> StoreResult<()> {
        on_tx!(self, c => sqlx::query(
            "update form_once set location = $1 where user_id = $2 and once_key = $3")
            .bind(location).bind(user).bind(key).execute(&mut *c).await?.rows_affected());
        Ok(())
    }
}

impl Store {
    /// Forgets keys older than `before` (worker housekeeping).
    pub async fn purge_once_keys(&self, before: i64) -> StoreResult<u64> {
        Ok(
            on_pool!(self, pool => sqlx::query("delete from form_once where created_at < $1")
            .bind(before).execute(pool).await.map(|r| r.rows_affected()))?,
        )
    }
}

/// A finished CSV import: who, into which campaign, as what, and its posts in file order.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct PostImport {
    pub import_id: i64,
    pub campaign_id: i64,
    pub user_id: i64,
    pub status: crate::content::PostStatus,
    /// JSON array of post ids.
    pub post_ids: String,
    pub created_at: i64,
}

impl Tx {
    /// Records an import and its posts.
    pub async fn record_import(
        &mut self,
        campaign_id: i64,
        user: i64,
        status: crate::content::PostStatus,
        ids: &[i64],
    ) -> StoreResult<i64> {
        let now = self.now;
        self.point("import record")?;
        let list = serde_json::to_string(ids).map_err(anyhow::Error::from)?;
        Ok(on_tx!(self, c => sqlx::query_scalar(
            "insert into post_import (campaign_id, user_id, status, post_ids, created_at) \
             values ($1, $2, $3, $4, $5) returning import_id")
            .bind(campaign_id).bind(user).bind(status).bind(&list).bind(now)
            .fetch_one(&mut *c).await?))
    }
}

impl Store {
    pub async fn post_import(&self, import_id: i64) -> StoreResult<PostImport> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select import_id, campaign_id, user_id, status, post_ids, created_at from post_import \
             where import_id = $1")
            .bind(import_id).fetch_one(pool).await)?)
    }
}
