//! One channel's text as it will be sent: derived automatically from the master, then
//! possibly edited by the author, then validated the way the channel will count it.

use serde::{Deserialize, Serialize};

use super::Master;
use super::channel::{self, Channel, VariantField, limits};
use super::text::{self, Unit};
use crate::domain::FieldError;

/// One channel's text as it will be sent. Fields a channel does not use are empty.
///
/// - Portal: title, summary = excerpt, body = Markdown.
/// - Zalo: title, summary = description, body = article text (sent through `text_html`).
/// - Facebook: body = message; the master link travels separately as the `link` parameter.
/// - Telegram: body = message text, or the photo caption when the post has an image.
/// - Mastodon: body = status.
/// - Webhook: title and body; receivers get link and hashtags as separate fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub channel: Channel,
    pub title: String,
    pub summary: String,
    pub body: String,
}

impl Variant {
    pub fn get(&self, field: VariantField) -> &str {
        match field {
            VariantField::Title => &self.title,
            VariantField::Summary => &self.summary,
            VariantField::Body => &self.body,
        }
    }
}

/// The automatic text for `channel`, always within [`limits`]`(channel, has_media)`.
///
/// Titles and excerpts are clipped at a word with '…'. Bodies that must be short (Telegram,
/// Mastodon) give up the end of the text rather than the link and hashtags that follow it,
/// since the link is what readers act on. `has_media` matters because a Telegram caption is a
/// quarter of a Telegram message.
pub fn derive(channel: Channel, master: &Master, has_media: bool) -> Variant {
    let l = limits(channel, has_media);
    let title_max = l.title_max.unwrap_or(0);
    let summary_max = l.summary_max.unwrap_or(0);
    let unit = channel::unit(channel, VariantField::Body);
    let tags = hashtag_line(&master.hashtags);
    let title = master.title.trim();
    let body = master.body.trim();
    let link = master.link.as_deref().filter(|l| !body.contains(l));
    let clip_title = || text::clip(title, title_max, Unit::Chars);
    let (title, summary, body) = match channel {
        Channel::Portal | Channel::Zalo => (
            clip_title(),
            text::lead(body, summary_max),
            fit(body, &[link.unwrap_or("")], l.body_max, unit),
        ),
        Channel::Facebook => (
            String::new(),
            String::new(),
            fit(&join(&[title, body]), &[&tags], l.body_max, unit),
        ),
        Channel::Telegram | Channel::Mastodon => {
            let head = join(&[title, body]);
            let without_link = fit(&head, &[&tags], l.body_max, unit);
            // A link the clipped text has lost must still reach the reader, at the end.
            let body = match master.link.as_deref() {
                Some(link) if !without_link.contains(link) => {
                    fit(&head, &[link, &tags], l.body_max, unit)
                }
                _ => without_link,
            };
            (String::new(), String::new(), body)
        }
        Channel::Webhook => (
            clip_title(),
            String::new(),
            text::clip(body, l.body_max, unit),
        ),
    };
    Variant {
        channel,
        title,
        summary,
        body,
    }
}

