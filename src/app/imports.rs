//! A CSV import: every row valid or nothing stored. The posts, their history, the import
//! record, the audit line and the form's one-time key are one transaction, so a double
//! submission — a double click, a resend after a lost answer — creates the posts once (and,
//! imported "as scheduled", publishes them once).

use std::collections::HashMap;

use serde::Serialize;

use super::{App, Once, Refused};
use crate::content::PostStatus;
use crate::domain::FieldError;
use crate::posts::import::{ImportContext, RowError, parse};
use crate::store::{Effects, User};

/// What was uploaded: the file's bytes, or why there are none.
pub enum Upload {
    File(Vec<u8>),
    Missing,
    TooLarge { max_bytes: usize },
}

/// The import as asked.
pub struct ImportInput {
    pub campaign_id: i64,
    pub upload: Upload,
    /// Import as scheduled (deliveries follow from the worker's sweep) rather than as drafts.
    pub schedule: bool,
    pub once: Once,
}

#[derive(Clone, Debug, Serialize)]
pub enum Imported {
    /// The import record to show.
    Created { import_id: i64, posts: usize },
    /// The same form was submitted before: where its result is.
    Repeat { location: String },
}

/// Where an import's result is shown.
pub fn location(campaign_id: i64, import_id: i64) -> String {
    format!("/campaigns/{campaign_id}/imports/{import_id}")
}

/// A refused import: every problem with its line, column and channel.
pub enum ImportRefused {
    Rows(Vec<RowError>),
    Other(Refused),
}

impl<E: Into<Refused>> From<E> for ImportRefused {
    fn from(e: E) -> ImportRefused {
        ImportRefused::Other(e.into())
    }
}

fn whole_file(error: FieldError) -> ImportRefused {
    ImportRefused::Rows(vec![RowError {
        line: 0,
        column: String::new(),
        error,
        channel: None,
    }])
}

/// Imports a campaign's posts from `input` as `user`.
pub async fn run(app: &App, user: &User, input: &ImportInput) -> Result<Imported, ImportRefused> {
    let id = input.campaign_id;
    let campaign = app.store.campaign(id).await?;
    let bytes = match &input.upload {
        Upload::File(b) => b,
        Upload::Missing => return Err(whole_file(FieldError::new("file", "err_required"))),
        Upload::TooLarge { max_bytes } => {
            return Err(whole_file(
                FieldError::new("file", "err_csv_too_large")
                    .arg("max_mb", max_bytes / (1024 * 1024)),
            ));
        }
    };
    let units: HashMap<String, i64> = app
        .store
        .campaign_targets(id)
        .await?
        .into_iter()
        .map(|t| (t.code, t.area_id))
        .collect();
    let media = app
        .store
        .list_media(None, 10_000, 0)
        .await?
        .0
        .into_iter()
        .rev()
        .map(|m| (m.original_name.clone(), m))
        .collect();
    let ctx = ImportContext {
        campaign: &campaign,
        units,
        media,
        now: crate::clock::now_ms(),
        schedule: input.schedule,
    };
    let records = parse(bytes, &ctx).map_err(ImportRefused::Rows)?;
    let status = if input.schedule {
        PostStatus::Scheduled
    } else {
        PostStatus::Draft
    };
    let mut tx = app.store.begin().await?;
    if let Some(location) = input.once.claim(&mut tx, user.user_id).await? {
        return Ok(Imported::Repeat { location });
    }
    let ids = tx.create_posts(id, user.user_id, status, &records).await?;
    let import_id = tx.record_import(id, user.user_id, status, &ids).await?;
    tx.write_effects(&Effects::audited(
        Some(user.user_id),
        "campaign.import",
        &format!("campaign:{id}"),
        &format!("{} posts, {status}", ids.len()),
    ))
    .await?;
    input
        .once
        .finish(&mut tx, user.user_id, &location(id, import_id))
        .await?;
    tx.commit().await?;
    Ok(Imported::Created {
        import_id,
        posts: ids.len(),
    })
}
