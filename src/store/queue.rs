//! The publishing queue as people read it on `/publishing`: what goes out next, what is being
//! sent or waits for confirmation, and the deliveries of one state, each with its post and
//! account. A unit's staff read only their unit's posts' deliveries (`unit`); officers all.

use serde::Serialize;

use super::{Store, StoreResult, on_pool};

/// One delivery with what a reader needs to recognise it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct QueueRow {
    pub delivery_id: i64,
    pub post_id: i64,
    pub title: String,
    pub account_id: i64,
    pub account: String,
    pub kind: String,
    pub sandbox: bool,
    pub state: crate::states::DeliveryState,
    pub due_at: i64,
    pub attempts: i64,
    pub last_error: String,
    pub last_error_class: String,
    pub updated_at: i64,
    pub published_at: Option<i64>,
}

const SELECT_ROW: &str = "select d.delivery_id, d.post_id, p.title, d.account_id, a.name as account, \
     a.kind, a.sandbox, d.state, d.due_at, d.attempts, d.last_error, d.last_error_class, d.updated_at, \
     d.published_at from delivery d join post p on p.post_id = d.post_id \
     join channel_account a on a.account_id = d.account_id";

/// The unit condition over `p` (the post), bound as `$1`: null reads every unit.
const OF_UNIT: &str = "($1 is null or p.unit_id = $1)";

impl Store {
    /// Deliveries in `state`, soonest due first for waiting ones and newest first otherwise.
    pub async fn queue_in_state(
        &self,
        unit: Option<i64>,
        state: &str,
        limit: i64,
    ) -> StoreResult<Vec<QueueRow>> {
        let order = if matches!(state, "pending" | "retry" | "unconfirmed" | "sending") {
            "d.due_at, d.delivery_id"
        } else {
            "d.updated_at desc, d.delivery_id desc"
        };
        let sql =
            format!("{SELECT_ROW} where {OF_UNIT} and d.state = $2 order by {order} limit $3");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(unit).bind(state).bind(limit).fetch_all(pool).await)?)
    }

    /// The next deliveries to go out (waiting for their time or a retry), soonest first.
    pub async fn queue_next(&self, unit: Option<i64>, limit: i64) -> StoreResult<Vec<QueueRow>> {
        let sql = format!(
            "{SELECT_ROW} where {OF_UNIT} and d.state in ('pending', 'retry') \
             order by d.due_at, d.delivery_id limit $2"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(unit).bind(limit).fetch_all(pool).await)?)
    }

    /// Deliveries being sent now or waiting to be confirmed on their channel.
    pub async fn queue_in_flight(
        &self,
        unit: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<QueueRow>> {
        let sql = format!(
            "{SELECT_ROW} where {OF_UNIT} and d.state in ('sending', 'unconfirmed') \
             order by d.due_at, d.delivery_id limit $2"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(unit).bind(limit).fetch_all(pool).await)?)
    }

    /// Counts by state over the reader's deliveries.
    pub async fn queue_counts(&self, unit: Option<i64>) -> StoreResult<Vec<(String, i64)>> {
        let sql = format!(
            "select d.state, count(*) from delivery d join post p on p.post_id = d.post_id \
             where {OF_UNIT} group by d.state order by d.state"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(unit).fetch_all(pool).await)?)
    }
}
