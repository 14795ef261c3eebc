//! Server-side sessions and the record of failed logins. A session row is keyed by the SHA-256
//! of its cookie token, so reading the table opens no session.

use super::{Store, StoreResult, User, on_pool};

#[derive(Clone, Debug)]
pub struct SessionUser {
    pub user: User,
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_seen_at: i64,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: i64,
    csrf_token: String,
    created_at: i64,
    expires_at: i64,
    last_seen_at: i64,
}

impl Store {
    pub async fn create_session(
        &self,
        session_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: i64,
    ) -> StoreResult<()> {
        let now = crate::clock::now_ms();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("insert into session (session_hash, user_id, csrf_token, created_at, expires_at, last_seen_at) \
                         values ($1, $2, $3, $4, $5, $4)")
                .bind(session_hash).bind(user_id).bind(csrf_token).bind(now).bind(expires_at)
                .execute(&mut *tx).await?;
            sqlx::query("update app_user set last_login_at = $1 where user_id = $2")
                .bind(now).bind(user_id).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The session and its user, whatever its expiry: the caller tells "expired" from "unknown".
    pub async fn session_user(&self, session_hash: &str) -> StoreResult<Option<SessionUser>> {
        let row: Option<SessionRow> = on_pool!(self, pool => sqlx::query_as(
            "select user_id, csrf_token, created_at, expires_at, last_seen_at from session where session_hash = $1")
            .bind(session_hash).fetch_optional(pool).await)?;
        let Some(row) = row else { return Ok(None) };
        let user = self.user_by_id(row.user_id).await?;
        Ok(Some(SessionUser {
            user,
            csrf_token: row.csrf_token,
            created_at: row.created_at,
            expires_at: row.expires_at,
            last_seen_at: row.last_seen_at,
        }))
    }

    /// Slides the idle timeout forward. Called at most once every few minutes per session so
    /// that reading pages does not turn into a stream of writes.
    pub async fn touch_session(
        &self,
        session_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("update session set last_seen_at = $1, expires_at = $2 where session_hash = $3")
            .bind(now).bind(expires_at).bind(session_hash).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn delete_session(&self, session_hash: &str) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("delete from session where session_hash = $1")
            .bind(session_hash).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn purge_expired_sessions(&self, now: i64) -> StoreResult<u64> {
        let done = on_pool!(self, pool => sqlx::query("delete from session where expires_at < $1")
            .bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(done)
    }

    pub async fn record_login_failure(
        &self,
        username: &str,
        client_key: &str,
        at: i64,
    ) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("insert into login_failure (username, client_key, at) values ($1, $2, $3)")
            .bind(username).bind(client_key).bind(at).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Failures for `username` since `since`: how many, and when the earliest of them was.
    pub async fn login_failures_since(
        &self,
        username: &str,
        since: i64,
    ) -> StoreResult<(i64, Option<i64>)> {
        let row: (i64, Option<i64>) = on_pool!(self, pool => sqlx::query_as(
            "select count(*), min(at) from login_failure where username = $1 and at >= $2")
            .bind(username).bind(since).fetch_one(pool).await)?;
        Ok(row)
    }

    /// Recent failures (at or after `since`) seen by the login throttle: for the pair
    /// (`username`, `client_key`) how many and the earliest; for the username from any client,
    /// and for the client under any username, how many and the latest.
    pub async fn login_failure_counts(
        &self,
        username: &str,
        client_key: &str,
        since: i64,
    ) -> StoreResult<LoginFailureCounts> {
        let pair: (i64, Option<i64>) = on_pool!(self, pool => sqlx::query_as(
            "select count(*), min(at) from login_failure where username = $1 and client_key = $2 and at >= $3")
            .bind(username).bind(client_key).bind(since).fetch_one(pool).await)?;
        let user: (i64, Option<i64>) = on_pool!(self, pool => sqlx::query_as(
            "select count(*), max(at) from login_failure where username = $1 and at >= $2")
            .bind(username).bind(since).fetch_one(pool).await)?;
        let client: (i64, Option<i64>) = on_pool!(self, pool => sqlx::query_as(
            "select count(*), max(at) from login_failure where username = $1 and at >= $2")
            .bind(format!("client:{client_key}")).bind(since).fetch_one(pool).await)?;
        Ok(LoginFailureCounts { pair, user, client })
    }

    /// Forgets the failures of one username from one client (after it logged in there).
    pub async fn clear_login_failures_from(
        &self,
        username: &str,
        client_key: &str,
    ) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("delete from login_failure where username = $1 and client_key = $2")
            .bind(username).bind(client_key).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn clear_login_failures(&self, username: &str) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("delete from login_failure where username = $1")
            .bind(username).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn purge_login_failures(&self, before: i64) -> StoreResult<u64> {
        let done = on_pool!(self, pool => sqlx::query("delete from login_failure where at < $1")
            .bind(before).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(done)
    }
}

/// See [`Store::login_failure_counts`]: (count, earliest) for the pair, (count, latest) for the
/// username and for the client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoginFailureCounts {
    pub pair: (i64, Option<i64>),
    pub user: (i64, Option<i64>),
    pub client: (i64, Option<i64>),
}
