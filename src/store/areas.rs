//! Administrative units as a tree (city → district → commune) per snapshot of the map, and the
//! 2025 conversion from old communes to new ones. Units are found by official code, never by name.

use serde::Serialize;

use super::{Store, StoreResult, on_pool};

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Area {
    pub area_id: i64,
    pub snapshot: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub province_code: String,
}

/// A validated row ready to store (see `refdata::parse_units_csv`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AreaImportRow {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub province_code: String,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct ConversionRow {
    pub old_code: String,
    pub old_name: String,
    pub old_district_code: String,
    pub new_code: String,
    pub new_name: String,
    pub merge: String,
}

/// What part of the map a person may see: the whole city, or one unit and the units under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    City,
    Unit {
        snapshot: String,
        code: String,
    },
    /// A unit-bound account whose unit is missing: sees nothing rather than everything.
    Nothing,
}

impl Scope {
    pub fn allows(&self, area: &Area) -> bool {
        match self {
            Scope::City => true,
            Scope::Unit { snapshot, code } => {
                area.snapshot == *snapshot
                    && (area.code == *code || area.parent_code.as_deref() == Some(code.as_str()))
            }
            Scope::Nothing => false,
        }
    }

    /// (snapshot, code) bind values for the scope condition in SQL; `None` means no limit.
    fn binds(&self) -> (Option<&str>, Option<&str>, bool) {
        match self {
            Scope::City => (None, None, false),
            Scope::Unit { snapshot, code } => (Some(snapshot), Some(code), false),
            Scope::Nothing => (None, None, true),
        }
    }
}

const AREA_COLUMNS: &str = "area_id, snapshot, code, name, kind, level, parent_code, province_code";

impl Store {
    /// Inserts or updates (by snapshot and code) every row in one transaction: either all rows
    /// land or none do. Existing ids stay, so accounts bound to a unit keep their binding.
    pub async fn upsert_areas(&self, snapshot: &str, rows: &[AreaImportRow]) -> StoreResult<usize> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for r in rows {
                sqlx::query(
                    "insert into area (snapshot, code, name, kind, level, parent_code, province_code) \
                     values ($1, $2, $3, $4, $5, $6, $7) on conflict (snapshot, code) do update set \
                     name = excluded.name, kind = excluded.kind, level = excluded.level, \
                     parent_code = excluded.parent_code, province_code = excluded.province_code")
                    .bind(snapshot).bind(&r.code).bind(&r.name).bind(&r.kind).bind(&r.level)
                    .bind(&r.parent_code).bind(&r.province_code)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(rows.len())
    }

    pub async fn replace_conversion(&self, rows: &[ConversionRow]) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("delete from area_conversion").execute(&mut *tx).await?;
            for r in rows {
                sqlx::query("insert into area_conversion (old_code, old_name, old_district_code, new_code, new_name, merge) \
                             values ($1, $2, $3, $4, $5, $6)")
                    .bind(&r.old_code).bind(&r.old_name).bind(&r.old_district_code)
                    .bind(&r.new_code).bind(&r.new_name).bind(&r.merge)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn area_by_code(&self, snapshot: &str, code: &str) -> StoreResult<Area> {
        let sql = format!("select {AREA_COLUMNS} from area where snapshot = $1 and code = $2");
        Ok(
            on_pool!(self, pool => sqlx::query_as(&sql).bind(snapshot).bind(code).fetch_one(pool).await)?,
        )
    }

    pub async fn area_by_id(&self, area_id: i64) -> StoreResult<Area> {
        let sql = format!("select {AREA_COLUMNS} from area where area_id = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(area_id).fetch_one(pool).await)?)
    }

    /// (id, code, name) of every unit of one level in a snapshot, by code.
    pub async fn area_codes_at_level(
        &self,
        snapshot: &str,
        level: &str,
    ) -> StoreResult<Vec<(i64, String, String)>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select area_id, code, name from area where snapshot = $1 and level = $2 order by code")
            .bind(snapshot).bind(level).fetch_all(pool).await)?)
    }

    /// Codes of a snapshot that already exist, for validating an import against what is stored.
    pub async fn area_codes(&self, snapshot: &str) -> StoreResult<Vec<(String, String)>> {
        Ok(
            on_pool!(self, pool => sqlx::query_as("select code, level from area where snapshot = $1")
            .bind(snapshot).fetch_all(pool).await)?,
        )
    }

    /// Units of a snapshot visible in `scope`, optionally of one level, under one parent, or
    /// matching a name or code; one page and the total.
    pub async fn list_areas(
        &self,
        snapshot: &str,
        scope: &Scope,
        filter: &AreaFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<Area>, i64)> {
        let (scope_snapshot, scope_code, nothing) = scope.binds();
        if nothing {
            return Ok((Vec::new(), 0));
        }
        let pattern = filter
            .query
            .as_deref()
            .map(|q| format!("%{}%", q.to_lowercase()));
        let cond = "snapshot = $1 and ($2 is null or level = $2) and ($3 is null or parent_code = $3) \
                    and ($4 is null or lower(name) like $4 or code like $4) \
                    and ($5 is null or (snapshot = $5 and (code = $6 or parent_code = $6)))";
        let sql = format!(
            "select {AREA_COLUMNS} from area where {cond} order by code limit $7 offset $8"
        );
        let count_sql = format!("select count(*) from area where {cond}");
        let level = filter.level.as_deref();
        let parent = filter.parent_code.as_deref();
        let rows: Vec<Area> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(snapshot).bind(level).bind(parent).bind(&pattern).bind(scope_snapshot).bind(scope_code)
            .bind(limit).bind(offset).fetch_all(pool).await)?;
        let total: i64 = on_pool!(self, pool => sqlx::query_scalar(&count_sql)
            .bind(snapshot).bind(level).bind(parent).bind(&pattern).bind(scope_snapshot).bind(scope_code)
            .fetch_one(pool).await)?;
        Ok((rows, total))
    }

    /// Each snapshot with its number of districts and communes.
    pub async fn snapshots(&self) -> StoreResult<Vec<(String, i64, i64)>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select snapshot, \
             sum(case when level = 'district' then 1 else 0 end), \
             sum(case when level = 'commune' then 1 else 0 end) \
             from area group by snapshot order by snapshot")
            .fetch_all(pool).await)?)
    }

    /// The level a snapshot reports by and binds staff to: `district` where it has districts,
    /// else `commune` (the 2025-07 map has no district level).
    pub async fn reporting_level(&self, snapshot: &str) -> StoreResult<&'static str> {
        let districts: i64 = on_pool!(self, pool => sqlx::query_scalar(
            "select count(*) from area where snapshot = $1 and level = 'district'")
            .bind(snapshot).fetch_one(pool).await)?;
        Ok(if districts > 0 { "district" } else { "commune" })
    }

    /// Rows of the 2025 conversion touching `code`, as an old commune or as a new one.
    pub async fn conversion_for(&self, code: &str) -> StoreResult<Vec<ConversionRow>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select old_code, old_name, old_district_code, new_code, new_name, merge from area_conversion \
             where old_code = $1 or new_code = $1 or old_district_code = $1 order by old_code, new_code")
            .bind(code).fetch_all(pool).await)?)
    }
}

#[derive(Clone, Debug, Default)]
pub struct AreaFilter {
    pub level: Option<String>,
    pub parent_code: Option<String>,
    pub query: Option<String>,
}
