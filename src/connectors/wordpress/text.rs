//! What Loa writes into WordPress's fields and names: slugs that carry the delivery's nonce,
//! titles and excerpts escaped for a channel that renders them as HTML, upload file names.

/// WordPress stores at most 200 bytes of slug and makes a taken one unique with `-2`…`-10`…;
/// keeping ours to 190 leaves room for the suffix without WordPress cutting into the nonce.
const SLUG_MAX: usize = 190;
/// The readable part of a slug: enough words of the title to tell posts apart in an address.
const READABLE_MAX: usize = 60;
/// Copies of one post WordPress may have saved (`s`, `s-2` … `s-10`): a lost answer repeated
/// more than nine times is beyond what the dispatcher sends (`MAX_ATTEMPTS`).
const FAMILY: u32 = 10;

/// The post's slug: an ASCII form of its title, then the delivery's nonce, which makes it
/// unique and findable whatever the title (`loa-{nonce}` when the title has no letters). The
/// title cannot change once publishing has started (`content::workflow::edit_status`), so
/// every attempt of a delivery asks for the same slug.
pub fn slug(title: &str, nonce: &str) -> String {
    let mut nonce = ascii_slug(nonce);
    nonce.truncate(120);
    let nonce = nonce.trim_end_matches('-');
    let budget = SLUG_MAX.saturating_sub(nonce.len() + 1).min(READABLE_MAX);
    let readable = clip_at_word(&ascii_slug(title), budget);
    if readable.is_empty() {
        format!("loa-{nonce}")
    } else {
        format!("{readable}-{nonce}")
    }
}

/// The slug earlier versions of Loa gave a delivery: still looked up, so a delivery whose
/// answer was lost before an upgrade is found after it.
pub(super) fn legacy_slug(nonce: &str) -> String {
    let mut out = format!("loa-{}", ascii_slug(nonce));
    out.truncate(SLUG_MAX);
    out.trim_end_matches('-').to_string()
}

/// Every slug WordPress can have given something Loa asked to call `slug`: itself and the
/// suffixes `wp_unique_post_slug()` adds (`-2`…), plus `-1`, which media get when the file
/// name was taken.
pub(super) fn family(slug: &str) -> Vec<String> {
    let mut out = vec![slug.to_string()];
    out.extend((1..=FAMILY).map(|n| format!("{slug}-{n}")));
    out
}

/// Lowercase `[a-z0-9-]`, Vietnamese letters without their marks (`Đường` → `duong`), one
/// hyphen between words, none at either end.
pub(super) fn ascii_slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        // Combining marks (decomposed input) belong to the letter before them.
        if ('\u{300}'..='\u{36f}').contains(&c) {
            continue;
        }
        match fold(c) {
            Some(a) => out.push(a),
            None if !out.is_empty() && !out.ends_with('-') => out.push('-'),
            None => {}
        }
    }
    out.trim_end_matches('-').to_string()
}

/// An ASCII letter or digit for `c`, if it is one or a Vietnamese letter with marks.
fn fold(c: char) -> Option<char> {
    const GROUPS: [(&str, char); 7] = [
        ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
        ("èéẻẽẹêềếểễệ", 'e'),
        ("ìíỉĩị", 'i'),
        ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
        ("ùúủũụưừứửữự", 'u'),
        ("ỳýỷỹỵ", 'y'),
        ("đ", 'd'),
    ];
    if c.is_ascii_lowercase() || c.is_ascii_digit() {
        return Some(c);
    }
    GROUPS
        .iter()
        .find(|(letters, _)| letters.contains(c))
        .map(|&(_, base)| base)
}

/// At most `max` bytes of a slug, cut at a hyphen when one is near, never ending in one.
fn clip_at_word(slug: &str, max: usize) -> String {
    if slug.len() <= max {
        return slug.to_string();
    }
    let cut = &slug[..max];
    let at_word = match cut.rfind('-') {
        Some(i) if i >= max / 2 => &cut[..i],
        _ => cut,
    };
    at_word.trim_end_matches('-').to_string()
}

/// WordPress prints `title` and `excerpt` into pages as HTML: escaped, the portal shows the
/// very text Loa's preview shows (`<1 ngày` stays text, `<img onerror>` never becomes a tag).
/// Emoji and Vietnamese pass unchanged.
pub(super) fn html_text(text: &str) -> String {
    crate::content::escape_html(text)
}

