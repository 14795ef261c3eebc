//! Accounts. The password hash never leaves this module except to `auth::verify_password`.

use serde::Serialize;

use super::{Store, StoreError, StoreResult, on_pool};
use crate::domain::Role;

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct User {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub unit_id: Option<i64>,
    pub unit_code: Option<String>,
    pub unit_name: Option<String>,
    pub unit_snapshot: Option<String>,
    pub locale: String,
    pub disabled: bool,
    pub must_change_password: bool,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

impl TryFrom<String> for Role {
    type Error = String;
    fn try_from(s: String) -> Result<Role, String> {
        Role::parse("role", &s).map_err(|_| format!("unknown role {s} in the database"))
    }
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub unit_id: Option<i64>,
    pub must_change_password: bool,
}

pub struct UserUpdate<'a> {
    pub display_name: &'a str,
    pub role: Role,
    pub unit_id: Option<i64>,
}

#[derive(Default, Debug)]
pub struct UserFilter {
    /// Matches username or display name, case-insensitively.
    pub query: Option<String>,
    pub role: Option<Role>,
}

const SELECT_USER: &str = "select u.user_id, u.username, u.display_name, u.role, u.unit_id, \
     a.code as unit_code, a.name as unit_name, a.snapshot as unit_snapshot, u.locale, u.disabled, \
     u.must_change_password, u.created_at, u.last_login_at \
     from app_user u left join area a on a.area_id = u.unit_id";

impl Store {
    pub async fn create_user(&self, new: &NewUser<'_>) -> StoreResult<i64> {
        let now = crate::clock::now_ms();
        let id: i64 = on_pool!(self, pool => sqlx::query_scalar(
            "insert into app_user (username, display_name, password_hash, role, unit_id, \
             must_change_password, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $7) \
             returning user_id")
            .bind(new.username)
            .bind(new.display_name)
            .bind(new.password_hash)
            .bind(new.role.as_str())
            .bind(new.unit_id)
            .bind(new.must_change_password)
            .bind(now)
            .fetch_one(pool)
            .await)?;
        Ok(id)
    }

    pub async fn user_by_id(&self, user_id: i64) -> StoreResult<User> {
        let sql = format!("{SELECT_USER} where u.user_id = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(user_id).fetch_one(pool).await)?)
    }

    /// The user and their password hash, for logging in.
    pub async fn user_for_login(&self, username: &str) -> StoreResult<(User, String)> {
        let sql = format!("{SELECT_USER} where u.username = $1");
        let user: User =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(username).fetch_one(pool).await)?;
        let hash: String = on_pool!(self, pool => sqlx::query_scalar(
            "select password_hash from app_user where user_id = $1")
            .bind(user.user_id).fetch_one(pool).await)?;
        Ok((user, hash))
    }

    /// One page of users, ordered by username, and the total that match.
    pub async fn list_users(
        &self,
        filter: &UserFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<User>, i64)> {
        let pattern = filter
            .query
            .as_deref()
            .map(|q| format!("%{}%", q.to_lowercase()));
        let role = filter.role.map(|r| r.as_str());
        let cond = "($1 is null or lower(u.username) like $1 or lower(u.display_name) like $1) \
                    and ($2 is null or u.role = $2)";
        let sql = format!("{SELECT_USER} where {cond} order by u.username limit $3 offset $4");
        let count_sql = format!("select count(*) from app_user u where {cond}");
        let users: Vec<User> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(&pattern).bind(role).bind(limit).bind(offset).fetch_all(pool).await)?;
        let total: i64 = on_pool!(self, pool => sqlx::query_scalar(&count_sql)
            .bind(&pattern).bind(role).fetch_one(pool).await)?;
        Ok((users, total))
    }

    pub async fn update_user(&self, user_id: i64, update: &UserUpdate<'_>) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query(
            "update app_user set display_name = $1, role = $2, unit_id = $3, updated_at = $4 where user_id = $5")
            .bind(update.display_name).bind(update.role.as_str()).bind(update.unit_id)
            .bind(crate::clock::now_ms()).bind(user_id).execute(pool).await.map(|r| r.rows_affected()))?;
        if done == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    /// Disabling also ends every session of the user, in the same transaction.
    pub async fn set_user_disabled(&self, user_id: i64, disabled: bool) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query("update app_user set disabled = $1, updated_at = $2 where user_id = $3")
                .bind(disabled).bind(crate::clock::now_ms()).bind(user_id).execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            if disabled {
                sqlx::query("delete from session where user_id = $1").bind(user_id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// A new password ends every other session of the user (all of them when `keep_session`
    /// is `None`, e.g. an admin reset).
    pub async fn set_user_locale(&self, user_id: i64, locale: &str) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("update app_user set locale = $1 where user_id = $2")
            .bind(locale).bind(user_id).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn count_active_admins(&self) -> StoreResult<i64> {
        Ok(on_pool!(self, pool => sqlx::query_scalar(
            "select count(*) from app_user where role = 'admin' and not disabled").fetch_one(pool).await)?)
    }
}

impl super::Tx {
    /// A new password; the user's other sessions end (`keep_session` stays signed in).
    pub async fn set_password(
        &mut self,
        user_id: i64,
        hash: &str,
        must_change: bool,
        keep_session: Option<&str>,
    ) -> StoreResult<()> {
        let now = self.now;
        self.point("password")?;
        super::on_tx!(self, c => {
            sqlx::query("update app_user set password_hash = $1, must_change_password = $2, updated_at = $3 where user_id = $4")
                .bind(hash).bind(must_change).bind(now).bind(user_id).execute(&mut *c).await?;
            sqlx::query("delete from session where user_id = $1 and session_hash <> coalesce($2, '')")
                .bind(user_id).bind(keep_session).execute(&mut *c).await?;
        });
        Ok(())
    }
}

impl Store {
    /// `Tx::set_password` with its audit line, in one transaction.
    pub async fn set_password(
        &self,
        user_id: i64,
        hash: &str,
        must_change: bool,
        keep_session: Option<&str>,
        effects: &super::Effects,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        tx.set_password(user_id, hash, must_change, keep_session)
            .await?;
        tx.write_effects(effects).await?;
        tx.commit().await
    }
}
