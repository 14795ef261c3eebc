//! The audit log: who changed what, when. Written right after the change it records succeeds.

use serde::Serialize;

use super::{Store, StoreResult, on_pool};

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct AuditEntry {
    pub audit_id: i64,
    pub at: i64,
    pub actor_user_id: Option<i64>,
    pub actor_username: Option<String>,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

impl Store {
    pub async fn audit(
        &self,
        actor: Option<i64>,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "insert into audit_log (at, actor_user_id, action, subject, detail) values ($1, $2, $3, $4, $5)")
            .bind(crate::clock::now_ms()).bind(actor).bind(action).bind(subject).bind(detail)
            .execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Writes an entry unless `actor` already has one of this `action` at or after `since`:
    /// repeated events (refused requests) appear once per window instead of flooding the log.
    /// Returns whether it wrote. One statement, so two instances racing write at most one more.
    pub async fn audit_unless_recent(
        &self,
        actor: i64,
        action: &str,
        subject: &str,
        detail: &str,
        since: i64,
    ) -> StoreResult<bool> {
        let written = on_pool!(self, pool => sqlx::query(
            "insert into audit_log (at, actor_user_id, action, subject, detail) \
             select $1, $2, $3, $4, $5 where not exists (select 1 from audit_log \
             where actor_user_id = $2 and action = $3 and at >= $6)")
            .bind(crate::clock::now_ms()).bind(actor).bind(action).bind(subject).bind(detail).bind(since)
            .execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(written > 0)
    }

    /// The newest entries first.
    pub async fn recent_audit(
        &self,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<AuditEntry>, i64)> {
        let rows = on_pool!(self, pool => sqlx::query_as(
            "select l.audit_id, l.at, l.actor_user_id, u.username as actor_username, l.action, l.subject, l.detail \
             from audit_log l left join app_user u on u.user_id = l.actor_user_id \
             order by l.audit_id desc limit $1 offset $2")
            .bind(limit).bind(offset).fetch_all(pool).await)?;
        let total: i64 = on_pool!(self, pool => sqlx::query_scalar("select count(*) from audit_log").fetch_one(pool).await)?;
        Ok((rows, total))
    }
}
