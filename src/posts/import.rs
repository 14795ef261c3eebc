//! Bulk import of a campaign's posts from CSV (UTF-8). The whole file is checked before anything
//! is written; every problem is reported with its line and column, and the store writes all
//! rows in one transaction or none.
//!
//! Columns (header names, any order, English or Vietnamese): `title`/`tieu_de`,
//! `body`/`noi_dung`, `channels`/`kenh`, and optional `link`, `hashtags`, `scheduled_at`/`lich`
//! (`YYYY-MM-DD HH:MM`, Hanoi time), `unit`/`don_vi` (official code of a target unit),
//! `media`/`anh` (file name of an image in the media library).

use std::collections::HashMap;

use super::{PostInput, build, check_schedule, parse_hanoi_time, ready_to_publish};
use crate::domain::FieldError;
use crate::store::{Campaign, MediaItem, PostRecord};

/// Most problems listed for one file; past this the file is clearly of the wrong kind.
const MAX_ERRORS: usize = 200;
pub const MAX_ROWS: usize = 10_000;

/// One problem: the row in the file as a spreadsheet numbers it (the header is row 1) and the
/// column it concerns.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct RowError {
    pub line: usize,
    pub column: String,
    pub error: FieldError,
    /// The channel whose version the problem is about, when it is one channel's.
    pub channel: Option<String>,
}

/// What rows are checked against.
pub struct ImportContext<'a> {
    pub campaign: &'a Campaign,
    /// Target units of the campaign: code → area id.
    pub units: HashMap<String, i64>,
    /// Media the importer may use, by original file name (newest wins).
    pub media: HashMap<String, MediaItem>,
    pub now: i64,
    /// Rows become scheduled posts: a time is required and everything must be ready to publish.
    pub schedule: bool,
}

const COLUMNS: [(&str, &[&str]); 8] = [
    ("title", &["title", "tieu_de", "tiêu đề"]),
    ("body", &["body", "noi_dung", "nội dung"]),
    ("channels", &["channels", "kenh", "kênh"]),
    ("link", &["link", "lien_ket", "liên kết"]),
    ("hashtags", &["hashtags", "hashtag"]),
    ("scheduled_at", &["scheduled_at", "lich", "lịch"]),
    ("unit", &["unit", "don_vi", "đơn vị"]),
    ("media", &["media", "anh", "ảnh"]),
];
const REQUIRED: [&str; 3] = ["title", "body", "channels"];

fn err(line: usize, column: &str, e: FieldError) -> RowError {
    RowError {
        line,
        column: column.to_string(),
        error: e,
        channel: None,
    }
}

/// Checks the encoding first: a spreadsheet saved as UTF-16 or a legacy code page must be
/// refused with that reason, not as a thousand garbled rows.
fn decode(bytes: &[u8]) -> Result<&str, RowError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(err(1, "", FieldError::new("file", "err_csv_utf16")));
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        err(line, "", FieldError::new("file", "err_csv_not_utf8"))
    })
}

/// A day for the sample file's scheduled row: tomorrow, or the campaign's first day if later,
/// as `YYYY-MM-DD`; empty when the campaign is over (the row then has no time).
pub fn sample_day(campaign: &Campaign, now: i64) -> String {
    let tomorrow = crate::clock::to_hanoi(now).date().next_day();
    let start = crate::campaigns::parse_day("starts_on", &campaign.starts_on).ok();
    let end = crate::campaigns::parse_day("ends_on", &campaign.ends_on).ok();
    match (tomorrow, start, end) {
        (Some(t), Some(s), Some(e)) if t.max(s) <= e => t.max(s).to_string(),
        _ => String::new(),
    }
}

