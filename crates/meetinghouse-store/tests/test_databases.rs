//! The test-database clean-up drops the databases that exited test processes
//! left behind, and never one whose process is still running.

use meetinghouse_store::{Db, DbOptions, test_databases};

#[tokio::test]
async fn left_behind_databases_go_and_live_ones_stay() {
    let Some(url) = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("TEST_DATABASE_URL is not set: this PostgreSQL-only test is skipped (CI sets it)");
        return;
    };
    // This process is running, so its own database must stay.
    let mine = test_databases::create(&url, "mh_mine").await.expect("create");
    // No process has id 4,000,000,000 (Linux caps ids at 2^22).
    let gone = "mh_gone_4000000000_1_0";
    let admin = Db::connect(&url, &DbOptions { max_connections: 1 }).await.expect("connect");
    admin.execute_admin(&format!("DROP DATABASE IF EXISTS {gone}")).await.unwrap();
    admin.execute_admin(&format!("CREATE DATABASE {gone}")).await.unwrap();
    admin.close().await;

    let dropped = test_databases::drop_left_behind(&url).await.expect("clean up");
    assert!(dropped >= 1, "the left-behind database was not dropped");
    let (base, _) = url.rsplit_once('/').unwrap();
    let options = DbOptions { max_connections: 1 };
    assert!(Db::connect(&format!("{base}/{gone}"), &options).await.is_err(), "{gone} is still there");
    let kept = Db::connect(&mine, &options).await.expect("this process's own database is kept");
    kept.ping().await.unwrap();
}
