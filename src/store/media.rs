//! The media library's records. The bytes live in a `media::BlobStore` under their SHA-256;
//! these rows say who uploaded what, for which unit, with which alt text and focal point, and
//! which blob holds each channel variant.

use serde::Serialize;

use super::{Store, StoreResult, on_pool};

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct MediaItem {
    pub media_id: i64,
    pub sha256: String,
    pub unit_id: Option<i64>,
    pub unit_code: Option<String>,
    pub uploaded_by: i64,
    pub original_name: String,
    pub format: String,
    pub width: i64,
    pub height: i64,
    pub byte_size: i64,
    pub alt_text: String,
    pub focal_x: f64,
    pub focal_y: f64,
    pub created_at: i64,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct MediaVariantRow {
    pub kind: String,
    pub blob_key: String,
    pub width: i64,
    pub height: i64,
    pub byte_size: i64,
}

pub struct NewMedia<'a> {
    pub sha256: &'a str,
    pub unit_id: Option<i64>,
    pub uploaded_by: i64,
    pub original_name: &'a str,
    pub format: &'a str,
    pub width: i64,
    pub height: i64,
    pub byte_size: i64,
    pub alt_text: &'a str,
    pub focal: (f64, f64),
}

const SELECT_MEDIA: &str = "select m.media_id, m.sha256, m.unit_id, a.code as unit_code, m.uploaded_by, \
     m.original_name, m.format, m.width, m.height, m.byte_size, m.alt_text, m.focal_x, m.focal_y, m.created_at \
     from media m left join area a on a.area_id = m.unit_id";

macro_rules! write_media_variants {
    ($tx:ident, $id:expr, $variants:expr) => {
        for v in $variants {
            sqlx::query(
                "insert into media_variant (media_id, kind, blob_key, width, height, byte_size) \
                 values ($1, $2, $3, $4, $5, $6)",
            )
            .bind($id)
            .bind(&v.kind)
            .bind(&v.blob_key)
            .bind(v.width)
            .bind(v.height)
            .bind(v.byte_size)
            .execute(&mut *$tx)
            .await?;
        }
    };
}

impl Store {
    /// The record and its variants in one transaction; the blobs are already stored.
    pub async fn create_media(
        &self,
        new: &NewMedia<'_>,
        variants: &[MediaVariantRow],
    ) -> StoreResult<i64> {
        // Without a key nothing can be a repeat; a location here would mean a taken key.
        self.create_media_once(new, variants, None)
            .await?
            .map_err(super::StoreError::Conflict)
    }

    /// Stores an upload's row and variants; with the upload form's one-time key, a repeat of
    /// the same form answers `Err(location of the first)` and writes nothing.
    pub async fn create_media_once(
        &self,
        new: &NewMedia<'_>,
        variants: &[MediaVariantRow],
        once: Option<&str>,
    ) -> StoreResult<Result<i64, String>> {
        let mut tx = self.begin().await?;
        if let Some(key) = once
            && let Some(location) = tx.claim_once(new.uploaded_by, key).await?
        {
            return Ok(Err(location));
        }
        let now = tx.now;
        tx.point("media")?;
        let id = super::on_tx!(tx, c => {
            let id: i64 = sqlx::query_scalar(
                "insert into media (sha256, unit_id, uploaded_by, original_name, format, width, height, \
                 byte_size, alt_text, focal_x, focal_y, created_at) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning media_id")
                .bind(new.sha256).bind(new.unit_id).bind(new.uploaded_by).bind(new.original_name)
                .bind(new.format).bind(new.width).bind(new.height).bind(new.byte_size)
                .bind(new.alt_text).bind(new.focal.0).bind(new.focal.1).bind(now)
                .fetch_one(&mut *c).await?;
            write_media_variants!(c, id, variants);
            id
        });
        if let Some(key) = once {
            let location = format!("/media/{id}?notice=media_saved");
            tx.finish_once(new.uploaded_by, key, &location).await?;
        }
        tx.commit().await?;
        Ok(Ok(id))
    }

    /// New alt text and focal point, with the variants re-rendered for that focal point.
    pub async fn update_media(
        &self,
        media_id: i64,
        alt_text: &str,
        focal: (f64, f64),
        variants: Option<&[MediaVariantRow]>,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let done = sqlx::query("update media set alt_text = $1, focal_x = $2, focal_y = $3 where media_id = $4")
                .bind(alt_text).bind(focal.0).bind(focal.1).bind(media_id).execute(&mut *tx).await?;
            if done.rows_affected() == 0 {
                return Err(super::StoreError::NotFound);
            }
            if let Some(variants) = variants {
                sqlx::query("delete from media_variant where media_id = $1").bind(media_id).execute(&mut *tx).await?;
                write_media_variants!(tx, media_id, variants);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn media(&self, media_id: i64) -> StoreResult<MediaItem> {
        let sql = format!("{SELECT_MEDIA} where m.media_id = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(media_id).fetch_one(pool).await)?)
    }

    pub async fn media_variants(&self, media_id: i64) -> StoreResult<Vec<MediaVariantRow>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "select kind, blob_key, width, height, byte_size from media_variant where media_id = $1 order by kind")
            .bind(media_id).fetch_all(pool).await)?)
    }

    /// Whether any media row or variant still refers to `key` (before deleting a blob).
    pub async fn blob_in_use(&self, key: &str) -> StoreResult<bool> {
        let n: i64 = on_pool!(self, pool => sqlx::query_scalar(
            "select (select count(*) from media where sha256 = $1) + (select count(*) from media_variant where blob_key = $1)")
            .bind(key).fetch_one(pool).await)?;
        Ok(n > 0)
    }

    /// A page of the library, newest first. `unit_id`: `Some` limits to that unit's uploads
    /// and the city's (district staff may use city images but not other districts').
    pub async fn list_media(
        &self,
        unit_id: Option<i64>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<MediaItem>, i64)> {
        let cond = "($1 is null or m.unit_id is null or m.unit_id = $1)";
        let sql =
            format!("{SELECT_MEDIA} where {cond} order by m.media_id desc limit $2 offset $3");
        let rows: Vec<MediaItem> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(unit_id).bind(limit).bind(offset).fetch_all(pool).await)?;
        let total: i64 = on_pool!(self, pool => sqlx::query_scalar(&format!("select count(*) from media m where {cond}"))
            .bind(unit_id).fetch_one(pool).await)?;
        Ok((rows, total))
    }
}
