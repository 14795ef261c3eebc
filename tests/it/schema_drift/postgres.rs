//! The schema of a PostgreSQL database as the drift guard compares it, read from
//! `information_schema` (columns) and `pg_catalog` (keys, indexes, constraints, triggers).

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{Connection, PgConnection, Row};

use super::{Column, Index, Schema, Table, foreign_key, normalise_default, normalise_expression};

pub async fn schema(url: &str) -> Schema {
    let mut conn = PgConnection::connect(url)
        .await
        .expect("connect to PostgreSQL");
    let tables: Vec<String> = sqlx::query_scalar(
        "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace \
         where n.nspname = current_schema() and c.relkind in ('r', 'p') \
         and c.relname <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for name in tables {
        let table = table(&mut conn, &name).await;
        schema.insert(name, table);
    }
    schema
}

/// PostgreSQL's types in the drift guard's vocabulary: what SQLite affinity would hold them.
fn kind(data_type: &str) -> String {
    match data_type {
        "smallint" | "integer" | "bigint" => "integer",
        "text" | "character varying" | "character" => "text",
        "real" | "double precision" => "real",
        "bytea" => "blob",
        "boolean" | "numeric" => data_type,
        other => return other.to_string(),
    }
    .to_string()
}

/// `a`, `r`, `c`, `n`, `d` of `pg_constraint.confdeltype` as SQL says them.
fn action(code: &str) -> &'static str {
    match code {
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        _ => "no action",
    }
}

/// The column names of an attribute-number array (`conkey`, `indkey`) of a relation, in order.
const NAMES: &str = "select array_agg(coalesce(a.attname::text, '<expression>') order by k.ord) \
    from unnest({keys}) with ordinality k(attnum, ord) \
    left join pg_attribute a on a.attrelid = {rel} and a.attnum = k.attnum and k.attnum <> 0";

fn names(keys: &str, rel: &str) -> String {
    format!("({})", NAMES.replace("{keys}", keys).replace("{rel}", rel))
}

async fn table(conn: &mut PgConnection, name: &str) -> Table {
    let mut table = Table::default();
    let columns = sqlx::query(
        "select column_name::text as name, data_type::text as data_type, \
         is_nullable = 'NO' as not_null, column_default::text as dflt, \
         is_identity = 'YES' as identity \
         from information_schema.columns where table_schema = current_schema() and table_name = $1",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for r in columns {
        let default: Option<String> = r.get("dflt");
        let serial = default
            .as_deref()
            .is_some_and(|d| d.starts_with("nextval("));
        let column = Column {
            ty: kind(r.get("data_type")),
            not_null: r.get("not_null"),
            default: default.filter(|_| !serial).map(|d| normalise_default(&d)),
            autonumber: r.get::<bool, _>("identity") || serial,
        };
        table.columns.insert(r.get("name"), column);
    }

    let constraints = sqlx::query(&format!(
        "select con.contype::text as kind, pg_get_constraintdef(con.oid) as def, \
         {} as keys, con.confrelid::regclass::text as target, {} as target_keys, \
         con.confdeltype::text as on_delete, con.confupdtype::text as on_update \
         from pg_constraint con where con.conrelid = to_regclass($1) and con.contype in ('p', 'f', 'c')",
        names("con.conkey", "con.conrelid"),
        names("con.confkey", "con.confrelid"),
    ))
    .bind(name)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    for r in constraints {
        let keys: Vec<String> = r.get::<Option<Vec<String>>, _>("keys").unwrap_or_default();
        match r.get::<String, _>("kind").as_str() {
            "p" => table.primary_key = keys,
            "f" => {
                let (on_delete, on_update): (String, String) =
                    (r.get("on_delete"), r.get("on_update"));
                table.foreign_keys.insert(foreign_key(
                    &keys,
                    &r.get::<String, _>("target"),
                    &r.get::<Vec<String>, _>("target_keys"),
                    action(&on_delete),
                    action(&on_update),
                ));
            }
            _ => {
                table
                    .checks
                    .insert(normalise_expression(&r.get::<String, _>("def")));
            }
        }
    }

    table.indexes = indexes(conn, name).await;
    table.triggers = sqlx::query_scalar(
        "select tgname::text from pg_trigger where tgrelid = to_regclass($1) and not tgisinternal",
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await
    .unwrap()
    .into_iter()
    .collect::<BTreeSet<String>>();
    table
}

async fn indexes(conn: &mut PgConnection, table: &str) -> BTreeMap<String, Index> {
    // The key columns only (not `include` ones); the constraint an index stands for, if any.
    let rows = sqlx::query(&format!(
        "select i.relname::text as name, ix.indisunique as is_unique, \
         coalesce(con.contype::text, '') as constraint_kind, \
         pg_get_expr(ix.indpred, ix.indrelid) as predicate, \
         ({}) as columns \
         from pg_index ix join pg_class i on i.oid = ix.indexrelid \
         left join pg_constraint con on con.conindid = ix.indexrelid \
             and con.conrelid = ix.indrelid and con.contype in ('p', 'u', 'x') \
         where ix.indrelid = to_regclass($1)",
        names("(ix.indkey::int2[])[0:ix.indnkeyatts - 1]", "ix.indrelid"),
    ))
    .bind(table)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut indexes = BTreeMap::new();
    for r in rows {
        let columns: Vec<String> = r.get("columns");
        let key = match r.get::<String, _>("constraint_kind").as_str() {
            "p" => continue,
            "u" => format!("unique ({})", columns.join(", ")),
            _ => r.get("name"),
        };
        let index = Index {
            columns,
            unique: r.get("is_unique"),
            predicate: r
                .get::<Option<String>, _>("predicate")
                .map(|p| normalise_expression(&p)),
        };
        indexes.insert(key, index);
    }
    indexes
}
