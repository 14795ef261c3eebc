//! Schema drift guard: the two migration trees, applied to fresh databases, must build the same
//! schema, except for the differences written down with their reasons in
//! `migrations/intended-differences.txt`. A migration added to one tree only, or written
//! differently in the other, fails here with every unexplained difference spelled out; a listed
//! difference that no longer exists fails too, so the list stays true.
//!
//! What counts as "the same" is decided by the normalisation below: types are compared by what
//! the store can put in them (an SQLite `integer` holds PostgreSQL's `bigint` and, as 0/1, its
//! `boolean`); expressions (checks, partial-index predicates, defaults) are compared after
//! removing PostgreSQL's casts and extra parentheses.

mod postgres;
mod sqlite;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use loa::store::Store;

use crate::helpers::{Backend, TestDb};

/// The list of intended differences: `difference | reason` a line, `#` for comments.
const INTENDED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/migrations/intended-differences.txt"
);

type Schema = BTreeMap<String, Table>;

#[derive(Debug, Default)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
    /// Created indexes by name; indexes behind unique constraints (named by each database its
    /// own way) by `unique (columns)`. Primary keys are compared as such, not as indexes.
    indexes: BTreeMap<String, Index>,
    foreign_keys: BTreeSet<String>,
    checks: BTreeSet<String>,
    triggers: BTreeSet<String>,
}

#[derive(Debug)]
struct Column {
    /// One of integer, boolean, text, real, numeric, blob (or PostgreSQL's own name otherwise).
    ty: String,
    not_null: bool,
    default: Option<String>,
    /// Numbered by the database when an insert leaves it out (rowid alias, identity).
    autonumber: bool,
}

#[derive(Debug, PartialEq)]
struct Index {
    columns: Vec<String>,
    unique: bool,
    predicate: Option<String>,
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.unique {
            f.write_str("unique ")?;
        }
        write!(f, "({})", self.columns.join(", "))?;
        match &self.predicate {
            Some(p) => write!(f, " where {p}"),
            None => Ok(()),
        }
    }
}

/// `(a, b) references t (x, y)` plus its actions when they are not the default.
fn foreign_key(
    from: &[String],
    table: &str,
    to: &[String],
    on_delete: &str,
    on_update: &str,
) -> String {
    let mut key = format!(
        "({}) references {table} ({})",
        from.join(", "),
        to.join(", ")
    );
    for (event, action) in [("delete", on_delete), ("update", on_update)] {
        let action = action.to_lowercase();
        if action != "no action" {
            key.push_str(&format!(" on {event} {action}"));
        }
    }
    key
}

/// One spelling of an expression on both databases: lower case, no `::type` casts, PostgreSQL's
/// `= any (array[…])` back to the `in (…)` it was written as, single spaces, no enclosing
/// parentheses. Good enough to compare, not to run.
fn normalise_expression(text: &str) -> String {
    let lower = text.trim().to_lowercase();
    let lower = match lower.strip_prefix("check") {
        Some(rest) if rest.starts_with([' ', '(']) => rest,
        _ => &lower,
    };
    let spaced = strip_casts(lower)
        .replace("= any (array[", "in (")
        .replace("])", ")")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("( ", "(")
        .replace(" )", ")");
    let mut s = spaced.as_str();
    while s.len() >= 2 && s.starts_with('(') && s.ends_with(')') && encloses(s) {
        s = s[1..s.len() - 1].trim();
    }
    s.to_string()
}

/// A default as written in a migration: the expression, with PostgreSQL's booleans as the 0/1
/// SQLite stores.
fn normalise_default(text: &str) -> String {
    match normalise_expression(text).as_str() {
        "true" => "1".into(),
        "false" => "0".into(),
        other => other.into(),
    }
}

fn strip_casts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("::") {
        out.push_str(&rest[..at]);
        rest = rest[at + 2..].trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
        for tail in [
            " varying",
            " precision",
            " without time zone",
            " with time zone",
            "[]",
        ] {
            rest = rest.strip_prefix(tail).unwrap_or(rest);
        }
    }
    out.push_str(rest);
    out
}

/// Whether the first character's parenthesis closes at the last character.
fn encloses(s: &str) -> bool {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            return i == s.len() - 1;
        }
    }
    false
}

fn one_sided(what: &str, in_sqlite: bool) -> String {
    let side = if in_sqlite { "sqlite" } else { "postgres" };
    format!("{what}: only {side} has it")
}

fn differs(what: &str, sqlite: impl fmt::Display, postgres: impl fmt::Display) -> String {
    format!("{what}: sqlite says {sqlite}, postgres says {postgres}")
}

fn union<'a, V, W>(a: &'a BTreeMap<String, V>, b: &'a BTreeMap<String, W>) -> BTreeSet<&'a String> {
    a.keys().chain(b.keys()).collect()
}

/// Every difference between the two schemas, one readable line each.
fn compare(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for name in union(sqlite, postgres) {
        match (sqlite.get(name), postgres.get(name)) {
            (Some(s), Some(p)) => compare_tables(name, s, p, &mut out),
            (s, _) => out.push(one_sided(&format!("table {name}"), s.is_some())),
        }
    }
    out
}

