//! What the home pages count: the officers' queues (posts waiting for review, deliveries that
//! failed) and the month's headline figures for managers. Figures come from the same rollups
//! the reports read, so the home page and `/reports` never disagree.

use serde::Serialize;

use super::{Store, StoreResult, on_pool};

/// The city's figures over a period, as a manager's home page shows them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Headline {
    /// Posts published in the period (the city's and the units').
    pub posts: i64,
    pub reach: i64,
    pub clicks: i64,
    pub qr_scans: i64,
    /// Kit targets whose deadline fell in the period, and those shared by their deadline.
    pub kits_due: i64,
    pub kits_on_time: i64,
}

impl Store {
    /// Deliveries in one state (`failed`: the dead letters).
    pub async fn count_deliveries_in(&self, state: &str) -> StoreResult<i64> {
        Ok(on_pool!(self, pool => sqlx::query_scalar(
            "select count(*) from delivery where state = $1")
            .bind(state).fetch_one(pool).await)?)
    }

    /// The city's headline figures for Hanoi days `from`..=`to` (`[from_ms, to_ms)` in UTC).
    pub async fn headline(
        &self,
        (from, to): (time::Date, time::Date),
        (from_ms, to_ms): (i64, i64),
    ) -> StoreResult<Headline> {
        self.fold_clicks().await?;
        // Campaign 0, tier "top": every campaign's engagement once, over every unit and the
        // city's own accounts (area 0).
        let sums: (Option<i64>, Option<i64>, Option<i64>) = on_pool!(self, pool => sqlx::query_as(
            "select cast(sum(reach) as bigint), cast(sum(link_clicks) as bigint), cast(sum(qr_scans) as bigint) \
             from report_daily where tier = 'top' and campaign_id = 0 and day >= $1 and day <= $2")
            .bind(from.to_string()).bind(to.to_string()).fetch_one(pool).await)?;
        let posts: i64 = on_pool!(self, pool => sqlx::query_scalar(
            "select count(*) from post where published_at >= $1 and published_at < $2")
            .bind(from_ms).bind(to_ms).fetch_one(pool).await)?;
        let rates = self.share_rates(from_ms, to_ms).await?;
        Ok(Headline {
            posts,
            reach: sums.0.unwrap_or(0),
            clicks: sums.1.unwrap_or(0),
            qr_scans: sums.2.unwrap_or(0),
            kits_due: rates.iter().map(|r| r.kits_targeted).sum(),
            kits_on_time: rates.iter().map(|r| r.shared_on_time).sum(),
        })
    }
}
