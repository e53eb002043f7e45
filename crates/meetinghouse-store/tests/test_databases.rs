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

#[test]
fn left_behind_directories_go_and_others_stay() {
    assert!(std::path::Path::new("/proc/self/ns/pid").exists(), "the clean-up needs /proc, which Linux (and CI) has");
    // A parent of its own, so the test sees only what it made.
    let parent = test_databases::temp_dir("mh_sweep");
    let mine = test_databases::temp_dir_in(&parent, "mh_mine", std::process::id());
    let gone = test_databases::temp_dir_in(&parent, "mh_gone", NO_PROCESS);
    std::fs::write(gone.join("test.db"), b"left behind").unwrap();
    // Named like a test directory of an exited process, but not made by one.
    let unmarked = parent.join(format!("mh_keep_{NO_PROCESS}_1_0"));
    std::fs::create_dir(&unmarked).unwrap();
    // Marked by another machine (or container) whose process ids mean nothing here.
    let elsewhere = parent.join(format!("mh_other_{NO_PROCESS}_1_0"));
    std::fs::create_dir(&elsewhere).unwrap();
    let foreign = format!("meetinghouse test: boot=00000000-0000-0000-0000-000000000000 pidns=pid:[1] pid={NO_PROCESS}");
    std::fs::write(elsewhere.join(".meetinghouse-test"), foreign).unwrap();
    // A marked directory whose name is not a test directory's.
    let renamed = parent.join("backup");
    std::fs::rename(test_databases::temp_dir_in(&parent, "mh_renamed", NO_PROCESS), &renamed).unwrap();

    assert_eq!(test_databases::remove_left_behind_dirs(&parent), 1);

    assert!(!gone.exists(), "{} is still there", gone.display());
    for kept in [&mine, &unmarked, &elsewhere, &renamed] {
        assert!(kept.is_dir(), "{} was removed", kept.display());
    }
    std::fs::remove_dir_all(&parent).unwrap();
}
