//! Author text → HTML that is safe to put on the city portal, in a Zalo article, in a Telegram
//! message and in Loa's own preview pane.
//!
//! Safety comes from construction, not from cleaning up afterwards: every piece of author text
//! reaches the output through an escaper, and the only tags written unescaped are ones built
//! here (`<a href="…" rel="noopener">` with an allow-listed scheme, and Markdown's own
//! structural tags). Raw HTML in the Markdown is therefore shown as text, never interpreted.

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, TextMergeStream};

use super::text::{escape_html, find_urls};

/// What the portal renderer had to neutralise, so the preview can tell the author.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Neutralised {
    pub raw_html: bool,
    pub images: bool,
    pub unsafe_links: bool,
}

/// Portal Markdown → safe HTML.
///
/// Raw HTML is escaped; links keep only http, https and mailto targets (others leave just
/// their text); Markdown images show their alt text, because portal pictures go through the
/// media library where they are resized and stripped of metadata; bare URLs become links; and
/// single line breaks stay line breaks, because authors write the master as plain text for
/// every channel at once.
pub fn portal_html(markdown: &str) -> String {
    render_portal(markdown).0
}

pub(crate) fn render_portal(markdown: &str) -> (String, Neutralised) {
    // No heading attributes, footnotes or wikilinks: each adds syntax authors never need and
    // attributes we would have to vet.
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut seen = Neutralised::default();
    let mut out: Vec<Event> = Vec::new();
    // One entry per open link: whether we wrote an <a> for it.
    let mut links: Vec<bool> = Vec::new();
    let mut in_code = false;
    for event in TextMergeStream::new(Parser::new_ext(markdown, options)) {
        match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                ..
            }) => match safe_href(link_type, &dest_url) {
                Some(href) => {
                    out.push(Event::Html(open_link(&href, &title).into()));
                    links.push(true);
                }
                None => {
                    seen.unsafe_links = true;
                    links.push(false);
                }
            },
            Event::End(TagEnd::Link) => {
                if links.pop() == Some(true) {
                    out.push(Event::Html("</a>".into()));
                }
            }
            Event::Start(Tag::Image { .. }) => seen.images = true,
            Event::End(TagEnd::Image) => {}
            Event::Html(raw) | Event::InlineHtml(raw) => {
                seen.raw_html = true;
                out.push(Event::Text(raw));
            }
            Event::Start(Tag::HtmlBlock) => out.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::HtmlBlock) => out.push(Event::End(TagEnd::Paragraph)),
            Event::Start(Tag::CodeBlock(kind)) => {
                in_code = true;
                out.push(Event::Start(Tag::CodeBlock(kind)));
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = false;
                out.push(Event::End(TagEnd::CodeBlock));
            }
            Event::Text(text) if links.is_empty() && !in_code => autolink(&text, &mut out),
            Event::SoftBreak => out.push(Event::HardBreak),
            other => out.push(other),
        }
    }
    let mut html = String::with_capacity(markdown.len() * 5 / 4);
    pulldown_cmark::html::push_html(&mut html, out.into_iter());
    (html, seen)
}

/// An allow-list rather than a deny-list: `javascript:`, `data:`, `vbscript:`, relative and
/// protocol-relative targets, and schemes disguised with entities or control characters all
/// fail the same simple test.
fn safe_href(link_type: LinkType, dest: &str) -> Option<String> {
    if dest.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    if link_type == LinkType::Email {
        return Some(format!("mailto:{dest}"));
    }
    let (scheme, rest) = dest.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    let ok = match scheme.as_str() {
        "http" | "https" => rest.starts_with("//") && rest.len() > 2,
        "mailto" => !rest.is_empty(),
        _ => false,
    };
    ok.then(|| dest.to_string())
}

fn open_link(href: &str, title: &str) -> String {
    let mut a = format!("<a href=\"{}\" rel=\"noopener\"", escape_html(href));
    if !title.is_empty() {
        a.push_str(&format!(" title=\"{}\"", escape_html(title)));
    }
    a.push('>');
    a
}

fn autolink<'a>(text: &str, out: &mut Vec<Event<'a>>) {
    let mut pos = 0;
    for url in find_urls(text) {
        if url.start > pos {
            out.push(Event::Text(CowStr::from(text[pos..url.start].to_string())));
        }
        let href = &text[url.clone()];
        out.push(Event::Html(open_link(href, "").into()));
        out.push(Event::Text(CowStr::from(href.to_string())));
        out.push(Event::Html("</a>".into()));
        pos = url.end;
    }
    if pos < text.len() {
        out.push(Event::Text(CowStr::from(text[pos..].to_string())));
    }
}

/// One line of plain text, escaped, with its bare URLs as links. Telegram's parser knows only
/// `href` on `<a>`, so it gets no `rel`.
fn linkify_line(line: &str, out: &mut String, telegram: bool) {
    let mut pos = 0;
    for url in find_urls(line) {
        out.push_str(&escape_html(&line[pos..url.start]));
        let href = &line[url.clone()];
        if telegram {
            out.push_str(&format!("<a href=\"{}\">", escape_html(href)));
        } else {
            out.push_str(&open_link(href, ""));
        }
        out.push_str(&escape_html(href));
        out.push_str("</a>");
        pos = url.end;
    }
    out.push_str(&escape_html(&line[pos..]));
}

/// Plain text → `<p>` per blank-line-separated paragraph, `<br>` per line break, bare URLs as
/// links, everything else escaped. For Zalo article bodies and previews; Telegram accepts no
/// `<p>` or `<br>`, so it gets [`telegram_html`].
pub fn text_html(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len() * 5 / 4);
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        out.push_str("<p>");
        for (i, line) in paragraph.lines().map(str::trim_end).enumerate() {
            if i > 0 {
                out.push_str("<br>\n");
            }
            linkify_line(line, &mut out, false);
        }
        out.push_str("</p>\n");
    }
    out
}