/// The upload's file name, from the image's content key: the same image always gets the same
/// name (and so the same media slug), which is how a lost upload is found again.
pub(super) fn media_file_name(key: &str, mime: &str) -> String {
    let ext = match mime.trim().to_ascii_lowercase().as_str() {
        "image/png" => "png",
        "image/webp" => "webp",
        "image/gif" => "gif",
        _ => "jpg",
    };
    format!("{}.{ext}", media_slug(key))
}

/// `loa-` and the first 16 characters of the image's content key.
pub(super) fn media_slug(key: &str) -> String {
    let key = ascii_slug(key).replace('-', "");
    let short: String = key.chars().take(16).collect();
    if short.is_empty() {
        "loa-image".into()
    } else {
        format!("loa-{short}")
    }
}

/// The page's `<title>`, for telling a person which page answered instead of the API.
pub(super) fn html_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let lower = text.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let title = super::super::classify::snippet(text[start..end].trim());
    let title: String = title.chars().take(120).collect();
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_read_like_the_title_and_end_with_the_nonce() {
        assert_eq!(
            slug("Hỏi & đáp: thủ tục <1 ngày", "12-4-AbC_d3"),
            "hoi-dap-thu-tuc-1-ngay-12-4-abc-d3"
        );
        assert_eq!(slug("Đường Trần Hưng Đạo", "n1"), "duong-tran-hung-dao-n1");
        // Decomposed marks fold the same way.
        assert_eq!(slug("Đe\u{301}n", "n1"), "den-n1");
        assert_eq!(slug("🎉 ---", "5F0c-9A1b"), "loa-5f0c-9a1b");
        assert_eq!(slug("x", "y"), slug("x", "y"));
    }

    #[test]
    fn slugs_stay_short_enough_for_the_suffix_and_keep_the_nonce() {
        let long_title = "Thông báo ".repeat(40);
        let s = slug(&long_title, "77-3-abcdefghijkl");
        assert!(
            s.len() <= READABLE_MAX + 1 + "77-3-abcdefghijkl".len(),
            "{s}"
        );
        assert!(s.ends_with("-77-3-abcdefghijkl"), "{s}");
        assert!(!s.contains("--"), "{s}");
        let s = slug(&long_title, &"n".repeat(500));
        assert!(s.len() <= SLUG_MAX, "{}", s.len());
        assert!(family(&s).iter().all(|f| f.len() <= 200));
    }

    #[test]
    fn the_family_holds_what_wordpress_makes_of_a_taken_slug() {
        let f = family("tin-n1");
        assert_eq!(f.first().map(String::as_str), Some("tin-n1"));
        assert!(f.contains(&"tin-n1-2".to_string()));
        assert!(f.contains(&"tin-n1-10".to_string()));
        assert_eq!(f.len(), 11);
        assert_eq!(legacy_slug("5F0c-9A1b"), "loa-5f0c-9a1b");
    }

    #[test]
    fn titles_are_escaped_for_html_and_keep_emoji_and_vietnamese() {
        assert_eq!(
            html_text("Hỏi & đáp: <1 ngày \"A\" 'b' 🎉"),
            "Hỏi &amp; đáp: &lt;1 ngày &quot;A&quot; &#39;b&#39; 🎉"
        );
        assert_eq!(
            html_text("<img src=x onerror=alert(1)>"),
            "&lt;img src=x onerror=alert(1)&gt;"
        );
    }

    #[test]
    fn media_names_come_from_the_content_key() {
        let key = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert_eq!(media_slug(key), "loa-9f86d081884c7d65");
        assert_eq!(
            media_file_name(key, "image/jpeg"),
            "loa-9f86d081884c7d65.jpg"
        );
        assert_eq!(
            media_file_name(key, "image/png"),
            "loa-9f86d081884c7d65.png"
        );
        assert_eq!(media_slug("../.."), "loa-image");
    }

    #[test]
    fn page_titles_are_read_from_html() {
        let page = b"<html><head><TITLE> 502 Bad\nGateway </TITLE></head></html>";
        assert_eq!(html_title(page).as_deref(), Some("502 Bad Gateway"));
        assert_eq!(html_title(b"{\"a\":1}"), None);
    }
}
