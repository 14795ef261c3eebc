//! What the editor's preview pane shows for one channel: the text rendered roughly as the
//! channel will show it, a counter per field, blocking errors and gentler warnings. All
//! wording stays in the catalogs; the HTML holds only the author's text and structure.

use serde::Serialize;

use super::channel::{Channel, VariantField, count, limits};
use super::markdown::{render_portal, text_html};
use super::text::escape_html;
use super::variant::{Variant, validate};
use super::{Master, parse_link};
use crate::domain::FieldError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Counter {
    pub len: usize,
    pub max: usize,
    pub over: bool,
}

/// `None` for a field the channel does not send, so the pane shows no counter for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Counters {
    pub title: Option<Counter>,
    pub summary: Option<Counter>,
    pub body: Counter,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Preview {
    pub channel: Channel,
    /// Safe to insert unescaped (`| safe` in templates).
    pub html: String,
    pub counters: Counters,
    /// Exactly what [`validate`] reports: publishing is blocked until these are fixed.
    pub errors: Vec<FieldError>,
    /// Worth knowing but not blocking, e.g. the master link is missing from an edited text.
    pub warnings: Vec<FieldError>,
}

pub fn preview(variant: &Variant, master: &Master, has_media: bool) -> Preview {
    let channel = variant.channel;
    let l = limits(channel, has_media);
    let counter = |field: VariantField| {
        l.max(field).map(|max| {
            let len = count(channel, field, variant.get(field));
            Counter {
                len,
                max,
                over: len > max,
            }
        })
    };
    let counters = Counters {
        title: counter(VariantField::Title),
        summary: counter(VariantField::Summary),
        body: counter(VariantField::Body).expect("every channel sends a body"),
    };
    let body_field = VariantField::Body.form_name(channel);
    let mut warnings = Vec::new();
    let link = parse_link("master_link", master.link.as_deref().unwrap_or(""))
        .ok()
        .flatten();

    let mut html = format!("<article class=\"preview preview-{}\">", channel.as_str());
    for (class, text) in [("title", &variant.title), ("summary", &variant.summary)] {
        if !text.trim().is_empty() {
            let tag = if class == "title" { "h2" } else { "p" };
            html.push_str(&format!(
                "<{tag} class=\"preview-{class}\">{}</{tag}>",
                escape_html(text.trim())
            ));
        }
    }
    html.push_str("<div class=\"preview-body\">");
    if channel == Channel::Portal {
        let (body, seen) = render_portal(&variant.body);
        html.push_str(&body);
        for (hit, key) in [
            (seen.raw_html, "warn_raw_html"),
            (seen.images, "warn_markdown_image"),
            (seen.unsafe_links, "warn_link_dropped"),
        ] {
            if hit {
                warnings.push(FieldError::new(&body_field, key));
            }
        }
    } else {
        html.push_str(&text_html(&variant.body));
    }
    html.push_str("</div>");
    // Facebook sends the link beside the message and shows it as a card under it.
    if let (Channel::Facebook, Some(link)) = (channel, &link) {
        let href = escape_html(link);
        html.push_str(&format!(
            "<p class=\"preview-link\"><a href=\"{href}\" rel=\"noopener\">{href}</a></p>"
        ));
    }
    html.push_str("</article>");

    let link_inline = matches!(
        channel,
        Channel::Portal | Channel::Zalo | Channel::Telegram | Channel::Mastodon
    );
    if let Some(link) = link.as_deref().filter(|_| link_inline)
        && !variant.body.contains(link)
    {
        warnings.push(FieldError::new(&body_field, "warn_link_missing").arg("value", link));
    }
    let tags_inline = matches!(
        channel,
        Channel::Facebook | Channel::Telegram | Channel::Mastodon
    );
    let missing: Vec<String> = master
        .hashtags
        .iter()
        .map(|t| format!("#{t}"))
        .filter(|t| tags_inline && !variant.body.contains(t.as_str()))
        .collect();
    if !missing.is_empty() {
        warnings.push(
            FieldError::new(&body_field, "warn_hashtags_missing").arg("value", missing.join(" ")),
        );
    }

    Preview {
        channel,
        html,
        counters,
        errors: validate(variant, has_media),
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::derive;

    fn master() -> Master {
        Master {
            title: "Lấy ý kiến <người dân>".into(),
            body: "Mời góp ý.\nXem https://hanoi.gov.vn/y-kien".into(),
            link: Some("https://hanoi.gov.vn/papi".into()),
            hashtags: vec!["PAPI".into()],
        }
    }

    #[test]
    fn derived_variants_preview_cleanly() {
        let m = master();
        for c in Channel::ALL {
            let p = preview(&derive(c, &m, true), &m, true);
            assert!(p.errors.is_empty(), "{c:?}: {:?}", p.errors);
            assert!(p.warnings.is_empty(), "{c:?}: {:?}", p.warnings);
            assert!(!p.counters.body.over);
            assert!(!p.html.contains("<người"), "{}", p.html);
            assert!(
                p.html
                    .contains(r#"<a href="https://hanoi.gov.vn/y-kien" rel="noopener">"#)
            );
        }
        let fb = preview(&derive(Channel::Facebook, &m, false), &m, false);
        assert!(fb.html.contains("class=\"preview-link\""), "{}", fb.html);
        assert_eq!(fb.counters.title, None);
    }

    #[test]
    fn edited_variants_warn_and_count() {
        let m = master();
        let v = Variant {
            channel: Channel::Mastodon,
            title: String::new(),
            summary: String::new(),
            body: format!("{} https://a.vn", "x".repeat(480)),
        };
        let p = preview(&v, &m, false);
        assert_eq!(
            p.counters.body,
            Counter {
                len: 504,
                max: 500,
                over: true
            }
        );
        assert_eq!(p.errors[0].key, "err_too_long");
        let keys: Vec<_> = p
            .warnings
            .iter()
            .map(|w| (w.field.as_str(), w.key))
            .collect();
        assert_eq!(
            keys,
            [
                ("variant_mastodon_body", "warn_link_missing"),
                ("variant_mastodon_body", "warn_hashtags_missing")
            ]
        );
        assert_eq!(p.warnings[1].args, vec![("value", "#PAPI".to_string())]);
    }

    #[test]
    fn portal_preview_reports_what_was_neutralised() {
        let m = Master {
            link: None,
            ..master()
        };
        let v = Variant {
            channel: Channel::Portal,
            title: "T".into(),
            summary: String::new(),
            body: "<b>x</b> ![ảnh](https://a.vn/a.jpg) [x](javascript:alert(1))".into(),
        };
        let p = preview(&v, &m, false);
        let keys: Vec<_> = p.warnings.iter().map(|w| w.key).collect();
        assert_eq!(
            keys,
            ["warn_raw_html", "warn_markdown_image", "warn_link_dropped"]
        );
        assert!(p.html.contains("&lt;b&gt;x&lt;/b&gt; ảnh x"), "{}", p.html);
        let zalo = preview(&derive(Channel::Zalo, &m, false), &m, false);
        assert_eq!(zalo.errors[0].field, "variant_zalo_cover");
    }
}
