//! The test-database clean-up drops the databases that exited test processes
//! of this machine left behind, and never one whose process is still
//! running or one it did not mark.

use meetinghouse_store::{Db, DbOptions, test_databases};

/// No process has this id (Linux caps ids at 2^22).
const NO_PROCESS: u32 = 4_000_000_000;

#[tokio::test]
async fn left_behind_databases_go_and_others_stay() {
    let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("TEST_DATABASE_URL is not set: this PostgreSQL-only test is skipped (CI sets it)");
        return;
    };
    assert!(std::path::Path::new("/proc/self/ns/pid").exists(), "the clean-up needs /proc, which Linux (and CI) has");
    // This process is running, so its own database must stay.
    let mine = test_databases::create(&url, "mh_mine").await.expect("create");
    // Made by a test process that has exited.
    let gone = test_databases::create_for(&url, "mh_gone", NO_PROCESS).await.expect("create");
    // Named like a test database of an exited process, but not made by one.
    let own_pid = format!("_{}_", std::process::id());
    let unmarked = test_databases::unique_name("mh_keep").replacen(&own_pid, &format!("_{NO_PROCESS}_"), 1);
    let admin = Db::connect(&url, &DbOptions { max_connections: 1 }).await.expect("connect");
    admin.execute_admin(&format!("CREATE DATABASE {unmarked}")).await.unwrap();

    test_databases::drop_left_behind(&url).await.expect("clean up");

    let options = DbOptions { max_connections: 1 };
    assert!(Db::connect(&gone, &options).await.is_err(), "{gone} is still there");
    let kept = Db::connect(&mine, &options).await.expect("this process's own database is kept");
    kept.ping().await.unwrap();
    kept.close().await;
    let (base, _) = url.rsplit_once('/').unwrap();
    let other = Db::connect(&format!("{base}/{unmarked}"), &options).await.expect("an unmarked database is kept");
    other.close().await;
    admin.execute_admin(&format!("DROP DATABASE {unmarked}")).await.unwrap();
    admin.close().await;
}