fn compare_tables(t: &str, s: &Table, p: &Table, out: &mut Vec<String>) {
    for c in union(&s.columns, &p.columns) {
        let what = format!("{t}.{c}");
        match (s.columns.get(c), p.columns.get(c)) {
            (Some(sc), Some(pc)) => compare_columns(&what, sc, pc, out),
            (sc, _) => out.push(one_sided(&format!("column {what}"), sc.is_some())),
        }
    }
    if s.primary_key != p.primary_key {
        let key = |k: &[String]| format!("({})", k.join(", "));
        out.push(differs(
            &format!("{t} primary key"),
            key(&s.primary_key),
            key(&p.primary_key),
        ));
    }
    for i in union(&s.indexes, &p.indexes) {
        let what = format!("{t} index {i}");
        match (s.indexes.get(i), p.indexes.get(i)) {
            (Some(si), Some(pi)) if si != pi => out.push(differs(&what, si, pi)),
            (Some(_), Some(_)) => {}
            (si, _) => out.push(one_sided(&what, si.is_some())),
        }
    }
    for (kind, s, p) in [
        ("foreign key", &s.foreign_keys, &p.foreign_keys),
        ("check", &s.checks, &p.checks),
        ("trigger", &s.triggers, &p.triggers),
    ] {
        for item in s.symmetric_difference(p) {
            out.push(one_sided(&format!("{t} {kind} {item}"), s.contains(item)));
        }
    }
}

fn compare_columns(what: &str, s: &Column, p: &Column, out: &mut Vec<String>) {
    // SQLite has no boolean: the store writes PostgreSQL's booleans there as integers 0 and 1.
    if s.ty != p.ty && !(s.ty == "integer" && p.ty == "boolean") {
        out.push(differs(&format!("{what} type"), &s.ty, &p.ty));
    }
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    if s.not_null != p.not_null {
        out.push(differs(
            &format!("{what} not null"),
            yes_no(s.not_null),
            yes_no(p.not_null),
        ));
    }
    if s.default != p.default {
        let shown = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".into());
        out.push(differs(
            &format!("{what} default"),
            shown(&s.default),
            shown(&p.default),
        ));
    }
    // Every SQLite `integer primary key` numbers itself, wanted or not; only the other way round
    // (PostgreSQL numbers a row SQLite would refuse) is a difference the store can trip on.
    if p.autonumber && !s.autonumber {
        out.push(differs(&format!("{what} autonumbered"), "no", "yes"));
    }
}

/// The intended differences, by difference; a line without a reason is refused.
fn intended() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(INTENDED).expect("read migrations/intended-differences.txt");
    let mut list = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (difference, reason) = line
            .split_once(" | ")
            .filter(|(_, reason)| !reason.trim().is_empty())
            .unwrap_or_else(|| panic!("intended difference without a reason: {line}"));
        let previous = list.insert(difference.trim().to_string(), reason.trim().to_string());
        assert!(previous.is_none(), "listed twice: {difference}");
    }
    list
}

async fn migrated(backend: &Backend) -> TestDb {
    let db = TestDb::new(backend).await;
    let store = Store::connect(&db.url, 2).await.expect("connect");
    store.migrate().await.expect("migrate");
    store.close().await;
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_migration_trees_build_the_same_schema_but_for_the_written_differences() {
    let Some(pg) = Backend::postgres() else {
        return;
    };
    let (sqlite_db, pg_db) = (migrated(&Backend::Sqlite).await, migrated(&pg).await);
    let sqlite = sqlite::schema(&sqlite_db.url).await;
    let postgres = postgres::schema(&pg_db.url).await;
    // An introspection that read nothing would find no difference: make sure both read a table.
    for schema in [&sqlite, &postgres] {
        let post = schema.get("post").expect("the post table is read");
        assert!(post.columns.contains_key("status") && post.primary_key == ["post_id"]);
    }

    let differences = compare(&sqlite, &postgres);
    let intended = intended();
    let unexplained: Vec<&String> = differences
        .iter()
        .filter(|d| !intended.contains_key(*d))
        .collect();
    let gone: Vec<&String> = intended
        .keys()
        .filter(|d| !differences.contains(d))
        .collect();
    let mut report = String::new();
    if !unexplained.is_empty() {
        report.push_str(
            "The migration trees differ where migrations/intended-differences.txt says nothing \
             (fix the tree that is wrong with a new migration, or list the line with its reason):\n",
        );
        unexplained
            .iter()
            .for_each(|d| report.push_str(&format!("  {d}\n")));
    }
    if !gone.is_empty() {
        report.push_str("Listed as intended but no longer true (remove these lines):\n");
        gone.iter()
            .for_each(|d| report.push_str(&format!("  {d}\n")));
    }
    assert!(report.is_empty(), "{report}");
}

#[test]
fn expressions_read_the_same_from_both_databases() {
    let cases = [
        (
            "CHECK ((level = ANY (ARRAY['province'::text, 'district'::text])))",
            "level in ('province', 'district')",
        ),
        ("(remote_id IS NOT NULL)", "remote_id is not null"),
        ("CHECK ((ends_on >= starts_on))", "ends_on >= starts_on"),
        ("((a > 0) and (b > 0))", "(a > 0) and (b > 0)"),
        ("'draft'::character varying", "'draft'"),
    ];
    for (written, expected) in cases {
        assert_eq!(normalise_expression(written), expected, "{written}");
    }
    assert_eq!(normalise_default("false"), "0");
}
