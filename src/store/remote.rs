//! What the dispatcher knows about things on the channels: which remote posts already belong to
//! a delivery (a lookup must never adopt another delivery's post), a resend recorded before it
//! leaves, and the channel's copy of each image per account (uploaded once, reused after).

use std::collections::{HashMap, HashSet};

use super::{Store, StoreResult, on_pool, placeholders};

impl Store {
    /// Of `remote_ids` on `account_id`, those that another delivery than `delivery_id` owns.
    pub async fn remote_ids_taken(
        &self,
        account_id: i64,
        delivery_id: i64,
        remote_ids: &[String],
    ) -> StoreResult<HashSet<String>> {
        if remote_ids.is_empty() {
            return Ok(HashSet::new());
        }
        let sql = format!(
            "select remote_id from delivery where account_id = $1 and delivery_id <> $2 \
             and remote_id in ({})",
            placeholders(3, remote_ids.len())
        );
        let taken: Vec<String> = on_pool!(self, pool => {
            let mut q = sqlx::query_scalar(&sql).bind(account_id).bind(delivery_id);
            for id in remote_ids {
                q = q.bind(id);
            }
            q.fetch_all(pool).await?
        });
        Ok(taken.into_iter().collect())
    }

    /// Records, while `owner` holds the lease, that the delivery sends its publish request again
    /// now: until this commits the request is not sent, so a crash during it still leaves a
    /// delivery that waits for this send to settle before any other. False: the lease is lost.
    pub async fn note_resend(&self, delivery_id: i64, owner: &str, now: i64) -> StoreResult<bool> {
        let n = on_pool!(self, pool => sqlx::query(
            "update delivery set sent_at = $1, sends = sends + 1, updated_at = $1 \
             where delivery_id = $2 and lease_owner = $3 and state = 'sending'")
            .bind(now).bind(delivery_id).bind(owner)
            .execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// The channel's ids of images already uploaded through these accounts, by (account, blob).
    pub async fn remote_media(
        &self,
        pairs: &[(i64, String)],
    ) -> StoreResult<HashMap<(i64, String), String>> {
        if pairs.is_empty() {
            return Ok(HashMap::new());
        }
        let mut accounts: Vec<i64> = pairs.iter().map(|p| p.0).collect();
        accounts.sort_unstable();
        accounts.dedup();
        let mut keys: Vec<&str> = pairs.iter().map(|p| p.1.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        let sql = format!(
            "select account_id, blob_key, remote_id from remote_media where account_id in ({}) \
             and blob_key in ({})",
            placeholders(1, accounts.len()),
            placeholders(accounts.len() + 1, keys.len())
        );
        let rows: Vec<(i64, String, String)> = on_pool!(self, pool => {
            let mut q = sqlx::query_as(&sql);
            for id in &accounts {
                q = q.bind(id);
            }
            for key in &keys {
                q = q.bind(*key);
            }
            q.fetch_all(pool).await?
        });
        let wanted: HashSet<&(i64, String)> = pairs.iter().collect();
        Ok(rows
            .into_iter()
            .map(|(a, k, r)| ((a, k), r))
            .filter(|(key, _)| wanted.contains(key))
            .collect())
    }

    /// Forgets an image's remote copy (the channel no longer has it), so the next post
    /// uploads it again.
    pub async fn forget_remote_media(&self, account_id: i64, blob_key: &str) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "delete from remote_media where account_id = $1 and blob_key = $2")
            .bind(account_id).bind(blob_key).execute(pool).await.map(|_| ()))?;
        Ok(())
    }
}
