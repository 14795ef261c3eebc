//! Text primitives every channel shares: finding bare links, measuring, clipping, escaping.
//! They work on `char`s and whole links, so a cut can never land inside a UTF-8 sequence, a
//! URL, or between a Vietnamese letter and a combining accent typed in decomposed form.

use std::ops::Range;

/// How a channel measures length; see `channel::count` for which channel uses which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    Chars,
    Utf16,
    Mastodon,
}

/// Mastodon counts every http(s) URL as this many characters, however long it is.
pub(crate) const MASTODON_URL_LEN: usize = 23;

const ELLIPSIS: char = '…';

/// Bare http(s) links, as byte ranges. Trailing sentence punctuation is left outside because
/// "xem https://hanoi.gov.vn/a." means the link ends before the full stop.
pub(crate) fn find_urls(text: &str) -> Vec<Range<usize>> {
    // ASCII lower-casing keeps byte offsets, so ranges found here index `text` too.
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(offset) = lower[from..].find("http") {
        let start = from + offset;
        let rest = &lower[start..];
        let scheme_len = if rest.starts_with("https://") {
            8
        } else if rest.starts_with("http://") {
            7
        } else {
            from = start + 4;
            continue;
        };
        let host = start + scheme_len;
        let tail = &text[host..];
        let end = host + tail.find(ends_url).unwrap_or(tail.len());
        let end = trim_url_end(text, host, end);
        // "xhttp://…" is a word that happens to contain a scheme, not a link.
        let glued = text[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric());
        let has_host = text[host..end].chars().next().is_some_and(|c| c != '/');
        if !glued && has_host {
            out.push(start..end);
            from = end;
        } else {
            from = host;
        }
    }
    out
}

fn ends_url(c: char) -> bool {
    c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | '`')
}

fn trim_url_end(text: &str, host: usize, mut end: usize) -> usize {
    loop {
        let url = &text[host..end];
        let Some(last) = url.chars().next_back() else {
            return end;
        };
        // A closing bracket belongs to the link only when the link opened one: Wikipedia-style
        // "…/Hà_Nội_(định_hướng)" keeps it, "(xem https://a.vn)" does not.
        let strip = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '*' | ELLIPSIS => true,
            ')' => url.matches('(').count() < url.matches(')').count(),
            ']' => url.matches('[').count() < url.matches(']').count(),
            _ => false,
        };
        if !strip {
            return end;
        }
        end -= last.len_utf8();
    }
}

/// Accents typed in decomposed form, joiners and variation selectors: they belong to the
/// character before them, so they neither count on Mastodon nor start a place to cut.
pub(crate) fn is_combining(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FE20}'..='\u{FE2F}'
        | '\u{200D}'
        | '\u{1F3FB}'..='\u{1F3FF}')
}

/// Indivisible pieces of `text` with their weight in `unit`: a character with its combining
/// marks, or, for Mastodon, a whole link.
fn atoms(text: &str, unit: Unit) -> Vec<(Range<usize>, usize)> {
    let urls = if unit == Unit::Mastodon {
        find_urls(text)
    } else {
        Vec::new()
    };
    let mut urls = urls.into_iter().peekable();
    let mut out: Vec<(Range<usize>, usize)> = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if let Some(url) = urls.next_if(|u| u.start == i) {
            while chars.next_if(|&(j, _)| j < url.end).is_some() {}
            out.push((url, MASTODON_URL_LEN));
            continue;
        }
        let mut end = i + c.len_utf8();
        let mut weight = weight(c, unit);
        while let Some((j, m)) = chars.next_if(|&(_, m)| is_combining(m)) {
            end = j + m.len_utf8();
            weight += if unit == Unit::Mastodon {
                0
            } else {
                self::weight(m, unit)
            };
        }
        out.push((i..end, weight));
    }
    out
}

fn weight(c: char, unit: Unit) -> usize {
    match unit {
        Unit::Chars | Unit::Mastodon => 1,
        Unit::Utf16 => c.len_utf16(),
    }
}

pub(crate) fn measure(text: &str, unit: Unit) -> usize {
    match unit {
        Unit::Chars => text.chars().count(),
        Unit::Utf16 => text.encode_utf16().count(),
        Unit::Mastodon => atoms(text, unit).iter().map(|(_, w)| w).sum(),
    }
}

/// `text` shortened to at most `max` units, ending in '…'. It cuts at the last space when that
/// keeps at least half the room, so one very long word still gets cut between characters.
pub(crate) fn clip(text: &str, max: usize, unit: Unit) -> String {
    let text = text.trim_end();
    if measure(text, unit) <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let budget = max - 1; // '…' is one unit in every measure
    let mut used = 0;
    let mut hard_cut = 0;
    let mut word_cut: Option<(usize, usize)> = None;
    for (range, w) in atoms(text, unit) {
        if text[range.clone()].starts_with(char::is_whitespace) {
            word_cut = Some((range.start, used));
        }
        if used + w > budget {
            break;
        }
        used += w;
        hard_cut = range.end;
    }
    let cut = match word_cut {
        Some((at, used_there)) if used_there * 2 >= budget => at,
        _ => hard_cut,
    };
    let kept = text[..cut].trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '–' | '—' | '(' | '.')
    });
    format!("{kept}{ELLIPSIS}")
}

