//! The bundled SQLite is built the way the store relies on
//! (`.cargo/config.toml` sets its compile flags).

use rusqlite::{Connection, StatementStatus};

/// A cached statement whose LIMIT is a bound value is prepared once, not again
/// on every run with a new value (the query planner stability guarantee,
/// `SQLITE_ENABLE_QPSG`). Without it every paginated or capped query on the
/// read path was parsed and planned anew each time.
#[test]
fn statements_with_a_bound_limit_are_not_prepared_again() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3);").unwrap();
    let mut stmt = conn.prepare("SELECT x FROM t ORDER BY x LIMIT ?1").unwrap();
    for limit in [1_i64, 2, 3, 1] {
        let rows: Vec<i64> = stmt.query_map([limit], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        assert_eq!(rows.len() as i64, limit, "LIMIT {limit} still applies");
    }
    assert_eq!(
        stmt.get_status(StatementStatus::RePrepare),
        0,
        "SQLite re-prepared a statement because its LIMIT value changed: \
         is LIBSQLITE3_FLAGS=-DSQLITE_ENABLE_QPSG from .cargo/config.toml reaching libsqlite3-sys?"
    );
}
