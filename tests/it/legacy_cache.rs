//! The cache directory of versions from before the rename (`.caldir-cache`)
//! holds only derived state: it is removed at start when the cache is in its
//! default place, and the server uses `.davdir-cache` instead. A cache put
//! elsewhere by configuration leaves the data directory's contents alone.

use crate::common::*;

const OLD: &str = ".caldir-cache";
const NEW: &str = ".davdir-cache";

/// Writes a file into an old-style cache directory under `data`.
fn plant_old_cache(srv: &Server) {
    let old = srv.data.join(OLD).join("demo");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::write(srv.data.join(OLD).join("x"), b"old derived state").unwrap();
    std::fs::write(old.join("personal.log"), b"davdir-log 1 0\n").unwrap();
}

#[test]
fn old_cache_is_removed_at_start_and_the_new_one_used() {
    let mut srv = Server::sample();
    srv.stop();
    let _ = std::fs::remove_dir_all(srv.data.join(NEW));
    plant_old_cache(&srv);
    srv.start_again();
    assert!(
        !srv.data.join(OLD).exists(),
        "old cache still there after start; log:\n{}",
        srv.log()
    );
    srv.put_ics(
        "/demo/personal/fresh.ics",
        &event("legacy-cache-1", "After"),
    )
    .expect(201);
    assert!(
        wait_until(10, || srv.data.join(NEW).join("demo").is_dir()),
        "new cache not used; log:\n{}",
        srv.log()
    );
    assert!(!srv.data.join(OLD).exists(), "old cache came back");
}

#[test]
fn old_cache_stays_when_the_cache_is_configured_elsewhere() {
    let elsewhere = tempfile::tempdir().unwrap();
    let cache = elsewhere.path().join("cache");
    let mut srv = Server::start(Options {
        config: Some(format!("cache = {:?}\n", cache.display().to_string())),
        ..Options::default()
    });
    srv.stop();
    plant_old_cache(&srv);
    srv.start_again();
    srv.put_ics(
        "/demo/personal/fresh.ics",
        &event("legacy-cache-2", "After"),
    )
    .expect(201);
    assert!(
        wait_until(10, || cache.join("demo").is_dir()),
        "configured cache not used; log:\n{}",
        srv.log()
    );
    assert_eq!(
        std::fs::read(srv.data.join(OLD).join("x")).unwrap(),
        b"old derived state"
    );
    assert!(
        !srv.data.join(NEW).exists(),
        "default cache used despite config"
    );
}
