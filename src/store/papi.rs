//! PAPI: the 8 dimensions and their sub-dimensions, and Hanoi's published results per year.

use serde::Serialize;

use super::{Store, StoreResult, on_pool};

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct PapiDimension {
    pub code: String,
    pub parent_code: Option<String>,
    pub level: String,
    pub name_vi: String,
    pub name_en: String,
    pub scale_min: f64,
    pub scale_max: f64,
    pub since: i64,
    pub confidence: String,
    pub position: i64,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct PapiResult {
    pub year: i64,
    pub total: Option<f64>,
    pub rank_of_63: Option<i64>,
    pub group_no: Option<i64>,
    pub notes: String,
    pub sources: String,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct PapiScore {
    pub year: i64,
    pub dimension_code: String,
    pub score: f64,
}

impl Store {
    /// Replaces all PAPI reference data in one transaction.
    pub async fn replace_papi(
        &self,
        dims: &[PapiDimension],
        results: &[PapiResult],
        scores: &[PapiScore],
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("delete from papi_score").execute(&mut *tx).await?;
            sqlx::query("delete from papi_result").execute(&mut *tx).await?;
            sqlx::query("delete from papi_dimension").execute(&mut *tx).await?;
            for d in dims {
                sqlx::query("insert into papi_dimension (code, parent_code, level, name_vi, name_en, scale_min, \
                             scale_max, since, confidence, position) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                    .bind(&d.code).bind(&d.parent_code).bind(&d.level).bind(&d.name_vi).bind(&d.name_en)
                    .bind(d.scale_min).bind(d.scale_max).bind(d.since).bind(&d.confidence).bind(d.position)
                    .execute(&mut *tx).await?;
            }
            for r in results {
                sqlx::query("insert into papi_result (year, total, rank_of_63, group_no, notes, sources) \
                             values ($1, $2, $3, $4, $5, $6)")
                    .bind(r.year).bind(r.total).bind(r.rank_of_63).bind(r.group_no).bind(&r.notes).bind(&r.sources)
                    .execute(&mut *tx).await?;
            }
            for s in scores {
                sqlx::query("insert into papi_score (year, dimension_code, score) values ($1, $2, $3)")
                    .bind(s.year).bind(&s.dimension_code).bind(s.score)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn papi_dimensions(&self) -> StoreResult<Vec<PapiDimension>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select code, parent_code, level, name_vi, name_en, scale_min, scale_max, since, confidence, position \
             from papi_dimension order by position").fetch_all(pool).await)?)
    }

    pub async fn papi_results(&self) -> StoreResult<Vec<PapiResult>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select year, total, rank_of_63, group_no, notes, sources from papi_result order by year")
            .fetch_all(pool).await)?)
    }

    pub async fn papi_scores(&self) -> StoreResult<Vec<PapiScore>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select year, dimension_code, score from papi_score order by year, dimension_code")
            .fetch_all(pool).await)?)
    }
}
