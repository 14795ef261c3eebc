//! Post rules shared by the editor, the workflow buttons and the CSV import: what a valid post
//! is, how its channel variants are built from the master text, and what each transition
//! requires (a comment to request changes; a time inside the campaign, valid variants and alt
//! text to approve or schedule).

use std::collections::BTreeMap;

use crate::content::{self, Channel, Master, Variant};
use crate::domain::FieldError;
use crate::store::{Campaign, MediaItem, PostRecord, VariantRow};

pub mod import;

/// The editor's fields as sent. Variant fields are keyed by channel name.
#[derive(Clone, Debug, Default)]
pub struct PostInput {
    pub title: String,
    pub body: String,
    pub link: String,
    pub hashtags: String,
    pub scheduled_at: String,
    pub media_id: String,
    pub channels: Vec<String>,
    /// channel → (title, summary, body) as edited by a person; absent when derived.
    pub edited: BTreeMap<String, (String, String, String)>,
}

impl PostInput {
    /// Reads the url-encoded pairs of the editor: repeated `channel`, and `v_<channel>_<field>`
    /// with `v_<channel>_edited=1` when a person changed that variant.
    pub fn from_pairs(pairs: &[(String, String)]) -> PostInput {
        let mut input = PostInput::default();
        let mut fields: BTreeMap<String, [String; 3]> = BTreeMap::new();
        let mut edited: Vec<String> = Vec::new();
        for (k, v) in pairs {
            match k.as_str() {
                "title" => input.title = v.clone(),
                "body" => input.body = v.clone(),
                "link" => input.link = v.clone(),
                "hashtags" => input.hashtags = v.clone(),
                "scheduled_at" => input.scheduled_at = v.clone(),
                "media_id" => input.media_id = v.clone(),
                "channel" => input.channels.push(v.clone()),
                other => {
                    let Some(rest) = other.strip_prefix("v_") else {
                        continue;
                    };
                    let Some((channel, field)) = rest.split_once('_') else {
                        continue;
                    };
                    let slot = fields.entry(channel.to_string()).or_default();
                    match field {
                        "title" => slot[0] = v.clone(),
                        "summary" => slot[1] = v.clone(),
                        "body" => slot[2] = v.clone(),
                        "edited" if v == "1" => edited.push(channel.to_string()),
                        _ => {}
                    }
                }
            }
        }
        for ch in edited {
            if let Some([t, s, b]) = fields.remove(&ch) {
                input.edited.insert(ch, (t, s, b));
            }
        }
        input
    }
}

/// Parses `YYYY-MM-DDTHH:MM` (a `datetime-local` input, or `YYYY-MM-DD HH:MM` in a CSV) as a
/// time in Hanoi, returning UTC milliseconds.
pub fn parse_hanoi_time(field: &str, value: &str) -> Result<i64, FieldError> {
    let v = value.trim().replace(' ', "T");
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let fmt_s = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(&v, &fmt)
        .or_else(|_| time::PrimitiveDateTime::parse(&v, &fmt_s))
        .map(|t| t.assume_offset(crate::clock::HANOI).unix_timestamp() * 1000)
        .map_err(|_| FieldError::new(field, "err_datetime_invalid").arg("value", value.trim()))
}

/// The `datetime-local` value of an instant, in Hanoi.
pub fn hanoi_input_value(ms: i64) -> String {
    let t = crate::clock::to_hanoi(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// A scheduled time must be in the future and inside the campaign's days (Hanoi time).
pub fn check_schedule(field: &str, at: i64, now: i64, campaign: &Campaign) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if at <= now {
        errors.push(FieldError::new(field, "err_schedule_past"));
    }
    if let Some((start, end)) = crate::campaigns::window_ms(&campaign.starts_on, &campaign.ends_on)
        && (at < start || at >= end)
    {
        errors.push(
            FieldError::new(field, "err_schedule_outside_campaign")
                .arg("start", &campaign.starts_on)
                .arg("end", &campaign.ends_on),
        );
    }
    errors
}

/// Validates the master fields and builds every selected channel's variant: the person's text
/// where they edited it, else derived from the master. `media` is the attached image, already
/// checked to be one the author may use.
pub fn build(input: &PostInput, media: Option<&MediaItem>) -> Result<PostRecord, Vec<FieldError>> {
    let mut errors = Vec::new();
    let master = match Master::parse(&input.title, &input.body, &input.link, &input.hashtags) {
        Ok(m) => m,
        Err(list) => {
            errors.extend(list);
            Master::default()
        }
    };
    let mut channels: Vec<Channel> = Vec::new();
    for c in &input.channels {
        match Channel::parse("channel", c) {
            Ok(ch) if !channels.contains(&ch) => channels.push(ch),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    if channels.is_empty() {
        errors.push(FieldError::new("channel", "err_choose_at_least_one"));
    }
    channels.sort();
    let has_media = media.is_some();
    let mut variants = Vec::new();
    for ch in channels {
        let (variant, edited) = match input.edited.get(ch.as_str()) {
            Some((t, s, b)) => (
                Variant {
                    channel: ch,
                    title: t.trim().to_string(),
                    summary: s.trim().to_string(),
                    body: b.trim().to_string(),
                },
                true,
            ),
            None => (content::derive(ch, &master, has_media), false),
        };
        // A missing Zalo cover is a readiness problem (checked at approval), not a reason to
        // refuse saving a draft.
        errors.extend(
            content::validate(&variant, has_media)
                .into_iter()
                .filter(|e| e.key != "err_cover_required"),
        );
        variants.push(VariantRow {
            channel: ch.as_str().to_string(),
            title: variant.title,
            summary: variant.summary,
            body: variant.body,
            edited,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(PostRecord {
        unit_id: None,
        title: master.title,
        body: master.body,
        link: master.link,
        hashtags: master.hashtags.join(" "),
        media_id: media.map(|m| m.media_id),
        scheduled_at: None,
        variants,
    })
}

/// What must hold before a post can be approved or scheduled, beyond its own validity: its
/// stored variants still fit (limits can tighten when an image is attached) and its image has
/// alt text.
pub fn ready_to_publish(variants: &[VariantRow], media: Option<&MediaItem>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for v in variants {
        let Ok(channel) = Channel::parse("channel", &v.channel) else {
            continue;
        };
        let variant = Variant {
            channel,
            title: v.title.clone(),
            summary: v.summary.clone(),
            body: v.body.clone(),
        };
        errors.extend(content::validate(&variant, media.is_some()));
    }
    if let Some(m) = media
        && m.alt_text.trim().is_empty()
    {
        errors.push(FieldError::new("media_id", "err_alt_text_required"));
    }
    errors
}

/// Parsed hashtags of a stored post, for re-deriving variants.
pub fn stored_master(title: &str, body: &str, link: Option<&str>, hashtags: &str) -> Master {
    Master {
        title: title.to_string(),
        body: body.to_string(),
        link: link.map(str::to_string),
        hashtags: hashtags.split_whitespace().map(str::to_string).collect(),
    }
}
