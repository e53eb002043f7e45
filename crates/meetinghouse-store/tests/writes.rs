//! Write batches on both backends: ids flow from one statement to the next,
//! a failing batch leaves nothing behind, unique violations are conflicts,
//! and on SQLite the writer thread's grouping keeps concurrent batches
//! apart (one failing does not undo the others).

use meetinghouse_store::writes::{Arg, Batch};
use meetinghouse_store::{Backend, Db, StoreError};

mod common;

/// A fresh SQLite file, and a fresh PostgreSQL database when
/// `TEST_DATABASE_URL` is set, each with a small table of its own.
async fn databases() -> Vec<Db> {
    let mut out = vec![common::sqlite_file("mh_writes").await];
    out.extend(common::postgres("mh_writes").await);
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
