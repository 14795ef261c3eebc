//! In-app notifications per person, the local fields of each unit (hotline, address, e-mail)
//! that kit templates are filled with, and proposals of local content from the units.

use serde::Serialize;

use super::{Effects, Store, StoreResult, on_pool};

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Notification {
    pub notification_id: i64,
    pub kind: String,
    /// Catalog key of the message; `args` (a JSON object) fills its placeholders.
    pub message_key: String,
    pub args: String,
    pub link: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Proposal {
    pub proposal_id: i64,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub author_id: i64,
    pub author_name: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub status: String,
    pub reason: String,
    pub adopted_post_id: Option<i64>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

const SELECT_PROPOSAL: &str = "select p.proposal_id, p.unit_id, a.code as unit_code, a.name as unit_name, \
     p.author_id, u.display_name as author_name, p.title, p.body, p.link, p.status, p.reason, \
     p.adopted_post_id, p.created_at, p.decided_at from proposal p join area a on a.area_id = p.unit_id \
     join app_user u on u.user_id = p.author_id";

impl Store {
    /// Tells every active staff member bound to `unit_id`. Returns how many were told.
    pub async fn notify_unit(
        &self,
        unit_id: i64,
        kind: &str,
        message_key: &str,
        args: &serde_json::Value,
        link: &str,
    ) -> StoreResult<u64> {
        let now = crate::clock::now_ms();
        let args = args.to_string();
        Ok(on_pool!(self, pool => sqlx::query(
            "insert into notification (user_id, kind, message_key, args, link, created_at) \
             select user_id, $1, $2, $3, $4, $5 from app_user where unit_id = $6 and disabled = false")
            .bind(kind).bind(message_key).bind(&args).bind(link).bind(now).bind(unit_id)
            .execute(pool).await.map(|r| r.rows_affected()))?)
    }

    pub async fn notifications(&self, user_id: i64, limit: i64) -> StoreResult<Vec<Notification>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select notification_id, kind, message_key, args, link, created_at, read_at from notification \
             where user_id = $1 order by created_at desc, notification_id desc limit $2")
            .bind(user_id).bind(limit).fetch_all(pool).await)?)
    }

    pub async fn unread_notifications(&self, user_id: i64) -> StoreResult<i64> {
        Ok(on_pool!(self, pool => sqlx::query_scalar(
            "select count(*) from notification where user_id = $1 and read_at is null")
            .bind(user_id).fetch_one(pool).await)?)
    }

    pub async fn mark_notifications_read(&self, user_id: i64) -> StoreResult<u64> {
        Ok(on_pool!(self, pool => sqlx::query(
            "update notification set read_at = $1 where user_id = $2 and read_at is null")
            .bind(crate::clock::now_ms()).bind(user_id).execute(pool).await.map(|r| r.rows_affected()))?)
    }

    /// A unit's local fields by name.
    pub async fn unit_fields(
        &self,
        unit_id: i64,
    ) -> StoreResult<std::collections::BTreeMap<String, String>> {
        let rows: Vec<(String, String)> = on_pool!(self, pool => sqlx::query_as(
            "select name, value from unit_field where unit_id = $1")
            .bind(unit_id).fetch_all(pool).await)?;
        Ok(rows.into_iter().collect())
    }

    /// Replaces a unit's local fields (an empty value removes one), with the step's audit line.
    pub async fn set_unit_fields(
        &self,
        unit_id: i64,
        fields: &[(String, String)],
        by: i64,
        effects: &Effects,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let now = tx.now;
        tx.point("unit fields")?;
        super::on_tx!(tx, c => {
            for (name, value) in fields {
                sqlx::query("delete from unit_field where unit_id = $1 and name = $2")
                    .bind(unit_id).bind(name).execute(&mut *c).await?;
                if !value.is_empty() {
                    sqlx::query("insert into unit_field (unit_id, name, value, updated_by, updated_at) \
                                 values ($1, $2, $3, $4, $5)")
                        .bind(unit_id).bind(name).bind(value).bind(by).bind(now).execute(&mut *c).await?;
                }
            }
        });
        tx.write_effects(effects).await?;
        tx.commit().await
    }

    /// Proposals of one unit, or of all units; pending ones first.
    pub async fn proposals(&self, unit_id: Option<i64>) -> StoreResult<Vec<Proposal>> {
        let sql = format!(
            "{SELECT_PROPOSAL} where ($1 is null or p.unit_id = $1) \
             order by case when p.status = 'pending' then 0 else 1 end, p.created_at desc limit 500"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(unit_id).fetch_all(pool).await)?)
    }

    pub async fn proposal(&self, proposal_id: i64) -> StoreResult<Proposal> {
        let sql = format!("{SELECT_PROPOSAL} where p.proposal_id = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(proposal_id).fetch_one(pool).await)?)
    }

    /// The proposal a post was adopted from, if any (the post page credits the unit).
    pub async fn proposal_of_post(&self, post_id: i64) -> StoreResult<Option<Proposal>> {
        let sql = format!("{SELECT_PROPOSAL} where p.adopted_post_id = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(post_id).fetch_optional(pool).await)?)
    }
}

impl super::Tx {
    /// Decides a pending proposal; false when someone decided it first.
    pub async fn decide_proposal(
        &mut self,
        proposal_id: i64,
        (status, reason): (&str, &str),
        adopted_post_id: Option<i64>,
        by: i64,
    ) -> StoreResult<bool> {
        let now = self.now;
        self.point("proposal")?;
        let n = super::on_tx!(self, c => sqlx::query(
            "update proposal set status = $1, reason = $2, adopted_post_id = $3, decided_by = $4, decided_at = $5 \
             where proposal_id = $6 and status = 'pending'")
            .bind(status).bind(reason).bind(adopted_post_id).bind(by).bind(now).bind(proposal_id)
            .execute(&mut *c).await?.rows_affected());
        Ok(n == 1)
    }

    /// A unit's proposal for a city post.
    pub async fn create_proposal(
        &mut self,
        unit_id: i64,
        author: i64,
        (title, body, link): (&str, &str, Option<&str>),
    ) -> StoreResult<i64> {
        let now = self.now;
        self.point("proposal")?;
        Ok(super::on_tx!(self, c => sqlx::query_scalar(
            "insert into proposal (unit_id, author_id, title, body, link, created_at) \
             values ($1, $2, $3, $4, $5, $6) returning proposal_id")
            .bind(unit_id).bind(author).bind(title).bind(body).bind(link).bind(now)
            .fetch_one(&mut *c).await?))
    }
}