fn hashtag_line(tags: &[String]) -> String {
    tags.iter()
        .map(|t| format!("#{t}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Paragraphs joined by a blank line, skipping empty ones.
fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// `head` clipped so that it and the `tail` paragraphs together fit `max`. Tail paragraphs
/// that cannot fit even with an empty head are dropped from the end (hashtags go first, the
/// link last), and the head always keeps at least a few words when anything is left.
fn fit(head: &str, tail: &[&str], max: usize, unit: Unit) -> String {
    let mut tail: Vec<&str> = tail
        .iter()
        .copied()
        .filter(|t| !t.trim().is_empty())
        .collect();
    loop {
        let tail_text = join(&tail);
        let sep = if tail_text.is_empty() { 0 } else { 2 };
        let room = max.saturating_sub(text::measure(&tail_text, unit) + sep);
        if room >= max.min(40) || tail.is_empty() {
            let head = text::clip(head, room, unit);
            return join(&[&head, &tail_text]);
        }
        tail.pop();
    }
}

/// What is wrong with `variant` for its channel. Field names are `variant_{channel}_{field}`;
/// a Zalo post without a picture is reported on `variant_zalo_cover`, since Zalo rejects an
/// article without a cover and that cannot be fixed by editing text.
pub fn validate(variant: &Variant, has_media: bool) -> Vec<FieldError> {
    let channel = variant.channel;
    let l = limits(channel, has_media);
    let mut errors = Vec::new();
    for field in VariantField::ALL {
        let Some(max) = l.max(field) else { continue };
        let value = variant.get(field);
        let name = field.form_name(channel);
        let required = match field {
            VariantField::Title => l.title_required,
            VariantField::Summary => false,
            VariantField::Body => true,
        };
        if value.trim().is_empty() {
            if required {
                errors.push(FieldError::new(&name, "err_required"));
            }
            continue;
        }
        let len = channel::count(channel, field, value);
        if len > max {
            errors.push(
                FieldError::new(&name, "err_too_long")
                    .arg("max", max)
                    .arg("len", len),
            );
        }
    }
    if l.media_required && !has_media {
        errors.push(FieldError::new(
            &format!("variant_{}_cover", channel.as_str()),
            "err_cover_required",
        ));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long_master() -> Master {
        let sentence = "Chỉ số Hiệu quả Quản trị và Hành chính công cấp tỉnh (PAPI) đo lường trải nghiệm của người dân Hà Nội. ";
        let mut body = String::new();
        while body.chars().count() < 10_000 {
            body.push_str(sentence);
        }
        Master {
            title: "Kết quả PAPI 2024: Hà Nội cải thiện ở các chỉ số về công khai, minh bạch và trách nhiệm giải trình với người dân, cùng nhiều điểm mới trong quản trị môi trường và quản trị điện tử ở cấp cơ sở".into(),
            body,
            link: Some(format!("https://hanoi.gov.vn/tin-tuc/{}", "papi-".repeat(60))),
            hashtags: vec!["PAPI".into(), "HàNội".into(), "minh_bạch".into()],
        }
    }

    #[test]
    fn every_derived_variant_fits_its_channel() {
        let m = long_master();
        for has_media in [false, true] {
            for c in Channel::ALL {
                let v = derive(c, &m, has_media);
                assert_eq!(v.channel, c);
                let errs: Vec<_> = validate(&v, has_media)
                    .into_iter()
                    .filter(|e| e.key != "err_cover_required")
                    .collect();
                assert!(errs.is_empty(), "{c:?} media={has_media}: {errs:?}");
                assert!(!v.body.is_empty());
            }
        }
        let caption = derive(Channel::Telegram, &m, true);
        assert!(caption.body.encode_utf16().count() <= 1024);
        assert!(
            caption.body.ends_with("#PAPI #HàNội #minh_bạch"),
            "{}",
            caption.body
        );
        assert!(caption.body.contains(m.link.as_deref().unwrap()));
        let text = derive(Channel::Telegram, &m, false);
        assert!(text.body.encode_utf16().count() > 1024);
        assert!(text.body.encode_utf16().count() <= 4096);
    }

    #[test]
    fn mastodon_keeps_link_and_hashtags_when_clipped() {
        let m = long_master();
        let v = derive(Channel::Mastodon, &m, false);
        assert!(channel::count(Channel::Mastodon, VariantField::Body, &v.body) <= 500);
        // The 310-character link counts 23, so far more than 500 bytes of text survive.
        assert!(v.body.chars().count() > 600, "{}", v.body);
        let link = m.link.as_deref().unwrap();
        assert!(
            v.body
                .ends_with(&format!("…\n\n{link}\n\n#PAPI #HàNội #minh_bạch")),
            "{}",
            v.body
        );
        assert!(v.body.starts_with("Kết quả PAPI 2024"));
    }

    #[test]
    fn short_posts_are_composed_not_clipped() {
        let m = Master {
            title: "Lấy ý kiến người dân".into(),
            body: "Mời bà con góp ý tại https://hanoi.gov.vn/y-kien".into(),
            link: Some("https://hanoi.gov.vn/y-kien".into()),
            hashtags: vec!["PAPI".into()],
        };
        let fb = derive(Channel::Facebook, &m, false);
        assert_eq!(
            fb.body,
            "Lấy ý kiến người dân\n\nMời bà con góp ý tại https://hanoi.gov.vn/y-kien\n\n#PAPI"
        );
        assert_eq!((fb.title.as_str(), fb.summary.as_str()), ("", ""));
        // The link is already in the text, so it is not repeated.
        let tg = derive(Channel::Telegram, &m, false);
        assert_eq!(tg.body, fb.body);
        let zalo = derive(Channel::Zalo, &m, false);
        assert_eq!(zalo.title, "Lấy ý kiến người dân");
        assert_eq!(
            zalo.summary,
            "Mời bà con góp ý tại https://hanoi.gov.vn/y-kien"
        );
        assert_eq!(zalo.body, m.body);
        let portal = derive(
            Channel::Portal,
            &Master {
                link: Some("https://a.vn".into()),
                ..m.clone()
            },
            false,
        );
        assert_eq!(portal.body, format!("{}\n\nhttps://a.vn", m.body));
        let hook = derive(Channel::Webhook, &m, false);
        assert_eq!(
            (hook.title.as_str(), hook.body.as_str()),
            (m.title.as_str(), m.body.as_str())
        );
    }

    #[test]
    fn zalo_title_and_description_are_clipped_at_words() {
        let m = long_master();
        let v = derive(Channel::Zalo, &m, true);
        assert!(
            v.title.chars().count() <= 140 && v.title.ends_with('…'),
            "{}",
            v.title
        );
        assert!(m.title.starts_with(v.title.trim_end_matches('…')));
        assert!(v.summary.chars().count() <= 250);
        assert!(v.summary.ends_with('.'), "whole sentences: {}", v.summary);
    }

    #[test]
    fn validate_names_fields_and_gives_numbers() {
        let v = Variant {
            channel: Channel::Zalo,
            title: "x".repeat(151),
            summary: "y".repeat(251),
            body: " ".into(),
        };
        let errs = validate(&v, false);
        let got: Vec<_> = errs
            .iter()
            .map(|e| (e.field.as_str(), e.key, e.args.clone()))
            .collect();
        let n = |max: usize, len: usize| vec![("max", max.to_string()), ("len", len.to_string())];
        assert_eq!(
            got,
            [
                ("variant_zalo_title", "err_too_long", n(140, 151)),
                ("variant_zalo_summary", "err_too_long", n(250, 251)),
                ("variant_zalo_body", "err_required", vec![]),
                ("variant_zalo_cover", "err_cover_required", vec![]),
            ]
        );
        let portal = Variant {
            channel: Channel::Portal,
            title: "".into(),
            summary: "".into(),
            body: "b".into(),
        };
        let errs = validate(&portal, false);
        assert_eq!(errs.len(), 1);
        assert_eq!(
            (errs[0].field.as_str(), errs[0].key),
            ("variant_portal_title", "err_required")
        );
    }

    #[test]
    fn validate_counts_the_channel_way() {
        let url = format!("https://hanoi.gov.vn/{}", "a".repeat(600));
        let toot = Variant {
            channel: Channel::Mastodon,
            title: String::new(),
            summary: String::new(),
            body: format!("Xem {url}"),
        };
        assert!(validate(&toot, false).is_empty());
        let caption = Variant {
            channel: Channel::Telegram,
            body: "🎉".repeat(513),
            ..toot.clone()
        };
        let errs = validate(&caption, true);
        assert_eq!(errs[0].field, "variant_telegram_body");
        assert_eq!(
            errs[0].args,
            vec![("max", "1024".into()), ("len", "1026".into())]
        );
        assert!(validate(&caption, false).is_empty());
    }
}