/// The opening sentences of `body` on one line, as many whole ones as fit in `max` characters;
/// a first sentence longer than that is clipped. A paragraph or heading ends a sentence even
/// without a full stop. Markdown emphasis and line markers are dropped because excerpts and
/// Zalo descriptions are shown as plain text.
pub(crate) fn lead(body: &str, max: usize) -> String {
    let mut blocks: Vec<String> = vec![String::new()];
    for line in body.lines() {
        let trimmed = line.trim();
        let heading = trimmed.starts_with('#');
        if trimmed.is_empty() || heading {
            blocks.push(String::new());
        }
        let unmarked = trimmed.trim_start_matches(['#', '>']).trim_start();
        let unlisted = ["- ", "* ", "+ "]
            .iter()
            .find_map(|m| unmarked.strip_prefix(m))
            .unwrap_or(unmarked);
        let plain = unlisted.replace("**", "").replace("__", "");
        let last = blocks.last_mut().expect("starts with one block");
        for word in plain.split_whitespace() {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
        if heading {
            blocks.push(String::new());
        }
    }
    let mut flat = String::new();
    let mut ends = Vec::new();
    for block in blocks.iter().filter(|b| !b.is_empty()) {
        if !flat.is_empty() {
            flat.push(' ');
        }
        let mut prev: Option<char> = None;
        for c in block.chars() {
            if c == ' ' && prev.is_some_and(|p| matches!(p, '.' | '!' | '?' | ELLIPSIS)) {
                ends.push(flat.len());
            }
            flat.push(c);
            prev = Some(c);
        }
        ends.push(flat.len());
    }
    if flat.chars().count() <= max {
        return flat;
    }
    match ends
        .into_iter()
        .take_while(|&end| flat[..end].chars().count() <= max)
        .last()
    {
        Some(end) => flat[..end].to_string(),
        None => clip(&flat, max, Unit::Chars),
    }
}

/// Escaping for HTML text and double- or single-quoted attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str) -> Vec<&str> {
        find_urls(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn finds_links_without_trailing_punctuation() {
        assert_eq!(
            urls(
                "Xem https://hanoi.gov.vn/papi. Và (http://a.vn/x) hoặc https://vi.wikipedia.org/wiki/Hà_Nội_(tỉnh)!"
            ),
            [
                "https://hanoi.gov.vn/papi",
                "http://a.vn/x",
                "https://vi.wikipedia.org/wiki/Hà_Nội_(tỉnh)"
            ]
        );
        assert!(urls("xhttp://a.vn https:// http:///x httpx").is_empty());
        assert_eq!(urls("HTTPS://A.VN"), ["HTTPS://A.VN"]);
    }

    #[test]
    fn mastodon_counts_each_link_as_23() {
        let long = format!("https://hanoi.gov.vn/{}", "a".repeat(200));
        assert_eq!(
            measure(&format!("Đọc {long} nhé"), Unit::Mastodon),
            4 + 23 + 4
        );
        assert_eq!(measure("http://a.vn", Unit::Mastodon), 23);
        // Decomposed "ệ" (e + two combining marks) is one character to a reader and to Mastodon.
        assert_eq!(measure("e\u{323}\u{302}", Unit::Mastodon), 1);
        assert_eq!(measure("e\u{323}\u{302}", Unit::Chars), 3);
    }

    #[test]
    fn utf16_counts_emoji_twice() {
        assert_eq!(measure("Hà Nội 🎉", Unit::Utf16), 9);
        assert_eq!(measure("Hà Nội 🎉", Unit::Chars), 8);
    }

    #[test]
    fn clip_cuts_at_a_word_and_never_inside_a_character() {
        let s = "Người dân phường Hoàn Kiếm được mời góp ý về dịch vụ công";
        for max in 1..s.chars().count() {
            let c = clip(s, max, Unit::Chars);
            assert!(c.chars().count() <= max, "{max}: {c}");
            assert!(c.ends_with('…'));
            if max > 15 {
                let kept = c.trim_end_matches('…');
                assert!(s.starts_with(kept), "{max}: {c}");
                let next = s[kept.len()..].chars().next();
                assert_eq!(next, Some(' '), "cut inside a word at {max}: {c}");
            }
        }
        assert_eq!(clip(s, 500, Unit::Chars), s);
    }

    #[test]
    fn clip_keeps_decomposed_accents_with_their_letter() {
        let word = "Vie\u{323}\u{302}t".repeat(30); // one long "word", decomposed ệ
        for max in 2..40 {
            let c = clip(&word, max, Unit::Chars);
            let kept = c.trim_end_matches('…');
            assert!(
                !kept.ends_with('e'),
                "accent split from its letter at {max}"
            );
            assert!(!kept.ends_with('\u{323}'), "accent split at {max}");
        }
    }

    #[test]
    fn clip_never_cuts_a_link_for_mastodon() {
        let s = format!("Tin mới https://hanoi.gov.vn/{} hết", "x".repeat(100));
        let c = clip(&s, 30, Unit::Mastodon);
        assert!(measure(&c, Unit::Mastodon) <= 30);
        assert!(
            c == "Tin mới…" || c.contains(&format!("{}…", "x".repeat(100))),
            "{c}"
        );
    }

    #[test]
    fn lead_takes_whole_sentences() {
        let body =
            "# Thông báo\nCâu một ngắn. Câu hai cũng ngắn! Câu ba dài hơn nhiều so với giới hạn.";
        assert_eq!(lead(body, 45), "Thông báo Câu một ngắn. Câu hai cũng ngắn!");
        assert_eq!(lead(body, 30), "Thông báo Câu một ngắn.");
        assert_eq!(lead(body, 20), "Thông báo");
        assert_eq!(
            lead("Đoạn một\nvẫn một\n\nĐoạn hai dài", 20),
            "Đoạn một vẫn một"
        );
        assert_eq!(lead("- **Một** câu.", 100), "Một câu.");
        let one = "Một câu rất dài ".repeat(40);
        assert!(lead(&one, 250).chars().count() <= 250);
    }

    #[test]
    fn escapes_markup_characters() {
        assert_eq!(
            escape_html(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
