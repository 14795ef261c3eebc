//! Reads the crate-internal paths out of one Rust file, without a parser dependency: enough of
//! Rust's lexical rules to drop comments and literals, then `use` trees and inline paths.

use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    /// A string literal's raw text (only `#[path = "…"]` needs it).
    Str(String),
    /// `::`
    Sep,
    Punct(char),
}

/// Rust source as identifiers, `::` and punctuation; comments (doc comments too), the contents
/// of string and character literals, numbers and lifetimes are gone, so braces balance.
fn tokens(src: &str) -> Vec<Tok> {
    let c: Vec<char> = src.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let string_end = |mut i: usize| {
        while i < c.len() && c[i] != '"' {
            i += if c[i] == '\\' { 2 } else { 1 };
        }
        i
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            loop {
                if i >= c.len() {
                    break;
                } else if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if ch == '"' {
            let end = string_end(i + 1);
            out.push(Tok::Str(c[i + 1..end.min(c.len())].iter().collect()));
            i = end + 1;
        } else if ch == '\'' {
            // 'x' and '\n' are characters; 'a (no closing quote) is a lifetime or a label.
            if at(i + 1) == '\\' {
                i += 3;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            let raw_prefix = matches!(word.as_str(), "r" | "br" | "cr");
            if raw_prefix && (at(i) == '"' || (at(i) == '#' && at(i + 1) != '[')) {
                let mut hashes = 0;
                while at(i) == '#' {
                    hashes += 1;
                    i += 1;
                }
                if at(i) != '"' {
                    continue; // r#ident: the identifier follows as a word of its own
                }
                let start = i + 1;
                i = start;
                while i < c.len() && !(c[i] == '"' && (1..=hashes).all(|h| at(i + h) == '#')) {
                    i += 1;
                }
                out.push(Tok::Str(c[start..i.min(c.len())].iter().collect()));
                i += 1 + hashes;
            } else if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                i = string_end(i + 1) + 1;
            } else if word == "b" && at(i) == '\'' {
                // A byte: the quote that follows is read as a character literal.
            } else {
                out.push(Tok::Ident(word));
            }
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
        } else if ch == ':' && at(i + 1) == ':' {
            out.push(Tok::Sep);
            i += 2;
        } else {
            if !ch.is_whitespace() {
                out.push(Tok::Punct(ch));
            }
            i += 1;
        }
    }
    out
}

/// What one file names: crate-internal paths made absolute (module path, then item), and the
/// `mod x;` files it declares under `#[cfg(test)]` (relative to `src/`).
#[derive(Debug, Default)]
pub struct Scan {
    pub paths: Vec<Vec<String>>,
    pub test_files: Vec<PathBuf>,
}

fn ident(t: Option<&Tok>) -> Option<&str> {
    match t {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

pub fn scan(file: &Path, module: &[String], src: &str) -> Scan {
    let t = tokens(src);
    // Its own submodules, which it may name without `self::` (`share::routes()`).
    let children: Vec<&str> = t
        .windows(2)
        .filter(|w| ident(w.first()) == Some("mod"))
        .filter_map(|w| ident(w.get(1)))
        .collect();
    let rooted = |mut path: Vec<String>| {
        if path.first().is_some_and(|s| children.contains(&s.as_str())) {
            path.insert(0, "self".into());
        }
        path
    };
    let mut out = Scan::default();
    // Inline `mod x { … }` blocks: their name and the brace depth they close back to.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    let here = |inline: &[(String, usize)]| {
        let mut m = module.to_vec();
        m.extend(inline.iter().map(|(n, _)| n.clone()));
        m
    };
    while i < t.len() {
        match &t[i] {
            Tok::Punct('#') if is_cfg_test(&t, i) => {
                if t.get(i + 1) == Some(&Tok::Punct('!')) {
                    break; // the whole file is test-only
                }
                let (next, declared) = skip_test_item(&t, i);
                if let Some((name, path_attr)) = declared {
                    let dir = file.parent().unwrap_or(Path::new(""));
                    out.test_files.push(match path_attr {
                        Some(p) => dir.join(p),
                        None => {
                            let stem = file.file_stem().unwrap_or_default();
                            let mut d = if matches!(stem.to_str(), Some("mod" | "lib")) {
                                dir.to_path_buf()
                            } else {
                                dir.join(stem)
                            };
                            d.extend(inline.iter().map(|(n, _)| n.as_str()));
                            d.join(format!("{name}.rs"))
                        }
                    });
                }
                i = next;
                continue;
            }
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth -= 1;
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            Tok::Ident(w) if w == "mod" && t.get(i + 2) == Some(&Tok::Punct('{')) => {
                if let Some(name) = ident(t.get(i + 1)) {
                    inline.push((name.to_string(), depth));
                }
            }
            Tok::Ident(w) if w == "use" && t.get(i + 1) != Some(&Tok::Punct('<')) => {
                let mut trees = Vec::new();
                i = use_tree(&t, i + 1, Vec::new(), &mut trees);
                let m = here(&inline);
                out.paths
                    .extend(trees.into_iter().filter_map(|p| absolute(&m, &rooted(p))));
                continue;
            }
            Tok::Ident(w)
                if (matches!(w.as_str(), "crate" | "super" | "self")
                    || children.contains(&w.as_str()))
                    && t.get(i + 1) == Some(&Tok::Sep)
                    && (i == 0 || (t[i - 1] != Tok::Sep && ident(t.get(i - 1)) != Some("in"))) =>
            {
                let mut path = vec![w.clone()];
                let mut j = i + 1;
                while t.get(j) == Some(&Tok::Sep) {
                    match ident(t.get(j + 1)) {
                        Some(s) => path.push(s.to_string()),
                        None => break,
                    }
                    j += 2;
                }
                out.paths.extend(absolute(&here(&inline), &rooted(path)));
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// `#[cfg(test)]` or `#![cfg(test)]` starts at `i`.
fn is_cfg_test(t: &[Tok], i: usize) -> bool {
    let i = if t.get(i + 1) == Some(&Tok::Punct('!')) {
        i + 1
    } else {
        i
    };
    let want = ["[", "cfg", "(", "test", ")", "]"];
    want.iter()
        .enumerate()
        .all(|(k, w)| match t.get(i + 1 + k) {
            Some(Tok::Punct(c)) => w.len() == 1 && w.starts_with(*c),
            Some(Tok::Ident(s)) => s == w,
            _ => false,
        })
}

/// Skips the attributes and the item that follows `#[cfg(test)]` at `i`. Returns where reading
/// resumes, and for `mod name;` the name with its `#[path]` if any.
fn skip_test_item(t: &[Tok], mut i: usize) -> (usize, Option<(String, Option<String>)>) {
    let mut path_attr = None;
    while t.get(i) == Some(&Tok::Punct('#')) {
        if let (Some("path"), Some(Tok::Str(p))) = (ident(t.get(i + 2)), t.get(i + 4)) {
            path_attr = Some(p.clone());
        }
        while i < t.len() && t[i] != Tok::Punct(']') {
            i += 1;
        }
        i += 1;
    }
    while ident(t.get(i)) == Some("pub") {
        i += 1;
        if t.get(i) == Some(&Tok::Punct('(')) {
            while i < t.len() && t[i] != Tok::Punct(')') {
                i += 1;
            }
            i += 1;
        }
    }
    if ident(t.get(i)) == Some("mod") && t.get(i + 2) == Some(&Tok::Punct(';')) {
        let name = ident(t.get(i + 1)).unwrap_or_default().to_string();
        return (i + 3, Some((name, path_attr)));
    }
    // `use a::{b};` ends at its semicolon; other items end at their first block or semicolon.
    let is_use = ident(t.get(i)) == Some("use");
    let mut nesting = 0i32;
    while i < t.len() {
        match t[i] {
            Tok::Punct('(' | '[' | '{') => nesting += 1,
            Tok::Punct(')' | ']') => nesting -= 1,
            Tok::Punct('}') => {
                nesting -= 1;
                if nesting == 0 && !is_use {
                    return (i + 1, None);
                }
            }
            Tok::Punct(';') if nesting == 0 => return (i + 1, None),
            _ => {}
        }
        i += 1;
    }
    (i, None)
}

/// Reads one use tree from `i` (nested groups included) into full paths; returns where it ends.
fn use_tree(t: &[Tok], mut i: usize, mut path: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    loop {
        match t.get(i) {
            Some(Tok::Sep) => i += 1,
            Some(Tok::Punct('*')) => {
                path.push("*".into());
                out.push(path);
                return i + 1;
            }
            Some(Tok::Punct('{')) => {
                i += 1;
                while i < t.len() && t[i] != Tok::Punct('}') {
                    if t[i] == Tok::Punct(',') {
                        i += 1;
                    } else {
                        i = use_tree(t, i, path.clone(), out);
                    }
                }
                return i + 1;
            }
            Some(Tok::Ident(s)) => {
                // `{self, …}` names the group's module itself.
                if s != "self" || path.is_empty() {
                    path.push(s.clone());
                }
                i += 1;
                if t.get(i) == Some(&Tok::Sep) {
                    continue;
                }
                if ident(t.get(i)) == Some("as") {
                    i += 2;
                }
                out.push(path);
                return i;
            }
            _ => return i + 1,
        }
    }
}

/// `crate::…`, `super::…` or `self::…` seen from `module`, as a path from the crate root.
fn absolute(module: &[String], path: &[String]) -> Option<Vec<String>> {
    let (first, rest) = path.split_first()?;
    let mut base = match first.as_str() {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => module[..module.len().checked_sub(1)?].to_vec(),
        _ => return None,
    };
    let mut rest = rest.iter().peekable();
    while rest.next_if(|s| *s == "super").is_some() {
        base.pop()?;
    }
    base.extend(rest.cloned());
    Some(base)
}

#[test]
fn use_trees_inline_paths_and_test_code_are_read() {
    let code = r##"
        use super::{a::{B, C}, d};
        use crate::x::{self, y::Z as W};
        use std::fmt;
        pub(in crate::x) fn f() -> u8 { let s = r#"crate::no"#; crate::p::q::r("}"); b'{' }
        mod inner { use super::Up; }
        mod kid;
        fn k() { kid::run(); other::no(); }
        #[cfg(test)]
        #[path = "f_tests.rs"]
        mod tests;
        #[cfg(test)]
        mod more { use crate::t::T; }
        fn g<'a>(c: char) -> bool { c == '}' && self::h::<u8>() }
    "##;
    let s = scan(Path::new("m/f.rs"), &["m".into(), "f".into()], code);
    let paths: Vec<String> = s.paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        paths,
        [
            "m::a::B",
            "m::a::C",
            "m::d",
            "x",
            "x::y::Z",
            "p::q::r",
            "m::f::Up",
            "m::f::kid::run",
            "m::f::h"
        ]
    );
    assert_eq!(s.test_files, [PathBuf::from("m/f_tests.rs")]);
}
