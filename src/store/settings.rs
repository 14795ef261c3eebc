//! Instance settings (key → value) and the record of which reference datasets are loaded.

use super::{Store, StoreResult, on_pool};

/// The snapshot of the administrative map that reports and unit bindings use.
pub const ACTIVE_SNAPSHOT: &str = "active_snapshot";

impl Store {
    pub async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(
            on_pool!(self, pool => sqlx::query_scalar("select value from setting where key = $1")
            .bind(key).fetch_optional(pool).await)?,
        )
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "insert into setting (key, value, updated_at) values ($1, $2, $3) \
             on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at")
            .bind(key).bind(value).bind(crate::clock::now_ms()).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The active snapshot; `2024` (the 30 districts the city reports by) until changed.
    pub async fn active_snapshot(&self) -> StoreResult<String> {
        Ok(self
            .setting(ACTIVE_SNAPSHOT)
            .await?
            .unwrap_or_else(|| "2024".to_string()))
    }

    /// The checksum of the named dataset as last loaded, if it was.
    pub async fn refdata_checksum(&self, name: &str) -> StoreResult<Option<String>> {
        Ok(
            on_pool!(self, pool => sqlx::query_scalar("select checksum from refdata_load where name = $1")
            .bind(name).fetch_optional(pool).await)?,
        )
    }

    pub async fn mark_refdata_loaded(&self, name: &str, checksum: &str) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "insert into refdata_load (name, checksum, loaded_at) values ($1, $2, $3) \
             on conflict (name) do update set checksum = excluded.checksum, loaded_at = excluded.loaded_at")
            .bind(name).bind(checksum).bind(crate::clock::now_ms()).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}

impl super::Tx {
    /// Sets one setting inside the step's transaction.
    pub async fn set_setting(&mut self, key: &str, value: &str) -> StoreResult<()> {
        let now = self.now;
        self.point("setting")?;
        super::on_tx!(self, c => sqlx::query(
            "insert into setting (key, value, updated_at) values ($1, $2, $3) \
             on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at")
            .bind(key).bind(value).bind(now).execute(&mut *c).await?.rows_affected());
        Ok(())
    }
}

impl Store {
    /// Sets one setting with a person's audit line, in one transaction.
    pub async fn set_setting_with(
        &self,
        key: &str,
        value: &str,
        audit: &super::Effects,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        tx.set_setting(key, value).await?;
        tx.write_effects(audit).await?;
        tx.commit().await
    }
}
