//! PostgreSQL's click writers: each group is one insert on the writer's own connection.

use std::sync::Arc;

use super::ClickDurability;
use super::GroupStats;
use super::ledger::Ledgers;
use crate::engagement::clicks::NewClick;

/// A group in one statement: arrays bind as binary, cheaper for the server than parsing JSON or
/// a statement per click. Numbers follow the writer's own count.
const PG_GROUP: &str = "insert into click (writer_id, seq, link_id, at, day, referrer_host, device, bot, visitor) \
     select $1, $2 + o, l, a, d, r, v, b, x from unnest($3::bigint[], $4::bigint[], $5::text[], \
       $6::text[], $7::text[], $8::boolean[], $9::bigint[]) with ordinality as t (l, a, d, r, v, b, x, o)";

/// How a click writer connects: `synchronous_commit` per the durability setting.
pub(in crate::store) fn pg_click_options(
    url: &str,
    durability: ClickDurability,
) -> anyhow::Result<sqlx::postgres::PgConnectOptions> {
    use std::str::FromStr;
    let sync = match durability {
        ClickDurability::Process => "off",
        ClickDurability::Disk => "on",
    };
    Ok(sqlx::postgres::PgConnectOptions::from_str(url)?.options([("synchronous_commit", sync)]))
}

/// One writer: a connection of its own, a row in `click_writer` and the number of its last
/// click. Its groups go one after the other (the lock is held across the insert), which is
/// what makes its folded mark exact (see `fold`).
///
/// The connection is its own rather than a pool's: sqlx pings a pooled connection when it is
/// taken and again when it is given back, two round trips around each group's one.
pub struct PgClickWriter {
    options: sqlx::postgres::PgConnectOptions,
    ledgers: Arc<Ledgers>,
    state: tokio::sync::Mutex<WriterState>,
    stats: Arc<GroupStats>,
}

#[derive(Default)]
struct WriterState {
    /// None after a failure, until the next group reconnects.
    conn: Option<sqlx::PgConnection>,
    /// (writer id, number of its last click); none until the first group.
    numbering: Option<(i64, i64)>,
}

impl PgClickWriter {
    pub(in crate::store) async fn connect(
        options: sqlx::postgres::PgConnectOptions,
        ledgers: Arc<Ledgers>,
        stats: Arc<GroupStats>,
    ) -> sqlx::Result<PgClickWriter> {
        use sqlx::Connection;
        let conn = sqlx::PgConnection::connect_with(&options).await?;
        Ok(PgClickWriter {
            options,
            ledgers,
            state: tokio::sync::Mutex::new(WriterState {
                conn: Some(conn),
                numbering: None,
            }),
            stats,
        })
    }

    /// Writes a group and keeps it for this instance's folds (see `ledger`).
    pub(in crate::store) async fn write(&self, clicks: Vec<NewClick>) -> sqlx::Result<()> {
        let mut state = self.state.lock().await;
        let written = self.write_group(&mut state, &clicks).await;
        // After a failure the next group reconnects and starts a new writer: should the failed
        // statement still commit (a broken connection's server may finish it), it must not
        // land behind clicks already folded past under the same numbering.
        match written {
            Ok((writer_id, first)) => {
                self.ledgers.append(writer_id, first, clicks);
                Ok(())
            }
            Err(e) => {
                if let Some((writer_id, _)) = state.numbering {
                    self.ledgers.forget(writer_id);
                }
                *state = WriterState::default();
                Err(e)
            }
        }
    }

    /// Inserts a group; returns the writer id and the number of its first click.
    async fn write_group(
        &self,
        state: &mut WriterState,
        clicks: &[NewClick],
    ) -> sqlx::Result<(i64, i64)> {
        use sqlx::Connection;
        let conn = match &mut state.conn {
            Some(conn) => conn,
            empty => empty.insert(sqlx::PgConnection::connect_with(&self.options).await?),
        };
        let (writer_id, last_seq) = match state.numbering {
            Some(numbering) => numbering,
            None => {
                let id = sqlx::query_scalar(
                    "insert into click_writer (started_at) values ($1) returning writer_id",
                )
                .bind(crate::clock::now_ms())
                .fetch_one(&mut *conn)
                .await?;
                (id, 0)
            }
        };
        let started = std::time::Instant::now();
        let n = clicks.len();
        let mut l = Vec::with_capacity(n);
        let mut a = Vec::with_capacity(n);
        let mut d = Vec::with_capacity(n);
        let mut r = Vec::with_capacity(n);
        let mut v = Vec::with_capacity(n);
        let mut b = Vec::with_capacity(n);
        let mut x = Vec::with_capacity(n);
        for c in clicks {
            l.push(c.link_id);
            a.push(c.at);
            d.push(c.day.as_str());
            r.push(c.referrer_host.as_str());
            v.push(c.device);
            b.push(c.bot);
            // The key's bits as PostgreSQL's signed bigint.
            x.push(c.visitor as i64);
        }
        sqlx::query(PG_GROUP)
            .bind(writer_id)
            .bind(last_seq)
            .bind(&l)
            .bind(&a)
            .bind(&d)
            .bind(&r)
            .bind(&v)
            .bind(&b)
            .bind(&x)
            .execute(&mut *conn)
            .await?;
        self.stats.add(n, started);
        state.numbering = Some((writer_id, last_seq + n as i64));
        Ok((writer_id, last_seq + 1))
    }
}