/// Plain text for Telegram's `parse_mode: HTML`: Telegram keeps line breaks as written and
/// allows only a few tags (`<a>` among them), so this only escapes and adds links. Telegram's
/// length limit applies to the visible text, which is the plain variant body.
pub fn telegram_html(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len() * 5 / 4);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        linkify_line(line, &mut out, true);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every tag in `html` is one we mean to write, with attributes we mean to write.
    fn assert_safe(html: &str) {
        const TAGS: &[&str] = &[
            "p",
            "br",
            "a",
            "strong",
            "em",
            "del",
            "ul",
            "ol",
            "li",
            "code",
            "pre",
            "blockquote",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "hr",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
        ];
        for tag in html.split('<').skip(1) {
            let inner = &tag[..tag.find('>').expect("closed tag")];
            let mut words = inner
                .trim_start_matches('/')
                .trim_end_matches('/')
                .split_whitespace();
            let name = words.next().unwrap_or("");
            assert!(TAGS.contains(&name), "tag <{name}> in {html}");
            for attr in words.filter_map(|w| w.split_once('=')) {
                assert!(
                    ["href", "rel", "title", "start", "style", "class"].contains(&attr.0),
                    "{html}"
                );
                if attr.0 == "href" {
                    let v = attr.1.trim_matches('"').to_ascii_lowercase();
                    assert!(v.starts_with("http") || v.starts_with("mailto:"), "{html}");
                }
            }
        }
    }

    #[test]
    fn portal_escapes_raw_html() {
        let (html, seen) = render_portal(
            "Xin chào <script>alert(1)</script>\n\n<div onclick=\"x()\">khối</div>\n\n<img src=x onerror=alert(1)>",
        );
        assert_safe(&html);
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
        assert!(html.contains("&lt;div onclick="), "{html}");
        assert!(!html.contains("<div"), "{html}");
        assert!(seen.raw_html);
    }

    #[test]
    fn portal_drops_unsafe_links_but_keeps_their_text() {
        for md in [
            "[bấm](javascript:alert(1))",
            "[bấm](JaVaScRiPt:alert(1))",
            "[bấm](jav&#x61;script:alert(1))",
            "[bấm](data:text/html;base64,PHNjcmlwdD4=)",
            "[bấm](/wp-admin)",
            "[bấm](//evil.example)",
            "<javascript:alert(1)>",
        ] {
            let (html, seen) = render_portal(md);
            assert!(!html.contains("<a "), "{md} → {html}");
            assert!(!html.to_ascii_lowercase().contains("href"), "{md} → {html}");
            assert!(seen.unsafe_links || seen.raw_html, "{md}");
            assert_safe(&html);
        }
        assert_eq!(portal_html("[bấm](javascript:alert(1))"), "<p>bấm</p>\n");
    }

    #[test]
    fn portal_keeps_markdown_and_safe_links() {
        let html = portal_html(
            "**Đậm** và *nghiêng*\n[Cổng](https://hanoi.gov.vn \"Cổng \\\"TP\\\"\") <a@b.vn>\n\n- một\n- hai",
        );
        assert!(html.contains("<strong>Đậm</strong>"), "{html}");
        assert!(html.contains("<em>nghiêng</em><br />"), "{html}");
        assert!(
            html.contains(r#"<a href="https://hanoi.gov.vn" rel="noopener" title="Cổng &quot;TP&quot;">Cổng</a>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="mailto:a@b.vn" rel="noopener">a@b.vn</a>"#),
            "{html}"
        );
        assert!(html.contains("<li>một</li>"), "{html}");
        assert_safe(&html);
    }

    #[test]
    fn portal_autolinks_bare_urls_outside_code_and_links() {
        let html = portal_html(
            "Xem https://hanoi.gov.vn/papi_2024?a=1&b=2.\n\n`https://code.vn` [https://x.vn](https://y.vn)",
        );
        assert!(
            html.contains(r#"Xem <a href="https://hanoi.gov.vn/papi_2024?a=1&amp;b=2" rel="noopener">https://hanoi.gov.vn/papi_2024?a=1&amp;b=2</a>."#),
            "{html}"
        );
        assert!(html.contains("<code>https://code.vn</code>"), "{html}");
        assert_eq!(html.matches("<a ").count(), 2, "{html}");
    }

    #[test]
    fn portal_shows_image_alt_text_only() {
        let (html, seen) = render_portal("![Ảnh hội nghị](https://a.vn/x.jpg)");
        assert_eq!(html, "<p>Ảnh hội nghị</p>\n");
        assert!(seen.images);
    }

    #[test]
    fn text_html_escapes_and_linkifies() {
        let html = text_html("Dòng <b>1</b>\r\nhttps://a.vn/?q=\"x\"&y\n\n\nĐoạn 2 (http://b.vn)");
        assert_eq!(
            html,
            "<p>Dòng &lt;b&gt;1&lt;/b&gt;<br>\n<a href=\"https://a.vn/?q=\" rel=\"noopener\">https://a.vn/?q=</a>&quot;x&quot;&amp;y</p>\n\
             <p>Đoạn 2 (<a href=\"http://b.vn\" rel=\"noopener\">http://b.vn</a>)</p>\n"
        );
        assert_eq!(text_html("  \n\n "), "");
        assert_safe(&text_html("<script>x</script> javascript:alert(1)"));
    }

    #[test]
    fn telegram_html_keeps_newlines() {
        assert_eq!(
            telegram_html("A & B\n<i>\nhttps://t.me/x"),
            "A &amp; B\n&lt;i&gt;\n<a href=\"https://t.me/x\">https://t.me/x</a>"
        );
    }
}
