//! Write batches on both backends: ids flow from one statement to the next,
//! a failing batch leaves nothing behind, unique violations are conflicts,
//! and on SQLite the writer thread's grouping keeps concurrent batches
//! apart (one failing does not undo the others).

use meetinghouse_store::writes::{Arg, Batch};
use meetinghouse_store::{Backend, Db, DbOptions, StoreError};

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("mh_writes_{}_{}", std::process::id(), nanos % 1_000_000_000)
}

/// A fresh SQLite file, and a fresh PostgreSQL database when
/// `TEST_DATABASE_URL` is set, each with a small table of its own.
async fn databases() -> Vec<Db> {
    let dir = std::env::temp_dir().join(unique_name());
    let mut out = vec![Db::open_sqlite(&dir.join("w.db"), &DbOptions { max_connections: 4 }).await.expect("open sqlite")];
    if let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        let name = unique_name();
        let admin = Db::connect(&url, &DbOptions { max_connections: 1 }).await.expect("connect to TEST_DATABASE_URL");
        admin.execute_admin(&format!("CREATE DATABASE {name}")).await.expect("create database");
        admin.close().await;
        let (base, _) = url.rsplit_once('/').expect("TEST_DATABASE_URL names a database");
        out.push(Db::connect(&format!("{base}/{name}"), &DbOptions { max_connections: 4 }).await.expect("connect"));
    }
    for db in &out {
        let id = match db.backend() {
            Backend::Sqlite => "id INTEGER PRIMARY KEY",
            Backend::Postgres => "id BIGSERIAL PRIMARY KEY",
        };
        db.execute_admin(&format!("CREATE TABLE wt ({id}, name TEXT NOT NULL UNIQUE, note TEXT)")).await.unwrap();
    }
    out
}

const INSERT: &str = "INSERT INTO wt (name, note) VALUES ($1, $2) RETURNING id";
const NAME_RULE: &[(&str, &str)] = &[("name", "name")];

async fn names(db: &Db) -> Vec<String> {
    let mut tx = db.begin().await.unwrap();
    let rows: Vec<(String,)> = sqlx::query_as("SELECT name FROM wt ORDER BY name").fetch_all(&mut *tx).await.unwrap();
    rows.into_iter().map(|(n,)| n).collect()
}

#[tokio::test]
async fn ids_flow_and_failures_leave_nothing() {
    for db in databases().await {
        // An insert's id feeds a later statement, as a number and as text.
        let mut b = Batch::new();
        let a = b.insert(INSERT, vec!["a".into(), None::<&str>.into()]);
        b.execute("UPDATE wt SET note = $2 WHERE id = $1", vec![a.into(), Arg::text_from_id(a, |id| format!("note of {id}"))]);
        let written = db.write(b).await.unwrap();
        let id = written.id(a);
        let mut tx = db.begin().await.unwrap();
        let (note,): (String,) = sqlx::query_as("SELECT note FROM wt WHERE id = $1").bind(id).fetch_one(&mut *tx).await.unwrap();
        drop(tx);
        assert_eq!(note, format!("note of {id}"));

        // A batch whose last statement breaks a rule stores none of its statements.
        let mut b = Batch::new();
        b.insert(INSERT, vec!["b".into(), None::<&str>.into()]);
        b.insert_unique(INSERT, vec!["a".into(), None::<&str>.into()], NAME_RULE);
        let err = db.write(b).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { what: "name" }), "{err:?}");
        assert_eq!(names(&db).await, ["a"]);

        // Inside a caller's transaction: dropped without commit, nothing stays.
        let mut tx = db.begin().await.unwrap();
        let mut b = Batch::new();
        b.insert(INSERT, vec!["c".into(), "in a transaction".into()]);
        b.run_in(&mut tx).await.unwrap();
        drop(tx);
        assert_eq!(names(&db).await, ["a"]);
    }
}

#[tokio::test]
async fn concurrent_batches_stand_or_fall_alone() {
    for db in databases().await {
        let mut first = Batch::new();
        first.insert(INSERT, vec!["taken".into(), None::<&str>.into()]);
        db.write(first).await.unwrap();
        // 60 writers at once, every fifth batch breaking the unique rule in
        // its second statement: on SQLite they share grouped transactions.
        let mut tasks = Vec::new();
        for i in 0..60 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let mut b = Batch::new();
                b.insert(INSERT, vec![format!("w{i:02}").into(), None::<&str>.into()]);
                let second = if i % 5 == 0 { "taken".to_string() } else { format!("w{i:02}-second") };
                b.insert_unique(INSERT, vec![second.into(), None::<&str>.into()], NAME_RULE);
                (i, db.write(b).await)
            }));
        }
        let mut expected = vec!["taken".to_string()];
        for t in tasks {
            let (i, result) = t.await.unwrap();
            if i % 5 == 0 {
                assert!(matches!(result, Err(StoreError::Conflict { what: "name" })), "batch {i}: {result:?}");
            } else {
                result.unwrap();
                expected.push(format!("w{i:02}"));
                expected.push(format!("w{i:02}-second"));
            }
        }
        expected.sort();
        assert_eq!(names(&db).await, expected);
    }
}
