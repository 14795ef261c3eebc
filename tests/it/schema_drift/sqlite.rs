//! The schema of an SQLite database as the drift guard compares it, read through the table
//! pragmas, and through `sqlite_master` for what they do not give (checks, index predicates).

use sqlx::{Connection, Row, SqliteConnection};

use super::{Column, Index, Schema, Table, foreign_key, normalise_default, normalise_expression};

pub async fn schema(url: &str) -> Schema {
    let mut conn = SqliteConnection::connect(url)
        .await
        .expect("open the SQLite database");
    let tables: Vec<(String, bool)> = sqlx::query_as(
        "select name, wr from pragma_table_list where schema = 'main' and type = 'table' \
         and name not like 'sqlite_%' and name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for (name, without_rowid) in tables {
        let table = table(&mut conn, &name, without_rowid).await;
        schema.insert(name, table);
    }
    schema
}

/// SQLite's type affinity rules (datatype3.html, 3.1), named as the drift guard names types. A
/// column declared `boolean` has numeric affinity and holds the 0/1 the store writes for
/// PostgreSQL's booleans: it is named boolean.
fn affinity(declared: &str) -> &'static str {
    let d = declared.to_uppercase();
    if d.contains("BOOL") {
        "boolean"
    } else if d.contains("INT") {
        "integer"
    } else if ["CHAR", "CLOB", "TEXT"].iter().any(|t| d.contains(t)) {
        "text"
    } else if d.is_empty() || d.contains("BLOB") {
        "blob"
    } else if ["REAL", "FLOA", "DOUB"].iter().any(|t| d.contains(t)) {
        "real"
    } else {
        "numeric"
    }
}

async fn table(conn: &mut SqliteConnection, name: &str, without_rowid: bool) -> Table {
    let sql: String =
        sqlx::query_scalar("select sql from sqlite_master where type = 'table' and name = ?")
            .bind(name)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    let rows = sqlx::query(
        "select name, type, \"notnull\", dflt_value, pk from pragma_table_info(?) order by cid",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut key: Vec<(i64, String)> = rows
        .iter()
        .filter(|r| r.get::<i64, _>("pk") > 0)
        .map(|r| (r.get("pk"), r.get("name")))
        .collect();
    key.sort();
    let mut table = Table {
        primary_key: key.into_iter().map(|(_, c)| c).collect(),
        ..Table::default()
    };
    for r in &rows {
        let declared: String = r.get("type");
        let in_key = r.get::<i64, _>("pk") > 0;
        // A lone `integer primary key` is the rowid: never null, numbered when left out.
        let rowid = in_key
            && table.primary_key.len() == 1
            && !without_rowid
            && declared.eq_ignore_ascii_case("integer");
        let column = Column {
            ty: affinity(&declared).into(),
            // Only rowid and WITHOUT ROWID keys refuse NULL; other keys take it unless told.
            not_null: r.get::<bool, _>("notnull") || rowid || (in_key && without_rowid),
            default: r
                .get::<Option<String>, _>("dflt_value")
                .map(|d| normalise_default(&d)),
            autonumber: rowid,
        };
        table.columns.insert(r.get("name"), column);
    }
    table.checks = checks(&sql).into_iter().collect();
    table.indexes = indexes(conn, name).await;
    table.foreign_keys = foreign_keys(conn, name).await;
    table.triggers = sqlx::query_scalar(
        "select name from sqlite_master where type = 'trigger' and tbl_name = ?",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await
    .unwrap()
    .into_iter()
    .collect();
    table
}

/// The `check (…)` clauses of a `create table` statement (as SQLite keeps it, comments and all,
/// with every `alter table … add column` folded in), column and table ones alike.
fn checks(sql: &str) -> Vec<String> {
    let sql = without_comments(sql).to_ascii_lowercase();
    let bytes = sql.as_bytes();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = sql[from..].find("check").map(|i| i + from) {
        from = at + "check".len();
        let word = at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        let open = sql[from..].trim_start();
        if !word || !open.starts_with('(') {
            continue;
        }
        let start = sql.len() - open.len();
        let (mut depth, mut quoted) = (0, false);
        for (i, c) in sql[start..].char_indices() {
            match c {
                '\'' => quoted = !quoted,
                '(' if !quoted => depth += 1,
                ')' if !quoted => depth -= 1,
                _ => {}
            }
            if depth == 0 {
                found.push(normalise_expression(&sql[start..=start + i]));
                from = start + i;
                break;
            }
        }
    }
    found
}

/// The statement without its `--` comments (quotes in them would unbalance the scan above).
fn without_comments(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    for line in sql.lines() {
        let mut quoted = false;
        let mut end = line.len();
        for (i, c) in line.char_indices() {
            match c {
                '\'' => quoted = !quoted,
                '-' if !quoted && line[i..].starts_with("--") => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        out.push_str(&line[..end]);
        out.push('\n');
    }
    out
}

async fn indexes(
    conn: &mut SqliteConnection,
    table: &str,
) -> std::collections::BTreeMap<String, Index> {
    let list: Vec<(String, bool, String, bool)> =
        sqlx::query_as("select name, \"unique\", origin, partial from pragma_index_list(?)")
            .bind(table)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    let mut indexes = std::collections::BTreeMap::new();
    for (name, unique, origin, partial) in list {
        if origin == "pk" {
            continue;
        }
        let columns: Vec<String> = sqlx::query_scalar(
            "select coalesce(name, '<expression>') from pragma_index_info(?) order by seqno",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let predicate = if partial {
            let sql: String = sqlx::query_scalar(
                "select sql from sqlite_master where type = 'index' and name = ?",
            )
            .bind(&name)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
            let sql = without_comments(&sql)
                .to_ascii_lowercase()
                .replace('\n', " ");
            let at = sql.rfind(" where ").expect("a partial index has a where");
            Some(normalise_expression(&sql[at + " where ".len()..]))
        } else {
            None
        };
        let key = if origin == "u" {
            format!("unique ({})", columns.join(", "))
        } else {
            name
        };
        indexes.insert(
            key,
            Index {
                columns,
                unique,
                predicate,
            },
        );
    }
    indexes
}

async fn foreign_keys(
    conn: &mut SqliteConnection,
    table: &str,
) -> std::collections::BTreeSet<String> {
    let rows = sqlx::query(
        "select id, \"table\", \"from\", \"to\", on_update, on_delete \
         from pragma_foreign_key_list(?) order by id, seq",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut keys = std::collections::BTreeSet::new();
    let mut at = 0;
    while at < rows.len() {
        let id: i64 = rows[at].get("id");
        let group: Vec<_> = rows[at..]
            .iter()
            .take_while(|r| r.get::<i64, _>("id") == id)
            .collect();
        at += group.len();
        let target: String = group[0].get("table");
        let from: Vec<String> = group.iter().map(|r| r.get("from")).collect();
        let mut to: Vec<String> = group
            .iter()
            .filter_map(|r| r.get::<Option<String>, _>("to"))
            .collect();
        if to.is_empty() {
            // `references t` without columns means t's primary key.
            to = sqlx::query_scalar(
                "select name from pragma_table_info(?) where pk > 0 order by pk",
            )
            .bind(&target)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        }
        let (on_delete, on_update): (String, String) =
            (group[0].get("on_delete"), group[0].get("on_update"));
        keys.insert(foreign_key(&from, &target, &to, &on_delete, &on_update));
    }
    keys
}
