//! No import circles between modules (issue 16), checked on every `cargo test`.
//!
//! Every file under `src/` names other files' modules through `use crate::…`, `use super::…`,
//! `use self::…`, a submodule of its own (`share::routes()`) or an inline `crate::…`/`super::…`
//! path: each is an arrow from the file to the deepest file along the path. A file may use its
//! ancestors freely (a folder's `mod.rs` holds what its children share), so arrows to an
//! ancestor do not count. Files that reach each other through the rest form a circle: none of
//! them can be read, tested or moved without the others. Test-only code (`#[cfg(test)]` items
//! and the files they declare) may import freely and is not read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod reader;

use reader::{Scan, scan};

/// The module a file defines: `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`, `src/lib.rs` the root.
fn module_of(rel: &Path) -> Vec<String> {
    let mut m: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    if matches!(m.last().map(String::as_str), Some("mod" | "lib")) {
        m.pop();
    }
    m
}

fn rust_files(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src/")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, root, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p.strip_prefix(root).expect("under src/").to_path_buf());
        }
    }
}

/// File-to-file arrows (paths relative to `src/`), each with the names it uses.
type Arrows = BTreeMap<PathBuf, BTreeMap<PathBuf, BTreeSet<String>>>;

fn arrows(src: &Path) -> Arrows {
    let mut files = Vec::new();
    rust_files(src, src, &mut files);
    // The binary's `crate::` is the binary, not the library.
    files.retain(|f| f != Path::new("main.rs") && !f.starts_with("bin"));
    let scans: Vec<(PathBuf, Scan)> = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(src.join(f)).expect("read source file");
            (f.clone(), scan(f, &module_of(f), &text))
        })
        .collect();
    let tests: BTreeSet<PathBuf> = scans
        .iter()
        .flat_map(|(_, s)| s.test_files.clone())
        .collect();
    // A declared test file, or a file inside a test module's folder.
    let is_test = |f: &Path| {
        tests.contains(f)
            || tests
                .iter()
                .any(|t| t.with_extension("") == f.parent().unwrap())
    };
    let modules: BTreeMap<Vec<String>, &PathBuf> = files
        .iter()
        .filter(|f| !is_test(f))
        .map(|f| (module_of(f), f))
        .collect();
    let mut arrows = Arrows::new();
    for (file, s) in scans.iter().filter(|(f, _)| !is_test(f)) {
        let from = arrows.entry(file.clone()).or_default();
        for path in &s.paths {
            // The deepest file along the path defines what it names.
            let k = (0..=path.len())
                .rev()
                .find(|k| modules.contains_key(&path[..*k]))
                .expect("src/lib.rs is the root");
            // Not to the file itself, nor to one of its ancestors (`lib.rs` included).
            if !module_of(file).starts_with(&path[..k]) {
                let to = modules[&path[..k]];
                let name = path.get(k).or(path.last()).map_or("crate", String::as_str);
                from.entry(to.clone()).or_default().insert(name.to_string());
            }
        }
    }
    arrows
}

/// Strongly connected components of more than one file (Tarjan), each sorted.
fn circles(arrows: &Arrows) -> Vec<Vec<PathBuf>> {
    struct Tarjan<'a> {
        arrows: &'a Arrows,
        /// Visiting order of the files seen so far.
        index: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        out: Vec<Vec<PathBuf>>,
    }
    impl<'a> Tarjan<'a> {
        /// Visits `v` and returns its low link: the earliest file still on the stack it reaches.
        fn visit(&mut self, v: &'a PathBuf) -> usize {
            let n = self.index.len();
            self.index.insert(v, n);
            self.stack.push(v);
            let mut low = n;
            let arrows = self.arrows;
            for w in arrows.get(v).into_iter().flat_map(|m| m.keys()) {
                low = match self.index.get(w) {
                    None => low.min(self.visit(w)),
                    Some(&i) if self.stack.contains(&w) => low.min(i),
                    Some(_) => low,
                };
            }
            if low == n {
                let at = self.stack.iter().position(|x| *x == v).expect("on stack");
                let mut c: Vec<PathBuf> = self.stack.drain(at..).cloned().collect();
                if c.len() > 1 {
                    c.sort();
                    self.out.push(c);
                }
            }
            low
        }
    }
    let mut t = Tarjan {
        arrows,
        index: BTreeMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for v in arrows.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.out.sort();
    t.out
}

fn describe(arrows: &Arrows, circles: &[Vec<PathBuf>]) -> String {
    let mut s = format!(
        "{} import circle(s) between modules. Move what both sides need into a lower module \
         (a `pub use` at the old path keeps callers unchanged) so arrows point one way:\n",
        circles.len()
    );
    for (n, c) in circles.iter().enumerate() {
        let names: Vec<String> = c.iter().map(|f| format!("src/{}", f.display())).collect();
        s += &format!(
            "\ncircle {} ({} files): {}\n",
            n + 1,
            c.len(),
            names.join(", ")
        );
        for from in c {
            for (to, used) in arrows[from].iter().filter(|(to, _)| c.contains(to)) {
                let used: Vec<&str> = used.iter().map(String::as_str).collect();
                s += &format!(
                    "  src/{} -> src/{}: {}\n",
                    from.display(),
                    to.display(),
                    used.join(", ")
                );
            }
        }
    }
    s
}

#[test]
fn modules_import_each_other_in_one_direction_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let arrows = arrows(&src);
    // A reader that silently saw nothing would pass; these arrows certainly exist.
    assert!(arrows.len() > 100, "only {} files read", arrows.len());
    assert!(arrows[Path::new("cli.rs")].contains_key(Path::new("config/mod.rs")));
    let circles = circles(&arrows);
    assert!(circles.is_empty(), "{}", describe(&arrows, &circles));
}