/// Parses and validates every row; returns the records to write or every problem found.
pub fn parse(bytes: &[u8], ctx: &ImportContext<'_>) -> Result<Vec<PostRecord>, Vec<RowError>> {
    let text = decode(bytes).map_err(|e| vec![e])?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::Headers)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|_| vec![err(1, "", FieldError::new("file", "err_csv_malformed"))])?
        .clone();
    let mut index: HashMap<&str, usize> = HashMap::new();
    // Each column as the file names it, so problems are reported under the file's own header
    // (`tieu_de`, not `title`).
    let mut written: HashMap<&str, String> = HashMap::new();
    let mut vietnamese = false;
    let mut errors = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let lower = h.to_lowercase();
        match COLUMNS
            .iter()
            .find(|(_, names)| names.contains(&lower.as_str()))
        {
            Some((name, names)) => {
                index.insert(name, i);
                written.insert(name, h.to_string());
                vietnamese |= names[0] != lower;
            }
            None => errors.push(err(1, h, FieldError::new("file", "err_csv_unknown_column"))),
        }
    }
    for (r, names) in COLUMNS.iter().filter(|(n, _)| REQUIRED.contains(n)) {
        if !index.contains_key(r) {
            // A missing column is named the way the rest of the file names its columns.
            let name = if vietnamese { names[1] } else { names[0] };
            errors.push(err(
                1,
                name,
                FieldError::new("file", "err_csv_missing_column"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // A column the file does not have (a Zalo cover belongs to the image column) is named
    // in the file's language.
    let column = |c: &str| {
        written.get(c).cloned().unwrap_or_else(|| {
            COLUMNS
                .iter()
                .find(|(n, _)| *n == c)
                .map_or(c, |(_, names)| if vietnamese { names[1] } else { names[0] })
                .to_string()
        })
    };
    let mut records = Vec::new();
    // Rows are counted as a spreadsheet shows them (header = row 1), not as text lines: a
    // quoted body may span several lines.
    for (n, result) in reader.records().enumerate() {
        let line = n + 2;
        if errors.len() >= MAX_ERRORS {
            break;
        }
        let record = match result {
            Ok(r) => r,
            Err(_) => {
                errors.push(err(line, "", FieldError::new("file", "err_csv_row_shape")));
                continue;
            }
        };
        if records.len() + errors.len() >= MAX_ROWS {
            errors.push(err(
                line,
                "",
                FieldError::new("file", "err_csv_too_many_rows").arg("max", MAX_ROWS),
            ));
            break;
        }
        // A control character (a NUL carried over from another program) is named with its
        // row and column here; PostgreSQL would otherwise refuse the whole import with a 500.
        if let Some(i) = record.iter().position(crate::domain::has_control) {
            let column = index
                .iter()
                .find(|(_, at)| **at == i)
                .map(|(name, _)| *name)
                .unwrap_or("");
            errors.push(err(
                line,
                column,
                FieldError::new("file", "err_csv_control"),
            ));
            continue;
        }
        let get = |c: &str| {
            index
                .get(c)
                .and_then(|i| record.get(*i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        match row(line, &get, ctx) {
            Ok(rec) => records.push(rec),
            Err(e) => errors.extend(e.into_iter().map(|mut e| {
                e.column = column(&e.column);
                e
            })),
        }
    }
    if records.is_empty() && errors.is_empty() {
        errors.push(err(2, "", FieldError::new("file", "err_csv_empty")));
    }
    if errors.is_empty() {
        Ok(records)
    } else {
        errors.truncate(MAX_ERRORS);
        Err(errors)
    }
}

/// The column a field error of the editor's rules belongs to. A channel's variant is derived
/// from the master, so its problems belong to the master column it came from (a Zalo post
/// without a cover picture: the image column).
fn column_of(field: &str) -> &str {
    match field {
        "master_title" => "title",
        "master_body" => "body",
        "master_link" => "link",
        "master_hashtags" => "hashtags",
        "channel" => "channels",
        f if f.starts_with("variant_") && f.ends_with("_title") => "title",
        f if f.starts_with("variant_") && f.ends_with("_cover") => "media",
        f if f.starts_with("variant_") => "body",
        "media_id" => "media",
        _ => "",
    }
}

/// An editor rule's error as an import problem. A variant's error names its channel: "too
/// long" is true of the Mastodon version, not of the text everywhere.
fn import_error(line: usize, e: FieldError) -> RowError {
    let column = column_of(&e.field).to_string();
    let channel = e
        .field
        .strip_prefix("variant_")
        .and_then(|rest| rest.split('_').next())
        .map(str::to_string);
    RowError {
        line,
        column,
        error: e,
        channel,
    }
}

fn row(
    line: usize,
    get: &dyn Fn(&str) -> String,
    ctx: &ImportContext<'_>,
) -> Result<PostRecord, Vec<RowError>> {
    let mut errors = Vec::new();
    let channels = match crate::content::Channel::parse_list("channels", &get("channels")) {
        Ok(list) => list.iter().map(|c| c.as_str().to_string()).collect(),
        Err(e) => {
            errors.push(err(line, "channels", e));
            Vec::new()
        }
    };
    let media_name = get("media");
    let media = if media_name.is_empty() {
        None
    } else {
        let m = ctx.media.get(&media_name);
        if m.is_none() {
            errors.push(err(
                line,
                "media",
                FieldError::new("media", "err_media_not_found").arg("value", &media_name),
            ));
        }
        m
    };
    let unit_code = get("unit");
    let unit_id = if unit_code.is_empty() {
        None
    } else {
        let id = ctx.units.get(&unit_code).copied();
        if id.is_none() {
            errors.push(err(
                line,
                "unit",
                FieldError::new("unit", "err_unit_not_targeted").arg("value", &unit_code),
            ));
        }
        id
    };
    let when = get("scheduled_at");
    let scheduled_at = if when.is_empty() {
        if ctx.schedule {
            errors.push(err(
                line,
                "scheduled_at",
                FieldError::new("scheduled_at", "err_required"),
            ));
        }
        None
    } else {
        match parse_hanoi_time("scheduled_at", &when) {
            Ok(at) => {
                for e in check_schedule("scheduled_at", at, ctx.now, ctx.campaign) {
                    errors.push(err(line, "scheduled_at", e));
                }
                Some(at)
            }
            Err(e) => {
                errors.push(err(line, "scheduled_at", e));
                None
            }
        }
    };
    let input = PostInput {
        title: get("title"),
        body: get("body"),
        link: get("link"),
        hashtags: get("hashtags"),
        channels,
        ..PostInput::default()
    };
    let has_channels = !input.channels.is_empty();
    match build(&input, media) {
        Ok(mut rec) => {
            if ctx.schedule {
                for e in ready_to_publish(&rec.variants, media) {
                    errors.push(import_error(line, e));
                }
            }
            rec.unit_id = unit_id;
            rec.scheduled_at = scheduled_at;
            if errors.is_empty() {
                return Ok(rec);
            }
        }
        Err(list) => {
            // When the master text itself is wrong, its channel versions were derived from
            // nothing: their errors ("required") would only mislead, so the master's stand.
            let master_wrong = list.iter().any(|e| e.field.starts_with("master_"));
            for e in list {
                // Already reported from the channels column itself.
                if e.field == "channel" && !has_channels {
                    continue;
                }
                if master_wrong && e.field.starts_with("variant_") {
                    continue;
                }
                errors.push(import_error(line, e));
            }
        }
    }
    Err(errors)
}
