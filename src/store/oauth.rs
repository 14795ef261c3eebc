//! OAuth authorizations under way: stored when Loa sends a person to the provider, taken
//! (once) when the provider sends them back with the same `state`.

use super::{Store, StoreResult, on_pool};

/// A pending authorization as the callback gets it back.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OauthPending {
    pub user_id: i64,
    pub sealed_request: String,
    pub expires_at: i64,
}

impl Store {
    /// Records an authorization started by this session; forgets those that have expired.
    pub async fn put_oauth_pending(
        &self,
        state: &str,
        session_hash: &str,
        user_id: i64,
        sealed_request: &str,
        expires_at: i64,
    ) -> StoreResult<()> {
        let now = crate::clock::now_ms();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("delete from oauth_pending where expires_at < $1")
                .bind(now).execute(&mut *tx).await?;
            sqlx::query("insert into oauth_pending (state, session_hash, user_id, sealed_request, \
                         expires_at) values ($1, $2, $3, $4, $5)")
                .bind(state).bind(session_hash).bind(user_id).bind(sealed_request).bind(expires_at)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Takes the authorization this `state` names if this session started it: deleted in the
    /// same statement, so a `state` is good once. Expiry is the caller's to check.
    pub async fn take_oauth_pending(
        &self,
        state: &str,
        session_hash: &str,
    ) -> StoreResult<Option<OauthPending>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "delete from oauth_pending where state = $1 and session_hash = $2 \
             returning user_id, sealed_request, expires_at")
            .bind(state).bind(session_hash).fetch_optional(pool).await)?)
    }
}
