//! Both backends must hold the same migrations and produce the same tables.

use std::collections::BTreeMap;
use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::Text;

fn migration_names(folder: &str) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(folder))
            .expect("migration folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
    names.sort();
    names
}

#[test]
fn both_backends_have_the_same_migrations() {
    let pg = migration_names("migrations/postgres");
    let sqlite = migration_names("migrations/sqlite");
    assert!(!pg.is_empty());
    assert_eq!(pg, sqlite);
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

type Tables = BTreeMap<String, Vec<String>>;

fn collect(columns: Vec<Column>) -> Tables {
    let mut tables: Tables = BTreeMap::new();
    for c in columns {
        if c.table_name.starts_with("__diesel") || c.table_name.starts_with("sqlite_") {
            continue;
        }
        tables
            .entry(c.table_name)
            .or_default()
            .push(c.column_name.to_lowercase());
    }
    for cols in tables.values_mut() {
        cols.sort();
    }
    tables
}

fn sqlite_tables() -> Tables {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = dir.path().join("t.db").to_string_lossy().into_owned();
    let pool = cleanmatch::db::connect(&url, 1).expect("sqlite");
    let mut conn = pool.get().expect("conn");
    let columns = diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'",
    )
    .load::<Column>(&mut *conn)
    .expect("columns");
    collect(columns)
}

#[test]
fn both_backends_produce_the_same_tables() {
    let sqlite = sqlite_tables();
    assert!(
        sqlite.contains_key("challenges")
            && sqlite.contains_key("matches")
            && sqlite.contains_key("audit_log")
    );
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        // Without a PostgreSQL server, compare the table and column names the two
        // migration scripts declare.
        for folder in ["migrations/postgres", "migrations/sqlite"] {
            let sql: String = migration_names(folder)
                .iter()
                .map(|m| {
                    std::fs::read_to_string(
                        Path::new(env!("CARGO_MANIFEST_DIR"))
                            .join(folder)
                            .join(m)
                            .join("up.sql"),
                    )
                    .expect("up.sql")
                })
                .collect();
            for table in sqlite.keys() {
                assert!(
                    sql.contains(&format!("CREATE TABLE {table} (")),
                    "{folder} lacks {table}"
                );
            }
        }
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let _ = dir;
    let name = format!("cm_schema_{}", uuid::Uuid::new_v4().simple());
    let mut admin = diesel::PgConnection::establish(&admin_url).expect("pg");
    diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .expect("create");
    let url = crate::helpers::with_database(&admin_url, &name);
    let pg = {
        let pool = cleanmatch::db::connect(&url, 1).expect("pg pool");
        let mut conn = pool.get().expect("conn");
        let columns = diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name FROM information_schema.columns WHERE table_schema = 'public'",
        )
        .load::<Column>(&mut *conn)
        .expect("columns");
        collect(columns)
    };
    diesel::sql_query(format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .execute(&mut admin)
        .expect("drop");
    assert_eq!(pg, sqlite);
}
