//! Writing an image's blobs and row as one step: the master, its channel variants, then the
//! media row; when any write fails (a full disk, say) the blobs this step wrote and nothing
//! else uses are removed again, so a failed upload leaves no orphan file behind.

use super::AppState;
use crate::error::{AppError, AppResult};
use crate::media::Focal;
use crate::store::{MediaVariantRow, NewMedia};

/// Renders every variant off the async threads and stores the blobs, noting in `written`
/// every key it stored so a failure further on can take them back.
pub(super) async fn render_and_store(
    state: &AppState,
    master: Vec<u8>,
    focal: Focal,
    written: &mut Vec<String>,
) -> AppResult<Vec<MediaVariantRow>> {
    let rendered = tokio::task::spawn_blocking(move || crate::media::render_all(&master, focal))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let mut rows = Vec::with_capacity(rendered.len());
    for r in rendered {
        let key = state.blobs.put(&r.bytes).await?;
        written.push(key.clone());
        rows.push(MediaVariantRow {
            kind: r.kind.as_str().to_string(),
            blob_key: key,
            width: r.width as i64,
            height: r.height as i64,
            byte_size: r.bytes.len() as i64,
        });
    }
    Ok(rows)
}

/// After a failed save (a full disk, say), removes the blobs it stored that no media row uses:
/// blobs are shared by content, so one that another image also uses stays.
pub(super) async fn discard(state: &AppState, written: &[String]) {
    for key in written {
        match state.store.blob_in_use(key).await {
            Ok(false) => {
                if let Err(e) = state.blobs.delete(key).await {
                    tracing::warn!(error = %e, blob = %key, "cannot remove an unused blob");
                }
            }
            Ok(true) => {}
            Err(e) => tracing::warn!(error = %e, blob = %key, "cannot tell whether a blob is used"),
        }
    }
}

/// Stores the master, its variants and the row; on any failure nothing of it is left behind.
/// `Err(location)`: the same form was saved before (its one-time key `once`), nothing written.
pub(super) async fn save_upload(
    state: &AppState,
    new: NewMedia<'_>,
    master: &[u8],
    focal: Focal,
    once: Option<&str>,
) -> AppResult<Result<i64, String>> {
    let mut written = Vec::new();
    let saved = async {
        // Blobs first, then the rows: a crash between leaves an unreferenced blob, never a row
        // pointing at nothing.
        written.push(state.blobs.put(master).await?);
        let variants = render_and_store(state, master.to_vec(), focal, &mut written).await?;
        Ok::<_, AppError>(state.store.create_media_once(&new, &variants, once).await?)
    }
    .await;
    if saved.is_err() {
        discard(state, &written).await;
    }
    saved
}
