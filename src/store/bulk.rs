//! Bulk statements for benchmarks: SQL text that Loa's own code generates (never anything from
//! a request), run as one script, so a benchmark can seed millions of rows set-based instead
//! of through the per-record methods.

use super::{Store, StoreResult, on_pool};

impl Store {
    /// Runs trusted, generated SQL (one or more statements); returns rows affected.
    pub async fn execute_generated(&self, sql: &str) -> StoreResult<u64> {
        Ok(
            on_pool!(self, pool => sqlx::raw_sql(sql).execute(pool).await.map(|r| r.rows_affected()))?,
        )
    }

    /// One number from trusted, generated SQL (a count, a sum).
    pub async fn scalar_generated(&self, sql: &str) -> StoreResult<i64> {
        Ok(on_pool!(self, pool => sqlx::query_scalar(sql).fetch_one(pool).await)?)
    }
}

impl Store {
    /// Pairs of numbers from trusted, generated SQL.
    pub async fn pairs_generated(&self, sql: &str) -> StoreResult<Vec<(i64, i64)>> {
        Ok(on_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await)?)
    }
}
